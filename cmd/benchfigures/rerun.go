package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// rerunRows is figure 6's input size.
const rerunRows = 1_000_000

// rerunMemory is figure 6: the built binary runs a 1,000,000-row input
// against `vicionboard simulate` (a subprocess on loopback) with a fresh
// ledger, then runs the same command again: every row is ALREADY_CREATED
// from the ledger and nothing is sent. The figure is that second run's
// peak RSS and duration; the first run's are shown for comparison.
func rerunMemory() ([]figure, error) {
	dir, bin, remove, err := builtOnDisk()
	if err != nil {
		return nil, err
	}
	defer remove()
	url, stop, err := startSimulator(bin)
	if err != nil {
		return nil, err
	}
	defer stop()
	in := filepath.Join(dir, "hires.csv")
	if err := writeRows(in, rerunRows); err != nil {
		return nil, err
	}
	state := filepath.Join(dir, "state")
	env := append(os.Environ(), "XDG_STATE_HOME="+state, "VICIONBOARD_LEDGER=", "VICIDIAL_URL="+url,
		"VICIDIAL_API_USER=6666", "VICIDIAL_API_PASS=1234", "GOGC=", "GOMEMLIMIT=")
	runOnce := func(wantCode string) (rss float64, took time.Duration, err error) {
		cmd := exec.Command(bin, "run", in, "--rate", "0", "--workers", "8", "--max-new", "0", "--log-level", "warn")
		cmd.Env = env
		start := time.Now()
		peak, out, err := peakRSS(cmd)
		took = time.Since(start)
		if err != nil {
			return 0, 0, fmt.Errorf("run: %v\n%s", err, tail(out))
		}
		if got := reasonCount(out, wantCode); got != rerunRows {
			return 0, 0, fmt.Errorf("run: %d rows %s, want %d\n%s", got, wantCode, rerunRows, tail(out))
		}
		return float64(peak) / 1024, took, nil
	}
	firstRSS, firstTook, err := runOnce("CREATED")
	if err != nil {
		return nil, fmt.Errorf("first run: %w", err)
	}
	rss, took, err := runOnce("ALREADY_CREATED")
	if err != nil {
		return nil, fmt.Errorf("rerun: %w", err)
	}
	size := int64(0)
	if fi, err := os.Stat(filepath.Join(state, "vicionboard", "ledger.db")); err == nil {
		size = fi.Size()
	}
	return []figure{
		{fmt.Sprintf("6. peak RSS, rerun of %d rows (ALREADY_CREATED)", rerunRows),
			fmt.Sprintf("%.1f MiB (%.0f s, %.0f rows/s)", rss, took.Seconds(), rerunRows/took.Seconds()), "< 64 MiB", rss < 64},
		{"   the first run, creating them (for comparison)",
			fmt.Sprintf("%.1f MiB (%.0f s, %.0f rows/s)", firstRSS, firstTook.Seconds(), rerunRows/firstTook.Seconds()), "", true},
		{"   ledger file after the two runs", fmt.Sprintf("%.0f MiB (%.0f bytes/row/run)",
			float64(size)/(1<<20), float64(size)/(2*rerunRows)), "", true},
	}, nil
}

// builtOnDisk builds vicionboard into a new directory on a real disk
// (diskDir), and returns both and the function that removes the directory.
func builtOnDisk() (dir, bin string, remove func(), err error) {
	if dir, err = diskDir(); err != nil {
		return "", "", nil, err
	}
	if bin, err = buildBinary(dir); err != nil {
		os.RemoveAll(dir)
		return "", "", nil, err
	}
	return dir, bin, func() { os.RemoveAll(dir) }, nil
}

// buildBinary builds vicionboard into dir.
func buildBinary(dir string) (string, error) {
	bin := filepath.Join(dir, "vicionboard")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/vicionboard").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// startSimulator starts `vicionboard simulate` on a free loopback port and
// returns its base URL, and the function that stops it.
func startSimulator(bin string) (string, func(), error) { return startSimulatorArgs(bin) }

// startSimulatorArgs is startSimulator with more flags of simulate.
func startSimulatorArgs(bin string, args ...string) (string, func(), error) {
	cmd := exec.Command(bin, append([]string{"simulate", "--listen", "127.0.0.1:0", "--log-level", "warn"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	// "simulator: http://127.0.0.1:PORT/vicidial/non_agent_api.php (...)"
	line, err := bufio.NewReader(stdout).ReadString('\n')
	go io.Copy(io.Discard, stdout)
	m := regexp.MustCompile(`^simulator: (http://127\.0\.0\.1:\d+)/`).FindStringSubmatch(line)
	if err != nil || m == nil {
		stop()
		return "", nil, errors.Join(fmt.Errorf("simulate: unexpected first line %q", line), err)
	}
	return m[1], stop, nil
}

// reasonCount reads the count of code from a run's summary ("  CODE   N").
func reasonCount(out []byte, code string) int {
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == code {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return -1
}

// tail returns the last lines of a command's output, for an error.
func tail(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.Join(lines[max(0, len(lines)-15):], "\n")
}
