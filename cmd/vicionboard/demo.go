package main

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/report"
	"github.com/vicionboard/vicionboard/samples"
	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// The demo's API user is the simulator's default one (the API docs' own
// example account), never a real credential.
const (
	demoAPIUser = "6666"
	demoAPIPass = "1234"
)

// demoDir is where demo writes its embedded sample when no input is given:
// a folder of the current directory, so that the result file and the
// report are there to read afterwards.
const demoDir = "vicionboard-demo"

func (a *app) demoCommand() *cobra.Command {
	var o runOptions
	var hr bool
	cmd := &cobra.Command{
		Use:   "demo [INPUT] [--map MAPPING.yaml]",
		Short: "Run INPUT (default: the built-in sample) against the built-in simulator",
		Long: `Start the built-in simulator on a loopback port, run INPUT against it as the simulator's
API user 6666, print the summary and write the result file and the HTML report, named as run names
them (INPUT.results.csv, or INPUT.results.xlsx for a workbook). Nothing leaves this machine.

Without INPUT, the sample built into the binary is written to ./` + demoDir + `/ and run: new_hires.csv
(rows of every kind), or with --hr an HR system's export, hr_export.csv, with its mapping
hr_mapping.yaml (logins and passwords generated).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				input, mapping, err := writeSample(hr)
				if err != nil {
					return err
				}
				args = []string{input}
				if mapping != "" && !cmd.Flags().Changed("map") {
					o.input.mapPath = mapping
				}
			} else if hr {
				return usagef("--hr runs the built-in HR sample: give it without an INPUT")
			}
			if err := o.prepare(cmd); err != nil {
				return err
			}
			input := args[0]
			sim, err := vicidialtest.New(vicidialtest.Options{})
			if err != nil {
				return err
			}
			srv := httptest.NewServer(sim)
			defer srv.Close()
			out := o.out
			if out == "" {
				out = defaultResult(input, defaultOut)
			}
			// A fresh simulator, and a ledger of the demo's own: the demo
			// never touches the real ledger, and an earlier demo's results
			// would be carried over.
			for _, p := range []string{out, report.CSVPath(out)} {
				if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
					return err
				}
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
			if a.jsonLogs {
				a.log.Info().Str("simulator", srv.URL).Str("input", input).Msg("demo: the built-in simulator")
			} else {
				fmt.Fprintf(a.stderr, "demo: simulator at %s, input %s\n", srv.URL, input)
			}
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
	cmd.Flags().StringVar(&o.out, "out", "", "result file (default INPUT.results.csv beside the input; INPUT.results.xlsx for a workbook)")
	cmd.Flags().BoolVar(&hr, "hr", false, "without INPUT: run the built-in HR export and its mapping instead of new_hires.csv")
	o.server.workers = 4
	o.server.rate = 0
	o.server.retries = 3
	o.server.source = "vicionboard"
	o.server.timeout = 30e9
	o.breaker = 5
	o.drain = 45e9
	return cmd
}

// writeSample writes the built-in sample (new_hires.csv, or with hr the HR
// export and its mapping) to demoDir and returns the input's path and the
// mapping's ("" for none). An earlier demo's copies are replaced; other
// files are left alone.
func writeSample(hr bool) (input, mapping string, err error) {
	names := []string{samples.NewHires}
	if hr {
		names = []string{samples.HRExport, samples.HRMapping}
	}
	if err := os.MkdirAll(demoDir, 0o700); err != nil {
		return "", "", fmt.Errorf("demo: %w", err)
	}
	var paths []string
	for _, n := range names {
		data, err := samples.Files.ReadFile(n)
		if err != nil {
			return "", "", err
		}
		p := filepath.Join(demoDir, n)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			return "", "", fmt.Errorf("demo: %w", err)
		}
		paths = append(paths, p)
	}
	if hr {
		return paths[0], paths[1], nil
	}
	return paths[0], "", nil
}
