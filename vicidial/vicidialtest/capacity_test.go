package vicidialtest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// waitLoad polls the simulator's slots until ok holds, or fails the test
// after a generous bound (the condition, not the time, is what is tested).
func waitLoad(t *testing.T, sim *vicidialtest.Simulator, what string, ok func(vicidialtest.LoadStats) bool) vicidialtest.LoadStats {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := sim.Load()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never happened: last %+v", what, st)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// sendVersions sends n version calls at once with ctx and returns a
// WaitGroup that is done when all have ended.
func sendVersions(ctx context.Context, srv *vicidialtest.Server, n int) *sync.WaitGroup {
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.Endpoint(), strings.NewReader("function=version"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	return &wg
}

// TestCapacityQueues: a server of 2 slots serves 2 of 5 requests at once
// and queues the other 3; a request that gives up while queued leaves the
// queue.
func TestCapacityQueues(t *testing.T) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Capacity: 2, Latency: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	wg := sendVersions(ctx, srv, 5)
	st := waitLoad(t, srv.Sim, "2 busy and 3 queued", func(s vicidialtest.LoadStats) bool { return s.Busy == 2 && s.Queued == 3 })
	if st.MaxBusy != 2 || st.Capacity != 2 {
		t.Errorf("stats %+v: want at most 2 busy of capacity 2", st)
	}
	cancel()
	wg.Wait()
	st = waitLoad(t, srv.Sim, "every slot free", func(s vicidialtest.LoadStats) bool { return s.Busy == 0 && s.Queued == 0 })
	if st.MaxBusy != 2 || st.MaxQueued != 3 {
		t.Errorf("stats %+v: want peaks of 2 busy and 3 queued", st)
	}
}

// TestCapacityServesInTurn: every request is served, never more than the
// capacity at once.
func TestCapacityServesInTurn(t *testing.T) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Capacity: 3, Latency: 5 * time.Millisecond})
	sendVersions(context.Background(), srv, 12).Wait()
	st := srv.Sim.Load()
	if st.Served != 12 || st.MaxBusy > 3 || st.Busy != 0 || st.Queued != 0 {
		t.Errorf("stats %+v: want 12 served, at most 3 at once, none left", st)
	}
}

// TestLiveLoadTakesSlots: live load holding 1 of 2 slots leaves one for
// requests, so a second request queues; the endpoint adds it and shows it.
func TestLiveLoadTakesSlots(t *testing.T) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Capacity: 2, Latency: time.Minute})
	resp, err := http.Post(srv.URL+vicidialtest.LoadPath+"?slots=1&for=1m", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST load: status %d", resp.StatusCode)
	}
	waitLoad(t, srv.Sim, "the live load holding a slot", func(s vicidialtest.LoadStats) bool { return s.Live == 1 })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wg := sendVersions(ctx, srv, 2)
	waitLoad(t, srv.Sim, "1 busy and 1 queued beside the live load", func(s vicidialtest.LoadStats) bool {
		return s.Live == 1 && s.Busy == 1 && s.Queued == 1
	})
	resp, err = http.Get(srv.URL + vicidialtest.LoadPath)
	if err != nil {
		t.Fatal(err)
	}
	var shown vicidialtest.LoadStats
	err = json.NewDecoder(resp.Body).Decode(&shown)
	resp.Body.Close()
	if err != nil || shown.Live != 1 || shown.Busy != 1 || shown.Capacity != 2 {
		t.Errorf("GET load: %+v, %v; want 1 live, 1 busy of 2", shown, err)
	}
	cancel()
	wg.Wait()
}

// TestLiveLoadEnds: live load gives its slots back after its duration.
func TestLiveLoadEnds(t *testing.T) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Capacity: 4})
	if err := srv.Sim.AddLoad(3, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	waitLoad(t, srv.Sim, "3 slots held", func(s vicidialtest.LoadStats) bool { return s.Live == 3 })
	waitLoad(t, srv.Sim, "the slots given back", func(s vicidialtest.LoadStats) bool { return s.Live == 0 })
}

func TestLiveLoadRefused(t *testing.T) {
	tests := []struct {
		name     string
		capacity int
		slots    int
		d        time.Duration
	}{
		{"no capacity", 0, 1, time.Second},
		{"no slot", 2, 0, time.Second},
		{"no duration", 2, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Capacity: tt.capacity})
			if err := srv.Sim.AddLoad(tt.slots, tt.d); err == nil {
				t.Errorf("AddLoad(%d, %s) with capacity %d: no error", tt.slots, tt.d, tt.capacity)
			}
		})
	}
}

func TestParseLoad(t *testing.T) {
	tests := []struct {
		spec    string
		want    vicidialtest.LoadSpec
		wantErr string
	}{
		{"slots=4,after=5s,for=10s", vicidialtest.LoadSpec{Slots: 4, After: 5 * time.Second, For: 10 * time.Second}, ""},
		{"slots=1, for=1m", vicidialtest.LoadSpec{Slots: 1, For: time.Minute}, ""},
		{"slots=4", vicidialtest.LoadSpec{}, "for > 0"},
		{"slots=x,for=1s", vicidialtest.LoadSpec{}, "slots"},
		{"slots=1,for=1s,when=now", vicidialtest.LoadSpec{}, "unknown key"},
		{"4", vicidialtest.LoadSpec{}, "key=value"},
	}
	for _, tt := range tests {
		got, err := vicidialtest.ParseLoad(tt.spec)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseLoad(%q) error %v, want one containing %q", tt.spec, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseLoad(%q) = %+v, %v; want %+v", tt.spec, got, err, tt.want)
		}
	}
}
