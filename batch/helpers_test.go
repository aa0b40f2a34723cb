package batch_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/vicidial"
	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// captured is one row a sink received.
type captured struct {
	Row batch.Row
	Out batch.Outcome
}

// captureSink records every row it is given, in order.
type captureSink struct {
	mu   sync.Mutex
	rows []captured
}

func (s *captureSink) Write(row batch.Row, out batch.Outcome) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rows = append(s.rows, captured{row, out})
	return nil
}

// byLine returns the outcome of the row on line.
func (s *captureSink) byLine(t *testing.T, line int) batch.Outcome {
	t.Helper()
	for _, c := range s.rows {
		if c.Row.Line == line {
			return c.Out
		}
	}
	t.Fatalf("no result for line %d", line)
	return batch.Outcome{}
}

// status returns the status a row was written with (a carried one's original).
func status(o batch.Outcome) batch.Status {
	if o.Carried != nil {
		return batch.Status(o.Carried.Status)
	}
	return o.Status
}

// newSim starts a simulator with opts on loopback.
func newSim(t *testing.T, opts vicidialtest.Options) *vicidialtest.Server {
	t.Helper()
	return vicidialtest.NewTestServer(t, opts)
}

// newClient returns a client of srv for an API user.
func newClient(t *testing.T, srv *vicidialtest.Server, user, pass string, log zerolog.Logger) *vicidial.Client {
	t.Helper()
	c, err := vicidial.New(vicidial.Config{URL: srv.URL, User: user, Pass: vicidial.Secret(pass),
		Timeout: 2e9, Retries: 2, Limiter: rate.NewLimiter(rate.Inf, 1), Logger: log,
		Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// reader opens csv text as an input.
func reader(t *testing.T, csv string) *batch.Reader {
	t.Helper()
	r, err := batch.NewReader(strings.NewReader(csv), "input.csv")
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// countFunctions counts the simulator's requests per API function.
func countFunctions(srv *vicidialtest.Server) map[string]int {
	n := map[string]int{}
	for _, r := range srv.Sim.Requests() {
		n[r.Function]++
	}
	return n
}

// logBuffer is a debug-level zerolog logger writing into a buffer.
func logBuffer() (*bytes.Buffer, zerolog.Logger) {
	var mu sync.Mutex
	buf := &bytes.Buffer{}
	w := zerolog.SyncWriter(&lockedWriter{mu: &mu, w: buf})
	return buf, zerolog.New(w).Level(zerolog.DebugLevel)
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func noSleep(context.Context, time.Duration) error { return nil }

func nopLogger() zerolog.Logger { return zerolog.Nop() }
