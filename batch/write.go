package batch

import "fmt"

// This file is the write stage: outcomes reach the Sink in input order,
// whatever order the workers finish in.

// orderedWriter hands outcomes to a Sink in input order, whatever order the
// workers finish in. At most a bounded number of rows wait in it, so memory
// does not grow with the input.
type orderedWriter struct {
	sink  Sink
	onErr func(error) // told of the first write error, to stop sending
	slots chan pending
	done  chan error
}

type pending struct {
	row Row
	out chan Outcome
}

// newOrderedWriter returns a writer that holds at most capacity rows
// waiting for their outcome.
func newOrderedWriter(sink Sink, capacity int, onErr func(error)) *orderedWriter {
	w := &orderedWriter{sink: sink, onErr: onErr, slots: make(chan pending, capacity), done: make(chan error, 1)}
	go w.loop()
	return w
}

// reserve takes the next place in the output for row; the caller sends the
// row's outcome on the returned channel exactly once.
func (w *orderedWriter) reserve(row Row) chan<- Outcome {
	p := pending{row: row, out: make(chan Outcome, 1)}
	w.slots <- p
	return p.out
}

func (w *orderedWriter) loop() {
	var err error
	for p := range w.slots {
		out := <-p.out
		if err == nil {
			if werr := w.sink.Write(p.row, out); werr != nil {
				err = fmt.Errorf("write result: %w", werr)
				w.onErr(err)
			}
		}
	}
	w.done <- err
}

// close waits for every reserved row to be written.
func (w *orderedWriter) close() error {
	close(w.slots)
	return <-w.done
}
