package ledger

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// opKind is what an operation of the writer's queue does.
type opKind int

const (
	opRecord  opKind = iota // a Record: nobody waits for it
	opClaim                 // a Claim: skipped if its context ended first, failed by an earlier record error
	opFunc                  // BeginRun, FinishRun: always attempted
	opBarrier               // Flush: answered once everything before it is committed
)

// op is one operation of the writer's queue.
type op struct {
	kind  opKind
	rows  int // rows it adds to a group commit
	apply func(ctx context.Context, tx *txn) error
	ctx   context.Context // opClaim: the caller's context
	done  chan error      // buffered; nil for opRecord
	err   error
}

// writer is the one goroutine that writes a DB. It commits operations in
// the order they were queued, grouping whatever is queued when a commit
// ends into the next transaction (up to maxBatch rows). Each operation runs
// under a savepoint, so that one failing rolls back only itself.
type writer struct {
	d   *DB
	ops chan *op

	mu      sync.RWMutex // held for reading while queueing; for writing by close
	closed  bool
	stopped chan struct{}

	errMu sync.Mutex
	err   error // the first error a queued record met; fails later records and claims

	// gate, when set by a test before the first operation is queued, is
	// received from before each group is collected.
	gate    chan struct{}
	commits atomic.Int64 // transactions committed, for tests
}

func newWriter(d *DB) *writer {
	w := &writer{d: d, ops: make(chan *op, queueSize), stopped: make(chan struct{})}
	go w.run()
	return w
}

// failed returns the first error a queued record met.
func (w *writer) failed() error {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	return w.err
}

func (w *writer) setFailed(err error) {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

// submit queues o. It blocks only while the queue is full.
func (w *writer) submit(ctx context.Context, o *op) error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return ErrClosed
	}
	select {
	case w.ops <- o:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// do queues o and waits for its commit. Once queued, it waits whatever
// ctx does: the caller must learn whether it was committed.
func (w *writer) do(ctx context.Context, o *op) error {
	o.done = make(chan error, 1)
	if err := w.submit(ctx, o); err != nil {
		return err
	}
	return <-o.done
}

// flush waits until everything queued before it is committed and returns
// the first error a queued record met.
func (w *writer) flush(ctx context.Context) error {
	o := &op{kind: opBarrier, done: make(chan error, 1)}
	if err := w.submit(ctx, o); err != nil {
		return err
	}
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close stops the writer once everything queued is committed.
func (w *writer) close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.ops)
	}
	w.mu.Unlock()
	<-w.stopped
}

func (w *writer) run() {
	defer close(w.stopped)
	for {
		first, ok := <-w.ops
		if !ok {
			return
		}
		if w.gate != nil {
			<-w.gate
		}
		group, rows := []*op{first}, first.rows
	collect:
		for rows < maxBatch {
			select {
			case o, ok := <-w.ops:
				if !ok {
					break collect
				}
				group, rows = append(group, o), rows+o.rows
			default:
				break collect
			}
		}
		w.exec(group)
	}
}

// exec commits a group and answers its operations.
func (w *writer) exec(group []*op) {
	var todo []*op
	for _, o := range group {
		switch {
		case o.kind == opBarrier:
			continue
		case o.kind == opRecord || o.kind == opClaim:
			if err := w.failed(); err != nil {
				o.err = err
				continue
			}
			if o.kind == opClaim && o.ctx.Err() != nil {
				o.err = o.ctx.Err()
				continue
			}
		}
		todo = append(todo, o)
	}
	if len(todo) > 0 {
		w.commit(todo)
	}
	for _, o := range todo {
		if o.kind == opRecord && o.err != nil {
			w.setFailed(o.err)
			break
		}
	}
	for _, o := range group {
		if o.kind == opBarrier {
			o.err = w.failed()
		}
		if o.done != nil {
			o.done <- o.err
		}
	}
}

// commit runs ops in one transaction, each under a savepoint, and sets
// the error of each that failed (all of them when the commit fails).
func (w *writer) commit(ops []*op) {
	ctx := context.Background()
	failAll := func(err error) {
		err = w.d.wrap("write", err)
		for _, o := range ops {
			if o.err == nil {
				o.err = err
			}
		}
	}
	sqlTx, err := w.d.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE (see dsn)
	if err != nil {
		failAll(err)
		return
	}
	tx := &txn{Tx: sqlTx, d: w.d, stmts: map[string]*sql.Stmt{}}
	for _, o := range ops {
		if _, err := tx.ExecContext(ctx, "SAVEPOINT op"); err != nil {
			tx.Rollback()
			failAll(err)
			return
		}
		if err := o.apply(ctx, tx); err != nil {
			o.err = w.d.wrap("write", err)
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO op"); err != nil {
				tx.Rollback()
				failAll(err)
				return
			}
		}
		if _, err := tx.ExecContext(ctx, "RELEASE op"); err != nil {
			tx.Rollback()
			failAll(err)
			return
		}
	}
	if err := tx.Commit(); err != nil {
		failAll(err)
		return
	}
	w.commits.Add(1)
}

// txn is the writer's transaction. Its ExecContext and QueryRowContext
// run the DB's prepared statements (see DB.prepared): SQLite then parses
// each statement once per connection, not once per row.
type txn struct {
	*sql.Tx
	d     *DB
	stmts map[string]*sql.Stmt // this transaction's handles of the DB's statements
}

// stmt returns the transaction's handle of query's prepared statement.
func (t *txn) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := t.stmts[query]; ok {
		return s, nil
	}
	ds, err := t.d.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	s := t.Tx.StmtContext(ctx, ds)
	t.stmts[query] = s
	return s, nil
}

// ExecContext executes query's prepared statement in the transaction.
func (t *txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

// QueryRowContext runs query's prepared statement in the transaction.
func (t *txn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := t.stmt(ctx, query)
	if err != nil {
		return t.Tx.QueryRowContext(ctx, query, args...) // reports the error
	}
	return s.QueryRowContext(ctx, args...)
}
