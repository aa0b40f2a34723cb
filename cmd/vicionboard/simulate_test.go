package main

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// TestSimulateCapacityAndLoad serves the simulator with --capacity 3 and
// a --load of 2 slots: /_simulator/load shows the capacity and, once the
// load has started, the 2 slots it holds.
func TestSimulateCapacityAndLoad(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"simulate", "--listen", "127.0.0.1:0", "--capacity", "3", "--load", "slots=2,after=10ms,for=1m",
			"--log-format", "json"}, strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
	}()
	defer func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("simulate exit %d: %s", code, stderr.String())
		}
	}()
	urlRE := regexp.MustCompile(`simulator: (http://127\.0\.0\.1:\d+)/`)
	var base string
	for deadline := time.Now().Add(20 * time.Second); base == ""; time.Sleep(5 * time.Millisecond) {
		if m := urlRE.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no simulator URL printed: %q %q", stdout.String(), stderr.String())
		}
	}
	var st vicidialtest.LoadStats
	for deadline := time.Now().Add(20 * time.Second); st.Live != 2; time.Sleep(5 * time.Millisecond) {
		resp, err := http.Get(base + vicidialtest.LoadPath)
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the live load never held its 2 slots: %+v", st)
		}
	}
	if st.Capacity != 3 {
		t.Errorf("capacity %d, want 3", st.Capacity)
	}
}

func TestSimulateRefusesBadLoad(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--load", "slots=1,for=1s"}, "--load needs --capacity"},
		{[]string{"--capacity", "2", "--load", "slots=1"}, "for > 0"},
		{[]string{"--capacity", "-1"}, "--capacity must be"},
	}
	for _, tt := range tests {
		got := invoke(t, nil, append([]string{"simulate", "--listen", "127.0.0.1:0"}, tt.args...)...)
		if got.code != exitUsage || !strings.Contains(got.stderr, tt.want) {
			t.Errorf("simulate %v: exit %d, %q; want %d and %q", tt.args, got.code, got.stderr, exitUsage, tt.want)
		}
	}
}
