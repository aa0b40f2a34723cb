package main

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/ledger"
	"github.com/vicionboard/vicionboard/report"
	"github.com/vicionboard/vicionboard/vicidial"
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
EXISTS after running every check): WOULD_SUCCEED, WOULD_FAIL or INVALID. With --offline and a
server, nothing is asked of it, but the ledger's records of it are read.

The ledger is read as a run reads it (persons it knows are ALREADY_CREATED or EXISTS_CHANGED), and
the safeguards a run would trip are reported (exit 4). The dry run is recorded in the ledger's
history; it changes no account's record. It never writes a run's result file.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.checking = true
			if err := o.prepare(cmd); err != nil {
				return err
			}
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
	started := time.Now()
	if err := o.lifecycleFlags(); err != nil {
		return err
	}
	f, err := resolveFiles(input, o.out, defaultCheckOut)
	if err != nil {
		return err
	}
	defer f.cleanup()
	rep, err := a.newReporting(&o.present, &o.log, input, f.out, false)
	if err != nil {
		return err
	}
	log, err := a.logger(&o.log, rep.stderr)
	if err != nil {
		return err
	}
	cfg := batch.CheckConfig{Workers: o.server.workers, Strict: o.strict, Logger: log, Input: f.inputAbs, Update: o.update,
		DeactivateMissing: o.deactivate}
	title := "vicionboard check (offline: local rules only)"
	if o.server.configured() {
		cfg.Server, err = vicidial.Endpoint(o.server.url)
		if err != nil {
			return &usageError{err}
		}
		if o.offline {
			title = "vicionboard check (offline: local rules and the ledger)"
		} else {
			client, err := o.server.client(cmd, a.getenv, log)
			if err != nil {
				return err
			}
			cfg.Inspector, cfg.APIUser = client, o.server.apiUser
			rep.limit = client.Limit
			title = "vicionboard check (online: predicted by the server, nothing written)"
		}
	}
	unlock, err := lockOut(f.out)
	if err != nil {
		return err
	}
	defer unlock()
	if err := f.spoolInput(); err != nil {
		return err
	}
	// The ledger is read only for a named server (persons are remembered
	// per server); without one the check needs no ledger at all.
	var db *ledger.DB
	if cfg.Server != "" {
		if db, _, err = o.ledger.openLedger(ctx, a.getenv, log); err != nil {
			return err
		}
		defer db.Close()
	}
	if err := refuseRunResult(ctx, db, f, o.input.reader()); err != nil {
		return err
	}
	keys := o.ledger.keyerFor()
	var lg batch.Ledger
	passwords := placeholderPassword
	if db != nil {
		lg = db
		if cfg.PassDigest, passwords, err = o.ledger.secrets(db, cfg.Server, true, log); err != nil {
			return err
		}
	}
	p, err := planRun(ctx, lg, f, cfg.Server, o, keys, cfg.PassDigest)
	if err != nil {
		return err
	}
	cfg.Generate = o.generating(passwords, p)
	finish := func(summary *report.Summary, err error) error { return err }
	if db != nil {
		id, err := db.BeginRun(ctx, batch.RunStart{Command: "check", DryRun: true, Server: cfg.Server, Input: f.inputAbs,
			InputHash: p.hash, Out: f.outAbs, Version: versionString(), Started: started})
		if err != nil {
			return err
		}
		log = log.With().Str("run_id", string(id)).Logger()
		cfg.Logger, cfg.Ledger, cfg.RunID, a.runID = log, db, id, id
		a.setLog(log, a.jsonLogs)
		finish = finisher(ctx, db, id)

	}

	in, inFile, err := openInput(f.readPath(), o.input.reader())
	if err != nil {
		return finish(nil, err)
	}
	defer inFile.Close()
	defer in.Close()
	logInput(log, input, in)
	if cfg.Keys, err = keys(in.Columns()); err != nil {
		return finish(nil, err)
	}
	cfg.RequireKey = o.ledger.nightly(cmd, a.getenv)
	w, resultFile, err := report.Create(f.out, in.Columns(), resultOptions(in, o.rawCells))
	if err != nil {
		return finish(nil, err)
	}
	summary := report.NewSummary(w)
	rate := 0.0 // an offline check sends nothing
	if cfg.Inspector != nil {
		rate = o.server.rate
	}
	checkErr := batch.Check(ctx, in, rep.begin(log, summary, title, rate, p.total, p.toSend()), cfg)
	checkErr = rep.finish(checkErr)
	if closeErr := syncClose(resultFile); closeErr != nil && checkErr == nil {
		checkErr = closeErr
	}
	checkErr = finishResult(f.out, resultOptions(in, o.rawCells), checkErr) // xlsx wiring: OUT.xlsx from the CSV beside it (xlsx.go)
	switch {
	case checkErr != nil:
	case p.tripped != nil:
		// The dry run predicts the run's stop: the figures are the run's.
		checkErr = p.tripped
	case !summary.AllSucceeded(batch.StatusValid, batch.StatusWouldSucceed):
		checkErr = errRowsFailed
	}
	checkErr = finish(summary, checkErr)
	a.printSummary(summary, title, f.out)
	if p.tripped != nil {
		a.printf("a run would stop here (exit 4, nothing sent): %s\n", strings.Join(p.tripped.Tripped, "; "))
	}
	logSummary(log, summary, f.out, time.Since(started), true)
	return checkErr
}

// refuseRunResult refuses a dry run's result path that holds a run's
// result file: a run's record of what it created must never be replaced
// by predictions. The ledger knows the paths runs wrote; a file from
// before the ledger is recognised by its statuses.
func refuseRunResult(ctx context.Context, db *ledger.DB, f *files, ro batch.ReaderOptions) error {
	if db != nil {
		if wrote, err := db.WroteTo(ctx, f.outAbs); err != nil {
			return err
		} else if wrote {
			return usagef("--out %s is the result file of a run: a dry run never writes over it; choose another --out", f.out)
		}
	}
	in, file, err := openResult(f.out, ro)
	if err != nil {
		var pathErr *fs.PathError
		if errors.As(err, &pathErr) && errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return usagef("--out %s exists and cannot be read (%v): a dry run does not write over a file it cannot recognise", f.out, err)
	}
	defer file.Close()
	defer in.Close()
	if !in.IsResultFile() {
		if _, err := os.Stat(f.out); err == nil {
			return usagef("--out %s exists and is not a result file: a dry run does not write over it", f.out)
		}
		return nil
	}
	for {
		row, err := in.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return usagef("--out %s: %w", f.out, err)
		}
		if row.Prior == nil {
			continue
		}
		switch batch.Status(row.Prior.Status) {
		case batch.StatusSuccess, batch.StatusError, batch.StatusUnknown:
			return usagef("--out %s is the result file of a run (line %d is %s): a dry run never writes over it; choose another --out", f.out, row.Line, row.Prior.Status)
		}
	}
}
