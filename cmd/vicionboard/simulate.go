package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// simulateOptions are the flags of simulate.
type simulateOptions struct {
	listen  string
	fixture string
	faults  string
	latency time.Duration
	seed    int64
	log     logOptions
}

func (o *simulateOptions) simulator() (*vicidialtest.Simulator, error) {
	opts := vicidialtest.Options{Latency: o.latency, Seed: o.seed}
	if o.fixture != "" {
		fx, err := vicidialtest.LoadFixture(o.fixture)
		if err != nil {
			return nil, usagef("--fixture: %w", err)
		}
		opts.Fixture = &fx
	}
	if o.faults != "" {
		f, err := vicidialtest.ParseFaults(o.faults)
		if err != nil {
			return nil, usagef("--faults: %w", err)
		}
		opts.Faults = f
	}
	sim, err := vicidialtest.New(opts)
	if err != nil {
		return nil, usagef("simulator: %w", err)
	}
	return sim, nil
}

func (a *app) simulateCommand() *cobra.Command {
	var o simulateOptions
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Serve the built-in VICIdial simulator, for rehearsals and tests",
		Long: `Serve a faithful simulator of VICIdial's non-agent API at /vicidial/non_agent_api.php, and the
accounts it holds as CSV at /_simulator/users. API users of the default fixture: 6666 (level 9),
apiuser8 (level 8), noperm (no right to add users), apilimited (only version and user_details);
their passwords are in the README. Listens on loopback unless told otherwise.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := o.log.logger(a.stderr)
			if err != nil {
				return err
			}
			sim, err := o.simulator()
			if err != nil {
				return err
			}
			host, _, err := net.SplitHostPort(o.listen)
			if err != nil {
				return usagef("--listen %q: %w", o.listen, err)
			}
			if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				log.Warn().Str("listen", o.listen).Msg("the simulator is listening beyond loopback")
			}
			ln, err := net.Listen("tcp", o.listen)
			if err != nil {
				return usagef("--listen: %w", err)
			}
			srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
			url := "http://" + ln.Addr().String()
			fmt.Fprintf(a.stdout, "simulator: %s/vicidial/non_agent_api.php (accounts: %s/_simulator/users)\n", url, url)
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			select {
			case err := <-errc:
				return err
			case <-cmd.Context().Done():
				shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = srv.Shutdown(shutdownCtx)
				if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
					return err
				}
				return nil
			}
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:8089", "address to listen on")
	f.StringVar(&o.fixture, "fixture", "", "JSON fixture replacing the default accounts, groups and in-groups")
	f.StringVar(&o.faults, "faults", "", "faults with probabilities, e.g. 'reset-after=0.1,500-empty=0.05' (kinds: reset-before, reset-after, 500-empty, 500-success, hang-after, 502)")
	f.DurationVar(&o.latency, "latency", 0, "added latency per API request")
	f.Int64Var(&o.seed, "seed", 1, "seed of the fault draws")
	o.log.register(cmd)
	return cmd
}
