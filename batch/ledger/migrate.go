package ledger

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/vicionboard/vicionboard/batch"
)

// migrations are the schema's versions, applied in name order.
//
//go:embed migration/*.sql
var migrations embed.FS

// migrate applies the migration/*.sql files of fsys that the ledger has not
// applied yet, in name order, each in its own transaction (holding the
// ledger's write turn, so that processes opening a new ledger at once
// apply each migration once) with its name recorded in the migrations
// table. It refuses a ledger that has applied a migration fsys does not
// have: a newer vicionboard wrote it.
//
// A migration is written once for both engines, in the dialect's portable
// SQL (see dialect: {{autoid}}, {{json}}, {{isjson "col"}}, {{nocase
// "expr"}}), and rendered for the ledger's engine before it runs.
func migrate(ctx context.Context, d *DB, fsys fs.FS) error {
	names, err := fs.Glob(fsys, "migration/*.sql")
	if err != nil {
		return err
	}
	for i, n := range names {
		names[i] = path.Base(n)
	}
	for n := range goMigrations {
		names = append(names, n)
	}
	slices.Sort(names)

	err = d.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (
			name       TEXT PRIMARY KEY,
			applied_at TEXT NOT NULL
		)`)
		return err
	})
	if err != nil {
		return err
	}
	applied, err := appliedMigrations(ctx, d.db)
	if err != nil {
		return err
	}
	for _, a := range applied {
		if !slices.Contains(names, a) {
			return fmt.Errorf("%w (its schema has migration %s, unknown to this version): "+
				"use that version or a later one", ErrNewerSchema, a)
		}
	}
	for _, n := range names {
		if slices.Contains(applied, n) {
			continue
		}
		if fn, ok := goMigrations[n]; ok {
			if err := migrateGo(ctx, d, n, fn); err != nil {
				return fmt.Errorf("migration %s: %w", n, err)
			}
			continue
		}
		text, err := fs.ReadFile(fsys, "migration/"+n)
		if err != nil {
			return err
		}
		rendered, err := d.dl.render(string(text))
		if err != nil {
			return fmt.Errorf("migration %s: %w", n, err)
		}
		if err := migrateOne(ctx, d, n, rendered); err != nil {
			return fmt.Errorf("migration %s: %w", n, err)
		}
	}
	return nil
}

// appliedMigrations lists the names in the migrations table.
func appliedMigrations(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM migrations ORDER BY name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// migrateOne applies one migration in a transaction, unless another
// process applied it since appliedMigrations looked.
func migrateOne(ctx context.Context, d *DB, name, text string) error {
	return applyOnce(ctx, d, name, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, text)
		return err
	})
}

// applyOnce runs a migration's apply and records its name, in one write
// transaction, unless the ledger has applied it already.
func applyOnce(ctx context.Context, d *DB, name string, apply func(*sql.Tx) error) error {
	return d.writeTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, d.dl.q("SELECT count(*) FROM migrations WHERE name = ?"), name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if err := apply(tx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, d.dl.q("INSERT INTO migrations (name, applied_at) VALUES (?, ?)"), name, fmtTime(time.Now()))
		return err
	})
}

// goMigrations are the migrations written in Go, applied in name order
// among the SQL ones: what SQL alone cannot do portably.
var goMigrations = map[string]func(ctx context.Context, d *DB, tx *sql.Tx) error{
	"0006_canonical_keys": canonicalKeys,
}

// migrateGo applies one Go migration in a transaction, unless another
// process applied it since appliedMigrations looked.
func migrateGo(ctx context.Context, d *DB, name string, fn func(context.Context, *DB, *sql.Tx) error) error {
	return applyOnce(ctx, d, name, func(tx *sql.Tx) error { return fn(ctx, d, tx) })
}

// canonicalKeys gives every person key of an HR id its canonical form
// (batch.CanonicalKey), in the persons and in the history. Two records
// whose ids become equal are never merged: the second keeps its key and is
// marked (batch.KeyConflictMark) for a person to resolve.
func canonicalKeys(ctx context.Context, d *DB, tx *sql.Tx) error {
	type rec struct{ server, key, applied string }
	rows, err := tx.QueryContext(ctx, d.dl.q(`SELECT server, person_key, applied FROM persons WHERE person_key LIKE 'key:%' ORDER BY server, person_key`))
	if err != nil {
		return err
	}
	var recs []rec
	held := map[[2]string]bool{}
	for rows.Next() {
		var r rec
		if err := rows.Scan(&r.server, &r.key, &r.applied); err != nil {
			rows.Close()
			return err
		}
		recs = append(recs, r)
		held[[2]string{r.server, r.key}] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range recs {
		canon, err := batch.ColumnKey(strings.TrimPrefix(r.key, "key:"))
		if err != nil || canon == r.key {
			continue // an id the ledger cannot read another way: kept as it is
		}
		if held[[2]string{r.server, canon}] {
			var applied map[string]string
			if err := json.Unmarshal([]byte(r.applied), &applied); err != nil || applied == nil {
				applied = map[string]string{}
			}
			applied[batch.KeyConflictMark] = canon
			b, _ := json.Marshal(applied)
			if _, err := tx.ExecContext(ctx, d.dl.q(`UPDATE persons SET applied = ? WHERE server = ? AND person_key = ?`), string(b), r.server, r.key); err != nil {
				return err
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, d.dl.q(`UPDATE persons SET person_key = ? WHERE server = ? AND person_key = ?`), canon, r.server, r.key); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, d.dl.q(`UPDATE outcomes SET person_key = ? WHERE person_key = ?`), canon, r.key); err != nil {
			return err
		}
		delete(held, [2]string{r.server, r.key})
		held[[2]string{r.server, canon}] = true
	}
	return nil
}

// KeyConflicts returns the persons whose HR id is another person's written
// another way (see canonicalKeys), for a run to say so.
func (d *DB) KeyConflicts(ctx context.Context) ([]batch.Person, error) {
	rows, err := d.query(ctx, `SELECT `+personColumns+` FROM persons WHERE {{jsonHas "applied" "_key_conflict"}} ORDER BY server, person_key`)
	if err != nil {
		return nil, d.wrap("key conflicts", err)
	}
	defer rows.Close()
	var ps []batch.Person
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, d.wrap("key conflicts", err)
		}
		ps = append(ps, p)
	}
	return ps, d.wrap("key conflicts", rows.Err())
}
