package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/ledger"
	"github.com/vicionboard/vicionboard/vicidial"
)

// This file is how a job names what the ledger remembers it by: its feed
// (the nightly job, whatever its input file is called tonight) and its
// server (whatever URL reaches it tonight).

// nameOptions are the flags of a job's names.
type nameOptions struct {
	feed       string // --feed
	serverName string // --server-name
	newServer  bool   // --new-server
}

func (o *nameOptions) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.feed, "feed", "", "the nightly job's name, which stays the same when the input's file name changes (default: the profile's name, else the input's path): the safeguards, the leavers and history go by it")
	f.StringVar(&o.serverName, "server-name", "", "the server's name in the ledger, which stays the same when its URL changes (default: the one the ledger gave its URL)")
	f.BoolVar(&o.newServer, "new-server", false, "take a URL the ledger does not know for a new server, even when the accounts the ledger knows on another server are found there")
}

// feedOf is the job's feed: --feed (or the profile's feed:), else the
// profile's name (its file name without extension), else the input's
// absolute path (what every run before feeds were named was).
func (o *runOptions) feedOf(inputAbs string) string {
	switch {
	case o.names.feed != "":
		return o.names.feed
	case o.profile != "":
		return strings.TrimSuffix(filepath.Base(o.profile), filepath.Ext(o.profile))
	}
	return inputAbs
}

// serverOf names the job's one server in the ledger, as batch.Config.Server:
// --server-name; else the name the ledger knows its URL by; else, for a URL
// the ledger does not know while it knows other servers, a check that it
// is not one of them under another address (the same accounts found there
// with user_details: exit 4, saying how to tell the ledger); else the URL
// itself, a new server. A run records the server's URL under its name; a
// dry run records nothing.
func (o *runOptions) serverOf(ctx context.Context, db *ledger.DB, endpoint string, probe batch.Accounts, dry bool, log zerolog.Logger) (string, error) {
	name := o.names.serverName
	if name == "" {
		known, ok, err := db.ServerByURL(ctx, endpoint)
		switch {
		case err != nil:
			return "", err
		case ok:
			return known, nil
		}
		if !o.names.newServer && probe != nil {
			if err := sameServerElsewhere(ctx, db, endpoint, probe); err != nil {
				return "", err
			}
		}
		name = endpoint
	}
	if dry {
		return name, nil
	}
	if known, ok, err := db.ServerByURL(ctx, endpoint); err != nil {
		return "", err
	} else if !ok || known != name {
		log.Info().Str("server", name).Str("url", vicidial.RedactURL(endpoint)).Msg("the ledger knows this server by this name at this URL from now on")
	}
	return name, db.SetServer(ctx, name, endpoint)
}

// sameServerElsewhere looks, on the server at endpoint, for a few accounts
// the ledger knows on each other server: found with the same full names,
// this is that server under another address, and a run would create every
// person again. It returns the refusal (exit 4) that says so.
func sameServerElsewhere(ctx context.Context, db *ledger.DB, endpoint string, probe batch.Accounts) error {
	servers, err := db.Servers(ctx)
	if err != nil {
		return err
	}
	for _, s := range servers {
		if s.Persons == 0 {
			continue
		}
		persons, err := db.RecentPersons(ctx, s.Name, 3)
		if err != nil {
			return err
		}
		var found []string
		for _, p := range persons {
			d, err := probe.UserDetails(ctx, p.Login)
			switch {
			case err == nil && strings.EqualFold(strings.TrimSpace(d.FullName), strings.TrimSpace(p.FullName)):
				found = append(found, p.Login)
			case err != nil && vicidial.IsFatal(err):
				return err // the API user's credentials: the run stops on them anyway
			}
		}
		if len(found) > 0 {
			where := s.Name
			if s.URL != "" && s.URL != s.Name {
				where += " (at " + vicidial.RedactURL(s.URL) + ")"
			}
			return &batch.SafeguardError{Tripped: []string{fmt.Sprintf(
				"the server at %s is not one the ledger knows, but it has accounts the ledger knows on server %s (%s, with the same names): "+
					"the same dialer under another address, where a run would create everyone again? If so, tell the ledger: "+
					"vicionboard ledger set-url %s %s (or run with --server-name %s); if it is another dialer, run with --new-server",
				vicidial.RedactURL(endpoint), where, strings.Join(found, ", "), shellQuote(s.Name), shellQuote(vicidial.RedactURL(endpoint)), shellQuote(s.Name))}}
		}
	}
	return nil
}

// registerServers records, for a run of a job of several servers, each
// server's URL under its profile name; a URL the ledger knows under
// another name (the same dialer, named by its URL before the job had a
// profile) stops the run (exit 4) saying how to rename it.
func (o *runOptions) registerServers(ctx context.Context, db *ledger.DB, dialers map[string]string, dry bool) error {
	names := make([]string, 0, len(dialers))
	for n := range dialers {
		names = append(names, n)
	}
	sort.Strings(names)
	var tripped []string
	for _, name := range names {
		url := dialers[name]
		known, ok, err := db.ServerByURL(ctx, url)
		if err != nil {
			return err
		}
		if ok && known != name {
			tripped = append(tripped, fmt.Sprintf("server %s (%s) is the server the ledger knows as %s: its persons are kept under that name; "+
				"rename it first: vicionboard ledger rename-server %s %s", name, vicidial.RedactURL(url), known, shellQuote(known), shellQuote(name)))
			continue
		}
		if !dry {
			if err := db.SetServer(ctx, name, url); err != nil {
				return err
			}
		}
	}
	if len(tripped) > 0 {
		return &batch.SafeguardError{Tripped: tripped}
	}
	return nil
}

// newFeed is the refusal (exit 4) of a --deactivate-missing run on a feed
// the ledger has never seen on server while it knows accounts other feeds
// created there: every one of those persons is absent from this feed, and
// the feed may be an old one under a new name (rename it) rather than a
// new job. nil when the feed has a run, or nothing else is known.
func newFeed(ctx context.Context, db *ledger.DB, servers []string, feed string) (*batch.SafeguardError, error) {
	for _, server := range servers {
		if _, ok, err := db.LastRun(ctx, server, feed); err != nil || ok {
			return nil, err
		}
	}
	var others []string
	for _, server := range servers {
		feeds, err := db.Feeds(ctx, server)
		if err != nil {
			return nil, err
		}
		for f, n := range feeds {
			if f != feed {
				others = append(others, fmt.Sprintf("%s (%d on %s)", f, n, server))
			}
		}
	}
	if len(others) == 0 {
		return nil, nil
	}
	sort.Strings(others)
	return &batch.SafeguardError{Tripped: []string{fmt.Sprintf(
		"--deactivate-missing on the feed %q, which the ledger has never seen, while it knows accounts other feeds created: %s. "+
			"A person is a leaver only of the feed that created them; if this job was known by another name (its input's path, before --feed), "+
			"rename that feed: vicionboard ledger rename-feed OLD %s; if it is a new job, run it once without --deactivate-missing (or with --force)",
		feed, strings.Join(others, ", "), shellQuote(feed))}}, nil
}

// warnKeyConflicts says, at every run, which persons the ledger keeps
// apart although their HR ids are one id written two ways (from before
// person keys had one form): they are never deactivated until a person
// resolves them.
func warnKeyConflicts(ctx context.Context, db *ledger.DB, log zerolog.Logger) error {
	conflicts, err := db.KeyConflicts(ctx)
	if err != nil || len(conflicts) == 0 {
		return err
	}
	var which []string
	for _, p := range conflicts {
		which = append(which, fmt.Sprintf("%s (account %s) and %s", strings.TrimPrefix(p.Key, "key:"), p.Login,
			strings.TrimPrefix(p.Applied[batch.KeyConflictMark], "key:")))
	}
	log.Warn().Strs("persons", which).Msg("the ledger holds persons whose HR ids are one id written two ways (two accounts for one person?): " +
		"they are never deactivated; keep one: move the other's record with vicionboard rekey --key ID NEW-ID, and deactivate its account by hand")
	return nil
}

// shellQuote quotes s for a command line a person copies, when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@+=", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
