package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/input"
	"github.com/vicionboard/vicionboard/batch/ledger"
	"github.com/vicionboard/vicionboard/batch/ledger/ledgertest"
	"github.com/vicionboard/vicionboard/vicidial"
	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// Figure 5's setting: a latency-bound server, where the ledger's commits
// should hide behind the calls in flight.
const (
	durableRows    = 5000
	durableLatency = 2 * time.Millisecond
	durableReps    = 3
	profileRows    = 20000 // the profiled run (-profile)
)

// tmpfsMagic is statfs's f_type of a tmpfs (linux/magic.h).
const tmpfsMagic = 0x01021994

// diskDir returns a directory on a real disk for ledger files: the
// system's temporary directory unless it is a tmpfs (an fsync there costs
// nothing, so the figure would flatter the ledger), else .bench/ in the
// working directory (the repository's root under make).
func diskDir() (string, error) {
	if dir := os.TempDir(); !isTmpfs(dir) {
		return os.MkdirTemp(dir, "vicionboard-bench")
	}
	if err := os.MkdirAll(".bench", 0o700); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(".bench", "ledger")
	if err != nil {
		return "", err
	}
	if isTmpfs(dir) {
		os.RemoveAll(dir)
		return "", errors.New("both the temporary directory and .bench/ are on a tmpfs: no disk to measure fsync on")
	}
	return filepath.Abs(dir)
}

func isTmpfs(dir string) bool {
	var st syscall.Statfs_t
	return syscall.Statfs(dir, &st) == nil && st.Type == tmpfsMagic
}

// ledgerPipeline runs n rows through batch.Run against srv with a fresh
// ledger at path, as the run command does (BeginRun, Run, FinishRun), and
// returns rows/s over batch.Run alone. profile, when set, is a file name
// prefix: the run then writes a CPU profile and a block profile.
func ledgerPipeline(srv *vicidialtest.Server, n int, path, profile string) (float64, error) {
	ctx := context.Background()
	client, err := vicidial.New(vicidial.Config{URL: srv.URL, User: "6666", Pass: "1234"})
	if err != nil {
		return 0, err
	}
	opts := ledger.Options{}
	if ledger.IsPostgres(path) {
		dir, err := os.MkdirTemp("", "vicionboard-bench-key")
		if err != nil {
			return 0, err
		}
		defer os.RemoveAll(dir)
		opts.KeyFile = filepath.Join(dir, "ledger.key")
	}
	db, err := ledger.Open(ctx, path, opts)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	const inputPath = "/bench/in.csv"
	id, err := db.BeginRun(ctx, batch.RunStart{Command: "run", Server: "sim", Input: inputPath, Started: time.Now()})
	if err != nil {
		return 0, err
	}
	in, err := input.NewReader(strings.NewReader(csvRows(n, "d")), "in.csv")
	if err != nil {
		return 0, err
	}
	sink := &countSink{}
	stop, err := startProfiles(profile)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	err = batch.Run(ctx, in, sink, batch.Config{Accounts: client, Workers: workers, Logger: zerolog.Nop(),
		Ledger: db, RunID: id, Server: "sim", Input: inputPath})
	took := time.Since(start)
	if perr := stop(); err == nil {
		err = perr
	}
	if err != nil {
		return 0, err
	}
	if err := db.FinishRun(ctx, id, batch.RunEnd{Ended: time.Now(), Rows: n}); err != nil {
		return 0, err
	}
	if sink.n[batch.StatusSuccess] != n {
		return 0, fmt.Errorf("ledger pipeline: %v, want %d SUCCESS", sink.n, n)
	}
	return float64(n) / took.Seconds(), nil
}

// startProfiles starts a CPU profile, an execution trace and block
// profiling when prefix is set; the returned function stops them and
// writes PREFIX.cpu, PREFIX.trace and PREFIX.block.
func startProfiles(prefix string) (func() error, error) {
	if prefix == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(prefix + ".cpu")
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	tf, err := os.Create(prefix + ".trace")
	if err != nil {
		pprof.StopCPUProfile()
		f.Close()
		return nil, err
	}
	if err := trace.Start(tf); err != nil {
		pprof.StopCPUProfile()
		f.Close()
		tf.Close()
		return nil, err
	}
	runtime.SetBlockProfileRate(1)
	return func() error {
		trace.Stop()
		tf.Close()
		pprof.StopCPUProfile()
		runtime.SetBlockProfileRate(0)
		err := f.Close()
		b, berr := os.Create(prefix + ".block")
		if berr != nil {
			return errors.Join(err, berr)
		}
		return errors.Join(err, pprof.Lookup("block").WriteTo(b, 0), b.Close())
	}, nil
}

// spread is a measurement repeated: its median and range.
type spread []float64

func (s spread) median() float64 {
	c := slices.Clone(s)
	slices.Sort(c)
	return c[len(c)/2]
}

func (s spread) String() string {
	return fmt.Sprintf("%.2f [%.2f-%.2f]", s.median(), slices.Min(s), slices.Max(s))
}

func (s spread) rate(unit string) string {
	return fmt.Sprintf("%.0f %s [%.0f-%.0f]", s.median(), unit, slices.Min(s), slices.Max(s))
}

// cpuTime returns the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// contender is one of figure 5's clients, measured on a fresh simulator.
type contender struct {
	name string
	unit string
	run  func(srv *vicidialtest.Server, rep int) (float64, error)
	rate spread // rows/s per repetition
	cpu  spread // CPU µs per row (the simulator's included) per repetition
}

// durability is figure 5: the pipeline with a ledger on a real disk beside
// the bare loop, both at 2 ms per call and 8 workers, and the pipeline
// without a ledger, so that the ledger's own cost shows. Each repetition
// measures the three, on fresh simulators, one after the other; ratios are
// taken within a repetition. The CPU time per row (the in-process
// simulator's included) is the steadier figure on a busy machine.
func durability(profile string) ([]figure, error) {
	dir, err := diskDir()
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	fresh := func() (*vicidialtest.Server, error) {
		return vicidialtest.NewServer(vicidialtest.Options{Latency: durableLatency})
	}
	cs := []*contender{
		{name: "bare net/http loop", unit: "req/s", run: func(srv *vicidialtest.Server, _ int) (float64, error) {
			return bareLoop(srv, durableRows)
		}},
		{name: "pipeline, no ledger", unit: "rows/s", run: func(srv *vicidialtest.Server, _ int) (float64, error) {
			return pipeline(srv, durableRows, nil)
		}},
		{name: "pipeline, ledger", unit: "rows/s", run: func(srv *vicidialtest.Server, rep int) (float64, error) {
			return ledgerPipeline(srv, durableRows, filepath.Join(dir, fmt.Sprintf("ledger%d.db", rep)), "")
		}},
	}
	// The same on PostgreSQL: a cluster of its own on the same disk, with
	// fsync and synchronous commits, over a Unix socket. As root, the
	// cluster runs as the user postgres, who must reach its folder.
	if os.Geteuid() == 0 {
		for d := dir; d != filepath.Dir(d) && (d == dir || filepath.Base(d) == ".bench"); d = filepath.Dir(d) {
			os.Chmod(d, 0o711)
		}
	}
	pg, pgErr := ledgertest.Start(ledgertest.StartOptions{Durable: true, Dir: dir})
	if pgErr == nil {
		defer pg.Stop()
		cs = append(cs, &contender{name: "pipeline, PostgreSQL ledger", unit: "rows/s", run: func(srv *vicidialtest.Server, _ int) (float64, error) {
			url, err := pg.Schema()
			if err != nil {
				return 0, err
			}
			return ledgerPipeline(srv, durableRows, url, "")
		}})
	}
	var leanRatio, durableRatio, pgRatio spread
	for rep := 0; rep < durableReps; rep++ {
		for _, c := range cs {
			srv, err := fresh()
			if err != nil {
				return nil, err
			}
			runtime.GC()
			cpu := cpuTime()
			r, err := c.run(srv, rep)
			cpu = cpuTime() - cpu
			srv.Close()
			if err != nil {
				return nil, err
			}
			c.rate = append(c.rate, r)
			c.cpu = append(c.cpu, float64(cpu.Microseconds())/durableRows)
		}
		leanRatio = append(leanRatio, cs[1].rate[rep]/cs[0].rate[rep])
		durableRatio = append(durableRatio, cs[2].rate[rep]/cs[0].rate[rep])
		if len(cs) > 3 {
			pgRatio = append(pgRatio, cs[3].rate[rep]/cs[0].rate[rep])
		}
	}
	if profile != "" {
		// An extra, longer run, profiled and left out of the figure.
		srv, err := fresh()
		if err != nil {
			return nil, err
		}
		_, err = ledgerPipeline(srv, profileRows, filepath.Join(dir, "profiled.db"), profile)
		srv.Close()
		if err != nil {
			return nil, err
		}
	}
	cs[2].name = "pipeline, SQLite ledger (" + fsType(dir) + ", fsync)"
	if len(cs) > 3 {
		cs[3].name += " (" + fsType(dir) + ", fsync, Unix socket)"
	}
	figs := []figure{{fmt.Sprintf("5. %d rows, 2 ms latency, 8 workers: median [range] of %d", durableRows, durableReps), "", "", true}}
	for _, c := range cs {
		figs = append(figs, figure{"   " + c.name, fmt.Sprintf("%s, %.0f µs CPU/row", c.rate.rate(c.unit), c.cpu.median()), "", true})
	}
	figs = append(figs,
		figure{"   pipeline, no ledger / bare loop", leanRatio.String(), "", true},
		figure{"   pipeline, SQLite ledger / bare loop", durableRatio.String(), ">= 0.95", durableRatio.median() >= 0.95},
	)
	if pgErr != nil {
		return append(figs, figure{"   pipeline, PostgreSQL ledger", "not measured: " + pgErr.Error() + " (" + ledgertest.Install + ")", "", true}), nil
	}
	return append(figs, figure{"   pipeline, PostgreSQL ledger / bare loop", pgRatio.String(), ">= 0.95", pgRatio.median() >= 0.95}), nil
}

// fsType names the file system dir is on, as /proc/self/mounts says.
func fsType(dir string) string {
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return "file system unknown"
	}
	best, typ := "", "file system unknown"
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		mnt := f[1]
		if (dir == mnt || strings.HasPrefix(dir, strings.TrimSuffix(mnt, "/")+"/")) && len(mnt) > len(best) {
			best, typ = mnt, f[2]
		}
	}
	return typ
}
