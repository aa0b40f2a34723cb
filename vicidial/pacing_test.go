package vicidial_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vicionboard/vicionboard/vicidial"
	"github.com/vicionboard/vicionboard/vicidial/pacing"
	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// recordingPacer admits everything and records what each attempt told it.
type recordingPacer struct {
	mu       sync.Mutex
	acquired int
	results  []pacing.Result
}

func (p *recordingPacer) Acquire(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.acquired++
	return nil
}

func (p *recordingPacer) Release(_ time.Duration, r pacing.Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.results = append(p.results, r)
}

func (p *recordingPacer) Limit() int { return 7 }

// TestPacerSeesEveryAttempt: every HTTP attempt, retries included, takes
// its turn from the pacer and tells it what happened: an answer (an API
// error too) is a sample, a 502 or a dropped connection a failure.
func TestPacerSeesEveryAttempt(t *testing.T) {
	tests := []struct {
		name    string
		faults  vicidialtest.Faults
		login   string
		retries int
		want    []pacing.Result
	}{
		{"success", nil, "pace1", 0, []pacing.Result{pacing.Answered}},
		{"API error", nil, "5555", 0, []pacing.Result{pacing.Answered}}, // USER ALREADY EXISTS
		{"502, retried", vicidialtest.Faults{vicidialtest.Fault502: 1}, "pace2", 2, []pacing.Result{pacing.Failed, pacing.Failed, pacing.Failed}},
		{"reset after sending", vicidialtest.Faults{vicidialtest.FaultResetAfter: 1}, "pace3", 2, []pacing.Result{pacing.Failed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Faults: tt.faults})
			p := &recordingPacer{}
			c, err := vicidial.New(vicidial.Config{URL: srv.URL, User: "6666", Pass: "1234", Retries: tt.retries, Pacer: p,
				Sleep: func(context.Context, time.Duration) error { return nil }})
			if err != nil {
				t.Fatal(err)
			}
			_, _ = c.AddUser(context.Background(), vicidial.AddUserRequest{Login: tt.login, Pass: "Start-2026x", Level: 1,
				FullName: "Pace Test", Group: "AGENTS"})
			if p.acquired != len(p.results) || fmt.Sprint(p.results) != fmt.Sprint(tt.want) {
				t.Errorf("%d acquired, results %v; want %v", p.acquired, p.results, tt.want)
			}
			if c.Limit() != 7 {
				t.Errorf("Limit() = %d, want the pacer's 7", c.Limit())
			}
		})
	}
}

// TestPacerBoundsRequestsInFlight: 12 concurrent calls through a pacer of
// 3 never have more than 3 requests at the server at once.
func TestPacerBoundsRequestsInFlight(t *testing.T) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Capacity: 100, Latency: 5 * time.Millisecond})
	c, err := vicidial.New(vicidial.Config{URL: srv.URL, User: "6666", Pass: "1234", Pacer: pacing.NewAdaptive(pacing.Config{Initial: 3, Max: 3})})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.AddUser(context.Background(), vicidial.AddUserRequest{Login: fmt.Sprintf("bound%02d", i), Pass: "Start-2026x",
				Level: 1, FullName: "Bound Test", Group: "AGENTS"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if st := srv.Sim.Load(); st.MaxBusy > 3 || st.Served != 12 {
		t.Errorf("simulator %+v: want 12 served, at most 3 at once", st)
	}
}

// TestPacerGivesUpWithTheContext: a call waiting for its turn ends with
// its context, and sends nothing.
func TestPacerGivesUpWithTheContext(t *testing.T) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	p := pacing.NewAdaptive(pacing.Config{Initial: 1, Max: 1})
	if err := p.Acquire(context.Background()); err != nil { // the only turn, taken
		t.Fatal(err)
	}
	c, err := vicidial.New(vicidial.Config{URL: srv.URL, User: "6666", Pass: "1234", Pacer: p})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := c.Version(ctx); err == nil {
		t.Fatal("Version went without a turn")
	}
	if n := len(srv.Sim.Requests()); n != 0 || c.Attempts() != 0 {
		t.Errorf("%d requests reached the server, %d attempts; want none", n, c.Attempts())
	}
}
