package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/ledger"
	"github.com/vicionboard/vicionboard/vicidial"
)

// historyOptions are the flags of the history command.
type historyOptions struct {
	ledger ledgerOptions
	log    logOptions
	key    string
	login  string
	server string
	format string
	limit  int
	prune  pruneOptions
}

func (a *app) historyCommand() *cobra.Command {
	var o historyOptions
	cmd := &cobra.Command{
		Use:   "history [RUN_ID]",
		Short: "List the runs the ledger remembers, one run's rows, or one account's story; prune old rows",
		Long: `Without arguments: the runs, newest first (id, start, duration, command, input, rows, counts,
pruned, exit code). With RUN_ID: that run's rows. With --key or --login: one person's story: the
account's record (created when, by which run) and every run that saw the person, oldest first.

With --prune-before DATE|AGE (2026-09-01, 90d): delete the row outcomes of the finished runs started
before then, keeping every run's line in the list (with its counts) and every person's record (what
prevents creating an account twice). Unfinished runs and the last run on each server and input keep
their rows. --dry-run lists what would be deleted; --vacuum then shrinks the file (it needs free disk
space of up to twice its size; without it, the ledger reuses the space freed). The runs pruned are
listed on stdout at a terminal, or with --format; otherwise (a cron job, whose output cron mails)
only the log line on stderr says the totals.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.history(cmd, args, &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.ledger.path, "ledger", "", "the ledger: a SQLite file, or a postgres:// URL (env VICIONBOARD_LEDGER; default $XDG_STATE_HOME/vicionboard/ledger.db)")
	f.StringVar(&o.key, "key", "", "tell the story of the person with this key (the --key column's value, e.g. an employee id)")
	f.StringVar(&o.login, "login", "", "tell the story of the account with this login")
	f.StringVar(&o.server, "url", "", "only this server (default: every server)")
	f.StringVar(&o.format, "format", "", "table, csv or json (default: table on a terminal, csv otherwise)")
	f.IntVar(&o.limit, "limit", 50, "at most this many runs (0 = all)")
	f.StringVar(&o.prune.before, "prune-before", "", "delete the row outcomes of the finished runs started before this date (2026-09-01, UTC), time (RFC 3339) or age (90d, 12w, 36h)")
	f.BoolVar(&o.prune.vacuum, "vacuum", false, "with --prune-before: then rewrite the ledger file to give the space back (needs free disk space of up to twice its size)")
	f.BoolVar(&o.prune.dryRun, "dry-run", false, "with --prune-before: list what would be deleted, delete nothing")
	o.log.register(cmd)
	return cmd
}

// history is the history command.
func (a *app) history(cmd *cobra.Command, args []string, o *historyOptions) error {
	ctx := cmd.Context()
	log, err := a.logger(&o.log, a.stderr)
	if err != nil {
		return err
	}
	format, err := tableFormat(o.format, a.stdout)
	if err != nil {
		return err
	}
	var before time.Time
	if o.prune.before != "" {
		if len(args) > 0 || o.key != "" || o.login != "" || o.server != "" {
			return usagef("--prune-before prunes every server's runs: give it without a RUN_ID, --key, --login or --url")
		}
		if o.prune.vacuum && o.prune.dryRun {
			return usagef("--vacuum with --dry-run: a dry run changes nothing")
		}
		if before, err = parseBefore(o.prune.before, time.Now()); err != nil {
			return err
		}
	} else if o.prune.vacuum || o.prune.dryRun {
		return usagef("--vacuum and --dry-run go with --prune-before")
	}
	path, err := o.ledger.ledgerPath(a.getenv)
	if err != nil {
		return err
	}
	if !ledger.Exists(path) {
		return usagef("no ledger at %s: no run has been recorded there (give --ledger or set VICIONBOARD_LEDGER)", ledger.RedactLocation(path))
	}
	db, _, err := o.ledger.openLedger(ctx, a.getenv, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if o.prune.before != "" {
		// The list of runs pruned is for a person at a terminal, or for
		// whoever asks for it (--format, --dry-run); a weekly cron job's
		// stdout, which cron mails, stays empty.
		list := o.format != "" || o.prune.dryRun || isTerminal(a.stdout)
		return a.prune(ctx, db, before, &o.prune, format, list, log)
	}
	server := ""
	if o.server != "" {
		if server, err = vicidial.Endpoint(o.server); err != nil {
			return &usageError{err}
		}
		// The server's name, which its persons are kept under.
		if name, ok, err := db.ServerByURL(ctx, server); err != nil {
			return err
		} else if ok {
			server = name
		}
	}
	t := table{format: format}
	switch {
	case o.key != "" || o.login != "":
		if len(args) > 0 {
			return usagef("give a RUN_ID or --key/--login, not both")
		}
		q := ledger.StoryQuery{Server: server, Login: o.login}
		if o.key != "" {
			// The key in its one form, as every run keeps it (e0005 is E0005).
			if q.Key, err = batch.ColumnKey(o.key); err != nil {
				return usagef("--key: %w", err)
			}
		}
		st, err := db.Story(ctx, q)
		if err != nil {
			return err
		}
		if len(st.Persons) == 0 && len(st.Events) == 0 {
			return usagef("the ledger knows no person with %s", describeQuery(o))
		}
		t.header = []string{"when", "run", "command", "line", "login", "function", "status", "code", "reason"}
		a.tellPersons(st.Persons, format, log)
		for _, e := range st.Events {
			cmdName := e.Command
			if e.DryRun {
				cmdName += " (dry run)"
			}
			t.add(stamp(e.At), string(e.Run), cmdName, strconv.Itoa(e.Line), e.Login, e.Function, string(e.Status), e.Code, e.Reason)
		}
	case len(args) == 1:
		id := batch.RunID(args[0])
		run, ok, err := db.Run(ctx, id)
		if err != nil {
			return err
		} else if !ok {
			return usagef("the ledger has no run %s (see vicionboard history)", id)
		}
		if run.End.Stopped != "" {
			log.Warn().Str("run", string(id)).Int("exit_code", run.End.ExitCode).Str("stopped", run.End.Stopped).
				Msgf("run %s stopped (exit %d): %s", id, run.End.ExitCode, run.End.Stopped)
		}
		rows, err := db.RunRows(ctx, id)
		if err != nil {
			return err
		}
		prunings, err := db.Prunings(ctx)
		if err != nil {
			return err
		}
		if p, ok := prunings[id]; ok && !p.At.IsZero() {
			log.Warn().Str("run", string(id)).Int("pruned_rows", p.Rows).Time("pruned_at", p.At).
				Msgf("run %s: its %d row outcomes were pruned at %s (history --prune-before): its counts are in the run list, and each person's record stays (history --key)",
					id, p.Rows, stamp(p.At))
		} else if ok {
			log.Warn().Str("run", string(id)).Int("pruned_rows", p.Rows).
				Msgf("run %s: %d of its row outcomes were pruned by an interrupted prune, the rest are shown: prune again to finish", id, p.Rows)
		}
		t.header = []string{"line", "key", "login", "function", "status", "code", "reason", "at"}
		for _, r := range rows {
			t.add(strconv.Itoa(r.Line), r.Key, r.Login, r.Function, string(r.Status), r.Code, r.Reason, stamp(r.At))
		}
	default:
		runs, err := db.Runs(ctx, o.limit)
		if err != nil {
			return err
		}
		prunings, err := db.Prunings(ctx)
		if err != nil {
			return err
		}
		t.header = []string{"run", "started", "duration", "command", "input", "rows", "counts", "pruned", "exit", "stopped"}
		for _, r := range runs {
			if server != "" && r.Start.Server != server {
				continue
			}
			command, duration, exit := r.Start.Command, "running or killed", ""
			if r.Start.DryRun && command != "check" {
				command += " (dry run)"
			}
			if !r.End.Ended.IsZero() {
				duration = r.End.Ended.Sub(r.Start.Started).Round(time.Millisecond).String()
				exit = strconv.Itoa(r.End.ExitCode)
			}
			pruned := ""
			if p, ok := prunings[r.ID]; ok {
				pruned = stamp(p.At)
				if p.At.IsZero() {
					pruned = "partly"
				}
			}
			rows := strconv.Itoa(r.End.Rows)
			if r.End.Leavers > 0 {
				// Leavers' rows come after the input's: say them apart.
				rows += fmt.Sprintf(" (+%d not in the input)", r.End.Leavers)
			}
			t.add(string(r.ID), stamp(r.Start.Started), duration, command, r.Start.Input, rows,
				counts(r.End.Statuses, r.End.Codes), pruned, exit, r.End.Stopped)
		}
	}
	return t.write(a.stdout)
}

// tellPersons says what the ledger's records of a person's story hold:
// above the table for a person reading it; for a program (csv, json),
// whose stdout holds only the data, as log lines on stderr (JSON objects
// with --log-format json), each record's fields apart.
func (a *app) tellPersons(persons []batch.Person, format string, log zerolog.Logger) {
	for _, p := range persons {
		key := strings.TrimPrefix(p.Key, "key:")
		line := fmt.Sprintf("person %s on %s: %s, login %s, created by run %s at %s", key,
			p.Server, p.State, p.Login, p.CreatedBy, stamp(p.CreatedAt))
		if format == "table" {
			fmt.Fprintln(a.stdout, line)
			continue
		}
		log.Info().Str("key", key).Str("server", p.Server).Str("state", string(p.State)).Str("login", p.Login).
			Str("created_by", string(p.CreatedBy)).Str("created_at", stamp(p.CreatedAt)).Msg(line)
	}
}

func describeQuery(o *historyOptions) string {
	if o.key != "" {
		return "key " + o.key
	}
	return "login " + o.login
}

// counts says a run's counts per status, then per reason code.
func counts(statuses map[batch.Status]int, codes map[string]int) string {
	var parts []string
	for _, k := range sortedKeys(statuses) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, statuses[batch.Status(k)]))
	}
	var reasons []string
	for _, k := range sortedKeys(codes) {
		reasons = append(reasons, fmt.Sprintf("%s=%d", k, codes[k]))
	}
	if len(reasons) > 0 {
		parts = append(parts, "("+strings.Join(reasons, " ")+")")
	}
	return strings.Join(parts, " ")
}

func sortedKeys[K ~string, V any](m map[K]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	return keys
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// tableFormat is the format of a listing: --format, else a table on a
// terminal and CSV otherwise.
func tableFormat(format string, stdout io.Writer) (string, error) {
	if format == "" {
		format = "csv"
		if isTerminal(stdout) {
			format = "table"
		}
	}
	if format != "table" && format != "csv" && format != "json" {
		return "", usagef("--format %q: use table, csv or json", format)
	}
	return format, nil
}

// table is the history's output: a table for a person, CSV or JSON (an
// array of objects keyed by the header) for programs.
type table struct {
	format string
	header []string
	rows   [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer) error {
	switch t.format {
	case "json":
		out := make([]map[string]string, 0, len(t.rows))
		for _, r := range t.rows {
			m := make(map[string]string, len(r))
			for i, c := range r {
				m[t.header[i]] = c
			}
			out = append(out, m)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(t.header); err != nil {
			return err
		}
		if err := cw.WriteAll(t.rows); err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(t.header, "\t")))
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}
