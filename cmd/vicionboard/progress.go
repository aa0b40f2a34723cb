package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/vicionboard/vicionboard/batch"
)

// progress shows a run's progress on a terminal: rows done of the total,
// the count per status so far, rows per second and the time left. It is a
// batch.Sink wrapper, so it counts exactly the rows written. Safe for
// concurrent use.
type progress struct {
	next  batch.Sink
	p     *mpb.Progress
	bar   *mpb.Bar
	start time.Time
	total int
	limit func() int // the pacer's limit now, or nil

	mu      sync.Mutex
	done    int
	carried int // rows carried over from an earlier run: not sent, so not part of the speed
	counts  map[batch.Status]int
}

var _ batch.Sink = (*progress)(nil)

// progressOrder is the order the bar names statuses in.
var progressOrder = []batch.Status{
	batch.StatusSuccess, batch.StatusWouldSucceed, batch.StatusValid,
	batch.StatusError, batch.StatusWouldFail, batch.StatusInvalid,
	batch.StatusUnknown, batch.StatusNotAttempted,
}

// newProgress draws a progress bar on out (a terminal) for total rows (0
// when the total is unknown) and passes every row on to next.
func newProgress(out io.Writer, total int, next batch.Sink) *progress {
	return newPacedProgress(out, total, next, nil)
}

// newPacedProgress is newProgress whose bar also shows limit(), the calls
// the pacer lets be in flight now (nil: not shown).
func newPacedProgress(out io.Writer, total int, next batch.Sink, limit func() int) *progress {
	pr := &progress{next: next, total: total, start: time.Now(), counts: map[batch.Status]int{}, limit: limit}
	pr.p = mpb.New(mpb.WithOutput(out), mpb.WithRefreshRate(200*time.Millisecond))
	pr.bar = pr.p.New(int64(total),
		mpb.BarStyle().Lbound("[").Filler("=").Tip(">").Padding(" ").Rbound("]"),
		mpb.BarWidth(30),
		mpb.PrependDecorators(decor.Any(pr.counter, decor.WCSyncSpaceR)),
		mpb.AppendDecorators(decor.Any(pr.statuses, decor.WCSyncSpace), decor.Any(pr.pace, decor.WCSyncSpace)),
	)
	return pr
}

// Write counts the row, advances the bar and passes the row on.
func (pr *progress) Write(row batch.Row, out batch.Outcome) error {
	st := out.Status
	if out.Carried != nil {
		st = batch.Status(out.Carried.Status)
	}
	pr.mu.Lock()
	pr.done++
	if out.Carried != nil {
		pr.carried++
	}
	pr.counts[st]++
	pr.mu.Unlock()
	pr.bar.Increment()
	if pr.next == nil {
		return nil
	}
	return pr.next.Write(row, out)
}

// Writer returns a writer whose lines print above the bar.
func (pr *progress) Writer() io.Writer { return pr.p }

// finish draws the bar one last time, complete, and stops drawing.
func (pr *progress) finish() {
	pr.bar.SetTotal(-1, true)
	pr.p.Wait()
}

// counter is "rows 12/5,000".
func (pr *progress) counter(s decor.Statistics) string {
	if pr.total <= 0 && !s.Completed {
		return "rows " + thousands(int(s.Current))
	}
	return fmt.Sprintf("rows %s/%s", thousands(int(s.Current)), thousands(int(s.Total)))
}

// statuses is "SUCCESS 10, ERROR 1, INVALID 1 |".
func (pr *progress) statuses(decor.Statistics) string {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	var parts []string
	seen := map[batch.Status]bool{}
	for _, st := range progressOrder {
		seen[st] = true
		if n := pr.counts[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", st, thousands(n)))
		}
	}
	for st, n := range pr.counts {
		if !seen[st] {
			parts = append(parts, fmt.Sprintf("%s %s", st, thousands(n)))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, ", ") + " |"
}

// pace is "9.8 rows/s, limit 6, ETA 8m12s" (the pacer's limit when there
// is one; rows carried over from an earlier run
// are not counted in the speed), or the time taken once complete ("stopped
// after" when rows were left NOT_ATTEMPTED).
func (pr *progress) pace(s decor.Statistics) string {
	elapsed := time.Since(pr.start)
	pr.mu.Lock()
	sent, stopped := pr.done-pr.carried, pr.counts[batch.StatusNotAttempted] > 0
	pr.mu.Unlock()
	if s.Completed {
		if stopped {
			return "stopped after " + elapsed.Round(time.Second).String()
		}
		return "done in " + elapsed.Round(time.Second).String()
	}
	if sent <= 0 || elapsed <= 0 {
		return "-- rows/s"
	}
	rate := float64(sent) / elapsed.Seconds()
	out := fmt.Sprintf("%.1f rows/s", rate)
	if pr.limit != nil && pr.limit() > 0 {
		out += fmt.Sprintf(", limit %d", pr.limit())
	}
	if pr.total > 0 && s.Current < s.Total {
		eta := time.Duration(float64(s.Total-s.Current) / rate * float64(time.Second))
		out += ", ETA " + eta.Round(time.Second).String()
	}
	return out
}

// logOut is where the logger writes on a terminal: above the progress bar
// while one is drawn, else straight to the terminal. It has the terminal's
// Fd, so that isTerminal sees the terminal through it.
type logOut struct {
	f *os.File

	mu sync.Mutex
	p  *progress
}

// Write prints b above the bar, or on the terminal when there is no bar.
func (w *logOut) Write(b []byte) (int, error) {
	w.mu.Lock()
	p := w.p
	w.mu.Unlock()
	if p != nil {
		n, err := p.Writer().Write(b)
		var done mpb.ErrDone[*mpb.Progress]
		if !errors.As(err, &done) {
			return n, err
		}
		// The bar stopped meanwhile.
	}
	return w.f.Write(b)
}

// Fd returns the terminal's file descriptor.
func (w *logOut) Fd() uintptr { return w.f.Fd() }

// attach routes log lines above p's bar (nil: straight to the terminal).
func (w *logOut) attach(p *progress) {
	w.mu.Lock()
	w.p = p
	w.mu.Unlock()
}

// estimate is the line said before the first request: how long sending
// the toSend requests of rows rows (done of them done before), and the
// lookups of the generated logins before them, takes at rate requests per second, e.g. "5,000 rows at 10 requests/s: about 8 min
// 20 s; --rate raises it, see the README for what a dialer takes". It is
// "" when the rate is unlimited or nothing is to be sent.
func estimate(rows, toSend, done, lookups int, rate float64) string {
	if rate <= 0 || toSend <= 0 {
		return ""
	}
	what := rowsText(toSend)
	switch {
	case toSend != rows && done > 0:
		what = fmt.Sprintf("%s to send (%s done before)", rowsText(toSend), thousands(done))
	case toSend != rows:
		what = rowsText(toSend) + " to send"
	}
	with := ""
	if lookups > 0 {
		with = fmt.Sprintf(" (and %s of generated logins first)", plural(lookups, "look-up"))
	}
	d := time.Duration(math.Ceil(float64(toSend+lookups)/rate) * float64(time.Second))
	return fmt.Sprintf("%s%s at %s requests/s: about %s; --rate raises it, see the README for what a dialer takes",
		what, with, trimFloat(rate), humanDuration(d))
}

// rowsText is "1 row" or "5,000 rows".
func rowsText(n int) string {
	if n == 1 {
		return "1 row"
	}
	return thousands(n) + " rows"
}

// thousands writes n with a comma between thousands: 5,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// trimFloat writes 10 as "10" and 2.5 as "2.5".
func trimFloat(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
}

// humanDuration writes d as a person says it: "45 s", "8 min 20 s",
// "2 h 5 min".
func humanDuration(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	switch {
	case s < 1:
		return "1 s"
	case s < 60:
		return fmt.Sprintf("%d s", s)
	case s < 3600:
		if s%60 == 0 {
			return fmt.Sprintf("%d min", s/60)
		}
		return fmt.Sprintf("%d min %d s", s/60, s%60)
	default:
		m := (s + 30) / 60
		if m%60 == 0 {
			return fmt.Sprintf("%d h", m/60)
		}
		return fmt.Sprintf("%d h %d min", m/60, m%60)
	}
}
