package pacing

import (
	"testing"
	"time"
)

// steady is a saturated window of mean latency d.
func steady(d time.Duration) window { return window{samples: 10, total: 10 * d, saturated: true} }

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
	const ms = time.Millisecond
	failed := window{samples: 3, total: 30 * ms, failed: 1, saturated: true}
	idle := window{samples: 10, total: 100 * ms} // the limit was never reached
	tests := []struct {
		name             string
		initial, ceiling int
		windows          []window
		want             int
	}{
		{"grows under steady latency", 2, 16, repeat(steady(10*ms), 5), 7},
		{"grows within the tolerance", 2, 16, concat(repeat(steady(10*ms), 1), repeat(steady(11*ms), 4)), 7},
		{"never above the ceiling", 2, 8, repeat(steady(10*ms), 50), 8},
		{"does not grow when the limit is not reached", 2, 16, repeat(idle, 10), 2},
		{"holds when latency is a little high", 2, 16, concat(repeat(steady(10*ms), 6), repeat(steady(11500*time.Microsecond), 10)), 8},
		// 10 in flight at twice the latency: the server serves about 5.
		{"shrinks on a climb, in proportion", 2, 16, concat(repeat(steady(10*ms), 8), repeat(steady(20*ms), 1)), 5},
		{"a climb takes at least one off", 2, 16, concat(repeat(steady(10*ms), 2), repeat(steady(12500*time.Microsecond), 1)), 3},
		{"never below 1", 4, 16, concat(repeat(steady(10*ms), 1), repeat(steady(time.Second), 10)), 1},
		{"shrinks on failures", 2, 16, concat(repeat(steady(10*ms), 6), []window{failed}), 6},
		{"failures never take it below 1", 1, 16, repeat(failed, 5), 1},
		// After the climb to 5, patience: one more every 4 calm windows.
		{"recovers after a climb", 2, 16, concat(repeat(steady(10*ms), 8), repeat(steady(20*ms), 1), repeat(steady(10*ms), 12)), 8},
		{"recovers up to the ceiling", 2, 6, concat(repeat(steady(10*ms), 4), repeat(steady(40*ms), 3), repeat(steady(10*ms), 40)), 6},
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
