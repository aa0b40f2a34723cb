// Command vicionboard onboards call-center agents into VICIdial in bulk: it
// turns every row of an HR spreadsheet into an add_user or copy_user call of
// VICIdial's non-agent API and writes a result file with every row's outcome.
//
// See the README for the commands, flags, result columns and exit codes.
package main

import (
	"context"
	"os"
	"runtime/debug"
)

// gcPercent is the garbage collector's target unless GOGC says otherwise.
// The only state that grows with the input is the duplicate-login index,
// arrays without pointers that the collector never has to scan, so collecting
// often costs little CPU and keeps the peak memory near the live heap (a
// 1,000,000-row file stays under 64 MiB).
const gcPercent = 25

// memoryLimit is the garbage collector's soft memory limit unless
// GOMEMLIMIT says otherwise: past it the collector runs more often, so a
// rerun over a 1,000,000-row ledger (the login index, SQLite's caches and
// the binary) stays under 64 MiB. It is soft: a larger input still runs.
const memoryLimit = 40 << 20

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	// Temporary files go to a private folder, removed however the process
	// ends but kill -9 (and then by the next run): see tempdir.go.
	privateTempDir()
	exit := func(code int) {
		removeScratch()
		os.Exit(code)
	}
	// The first SIGINT/SIGTERM stops the run cleanly; a second exits at once.
	ctx, stop := interruptContext(context.Background(), notifyInterrupts(), os.Stderr, exit)
	stopProfiling := startProfiling(os.Getenv, os.Stderr) // VICIONBOARD_PROFILE (profiling.go)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stopProfiling()
	stop()
	exit(code)
}
