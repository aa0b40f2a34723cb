package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/report"
	"github.com/vicionboard/vicionboard/vicidial"
)

// Exit codes, documented in the README.
const (
	exitOK          = 0   // every row SUCCESS (or VALID / WOULD_SUCCEED for a dry run)
	exitRowsFailed  = 1   // some row is not SUCCESS
	exitUsage       = 2   // bad usage or unreadable input: nothing was sent
	exitFatal       = 3   // a fatal condition stopped the run: credentials, rights, unreachable server, unwritable result
	exitInterrupted = 130 // SIGINT or SIGTERM
)

// usageError is a mistake in the command line or the input file, found
// before anything was sent.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// errRowsFailed says the run worked but not every row succeeded.
var errRowsFailed = errors.New("not every row succeeded")

// env is the process environment, as a function for tests.
type env func(string) string

// app holds what every command shares.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         env
}

// run executes the command line args and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv env) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	code := exitCode(err)
	if err != nil && !errors.Is(err, errRowsFailed) {
		var intr *interruptedError
		if errors.Is(err, context.Canceled) && !errors.As(err, &intr) {
			fmt.Fprintln(stderr, "vicionboard: interrupted")
		} else {
			fmt.Fprintf(stderr, "vicionboard: %v\n", err)
		}
		if h := hint(err); h != "" {
			fmt.Fprintf(stderr, "hint: %s\n", h)
		}
	}
	return code
}

// hint tells a person what to do about a fatal condition, or returns "".
func hint(err error) string {
	var intr *interruptedError
	switch {
	case errors.As(err, &intr):
		return intr.hint()
	case errors.Is(err, context.Canceled):
		return "run the same command again to resume"
	}
	switch vicidial.ReasonOf(err) {
	case vicidial.ReasonLoginIncorrect:
		return "check VICIDIAL_API_USER and the API password; every wrong try counts towards VICIdial's lockout (10 in 15 minutes), so fix them before running again"
	case vicidial.ReasonLockedOut:
		return "VICIdial locked the API user out after 10 failed logins; wait 15 minutes, and fix the password first"
	case vicidial.ReasonNoPermission:
		return `the API user needs user level 8 or more, "Modify Users", "API Access" (and "View Reports" for user_details) in the VICIdial admin screen`
	case vicidial.ReasonFunctionNotAllowed:
		return "allow add_user, copy_user and user_details in the API user's \"API Allowed Functions\""
	case vicidial.ReasonInvalidSource:
		return "--source must be 2 to 20 characters"
	}
	if vicidial.IsTransport(err) {
		return "check --url / VICIDIAL_URL, and that this machine can reach the server"
	}
	return ""
}

// exitCode maps an error to the documented exit codes: the one place that
// does.
func exitCode(err error) int {
	var usage *usageError
	var stop *batch.StopError
	var input *batch.InputError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errRowsFailed):
		return exitRowsFailed
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &stop):
		return exitFatal
	case errors.As(err, &usage), errors.As(err, &input):
		return exitUsage
	case isCobraUsage(err):
		return exitUsage
	default:
		return exitFatal
	}
}

// isCobraUsage recognises cobra's own argument and flag errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand", "unknown command", "accepts ", "requires ", "invalid argument", "flag needs an argument", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "vicionboard",
		Short:         "Onboard call-center agents into VICIdial in bulk",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionString(),
	}
	root.SetVersionTemplate("{{.Name}} {{.Version}}\n")
	root.AddCommand(a.runCommand(), a.checkCommand(), a.simulateCommand(), a.demoCommand(),
		a.reasonsCommand(), a.versionCommand())
	return root
}

// logOptions are the logging flags every command has.
type logOptions struct {
	level  string
	format string
}

func (o *logOptions) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.level, "log-level", "info", "log level: debug, info, warn, error")
	cmd.Flags().StringVar(&o.format, "log-format", "auto", "log format: auto (console on a terminal, JSON otherwise), json, console")
}

// logger builds the zerolog logger on stderr.
func (o *logOptions) logger(stderr io.Writer) (zerolog.Logger, error) {
	level, err := zerolog.ParseLevel(strings.ToLower(o.level))
	if err != nil || o.level == "" {
		return zerolog.Nop(), usagef("--log-level %q: use debug, info, warn or error", o.level)
	}
	var w io.Writer = stderr
	switch o.format {
	case "json":
	case "console":
		w = zerolog.ConsoleWriter{Out: stderr, NoColor: !isTerminal(stderr)}
	case "auto", "":
		if isTerminal(stderr) {
			w = zerolog.ConsoleWriter{Out: stderr}
		}
	default:
		return zerolog.Nop(), usagef("--log-format %q: use auto, json or console", o.format)
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger(), nil
}

// logSummary logs the counts per status as one structured line, for log
// collectors and schedulers that do not read the text summary.
func logSummary(log zerolog.Logger, summary *report.Summary, outPath string) {
	ev := log.Info().Str("result_file", outPath).Int("rows", summary.Total())
	for st, n := range summary.Statuses() {
		ev = ev.Int(strings.ToLower(string(st)), n)
	}
	ev.Msg("summary")
}

// isTerminal reports whether w is a terminal: an *os.File, or a writer
// that prints on one and says so with its Fd (the progress bar's).
func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}
