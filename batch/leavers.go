package batch

import (
	"context"
	"fmt"
)

// leavers is the decision stage of the persons absent from the export:
// every person the ledger knows from this input, created by vicionboard
// and still active, whose key no row of the export has (present holds
// every row's, valid or not). Each is decided as a row after the input's,
// with no line.
func (r *run) leavers(ctx context.Context, columns []string, w *orderedWriter, out chan<- *task) {
	var gone []Person
	err := r.ledger.Persons(context.WithoutCancel(ctx), r.cfg.Server, r.cfg.Input, func(p Person) error {
		if leaving(p, r.present) {
			gone = append(gone, p)
		}
		return nil
	})
	if err != nil {
		r.stop(fmt.Errorf("ledger: %w", err))
		return
	}
	for _, p := range gone {
		row := Row{Cells: r.cfg.Keys.leaverCells(columns, p), Fields: Fields{Login: p.Login, FullName: p.FullName}}
		t := &task{row: row, slot: w.reserve(row)}
		t.facts = Facts{Row: row, Leaver: true, Person: p, Known: true, Key: p.Key, Stopped: r.stoppedWhy(ctx)}
		r.decide(t, out)
	}
}
