// Command benchfigures prints the performance figures of the README,
// measured on this machine against the simulator on loopback:
//
//  1. pipeline rows/s beside a bare net/http loop (zero latency, 8 workers);
//  2. latency-bound efficiency (20 ms per call, 8 workers, ideal 400 rows/s);
//  3. rate accuracy at --rate 50 over 10 s, and the largest 1-second burst;
//  4. peak RSS of an offline check of 100,000 and 1,000,000 rows, and the
//     duplicate-login index's bytes per row;
//  5. speed with durability: the pipeline with a fresh ledger (SQLite, and
//     PostgreSQL when its server programs are installed) on a real
//     disk, and without one, beside the bare loop (2 ms latency, 8 workers);
//  6. peak RSS and duration of the built binary rerunning a 1,000,000-row
//     input it created (every row ALREADY_CREATED from the ledger);
//  7. peak RSS of an offline check of 100,000 rows from an .xlsx to an
//     .xlsx (xlsx.go);
//  8. CPU (user + system) per row of the built binary's run with a ledger,
//     beside a bare keep-alive net/http loop's, each a process of its own,
//     against `vicionboard simulate` in a third (pacing.go);
//  9. adaptive pacing on a `simulate --capacity 8` server, beside the best
//     fixed --workers of a sweep (pacing.go);
//  10. yielding: live load takes half the capacity mid-run; how soon the
//     latency of a probe request comes back (pacing.go).
//
// -only picks figures (-only 5); -profile PREFIX profiles an extra run of
// figure 5 (PREFIX.cpu, PREFIX.block, PREFIX.trace for go tool pprof and
// go tool trace).
//
// It is run by `make bench`. It reports; it never fails on a missed target.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/input"
	"github.com/vicionboard/vicionboard/vicidial"
	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

const workers = 8

// figure is one line of the report.
type figure struct {
	name, value, target string
	met                 bool
}

func main() {
	only := flag.String("only", "", "comma-separated figures to measure, e.g. 5,6 (default all)")
	profile := flag.String("profile", "", "file name prefix: profile figure 5's last ledger run (PREFIX.cpu, PREFIX.block)")
	bare := flag.String("bare", "", "internal (figure 8): run the bare loop against this endpoint URL in this process, and exit")
	bareRows := flag.Int("bare-rows", cpuRows, "internal: the bare loop's rows")
	barePrefix := flag.String("bare-prefix", "b", "internal: the bare loop's login prefix")
	flag.Parse()
	if *bare != "" {
		if _, err := bareLoopURL(*bare, *bareRows, *barePrefix); err != nil {
			fmt.Fprintln(os.Stderr, "benchfigures -bare:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*only, *profile); err != nil {
		fmt.Fprintln(os.Stderr, "benchfigures:", err)
		os.Exit(1)
	}
}

func run(only, profile string) error {
	fmt.Printf("vicionboard performance figures (%d CPUs, %s, %s)\n\n", runtime.NumCPU(), cpuModel(), runtime.Version())
	figures := []func() ([]figure, error){throughput, latencyBound, rateAccuracy, memory,
		func() ([]figure, error) { return durability(profile) }, rerunMemory, xlsxMemory,
		cpuPerRow, adaptiveSweep, yielding}
	for i, f := range figures {
		if only != "" && !slices.Contains(strings.Split(only, ","), strconv.Itoa(i+1)) {
			continue
		}
		got, err := f()
		if err != nil {
			return err
		}
		for _, g := range got {
			switch {
			case g.value == "":
				fmt.Printf("  %s\n", g.name)
			case g.target == "":
				fmt.Printf("  %-52s %s\n", g.name, g.value)
			default:
				fmt.Printf("  %-52s %-26s target %-16s %s\n", g.name, g.value, g.target, verdict(g.met))
			}
		}
	}
	return nil
}

func verdict(met bool) string {
	if met {
		return "MET"
	}
	return "MISSED"
}

// cpuModel reads the CPU's name from /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// csvRows returns n add_user rows with distinct logins.
func csvRows(n int, prefix string) string {
	var b strings.Builder
	b.WriteString("agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%s%07d,Start-2026x,Agent Number %d,1,AGENTS\n", prefix, i, i)
	}
	return b.String()
}

type countSink struct {
	mu sync.Mutex
	n  map[batch.Status]int
}

func (c *countSink) Write(_ batch.Row, o batch.Outcome) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[batch.Status]int{}
	}
	c.n[o.Status]++
	return nil
}

// pipeline runs n rows through batch.Run against srv and returns rows/s.
func pipeline(srv *vicidialtest.Server, n int, limiter *rate.Limiter) (float64, error) {
	client, err := vicidial.New(vicidial.Config{URL: srv.URL, User: "6666", Pass: "1234", Limiter: limiter})
	if err != nil {
		return 0, err
	}
	in, err := input.NewReader(strings.NewReader(csvRows(n, "p")), "bench.csv")
	if err != nil {
		return 0, err
	}
	sink := &countSink{}
	start := time.Now()
	err = batch.Run(context.Background(), in, sink, batch.Config{Accounts: client, Workers: workers, Logger: zerolog.Nop()})
	took := time.Since(start)
	if err != nil {
		return 0, err
	}
	if sink.n[batch.StatusSuccess] != n {
		return 0, fmt.Errorf("pipeline: %v, want %d SUCCESS", sink.n, n)
	}
	return float64(n) / took.Seconds(), nil
}

// bareLoop sends the same add_user forms with plain net/http from workers
// goroutines, and returns requests/s.
func bareLoop(srv *vicidialtest.Server, n int) (float64, error) {
	return bareLoopURL(srv.Endpoint(), n, "n")
}

// bareLoopURL is bareLoop against the endpoint URL, with logins starting
// with prefix.
func bareLoopURL(endpoint string, n int, prefix string) (float64, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	hc := &http.Client{Transport: tr}
	jobs := make(chan int)
	errc := make(chan error, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				form := url.Values{"source": {"bench"}, "user": {"6666"}, "pass": {"1234"}, "function": {"add_user"},
					"agent_user": {fmt.Sprintf("%s%07d", prefix, i)}, "agent_pass": {"Start-2026x"}, "agent_user_level": {"1"},
					"agent_full_name": {fmt.Sprintf("Agent Number %d", i)}, "agent_user_group": {"AGENTS"}}
				resp, err := hc.PostForm(endpoint, form)
				if err != nil {
					errc <- err
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if !strings.HasPrefix(string(b), "SUCCESS") {
					errc <- fmt.Errorf("bare loop: %q", b)
					return
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	took := time.Since(start)
	select {
	case err := <-errc:
		return 0, err
	default:
	}
	return float64(n) / took.Seconds(), nil
}

// throughput is figure 1.
func throughput() ([]figure, error) {
	const n = 10000
	best := func(f func(*vicidialtest.Server, int) (float64, error)) (float64, error) {
		top := 0.0
		for i := 0; i < 3; i++ {
			srv, err := vicidialtest.NewServer(vicidialtest.Options{})
			if err != nil {
				return 0, err
			}
			r, err := f(srv, n)
			srv.Close()
			if err != nil {
				return 0, err
			}
			top = max(top, r)
		}
		return top, nil
	}
	pipe, err := best(func(s *vicidialtest.Server, n int) (float64, error) { return pipeline(s, n, nil) })
	if err != nil {
		return nil, err
	}
	bare, err := best(bareLoop)
	if err != nil {
		return nil, err
	}
	ratio := pipe / bare
	return []figure{
		{"1. pipeline, 0 ms latency, 8 workers, no limit", fmt.Sprintf("%.0f rows/s", pipe), "", true},
		{"   bare net/http loop, same requests", fmt.Sprintf("%.0f req/s", bare), "", true},
		{"   pipeline / bare loop", fmt.Sprintf("%.2f", ratio), ">= 0.80", ratio >= 0.80},
	}, nil
}

// latencyBound is figure 2.
func latencyBound() ([]figure, error) {
	const n = 1000
	srv, err := vicidialtest.NewServer(vicidialtest.Options{Latency: 20 * time.Millisecond})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	got, err := pipeline(srv, n, nil)
	if err != nil {
		return nil, err
	}
	srv2, err := vicidialtest.NewServer(vicidialtest.Options{Latency: 20 * time.Millisecond})
	if err != nil {
		return nil, err
	}
	defer srv2.Close()
	bare, err := bareLoop(srv2, n)
	if err != nil {
		return nil, err
	}
	eff := got / 400
	return []figure{
		{"2. 20 ms latency, 8 workers (ideal 400 rows/s)", fmt.Sprintf("%.1f rows/s = %.3f", got, eff), ">= 0.95", eff >= 0.95},
		{"   bare net/http loop, same latency", fmt.Sprintf("%.1f req/s = %.3f", bare, bare/400), "", true},
	}, nil
}

// rateAccuracy is figure 3.
func rateAccuracy() ([]figure, error) {
	const perSecond, seconds = 50, 10
	srv, err := vicidialtest.NewServer(vicidialtest.Options{})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	// One request more than the run's rows: the credentials check.
	if _, err := pipeline(srv, perSecond*seconds, rate.NewLimiter(perSecond, 1)); err != nil {
		return nil, err
	}
	var at []time.Time
	for _, r := range srv.Sim.Requests() {
		at = append(at, r.At)
	}
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	achieved := float64(len(at)-1) / at[len(at)-1].Sub(at[0]).Seconds()
	ratio := achieved / perSecond
	burst := 0
	for i, j := 0, 0; i < len(at); i++ {
		for at[i].Sub(at[j]) >= time.Second {
			j++
		}
		burst = max(burst, i-j+1)
	}
	off := (ratio - 1) * 100
	return []figure{
		{"3. --rate 50 over 10 s: achieved / requested", fmt.Sprintf("%.2f/s = %.4f (%+.2f%%)", achieved, ratio, off), "within 2%", off > -2 && off < 2},
		{"   most requests in any 1 s window", fmt.Sprintf("%d", burst), "<= 51", burst <= perSecond+1},
	}, nil
}

// memory is figure 4.
func memory() ([]figure, error) {
	dir, err := os.MkdirTemp("", "vicionboard-bench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin, err := buildBinary(dir)
	if err != nil {
		return nil, err
	}
	var figs []figure
	for _, n := range []int{100_000, 1_000_000} {
		in := filepath.Join(dir, fmt.Sprintf("rows%d.csv", n))
		if err := writeRows(in, n); err != nil {
			return nil, err
		}
		cmd := exec.Command(bin, "check", in, "--out", filepath.Join(dir, "out.csv"), "--log-format", "json")
		cmd.Env = append(os.Environ(), "VICIDIAL_URL=")
		start := time.Now()
		peak, out, err := peakRSS(cmd)
		if err != nil {
			return nil, fmt.Errorf("check %d rows: %v\n%s", n, err, out)
		}
		took := time.Since(start)
		rss := float64(peak) / 1024 // KiB -> MiB
		figs = append(figs, figure{fmt.Sprintf("4. peak RSS, offline check of %d rows", n),
			fmt.Sprintf("%.1f MiB (%.1f s)", rss, took.Seconds()), "< 64 MiB", rss < 64})
		os.Remove(in)
	}
	figs = append(figs, figure{"   duplicate-login index", fmt.Sprintf("%.1f bytes/row", indexBytesPerRow(1_000_000)), "compact", true})
	return figs, nil
}

// peakRSS runs cmd and returns its peak resident set in KiB, read from
// VmHWM in /proc while it runs. (The rusage of a child is no use here: it
// counts the parent's pages the child shared before exec.)
func peakRSS(cmd *exec.Cmd) (int64, []byte, error) {
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return 0, nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	var peak int64
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return peak, []byte(out.String()), err
		case <-tick.C:
			if kib := vmHWM(status); kib > peak {
				peak = kib
			}
		}
	}
}

// vmHWM reads the VmHWM line (peak RSS, KiB) of a /proc status file.
func vmHWM(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kib int64
			fmt.Sscanf(strings.TrimSpace(rest), "%d", &kib)
			return kib
		}
	}
	return 0
}

func writeRows(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group,in_groups,notes")
	for i := 0; i < n; i++ {
		fmt.Fprintf(w, "E%d,m%07d,Start-2026x,Agent Number %d,1,AGENTS,SALESLINE|SUPPORT,hired %d\n", i, i, i, i%365)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// indexBytesPerRow measures the heap the duplicate-login index holds per
// login claimed.
func indexBytesPerRow(n int) float64 {
	logins := make([]string, n)
	for i := range logins {
		logins[i] = fmt.Sprintf("m%07d", i)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ix := batch.NewLoginIndex()
	for i, l := range logins {
		ix.Claim(l, i+2)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(ix)
	runtime.KeepAlive(logins)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
}
