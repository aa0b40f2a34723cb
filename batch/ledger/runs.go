package ledger

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vicionboard/vicionboard/batch"
)

// activeRun is a run begun by this DB and not finished: this DB holds its
// liveness lock.
type activeRun struct {
	id      batch.RunID
	dryRun  bool
	release func() error // makes the run dead to every process
}

// newRunID returns a run id: the start time (UTC, to the second) and six
// random hex digits, so that ids sort by start and do not collide across
// processes (a collision is detected when the run's lock is taken).
func newRunID(start time.Time) batch.RunID {
	var b [3]byte
	rand.Read(b[:])
	return batch.RunID(start.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:]))
}

// live reports whether run id is running, in this DB or in any other
// process or DB handle.
func (d *DB) live(id batch.RunID) (bool, error) {
	d.mu.Lock()
	_, mine := d.runs[id]
	d.mu.Unlock()
	if mine {
		return true, nil
	}
	return d.eng.live(context.Background(), id)
}

// active returns the run begun by this DB with id.
func (d *DB) active(id batch.RunID) (*activeRun, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, ErrClosed
	}
	r, ok := d.runs[id]
	if !ok {
		return nil, fmt.Errorf("run %s: %w", id, ErrRunNotActive)
	}
	return r, nil
}

// BeginRun records the start of a run and returns its id. The run is live
// (its claims are never taken over) until FinishRun, Close, or the death
// of this process.
func (d *DB) BeginRun(ctx context.Context, start batch.RunStart) (batch.RunID, error) {
	if d.isClosed() {
		return "", ErrClosed
	}
	if start.Started.IsZero() {
		start.Started = time.Now()
	}
	if err := d.lostSession(); err != nil {
		return "", err
	}
	var r *activeRun
	for try := 0; r == nil; try++ {
		id := newRunID(start.Started)
		release, collided, err := d.eng.lockRun(ctx, id)
		if err != nil {
			return "", fmt.Errorf("ledger %s: begin run: %w", d.path, err)
		}
		if collided && try == 10 {
			return "", fmt.Errorf("ledger %s: begin run: run id %s exists", d.path, id)
		}
		if !collided {
			r = &activeRun{id: id, release: release}
		}
	}
	r.dryRun = start.DryRun
	err := d.w.do(ctx, &op{kind: opFunc, apply: func(ctx context.Context, tx *txn) error {
		feed := start.Feed
		if feed == "" {
			feed = start.Input
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO runs
			(id, command, dry_run, server, input, input_sha256, out, version, started, feed)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.id, start.Command, boolInt(start.DryRun), start.Server, start.Input, start.InputHash,
			start.Out, start.Version, fmtTime(start.Started), feed)
		return err
	}})
	if err != nil {
		r.release()
		return "", fmt.Errorf("begin run: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		r.release()
		return "", ErrClosed
	}
	d.runs[r.id] = r
	if err := d.rememberRun(r.id); err != nil {
		delete(d.runs, r.id)
		r.release()
		return "", err
	}
	return r.id, nil
}

// FinishRun commits everything Record queued, records the end of run id,
// and releases the run: it is no longer live. It completes even when ctx is
// cancelled (an interrupted run is still recorded as finished). The error
// joins Flush's and the update's.
func (d *DB) FinishRun(ctx context.Context, id batch.RunID, end batch.RunEnd) error {
	r, err := d.active(id)
	if err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	flushErr := d.w.flush(ctx)
	statuses, err := json.Marshal(nonNil(end.Statuses))
	if err != nil {
		return err
	}
	codes, err := json.Marshal(nonNil(end.Codes))
	if err != nil {
		return err
	}
	if end.Ended.IsZero() {
		end.Ended = time.Now()
	}
	err = d.w.do(ctx, &op{kind: opFunc, apply: func(ctx context.Context, tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs
			SET ended = ?, rows = ?, statuses = ?, codes = ?, exit_code = ?, leavers = ?, stopped = ?
			WHERE id = ?`,
			fmtTime(end.Ended), end.Rows, string(statuses), string(codes), end.ExitCode, end.Leavers, end.Stopped, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n != 1 {
			return fmt.Errorf("run %s is not in the ledger", id)
		}
		return nil
	}})
	if err != nil {
		err = fmt.Errorf("finish run %s: %w", id, err)
	}
	d.mu.Lock()
	delete(d.runs, id)
	d.mu.Unlock()
	return errors.Join(flushErr, err, r.release())
}

// nonNil returns m, or an empty map for nil (stored as {}).
func nonNil[K comparable](m map[K]int) map[K]int {
	if m == nil {
		return map[K]int{}
	}
	return m
}

// runColumns are the columns scanRun reads.
const runColumns = `id, command, dry_run, server, input, input_sha256, out, version,
	started, ended, rows, statuses, codes, exit_code, leavers, stopped, feed`

// scanRun reads a row of runColumns.
func scanRun(s interface{ Scan(...any) error }) (batch.RunSummary, error) {
	var (
		r                         batch.RunSummary
		started, ended            sql.NullString
		rows, exit                sql.NullInt64
		statuses, codes           sql.NullString
		id                        string
		command, server, in, hash string
	)
	err := s.Scan(&id, &command, &r.Start.DryRun, &server, &in, &hash, &r.Start.Out, &r.Start.Version,
		&started, &ended, &rows, &statuses, &codes, &exit, &r.End.Leavers, &r.End.Stopped, &r.Start.Feed)
	if err != nil {
		return r, err
	}
	r.ID = batch.RunID(id)
	r.Start.Command, r.Start.Server, r.Start.Input, r.Start.InputHash = command, server, in, hash
	if r.Start.Started, err = parseTime(started); err != nil {
		return r, err
	}
	if r.End.Ended, err = parseTime(ended); err != nil {
		return r, err
	}
	r.End.Rows, r.End.ExitCode = int(rows.Int64), int(exit.Int64)
	if statuses.Valid {
		if err := json.Unmarshal([]byte(statuses.String), &r.End.Statuses); err != nil {
			return r, fmt.Errorf("run %s: statuses: %w", id, err)
		}
	}
	if codes.Valid {
		if err := json.Unmarshal([]byte(codes.String), &r.End.Codes); err != nil {
			return r, fmt.Errorf("run %s: codes: %w", id, err)
		}
	}
	return r, nil
}

// LastRun returns the latest-started run of feed on server that finished
// and was accepted (not a dry run, not refused by a safeguard: a refused
// run never becomes the baseline, so the same bad export is refused every
// time), or ok=false when there is none.
func (d *DB) LastRun(ctx context.Context, server, feed string) (batch.RunSummary, bool, error) {
	row := d.queryRow(ctx, `SELECT `+runColumns+` FROM runs
		WHERE server = ? AND feed = ? AND ended IS NOT NULL AND dry_run = 0 AND (exit_code IS NULL OR exit_code <> 4)
		ORDER BY started DESC, id DESC LIMIT 1`, server, feed)
	r, err := scanRun(row)
	if errors.Is(err, sql.ErrNoRows) {
		return batch.RunSummary{}, false, nil
	}
	if err != nil {
		return batch.RunSummary{}, false, d.wrap("last run", err)
	}
	return r, true, nil
}

// Runs returns up to limit runs (all of them when limit <= 0), newest
// first, unfinished ones included (their End is zero).
func (d *DB) Runs(ctx context.Context, limit int) ([]batch.RunSummary, error) {
	q, args := `SELECT `+runColumns+` FROM runs ORDER BY started DESC, id DESC`, []any{}
	if limit > 0 {
		q, args = q+` LIMIT ?`, append(args, limit)
	}
	rows, err := d.query(ctx, q, args...)
	if err != nil {
		return nil, d.wrap("runs", err)
	}
	defer rows.Close()
	var runs []batch.RunSummary
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, d.wrap("runs", err)
		}
		runs = append(runs, r)
	}
	return runs, d.wrap("runs", rows.Err())
}

// Run returns run id, or ok=false when the ledger has no such run.
func (d *DB) Run(ctx context.Context, id batch.RunID) (batch.RunSummary, bool, error) {
	r, err := scanRun(d.queryRow(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return batch.RunSummary{}, false, nil
	}
	if err != nil {
		return batch.RunSummary{}, false, d.wrap("run", err)
	}
	return r, true, nil
}

// WroteTo reports whether a run (not a dry run, not an import) recorded
// in the ledger wrote the result file out (an absolute path): the ledger
// then holds every outcome that file holds.
func (d *DB) WroteTo(ctx context.Context, out string) (bool, error) {
	var n int
	err := d.queryRow(ctx, `SELECT count(*) FROM runs WHERE out = ? AND dry_run = 0 AND command = 'run'`, out).Scan(&n)
	if err != nil {
		return false, d.wrap("runs", err)
	}
	return n > 0, nil
}

// AutogenTurn waits for and takes the turn to send an AUTOGENERATED
// request to server, among every process sharing this ledger (see
// sqliteEngine.turn and postgresEngine.turn: released when the process
// dies).
func (d *DB) AutogenTurn(ctx context.Context, server string) (func(), error) {
	release, err := d.eng.turn(ctx, server)
	if err != nil {
		return nil, fmt.Errorf("AUTOGENERATED turn: %w", err)
	}
	return release, nil
}
