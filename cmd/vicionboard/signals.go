package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/rs/zerolog"
)

// What the first and the second SIGINT or SIGTERM print on stderr.
const (
	firstSignalLine  = "interrupted: no new row is sent; calls in flight finish, then the rest are written NOT_ATTEMPTED (a second signal exits at once)"
	secondSignalLine = "second signal: exiting now; run the same command again to resume"
)

// signalLogger, once the command logs JSON lines, is where the signal lines
// go, so that stderr holds JSON lines only (a scheduler's SIGTERM included).
var signalLogger atomic.Pointer[zerolog.Logger]

// sayOnSignal prints a signal line: a JSON log line when the command logs
// JSON, else plain text.
func sayOnSignal(stderr io.Writer, line string) {
	if l := signalLogger.Load(); l != nil {
		l.Warn().Msg(line)
		return
	}
	fmt.Fprintln(stderr, line)
}

// notifyInterrupts starts delivering SIGINT and SIGTERM to the returned
// channel, for the life of the process. It is never stopped: signal.Stop (and
// signal.NotifyContext's stop) restore the disposition the process started
// with, and a process started with SIGINT ignored (a background job of a
// non-interactive shell) would then ignore the second Ctrl-C.
func notifyInterrupts() <-chan os.Signal {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	return sigs
}

// interruptContext returns a context cancelled by the first signal received
// on sigs; the run then stops sending and drains the calls in flight. Each
// signal prints one line on stderr; the second then calls exit(130) at once.
// The returned stop function ends the watch, waiting for it, and cancels the
// context: signals that come after it are left alone.
func interruptContext(parent context.Context, sigs <-chan os.Signal, stderr io.Writer, exit func(int)) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	done, finished := make(chan struct{}), make(chan struct{})
	// next waits for a signal; false once stop was called (checked again
	// after a signal, as select picks at random among ready cases).
	next := func() bool {
		select {
		case <-sigs:
		case <-done:
			return false
		}
		select {
		case <-done:
			return false
		default:
			return true
		}
	}
	go func() {
		defer close(finished)
		if !next() {
			return
		}
		cancel()
		sayOnSignal(stderr, firstSignalLine)
		if next() {
			sayOnSignal(stderr, secondSignalLine)
			exit(exitInterrupted)
		}
	}()
	stop := sync.OnceFunc(func() {
		close(done)
		<-finished
	})
	return ctx, func() {
		stop()
		cancel()
	}
}
