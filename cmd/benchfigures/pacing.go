package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Figure 8's, 9's and 10's sizes.
const (
	cpuRows     = 5000                   // figure 8
	cpuReps     = 3                      // figure 8: pairs of runs
	cpuLatency  = "2ms"                  // figure 8: a real server's add_user
	sweepRows   = 1200                   // figure 9: rows per run
	capLatency  = "50ms"                 // figures 9 and 10: the service time of one slot
	yieldRows   = 2500                   // figure 10
	yieldAt     = 6 * time.Second        // figure 10: when the live load starts
	yieldFor    = 8 * time.Second        // figure 10: how long it lasts
	probeEvery  = 100 * time.Millisecond // figure 10
	yieldWithin = 2 * time.Second        // figure 10's target
)

// binRun is one run of the built binary.
type binRun struct {
	wall time.Duration
	cpu  time.Duration // user + system of the process
	out  []byte
}

// runBinary runs `vicionboard run` of rows new add_user rows (logins
// starting with prefix) against url, in dir with a fresh ledger, with the
// extra flags, and checks that every row was created.
func runBinary(bin, dir, url, prefix string, rows int, flags ...string) (binRun, error) {
	in := filepath.Join(dir, prefix+".csv")
	if err := os.WriteFile(in, []byte(csvRows(rows, prefix)), 0o600); err != nil {
		return binRun{}, err
	}
	args := append([]string{"run", in, "--max-new", "0", "--log-format", "json"}, flags...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+filepath.Join(dir, prefix+"-state"), "VICIONBOARD_LEDGER=",
		"VICIDIAL_URL="+url, "VICIDIAL_API_USER=6666", "VICIDIAL_API_PASS=1234")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	r := binRun{wall: time.Since(start), out: out}
	if cmd.ProcessState != nil {
		r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		return r, fmt.Errorf("run %v: %v\n%s", flags, err, tail(out))
	}
	if got := reasonCount(out, "CREATED"); got != rows {
		return r, fmt.Errorf("run %v: %d rows CREATED, want %d\n%s", flags, got, rows, tail(out))
	}
	return r, nil
}

// runBare runs the bare loop in a process of its own (this program with
// -bare) and returns its CPU time.
func runBare(url, prefix string, rows int) (time.Duration, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(self, "-bare", url+"/vicidial/non_agent_api.php", "-bare-rows", fmt.Sprint(rows), "-bare-prefix", prefix)
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("bare loop: %v\n%s", err, out)
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// cpuPerRow is figure 8: the CPU per row of a whole run of the built binary
// (its defaults, the ledger on a real disk with fsync), beside the bare
// keep-alive loop over the same number of add_user rows at 8 workers, each
// in its own process, against `vicionboard simulate --latency 2ms` in a
// third. Runs alternate, and the ratio is taken pair by pair.
func cpuPerRow() ([]figure, error) {
	dir, bin, remove, err := builtOnDisk()
	if err != nil {
		return nil, err
	}
	defer remove()
	url, stop, err := startSimulatorArgs(bin, "--latency", cpuLatency)
	if err != nil {
		return nil, err
	}
	defer stop()
	var tool, bare, ratio, fixed, toolRate, fixedRate spread
	for rep := range cpuReps {
		r, err := runBinary(bin, dir, url, fmt.Sprintf("c%d", rep), cpuRows)
		if err != nil {
			return nil, err
		}
		f, err := runBinary(bin, dir, url, fmt.Sprintf("f%d", rep), cpuRows, "--no-adapt", "--workers", "8", "--rate", "0")
		if err != nil {
			return nil, err
		}
		b, err := runBare(url, fmt.Sprintf("b%d", rep), cpuRows)
		if err != nil {
			return nil, err
		}
		perRow := func(d time.Duration) float64 { return float64(d.Microseconds()) / cpuRows }
		tool, fixed, bare = append(tool, perRow(r.cpu)), append(fixed, perRow(f.cpu)), append(bare, perRow(b))
		toolRate, fixedRate = append(toolRate, cpuRows/r.wall.Seconds()), append(fixedRate, cpuRows/f.wall.Seconds())
		ratio = append(ratio, perRow(f.cpu)/perRow(b))
	}
	return []figure{
		{fmt.Sprintf("8. CPU per row, %d rows, simulate --latency %s in its own process: median [range] of %d", cpuRows, cpuLatency, cpuReps), "", "", true},
		{"   vicionboard run --no-adapt --workers 8 (ledger, fsync)", fmt.Sprintf("%s µs (%s)", fixed0(fixed), fixedRate.rate("rows/s")), "", true},
		{"   vicionboard run, the defaults (adaptive)", fmt.Sprintf("%s µs (%s)", fixed0(tool), toolRate.rate("rows/s")), "", true},
		{"   bare keep-alive net/http loop, 8 workers", fmt.Sprintf("%s µs", fixed0(bare)), "", true},
		{"   vicionboard --no-adapt --workers 8 / bare loop", ratio.String(), "<= 1.3", ratio.median() <= 1.3},
	}, nil
}

// fixed0 is a spread with no decimals.
func fixed0(s spread) string {
	return fmt.Sprintf("%.0f [%.0f-%.0f]", s.median(), slices.Min(s), slices.Max(s))
}

// adaptiveSweep is figure 9: on a server of 8 slots (50 ms each), the
// throughput of runs with fixed --workers (--no-adapt, no rate limit), and
// of adaptive runs with the defaults and with a ceiling far above the
// capacity, nothing set for the server.
func adaptiveSweep() ([]figure, error) {
	dir, bin, remove, err := builtOnDisk()
	if err != nil {
		return nil, err
	}
	defer remove()
	url, stop, err := startSimulatorArgs(bin, "--capacity", "8", "--latency", capLatency)
	if err != nil {
		return nil, err
	}
	defer stop()
	rate := func(r binRun) float64 { return sweepRows / r.wall.Seconds() }
	figs := []figure{{fmt.Sprintf("9. simulate --capacity 8 --latency %s, %d rows a run (ideal %.0f rows/s)", capLatency, sweepRows,
		8/mustDuration(capLatency).Seconds()), "", "", true}}
	best, bestAt := 0.0, 0
	var sweep []string
	for _, w := range []int{4, 6, 8, 10, 12, 16} {
		r, err := runBinary(bin, dir, url, fmt.Sprintf("w%d", w), sweepRows, "--no-adapt", "--workers", fmt.Sprint(w), "--rate", "0")
		if err != nil {
			return nil, err
		}
		sweep = append(sweep, fmt.Sprintf("%d: %.0f", w, rate(r)))
		if rate(r) > best {
			best, bestAt = rate(r), w
		}
	}
	figs = append(figs, figure{"   fixed --workers sweep (rows/s)", strings.Join(sweep, ", "), "", true})
	for _, c := range []struct {
		name  string
		flags []string
	}{
		{"adaptive, the defaults (ceiling 8)", nil},
		{"adaptive, --workers 32 (ceiling 4x the capacity)", []string{"--workers", "32"}},
	} {
		r, err := runBinary(bin, dir, url, fmt.Sprintf("a%d", len(figs)), sweepRows, append(c.flags, "--log-level", "debug")...)
		if err != nil {
			return nil, err
		}
		ratio := rate(r) / best
		figs = append(figs, figure{"   " + c.name, fmt.Sprintf("%.0f rows/s = %.2f of %d workers' (limits %s)", rate(r), ratio, bestAt, limits(r.out)),
			">= 0.90", ratio >= 0.9})
	}
	return figs, nil
}

func mustDuration(s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return d
}

// limits sums up the limits a debug log went through: "2-9, last 8".
func limits(out []byte) string {
	var seen []int
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l struct {
			Message string `json:"message"`
			Limit   int    `json:"limit"`
		}
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Message == "requests in flight at once" {
			seen = append(seen, l.Limit)
		}
	}
	if len(seen) == 0 {
		return "none logged"
	}
	return fmt.Sprintf("%d-%d, last %d, %d changes", slices.Min(seen), slices.Max(seen), seen[len(seen)-1], len(seen))
}

// probe is one probe request's latency, at a time since the run started.
type probe struct {
	at, took time.Duration
}

// yielding is figure 10: a run against a server of 8 slots; yieldAt into
// the run, live load takes 4 of them for yieldFor. A probe request (a
// version call, through the same slots) every probeEvery measures the
// latency a live user of the server sees: before the load, and how soon
// after it starts it is back within 20% of that. The same with
// --no-adapt --workers 8 shows what not yielding does.
func yielding() ([]figure, error) {
	dir, bin, remove, err := builtOnDisk()
	if err != nil {
		return nil, err
	}
	defer remove()
	figs := []figure{{fmt.Sprintf("10. yielding: simulate --capacity 8 --latency %s, live load on 4 slots from %s for %s, %d rows",
		capLatency, yieldAt, yieldFor, yieldRows), "", "", true}}
	for _, c := range []struct {
		name   string
		flags  []string
		target bool
	}{
		{"adaptive (the defaults)", nil, true},
		{"--no-adapt --workers 8 (for comparison)", []string{"--no-adapt", "--workers", "8", "--rate", "0"}, false},
	} {
		url, stop, err := startSimulatorArgs(bin, "--capacity", "8", "--latency", capLatency)
		if err != nil {
			return nil, err
		}
		probes, r, err := probedRun(bin, dir, url, fmt.Sprintf("y%d", len(figs)), c.flags)
		stop()
		if err != nil {
			return nil, err
		}
		before := medianTook(probes, yieldAt-3*time.Second, yieldAt)
		back := time.Duration(-1)
		for i, p := range probes {
			if p.at < yieldAt || p.at > yieldAt+yieldFor-time.Second {
				continue
			}
			// Back: the median of this probe and the next four.
			if end := min(i+5, len(probes)); medianTook(probes[i:end], 0, time.Hour) <= before*12/10 {
				back = p.at - yieldAt
				break
			}
		}
		during := medianTook(probes, yieldAt+yieldWithin, yieldAt+yieldFor)
		text := fmt.Sprintf("probe %.0f ms before, %.0f ms under the load (%.2fx)", ms(before), ms(during), float64(during)/float64(before))
		met := back >= 0 && back <= yieldWithin
		if back >= 0 {
			text += fmt.Sprintf(", back within 20%% after %.1f s", back.Seconds())
		} else {
			text += ", never back within 20%"
		}
		text += fmt.Sprintf("; run %.1f s", r.wall.Seconds())
		target := ""
		if c.target {
			target = "<= 2 s"
		} else {
			met = true
		}
		figs = append(figs, figure{"   " + c.name, text, target, met})
	}
	return figs, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// medianTook is the median latency of the probes sent in [from, to).
func medianTook(probes []probe, from, to time.Duration) time.Duration {
	var ds []time.Duration
	for _, p := range probes {
		if p.at >= from && p.at < to {
			ds = append(ds, p.took)
		}
	}
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// probedRun runs the binary with flags while a probe measures the server's
// latency and live load comes and goes.
func probedRun(bin, dir, url, prefix string, flags []string) ([]probe, binRun, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	var mu sync.Mutex
	var probes []probe
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		t := time.NewTicker(probeEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			sent := time.Now()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/vicidial/non_agent_api.php", strings.NewReader("function=version"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				continue
			}
			resp.Body.Close()
			mu.Lock()
			probes = append(probes, probe{at: sent.Sub(start), took: time.Since(sent)})
			mu.Unlock()
		}
	}()
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
			return
		case <-time.After(yieldAt):
		}
		resp, err := http.Post(fmt.Sprintf("%s/_simulator/load?slots=4&for=%s", url, yieldFor), "", nil)
		if err == nil {
			resp.Body.Close()
		}
	}()
	r, err := runBinary(bin, dir, url, prefix, yieldRows, flags...)
	cancel()
	wg.Wait()
	if err == nil && r.wall < yieldAt+yieldFor {
		err = fmt.Errorf("the run took %s: it ended before the live load did (more rows needed)", r.wall)
	}
	return probes, r, err
}
