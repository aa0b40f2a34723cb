package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
)

// profileEnv names the environment variable that profiles a run for
// development: VICIONBOARD_PROFILE=PREFIX writes PREFIX.cpu (CPU) and
// PREFIX.allocs (allocations) for go tool pprof.
const profileEnv = "VICIONBOARD_PROFILE"

// startProfiling starts the CPU profile when profileEnv is set, and
// returns the function that writes both profiles at exit.
func startProfiling(getenv env, stderr io.Writer) func() {
	prefix := getenv(profileEnv)
	if prefix == "" {
		return func() {}
	}
	cpu, err := os.Create(prefix + ".cpu")
	if err != nil {
		fmt.Fprintf(stderr, "vicionboard: %s: %v\n", profileEnv, err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		fmt.Fprintf(stderr, "vicionboard: %s: %v\n", profileEnv, err)
		cpu.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		cpu.Close()
		f, err := os.Create(prefix + ".allocs")
		if err != nil {
			fmt.Fprintf(stderr, "vicionboard: %s: %v\n", profileEnv, err)
			return
		}
		runtime.GC()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			fmt.Fprintf(stderr, "vicionboard: %s: %v\n", profileEnv, err)
		}
		f.Close()
	}
}
