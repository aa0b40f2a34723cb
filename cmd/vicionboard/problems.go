package main

import (
	"context"
	"errors"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/ledger"
	"github.com/vicionboard/vicionboard/report"
)

// The values of --fail-on: what exit 1 means.
const (
	failOnAny = "any" // some row is not SUCCESS (the default)
	failOnNew = "new" // a new problem tonight (or an UNKNOWN row)
)

// registerFailOn adds --fail-on to cmd (run).
func (o *ledgerOptions) registerFailOn(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.failOn, "fail-on", failOnAny, "what exit 1 means: any (some row is not SUCCESS) or new (some row is INVALID or ERROR whose person was not on the last run of this feed, or is UNKNOWN)")
}

// checkFailOn refuses a --fail-on that is neither any nor new.
func (o *ledgerOptions) checkFailOn() error {
	if o.failOn != "" && o.failOn != failOnAny && o.failOn != failOnNew {
		return usagef("--fail-on %q: use any or new", o.failOn)
	}
	return nil
}

// previousRun returns the run whose rows tonight's are compared with to
// tell new problems from old ones: the last finished run (not a dry run)
// of the same feed on the same server that started before run id. It is
// the one place that decides what "the same job" is.
func previousRun(ctx context.Context, db *ledger.DB, server, feed string, id batch.RunID) (batch.RunID, bool, error) {
	runs, err := db.Runs(ctx, 0) // newest first
	if err != nil {
		return "", false, err
	}
	seen := false
	for _, r := range runs {
		if r.ID == id {
			seen = true
			continue
		}
		if seen && r.Start.Command == "run" && !r.Start.DryRun && !r.End.Ended.IsZero() &&
			r.Start.Server == server && r.Start.Feed == feed {
			return r.ID, true, nil
		}
	}
	return "", false, nil
}

// newProblems counts the rows of run id that are INVALID or ERROR whose
// person was not INVALID or ERROR on the previous run (previousRun); with
// no previous run every such row is new. It records the count in summary,
// and applies --fail-on to err (the run's error): with new, a run whose
// rows failed exits 0 unless a problem is new or a row is UNKNOWN. A
// count that cannot be made is logged, and --fail-on new then fails as
// any does.
func (o *ledgerOptions) newProblems(ctx context.Context, db *ledger.DB, server, feed string, id batch.RunID,
	summary *report.Summary, log zerolog.Logger, err error) error {
	ctx = context.WithoutCancel(ctx)
	n, cerr := func() (int, error) {
		if err := db.Flush(ctx); err != nil {
			return 0, err
		}
		prev, _, err := previousRun(ctx, db, server, feed, id)
		if err != nil {
			return 0, err
		}
		return db.NewProblems(ctx, id, prev)
	}()
	if cerr != nil {
		log.Warn().Err(cerr).Msg("new problems could not be counted")
		return err
	}
	summary.SetNewProblems(n)
	if o.failOn == failOnNew && errors.Is(err, errRowsFailed) && n == 0 && summary.Count(batch.StatusUnknown) == 0 {
		log.Info().Msg("--fail-on new: no new problem tonight (the rows that need a person needed one on the last run too): exit 0")
		return nil
	}
	return err
}
