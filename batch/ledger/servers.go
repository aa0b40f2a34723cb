package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vicionboard/vicionboard/batch"
)

// This file is what the ledger remembers of names: a server's name, which
// its persons are kept under and which survives a change of its URL; a
// feed's name (the nightly job a person was created by); and a person key,
// which a person may move to another one on purpose (rekey).

// ErrNameTaken is wrapped by a rename's error when the new name is in use.
var ErrNameTaken = errors.New("the name is taken")

// ErrNoSuchName is wrapped by a rename's error when the old name is unknown.
var ErrNoSuchName = errors.New("no such name")

// Server is a server the ledger knows.
type Server struct {
	Name    string    // the name its persons are kept under
	URL     string    // the URL it was last reached at
	Added   time.Time // when the ledger first met it
	Persons int       // how many persons have an account on it
}

// ServerByURL returns the name of the server the ledger knows at url, or
// ok=false.
func (d *DB) ServerByURL(ctx context.Context, url string) (name string, ok bool, err error) {
	err = d.queryRow(ctx, `SELECT name FROM servers WHERE url = ? ORDER BY name LIMIT 1`, url).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return name, err == nil, d.wrap("servers", err)
}

// SetServer records that the server name is at url: a new server, or a
// known one reached at a new URL (moved). An URL names one server: another
// name that had it loses it.
func (d *DB) SetServer(ctx context.Context, name, url string) error {
	now := fmtTime(time.Now())
	return d.wrap("servers", d.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, d.dl.q(`UPDATE servers SET url = '' WHERE url = ? AND name <> ?`), url, name); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, d.dl.q(`INSERT INTO servers (name, url, added) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET url = excluded.url`), name, url, now)
		return err
	}))
}

// Servers lists the servers the ledger knows, by name, with the number of
// persons with an account on each. A server its persons name but the
// servers table does not (a job of several servers names them in its
// profile) is listed too, without a URL.
func (d *DB) Servers(ctx context.Context) ([]Server, error) {
	rows, err := d.query(ctx, `SELECT s.name, s.url, s.added,
			(SELECT count(*) FROM persons AS p WHERE p.server = s.name AND p.state = 'created')
		FROM servers AS s
		UNION ALL
		SELECT p.server, '', min(p.updated_at), count(*) FROM persons AS p
		WHERE p.state = 'created' AND NOT EXISTS (SELECT 1 FROM servers AS s WHERE s.name = p.server)
		GROUP BY p.server
		ORDER BY 1`)
	if err != nil {
		return nil, d.wrap("servers", err)
	}
	defer rows.Close()
	var out []Server
	for rows.Next() {
		var s Server
		var added sql.NullString
		if err := rows.Scan(&s.Name, &s.URL, &added, &s.Persons); err != nil {
			return nil, d.wrap("servers", err)
		}
		if s.Added, err = parseTime(added); err != nil {
			return nil, d.wrap("servers", err)
		}
		out = append(out, s)
	}
	return out, d.wrap("servers", rows.Err())
}

// RecentPersons returns up to n persons with an account on server, the
// latest created first: a few accounts to look for on a URL the ledger
// does not know.
func (d *DB) RecentPersons(ctx context.Context, server string, n int) ([]batch.Person, error) {
	rows, err := d.query(ctx, `SELECT `+personColumns+` FROM persons
		WHERE server = ? AND state = 'created' AND login <> '' ORDER BY created_at DESC, person_key LIMIT ?`, server, n)
	if err != nil {
		return nil, d.wrap("persons", err)
	}
	defer rows.Close()
	var ps []batch.Person
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, d.wrap("persons", err)
		}
		ps = append(ps, p)
	}
	return ps, d.wrap("persons", rows.Err())
}

// RenameServer renames the server old to new: its record, its persons and
// its runs. It refuses a new name the ledger already uses.
func (d *DB) RenameServer(ctx context.Context, old, new string) error {
	both := `SELECT (SELECT count(*) FROM servers WHERE name = ?1) + (SELECT count(*) FROM persons WHERE server = ?1)`
	return d.rename(ctx, "server", old, new, both, both,
		[]string{`UPDATE servers SET name = ?2 WHERE name = ?1`, `UPDATE persons SET server = ?2 WHERE server = ?1`,
			`UPDATE runs SET server = ?2 WHERE server = ?1`, `UPDATE phones SET server = ?2 WHERE server = ?1`})
}

// Feeds returns the feeds that created the accounts the ledger knows on
// server, with how many each created.
func (d *DB) Feeds(ctx context.Context, server string) (map[string]int, error) {
	rows, err := d.query(ctx, `SELECT input, count(*) FROM persons WHERE server = ? AND state = 'created' GROUP BY input`, server)
	if err != nil {
		return nil, d.wrap("feeds", err)
	}
	defer rows.Close()
	feeds := map[string]int{}
	for rows.Next() {
		var f string
		var n int
		if err := rows.Scan(&f, &n); err != nil {
			return nil, d.wrap("feeds", err)
		}
		feeds[f] = n
	}
	return feeds, d.wrap("feeds", rows.Err())
}

// RenameFeed renames the feed old to new: the persons it created and its
// runs (a job that was known by its input's path and now has a name).
func (d *DB) RenameFeed(ctx context.Context, old, new string) error {
	both := `SELECT (SELECT count(*) FROM persons WHERE input = ?1) + (SELECT count(*) FROM runs WHERE feed = ?1)`
	return d.rename(ctx, "feed", old, new, both, both,
		[]string{`UPDATE persons SET input = ?2 WHERE input = ?1`, `UPDATE runs SET feed = ?2 WHERE feed = ?1`})
}

// rename runs a rename of what old to new in one write transaction: it
// refuses an old name that is used (oldQuery counts its uses) nowhere, and
// a new one that is used (newQuery, on new).
func (d *DB) rename(ctx context.Context, what, old, new, oldQuery, newQuery string, updates []string) error {
	if old == new || new == "" {
		return fmt.Errorf("rename %s %q to %q: give another, non-empty name", what, old, new)
	}
	err := d.writeTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, d.dl.q(oldQuery), old).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%s %q: %w", what, old, ErrNoSuchName)
		}
		if err := tx.QueryRowContext(ctx, d.dl.q(newQuery), new).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%s %q: %w", what, new, ErrNameTaken)
		}
		for _, u := range updates {
			if _, err := tx.ExecContext(ctx, d.dl.q(u), old, new); err != nil {
				return err
			}
		}
		return nil
	})
	return d.wrap("rename "+what, err)
}

// Rekey moves the person record old to the person key new on server, in
// one transaction, and records the move in history under run (a "rekey"
// run): a person whose HR key was corrected keeps their account. It
// refuses when new has a record already, or old has none.
func (d *DB) Rekey(ctx context.Context, run batch.RunID, server, old, new string) (batch.Person, error) {
	p, ok, err := d.Person(ctx, server, old)
	switch {
	case err != nil:
		return p, err
	case !ok:
		return p, fmt.Errorf("person %s on %s: %w", old, server, ErrNoSuchName)
	}
	if err := d.Flush(ctx); err != nil {
		return p, err
	}
	err = d.writeTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, d.dl.q(`SELECT count(*) FROM persons WHERE server = ? AND person_key = ?`), server, new).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("person %s on %s: %w (it has its own account)", new, server, ErrNameTaken)
		}
		if _, err := tx.ExecContext(ctx, d.dl.q(`UPDATE persons SET person_key = ?3 WHERE server = ?1 AND person_key = ?2`), server, old, new); err != nil {
			return err
		}
		if err := rekeyPhone(ctx, tx, d.dl, server, old, new); err != nil { // phones.go
			return err
		}
		_, err := tx.ExecContext(ctx, d.dl.q(`INSERT INTO outcomes (run_id, line, person_key, login, function, status, code, reason, at)
			VALUES (?, 0, ?, ?, '', 'SUCCESS', 'REKEYED', ?, ?)`), run, new, p.Login,
			fmt.Sprintf("person key %s moved to %s: account %s is now this person's (REKEYED)", old, new, p.Login), fmtTime(time.Now()))
		return err
	})
	if err != nil {
		return p, d.wrap("rekey", err)
	}
	p.Key = new
	return p, nil
}
