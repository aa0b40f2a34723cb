package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

func TestEstimate(t *testing.T) {
	tests := []struct {
		rows, toSend, done int
		rate               float64
		want               string
	}{
		{5000, 5000, 0, 10, "5,000 rows at 10 requests/s: about 8 min 20 s; --rate raises it, see the README for what a dialer takes"},
		{5000, 4000, 1000, 10, "4,000 rows to send (1,000 done before) at 10 requests/s: about 6 min 40 s; --rate raises it, see the README for what a dialer takes"},
		{1, 1, 0, 2.5, "1 row at 2.5 requests/s: about 1 s; --rate raises it, see the README for what a dialer takes"},
		{100000, 100000, 0, 10, "100,000 rows at 10 requests/s: about 2 h 47 min; --rate raises it, see the README for what a dialer takes"},
		{5000, 5000, 0, 0, ""}, // unlimited: nothing to say
		{5000, 0, 0, 10, ""},   // nothing to send
		{8, 0, 0, 10, ""},      // every row INVALID: nothing to send
		{5, 4, 0, 50, "4 rows to send at 50 requests/s: about 1 s; --rate raises it, see the README for what a dialer takes"},
	}
	// Generated logins are looked up first: 12 rows and 12 look-ups at 10/s.
	if got, want := estimate(12, 12, 0, 12, 10), "12 rows (and 12 look-ups of generated logins first) at 10 requests/s: about 3 s; --rate raises it, see the README for what a dialer takes"; got != want {
		t.Errorf("estimate with look-ups = %q\nwant %q", got, want)
	}
	for _, tt := range tests {
		if got := estimate(tt.rows, tt.toSend, tt.done, 0, tt.rate); got != tt.want {
			t.Errorf("estimate(%d, %d, %d, %v) = %q\nwant %q", tt.rows, tt.toSend, tt.done, tt.rate, got, tt.want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "1 s", 45 * time.Second: "45 s", 60 * time.Second: "1 min", 500 * time.Second: "8 min 20 s",
		time.Hour: "1 h", 2*time.Hour + 5*time.Minute: "2 h 5 min",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -5000: "-5,000"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestProgressSink: the bar counts statuses (a carried row under its own
// status) and passes every row on.
func TestProgressSink(t *testing.T) {
	var lines []int
	next := sinkFunc(func(row batch.Row, _ batch.Outcome) error { lines = append(lines, row.Line); return nil })
	pr := newProgress(io.Discard, 3, next)
	outs := []batch.Outcome{
		{Status: batch.StatusSuccess}, {Status: batch.StatusError},
		{Status: batch.StatusSuccess, Carried: &batch.Prior{Status: "SUCCESS"}},
	}
	for i, out := range outs {
		if err := pr.Write(batch.Row{Line: i + 2}, out); err != nil {
			t.Fatal(err)
		}
	}
	pr.finish()
	if fmt.Sprint(lines) != "[2 3 4]" {
		t.Errorf("rows passed on: %v, want [2 3 4]", lines)
	}
	if got := pr.statuses(decor.Statistics{}); got != "SUCCESS 2, ERROR 1 |" {
		t.Errorf("statuses = %q", got)
	}
	if pr.carried != 1 || pr.done != 3 {
		t.Errorf("done %d, carried %d; want 3 and 1", pr.done, pr.carried)
	}
}

type sinkFunc func(batch.Row, batch.Outcome) error

func (f sinkFunc) Write(row batch.Row, out batch.Outcome) error { return f(row, out) }

// progressCSV has n good rows and one INVALID row.
func progressCSV(n int) string {
	var b strings.Builder
	b.WriteString("agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "p%02d,Pass-%02d-x,Person %02d,1,AGENTS\n", i, i, i)
	}
	b.WriteString("bad one,Pass-bad-x,Bad One,1,AGENTS\n")
	return b.String()
}

// runInPTY runs the binary with stdin, stdout and stderr on a pseudo
// terminal and returns everything it printed and its exit code.
func runInPTY(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = binEnv(t, env...)
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 160})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	// Reading the terminal ends with EIO once the program has exited.
	if _, err := io.Copy(&out, f); err != nil && !errors.Is(err, syscall.EIO) {
		t.Fatal(err)
	}
	return out.String(), exitOf(cmd.Wait())
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

// screenLines returns the lines printed, without terminal escapes.
func screenLines(s string) []string {
	var lines []string
	for _, l := range strings.Split(ansi.ReplaceAllString(s, ""), "\n") {
		lines = append(lines, strings.TrimRight(l, "\r"))
	}
	return lines
}

// TestProgressOnATerminal drives the binary in a pseudo terminal against a
// slow simulator: before the first request a line says how long the run
// takes at --rate; the bar advances and finishes with the count per
// status; every log line prints above the bar, never inside it.
func TestProgressOnATerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it in a pseudo terminal")
	}
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Latency: 100 * time.Millisecond})
	dir := t.TempDir()
	const good = 12
	in := writeFile(t, dir, "hires.csv", progressCSV(good))
	env := []string{"VICIDIAL_URL=" + srv.URL, "VICIDIAL_API_USER=6666", "VICIDIAL_API_PASS=1234"}
	out, code := runInPTY(t, env, "run", in, "--workers", "1", "--rate", "20", "--log-level", "debug")
	if code != exitRowsFailed {
		t.Fatalf("exit %d, want %d; output:\n%s", code, exitRowsFailed, out)
	}
	lines := screenLines(out)
	estimateAt, firstBar := -1, -1
	counts := map[int]bool{}
	barLine := regexp.MustCompile(`^rows (\d+)/13 `)
	for i, l := range lines {
		if strings.Contains(l, "12 rows to send at 20 requests/s: about 1 s") && estimateAt < 0 {
			estimateAt = i
		}
		if m := barLine.FindStringSubmatch(l); m != nil {
			if firstBar < 0 {
				firstBar = i
			}
			n, _ := strconv.Atoi(m[1])
			counts[n] = true
		}
		if strings.Contains(l, "rows/s") && (strings.Contains(l, "DBG") || strings.Contains(l, "INF") || strings.Contains(l, "WRN")) {
			t.Errorf("a log line runs through the bar: %q", l)
		}
	}
	if estimateAt < 0 || firstBar < 0 || estimateAt > firstBar {
		t.Errorf("the estimate line (line %d) does not come before the bar (line %d):\n%s", estimateAt, firstBar, strings.Join(lines, "\n"))
	}
	advanced := false
	for n := range counts {
		advanced = advanced || (n > 0 && n < 13)
	}
	if !advanced || !counts[13] {
		t.Errorf("the bar showed rows %v of 13; want it to advance (a count between 0 and 13) and finish at 13", counts)
	}
	final := ""
	for _, l := range lines {
		if strings.HasPrefix(l, "rows 13/13 ") {
			final = l
		}
	}
	if !strings.Contains(final, "SUCCESS 12, INVALID 1") || !strings.Contains(final, "done in") {
		t.Errorf("the finished bar %q lacks the counts per status or \"done in\"", final)
	}
	if !strings.Contains(ansi.ReplaceAllString(out, ""), "vicionboard run: 13 rows") {
		t.Errorf("no summary after the bar:\n%s", out)
	}
	for _, secret := range []string{"Pass-00-x", "Pass-bad-x", "1234\""} {
		if strings.Contains(out, secret) {
			t.Errorf("a password (%s) appears on the terminal", secret)
		}
	}
}

// TestNoProgressWithoutATerminal: with JSON logs on a terminal, or with
// stderr on a pipe, there is no bar: no bar line, no cursor movement.
func TestNoProgressWithoutATerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Latency: 20 * time.Millisecond})
	dir := t.TempDir()
	in := writeFile(t, dir, "hires.csv", progressCSV(4))
	env := []string{"VICIDIAL_URL=" + srv.URL, "VICIDIAL_API_USER=6666", "VICIDIAL_API_PASS=1234"}
	noBar := func(t *testing.T, out string) {
		t.Helper()
		if strings.Contains(out, "rows/s") || strings.Contains(out, "rows 5/5") || strings.Contains(out, "\x1b[1A") || strings.Contains(out, "\x1b[J") {
			t.Errorf("a progress bar was drawn:\n%q", out)
		}
	}
	t.Run("json logs on a terminal", func(t *testing.T) {
		out, code := runInPTY(t, env, "run", in, "--out", filepath.Join(dir, "a.csv"), "--rate", "50", "--log-format", "json")
		if code != exitRowsFailed {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		noBar(t, out)
		if !strings.Contains(out, `"message":"4 rows to send at 50 requests/s: about 1 s`) {
			t.Errorf("no estimate as a JSON log line:\n%s", out)
		}
	})
	t.Run("pipe", func(t *testing.T) {
		cmd := exec.Command(binary(t), "run", in, "--out", filepath.Join(dir, "b.csv"))
		cmd.Env = binEnv(t, env...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if code := exitOf(cmd.Run()); code != exitRowsFailed {
			t.Fatalf("exit %d:\n%s", code, stderr.String())
		}
		noBar(t, stderr.String())
		if strings.Contains(stderr.String(), "\x1b[") {
			t.Errorf("terminal escapes on a pipe:\n%q", stderr.String())
		}
	})
}
