// Package report writes what a run leaves for people: the result CSV
// (every input column, then the result_* columns), the summary printed at
// the end and the HTML report, both rendered from one Data, and the table
// of reason codes that explains each result_reason.
package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vicionboard/vicionboard/batch"
)

// ResultColumns are the columns the writer appends to the input's columns.
var ResultColumns = []string{
	"result_status", "result_login", "result_reason", "result_warnings", "result_row", "result_at",
}

// ServerColumn is the result column that names each row's server, for a
// job with several servers (Options.Servers); it follows ResultColumns.
const ServerColumn = "result_server"

// PhoneColumns are the result columns of a job whose rows may ask for a
// phone of their own (Options.Phones), after the others: the phone's
// extension and login, and the passwords vicionboard generated for it
// (empty when the row gave them, or the phone was made by another run).
var PhoneColumns = []string{"result_phone_extension", "result_phone_login", "result_phone_pass", "result_phone_registration_password"}

// FileMode is the permission of result files: they hold passwords.
const FileMode os.FileMode = 0o600

// Options tunes a Writer.
type Options struct {
	// RawCells turns off the defusing of spreadsheet formulas: by default a
	// cell starting with = + - @ tab or carriage return is written with a
	// leading ' so that a spreadsheet shows it as text.
	RawCells bool
	// Comma is the delimiter; zero means ','. The CLI passes the input's,
	// so that a ";" export from a European Excel comes back the same way.
	Comma rune
	// BOM starts the file with a UTF-8 byte order mark, without which Excel
	// on Windows reads UTF-8 as Windows-1252 ("José" shows as "JosÃ©").
	BOM bool
	// PasswordColumn names the column that shows the passwords vicionboard
	// generated (Outcome.Password), matched case-insensitively among the
	// input's columns; when they have none, it is added after them. ""
	// shows no generated password.
	PasswordColumn string
	// Servers adds the ServerColumn, for a job with several servers.
	Servers bool
	// Phones adds the PhoneColumns, for a job with phones.
	Phones bool
}

// FileError is a result file that could not be written (created, a row
// written, synced or closed, or the .xlsx made): the disk is full, the
// folder read-only... Rows written before it are in the file; the ledger
// has every outcome.
type FileError struct {
	Path string // the result file (for an .xlsx, the CSV beside it while rows are written)
	Err  error
}

// Error returns "result file PATH: ERR".
func (e *FileError) Error() string { return "result file " + e.Path + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *FileError) Unwrap() error { return e.Err }

// SyncClose syncs and closes the result file f at path, returning a
// *FileError when either fails.
func SyncClose(f *os.File, path string) error {
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return &FileError{Path: path, Err: err}
	}
	return nil
}

// Writer writes a result CSV row by row, flushing each row so that a crash
// keeps every finished row. It implements batch.Sink.
type Writer struct {
	csv     *csv.Writer
	opts    Options
	buf     []string
	columns int    // the input's columns, and the password column when added
	passCol int    // the index of Options.PasswordColumn, or -1
	path    string // the file written, when Create made the writer: its errors are *FileError
}

var _ batch.Sink = (*Writer)(nil)

// NewWriter writes the header (columns, then ResultColumns) to w.
func NewWriter(w io.Writer, columns []string, opts Options) (*Writer, error) {
	if opts.BOM {
		if _, err := io.WriteString(w, "\uFEFF"); err != nil {
			return nil, fmt.Errorf("write result header: %w", err)
		}
	}
	rw := &Writer{csv: csv.NewWriter(w), opts: opts, passCol: -1}
	if opts.Comma != 0 {
		rw.csv.Comma = opts.Comma
	}
	header := make([]string, 0, len(columns)+2+len(ResultColumns))
	header = append(header, columns...)
	if name := opts.PasswordColumn; name != "" {
		rw.passCol = slices.IndexFunc(columns, func(c string) bool { return strings.EqualFold(strings.TrimSpace(c), name) })
		if rw.passCol < 0 {
			rw.passCol = len(header)
			header = append(header, name)
		}
	}
	rw.columns = len(header)
	header = append(header, ResultColumns...)
	if opts.Servers {
		header = append(header, ServerColumn)
	}
	if opts.Phones {
		header = append(header, PhoneColumns...)
	}
	if err := rw.writeRecord(header); err != nil {
		return nil, fmt.Errorf("write result header: %w", err)
	}
	return rw, nil
}

// Create opens path for a new result file with mode 0600, truncating an
// existing one, and writes the header. For an .xlsx path (IsXLSX) the rows
// are written as CSV beside it, to CSVPath(path), and FinishXLSX makes the
// workbook once every row is written.
func Create(path string, columns []string, opts Options) (*Writer, *os.File, error) {
	path = CSVPath(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, FileMode)
	if err != nil {
		return nil, nil, &FileError{Path: path, Err: fmt.Errorf("create: %w", err)}
	}
	if err := f.Chmod(FileMode); err != nil {
		f.Close()
		return nil, nil, &FileError{Path: path, Err: fmt.Errorf("create: %w", err)}
	}
	w, err := NewWriter(f, columns, opts)
	if err != nil {
		f.Close()
		return nil, nil, &FileError{Path: path, Err: err}
	}
	w.path = path
	return w, f, nil
}

// Write writes one row: its cells, then its outcome. An outcome carried over
// from an earlier run keeps its original status, login, reason, warnings and
// time.
func (w *Writer) Write(row batch.Row, out batch.Outcome) error {
	rec := w.buf[:0]
	rec = append(rec, row.Cells...)
	for len(rec) < w.columns {
		rec = append(rec, "")
	}
	if out.Password != "" && w.passCol >= 0 {
		rec[w.passCol] = out.Password
	}
	if p := out.Carried; p != nil {
		rec = append(rec, p.Status, p.Login, p.Reason, p.Warnings, resultRow(row), p.At)
	} else {
		at := ""
		if !out.At.IsZero() {
			at = out.At.UTC().Format(time.RFC3339)
		}
		rec = append(rec, string(out.Status), out.Login, out.Reason, out.WarningText(), resultRow(row), at)
	}
	if w.opts.Servers {
		rec = append(rec, resultServer(out))
	}
	if w.opts.Phones {
		ph := out.Phone
		switch {
		case out.Carried != nil:
			ph = &out.Carried.Phone
		case ph == nil:
			ph = &batch.PhoneResult{}
		}
		rec = append(rec, ph.Extension, ph.Login, ph.Pass, ph.Registration)
	}
	w.buf = rec
	return w.writeRecord(rec)
}

func (w *Writer) writeRecord(rec []string) error {
	if !w.opts.RawCells {
		for i, c := range rec {
			rec[i] = Defuse(c)
		}
	}
	err := w.csv.Write(rec)
	if err == nil {
		w.csv.Flush()
		err = w.csv.Error()
	}
	if err != nil && w.path != "" {
		return &FileError{Path: w.path, Err: err}
	}
	return err
}

// Defuse returns s with a leading ' when a spreadsheet would otherwise take
// it for a formula: it starts with = + - @ tab or carriage return, possibly
// after apostrophes (so that a cell that really starts with ' survives the
// round trip through batch's reader, which removes exactly one).
func Defuse(s string) string {
	rest := strings.TrimLeft(s, "'")
	if rest != "" && strings.ContainsRune(formulaStarts, rune(rest[0])) {
		return "'" + s
	}
	return s
}

// formulaStarts are the first characters that make a spreadsheet evaluate a
// cell.
const formulaStarts = "=+-@\t\r"

// resultRow is the result_row cell: the row's line in the input, or empty
// for a row that is not in the input (a leaver deactivated by
// --deactivate-missing).
func resultRow(row batch.Row) string {
	if row.Line == 0 {
		return ""
	}
	return strconv.Itoa(row.Line)
}

// resultServer is the result_server cell: the server the row went to; for
// an outcome carried over from an earlier run, the server its result file
// names (when it names one). Empty for a row no server was chosen for (it
// named none of the job's).
func resultServer(out batch.Outcome) string {
	if p := out.Carried; p != nil && p.Server != "" {
		return p.Server
	}
	return out.Server
}
