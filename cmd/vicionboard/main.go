// Command vicionboard onboards call-center agents into VICIdial in bulk: it
// turns every row of an HR spreadsheet into an add_user or copy_user call of
// VICIdial's non-agent API and writes a result CSV with every row's outcome.
//
// See the README for the commands, flags, result columns and exit codes.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, a second one kills at once.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
