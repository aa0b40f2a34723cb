package batch

import (
	"context"
	"fmt"
	"strings"
)

// leavers is the decision stage of the persons absent from the export:
// every person the ledger knows from this input, created by vicionboard
// and still active, whose key no row of the export has (present holds
// every row's, valid or not). Each is decided as a row after the input's,
// with no line.
func (r *run) leavers(ctx context.Context, columns []string, w *orderedWriter, out chan<- *task) {
	incomplete := ""
	if r.keyless > 0 {
		lines := make([]string, len(r.keylessLines))
		for i, l := range r.keylessLines {
			lines[i] = fmt.Sprint(l)
		}
		incomplete = fmt.Sprintf("the person key of line %s could not be read", strings.Join(lines, ", "))
		if more := r.keyless - len(r.keylessLines); more > 0 {
			incomplete += fmt.Sprintf(" (and of %d more rows)", more)
		}
	}
	for _, dl := range r.order {
		var gone []Person
		err := r.ledger.Persons(context.WithoutCancel(ctx), dl.name, r.cfg.Input, func(p Person) error {
			if leaving(p, r.present) {
				gone = append(gone, p)
			}
			return nil
		})
		if err != nil {
			r.stop(fmt.Errorf("ledger: %w", err))
			return
		}
		tasks := make([]*task, len(gone))
		for i, p := range gone {
			row := Row{Cells: r.cfg.Keys.leaverCells(columns, p), Fields: Fields{Login: p.Login, FullName: p.FullName, Server: dl.name}}
			tasks[i] = &task{row: row, dl: dl}
			tasks[i].facts = Facts{Row: row, Leaver: true, Person: p, Known: true, Key: p.Key,
				Incomplete: incomplete, NamedBy: r.namedBy[p.Key]}
		}
		for len(tasks) > 0 {
			group := tasks[:min(len(tasks), claimAhead)]
			tasks = tasks[len(group):]
			r.leaverPhones(ctx, group) // phone.go
			for _, t := range group {
				t.slot, t.facts.Stopped = w.reserve(t.row), r.stoppedWhy(ctx, dl)
				r.decide(t, out)
			}
		}
	}
}
