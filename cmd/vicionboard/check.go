package main

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/input"
	"github.com/vicionboard/vicionboard/batch/ledger"
)

func (a *app) checkCommand() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "check INPUT.csv",
		Short: "Dry run: predict every row's outcome without creating anything",
		Long: `Predict every row's outcome and write it to a result file of the same shape (default
INPUT.check.csv, INPUT.check.xlsx for a workbook). Without a server (no --url / VICIDIAL_URL) only the local rules are checked:
VALID or INVALID. With a server, only read-only calls are made (user_details, ingroup_list, and
add_user/copy_user probes with the API user's own login, which the server refuses with USER ALREADY
EXISTS after running every check): WOULD_SUCCEED, WOULD_FAIL or INVALID. With --offline and a
server, nothing is asked of it, but the ledger's records of it are read.

The ledger is read as a run reads it (persons it knows are ALREADY_CREATED or EXISTS_CHANGED), and
the safeguards a run would trip are reported (exit 4). The dry run is recorded in the ledger's
history; it changes no account's record. It never writes a run's result file.

` + exitCodesHelp, // app.go
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.checking = true
			if err := o.prepare(cmd); err != nil {
				return err
			}
			return a.job(cmd, args[0], &o)
		},
	}
	a.registerRunFlags(cmd, &o)
	cmd.Flags().Lookup("out").Usage = "result file: an .xlsx workbook when its name ends in .xlsx, else CSV (default INPUT.check.csv beside the input, INPUT.check.xlsx for a workbook)"
	return cmd
}

// defaultCheckOut is INPUT.check.csv beside the input: a dry run never
// overwrites a run's result file, which later runs read.
func defaultCheckOut(input string) string {
	return strings.TrimSuffix(defaultOut(input), ".results.csv") + ".check.csv"
}

// refuseRunResult refuses a dry run's result path that holds a run's
// result file: a run's record of what it created must never be replaced
// by predictions. The ledger knows the paths runs wrote; a file from
// before the ledger is recognised by its statuses.
func refuseRunResult(ctx context.Context, db *ledger.DB, f *files, ro input.Options) error {
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
