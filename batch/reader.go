package batch

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/gocarina/gocsv"
)

// Column names the reader treats specially.
const (
	colTemplate   = "template"
	colSourceUser = "source_user"
	colStatus     = "result_status"
)

// resultColumns are the columns a result file adds to its input's.
var resultColumns = []string{"result_status", "result_login", "result_reason", "result_warnings", "result_row", "result_at"}

// Reader streams the rows of an input file: a CSV export from HR, or the
// result file of an earlier run. gocsv maps each record onto Fields through
// a decoder that normalises the header; the Reader keeps each record's raw
// cells and real line number beside it. Memory does not grow with the
// number of rows.
type Reader struct {
	file       string
	columns    []string // pass-through columns, as written
	keep       []int    // index in the record of each pass-through column
	normalised []string // every header cell, normalised
	resultIdx  map[string]int
	isResult   bool
	width      int
	comma      rune
	encoding   string
	bom        bool

	dec    *decoder
	rows   chan Fields
	errc   chan error
	stop   chan struct{}
	closed sync.Once
	seq    int
	done   bool
}

// record is one CSV record as read, before gocsv maps it.
type record struct {
	line  int
	cells []string
	err   *InputError
}

// decoder hands gocsv the normalised header, then one record per data row
// (an empty one for a row that cannot be decoded), and queues each
// record's raw cells and line for the Reader, in the same order.
type decoder struct {
	r      *csv.Reader
	file   string
	header []string
	width  int
	sent   bool
	queue  chan record
	stop   chan struct{}
	isRes  bool
}

// GetCSVRow implements gocsv.SimpleDecoder.
func (d *decoder) GetCSVRow() ([]string, error) {
	if !d.sent {
		d.sent = true
		return d.header, nil
	}
	for {
		cells, err := d.r.Read()
		line := 0
		if err == nil {
			line, _ = d.r.FieldPos(0)
		}
		if err == io.EOF {
			return nil, io.EOF
		}
		var rec record
		var perr *csv.ParseError
		switch {
		case errors.As(err, &perr):
			rec = record{line: perr.StartLine, err: &InputError{File: d.file, Line: perr.StartLine, Column: perr.Column,
				Msg: "unreadable record: " + perr.Err.Error()}}
		case err != nil:
			return nil, err
		case blank(cells):
			continue
		default:
			rec = record{line: line, cells: append([]string(nil), cells...)}
			if len(cells) != d.width {
				rec.err = d.widthError(line, cells)
			}
		}
		select {
		case d.queue <- rec:
		case <-d.stop:
			return nil, io.EOF
		}
		if rec.err != nil {
			return []string{}, nil
		}
		out := make([]string, len(rec.cells))
		for i, c := range rec.cells {
			c = strings.TrimSpace(c)
			if d.isRes {
				c = undefuse(c)
			}
			out[i] = c
		}
		return out, nil
	}
}

// GetCSVRows implements gocsv.SimpleDecoder; the Reader never uses it.
func (d *decoder) GetCSVRows() ([][]string, error) {
	return nil, errors.New("batch: the reader streams; GetCSVRows is not supported")
}

func (d *decoder) widthError(line int, cells []string) *InputError {
	// The values are not quoted: a stray delimiter shifts a password into
	// the extra cells.
	msg := fmt.Sprintf("row has %d fields, header has %d", len(cells), d.width)
	col := 0
	if len(cells) > d.width {
		msg += fmt.Sprintf(" (an unquoted %s in a value?)", commaName(d.r.Comma))
		col = d.width + 1
	}
	return &InputError{File: d.file, Line: line, Column: col, Msg: msg}
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// undefuse removes the ' the result writer puts before a cell a
// spreadsheet would take for a formula.
func undefuse(s string) string {
	if !strings.HasPrefix(s, "'") {
		return s
	}
	rest := strings.TrimLeft(s, "'")
	if rest != "" && strings.ContainsRune("=+-@\t\r", rune(rest[0])) {
		return s[1:]
	}
	return s
}

// normaliseHeader returns the header cell as gocsv will match it.
func normaliseHeader(h string) string {
	h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
	if h == colSourceUser {
		return colTemplate
	}
	return h
}

// commaName names a delimiter in a message.
func commaName(c rune) string {
	switch c {
	case ',':
		return "comma"
	case ';':
		return `";"`
	case '\t':
		return "tab"
	}
	return fmt.Sprintf("%q", c)
}

// NewReader reads and checks the header of the CSV in r; file names the
// input in every message. The delimiter is taken from the header line:
// ',' unless the line has no comma outside quotes but a ';' or a tab.
// Input that is not valid UTF-8 in its first 64 KiB (and has no UTF-8
// BOM) is decoded as Windows-1252.
func NewReader(r io.Reader, file string) (*Reader, error) {
	in, err := sniff(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	cr := csv.NewReader(in.r)
	cr.Comma = in.comma
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &InputError{File: file, Line: 1, Msg: "empty file: a header row is required"}
	}
	var perr *csv.ParseError
	if errors.As(err, &perr) {
		return nil, &InputError{File: file, Line: perr.StartLine, Column: perr.Column, Msg: "unreadable header: " + perr.Err.Error()}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	rd := &Reader{file: file, width: len(header), comma: in.comma, encoding: in.encoding, bom: in.bom, resultIdx: map[string]int{}}
	seen := map[string]int{}
	isResultCol := map[string]bool{}
	for _, c := range resultColumns {
		isResultCol[c] = true
	}
	for i, h := range header {
		n := normaliseHeader(h)
		rd.normalised = append(rd.normalised, n)
		if n == "" {
			return nil, &InputError{File: file, Line: 1, Column: i + 1, Msg: "empty column name"}
		}
		if first, dup := seen[n]; dup {
			return nil, &InputError{File: file, Line: 1, Column: i + 1,
				Msg: fmt.Sprintf("column %q appears twice (also column %d)", n, first+1)}
		}
		seen[n] = i
		if isResultCol[n] {
			rd.resultIdx[n] = i
			continue
		}
		rd.columns = append(rd.columns, strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
		rd.keep = append(rd.keep, i)
	}
	_, rd.isResult = rd.resultIdx[colStatus]
	for _, req := range []string{"agent_user", "agent_pass", "agent_full_name"} {
		if _, ok := seen[req]; !ok {
			msg := fmt.Sprintf("required column %q is missing", req)
			for _, c := range []rune{';', '\t'} {
				if strings.ContainsRune(strings.Join(header, ""), c) {
					msg += fmt.Sprintf(" (the header is read as %s-separated but contains a %s: mixed delimiters?)",
						commaName(in.comma), commaName(c))
					break
				}
			}
			return nil, &InputError{File: file, Line: 1, Msg: msg}
		}
	}
	_, hasTemplate := seen[colTemplate]
	_, hasLevel := seen["agent_user_level"]
	_, hasGroup := seen["agent_user_group"]
	if !hasTemplate && !(hasLevel && hasGroup) {
		return nil, &InputError{File: file, Line: 1,
			Msg: `a "template" column, or both "agent_user_level" and "agent_user_group", are required`}
	}
	rd.stop = make(chan struct{})
	rd.dec = &decoder{r: cr, file: file, header: rd.normalised, width: len(header),
		queue: make(chan record, 4), stop: rd.stop, isRes: rd.isResult}
	rd.rows = make(chan Fields)
	rd.errc = make(chan error, 1)
	go func() {
		rd.errc <- gocsv.UnmarshalDecoderToChan(rd.dec, rd.rows)
	}()
	return rd, nil
}

// Columns returns the input's columns that the result file carries through:
// every header cell as written (trimmed, BOM removed), result_* columns
// left out.
func (r *Reader) Columns() []string { return r.columns }

// Comma returns the delimiter the input uses: ',', ';' or '\t'.
func (r *Reader) Comma() rune { return r.comma }

// Encoding returns the encoding the input was read in: EncodingUTF8, or
// EncodingWindows1252 when its start was not valid UTF-8.
func (r *Reader) Encoding() string { return r.encoding }

// BOM reports whether the input started with a UTF-8 byte order mark, as
// Excel's "CSV UTF-8" exports do.
func (r *Reader) BOM() bool { return r.bom }

// IsResultFile reports whether the input is the result file of an earlier
// run (it has a result_status column).
func (r *Reader) IsResultFile() bool { return r.isResult }

// Next returns the next row, or io.EOF after the last. Its error is only
// for a failure to read the file; a bad row is a Row with Err set.
func (r *Reader) Next() (Row, error) {
	if r.done {
		return Row{}, io.EOF
	}
	fields, ok := <-r.rows
	if !ok {
		r.done = true
		if err := <-r.errc; err != nil {
			return Row{}, fmt.Errorf("%s: %w", r.file, err)
		}
		return Row{}, io.EOF
	}
	rec := <-r.dec.queue
	row := Row{Seq: r.seq, Line: rec.line, Err: rec.err}
	r.seq++
	row.Cells = make([]string, len(r.keep))
	for i, idx := range r.keep {
		if idx < len(rec.cells) {
			c := rec.cells[idx]
			if r.isResult {
				c = undefuse(c)
			}
			row.Cells[i] = c
		}
	}
	if rec.err != nil {
		return row, nil
	}
	row.Fields = fields
	if r.isResult {
		get := func(col string) string {
			if i, ok := r.resultIdx[col]; ok && i < len(rec.cells) {
				return undefuse(strings.TrimSpace(rec.cells[i]))
			}
			return ""
		}
		row.Prior = &Prior{Status: get("result_status"), Login: get("result_login"), Reason: get("result_reason"),
			Warnings: get("result_warnings"), Row: get("result_row"), At: get("result_at")}
		if row.Prior.Status == "" {
			row.Prior = nil
		}
	}
	return row, nil
}

// Close stops reading; it is safe to call more than once, and before the
// end of the input.
func (r *Reader) Close() error {
	r.closed.Do(func() {
		close(r.stop)
		// Let the decoding goroutine finish.
		go func() {
			for range r.rows {
				select {
				case <-r.dec.queue:
				default:
				}
			}
		}()
	})
	return nil
}
