package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/input"
	"github.com/vicionboard/vicionboard/batch/ledger"
	"github.com/vicionboard/vicionboard/report"
)

// presentOptions are the flags of what a person sees besides the result
// file.
type presentOptions struct {
	report reportFlag
	bom    string // --bom: auto, always, never
}

// The values of --bom.
const (
	bomAuto   = "auto"
	bomAlways = "always"
	bomNever  = "never"
)

// register adds --report and --bom to cmd.
func (o *presentOptions) register(cmd *cobra.Command) {
	cmd.Flags().Var(&o.report, "report", "HTML report of the run (default OUT.html beside the result file; --report '' for none)")
	cmd.Flags().StringVar(&o.bom, "bom", bomAuto, "start a CSV result with a UTF-8 byte order mark, which Excel needs to show accents right and some programs do not take: auto (when the input had one, was not UTF-8, or has a character beyond ASCII in its first 64 KiB), always, never")
}

// wantBOM says whether the CSV result of in starts with a byte order mark
// (--bom, which prepare checked; auto: when Excel would otherwise garble
// it).
func (o *presentOptions) wantBOM(in *input.Reader) bool {
	switch o.bom {
	case bomAlways:
		return true
	case bomNever:
		return false
	}
	return in.BOM() || in.Encoding() != input.EncodingUTF8 || in.NonASCII()
}

// reportFlag is --report: a path, "" for no report, or unset for the
// default beside the result file.
type reportFlag struct {
	path string
	set  bool
}

func (f *reportFlag) String() string { return f.path }

func (f *reportFlag) Set(s string) error {
	f.path, f.set = s, true
	return nil
}

func (f *reportFlag) Type() string { return "FILE" }

// defaultReport is OUT.html beside the result file OUT.
func defaultReport(out string) string {
	return strings.TrimSuffix(out, filepath.Ext(out)) + ".html"
}

// reporting is what a person sees of a run besides the result file: the
// progress bar on a terminal (with log lines printed above it), the line
// saying how long the run will take, the HTML report, and the message of
// an interrupt. A run calls newReporting before it builds its logger,
// begin just before the first request, and finish when every row is
// written.
type reporting struct {
	// stderr is where the logger writes: above the progress bar while it
	// is drawn.
	stderr io.Writer

	term       *logOut // nil unless stderr is a terminal and logs are not JSON
	input, out string
	reportPath string // "" for no HTML report
	resume     bool   // running the same command again resumes (run, not check)

	log      zerolog.Logger
	summary  *report.Summary
	title    string
	progress *progress

	// db and runID record the run (recordedIn); nil for a dry run.
	db    *ledger.DB
	runID batch.RunID
	// limit, when set, is the calls the pacer lets be in flight now,
	// shown on the progress bar.
	limit func() int
}

// newReporting decides what a person sees of a run of input into out. It
// refuses a --report path that is the input or the result file.
func (a *app) newReporting(o *presentOptions, logs *logOptions, input, out string, resume bool) (*reporting, error) {
	r := &reporting{stderr: a.stderr, input: input, out: out, resume: resume, reportPath: defaultReport(out), log: zerolog.Nop()}
	if o.report.set {
		r.reportPath = o.report.path
	}
	if r.reportPath != "" {
		rep, _ := filepath.Abs(r.reportPath)
		for _, p := range []string{input, out} {
			if abs, _ := filepath.Abs(p); abs == rep {
				return nil, usagef("--report %s is the file %s: choose another report file", r.reportPath, p)
			}
		}
	}
	if f, ok := a.stderr.(*os.File); ok && isTerminal(f) && logs.format != "json" {
		r.term = &logOut{f: f}
		r.stderr = r.term
	}
	return r, nil
}

// begin is called just before the first request: it says how long the
// run will take at rate requests per second (0: unlimited, or no request
// at all) and draws the progress bar on a terminal. It returns the sink
// the run writes to, which passes every row on to summary.
// s is the planning pass's survey: the input's rows, those that need a
// request, and those done before.
func (r *reporting) begin(log zerolog.Logger, summary *report.Summary, title string, rate float64, s *batch.Survey) batch.Sink {
	rows, toSend := s.Rows, s.Send
	r.log, r.summary, r.title = log, summary, title
	if r.term == nil && rate <= 0 {
		return summary
	}
	if line := estimate(rows, toSend, s.Known, s.Lookups, rate); line != "" {
		log.Info().Int("rows", rows).Int("to_send", toSend).Float64("rate", rate).Msg(line)
	}
	if r.term == nil {
		return summary
	}
	r.progress = newPacedProgress(r.term.f, rows, summary, r.limit)
	r.term.attach(r.progress)
	return r.progress
}

// finish stops the progress bar, writes the HTML report, and returns err,
// or for an interrupt an error that says how many rows finished and how to
// resume.
func (r *reporting) finish(err error) error {
	if r.progress != nil {
		r.progress.finish()
		r.term.attach(nil)
	}
	if r.summary == nil {
		return err
	}
	var fe *report.FileError
	if errors.As(err, &fe) && r.db != nil {
		// The result file lacks rows: the ledger says what was created.
		r.summary.SetLedgerRecord(r.ledgerRecord(err))
	}
	if r.reportPath != "" {
		page := report.Page{Title: r.title, Input: r.input, ResultFile: r.out, Generated: time.Now()}
		if werr := report.WriteHTMLFile(r.reportPath, r.summary.Data(), page); werr != nil {
			r.log.Warn().Err(werr).Str("report", r.reportPath).Msg("could not write the HTML report")
		} else {
			r.summary.SetReportFile(r.reportPath)
		}
	}
	if errors.Is(err, context.Canceled) {
		total := r.summary.Total()
		return &interruptedError{finished: total - r.summary.Count(batch.StatusNotAttempted), total: total, resume: r.resume, err: err}
	}
	return err
}

// interruptedError is a run stopped by SIGINT or SIGTERM, after writing
// every row.
type interruptedError struct {
	finished, total int
	resume          bool // running the same command again resumes
	err             error
}

func (e *interruptedError) Error() string {
	return fmt.Sprintf("interrupted: %s of %s finished; the other %s are NOT_ATTEMPTED in the result file",
		thousands(e.finished), rowsText(e.total), thousands(e.total-e.finished))
}

func (e *interruptedError) Unwrap() error { return e.err }

// hint says how to go on after the interrupt.
func (e *interruptedError) hint() string {
	if e.resume {
		return "run the same command again to resume: rows already finished are not sent again"
	}
	return "run the same command again: a dry run changes nothing, so it simply checks every row again"
}

// describeInput tells the reports about the input whose header is columns:
// the person-key column (--key, or the mapping's key:), the columns that
// name the person (those the mapping reads agent_full_name from, or the
// input's own agent_full_name column), and the mapping, if any.
func (o *runOptions) describeInput(columns []string) report.Input {
	index := func(name string) int {
		for i, c := range columns {
			if strings.EqualFold(strings.TrimSpace(c), strings.TrimSpace(name)) {
				return i
			}
		}
		return -1
	}
	in := report.Input{Key: -1}
	if o.ledger.key != "" {
		in.Key = index(o.ledger.key)
	}
	var names [][]string
	if m := o.input.mapping; m != nil {
		in.Mapping = m.File()
		names = m.NameColumns()
	}
	if len(names) == 0 {
		names = [][]string{{"agent_full_name"}}
	}
	for _, alts := range names {
		var idx []int
		for _, a := range alts {
			if i := index(a); i >= 0 {
				idx = append(idx, i)
			}
		}
		if len(idx) > 0 {
			in.Names = append(in.Names, idx)
		}
	}
	return in
}

// recordedIn says where the run is recorded (the ledger, and the run's
// id), so that finish can say from it what the run created when the result
// file could not be written.
func (r *reporting) recordedIn(db *ledger.DB, id batch.RunID) {
	r.db, r.runID = db, id
}

// ledgerRecord is what the ledger recorded of the run, for a result file
// that could not be written (resultErr): how many accounts the run created
// (CREATED, VERIFIED), and those of them, by line, key and login, and the
// UNKNOWN rows, that come after the last line the file holds.
func (r *reporting) ledgerRecord(resultErr error) *report.LedgerRecord {
	rec := &report.LedgerRecord{RunID: string(r.runID), ResultError: resultErr.Error()}
	var fe *report.FileError
	if errors.As(resultErr, &fe) {
		rec.ResultError = fe.Err.Error()
	}
	// The run is over, interrupted or not: the reads are not cancelled.
	ctx := context.Background()
	err := r.db.Flush(ctx)
	var rows []ledger.Outcome
	if err == nil {
		rows, err = r.db.RunRows(ctx, r.runID)
	}
	if err != nil {
		rec.ReadError = err.Error()
		return rec
	}
	last := r.summary.LastLine()
	for _, o := range rows {
		after := o.Line > last
		switch {
		case o.Code == batch.CodeCreated || o.Code == batch.CodeVerifiedAfterErr:
			rec.CreatedCount++
			if !after {
				break
			}
			rec.MissingCount++
			if len(rec.Missing) < report.RowCap {
				key, ok := strings.CutPrefix(o.Key, "key:")
				if !ok {
					key = "" // a login or a row's content: not a key to show
				}
				rec.Missing = append(rec.Missing, report.Entry{Line: o.Line, Key: key, Login: o.Login, Status: o.Status, Code: o.Code})
			}
		case o.Status == batch.StatusUnknown && after:
			rec.UnknownMissing++
		}
	}
	return rec
}
