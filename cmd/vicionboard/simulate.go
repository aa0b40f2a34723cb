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
	listen   string
	fixture  string
	faults   string
	latency  time.Duration
	capacity int
	loads    []string // --load specs, vicidialtest.ParseLoad
	seed     int64
	log      logOptions
}

func (o *simulateOptions) simulator() (*vicidialtest.Simulator, error) {
	if o.capacity < 0 {
		return nil, usagef("--capacity must be 0 (no limit) or more")
	}
	if len(o.loads) > 0 && o.capacity == 0 {
		return nil, usagef("--load needs --capacity: live load takes part of the server's slots")
	}
	opts := vicidialtest.Options{Latency: o.latency, Capacity: o.capacity, Seed: o.seed}
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

// liveLoads parses the --load flags.
func (o *simulateOptions) liveLoads() ([]vicidialtest.LoadSpec, error) {
	var out []vicidialtest.LoadSpec
	for _, spec := range o.loads {
		l, err := vicidialtest.ParseLoad(spec)
		if err != nil {
			return nil, usagef("--load: %w", err)
		}
		out = append(out, l)
	}
	return out, nil
}

func (a *app) simulateCommand() *cobra.Command {
	var o simulateOptions
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Serve the built-in VICIdial simulator, for rehearsals and tests",
		Long: `Serve a faithful simulator of VICIdial's non-agent API at /vicidial/non_agent_api.php, and the
accounts it holds as CSV at /_simulator/users (its phones at /_simulator/phones). With --capacity N it serves N requests at once and
queues the others, like a server whose N PHP workers are busy; /_simulator/load shows its slots, and
live load (--load, or POST /_simulator/load?slots=4&for=10s) takes some of them for a while. API users of the default fixture: 6666 (level 9),
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
			loads, err := o.liveLoads()
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
			fmt.Fprintf(a.stdout, "simulator: %s/vicidial/non_agent_api.php (accounts: %s/_simulator/users, phones: %s/_simulator/phones)\n", url, url, url)
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			for _, l := range loads {
				time.AfterFunc(l.After, func() {
					log.Info().Int("slots", l.Slots).Dur("for", l.For).Msg("live load")
					_ = sim.AddLoad(l.Slots, l.For)
				})
			}
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
	f.DurationVar(&o.latency, "latency", 0, "added latency per API request (its service time, with --capacity)")
	f.IntVar(&o.capacity, "capacity", 0, "API requests served at once, like a server's PHP workers; the others queue (0 = no limit)")
	f.StringArrayVar(&o.loads, "load", nil, "live load taking part of --capacity, e.g. 'slots=4,after=5s,for=10s' (repeatable; also POST /_simulator/load?slots=4&for=10s)")
	f.Int64Var(&o.seed, "seed", 1, "seed of the fault draws")
	o.log.register(cmd)
	return cmd
}
