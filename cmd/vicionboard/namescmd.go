package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/ledger"
	"github.com/vicionboard/vicionboard/vicidial"
)

// This file holds the commands that tell the ledger, on purpose, what no
// run may guess: that a server moved to another URL, that a server or a
// feed has another name, that a person's HR key was corrected (rekey).

// adminOptions are the flags of the ledger's admin commands.
type adminOptions struct {
	ledger ledgerOptions
	log    logOptions
	format string
}

func (o *adminOptions) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.ledger.path, "ledger", "", "the ledger: a SQLite file, or a postgres:// URL (env VICIONBOARD_LEDGER; default $XDG_STATE_HOME/vicionboard/ledger.db)")
	o.ledger.registerKey(cmd)
	o.log.register(cmd)
}

// open opens the ledger of an admin command; it must exist.
func (a *app) openAdmin(ctx context.Context, o *adminOptions) (*ledger.DB, error) {
	log, err := a.logger(&o.log, a.stderr)
	if err != nil {
		return nil, err
	}
	path, err := o.ledger.ledgerPath(a.getenv)
	if err != nil {
		return nil, err
	}
	if !ledger.Exists(path) {
		return nil, usagef("no ledger at %s (give --ledger or set VICIONBOARD_LEDGER)", ledger.RedactLocation(path))
	}
	db, _, err := o.ledger.openLedger(ctx, a.getenv, log)
	return db, err
}

func (a *app) ledgerServersCommand() *cobra.Command {
	var o adminOptions
	cmd := &cobra.Command{
		Use:   "servers",
		Short: "List the servers the ledger knows: each one's name (what its persons are kept under), its URL, and how many accounts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openAdmin(cmd.Context(), &o)
			if err != nil {
				return err
			}
			defer db.Close()
			servers, err := db.Servers(cmd.Context())
			if err != nil {
				return err
			}
			format, err := tableFormat(o.format, a.stdout)
			if err != nil {
				return err
			}
			t := table{format: format, header: []string{"name", "url", "accounts", "since"}}
			for _, s := range servers {
				since := ""
				if !s.Added.IsZero() {
					since = s.Added.UTC().Format(time.DateOnly)
				}
				t.add(s.Name, vicidial.RedactURL(s.URL), strconv.Itoa(s.Persons), since)
			}
			return t.write(a.stdout)
		},
	}
	o.register(cmd)
	cmd.Flags().StringVar(&o.format, "format", "", "table, csv or json (default: table on a terminal, csv otherwise)")
	return cmd
}

// ledgerNameCommand is set-url, rename-server or rename-feed.
func (a *app) ledgerNameCommand(verb string) *cobra.Command {
	var o adminOptions
	docs := map[string][3]string{
		"set-url": {"set-url NAME URL", "Tell the ledger that the server NAME is now at URL (the same dialer under a new address)",
			"The server NAME keeps its persons, accounts and generated passwords; runs that name URL go to it.\nA run refuses (exit 4) a URL the ledger does not know where it finds accounts of a known server."},
		"rename-server": {"rename-server OLD NEW", "Rename the server OLD to NEW: its persons, runs and URL",
			"A job of several servers keeps each server's persons under the profile's name for it: rename a\nserver the ledger named by its URL to that name before the job's first run."},
		"rename-feed": {"rename-feed OLD NEW", "Rename the feed OLD to NEW: the persons it created, and its runs",
			"A feed is the nightly job a run belongs to (--feed, a profile's name, else the input's path): its\nruns are the safeguards' reference, and its persons its leavers. Rename a job known by its input's\npath to its name before its first run with --feed."},
	}[verb]
	cmd := &cobra.Command{Use: docs[0], Short: docs[1], Long: docs[1] + ".\n\n" + docs[2], Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := a.openAdmin(ctx, &o)
			if err != nil {
				return err
			}
			defer db.Close()
			switch verb {
			case "set-url":
				url, uerr := vicidial.Endpoint(args[1])
				if uerr != nil {
					return &usageError{uerr}
				}
				if known, ok, err := db.ServerByURL(ctx, url); err != nil {
					return err
				} else if ok && known != args[0] {
					return usagef("%s is the URL of server %s already: rename that server instead (vicionboard ledger rename-server)", vicidial.RedactURL(url), known)
				}
				err = db.SetServer(ctx, args[0], url)
				args[1] = vicidial.RedactURL(url)
			case "rename-server":
				err = db.RenameServer(ctx, args[0], args[1])
			default:
				err = db.RenameFeed(ctx, args[0], args[1])
			}
			if errors.Is(err, ledger.ErrNoSuchName) || errors.Is(err, ledger.ErrNameTaken) {
				return usagef("%w", err)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s: %s -> %s\n", verb, args[0], args[1])
			return nil
		}}
	o.register(cmd)
	return cmd
}

// rekeyOptions are the flags of rekey.
type rekeyOptions struct {
	adminOptions
	server string
}

func (a *app) rekeyCommand() *cobra.Command {
	var o rekeyOptions
	cmd := &cobra.Command{
		Use:   "rekey --key OLD NEW",
		Short: "Move a person's record from the HR id OLD to NEW: their account stays theirs when HR corrects a key",
		Long: `Move the ledger's record of the person with the HR id OLD (the --key column's value) to NEW, on
every server that has one (or on --server-name's): the account, its login and the values applied go
with it, and history records the move. A run holds a row whose identity looks mistaken (a known key
naming another person, a new key naming a known person: IDENTITY_CHANGED, KEY_CONFLICT) until a
person decides: when HR corrected the key, rekey is that decision. It refuses a NEW that has an
account of its own.`,
		Example: `  vicionboard rekey --key E10 E11 --ledger /var/lib/vicionboard/ledger.db`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.rekey(cmd, &o, args[0])
		},
	}
	o.register(cmd)
	cmd.Flags().StringVar(&o.ledger.key, "key", "", "the HR id to move the record from")
	cmd.Flags().StringVar(&o.server, "server-name", "", "only the record on this server (its name in the ledger: vicionboard ledger servers)")
	return cmd
}

// rekey is the rekey command.
func (a *app) rekey(cmd *cobra.Command, o *rekeyOptions, newID string) error {
	ctx := cmd.Context()
	if o.ledger.key == "" {
		return usagef("give the HR id to move the record from: --key OLD")
	}
	old, err := batch.ColumnKey(o.ledger.key)
	if err != nil {
		return usagef("--key: %w", err)
	}
	nu, err := batch.ColumnKey(newID)
	if err != nil {
		return usagef("NEW: %w", err)
	}
	db, err := a.openAdmin(ctx, &o.adminOptions)
	if err != nil {
		return err
	}
	defer db.Close()
	servers := []string{o.server}
	if o.server == "" {
		all, err := db.Servers(ctx)
		if err != nil {
			return err
		}
		servers = servers[:0]
		for _, s := range all {
			servers = append(servers, s.Name)
		}
	}
	id, err := db.BeginRun(ctx, batch.RunStart{Command: "rekey", Input: old + " -> " + nu, Version: versionString(), Started: time.Now()})
	if err != nil {
		return err
	}
	moved, exit := 0, exitOK
	var failure error
	for _, server := range servers {
		if _, ok, err := db.Person(ctx, server, old); err != nil || !ok {
			if err != nil {
				failure = err
			}
			continue
		}
		p, err := db.Rekey(ctx, id, server, old, nu)
		if err != nil {
			failure = err
			continue
		}
		moved++
		fmt.Fprintf(a.stdout, "server %s: account %s moved from %s to %s\n", server, p.Login, o.ledger.key, newID)
	}
	if failure == nil && moved == 0 {
		failure = usagef("the ledger has no record of %s on %s", o.ledger.key, describeServers(o.server))
	}
	if failure != nil {
		exit = exitCode(failure)
	}
	if err := db.FinishRun(context.WithoutCancel(ctx), id, batch.RunEnd{Ended: time.Now(), Rows: moved, ExitCode: exit}); err != nil && failure == nil {
		failure = err
	}
	if errors.Is(failure, ledger.ErrNameTaken) {
		return usagef("%w", failure)
	}
	return failure
}

func describeServers(server string) string {
	if server == "" {
		return "any server"
	}
	return "server " + server
}
