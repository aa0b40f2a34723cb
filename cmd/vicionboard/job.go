package main

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/ledger"
	"github.com/vicionboard/vicionboard/report"
	"github.com/vicionboard/vicionboard/vicidial"
)

// job is the run command and the check command (run --dry-run): one code
// path, the batch pipeline in ModeRun or ModeDryRun. What differs is said
// where it differs: a dry run needs no server (offline), writes
// INPUT.check.csv, never writes over a run's result file, and reports a
// safeguard instead of stopping at it.
func (a *app) job(cmd *cobra.Command, input string, o *runOptions) error {
	ctx := cmd.Context()
	started := time.Now()
	dry := o.dryRun || o.checking
	if err := o.lifecycleFlags(); err != nil {
		return err
	}
	def := defaultOut
	if dry {
		def = defaultCheckOut
	}
	f, err := resolveFiles(input, o.out, def)
	if err != nil {
		return err
	}
	defer f.cleanup()
	rep, err := a.newReporting(&o.present, &o.log, input, f.out, !dry)
	if err != nil {
		return err
	}
	log, err := a.logger(&o.log, rep.stderr)
	if err != nil {
		return err
	}
	cfg := batch.Config{Mode: batch.ModeRun, Workers: o.server.workers, Strict: o.strict, Input: f.inputAbs,
		Update: o.update, DeactivateMissing: o.deactivate, RequireKey: o.ledger.nightly(cmd, a.getenv), Logger: log,
		MoveServers: o.moveServers}
	if err := o.identity.apply(&cfg); err != nil {
		return err
	}
	title := "vicionboard run"
	if dry {
		cfg.Mode, title = batch.ModeDryRun, "vicionboard check (offline: local rules only)"
	}
	switch {
	case dry && o.serverNamed() && o.offline:
		title = "vicionboard check (offline: local rules and the ledger)"
		if o.multi() {
			cfg.Dialers, _ = o.dialers(cmd, a.getenv, log, false) // dialers.go: no client, no error
		}
	case o.multi():
		if cfg.Dialers, err = o.dialers(cmd, a.getenv, log, true); err != nil {
			return err
		}
	case !dry || o.server.configured():
		client, err := o.server.client(cmd, a.getenv, log)
		if err != nil {
			return err
		}
		cfg.Accounts, cfg.APIUser = client, o.server.apiUser
		rep.limit = client.Limit // the pacer's limit, on the progress bar
	}
	if dry && o.serverNamed() && !o.offline {
		title = "vicionboard check (online: predicted by the server, nothing written)"
	}
	switch {
	case o.multi():
		cfg.Server = jobServer(o.serverNames()) // the job's runs in the ledger; each person is on their own server
	case o.server.configured():
		if cfg.Server, err = vicidial.Endpoint(o.server.url); err != nil {
			return &usageError{err}
		}
	}
	unlock, err := lockOut(f.out)
	if err != nil {
		return err
	}
	defer unlock()
	if err := f.spoolInput(ctx, int64(o.input.spoolLimit)); err != nil {
		return err
	}
	// A dry run reads the ledger only for a named server (persons are
	// remembered per server); without one it needs no ledger at all.
	var db *ledger.DB
	if cfg.Server != "" {
		if db, _, err = o.ledger.openLedger(ctx, a.getenv, log); err != nil {
			return err
		}
		defer db.Close()
	}
	// The names the ledger remembers the job by (names.go): its feed, and
	// its server's, whatever the input and the URL are called tonight.
	feed := o.feedOf(f.inputAbs)
	cfg.Input = feed
	if db != nil {
		switch {
		case o.multi():
			urls := map[string]string{}
			for _, d := range o.servers {
				if urls[d.name], err = vicidial.Endpoint(d.server.url); err != nil {
					return &usageError{err}
				}
			}
			err = o.registerServers(ctx, db, urls, dry)
		default:
			cfg.Server, err = o.serverOf(ctx, db, cfg.Server, cfg.Accounts, dry, log)
		}
		if err == nil {
			err = warnKeyConflicts(ctx, db, log)
		}
		if err != nil {
			return err
		}
	}
	keys := o.ledger.keyerFor()
	switch {
	case dry:
		err = refuseRunResult(ctx, db, f, o.input.reader())
	case o.multi():
		err = o.earlierResultOfJob(ctx, db, f, log) // dialers.go
	default:
		err = o.ledger.importEarlierResults(ctx, db, f, cfg.Server, feed, keys, o.input.reader(), o.strict, log)
	}
	if err != nil {
		return err
	}
	passwords := placeholderPassword
	if db != nil {
		cfg.Ledger = db
		if cfg.PassDigest, passwords, err = o.ledger.secrets(db, cfg.Server, dry, log); err != nil {
			return err
		}
		if err := withPasswords(db, cfg.Dialers); err != nil { // each server's own
			return err
		}
	}
	if err := o.phoneSettings(&cfg, db); err != nil { // phones.go
		return err
	}
	p, err := planRun(ctx, cfg, f, o, keys)
	if err != nil {
		return err
	}
	cfg.Generate = o.generating(passwords, p)
	finish := func(_ *report.Summary, err error) error { return err }
	if db != nil {
		command := "run"
		if dry {
			command = "check"
		}
		id, err := db.BeginRun(ctx, batch.RunStart{Command: command, DryRun: dry, Server: cfg.Server, Input: f.inputAbs, Feed: feed,
			InputHash: p.hash, Out: f.outAbs, Version: versionString(), Started: started})
		if err != nil {
			return err
		}
		log = log.With().Str("run_id", string(id)).Logger()
		cfg.RunID, cfg.Logger, a.runID = id, log, id
		a.setLog(log, a.jsonLogs)
		if !dry {
			rep.recordedIn(db, id) // present.go: what the run created, from the ledger, if the result file fails
		}
		finish = finisher(ctx, db, id)
	}
	if p.tripped != nil && !dry {
		if !o.ledger.force {
			return finish(nil, p.tripped)
		}
		log.Warn().Strs("safeguards", p.tripped.Tripped).Msg("--force: a safeguard would have stopped this run; going on")
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
	w, resultFile, err := report.Create(f.out, in.Columns(), resultOptions(in, o))
	if err != nil {
		return finish(nil, err)
	}
	summary := report.NewSummary(w)
	summary.Describe(o.describeInput(in.Columns())) // present.go: the report names each row's person from HR's columns
	rate := 0.0                                     // an offline check sends nothing
	switch {
	case cfg.Accounts != nil:
		rate = o.server.rate
	case o.multi():
		summary.PerServer(o.serverNames())
		if cfg.Dialers[0].Accounts != nil {
			rate = o.jobRate(p.survey)
		}
	}
	if !dry {
		cfg.Verify, cfg.ResendUnknown, cfg.DrainTimeout = o.verify, o.resendUnknown, o.drain
		cfg.BreakerThreshold = o.breaker
		if cfg.BreakerThreshold == 0 {
			cfg.BreakerThreshold = -1
		}
	}
	runErr := batch.Run(ctx, in, rep.begin(log, summary, title, rate, p.survey), cfg)
	if closeErr := report.SyncClose(resultFile, f.out); closeErr != nil && runErr == nil {
		runErr = closeErr
	}
	runErr = finishResult(f.out, resultOptions(in, o), runErr) // xlsx wiring: OUT.xlsx from the CSV beside it (xlsx.go)
	// After the result file is closed: a failure to write it is in the report.
	runErr = rep.finish(runErr)
	succeeded := []batch.Status{batch.StatusSuccess}
	if dry {
		succeeded = []batch.Status{batch.StatusValid, batch.StatusWouldSucceed}
	}
	switch {
	case runErr != nil:
	case dry && p.tripped != nil:
		// The dry run predicts the run's stop: the figures are the run's.
		runErr = p.tripped
	case !summary.AllSucceeded(succeeded...):
		runErr = errRowsFailed
	}
	if !dry {
		runErr = o.ledger.newProblems(ctx, db, cfg.Server, feed, cfg.RunID, summary, log, runErr) // problems.go: new_problems, --fail-on
	}
	runErr = finish(summary, runErr)
	a.printSummary(summary, title, f.out)
	if dry && p.tripped != nil {
		a.printf("a run would stop here (exit 4, nothing sent): %s\n", strings.Join(p.tripped.Tripped, "; "))
	}
	logSummary(log, summary, f.out, time.Since(started), dry)
	return runErr
}

// plan is the planning pass of a run or a dry run: it reads the whole
// input once, before anything is sent, and learns what the ledger knows
// of its persons.
type plan struct {
	survey   *batch.Survey
	tripped  *batch.SafeguardError
	hash     string
	lastRun  *batch.RunSummary
	knownFor int
}

// planRun runs the planning pass (the pipeline in ModeSurvey) over the
// input and checks the safeguards.
func planRun(ctx context.Context, cfg batch.Config, f *files, o *runOptions, keys func([]string) (*batch.Keyer, error)) (*plan, error) {
	in, err := openHashedInput(f.readPath(), f.input, o.input.reader())
	if err != nil {
		return nil, err
	}
	defer in.close()
	if cfg.Keys, err = keys(in.Columns()); err != nil {
		return nil, err
	}
	p := plan{survey: batch.NewSurvey(o.generatesLogins())}
	cfg.Mode, cfg.Accounts, cfg.Generate = batch.ModeSurvey, nil, o.generating(placeholderPassword, nil)
	cfg.Dialers = slices.Clone(cfg.Dialers)
	for i := range cfg.Dialers {
		cfg.Dialers[i].Accounts, cfg.Dialers[i].Passwords = nil, nil // the planning pass sends nothing
	}
	if err := batch.Run(ctx, in.Reader, p.survey, cfg); err != nil {
		return nil, err
	}
	if p.hash, err = in.sum(); err != nil {
		return nil, err
	}
	if cfg.Ledger == nil {
		return &p, nil
	}
	if last, ok, err := cfg.Ledger.LastRun(ctx, cfg.Server, cfg.Input); err != nil {
		return nil, err
	} else if ok {
		p.lastRun = &last
	}
	if !o.multi() {
		if p.knownFor, err = cfg.Ledger.Known(ctx, cfg.Server, cfg.Input); err != nil {
			return nil, err
		}
		p.tripped = o.ledger.safeguards.Check(*p.survey, p.lastRun, p.knownFor)
		return &p, p.newFeed(ctx, cfg, o, []string{cfg.Server})
	}
	// Several servers: the whole feed, and each server's rows (dialers.go).
	if p.knownFor, err = knownOn(ctx, cfg.Ledger, o.serverNames(), cfg.Input); err != nil {
		return nil, err
	}
	whole := o.ledger.safeguards.Check(*p.survey, p.lastRun, p.knownFor)
	if p.tripped, err = checkServers(ctx, o.ledger.safeguards, cfg.Ledger, cfg.Input, o.serverNames(), p.survey, whole); err != nil {
		return nil, err
	}
	return &p, p.newFeed(ctx, cfg, o, o.serverNames())
}

// newFeed adds to the plan's refusals that of a --deactivate-missing run
// on a feed the ledger has never seen (see names.go's newFeed).
func (p *plan) newFeed(ctx context.Context, cfg batch.Config, o *runOptions, servers []string) error {
	db, ok := cfg.Ledger.(*ledger.DB)
	if !o.deactivate || !ok {
		return nil
	}
	refused, err := newFeed(ctx, db, servers, cfg.Input)
	if err != nil || refused == nil {
		return err
	}
	if p.tripped == nil {
		p.tripped = refused
	} else {
		p.tripped.Tripped = append(p.tripped.Tripped, refused.Tripped...)
	}
	return nil
}
