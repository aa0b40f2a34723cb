package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/ledger"
	"github.com/vicionboard/vicionboard/report"
	"github.com/vicionboard/vicionboard/vicidial"
)

// Exit codes, documented in the README.
const (
	exitOK          = 0   // every row SUCCESS (or VALID / WOULD_SUCCEED for a dry run)
	exitRowsFailed  = 1   // some row is not SUCCESS
	exitUsage       = 2   // bad usage or unreadable input: nothing was sent
	exitFatal       = 3   // a fatal condition stopped the run: credentials, rights, unreachable server, unwritable result, damaged state
	exitSafeguard   = 4   // a safeguard stopped the run before its first request: nothing was sent
	exitInterrupted = 130 // SIGINT or SIGTERM
)

// exitCodesHelp lists the exit codes for run --help and check --help, as
// the README's table does.
const exitCodesHelp = `Exit codes:
  0    every row SUCCESS (a dry run: every row VALID or WOULD_SUCCEED)
  1    the run finished, but some row is not SUCCESS (see the result file); with --fail-on new,
       only when a row's problem is new since the last run of this input, or a row is UNKNOWN
  2    usage error or unreadable input (bad flag, missing file, bad header, result file locked
       by another run): nothing was sent
  3    a fatal condition stopped the run: wrong API password, lockout, missing rights, server
       unreachable, result file or ledger not writable (a full or read-only disk), damaged
       ledger; rows not sent are NOT_ATTEMPTED; the hint: line says what to do
  4    a safeguard stopped the run before its first request: nothing was sent (--force accepts
       the plan)
  130  interrupted (SIGINT/SIGTERM): calls in flight finished, the rest are NOT_ATTEMPTED;
       running the same command again resumes`

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
	// log is the command's logger once built; jsonLogs says it writes JSON,
	// so that stderr then holds JSON lines only.
	log      zerolog.Logger
	jsonLogs bool
	runID    batch.RunID // the run's id in the ledger, once begun
}

// run executes the command line args and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv env) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	root := a.rootCommand()
	a.earlyLog(root, args)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	code := exitCode(err)
	if err != nil && !errors.Is(err, errRowsFailed) {
		h := hint(err)
		if c, _, ferr := root.Find(args); h == "" && ferr == nil && isCobraUsage(err) {
			h = "`" + c.CommandPath() + " --help` lists its arguments and flags"
		}
		var fe *report.FileError
		if errors.As(err, &fe) && a.runID != "" {
			// What the run did is in the ledger, whatever the file lacks.
			h = strings.TrimPrefix(h+"; every row of this run, from the ledger: vicionboard history "+string(a.runID), "; ")
		}
		if a.jsonLogs {
			ev := a.log.Error().Err(err).Int("exit_code", code)
			if h != "" {
				ev = ev.Str("hint", h)
			}
			ev.Msg("vicionboard stopped")
			return code
		}
		var intr *interruptedError
		if errors.Is(err, context.Canceled) && !errors.As(err, &intr) {
			fmt.Fprintln(stderr, "vicionboard: interrupted")
		} else {
			fmt.Fprintf(stderr, "vicionboard: %v\n", err)
		}
		if h != "" {
			fmt.Fprintf(stderr, "hint: %s\n", h)
		}
	}
	return code
}

// earlyLog makes the logger of a command whose log lines will be JSON
// (--log-format json, or auto and stderr not a terminal) before cobra
// parses the flags, so that stderr holds JSON lines only even when the
// command line itself is wrong (a bad flag, --key against the mapping's
// key:) or a signal comes before the command built its logger. The
// flags are read from args as written: parsing may stop before it reaches
// --log-format. The command's own logger replaces this one once built.
func (a *app) earlyLog(root *cobra.Command, args []string) {
	cmd, _, err := root.Find(args)
	if err != nil || cmd.Flags().Lookup("log-format") == nil {
		return
	}
	o := logOptions{format: flagValue(args, "log-format")}
	if !o.json(a.stderr) {
		return
	}
	a.setLog(zerolog.New(a.stderr).With().Timestamp().Logger(), true)
}

// flagValue returns the last value args give the flag --name (as --name V
// or --name=V), or "", reading no further than a "--".
func flagValue(args []string, name string) string {
	v := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if rest, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			v = rest
		} else if a == "--"+name && i+1 < len(args) {
			v = args[i+1]
			i++
		}
	}
	return v
}

// hint tells a person what to do about a fatal condition, or returns "".
func hint(err error) string {
	var state *stateError
	var safeguard *batch.SafeguardError
	var intr *interruptedError
	switch {
	case errors.As(err, &state):
		return state.hint
	case errors.As(err, &safeguard):
		return "check the export (is it complete? are the columns in place?), then run `vicionboard check` to see the plan; if the plan is right, run again with --force (or raise the threshold named above)"
	case errors.As(err, &intr):
		return intr.hint()
	case errors.Is(err, context.Canceled):
		return "run the same command again to resume"
	case ledger.IsBusy(err):
		return "another vicionboard process (a run, a prune or a vacuum) kept the ledger locked for longer than the busy timeout: try again when it has ended"
	}
	if h := storageHint(err); h != "" {
		return h
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
	var safeguard *batch.SafeguardError
	var state *stateError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errRowsFailed):
		return exitRowsFailed
	case errors.As(err, &safeguard):
		return exitSafeguard
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &stop), errors.As(err, &state), errors.Is(err, batch.ErrLedgerDamaged):
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
		a.historyCommand(), a.ledgerCommand(), a.rekeyCommand(), a.reasonsCommand(), a.templateCommand(), a.versionCommand())
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

// logger builds the command's logger on stderr from o, and remembers it
// (with whether it writes JSON) for the messages at the end of the run.
func (a *app) logger(o *logOptions, w io.Writer) (zerolog.Logger, error) {
	log, err := o.logger(w)
	if err != nil {
		return log, err
	}
	a.setLog(log, o.json(a.stderr))
	return log, nil
}

// setLog makes log the command's logger (for the messages at the end, and
// for the signal lines when the logs are JSON).
func (a *app) setLog(log zerolog.Logger, json bool) {
	a.log, a.jsonLogs = log, json
	if json {
		signalLogger.Store(&log)
	}
}

// json reports whether the logs are JSON lines.
func (o *logOptions) json(stderr io.Writer) bool {
	return o.format == "json" || ((o.format == "auto" || o.format == "") && !isTerminal(stderr))
}

// printSummary prints the summary for a person: on stderr, or on stdout
// when stderr holds JSON log lines (which a log collector reads whole).
func (a *app) printSummary(s *report.Summary, title, outPath string) {
	_ = s.Print(a.textOut(), title, outPath)
}

// printf prints a line for a person where the summary goes.
func (a *app) printf(format string, args ...any) {
	fmt.Fprintf(a.textOut(), format, args...)
}

func (a *app) textOut() io.Writer {
	if a.jsonLogs {
		return a.stdout
	}
	return a.stderr
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

// logSummary logs the run's counts per status and per reason code as one
// structured line, for log collectors and schedulers that do not read the
// text summary: "created" (accounts created by this run) is the CREATED
// reason's count, apart from CARRIED_OVER, ALREADY_CREATED and
// ALREADY_EXISTS; when the result file could not be written, the ledger's
// count, with how many of them the file lacks.
func logSummary(log zerolog.Logger, summary *report.Summary, outPath string, took time.Duration, dryRun bool) {
	statuses := zerolog.Dict()
	for st, n := range summary.Statuses() {
		statuses = statuses.Int(string(st), n)
	}
	codes := zerolog.Dict()
	for c, n := range summary.Codes() {
		codes = codes.Int(c, n)
	}
	// A dry run creates nothing: its CREATED rows are predictions.
	created := "created"
	if dryRun {
		created = "would_create"
	}
	n := summary.Codes()[batch.CodeCreated]
	if dryRun {
		// An offline check's rows that would be created are VALID.
		n += summary.Codes()[batch.CodeValid]
	}
	l := summary.Data().Ledger
	if l != nil && l.ReadError == "" {
		// The result file lacks rows: the ledger's count is the run's.
		n = l.CreatedCount
	}
	ev := log.Info().Str("result_file", outPath).Int("rows", summary.Total()).
		Float64("duration_s", took.Seconds()).Int(created, n).
		Dict("statuses", statuses).Dict("reasons", codes)
	if l != nil {
		ev = ev.Bool("result_file_incomplete", true).Int("created_missing_from_result_file", l.MissingCount)
	}
	if n := summary.Data().NewProblems; n >= 0 {
		ev = ev.Int("new_problems", n)
	}
	for st, n := range summary.Statuses() {
		ev = ev.Int(strings.ToLower(string(st)), n)
	}
	if servers := summary.Data().Servers; len(servers) > 0 {
		ev = ev.Dict("servers", serverCounts(servers)) // a job with several servers: the counts of each
	}
	ev.Msg("summary")
}

// serverCounts is the JSON summary's "servers": for each server (by
// name; "(none)" for the rows sent to none), its rows, statuses and
// reasons.
func serverCounts(servers []report.ServerCounts) *zerolog.Event {
	d := zerolog.Dict()
	for _, c := range servers {
		statuses, codes := zerolog.Dict(), zerolog.Dict()
		for _, st := range c.Statuses {
			statuses = statuses.Int(st.Name, st.N)
		}
		for _, code := range c.Codes {
			codes = codes.Int(code.Name, code.N)
		}
		d = d.Dict(c.Shown(), zerolog.Dict().Int("rows", c.Total).Dict("statuses", statuses).Dict("reasons", codes))
	}
	return d
}

// isTerminal reports whether w is a terminal: an *os.File, or a writer
// that prints on one and says so with its Fd (the progress bar's).
func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}
