package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// ErrNotEmpty is wrapped by Copy's error when the target ledger holds
// runs or persons already: a copy never mixes two memories.
var ErrNotEmpty = errors.New("the target ledger is not empty")

// copyTables are the tables Copy copies, in the order their foreign keys
// need. The meta table comes last: the copy is the same ledger (its id,
// its key's fingerprint).
var copyTables = []string{"runs", "outcomes", "persons", "servers", "phones", "meta"}

// CopyResult counts what Copy copied.
type CopyResult struct {
	Runs, Outcomes, Persons int
}

// Copy copies every run, outcome and person record of from, and its
// identity, into to, which must be empty (ErrNotEmpty otherwise): a SQLite
// ledger into PostgreSQL, or back, or into another of the same engine. It
// reads from in one transaction (a consistent copy), and writes to in one
// transaction: an interrupted copy leaves to empty. It refuses while a run
// is live on from (ErrRunLive). The key file is not in either database:
// the copy is used with from's key file.
func Copy(ctx context.Context, from, to *DB) (CopyResult, error) {
	var res CopyResult
	if err := from.Flush(ctx); err != nil {
		return res, err
	}
	if id, ok, err := from.liveRun(ctx); err != nil {
		return res, from.wrap("copy", err)
	} else if ok {
		return res, fmt.Errorf("ledger %s: %w (run %s): copy it when the run has ended", from.path, ErrRunLive, id)
	}
	src, err := from.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: from.dl.name != "sqlite", Isolation: sqlIsolation(from)})
	if err != nil {
		return res, from.wrap("copy", err)
	}
	defer src.Rollback()
	err = to.writeTx(ctx, func(dst *sql.Tx) error {
		var used bool
		if err := dst.QueryRowContext(ctx, to.dl.q(`SELECT EXISTS (SELECT 1 FROM runs) OR EXISTS (SELECT 1 FROM persons)
			OR EXISTS (SELECT 1 FROM outcomes)`)).Scan(&used); err != nil {
			return err
		}
		if used {
			return fmt.Errorf("%w: a copy goes into a new ledger only", ErrNotEmpty)
		}
		if _, err := dst.ExecContext(ctx, `DELETE FROM meta`); err != nil {
			return err
		}
		for _, table := range copyTables {
			n, err := copyTable(ctx, src, dst, to.dl, table)
			if err != nil {
				return fmt.Errorf("copy %s: %w", table, err)
			}
			switch table {
			case "runs":
				res.Runs = n
			case "outcomes":
				res.Outcomes = n
			case "persons":
				res.Persons = n
			}
		}
		if to.dl.resetIDs != "" {
			if _, err := dst.ExecContext(ctx, to.dl.resetIDs); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return CopyResult{}, to.wrap("copy", err)
	}
	m, err := readMeta(ctx, to, to.db)
	if err != nil {
		return res, to.wrap("copy", err)
	}
	to.id = m.id
	return res, nil
}

// sqlIsolation is the isolation of Copy's read: a snapshot.
func sqlIsolation(d *DB) sql.IsolationLevel {
	if d.dl.name == "sqlite" {
		return sql.LevelDefault // a SQLite transaction reads one snapshot
	}
	return sql.LevelRepeatableRead
}

// copyTable copies every row of table from src to dst, column by column
// by name (the two schemas agree: see the schema test), and returns how
// many it copied.
func copyTable(ctx context.Context, src, dst *sql.Tx, dl *dialect, table string) (int, error) {
	rows, err := src.QueryContext(ctx, "SELECT * FROM "+table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	insert := dl.q("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES (?" +
		strings.Repeat(", ?", len(cols)-1) + ")")
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		for i, v := range vals {
			// Text (JSON included) goes as text: a []byte would be a BLOB
			// in SQLite.
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		if _, err := dst.ExecContext(ctx, insert, vals...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}
