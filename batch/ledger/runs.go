package ledger

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"

	"github.com/vicionboard/vicionboard/batch"
)

// activeRun is a run begun by this DB and not finished: this DB holds its
// lock file.
type activeRun struct {
	id     batch.RunID
	dryRun bool
	path   string // the lock file
	lock   *flock.Flock
}

// release makes the run dead to every process: it removes and unlocks the
// lock file.
func (r *activeRun) release() error {
	err := os.Remove(r.path)
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	return errors.Join(err, r.lock.Unlock())
}

// newRunID returns a run id: the start time (UTC, to the second) and six
// random hex digits, so that ids sort by start and do not collide across
// processes (a collision is detected when the lock file is created).
func newRunID(start time.Time) batch.RunID {
	var b [3]byte
	rand.Read(b[:])
	return batch.RunID(start.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:]))
}

// lockPath returns the lock file of run id, or "" for an id that cannot be
// a file name in the runs directory (no run of ours has such an id).
func (d *DB) lockPath(id batch.RunID) string {
	s := string(id)
	if s == "" || strings.HasPrefix(s, ".") || strings.ContainsAny(s, `/\`+"\x00") {
		return ""
	}
	return filepath.Join(d.runsDir, s+".lock")
}

// lockRun creates and locks the lock file of a new run. It reports
// collided when another run has the id.
func (d *DB) lockRun(id batch.RunID) (r *activeRun, collided bool, err error) {
	path := d.lockPath(id)
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	f.Close()
	// Between the creation and the lock, the file is free: sweepLocks
	// leaves young files alone, and no claim names the run yet.
	l := flock.New(path)
	ok, err := l.TryLock()
	if err == nil && !ok {
		err = fmt.Errorf("%s: locked by another process", path)
	}
	if err != nil {
		os.Remove(path)
		return nil, false, err
	}
	return &activeRun{id: id, path: path, lock: l}, false, nil
}

// live reports whether run id is running, in this DB or in any other
// process or DB handle: it is if its lock file is locked. A free lock file
// (its run is dead) is removed on the way.
func (d *DB) live(id batch.RunID) (bool, error) {
	d.mu.Lock()
	_, mine := d.runs[id]
	d.mu.Unlock()
	if mine {
		return true, nil
	}
	path := d.lockPath(id)
	if path == "" {
		return false, nil
	}
	return lockHeld(path)
}

// lockHeld reports whether another open file holds path's lock, and
// removes path when none does.
func lockHeld(path string) (bool, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	l := flock.New(path)
	ok, err := l.TryLock()
	if err != nil {
		return false, fmt.Errorf("liveness of run %s: %w", filepath.Base(path), err)
	}
	if !ok {
		return true, nil
	}
	os.Remove(path)
	return false, l.Unlock()
}

// sweepAge protects a lock file between its creation and its lock.
const sweepAge = time.Minute

// sweepLocks removes the lock files of dead runs (their processes died),
// best effort.
func (d *DB) sweepLocks() {
	ents, err := os.ReadDir(d.runsDir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".lock") {
			continue
		}
		if fi, err := e.Info(); err != nil || !fi.Mode().IsRegular() || time.Since(fi.ModTime()) < sweepAge {
			continue
		}
		lockHeld(filepath.Join(d.runsDir, e.Name()))
	}
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
	var r *activeRun
	for try := 0; r == nil; try++ {
		id := newRunID(start.Started)
		var collided bool
		var err error
		r, collided, err = d.lockRun(id)
		if err != nil {
			return "", fmt.Errorf("ledger %s: begin run: %w", d.path, err)
		}
		if collided && try == 10 {
			return "", fmt.Errorf("ledger %s: begin run: run id %s exists", d.path, id)
		}
	}
	r.dryRun = start.DryRun
	err := d.w.do(ctx, &op{kind: opFunc, apply: func(ctx context.Context, tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO runs
			(id, command, dry_run, server, input, input_sha256, out, version, started)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.id, start.Command, start.DryRun, start.Server, start.Input, start.InputHash,
			start.Out, start.Version, fmtTime(start.Started))
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
	started, ended, rows, statuses, codes, exit_code, leavers, stopped`

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
		&started, &ended, &rows, &statuses, &codes, &exit, &r.End.Leavers, &r.End.Stopped)
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

// LastRun returns the latest-started finished run that was not a dry run
// on server and input, or ok=false when there is none.
func (d *DB) LastRun(ctx context.Context, server, input string) (batch.RunSummary, bool, error) {
	row := d.db.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs
		WHERE server = ? AND input = ? AND ended IS NOT NULL AND dry_run = 0
		ORDER BY started DESC, id DESC LIMIT 1`, server, input)
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
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := d.db.QueryContext(ctx, `SELECT `+runColumns+` FROM runs
		ORDER BY started DESC, id DESC LIMIT ?`, limit)
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
	r, err := scanRun(d.db.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id))
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
	err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM runs WHERE out = ? AND dry_run = 0 AND command = 'run'`, out).Scan(&n)
	if err != nil {
		return false, d.wrap("runs", err)
	}
	return n > 0, nil
}

// autogenRetry is how often AutogenTurn tries the lock while another
// process holds it.
const autogenRetry = 5 * time.Millisecond

// AutogenTurn waits for and takes the turn to send an AUTOGENERATED
// request to server, among every process sharing this ledger: a lock file
// per server in the runs directory, held with flock (released by the
// kernel if the process dies).
func (d *DB) AutogenTurn(ctx context.Context, server string) (func(), error) {
	sum := sha256.Sum256([]byte(server))
	l := flock.New(filepath.Join(d.runsDir, "autogen-"+hex.EncodeToString(sum[:8])+".turn"))
	ok, err := l.TryLockContext(ctx, autogenRetry)
	if err != nil {
		return nil, fmt.Errorf("AUTOGENERATED turn: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("AUTOGENERATED turn: %w", ctx.Err())
	}
	return func() { _ = l.Unlock() }, nil
}
