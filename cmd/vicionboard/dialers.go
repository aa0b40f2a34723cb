package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/ledger"
)

// This file is a job with several servers: a profile's servers: names
// them, each row's server field (a column, or the mapping's server:)
// picks one, and each becomes a batch.Dialer with its own client, rate,
// pool, breaker and fatal stop. A job with one server (--url) goes
// through none of it.

// dialerOptions are one server of a profile's servers:: the job's server
// flags, with the server's own settings over them.
type dialerOptions struct {
	name   string
	where  string // the profile's file, line and server, for messages
	server serverOptions
}

// multi reports whether the job has a profile's servers.
func (o *runOptions) multi() bool { return len(o.servers) > 0 }

// serverNamed reports whether the job names a server: --url, or a
// profile's servers.
func (o *runOptions) serverNamed() bool { return o.server.configured() || o.multi() }

// serverNames are the names of the job's servers, in the profile's order.
func (o *runOptions) serverNames() []string {
	names := make([]string, len(o.servers))
	for i, d := range o.servers {
		names[i] = d.name
	}
	return names
}

// jobServer is how the ledger names a job with several servers in its
// runs (the runs of one job, for the safeguards' last run and history):
// its servers' names, sorted, joined by "+". Each person is remembered on
// their own server, by its name.
func jobServer(names []string) string {
	sorted := slices.Clone(names)
	slices.SortFunc(sorted, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return strings.Join(sorted, "+")
}

// applyServers makes the job's servers from the profile's servers:, once
// the profile's other settings are applied to the job's flags: each
// server starts from the job's server flags (the profile's, the command
// line's, the environment's) and takes its own settings over them, but
// for a flag given on the command line (onCommandLine), which wins over
// the profile, its servers included. --url with servers: is a usage error.
func (o *runOptions) applyServers(p *profile, onCommandLine func(flag string) bool) error {
	if len(p.servers) == 0 {
		return nil
	}
	if onCommandLine("url") {
		return usagef("--url names one server, and the profile %s names its servers (servers: on line %d): give one: leave --url out, or run without the profile",
			p.path, p.serversLine)
	}
	// The profile's servers win over VICIDIAL_URL, as a profile's url would.
	o.server.url = ""
	passOnCommandLine := onCommandLine("api-pass-file") || onCommandLine("api-pass-env")
	var errs []error
	for _, ps := range p.servers {
		d := dialerOptions{name: ps.name, where: fmt.Sprintf("%s:%d: servers: %s", p.path, ps.line, ps.name), server: o.server}
		for _, s := range ps.settings {
			if s.flag == "api-pass-env" && !passOnCommandLine {
				d.server.passFile = "" // this server's variable, not the job's file
			}
		}
		errs = append(errs, p.set(d.server.flagSet(), ps.settings, func(flag string) bool {
			return onCommandLine(flag) || passOnCommandLine && (flag == "api-pass-file" || flag == "api-pass-env")
		})...)
		o.servers = append(o.servers, d)
	}
	return profileErrors(errs)
}

// flagSet returns a flag set of the settings a profile's server may have,
// bound to o.
func (o *serverOptions) flagSet() *pflag.FlagSet {
	fs := pflag.NewFlagSet("server", pflag.ContinueOnError)
	fs.StringVar(&o.url, "url", o.url, "")
	fs.StringVar(&o.apiUser, "api-user", o.apiUser, "")
	fs.StringVar(&o.passFile, "api-pass-file", o.passFile, "")
	fs.StringVar(&o.passEnv, "api-pass-env", o.passEnv, "")
	fs.Float64Var(&o.rate, "rate", o.rate, "")
	fs.IntVar(&o.workers, "workers", o.workers, "")
	fs.StringVar(&o.source, "source", o.source, "")
	fs.DurationVar(&o.timeout, "timeout", o.timeout, "")
	fs.IntVar(&o.retries, "retries", o.retries, "")
	fs.StringVar(&o.caFile, "ca-file", o.caFile, "")
	return fs
}

// dialers returns the job's servers for the pipeline: each with its own
// client (its own rate limiter and retries), pool size and API user, or
// with no client when online is false (an offline check).
func (o *runOptions) dialers(cmd *cobra.Command, getenv env, log zerolog.Logger, online bool) ([]batch.Dialer, error) {
	var out []batch.Dialer
	for _, d := range o.servers {
		dl := batch.Dialer{Name: d.name, APIUser: d.server.apiUser, Workers: d.server.workers}
		if online {
			c, err := d.server.client(cmd, getenv, log.With().Str("server", d.name).Logger())
			if err != nil {
				return nil, fmt.Errorf("%s: %w", d.where, err)
			}
			dl.Accounts = c
		}
		out = append(out, dl)
	}
	return out, nil
}

// jobRate is the job's requests per second, for the line that says how
// long the run will take: the rate at which the servers, each at its own,
// send the survey's requests (the last to finish sets it); 0 when every
// server's rate is unlimited.
func (o *runOptions) jobRate(s *batch.Survey) float64 {
	longest := 0.0
	for _, d := range o.servers {
		sub := s.Servers[d.name]
		if sub == nil || d.server.rate <= 0 {
			continue
		}
		longest = max(longest, float64(sub.Send)/d.server.rate)
	}
	if longest == 0 {
		return 0
	}
	return float64(s.Send) / longest
}

// withPasswords gives each of the job's servers the passwords the ledger
// generates for it (derived from the server's name and the person key).
func withPasswords(db *ledger.DB, dialers []batch.Dialer) error {
	for i := range dialers {
		pw, err := db.Passwords(dialers[i].Name)
		if err != nil {
			return &stateError{err: err, hint: "the key file beside the ledger (" + ledger.KeyPath(db.Path()) + ") is backed up with it; restore both"}
		}
		dialers[i].Passwords = pw
	}
	return nil
}

// earlierResultOfJob stands, for a job with several servers, for the
// import of an earlier result file no run in the ledger wrote (a result
// file from before the ledger, or from a lost one): its rows cannot be
// put on a server, so the run stops (exit 3) rather than forget what it
// says, unless --fresh moves it aside. One the ledger wrote, or not a
// result file, is left as it is.
func (o *runOptions) earlierResultOfJob(ctx context.Context, db *ledger.DB, f *files, log zerolog.Logger) error {
	if _, err := os.Stat(f.out); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if covered, err := db.WroteTo(ctx, f.outAbs); err != nil || covered {
		return err
	}
	prev, prevFile, err := openResult(f.out, o.input.reader())
	if err == nil {
		result := prev.IsResultFile()
		prev.Close()
		prevFile.Close()
		if !result {
			return nil
		}
	}
	if !o.ledger.fresh {
		what := "is the result file of a run this ledger does not know"
		if err != nil {
			what = fmt.Sprintf("cannot be read (%v), and no run in this ledger wrote it", err)
		}
		return &stateError{err: fmt.Errorf("the earlier result file %s %s", f.out, what),
			hint: "it may be the only record of accounts created before (a lost ledger): a job with several servers cannot tell on which server each of its rows was made, so it cannot learn them from it. " +
				"Check it, then run again with --fresh to move it aside (accounts with a login of their own are then found on their servers; AUTOGENERATED rows in it may be created again); or give this job another --out"}
	}
	aside, err := moveAside(f.out, "unknown")
	if err != nil {
		return err
	}
	log.Warn().Str("moved_to", aside).Msg("--fresh: the earlier result file, which no run in this ledger wrote, is moved aside (its rows are not known to the ledger)")
	return nil
}

// checkServers checks the safeguards of each server's rows (with that
// server's last run and known accounts) besides the whole feed's, and
// returns every one tripped, each naming its server. The limits in
// accounts (--max-new, --max-deactivate) count the whole feed only: a
// server's share of it is no more than the whole.
func checkServers(ctx context.Context, g batch.Safeguards, l batch.Ledger, input string, names []string, s *batch.Survey, whole *batch.SafeguardError) (*batch.SafeguardError, error) {
	if len(names) < 2 {
		return whole, nil // one server is the whole feed
	}
	var tripped []string
	if whole != nil {
		tripped = append(tripped, whole.Tripped...)
	}
	each := g
	each.MaxNew, each.MaxDeactivate = 0, 0
	for _, name := range names {
		sub := batch.Survey{}
		if s.Servers[name] != nil {
			sub = *s.Servers[name]
		}
		var last *batch.RunSummary
		if run, ok, err := l.LastRun(ctx, name, input); err != nil {
			return nil, err
		} else if ok {
			last = &run
		}
		known, err := l.Known(ctx, name, input)
		if err != nil {
			return nil, err
		}
		if t := each.Check(sub, last, known); t != nil {
			for _, msg := range t.Tripped {
				tripped = append(tripped, "server "+name+": "+msg)
			}
		}
	}
	if len(tripped) == 0 {
		return nil, nil
	}
	return &batch.SafeguardError{Tripped: tripped}, nil
}

// knownOn is how many accounts the ledger knows for input on the job's
// servers together.
func knownOn(ctx context.Context, l batch.Ledger, names []string, input string) (int, error) {
	total := 0
	for _, name := range names {
		n, err := l.Known(ctx, name, input)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}
