package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/report"
)

func (a *app) checkCommand() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "check INPUT.csv",
		Short: "Dry run: predict every row's outcome without creating anything",
		Long: `Predict every row's outcome and write it to a result CSV of the same shape (default
INPUT.check.csv). Without a server (no --url / VICIDIAL_URL) only the local rules are checked:
VALID or INVALID. With a server, only read-only calls are made (user_details, ingroup_list, and
add_user/copy_user probes with the API user's own login, which the server refuses with USER ALREADY
EXISTS after running every check): WOULD_SUCCEED, WOULD_FAIL or INVALID.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.check(cmd, args[0], &o)
		},
	}
	a.registerRunFlags(cmd, &o)
	cmd.Flags().Lookup("out").Usage = "result CSV (default INPUT.check.csv beside the input)"
	return cmd
}

// defaultCheckOut is INPUT.check.csv beside the input: a dry run never
// overwrites a run's result file, which later runs read.
func defaultCheckOut(input string) string {
	return strings.TrimSuffix(defaultOut(input), ".results.csv") + ".check.csv"
}

// check is the check command (and run --dry-run).
func (a *app) check(cmd *cobra.Command, input string, o *runOptions) error {
	ctx := cmd.Context()
	outPath := o.out
	if outPath == "" {
		outPath = defaultCheckOut(input)
	}
	out, err := resolveOut(input, outPath)
	if err != nil {
		return err
	}
	rep, err := a.newReporting(&o.present, &o.log, input, out, false) // present.go: progress, HTML report, messages
	if err != nil {
		return err
	}
	log, err := o.log.logger(rep.stderr)
	if err != nil {
		return err
	}
	in, inFile, err := openInput(input)
	if err != nil {
		return err
	}
	defer inFile.Close()
	defer in.Close()
	logInput(log, input, in)
	cfg := batch.CheckConfig{Workers: o.server.workers, Strict: o.strict, Logger: log}
	title := "vicionboard check (offline: local rules only)"
	if o.server.configured() {
		client, err := o.server.client(cmd, a.getenv, log)
		if err != nil {
			return err
		}
		cfg.Inspector, cfg.APIUser = client, o.server.apiUser
		title = "vicionboard check (online: predicted by the server, nothing written)"
	}
	w, resultFile, err := report.Create(out, in.Columns(), resultOptions(in, o.rawCells))
	if err != nil {
		return err
	}
	summary := report.NewSummary(w)
	rate := 0.0 // present.go: an offline check sends nothing
	if cfg.Inspector != nil {
		rate = o.server.rate
	}
	checkErr := batch.Check(ctx, in, rep.begin(log, summary, title, rate), cfg)
	checkErr = rep.finish(checkErr) // present.go
	closeErr := syncClose(resultFile)
	_ = summary.Print(a.stderr, title, out)
	logSummary(log, summary, out)
	switch {
	case closeErr != nil:
		return closeErr
	case checkErr != nil:
		return checkErr
	case !summary.AllSucceeded(batch.StatusValid, batch.StatusWouldSucceed):
		return errRowsFailed
	}
	return nil
}
