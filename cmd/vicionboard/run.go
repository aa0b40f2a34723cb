package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"time"

	"github.com/gofrs/flock"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/input"
	"github.com/vicionboard/vicionboard/batch/ledger"
	"github.com/vicionboard/vicionboard/report"
	"github.com/vicionboard/vicionboard/vicidial"
)

// serverOptions are the flags that say how to reach the server.
type serverOptions struct {
	url      string
	apiUser  string
	passFile string
	passFlag string // never used: a flag value would show in ps and shell history
	passEnv  string // the environment variable holding the API password
	source   string
	workers  int
	rate     float64
	noAdapt  bool
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
	// --help shows the default: never a password the URL may hold.
	f.Lookup("url").DefValue = vicidial.RedactURL(o.url)
	f.StringVar(&o.apiUser, "api-user", getenv("VICIDIAL_API_USER"), "API user (env VICIDIAL_API_USER)")
	f.StringVar(&o.passFile, "api-pass-file", "", "file whose first line is the API password (else env VICIDIAL_API_PASS)")
	f.StringVar(&o.passEnv, "api-pass-env", "VICIDIAL_API_PASS", "the environment variable that holds the API password (when no --api-pass-file)")
	f.StringVar(&o.passFlag, "api-pass", "", "not accepted: use VICIDIAL_API_PASS or --api-pass-file")
	_ = f.MarkHidden("api-pass")
	f.StringVar(&o.source, "source", "vicionboard", "source label sent with every call (2-20 characters)")
	o.registerPacing(f) // --workers, --rate, --no-adapt (pacing.go)
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
	limiter, pacer, err := o.pacing(log)
	if err != nil {
		return nil, err
	}
	if o.retries < 0 {
		return nil, usagef("--retries must be 0 or more")
	}
	if o.insecure {
		log.Warn().Msg("--insecure: the server's HTTPS certificate is NOT verified; anyone on the path can read the API password and agents' passwords")
	}
	c, err := vicidial.New(vicidial.Config{
		URL: o.url, User: o.apiUser, Pass: pass, Source: o.source, Timeout: o.timeout,
		Retries: o.retries, Limiter: limiter, Pacer: pacer, CAFile: o.caFile, Insecure: o.insecure, Logger: log,
	})
	if errors.Is(err, vicidial.ErrURLCredentials) {
		return nil, usagef("%w: put the user in VICIDIAL_API_USER and the password in VICIDIAL_API_PASS, not in the URL", err)
	}
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
		pass, err := readPassFile(o.passFile) // bounded: passfile.go
		return vicidial.Secret(pass), err
	}
	name := o.passEnv
	if name == "" {
		name = "VICIDIAL_API_PASS"
	}
	if p := getenv(name); p != "" {
		return vicidial.Secret(p), nil
	}
	return "", usagef("no API password: set %s or use --api-pass-file", name)
}

// runOptions are the flags of run (and check).
type runOptions struct {
	server        serverOptions
	log           logOptions
	ledger        ledgerOptions
	out           string
	strict        bool
	verify        bool
	resendUnknown bool
	breaker       int
	rawCells      bool
	dryRun        bool
	offline       bool
	checking      bool // the check command (its dry run needs no --dry-run)
	update        bool
	deactivate    bool
	identity      identityOptions // --max-level, --allow-level-raise, --accept-identity, --adopt
	drain         time.Duration
	present       presentOptions       // --report, progress (present.go)
	input         inputOptions         // --sheet, --map (xlsx.go)
	profile       string               // --profile (profile.go)
	servers       []dialerOptions      // a profile's servers: (dialers.go); nil for a job with one server
	names         nameOptions          // --feed, --server-name, --new-server (names.go)
	moveServers   bool                 // --move-servers
	phones        *batch.PhoneSettings // a profile's or mapping's phones: (phones.go); nil for none
}

func (a *app) runCommand() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run INPUT.csv",
		Short: "Create an agent account for every row of INPUT.csv and write a result file",
		Long: `Create an agent account for every row of INPUT.csv: rows with a template become copy_user
calls, the others add_user calls. Every row's outcome goes to the result file (--out), and every run,
row outcome and account created to the ledger (--ledger). A person the ledger knows is never created
again; a plan that looks like a bad export stops before anything is sent (exit 4).

An HR system's own export (its column names, no logins or passwords) is read through a mapping
(--map FILE.yaml; vicionboard template --map FILE.yaml writes a starter): logins are generated from a
pattern, and an empty agent_pass gets a generated password, shown only in the result file.

` + profileHelp + "\n\n" + phonesHelp + "\n\n" + exitCodesHelp, // app.go, phones.go
		Example: `  vicionboard run new_hires.csv
  vicionboard run hr_export.xlsx --map hr-mapping.yaml
  vicionboard run /srv/hr/export.csv --profile /etc/vicionboard/nightly.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.prepare(cmd); err != nil {
				return err
			}
			return a.job(cmd, args[0], &o)
		},
	}
	a.registerRunFlags(cmd, &o)
	cmd.Flags().BoolVar(&o.verify, "verify", false, "confirm every SUCCESS with user_details (for old servers that answer SUCCESS when nothing was inserted)")
	cmd.Flags().BoolVar(&o.resendUnknown, "resend-unknown", false, "send again AUTOGENERATED rows whose outcome is UNKNOWN (only after checking the server)")
	cmd.Flags().IntVar(&o.breaker, "breaker", batch.DefaultBreakerThreshold, "stop after this many consecutive transport failures (0 = never)")
	cmd.Flags().DurationVar(&o.drain, "drain-timeout", batch.DefaultDrainTimeout, "on SIGINT/SIGTERM, how long calls in flight may take to finish")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "predict every row's outcome without creating anything (same as the check command)")
	o.ledger.registerFailOn(cmd) // problems.go
	return cmd
}

// registerRunFlags registers the flags run and check share.
func (a *app) registerRunFlags(cmd *cobra.Command, o *runOptions) {
	o.server.register(cmd, a.getenv)
	o.log.register(cmd)
	o.ledger.register(cmd)
	o.present.register(cmd)
	o.input.register(cmd)
	cmd.Flags().StringVar(&o.profile, "profile", "", "YAML file naming the server, API user, password file or variable, ledger, mapping and flags of a scheduled job; the command line wins over it")
	cmd.Flags().StringVar(&o.out, "out", "", "result file: an .xlsx workbook when its name ends in .xlsx, else CSV (default INPUT.results.csv beside the input, INPUT.results.xlsx for a workbook)")
	cmd.Flags().BoolVar(&o.strict, "strict", false, "rows whose full name or custom fields would be cleaned, whose numbers a spreadsheet wrote with a decimal part, or whose optional value VICIdial cannot store would be left out, are INVALID instead of warned about")
	cmd.Flags().BoolVar(&o.rawCells, "raw-cells", false, "write cells as they are, without the ' that stops a spreadsheet from running formulas")
	cmd.Flags().BoolVar(&o.update, "update", false, "apply HR's changes to the accounts vicionboard created: only the fields that changed since they were last applied")
	cmd.Flags().BoolVar(&o.deactivate, "deactivate-missing", false, "deactivate (active=N) the accounts vicionboard created from this input for persons absent from it or whose active column is N; reactivate those who are back (needs --key)")
	cmd.Flags().BoolVar(&o.offline, "offline", false, "dry run only: ask the server nothing (local rules and the ledger's records for --url's server)")
	cmd.Flags().BoolVar(&o.moveServers, "move-servers", false, "a job with several servers (a profile's servers:): create a person whose row now routes to another server than the one the ledger knows them on (their old account is left as it is); without it such a row is HELD (SERVER_MOVE)")
	o.identity.register(cmd)
	o.names.register(cmd)
}

// openInput opens and reads the header of an input file (a CSV export, an
// .xlsx workbook, or an earlier result file).
func openInput(path string, ro input.Options) (*input.Reader, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, usagef("input: %w", err)
	}
	r, err := input.NewReaderOptions(f, path, ro)
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

// openResult opens an earlier result file at path (the --out of a run or
// check) as input: read through the --map mapping when there is one, as
// the run that wrote it read its input, else (a file of another run) as it
// is. The mapping's error is the one returned when neither reads it.
func openResult(path string, ro input.Options) (*input.Reader, *os.File, error) {
	r, f, err := openInput(path, ro)
	if err == nil || ro.Map == nil {
		return r, f, err
	}
	plain := ro
	plain.Map = nil
	if r, f, perr := openInput(path, plain); perr == nil {
		return r, f, nil
	}
	return nil, nil, err
}

// hashedInput is an input being read by the planning pass, which also
// computes the file's SHA-256 for the ledger.
type hashedInput struct {
	*input.Reader
	file *os.File
	hash hash.Hash
}

// openHashedInput opens path for the planning pass.
func openHashedInput(path, name string, ro input.Options) (*hashedInput, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usagef("input: %w", err)
	}
	h := sha256.New()
	r, err := input.NewReaderOptions(io.TeeReader(f, h), name, ro)
	if err != nil {
		f.Close()
		var inErr *batch.InputError
		if errors.As(err, &inErr) {
			return nil, err
		}
		return nil, usagef("%s: %w", name, err)
	}
	return &hashedInput{Reader: r, file: f, hash: h}, nil
}

// sum returns the SHA-256 of the whole file (read to its end first).
func (h *hashedInput) sum() (string, error) {
	if _, err := io.Copy(h.hash, h.file); err != nil {
		return "", fmt.Errorf("read input: %w", err)
	}
	return hex.EncodeToString(h.hash.Sum(nil)), nil
}

func (h *hashedInput) close() {
	h.Reader.Close()
	h.file.Close()
}

// logInput says how an input that is not a plain comma-separated UTF-8
// file was read (an Excel export with ";" or in Windows-1252).
func logInput(log zerolog.Logger, path string, in *input.Reader) {
	if in.Comma() != ',' || in.Encoding() != input.EncodingUTF8 {
		log.Info().Str("file", path).Str("delimiter", fmt.Sprintf("%q", in.Comma())).Str("encoding", in.Encoding()).
			Msg("input read with this delimiter and encoding")
	}
}

// resultOptions writes the result file the way the input was written: the
// same delimiter, and a BOM as --bom says (by default when Excel would
// otherwise garble accented names: present.go).
func resultOptions(in *input.Reader, o *runOptions) report.Options {
	return report.Options{RawCells: o.rawCells, Comma: in.Comma(), BOM: o.present.wantBOM(in), PasswordColumn: "agent_pass", Servers: o.multi(),
		Phones: o.phones != nil}
}

// lockOut takes the lock that allows one run or check per result file. The
// lock file is never removed: a process that opened it while this run was
// ending would lock the removed file while a third one created and locked
// a new file, and two runs would write one result file.
func lockOut(out string) (unlock func(), err error) {
	lock := flock.New(out + ".lock")
	locked, err := lock.TryLock()
	if err != nil && storageOf(err) != storageOK {
		// An unwritable result folder: a fatal stop (exit 3) with its hint.
		return nil, &report.FileError{Path: out, Err: fmt.Errorf("lock %s: %w", out+".lock", err)}
	}
	if err != nil {
		return nil, usagef("lock %s: %w", out+".lock", err)
	}
	if !locked {
		return nil, usagef("another vicionboard run or check is writing %s; wait for it to finish", out)
	}
	return func() { _ = lock.Unlock() }, nil
}

// finisher returns the function that records the end of run id in the
// ledger, with the summary's counts (nil when no row was written) and the
// exit code err maps to, and returns err (or the ledger's error).
func finisher(ctx context.Context, db *ledger.DB, id batch.RunID) func(*report.Summary, error) error {
	return func(summary *report.Summary, err error) error {
		end := batch.RunEnd{Ended: time.Now(), ExitCode: exitCode(err)}
		if summary != nil {
			end.Rows, end.Statuses, end.Codes = summary.Total()-summary.Leavers(), summary.Statuses(), summary.Codes()
			end.Leavers = summary.Leavers()
		}
		if err != nil && !errors.Is(err, errRowsFailed) {
			end.Stopped = err.Error() // history says why (a safeguard's figures, a fatal error)
		}
		if ferr := db.FinishRun(context.WithoutCancel(ctx), id, end); ferr != nil && err == nil {
			return fmt.Errorf("ledger: %w", ferr)
		}
		return err
	}
}

// keyerFor returns the function that makes the Keyer of an input's
// columns: --key's column, or logins and row contents.
func (o *ledgerOptions) keyerFor() func([]string) (*batch.Keyer, error) {
	return func(columns []string) (*batch.Keyer, error) {
		k, err := batch.NewKeyer(columns, o.key)
		if err != nil {
			return nil, usagef("%w", err)
		}
		return k, nil
	}
}

// lifecycleFlags checks the flags that change existing accounts.
func (o *runOptions) lifecycleFlags() error {
	if o.offline && !o.dryRun && !o.checking {
		return usagef("--offline is for a dry run: use vicionboard check --offline (or run --dry-run --offline)")
	}
	if o.deactivate && o.ledger.key == "" {
		return usagef("--deactivate-missing needs --key COLUMN: a person absent from the export is recognised by the key alone")
	}
	return nil
}

func syncClose(f *os.File) error {
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// identityOptions are the flags of what needs a person: the privilege
// ceiling, and identities a person decided on.
type identityOptions struct {
	maxLevel   int
	allowRaise bool
	accept     []string
	adopt      []string
}

func (o *identityOptions) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.IntVar(&o.maxLevel, "max-level", batch.DefaultMaxLevel, "the highest user level this job may give (1-9): a row that would create or copy an account above it is INVALID, and --update never raises one above it; 8 and 9 are managers and administrators")
	f.BoolVar(&o.allowRaise, "allow-level-raise", false, "let --update raise a level to 8 or 9 (within --max-level); without it such a raise is held for a person")
	f.StringSliceVar(&o.accept, "accept-identity", nil, "HR id (the --key column) whose held identity you checked and accept for this run (IDENTITY_CHANGED, KEY_CONFLICT, OWN_ACCOUNT_FOUND: a new login); repeat or separate with commas")
	f.StringSliceVar(&o.adopt, "adopt", nil, "HR id whose account found on the server under its generated login, with its name (OWN_ACCOUNT_FOUND), is theirs: take it over; repeat or separate with commas")
}

// apply checks the flags and sets them in cfg.
func (o *identityOptions) apply(cfg *batch.Config) error {
	if o.maxLevel < 1 || o.maxLevel > 9 {
		return usagef("--max-level %d: user levels go from 1 to 9", o.maxLevel)
	}
	cfg.MaxLevel, cfg.AllowLevelRaise, cfg.AcceptIdentity, cfg.Adopt = o.maxLevel, o.allowRaise, o.accept, o.adopt
	return nil
}
