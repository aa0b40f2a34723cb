package batch

import (
	"context"
	"fmt"
)

// lookStage is the look-up stage: it reads the ledger's records of the
// persons of the rows read, in groups (one read for up to claimAhead rows
// instead of one a row), completes each row's facts with its record and
// whether the run still sends, and hands the rows, in order, to the
// decision stage.
func (r *run) lookStage(ctx context.Context, in <-chan *task, out chan<- *task) {
	batch := make([]*task, 0, claimAhead)
	keys := make([]string, 0, claimAhead)
	for t := range in {
		batch = group(batch[:0], t, in)
		keys = keys[:0]
		for _, t := range batch {
			if t.facts.Key != "" {
				keys = append(keys, t.facts.Key)
			}
		}
		var persons map[string]Person
		var err error
		if len(keys) > 0 {
			// Not cancelled by an interrupt: a look-up cut off would stop
			// the run as if the ledger had failed.
			persons, err = r.ledger.PersonsByKey(context.WithoutCancel(ctx), r.cfg.Server, keys)
			if err != nil {
				r.stop(fmt.Errorf("ledger: %w", err))
			}
		}
		for _, t := range batch {
			f := &t.facts
			if f.Key != "" {
				f.PersonErr = err
				f.Person, f.Known = persons[f.Key]
			}
			f.Stopped = r.stoppedWhy(ctx)
			r.decide(t, out)
		}
	}
}
