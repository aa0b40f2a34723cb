package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/pflag"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// TestPacingFlags: adaptive pacing by default, --workers its ceiling and
// no rate cap; --no-adapt keeps the fixed defaults of before (4 workers,
// 10 requests/s) unless they are given.
func TestPacingFlags(t *testing.T) {
	tests := []struct {
		args        []string
		workers     int
		rate        float64
		adaptive    bool
		wantErrText string
	}{
		{nil, 8, 0, true, ""},
		{[]string{"--workers", "16", "--rate", "20"}, 16, 20, true, ""},
		{[]string{"--no-adapt"}, 4, 10, false, ""},
		{[]string{"--no-adapt", "--workers", "2", "--rate", "0"}, 2, 0, false, ""},
		{[]string{"--workers", "0"}, 0, 0, true, "--workers must be at least 1"},
		{[]string{"--rate", "-1"}, 8, -1, true, "--rate must be 0"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var o serverOptions
			fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
			o.registerPacing(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			o.resolvePacing(fs)
			if o.workers != tt.workers || o.rate != tt.rate {
				t.Errorf("workers %d, rate %v; want %d and %v", o.workers, o.rate, tt.workers, tt.rate)
			}
			limiter, pacer, err := o.pacing(zerolog.Nop())
			if tt.wantErrText != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrText) {
					t.Errorf("error %v, want %q", err, tt.wantErrText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (pacer != nil) != tt.adaptive || (limiter != nil) != (tt.rate > 0) {
				t.Errorf("pacer %v, rate limiter %v; want adaptive %v, a rate cap %v", pacer, limiter, tt.adaptive, tt.rate > 0)
			}
			if pacer != nil && pacer.Limit() != 2 {
				t.Errorf("starting limit %d, want 2", pacer.Limit())
			}
		})
	}
}

// TestProgressShowsTheLimit: the bar's pace shows the pacer's limit.
func TestProgressShowsTheLimit(t *testing.T) {
	limit := 5
	pr := newPacedProgress(io.Discard, 10, nil, func() int { return limit })
	if err := pr.Write(batch.Row{Line: 2}, batch.Outcome{Status: batch.StatusSuccess}); err != nil {
		t.Fatal(err)
	}
	pr.start = pr.start.Add(-time.Second)
	if got := pr.pace(decor.Statistics{Current: 1, Total: 10}); !strings.Contains(got, "rows/s, limit 5, ETA") {
		t.Errorf("pace = %q, want the limit 5 in it", got)
	}
	pr.finish()
	if got := newProgress(io.Discard, 10, nil).pace(decor.Statistics{Current: 1, Total: 10}); strings.Contains(got, "limit") {
		t.Errorf("pace without a pacer = %q: no limit to show", got)
	}
}

// TestAdaptiveRun: a run against a server of 3 slots (10 ms each: 60 rows
// last more than one 100 ms window) with --workers 12
// creates every account, and logs the limit as it changes; with
// --no-adapt --workers 3 no limit is logged.
func TestAdaptiveRun(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		logsPac bool
	}{
		{[]string{"--workers", "12"}, true},
		{[]string{"--no-adapt", "--workers", "3"}, false},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Capacity: 3, Latency: 10 * time.Millisecond})
			env := map[string]string{"VICIDIAL_URL": srv.URL, "VICIDIAL_API_USER": "6666", "VICIDIAL_API_PASS": "1234", "XDG_STATE_HOME": t.TempDir()}
			dir := t.TempDir()
			var b strings.Builder
			b.WriteString("agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group\n")
			for i := range 60 {
				fmt.Fprintf(&b, "adapt%02d,Pass-%02d-x,Person %02d,1,AGENTS\n", i, i, i)
			}
			in := writeFile(t, dir, "hires.csv", b.String())
			args := append([]string{"run", in, "--rate", "0", "--max-new", "0", "--log-format", "json", "--log-level", "debug"}, tt.args...)
			got := invoke(t, env, args...)
			if got.code != exitOK {
				t.Fatalf("exit %d: %s", got.code, got.stderr)
			}
			recs := readCSV(t, filepath.Join(dir, "hires.results.csv"))
			if len(recs) != 61 {
				t.Fatalf("%d result rows, want 60", len(recs)-1)
			}
			logged := strings.Contains(got.stderr, `"message":"requests in flight at once"`)
			if logged != tt.logsPac {
				t.Errorf("limit logged %v, want %v:\n%s", logged, tt.logsPac, got.stderr)
			}
			st := srv.Sim.Load()
			if st.Served < 60 {
				t.Errorf("simulator served %d, want 60 and more", st.Served)
			}
			if !tt.logsPac && st.MaxQueued != 0 {
				t.Errorf("%d requests queued at once: 3 workers on 3 slots never queue", st.MaxQueued)
			}
		})
	}
}
