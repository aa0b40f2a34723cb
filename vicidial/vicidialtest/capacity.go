package vicidialtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LoadPath is where the simulator shows its slots (GET) and takes live
// load (POST ?slots=N&for=DURATION), when it has a capacity.
const LoadPath = "/_simulator/load"

// LoadStats are the simulator's slots at one moment, and their peaks since
// it started. Without a capacity every field is zero.
type LoadStats struct {
	Capacity  int   `json:"capacity"`   // slots, like a server's PHP workers
	Busy      int   `json:"busy"`       // API requests holding a slot now
	Live      int   `json:"live"`       // slots held by live load now
	Queued    int   `json:"queued"`     // API requests and live load waiting for a slot
	MaxBusy   int   `json:"max_busy"`   // the most API requests ever holding a slot at once
	MaxQueued int   `json:"max_queued"` // the longest the queue ever was
	Served    int64 `json:"served"`     // API requests that held a slot and left it
}

// slots is a server's fixed number of workers with a queue in front: a
// request waits, in arrival order, until a slot is free, and holds it for
// its service time. Live load holds slots the same way, for its duration.
type slots struct {
	mu       sync.Mutex
	capacity int
	inUse    int // busy + live
	stats    LoadStats
	queue    []*waiter
}

// waiter is one request or live-load holder waiting for a slot; ready is
// closed when the slot is its.
type waiter struct {
	ready   chan struct{}
	live    bool
	granted bool
}

func newSlots(capacity int) *slots {
	return &slots{capacity: capacity, stats: LoadStats{Capacity: capacity}}
}

// acquire waits for a slot, in arrival order, until ctx is done. It
// reports whether the slot was taken (release it then).
func (s *slots) acquire(ctx context.Context, live bool) bool {
	s.mu.Lock()
	if len(s.queue) == 0 && s.inUse < s.capacity {
		s.take(live)
		s.mu.Unlock()
		return true
	}
	w := &waiter{ready: make(chan struct{}), live: live}
	s.queue = append(s.queue, w)
	s.stats.Queued = len(s.queue)
	s.stats.MaxQueued = max(s.stats.MaxQueued, s.stats.Queued)
	s.mu.Unlock()
	select {
	case <-w.ready:
		return true
	case <-ctx.Done():
		s.mu.Lock()
		defer s.mu.Unlock()
		if w.granted {
			s.free(live)
			return false
		}
		for i, q := range s.queue {
			if q == w {
				s.queue = append(s.queue[:i], s.queue[i+1:]...)
				break
			}
		}
		s.stats.Queued = len(s.queue)
		return false
	}
}

// take counts a slot as used; the lock is held.
func (s *slots) take(live bool) {
	s.inUse++
	if live {
		s.stats.Live++
		return
	}
	s.stats.Busy++
	s.stats.MaxBusy = max(s.stats.MaxBusy, s.stats.Busy)
}

// release gives the slot back and hands it to the first in the queue.
func (s *slots) release(live bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !live {
		s.stats.Served++
	}
	s.free(live)
}

// free is release under the lock.
func (s *slots) free(live bool) {
	s.inUse--
	if live {
		s.stats.Live--
	} else {
		s.stats.Busy--
	}
	for len(s.queue) > 0 && s.inUse < s.capacity {
		w := s.queue[0]
		s.queue = s.queue[1:]
		w.granted = true
		s.take(w.live)
		close(w.ready)
	}
	s.stats.Queued = len(s.queue)
}

func (s *slots) snapshot() LoadStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Load returns the state of the simulator's slots.
func (s *Simulator) Load() LoadStats {
	if s.slots == nil {
		return LoadStats{}
	}
	return s.slots.snapshot()
}

// AddLoad makes live load hold n slots for d, as calls answered by the
// dialer's other users would: each of the n waits its turn in the queue
// like a request, and holds its slot until d has passed since AddLoad was
// called. It returns at once. Without a capacity it does nothing and
// returns an error.
func (s *Simulator) AddLoad(n int, d time.Duration) error {
	if s.slots == nil {
		return fmt.Errorf("live load needs a capacity")
	}
	if n < 1 || d <= 0 {
		return fmt.Errorf("live load: want at least one slot for a positive duration, not %d for %s", n, d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	for range n {
		go func() {
			if s.slots.acquire(ctx, true) {
				<-ctx.Done()
				s.slots.release(true)
			}
		}()
	}
	time.AfterFunc(d, cancel)
	return nil
}

// LoadSpec is live load to add during a run: Slots slots, After the
// simulator starts, For a while.
type LoadSpec struct {
	Slots int
	After time.Duration
	For   time.Duration
}

// ParseLoad reads "slots=N,after=D,for=D", e.g. "slots=4,after=5s,for=10s"
// (after defaults to 0).
func ParseLoad(spec string) (LoadSpec, error) {
	var l LoadSpec
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return LoadSpec{}, fmt.Errorf("load %q: want key=value (slots, after, for)", part)
		}
		var err error
		switch strings.TrimSpace(k) {
		case "slots":
			l.Slots, err = strconv.Atoi(strings.TrimSpace(v))
		case "after":
			l.After, err = time.ParseDuration(strings.TrimSpace(v))
		case "for":
			l.For, err = time.ParseDuration(strings.TrimSpace(v))
		default:
			return LoadSpec{}, fmt.Errorf("load %q: unknown key %q (slots, after, for)", spec, k)
		}
		if err != nil {
			return LoadSpec{}, fmt.Errorf("load %q: %s: %w", spec, k, err)
		}
	}
	if l.Slots < 1 || l.For <= 0 || l.After < 0 {
		return LoadSpec{}, fmt.Errorf("load %q: want slots >= 1, for > 0 and after >= 0, e.g. slots=4,after=5s,for=10s", spec)
	}
	return l, nil
}

// serveLoad shows the slots (GET) or adds live load (POST ?slots=N&for=D).
func (s *Simulator) serveLoad(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		n, err := strconv.Atoi(r.URL.Query().Get("slots"))
		if err != nil {
			http.Error(w, "slots: want a number", http.StatusBadRequest)
			return
		}
		d, err := time.ParseDuration(r.URL.Query().Get("for"))
		if err != nil {
			http.Error(w, "for: want a duration, e.g. 10s", http.StatusBadRequest)
			return
		}
		if err := s.AddLoad(n, d); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s.Load())
}
