package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/ledger"
)

// pruneOptions are the history command's pruning flags.
type pruneOptions struct {
	before string // --prune-before: a date, a time or an age
	vacuum bool
	dryRun bool
}

// maxAgeDays bounds an age in days or weeks (a century).
const maxAgeDays = 36525

// ageRE is an age in days or weeks: 90d, 12w.
var ageRE = regexp.MustCompile(`^([0-9]+)([dw])$`)

// parseBefore reads --prune-before: a date (2026-09-01, midnight UTC, as
// history prints times in UTC), a time (RFC 3339), or an age before now
// (90d, 12w, or a Go duration such as 36h). It refuses a time in the
// future.
func parseBefore(s string, now time.Time) (time.Time, error) {
	t, why := pruneTime(s, now)
	if why == "" && t.After(now) {
		why = t.UTC().Format(time.RFC3339) + " is in the future"
	}
	if why != "" {
		return time.Time{}, usagef("--prune-before %q: %s; give a date (2026-09-01, UTC), a time (2026-09-01T02:00:00Z) or an age (90d, 12w, 36h)", s, why)
	}
	return t, nil
}

// pruneTime is parseBefore's reading of s, or why s is not one.
func pruneTime(s string, now time.Time) (time.Time, string) {
	if m := ageRE.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if m[2] == "w" && err == nil && n <= maxAgeDays {
			n *= 7
		}
		if err != nil || n > maxAgeDays {
			return time.Time{}, "more than a century"
		}
		return now.AddDate(0, 0, -n), ""
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, "a negative age"
		}
		return now.Add(-d), ""
	}
	for _, layout := range []string{time.DateOnly, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, ""
		}
	}
	return time.Time{}, "not a date, a time or an age"
}

// prune is history --prune-before: it deletes the outcomes of the
// finished runs started before before (see ledger.DB.Prune),
// records the prune as a run (command "prune", unless a dry run), then
// with --vacuum gives the space back to the file system. The log says the
// totals; stdout lists the runs pruned in the history's format when list
// is set (a terminal, --format, --dry-run), and is left empty otherwise.
func (a *app) prune(ctx context.Context, db *ledger.DB, before time.Time, o *pruneOptions, format string, list bool, log zerolog.Logger) error {
	var (
		id  batch.RunID
		res ledger.PruneResult
		err error
	)
	if !o.dryRun {
		if id, err = db.BeginRun(ctx, batch.RunStart{Command: "prune", Version: versionString(), Started: time.Now()}); err != nil {
			return err
		}
		a.runID = id
		log = log.With().Str("run_id", string(id)).Logger()
	}
	res, err = db.Prune(ctx, before, o.dryRun)
	if !o.dryRun {
		end := batch.RunEnd{Ended: time.Now(), Rows: res.Outcomes,
			Codes: map[string]int{"PRUNED_RUNS": len(res.Runs), "PRUNED_OUTCOMES": res.Outcomes}}
		if err != nil {
			end.ExitCode = exitCode(err)
		}
		if ferr := db.FinishRun(ctx, id, end); err == nil {
			err = ferr
		}
	}
	verb := "pruned"
	if o.dryRun {
		verb = "would prune"
	}
	t := table{format: format, header: []string{"run", "started", "command", "input", "rows"}}
	for _, r := range res.Runs {
		command := r.Command
		if r.DryRun && command != "check" {
			command += " (dry run)"
		}
		t.add(string(r.ID), stamp(r.Started), command, r.Input, strconv.Itoa(r.Outcomes))
	}
	log.Info().Bool("dry_run", o.dryRun).Time("before", before.UTC()).Int("runs", len(res.Runs)).
		Int("outcomes", res.Outcomes).Int("kept_unfinished", res.KeptUnfinished).Int("kept_last", res.KeptLast).
		Msgf("%s the row outcomes of %s (%s) started before %s; kept whole: %s, and %s on their input; "+
			"every run's counts and every person's record stay", verb, plural(len(res.Runs), "run"),
			plural(res.Outcomes, "row"), stamp(before), plural(res.KeptUnfinished, "unfinished run"),
			plural(res.KeptLast, "last run"))
	write := func() error {
		if !list {
			return nil
		}
		return t.write(a.stdout)
	}
	if err != nil {
		write() // what was pruned before the error
		return err
	}
	if o.vacuum && !o.dryRun {
		sizeBefore, sizeAfter, err := db.Vacuum(ctx)
		if err != nil {
			write()
			return fmt.Errorf("vacuum (the prune itself is done): %w", err)
		}
		log.Info().Int64("size_before", sizeBefore).Int64("size_after", sizeAfter).
			Msgf("vacuum: %s: %s -> %s", db.Path(), size(sizeBefore), size(sizeAfter))
	}
	return write()
}

// size says a number of bytes for a person.
func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// plural says n things: "1 run", "2 runs".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
