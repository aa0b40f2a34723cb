package pacing

import (
	"testing"
	"time"
)

// steady is a saturated window of latency d: 10 samples around d, two of
// them delayed far more (a busy client machine), which changes nothing.
func steady(d time.Duration) window {
	w := window{saturated: true}
	for i := range 10 {
		switch i {
		case 3, 7:
			w.latencies = append(w.latencies, 3*d)
		default:
			w.latencies = append(w.latencies, d+time.Duration(i%3)*d/100)
		}
	}
	return w
}

func repeat(w window, n int) []window {
	out := make([]window, n)
	for i := range out {
		out[i] = w
	}
	return out
}

func concat(ws ...[]window) []window {
	var out []window
	for _, w := range ws {
		out = append(out, w...)
	}
	return out
}

func TestRules(t *testing.T) {
	// Latencies of 100 ms and more, where the slack of 1 ms is small.
	const unit = 10 * time.Millisecond
	failed := window{latencies: []time.Duration{unit, unit, unit}, failed: 1, saturated: true}
	idle := steady(10 * unit)
	idle.saturated = false // the limit was never reached
	tests := []struct {
		name             string
		initial, ceiling int
		windows          []window
		want             int
	}{
		{"grows under steady latency", 2, 16, repeat(steady(10*unit), 5), 7},
		{"grows within the tolerance", 2, 16, concat(repeat(steady(10*unit), 1), repeat(steady(11*unit), 4)), 7},
		{"never above the ceiling", 2, 8, repeat(steady(10*unit), 50), 8},
		{"does not grow when the limit is not reached", 2, 16, repeat(idle, 10), 2},
		{"holds when latency is a little high", 2, 16, concat(repeat(steady(10*unit), 6), repeat(steady(unit*115/10), 10)), 8},
		// 10 in flight at twice the latency, two windows in a row: the
		// server serves about 5.
		{"shrinks on a climb, in proportion", 2, 16, concat(repeat(steady(10*unit), 8), repeat(steady(20*unit), 2)), 5},
		{"one high window may be noise", 2, 16, concat(repeat(steady(10*unit), 8), repeat(steady(20*unit), 1)), 10},
		{"a climb to more than twice shrinks at once", 2, 16, concat(repeat(steady(10*unit), 8), repeat(steady(30*unit), 1)), 3},
		{"a climb takes at least one off", 2, 16, concat(repeat(steady(10*unit), 2), repeat(steady(unit*125/10), 2)), 3},
		{"never below 1", 4, 16, concat(repeat(steady(10*unit), 1), repeat(steady(time.Second), 1)), 1},
		// From 8 at 10 unit to 4 at 20 unit: had it been queueing here, 4 would
		// bring it to 10 unit; it stays at 20: the server is slower at any
		// limit, and 20 unit is the latency to hold to from then on.
		{"a slower server is held to", 2, 16, concat(repeat(steady(10*unit), 6), repeat(steady(20*unit), 10)), 5},
		// 16 at 40 unit -> 4, which should bring 25 unit at most: 15 unit is
		// better, but still high: 4 * 1.1 / 1.5 -> 2.
		{"shrinks again when shrinking helps", 2, 16, concat(repeat(steady(10*unit), 14), repeat(steady(40*unit), 1), repeat(steady(15*unit), 1)), 2},
		// Down to 1 by failures, then a latency a little above the calm
		// one: at 1, it is the server's own.
		{"at 1, a little high is held to", 2, 16, concat(repeat(steady(10*unit), 2), repeat(failed, 3), repeat(steady(unit*115/10), 4)), 4},
		{"at 1, a slower server is held to", 1, 16, concat(repeat(steady(10*unit), 1), repeat(steady(30*unit), 6)), 2},
		{"shrinks on failures", 2, 16, concat(repeat(steady(10*unit), 6), []window{failed}), 6},
		{"failures never take it below 1", 1, 16, repeat(failed, 5), 1},
		// After the climb to 5, patience: one more every 4 calm windows.
		{"recovers after a climb", 2, 16, concat(repeat(steady(10*unit), 8), repeat(steady(20*unit), 2), repeat(steady(10*unit), 12)), 8},
		{"recovers up to the ceiling", 2, 6, concat(repeat(steady(10*unit), 4), repeat(steady(40*unit), 3), repeat(steady(10*unit), 40)), 6},
		{"a window without samples changes nothing", 3, 16, []window{{saturated: true}}, 3},
		{"the ceiling bounds the start", 10, 4, nil, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRules(tt.initial, tt.ceiling)
			for i, w := range tt.windows {
				r.next(w)
				if r.limit < 1 || r.limit > tt.ceiling {
					t.Fatalf("window %d: limit %d outside [1, %d]", i, r.limit, tt.ceiling)
				}
			}
			if r.limit != tt.want {
				t.Errorf("limit %d, want %d", r.limit, tt.want)
			}
		})
	}
}

// TestRulesFindCapacity runs the rules against a model server of 6 slots
// (a window's latency grows with the queue in front of them): the limit
// settles at the capacity or one above, where the queue stays short, and
// halves when live load takes half the slots.
func TestRulesFindCapacity(t *testing.T) {
	const service = 20 * time.Millisecond
	model := func(limit, slots int) window {
		d := service
		if limit > slots {
			d = service * time.Duration(limit) / time.Duration(slots)
		}
		return steady(d)
	}
	r := newRules(2, 32)
	var seen []int
	for range 60 {
		r.next(model(r.limit, 6))
		seen = append(seen, r.limit)
	}
	for _, l := range seen[40:] {
		if l < 6 || l > 7 {
			t.Fatalf("limits %v: want 6 or 7 once settled", seen)
		}
	}
	seen = seen[:0]
	for range 60 {
		r.next(model(r.limit, 3))
		seen = append(seen, r.limit)
	}
	if seen[1] > 4 {
		t.Errorf("limits %v: want 4 or less by the second window of live load", seen)
	}
	for _, l := range seen[10:] {
		if l < 3 || l > 4 {
			t.Fatalf("limits %v: want 3 or 4 under live load", seen)
		}
	}
}
