package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
	"golang.org/x/time/rate"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/report"
	"github.com/vicionboard/vicionboard/vicidial"
)

// serverOptions are the flags that say how to reach the server.
type serverOptions struct {
	url      string
	apiUser  string
	passFile string
	passFlag string // never used: a flag value would show in ps and shell history
	source   string
	workers  int
	rate     float64
	timeout  time.Duration
	retries  int
	caFile   string
	insecure bool
	// fixedPass, when set, is the password (the demo's simulator user).
	fixedPass vicidial.Secret
}

func (o *serverOptions) register(cmd *cobra.Command, getenv env) {
	f := cmd.Flags()
	f.StringVar(&o.url, "url", getenv("VICIDIAL_URL"), "server URL, e.g. https://dialer.example.com (env VICIDIAL_URL)")
	f.StringVar(&o.apiUser, "api-user", getenv("VICIDIAL_API_USER"), "API user (env VICIDIAL_API_USER)")
	f.StringVar(&o.passFile, "api-pass-file", "", "file whose first line is the API password (else env VICIDIAL_API_PASS)")
	f.StringVar(&o.passFlag, "api-pass", "", "not accepted: use VICIDIAL_API_PASS or --api-pass-file")
	_ = f.MarkHidden("api-pass")
	f.StringVar(&o.source, "source", "vicionboard", "source label sent with every call (2-20 characters)")
	f.IntVar(&o.workers, "workers", batch.DefaultWorkers, "calls in flight at once")
	f.Float64Var(&o.rate, "rate", 10, "requests per second, all workers together (0 = unlimited)")
	f.DurationVar(&o.timeout, "timeout", 30*time.Second, "timeout of one HTTP request")
	f.IntVar(&o.retries, "retries", 3, "retries of a request that is safe to resend (connection refused, 429, 502, 503, 504)")
	f.StringVar(&o.caFile, "ca-file", "", "PEM file of a CA to trust for HTTPS")
	f.BoolVar(&o.insecure, "insecure", false, "do not verify the server's HTTPS certificate (DANGEROUS: the API password can be intercepted)")
}

// configured reports whether a server is named.
func (o *serverOptions) configured() bool { return o.url != "" }

// client builds the API client from the flags and the environment.
func (o *serverOptions) client(cmd *cobra.Command, getenv env, log zerolog.Logger) (*vicidial.Client, error) {
	if cmd.Flags().Changed("api-pass") {
		return nil, usagef("--api-pass is not accepted: a password on the command line shows in ps and in shell history; set VICIDIAL_API_PASS or use --api-pass-file")
	}
	if o.url == "" {
		return nil, usagef("no server: give --url or set VICIDIAL_URL")
	}
	if o.apiUser == "" {
		return nil, usagef("no API user: give --api-user or set VICIDIAL_API_USER")
	}
	pass, err := o.password(getenv)
	if err != nil {
		return nil, err
	}
	if o.workers < 1 {
		return nil, usagef("--workers must be at least 1")
	}
	if o.rate < 0 {
		return nil, usagef("--rate must be 0 (unlimited) or more")
	}
	if o.retries < 0 {
		return nil, usagef("--retries must be 0 or more")
	}
	var limiter *rate.Limiter
	if o.rate > 0 {
		limiter = rate.NewLimiter(rate.Limit(o.rate), 1)
	}
	if o.insecure {
		log.Warn().Msg("--insecure: the server's HTTPS certificate is NOT verified; anyone on the path can read the API password and agents' passwords")
	}
	c, err := vicidial.New(vicidial.Config{
		URL: o.url, User: o.apiUser, Pass: pass, Source: o.source, Timeout: o.timeout,
		Retries: o.retries, Limiter: limiter, CAFile: o.caFile, Insecure: o.insecure, Logger: log,
	})
	if err != nil {
		return nil, &usageError{err}
	}
	return c, nil
}

// password reads the API password from --api-pass-file or VICIDIAL_API_PASS.
func (o *serverOptions) password(getenv env) (vicidial.Secret, error) {
	if o.fixedPass != "" {
		return o.fixedPass, nil
	}
	if o.passFile != "" {
		f, err := os.Open(o.passFile)
		if err != nil {
			return "", usagef("--api-pass-file: %w", err)
		}
		defer f.Close()
		line, err := bufio.NewReader(f).ReadString('\n')
		if err != nil && line == "" {
			return "", usagef("--api-pass-file %s: empty file", o.passFile)
		}
		pass := strings.TrimRight(line, "\r\n")
		if pass == "" {
			return "", usagef("--api-pass-file %s: the first line is empty", o.passFile)
		}
		return vicidial.Secret(pass), nil
	}
	if p := getenv("VICIDIAL_API_PASS"); p != "" {
		return vicidial.Secret(p), nil
	}
	return "", usagef("no API password: set VICIDIAL_API_PASS or use --api-pass-file")
}

// runOptions are the flags of run (and check).
type runOptions struct {
	server        serverOptions
	log           logOptions
	out           string
	strict        bool
	verify        bool
	resendUnknown bool
	breaker       int
	rawCells      bool
	dryRun        bool
	drain         time.Duration
	present       presentOptions // --report (present.go)
}

func (a *app) runCommand() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run INPUT.csv",
		Short: "Create an agent account for every row of INPUT.csv and write a result CSV",
		Long: `Create an agent account for every row of INPUT.csv: rows with a template become copy_user
calls, the others add_user calls. Every row's outcome goes to the result CSV (--out). Feeding a
result CSV back in (or running the same command again) sends only what did not succeed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.dryRun {
				return a.check(cmd, args[0], &o)
			}
			return a.runBatch(cmd, args[0], &o)
		},
	}
	a.registerRunFlags(cmd, &o)
	cmd.Flags().BoolVar(&o.verify, "verify", false, "confirm every SUCCESS with user_details (for old servers that answer SUCCESS when nothing was inserted)")
	cmd.Flags().BoolVar(&o.resendUnknown, "resend-unknown", false, "send again AUTOGENERATED rows whose outcome is UNKNOWN (only after checking the server)")
	cmd.Flags().IntVar(&o.breaker, "breaker", batch.DefaultBreakerThreshold, "stop after this many consecutive transport failures (0 = never)")
	cmd.Flags().DurationVar(&o.drain, "drain-timeout", batch.DefaultDrainTimeout, "on SIGINT/SIGTERM, how long calls in flight may take to finish")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "predict every row's outcome without creating anything (same as the check command)")
	return cmd
}

// registerRunFlags registers the flags run and check share.
func (a *app) registerRunFlags(cmd *cobra.Command, o *runOptions) {
	o.server.register(cmd, a.getenv)
	o.log.register(cmd)
	cmd.Flags().StringVar(&o.out, "out", "", "result CSV (default INPUT.results.csv beside the input)")
	cmd.Flags().BoolVar(&o.strict, "strict", false, "rows whose full name or custom fields would be cleaned are INVALID instead of warned about")
	cmd.Flags().BoolVar(&o.rawCells, "raw-cells", false, "write cells as they are, without the ' that stops a spreadsheet from running formulas")
	o.present.register(cmd) // present.go
}

// defaultOut is INPUT.results.csv beside the input.
func defaultOut(input string) string {
	ext := filepath.Ext(input)
	return strings.TrimSuffix(input, ext) + ".results.csv"
}

// resolveOut returns the result path and refuses one that is the input.
func resolveOut(input, out string) (string, error) {
	if out == "" {
		out = defaultOut(input)
	}
	inAbs, err1 := filepath.Abs(input)
	outAbs, err2 := filepath.Abs(out)
	if err1 == nil && err2 == nil && inAbs == outAbs {
		return "", usagef("--out %s is the input file: choose another result file", out)
	}
	return out, nil
}

// openInput opens and reads the header of an input file.
func openInput(path string) (*batch.Reader, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, usagef("input: %w", err)
	}
	r, err := batch.NewReader(f, path)
	if err != nil {
		f.Close()
		var inErr *batch.InputError
		if errors.As(err, &inErr) {
			return nil, nil, err
		}
		return nil, nil, usagef("%s: %w", path, err)
	}
	return r, f, nil
}

// logInput says how an input that is not a plain comma-separated UTF-8
// file was read (an Excel export with ";" or in Windows-1252).
func logInput(log zerolog.Logger, path string, in *batch.Reader) {
	if in.Comma() != ',' || in.Encoding() != batch.EncodingUTF8 {
		log.Info().Str("file", path).Str("delimiter", fmt.Sprintf("%q", in.Comma())).Str("encoding", in.Encoding()).
			Msg("input read with this delimiter and encoding")
	}
}

// resultOptions writes the result file the way the input was written: the
// same delimiter, and a BOM when the input came from Excel (it had one, or
// was in Windows-1252), so that Excel shows accented names right.
func resultOptions(in *batch.Reader, rawCells bool) report.Options {
	return report.Options{RawCells: rawCells, Comma: in.Comma(), BOM: in.BOM() || in.Encoding() != batch.EncodingUTF8}
}

// runBatch is the run command.
func (a *app) runBatch(cmd *cobra.Command, input string, o *runOptions) error {
	ctx := cmd.Context()
	out, err := resolveOut(input, o.out)
	if err != nil {
		return err
	}
	rep, err := a.newReporting(&o.present, &o.log, input, out, true) // present.go: progress, HTML report, messages
	if err != nil {
		return err
	}
	log, err := o.log.logger(rep.stderr)
	if err != nil {
		return err
	}
	in, inFile, err := openInput(input)
	if err != nil {
		return err
	}
	defer inFile.Close()
	defer in.Close()
	logInput(log, input, in)
	client, err := o.server.client(cmd, a.getenv, log)
	if err != nil {
		return err
	}

	lock := flock.New(out + ".lock")
	locked, err := lock.TryLock()
	if err != nil {
		return usagef("lock %s: %w", out+".lock", err)
	}
	if !locked {
		return usagef("another vicionboard run is writing %s; wait for it to finish", out)
	}
	// The lock file is never removed: a process that opened it while this
	// run was ending would lock the removed file while a third one created
	// and locked a new file, and two runs would share one journal.
	defer func() { _ = lock.Unlock() }()

	journal, err := openJournal(out, o.strict, log)
	if err != nil {
		return err
	}
	w, resultFile, err := report.Create(out, in.Columns(), resultOptions(in, o.rawCells))
	if err != nil {
		journal.Close()
		return err
	}
	summary := report.NewSummary(w)
	breaker := o.breaker
	if breaker == 0 {
		breaker = -1
	}
	sink := rep.begin(log, summary, "vicionboard run", o.server.rate) // present.go
	runErr := batch.Run(ctx, in, sink, batch.Config{
		Accounts: client, APIUser: o.server.apiUser, Workers: o.server.workers, Strict: o.strict,
		Verify: o.verify, ResendUnknown: o.resendUnknown, BreakerThreshold: breaker,
		DrainTimeout: o.drain, Journal: journal, Logger: log,
	})
	runErr = rep.finish(runErr) // present.go
	closeErr := syncClose(resultFile)
	complete := closeErr == nil && !isWriteOrReadError(runErr)
	if complete {
		// Every row's outcome is in the result file: the journal is spent.
		if err := journal.Remove(); err != nil {
			log.Warn().Err(err).Msg("could not remove the journal")
		}
	} else {
		journal.Close()
	}
	_ = summary.Print(a.stderr, "vicionboard run", out)
	logSummary(log, summary, out)
	switch {
	case closeErr != nil:
		return fmt.Errorf("result file %s: %w", out, closeErr)
	case runErr != nil:
		return runErr
	case !summary.AllSucceeded(batch.StatusSuccess):
		return errRowsFailed
	}
	return nil
}

// isWriteOrReadError tells a run that did not reach every row apart from
// one that stopped sending but still wrote every row.
func isWriteOrReadError(err error) bool {
	if err == nil {
		return false
	}
	var stop *batch.StopError
	return !errors.As(err, &stop) && !errors.Is(err, context.Canceled)
}

// openJournal opens the journal beside the result file. A new journal
// first learns what an earlier result file at that path says, so that rows
// created before are not created again.
func openJournal(out string, strict bool, log zerolog.Logger) (*batch.Journal, error) {
	path := batch.JournalPath(out)
	if _, err := os.Stat(path); err == nil {
		j, err := batch.OpenJournal(path)
		if err != nil {
			return nil, err
		}
		log.Info().Str("journal", path).Int("rows", j.Len()).Msg("resuming an interrupted run: rows already done are not sent again")
		return j, nil
	}
	// Build the new journal aside and rename it into place, so that a crash
	// while it is written leaves no half journal to resume from.
	tmp := path + ".new"
	_ = os.Remove(tmp)
	j, err := batch.OpenJournal(tmp)
	if err != nil {
		return nil, err
	}
	n, err := importEarlierResults(j, out, strict, log)
	if err != nil {
		_ = j.Remove()
		return nil, err
	}
	if err := j.Close(); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if n > 0 {
		log.Info().Str("result_file", out).Int("rows", n).Msg("an earlier run's SUCCESS and UNKNOWN rows will not be sent again")
	}
	return batch.OpenJournal(path)
}

// importEarlierResults records in j what an existing result file at out
// says.
func importEarlierResults(j *batch.Journal, out string, strict bool, log zerolog.Logger) (int, error) {
	prev, prevFile, err := openInput(out)
	if err != nil {
		var pathErr *fs.PathError
		if !errors.As(err, &pathErr) || !errors.Is(pathErr, fs.ErrNotExist) {
			log.Warn().Err(err).Msg("the existing result file cannot be read; it will be replaced")
		}
		return 0, nil
	}
	defer prevFile.Close()
	defer prev.Close()
	n, err := batch.ImportResults(j, prev, strict)
	if err != nil {
		return n, fmt.Errorf("read earlier results %s: %w", out, err)
	}
	return n, nil
}

func syncClose(f *os.File) error {
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
