package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/vicionboard/vicionboard/batch/ledger"
)

// ledgerCommand is `vicionboard ledger`: commands on the ledger itself.
func (a *app) ledgerCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ledger",
		Short: "Commands on the ledger itself: copy it between SQLite and PostgreSQL; its servers and feeds by name",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(a.ledgerCopyCommand(), a.ledgerServersCommand(), a.ledgerNameCommand("set-url"),
		a.ledgerNameCommand("rename-server"), a.ledgerNameCommand("rename-feed"))
	return cmd
}

// copyOptions are the flags of `ledger copy`.
type copyOptions struct {
	fromKey, toKey string
}

func (a *app) ledgerCopyCommand() *cobra.Command {
	var o copyOptions
	cmd := &cobra.Command{
		Use:   "copy FROM TO",
		Short: "Copy a ledger (every run, row outcome and person) into a new ledger: SQLite into PostgreSQL, or back",
		Long: `Copy the ledger FROM into the ledger TO: every run, every row outcome and every person's record, and
the ledger's identity. FROM and TO are each a SQLite file's path or a postgres:// URL (write the
password in PGPASSWORD or a PGPASSFILE, not in the URL). TO must be new or empty: the copy never
goes over a ledger that holds runs or persons. It refuses while a run is in progress on FROM.

The key file stays the one FROM was made with: when TO is a SQLite file, FROM's key file is copied
beside it (TO.key); when TO is PostgreSQL, give FROM's key file to its runs (--ledger-key). A SQLite
FROM's key file is FROM.key; a PostgreSQL FROM's is --from-key.`,
		Example: `  vicionboard ledger copy /var/lib/vicionboard/ledger.db 'postgres://vicionboard@db.example.com/vicionboard'
  vicionboard ledger copy 'postgres://vicionboard@db.example.com/vicionboard' ledger.db --from-key /etc/vicionboard/ledger.key`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.ledgerCopy(cmd, args[0], args[1], &o)
		},
	}
	cmd.Flags().StringVar(&o.fromKey, "from-key", "", "FROM's key file (default FROM.key beside a SQLite FROM)")
	cmd.Flags().StringVar(&o.toKey, "to-key", "", "where TO's key file goes (default TO.key beside a SQLite TO; none for PostgreSQL)")
	return cmd
}

// ledgerCopy copies the ledger from into to.
func (a *app) ledgerCopy(cmd *cobra.Command, from, to string, o *copyOptions) error {
	ctx := cmd.Context()
	fromKey, toKey := o.fromKey, o.toKey
	if fromKey == "" && !ledger.IsPostgres(from) {
		fromKey = ledger.KeyPath(from)
	}
	if toKey == "" && !ledger.IsPostgres(to) {
		toKey = ledger.KeyPath(to)
	}
	shownFrom, shownTo := ledger.RedactLocation(from), ledger.RedactLocation(to)
	if !ledger.Exists(from) {
		return usagef("no ledger at %s", shownFrom)
	}
	createdKey, err := copyKeyFile(fromKey, toKey)
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if createdKey && !done {
			os.Remove(toKey) // the copy did not happen: no key file beside another ledger
		}
	}()
	src, err := ledger.Open(ctx, from, ledger.Options{KeyFile: fromKey})
	if err != nil {
		return &stateError{err: err, hint: "copy a ledger that opens: restore it from its backup first"}
	}
	defer src.Close()
	dst, err := openCopyTarget(cmd, to, toKey)
	if err != nil {
		return err
	}
	defer dst.Close()
	res, err := ledger.Copy(ctx, src, dst)
	if errors.Is(err, ledger.ErrNotEmpty) {
		return usagef("%v: give a new file, or an empty database or schema", err)
	}
	if err != nil {
		return err
	}
	if err := dst.Close(); err != nil {
		return err
	}
	done = true
	fmt.Fprintf(a.stdout, "copied ledger %s: %s, %s, %s, from %s to %s\n", dst.ID(),
		plural(res.Runs, "run"), plural(res.Outcomes, "row outcome"), plural(res.Persons, "person"), shownFrom, shownTo)
	switch {
	case toKey != "" && fromKey != "":
		fmt.Fprintf(a.stdout, "its key file: %s (a copy of %s)\n", toKey, fromKey)
	case fromKey != "":
		fmt.Fprintf(a.stdout, "its key file is still %s: give it to the runs on the copy (--ledger-key) and back it up apart from the database\n", fromKey)
	default:
		fmt.Fprintln(a.stdout, "give the runs on the copy the key file the original was made with (--ledger-key)")
	}
	return nil
}

// openCopyTarget opens the ledger a copy goes into: a new one (whose key
// file, when there is one, is the source's) or an empty one.
func openCopyTarget(cmd *cobra.Command, to, toKey string) (*ledger.DB, error) {
	opts := ledger.Options{KeyFile: toKey}
	dst, err := ledger.Open(cmd.Context(), to, opts)
	var ie *ledger.IdentityError
	if errors.As(err, &ie) && ie.Problem == ledger.IdentityNew {
		// A new ledger beside the source's key file: what a copy makes.
		opts.Fresh = true
		dst, err = ledger.Open(cmd.Context(), to, opts)
	}
	if err != nil {
		return nil, &stateError{err: err, hint: "copy into a new file, or an empty database or schema"}
	}
	return dst, nil
}

// copyKeyFile copies the key file from to to, when both are known and to
// does not exist yet (created says so); an existing to must hold the same
// key file.
func copyKeyFile(from, to string) (created bool, err error) {
	if from == "" || to == "" {
		return false, nil
	}
	b, err := os.ReadFile(from)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // a ledger that never used a key
	}
	if err != nil {
		return false, err
	}
	have, err := os.ReadFile(to)
	switch {
	case err == nil && bytes.Equal(have, b):
		return false, nil
	case err == nil:
		return false, usagef("%s exists and is another key file than %s: a copy goes into a new ledger only", to, from)
	case !errors.Is(err, fs.ErrNotExist):
		return false, err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		return false, err
	}
	return true, os.WriteFile(to, b, 0o600)
}
