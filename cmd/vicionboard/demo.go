package main

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// The demo's API user is the simulator's default one (the API docs' own
// example account), never a real credential.
const (
	demoAPIUser = "6666"
	demoAPIPass = "1234"
)

func (a *app) demoCommand() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "demo [INPUT.csv] [--map MAPPING.yaml]",
		Short: "Run INPUT.csv (default samples/new_hires.csv) against the built-in simulator",
		Long: `Start the built-in simulator on a loopback port, run INPUT.csv against it as the simulator's
API user 6666, print the summary and write the result file. Nothing leaves this machine.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.prepare(cmd); err != nil {
				return err
			}
			input := "samples/new_hires.csv"
			if len(args) == 1 {
				input = args[0]
			}
			sim, err := vicidialtest.New(vicidialtest.Options{})
			if err != nil {
				return err
			}
			srv := httptest.NewServer(sim)
			defer srv.Close()
			out := o.out
			if out == "" {
				out = defaultOut(input)
			}
			// A fresh simulator, and a ledger of the demo's own: the demo
			// never touches the real ledger, and an earlier demo's results
			// would be carried over.
			if err := os.Remove(out); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			dir, err := os.MkdirTemp("", "vicionboard-demo")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			o.ledger.path = filepath.Join(dir, "ledger.db")
			o.out = out
			o.server.url = srv.URL
			o.server.apiUser = demoAPIUser
			o.server.fixedPass = demoAPIPass
			o.identity.maxLevel = batch.DefaultMaxLevel
			fmt.Fprintf(a.stderr, "demo: simulator at %s, input %s\n", srv.URL, input)
			err = a.job(cmd, input, &o)
			if errors.Is(err, errRowsFailed) {
				// The sample has bad rows on purpose.
				return nil
			}
			return err
		},
	}
	o.log.register(cmd)
	o.input.register(cmd)
	cmd.Flags().StringVar(&o.out, "out", "", "result CSV (default INPUT.results.csv beside the input)")
	o.server.workers = 4
	o.server.rate = 0
	o.server.retries = 3
	o.server.source = "vicionboard"
	o.server.timeout = 30e9
	o.breaker = 5
	o.drain = 45e9
	return cmd
}
