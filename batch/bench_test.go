package batch_test

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/input"
	"github.com/vicionboard/vicionboard/batch/ledger"
	"github.com/vicionboard/vicionboard/vicidial"
	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// genCSV returns n add_user rows with distinct logins.
func genCSV(n int, prefix string) string {
	var b strings.Builder
	b.WriteString("employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group,in_groups\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "E%d,%s%07d,Start-2026x,Agent Number %d,1,AGENTS,SALESLINE|SUPPORT\n", i, prefix, i, i)
	}
	return b.String()
}

// discardSink counts rows and the ones whose status is not want, so that a
// benchmark measures the path it means to (creation, not "already exists").
type discardSink struct {
	want     batch.Status
	n, wrong int
}

func (d *discardSink) Write(_ batch.Row, out batch.Outcome) error {
	d.n++
	if out.Status != d.want {
		d.wrong++
	}
	return nil
}

// allocsPerRow reports the heap allocations per row since before, a
// runtime.MemStats read before the loop.
func allocsPerRow(b *testing.B, before runtime.MemStats, rows int) {
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if rows > 0 {
		b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(rows), "allocs/row")
	}
}

// BenchmarkRun measures the whole pipeline (reader, validation, pool, HTTP
// client, simulator over loopback, ordered output) with no rate limit:
// "no_ledger" alone, "ledger" with a fresh SQLite ledger in b.TempDir(), as
// the run command uses it (BeginRun, claims committed with fsync before
// sending, outcomes in group commits, FinishRun; one run per op). Every row
// must be created (a fresh login each time); allocs/row counts the
// in-process simulator's allocations too.
func BenchmarkRun(b *testing.B) {
	b.Run("no_ledger", func(b *testing.B) { benchmarkRun(b, false) })
	b.Run("ledger", func(b *testing.B) { benchmarkRun(b, true) })
}

func benchmarkRun(b *testing.B, withLedger bool) {
	ctx := context.Background()
	srv, err := vicidialtest.NewServer(vicidialtest.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	client, err := vicidial.New(vicidial.Config{URL: srv.URL, User: "6666", Pass: "1234"})
	if err != nil {
		b.Fatal(err)
	}
	var db *ledger.DB
	if withLedger {
		if db, err = ledger.Open(ctx, filepath.Join(b.TempDir(), "ledger.db"), ledger.Options{}); err != nil {
			b.Fatal(err)
		}
		defer db.Close()
	}
	const rowsPerOp = 500
	const inputPath = "/bench/in.csv"
	b.ReportAllocs()
	rows := 0
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; b.Loop(); i++ {
		in, err := input.NewReader(strings.NewReader(genCSV(rowsPerOp, fmt.Sprintf("b%06d", i))), "bench.csv")
		if err != nil {
			b.Fatal(err)
		}
		cfg := batch.Config{Accounts: client, Workers: 8, Logger: zerolog.Nop()}
		if db != nil {
			id, err := db.BeginRun(ctx, batch.RunStart{Command: "run", Server: "sim", Input: inputPath, Started: time.Now()})
			if err != nil {
				b.Fatal(err)
			}
			cfg.Ledger, cfg.RunID, cfg.Server, cfg.Input = db, id, "sim", inputPath
		}
		sink := &discardSink{want: batch.StatusSuccess}
		if err := batch.Run(ctx, in, sink, cfg); err != nil {
			b.Fatal(err)
		}
		if db != nil {
			if err := db.FinishRun(ctx, cfg.RunID, batch.RunEnd{Ended: time.Now(), Rows: sink.n}); err != nil {
				b.Fatal(err)
			}
		}
		if sink.wrong > 0 {
			b.Fatalf("%d of %d rows not SUCCESS", sink.wrong, sink.n)
		}
		rows += sink.n
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	allocsPerRow(b, before, rows)
}

// BenchmarkCheckOffline measures reading and validating rows with no
// server: the cost per row that a 1,000,000-row file pays.
func BenchmarkCheckOffline(b *testing.B) {
	data := genCSV(10000, "c")
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	rows := 0
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		in, err := input.NewReader(strings.NewReader(data), "bench.csv")
		if err != nil {
			b.Fatal(err)
		}
		sink := &discardSink{want: batch.StatusValid}
		if err := batch.Run(context.Background(), in, sink, batch.Config{Mode: batch.ModeDryRun, Logger: zerolog.Nop()}); err != nil {
			b.Fatal(err)
		}
		if sink.wrong > 0 {
			b.Fatalf("%d of %d rows not VALID", sink.wrong, sink.n)
		}
		rows += sink.n
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	allocsPerRow(b, before, rows)
}

// BenchmarkReader measures the CSV reader alone.
func BenchmarkReader(b *testing.B) {
	data := genCSV(10000, "r")
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		in, err := input.NewReader(strings.NewReader(data), "bench.csv")
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := in.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}
