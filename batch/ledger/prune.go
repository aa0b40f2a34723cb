package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/vicionboard/vicionboard/batch"
)

// ErrBusy is wrapped by the error of Prune and Vacuum when another process
// kept the ledger's write lock for longer than the busy timeout.
var ErrBusy = errors.New("the ledger is busy")

// ErrRunLive is wrapped by Vacuum's error when a run is in progress on the
// ledger, in this process or another.
var ErrRunLive = errors.New("a run is in progress on the ledger")

// pruneChunk bounds the outcomes one transaction of Prune deletes, so that
// a run in progress in another process never waits long for the write lock.
const pruneChunk = 5000

// PrunedRun is a run whose outcomes Prune deleted (or would delete).
type PrunedRun struct {
	ID       batch.RunID
	Command  string
	DryRun   bool
	Input    string
	Started  time.Time
	Outcomes int // the outcome rows deleted (or to delete)
}

// PruneResult is what Prune deleted, or with dryRun would delete.
type PruneResult struct {
	Before   time.Time
	DryRun   bool
	Runs     []PrunedRun // oldest first
	Outcomes int         // the outcome rows deleted (or to delete), in all

	// Runs started before Before whose outcomes were kept whole.
	KeptUnfinished int // unfinished: live, or dead with claims perhaps unsettled
	KeptLast       int // the last finished run on their server and input
}

// Pruning says that a run's outcomes were pruned: when, and how many.
type Pruning struct {
	At   time.Time // zero while only partly pruned (an interrupted Prune)
	Rows int
}

// Prune deletes the outcomes (the rows of the outcomes table) of the
// finished runs that started before before, and marks each such run
// pruned (see Prunings). It keeps every runs row, with its counts, and
// every persons record: the memory of the accounts created, which is what
// prevents creating one twice, is never touched. It also keeps, whatever
// their age, the outcomes of every unfinished run (a live one, or a dead
// one whose claims may be unsettled) and of the last finished run that was
// not a dry run on each server and input (the run LastRun returns, which
// the safeguards compare with).
//
// With dryRun, Prune deletes nothing and returns what it would delete.
// Otherwise it deletes through the writer, at most pruneChunk rows per
// transaction, so that a run in progress in another process waits at most
// a moment for the write lock. An interrupted Prune (ctx cancelled, a
// crash) leaves whole outcomes of the runs it did not reach, and may be
// run again. The space freed is reused by later writes; Vacuum gives it
// back to the file system.
func (d *DB) Prune(ctx context.Context, before time.Time, dryRun bool) (PruneResult, error) {
	res := PruneResult{Before: before, DryRun: dryRun}
	if d.isClosed() {
		return res, ErrClosed
	}
	if err := d.prunePlan(ctx, &res); err != nil {
		return res, d.busyErr("prune", err)
	}
	if dryRun {
		return res, nil
	}
	planned := res.Runs
	res.Runs, res.Outcomes = nil, 0
	for _, r := range planned {
		n, err := d.pruneRun(ctx, r.ID)
		if n > 0 || err == nil {
			r.Outcomes = n
			res.Runs = append(res.Runs, r)
			res.Outcomes += n
		}
		if err != nil {
			return res, d.busyErr(fmt.Sprintf("prune run %s", r.ID), err)
		}
	}
	return res, nil
}

// prunePlan fills res with the runs started before res.Before whose
// outcomes Prune deletes, and counts those it keeps.
func (d *DB) prunePlan(ctx context.Context, res *PruneResult) error {
	rows, err := d.query(ctx, `WITH last AS (
			SELECT id FROM (
				SELECT id, row_number() OVER (PARTITION BY server, input ORDER BY started DESC, id DESC) AS n
				FROM runs WHERE ended IS NOT NULL AND dry_run = 0) AS ranked
			WHERE n = 1)
		SELECT r.id, r.command, r.dry_run, r.input, r.started, r.ended IS NOT NULL,
			r.id IN (SELECT id FROM last),
			(SELECT count(*) FROM outcomes AS o WHERE o.run_id = r.id)
		FROM runs AS r WHERE r.started < ?
		ORDER BY r.started, r.id`, fmtTime(res.Before))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			r              PrunedRun
			id, started    string
			finished, last bool
		)
		if err := rows.Scan(&id, &r.Command, &r.DryRun, &r.Input, &started, &finished, &last, &r.Outcomes); err != nil {
			return err
		}
		r.ID = batch.RunID(id)
		if r.Started, err = time.Parse(timeFormat, started); err != nil {
			return fmt.Errorf("run %s: start: %w", id, err)
		}
		switch {
		case r.Outcomes == 0:
			// Nothing to delete (pruned already, or no row).
		case !finished:
			res.KeptUnfinished++
		case last:
			res.KeptLast++
		default:
			res.Runs = append(res.Runs, r)
			res.Outcomes += r.Outcomes
		}
	}
	return rows.Err()
}

// pruneRun deletes run id's outcomes, pruneChunk at a time, each chunk in
// its own transaction of the writer, and marks the run pruned with the one
// that deletes the last of them. It returns how many it deleted.
func (d *DB) pruneRun(ctx context.Context, id batch.RunID) (int, error) {
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		var n int64
		err := d.w.do(ctx, &op{kind: opFunc, apply: func(ctx context.Context, tx *txn) error {
			// The join re-checks, in the transaction, that the run is finished.
			res, err := tx.ExecContext(ctx, `DELETE FROM outcomes WHERE id IN (
				SELECT o.id FROM outcomes AS o JOIN runs AS r ON r.id = o.run_id
				WHERE o.run_id = ? AND r.ended IS NOT NULL LIMIT ?)`, id, pruneChunk)
			if err != nil {
				return err
			}
			if n, err = res.RowsAffected(); err != nil {
				return err
			}
			if n == pruneChunk {
				_, err = tx.ExecContext(ctx, `UPDATE runs SET pruned_rows = pruned_rows + ? WHERE id = ?`, n, id)
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE runs SET pruned_rows = pruned_rows + ?, pruned_at = ?
				WHERE id = ? AND ended IS NOT NULL`, n, fmtTime(time.Now()), id)
			return err
		}})
		if err != nil {
			return total, err
		}
		total += int(n)
		if n < pruneChunk {
			return total, nil
		}
	}
}

// Prunings returns, by run, when Prune deleted the outcomes of each pruned
// run and how many: RunRows returns none for such a run (or, when Prune was
// interrupted in the middle of the run, only some: At is then zero).
func (d *DB) Prunings(ctx context.Context) (map[batch.RunID]Pruning, error) {
	rows, err := d.query(ctx, `SELECT id, pruned_at, pruned_rows FROM runs WHERE pruned_at IS NOT NULL OR pruned_rows > 0`)
	if err != nil {
		return nil, d.wrap("prunings", err)
	}
	defer rows.Close()
	m := map[batch.RunID]Pruning{}
	for rows.Next() {
		var (
			id string
			at sql.NullString
			p  Pruning
		)
		if err := rows.Scan(&id, &at, &p.Rows); err != nil {
			return nil, d.wrap("prunings", err)
		}
		if p.At, err = parseTime(at); err != nil {
			return nil, d.wrap("prunings", err)
		}
		m[batch.RunID(id)] = p
	}
	return m, d.wrap("prunings", rows.Err())
}

// Vacuum rewrites the ledger without the space of the rows Prune
// deleted: SQLite's VACUUM, then a checkpoint that truncates the WAL;
// PostgreSQL's VACUUM FULL. It returns the ledger's size (the file and
// its WAL; the tables and their indexes) before and after. VACUUM needs free disk space of up to twice the file's size, and
// holds the write lock for the whole rewrite: Vacuum therefore refuses
// (ErrRunLive) while a run is live, in this DB or any other process, and a
// run that begins meanwhile waits for it up to its busy timeout.
func (d *DB) Vacuum(ctx context.Context) (before, after int64, err error) {
	if d.isClosed() {
		return 0, 0, ErrClosed
	}
	if err := d.w.flush(ctx); err != nil {
		return 0, 0, err
	}
	if id, ok, err := d.liveRun(ctx); err != nil {
		return 0, 0, d.wrap("vacuum", err)
	} else if ok {
		return 0, 0, fmt.Errorf("ledger %s: %w (run %s): vacuum rewrites the whole file and would hold "+
			"the run's writes; vacuum when it has ended", d.path, ErrRunLive, id)
	}
	before = d.eng.size(ctx)
	if err := d.eng.vacuum(ctx); err != nil {
		return before, d.eng.size(ctx), d.busyErr("vacuum", err)
	}
	return before, d.eng.size(ctx), nil
}

// liveRun returns an unfinished run that is live, if any.
func (d *DB) liveRun(ctx context.Context) (batch.RunID, bool, error) {
	rows, err := d.query(ctx, `SELECT id FROM runs WHERE ended IS NULL`)
	if err != nil {
		return "", false, err
	}
	var ids []batch.RunID
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return "", false, err
		}
		ids = append(ids, batch.RunID(id))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", false, err
	}
	for _, id := range ids {
		live, err := d.live(id)
		if err != nil {
			return "", false, err
		}
		if live {
			return id, true, nil
		}
	}
	return "", false, nil
}

// IsBusy reports whether err says that another process kept the ledger's
// write lock for longer than the busy timeout.
func IsBusy(err error) bool {
	var (
		se *sqlite.Error
		pe *pgconn.PgError
	)
	return errors.Is(err, ErrBusy) || (errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY) ||
		(errors.As(err, &pe) && pe.Code == "55P03") // lock_not_available: lock_timeout passed
}

// busyErr is wrap, saying so clearly when another process kept the write
// lock past the busy timeout.
func (d *DB) busyErr(op string, err error) error {
	if IsBusy(err) {
		return fmt.Errorf("ledger %s: %s: %w: another process kept it locked for more than %s "+
			"(a run writing, or a vacuum); try again when it has ended: %v", d.path, op, ErrBusy, d.busy, err)
	}
	return d.wrap(op, err)
}
