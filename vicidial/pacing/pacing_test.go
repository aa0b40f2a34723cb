package pacing

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// clock is a fake time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestLimiter(initial, ceiling int, log zerolog.Logger) (*Adaptive, *clock) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	return NewAdaptive(Config{Initial: initial, Max: ceiling, Window: time.Nanosecond, Logger: log, Now: c.now}), c
}

// round admits as many attempts as the limit, lets d pass and releases
// them, each with latency d and result r.
func round(t *testing.T, a *Adaptive, c *clock, d time.Duration, r Result) {
	t.Helper()
	n := a.Limit()
	for range n {
		if err := a.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	c.advance(d)
	for range n {
		a.Release(d, r)
	}
}

func queued(a *Adaptive) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.queue)
}

func waitQueued(t *testing.T, a *Adaptive, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); queued(a) != n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("queue %d, want %d", queued(a), n)
		}
	}
}

// TestAcquireWaitsForTheLimit: a third attempt waits while two are in
// flight under a limit of 2, and goes once one is released.
func TestAcquireWaitsForTheLimit(t *testing.T) {
	a, _ := newTestLimiter(2, 8, zerolog.Nop())
	for range 2 {
		if err := a.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- a.Acquire(context.Background()) }()
	waitQueued(t, a, 1)
	select {
	case err := <-done:
		t.Fatalf("a third attempt went with two in flight under a limit of 2 (%v)", err)
	default:
	}
	a.Release(time.Millisecond, Ignored)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if a.inflight != 2 || queued(a) != 0 {
		t.Errorf("in flight %d, queued %d; want 2 and 0", a.inflight, queued(a))
	}
}

// TestAcquireGivesUp: a waiting Acquire whose context ends returns its
// error and leaves the queue; the slot it would have had stays free.
func TestAcquireGivesUp(t *testing.T) {
	a, _ := newTestLimiter(1, 8, zerolog.Nop())
	if err := a.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Acquire(ctx) }()
	waitQueued(t, a, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire: %v, want context.Canceled", err)
	}
	if queued(a) != 0 {
		t.Errorf("queue %d after giving up, want 0", queued(a))
	}
	a.Release(time.Millisecond, Ignored)
	if err := a.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestLimiterFollowsLatency drives the limiter through rounds of attempts
// on a fake clock: it grows under steady latency up to its ceiling,
// shrinks when latency doubles for two windows, holds when shrinking does not bring
// latency down (the server is slower for reasons of its own), shrinks
// after a failure, and ignores what Ignored attempts and attempts started
// before a change say.
func TestLimiterFollowsLatency(t *testing.T) {
	const ms = time.Millisecond
	var logs bytes.Buffer
	// A ceiling of 8, a window's samples: once there, a round is a window.
	a, c := newTestLimiter(2, 8, zerolog.New(&logs))
	for range 30 {
		round(t, a, c, 10*ms, Answered)
	}
	if got := a.Limit(); got != 8 {
		t.Fatalf("after steady latency, limit %d, want the ceiling 8", got)
	}
	for range 10 {
		round(t, a, c, 10*ms, Ignored)
	}
	if got := a.Limit(); got != 8 {
		t.Fatalf("after ignored attempts, limit %d, want 8 still", got)
	}
	round(t, a, c, 20*ms, Answered)
	if got := a.Limit(); got != 8 {
		t.Fatalf("after one window of twice the latency, limit %d, want 8 (it may be noise)", got)
	}
	round(t, a, c, 20*ms, Answered)
	// Twice in a row: 8 * (11 ms + 1 ms) / 20 ms = 4.8.
	if got := a.Limit(); got != 4 {
		t.Fatalf("after latency doubled, limit %d, want 4", got)
	}
	for range 4 {
		round(t, a, c, 20*ms, Answered)
	}
	if got := a.Limit(); got != 4 {
		t.Fatalf("latency stayed at 20 ms at 4: limit %d, want 4 held", got)
	}
	// An attempt that started before the change says nothing of the new
	// limit, even a failed one.
	if err := a.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	a.Release(time.Hour, Failed)
	if got := a.Limit(); got != 4 {
		t.Fatalf("after a failure of an attempt older than the change, limit %d, want 4", got)
	}
	round(t, a, c, 10*ms, Failed)
	if got := a.Limit(); got != 3 {
		t.Fatalf("after a failure, limit %d, want 3 (4 * 0.75)", got)
	}
	out := logs.String()
	if !strings.Contains(out, `"limit":8`) || !strings.Contains(out, `"why":"latency climbed"`) || !strings.Contains(out, `"why":"failures"`) {
		t.Errorf("the changes are not logged: %s", out)
	}
	if n := strings.Count(out, `"level":"info"`); n != 1 {
		t.Errorf("%d info lines within 30 s, want 1 (the others at debug level):\n%s", n, out)
	}
}

// TestLimiterUnderConcurrency: many goroutines through a limiter never
// have more attempts in flight than its limit.
func TestLimiterUnderConcurrency(t *testing.T) {
	a := NewAdaptive(Config{Initial: 3, Max: 3})
	var mu sync.Mutex
	inflight, peak := 0, 0
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if err := a.Acquire(context.Background()); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				inflight++
				peak = max(peak, inflight)
				mu.Unlock()
				time.Sleep(10 * time.Microsecond)
				mu.Lock()
				inflight--
				mu.Unlock()
				a.Release(10*time.Microsecond, Answered)
			}
		}()
	}
	wg.Wait()
	if peak > 3 || peak < 1 {
		t.Errorf("peak in flight %d, want 1 to 3", peak)
	}
}

// TestWindowLastsItsDuration: a window ends after its shortest duration,
// not before, however many samples it has.
func TestWindowLastsItsDuration(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	a := NewAdaptive(Config{Initial: 2, Max: 8, Window: 100 * time.Millisecond, Now: c.now})
	for i := range 9 { // 18 samples in 90 ms
		round(t, a, c, 10*time.Millisecond, Answered)
		if got := a.Limit(); got != 2 {
			t.Fatalf("after %d ms, limit %d: the window ended before its 100 ms", (i+1)*10, got)
		}
	}
	round(t, a, c, 10*time.Millisecond, Answered)
	if got := a.Limit(); got != 3 {
		t.Errorf("after 100 ms of calm, limit %d, want 3", got)
	}
}
