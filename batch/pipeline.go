package batch

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// claimAhead is how many rows the pipeline looks up and claims in the
// ledger ahead of the workers: a claim is durable (committed) before its
// request goes out, and claiming rows in groups, ahead, keeps that commit
// off the workers' path.
const claimAhead = 64

// run is the state of one pipeline (a run, a dry run or a planning pass).
type run struct {
	cfg   Config
	rules Rules
	dry   bool // ModeDryRun: outcomes are predictions
	log   zerolog.Logger
	// dialers are the run's servers by name (lower case), in order; ledger
	// is cfg.Ledger, or the dry run's view of it.
	dialers map[string]*dialer
	order   []*dialer
	ledger  Ledger
	gen     *generator
	runCtx  context.Context // Run's context: once it is done (an interrupt), no call starts

	// The indexes of the rows read so far: person keys (for duplicates),
	// and every row's key, valid or not, for who is in the export (nil
	// without --deactivate-missing). Each server has its own logins.
	keys, present *LoginIndex
	// unchecked says, once, that a dry run does not check generated
	// logins on the server.
	unchecked sync.Once
	// keyless counts the rows whose person key could not be read, and
	// keeps the first few lines: with any, the export proves nobody absent.
	keyless      int
	keylessLines []int
	// namedBy holds, by the key of a person the ledger knows, the row of
	// this export that names that person's login under another key (a
	// KEY_CONFLICT): such a person is not deactivated. Only the decision
	// stage writes it, and the leavers are decided after it.
	namedBy map[string]string

	// The run's own stop (the ledger or the result file failed): no row
	// is sent to any server. A server's fatal answer stops that server.
	stopOnce  sync.Once
	stopped   atomic.Bool
	stopCause error
}

// task is a row on its way through the stages.
type task struct {
	row   Row
	dl    *dialer // the row's server (nil for a row no server is named for)
	slot  chan<- Outcome
	facts Facts    // what the stages before the decision learnt
	d     Decision // what the decision stage decided

	claimed  bool // the ledger granted this run the person
	claimRes ClaimResult
	// applied, when set, is what the ledger records as the values applied
	// (instead of the plan's).
	applied map[string]string
	// exists: the account was created although the row is not done (a
	// copy whose own values failed).
	exists bool
	// probes are, in a dry run, the add_user probes of the rows up to this
	// one (see predictor.groupsFound).
	probes []probeKey
	// phone is what the phone stage did with the row's phone (phone.go).
	phone phoneState
}

// Run reads every row of in, decides each, carries the decisions out as
// cfg.Mode says, and writes every row's outcome to sink exactly once, in
// input order. A failed row is an outcome, not an error. Run returns a
// *StopError when a fatal condition stopped it, an error wrapping ctx's
// when it was interrupted, or the sink's or reader's error.
//
// The stages, each in its own file, are: read (read.go), look up
// (lookup.go), decide (decide.go, and leavers.go for the persons absent
// from the export), claim (claim.go), send (send.go), settle (settle.go),
// record (record.go) and write (write.go). A dry run is this pipeline with
// the Accounts of predict.go and the ledger view of dryledger.go; the
// planning pass stops after the decision stage (survey.go).
func Run(ctx context.Context, in Source, sink Sink, cfg Config) error {
	cfg = cfg.withDefaults()
	r := &run{cfg: cfg, rules: cfg.rules(), dry: cfg.Mode == ModeDryRun, log: cfg.Logger, runCtx: ctx,
		ledger: cfg.Ledger, keys: NewLoginIndex()}
	if cfg.DeactivateMissing {
		r.present = NewLoginIndex()
	}

	// Calls in flight outlive an interrupt by at most DrainTimeout.
	callCtx, cancelCalls := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelCalls()
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-ctx.Done():
			t := time.NewTimer(cfg.DrainTimeout)
			defer t.Stop()
			select {
			case <-t.C:
				cancelCalls()
			case <-finished:
			}
		case <-finished:
		}
	}()
	if err := r.start(ctx, callCtx); err != nil {
		return err
	}

	w := newOrderedWriter(sink, 4*cfg.Workers*len(r.order)+3*claimAhead+16, r.stop)
	toLook := make(chan *task, claimAhead)
	toClaim := make(chan *task, claimAhead)
	claimed := make(chan *task, claimAhead)
	looked := make(chan struct{})
	go func() {
		defer close(looked)
		r.lookStage(ctx, toLook, toClaim)
	}()
	go r.claimStage(callCtx, toClaim, claimed)
	dispatched := make(chan struct{})
	go func() {
		defer close(dispatched)
		for t := range claimed {
			r.dispatch(ctx, callCtx, t)
		}
	}()

	readErr := r.readStage(ctx, in, w, toLook)
	close(toLook)
	<-looked
	if r.present != nil && readErr == nil {
		r.leavers(ctx, in.Columns(), w, toClaim)
	}
	close(toClaim)
	<-dispatched
	for _, dl := range r.order {
		// Not errgroup.WithContext: a job's error must not cut off the
		// calls in flight; fatal conditions stop the run (or the server)
		// instead, and the jobs return no error.
		_ = dl.pool.Wait()
	}
	writeErr := w.close()
	flushErr := r.ledger.Flush(context.WithoutCancel(ctx))

	switch {
	case writeErr != nil:
		return writeErr
	case flushErr != nil:
		return fmt.Errorf("ledger: %w", flushErr)
	case readErr != nil:
		return readErr
	case r.stopError() != nil:
		return r.stopError()
	case ctx.Err() != nil:
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
	return nil
}

// decide runs the decision stage on a task whose facts are complete, and
// passes it on as the mode says: a planning pass writes every decision;
// otherwise a row that sends nothing is finished here, and the others go
// on to the claim stage.
func (r *run) decide(t *task, out chan<- *task) {
	t.d = Decide(t.facts, r.rules)
	if t.d.Outcome.Code == CodeKeyConflict {
		if r.namedBy == nil {
			r.namedBy = map[string]string{}
		}
		r.namedBy[t.facts.LoginHolder] = fmt.Sprintf("line %d (key %s)", t.row.Line, keyShown(t.d.Key))
	}
	switch {
	case r.cfg.Mode == ModeSurvey:
		o := t.d.Outcome
		o.Key, o.Decision = t.d.Key, &t.d
		if t.dl != nil && len(r.order) > 1 {
			o.Server = t.dl.name // counted per server too
		}
		t.slot <- o
	case !t.d.Step.Sends():
		t.slot <- r.finish(t, t.d.Outcome, t.d.Effect)
	default:
		if t.dl.predict != nil && t.d.Step == StepCreate {
			t.probes = t.dl.predict.noteAddKey(t.d.Plan)
		}
		out <- t
	}
}

// group returns batch with first, then the tasks in already waits with,
// up to claimAhead in all: a stage works on what is ready without waiting
// for more.
func group(batch []*task, first *task, in <-chan *task) []*task {
	batch = append(batch, first)
	for len(batch) < claimAhead {
		select {
		case t, ok := <-in:
			if !ok {
				return batch
			}
			batch = append(batch, t)
		default:
			return batch
		}
	}
	return batch
}

// stop makes the run stop sending; the first cause wins.
func (r *run) stop(cause error) {
	r.stopOnce.Do(func() {
		r.stopCause = cause
		r.stopped.Store(true)
		r.log.Error().Err(cause).Msg("stopping: no further rows will be sent")
	})
}

// stoppedWhy says why no more rows go to dl (nil: to any server), for
// their outcome ("not sent, the run was interrupted"), or "" while the run
// goes on.
func (r *run) stoppedWhy(ctx context.Context, dl *dialer) string {
	if !r.halted(dl) && ctx.Err() == nil && r.runCtx.Err() == nil {
		return ""
	}
	return r.notSentWhy(ctx, dl)
}

// notSentWhy says why a row was not sent: the run's stop cause, its
// server's, or an interrupt.
func (r *run) notSentWhy(ctx context.Context, dl *dialer) string {
	why := r.tense("the run was interrupted", "the check was interrupted")
	switch {
	case r.stopped.Load() && r.stopCause != nil:
		why = r.tense("the run stopped: ", "the check stopped: ") + r.stopCause.Error()
	case dl != nil && dl.stopped.Load() && dl.stopCause != nil:
		why = r.tense("the run stopped: ", "the check stopped: ") + dl.stopCause.Error()
	case ctx.Err() == nil && r.runCtx.Err() == nil:
		why = r.tense("the run stopped", "the check stopped")
	}
	return r.tense("not sent, ", "not checked, ") + why
}

// notAttempted is the outcome of a row the run did not send to dl.
func (r *run) notAttempted(ctx context.Context, dl *dialer) Outcome {
	return notAttempted(r.notSentWhy(ctx, dl))
}

// tense words a sentence for the mode: a run says what happened, a dry
// run what would.
func (r *run) tense(done, would string) string {
	if r.dry {
		return would
	}
	return done
}

func (r *run) now() time.Time { return r.cfg.Now() }
