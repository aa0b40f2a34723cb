// Package pacing decides how many HTTP attempts may be in flight at once,
// following the server's latency as Netflix's concurrency-limits and TCP
// Vegas do: the limit grows while latency stays near the lowest seen, and
// shrinks in proportion when latency climbs (the server is queueing: its
// workers are busy, with live calls or with us) or when attempts fail.
//
// The vicidial client calls Acquire before every attempt and Release after
// it with the latency it observed; the limiter never sees a request.
package pacing

import (
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// Result is what an attempt said about the server.
type Result int

// The results.
const (
	// Answered: the server answered (an API error included): its latency
	// is a sample.
	Answered Result = iota
	// Failed: a timeout, a dropped connection, or an answer saying the
	// server is overloaded (HTTP 429 or 5xx). The limit shrinks.
	Failed
	// Ignored: the caller gave up (its context ended); says nothing.
	Ignored
)

// Limiter admits HTTP attempts. The vicidial client calls Acquire before
// each attempt and Release when it has ended; implementations are safe for
// concurrent use.
type Limiter interface {
	// Acquire waits until one more attempt may be in flight, or until ctx
	// is done (its error is returned then, and nothing is to be released).
	Acquire(ctx context.Context) error
	// Release ends an attempt that Acquire admitted, with the latency the
	// caller observed (from sending to the end of the answer) and what it
	// says about the server.
	Release(latency time.Duration, r Result)
	// Limit returns how many attempts may be in flight now.
	Limit() int
}

// Defaults of Config.
const (
	DefaultInitial = 2
	DefaultMax     = 8
	DefaultWindow  = 100 * time.Millisecond
)

// Config configures an Adaptive limiter.
type Config struct {
	Initial int // the starting limit; default DefaultInitial (gentle: a dialer's database also serves live calls)
	Max     int // the ceiling (--workers); default DefaultMax
	// Window is the shortest a window of samples lasts; default
	// DefaultWindow. A longer one averages a busy machine's stalls out.
	Window time.Duration
	Logger zerolog.Logger
	Now    func() time.Time // default time.Now; tests replace it
}

// Adaptive is a concurrency limit that follows the server's latency (see
// the package's doc and rules). It is safe for concurrent use.
type Adaptive struct {
	now     func() time.Time
	window  time.Duration // the shortest window
	log     zerolog.Logger
	current atomic.Int64

	mu       sync.Mutex
	rules    rules
	inflight int
	queue    []*waiter
	win      window
	// changed is when the limit last changed, or, after it shrank, when
	// the attempts in flight fell to it: attempts started before are not
	// samples of the new limit (they queued behind more attempts).
	changed  time.Time
	draining bool      // the limit shrank, and more attempts than it are in flight
	infoAt   time.Time // when the limit was last logged at info level
	infoLast int
}

var _ Limiter = (*Adaptive)(nil)

// waiter is an Acquire waiting for its turn; ready receives a token when
// it is admitted. Waiters are reused: with more callers than the limit,
// every attempt waits.
type waiter struct {
	ready    chan struct{}
	admitted bool
}

var waiters = sync.Pool{New: func() any { return &waiter{ready: make(chan struct{}, 1)} }}

// infoEvery is how often, at most, a change of the limit is logged at info
// level (every change is logged at debug level).
const infoEvery = 30 * time.Second

// NewAdaptive returns an adaptive limiter for cfg.
func NewAdaptive(cfg Config) *Adaptive {
	if cfg.Max < 1 {
		cfg.Max = DefaultMax
	}
	if cfg.Initial < 1 {
		cfg.Initial = DefaultInitial
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	a := &Adaptive{now: cfg.Now, log: cfg.Logger, window: cfg.Window, rules: newRules(min(cfg.Initial, cfg.Max), cfg.Max)}
	a.current.Store(int64(a.rules.limit))
	a.changed = a.now()
	a.win.start = a.changed
	a.infoLast = a.rules.limit
	return a
}

// Limit returns the current limit.
func (a *Adaptive) Limit() int { return int(a.current.Load()) }

// Acquire waits, in arrival order, until fewer attempts than the limit are
// in flight.
func (a *Adaptive) Acquire(ctx context.Context) error {
	a.mu.Lock()
	if len(a.queue) == 0 && a.inflight < a.rules.limit {
		a.inflight++
		if a.inflight >= a.rules.limit {
			a.win.saturated = true
		}
		a.mu.Unlock()
		return nil
	}
	w := waiters.Get().(*waiter)
	w.admitted = false
	a.queue = append(a.queue, w)
	a.win.saturated = true
	a.mu.Unlock()
	select {
	case <-w.ready:
		waiters.Put(w)
		return nil
	case <-ctx.Done():
		a.mu.Lock()
		defer a.mu.Unlock()
		if w.admitted {
			<-w.ready // the token admit sent
			a.inflight--
			a.admit()
		} else {
			for i, q := range a.queue {
				if q == w {
					a.queue = append(a.queue[:i], a.queue[i+1:]...)
					break
				}
			}
		}
		waiters.Put(w)
		return ctx.Err()
	}
}

// admit lets waiters in while the limit allows; the lock is held.
func (a *Adaptive) admit() {
	for len(a.queue) > 0 && a.inflight < a.rules.limit {
		w := a.queue[0]
		a.queue[0] = nil
		a.queue = a.queue[1:]
		w.admitted = true
		a.inflight++
		w.ready <- struct{}{}
	}
}

// Release ends an attempt. Its latency counts towards the current window
// when the attempt started after the last change of the limit; a window
// ends after as many samples as the limit (at least minWindow) and its
// shortest duration, or at the
// first failure, and the rules then decide the next limit.
func (a *Adaptive) Release(latency time.Duration, r Result) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.inflight--
	now := a.now()
	if a.draining && a.inflight <= a.rules.limit {
		a.draining, a.changed = false, now
	}
	if r != Ignored && !a.draining && !now.Add(-latency).Before(a.changed) {
		if r == Failed {
			a.win.failed++
		} else {
			a.win.latencies = append(a.win.latencies, latency)
		}
		if a.win.failed > 0 || (len(a.win.latencies) >= max(a.rules.limit, minWindow) && now.Sub(a.win.start) >= a.window) {
			a.decide(now)
		}
	}
	a.admit()
}

// decide applies the rules to the window that ended; the lock is held.
func (a *Adaptive) decide(now time.Time) {
	w := a.win
	before := a.rules.limit
	why := a.rules.next(w)
	a.win = window{latencies: w.latencies[:0], start: now, saturated: len(a.queue) > 0 || a.inflight >= a.rules.limit}
	if a.rules.limit == before {
		return
	}
	a.changed = now
	a.draining = a.inflight > a.rules.limit
	a.current.Store(int64(a.rules.limit))
	ev := a.log.Debug()
	if now.Sub(a.infoAt) >= infoEvery && a.rules.limit != a.infoLast {
		ev = a.log.Info()
		a.infoAt, a.infoLast = now, a.rules.limit
	}
	ev.Int("limit", a.rules.limit).Int("was", before).Str("why", why).
		Float64("latency_ms", ms(a.rules.last)).Float64("lowest_ms", ms(a.rules.lowest)).
		Msg("requests in flight at once")
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }

// minWindow is the fewest samples a window has: fewer would be noise.
const minWindow = 8

// window is what the attempts of one window said.
type window struct {
	latencies []time.Duration // of the attempts answered
	failed    int
	saturated bool      // the limit was reached: more attempts wanted to go
	start     time.Time // when the window began
}

// latency is the window's latency: the mean of its latencies, each at most
// twice their median. The mean is what follows the queue (by Little's law
// it is the attempts in flight over the server's throughput, however the
// waits are spread among requests); the cap keeps a rare stall (a busy
// client machine, a new connection) from passing for a queue. It sorts
// the latencies.
func (w window) latency() time.Duration {
	n := len(w.latencies)
	if n == 0 {
		return 0
	}
	slices.Sort(w.latencies)
	ceiling := 2 * w.latencies[n/2]
	var total time.Duration
	for _, d := range w.latencies {
		total += min(d, ceiling)
	}
	return total / time.Duration(n)
}

// The rules' constants.
const (
	// tolerance is how far above the lowest latency seen a window's
	// latency may be before the limit stops growing; twice it, and the
	// limit shrinks.
	tolerance = 0.1
	// slack is added to the tolerance: a latency of a few milliseconds
	// varies by more than 10% with the client's own load.
	slack = time.Millisecond
	// failedRatio is what the limit is multiplied by after a failure.
	failedRatio = 0.75
	// patience is how many calm windows in a row the limit waits before it
	// grows by one, once latency has made it shrink: the limit probes
	// above what the server takes only now and then. Until then it grows
	// after every calm window.
	patience = 4
)

// rules decide the limit from one window to the next, from the window's
// latency (window.latency) and the lowest seen, L (the lowest that two
// windows in a row stayed under):
//   - a failure multiplies the limit by failedRatio;
//   - at most L*(1+tolerance)+slack (calm) with the limit reached: one
//     more, after every calm window until latency first made the limit
//     shrink, then after patience calm windows in a row;
//   - above L*(1+2*tolerance)+2*slack two windows in a row, or above twice
//     the calm latency once (the server queues): the limit times
//     the calm latency over the window's, the concurrency the server serves
//     at that latency, and at least one less;
//   - otherwise it holds;
//   - but above the calm latency when the limit is 1, or when it shrank
//     since the last calm window and latency did not come down by half
//     what that should have brought, the server is slower for reasons of
//     its own: the latency now is the one to hold to.
//
// The limit stays within [1, max].
type rules struct {
	limit, max int
	lowest     time.Duration // the lowest latency of two windows in a row seen (or held to)
	last       time.Duration // the last window's latency
	calm       int           // calm windows in a row
	high       int           // windows in a row above the climb
	settled    bool          // latency has made the limit shrink once
	expect     time.Duration // after a shrink, until a calm window: the latency it should bring at most; 0 otherwise
}

func newRules(initial, ceiling int) rules {
	return rules{limit: max(1, min(initial, ceiling)), max: max(1, ceiling)}
}

// next moves the limit after window w and says why.
func (r *rules) next(w window) string {
	if w.failed > 0 {
		r.calm, r.high, r.expect = 0, 0, 0
		r.set(int(float64(r.limit) * failedRatio))
		return "failures"
	}
	if len(w.latencies) == 0 {
		return ""
	}
	prev := r.last
	r.last = w.latency()
	// The lowest latency held two windows in a row: one lucky window on a
	// noisy machine is not the server's.
	if sustained := max(prev, r.last); r.lowest == 0 || sustained < r.lowest {
		r.lowest = sustained
	}
	calm := r.lowest + time.Duration(float64(r.lowest)*tolerance) + slack
	if r.last > calm && (r.limit == 1 || (r.expect > 0 && r.last > r.expect)) {
		// Fewer attempts did not bring latency down, or cannot: the server
		// is slower for reasons of its own.
		r.lowest, r.expect, r.high, r.calm = r.last, 0, 0, 0
		return "server slower at any limit"
	}
	switch {
	case r.last > r.lowest+time.Duration(float64(r.lowest)*2*tolerance)+2*slack:
		r.calm = 0
		r.high++
		if r.high < 2 && r.last <= 2*calm {
			return "" // once may be noise; twice in a row, or twice the calm latency, is not
		}
		from := r.limit
		r.settled = true
		r.set(min(r.limit-1, int(float64(r.limit)*float64(calm)/float64(r.last))))
		// Latency in proportion to the limit, were it all queueing here.
		r.expect = r.last - (r.last-r.last*time.Duration(r.limit)/time.Duration(from))/2
		return "latency climbed"
	case r.last <= calm:
		r.expect, r.high = 0, 0
		if !w.saturated {
			return ""
		}
		r.calm++
		if r.settled && r.calm < patience {
			return ""
		}
		r.calm = 0
		r.set(r.limit + 1)
		return "latency near the lowest"
	default:
		r.calm, r.high = 0, 0
		return ""
	}
}

func (r *rules) set(n int) { r.limit = max(1, min(n, r.max)) }
