package ledger

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"time"
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
	slices.Sort(names)
	for i, n := range names {
		names[i] = path.Base(n)
	}

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
	return d.writeTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, d.dl.q("SELECT count(*) FROM migrations WHERE name = ?"), name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, text); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, d.dl.q("INSERT INTO migrations (name, applied_at) VALUES (?, ?)"), name, fmtTime(time.Now()))
		return err
	})
}
