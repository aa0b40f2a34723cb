package input

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/gocarina/gocsv"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/mapping"
	"github.com/vicionboard/vicionboard/batch/words"
)

// Column names the reader treats specially.
const (
	colTemplate   = "template"
	colSourceUser = "source_user"
	colStatus     = "result_status"
)

// resultColumns are the columns a result file adds to its input's.
var resultColumns = []string{"result_status", "result_login", "result_reason", "result_warnings", "result_row", "result_at",
	"result_server", "result_phone_extension", "result_phone_login", "result_phone_pass", "result_phone_registration_password"}

// Reader streams the rows of an input file: a CSV export from HR, a
// worksheet of an .xlsx workbook, or the result file of an earlier run.
// gocsv maps each record onto Fields through a decoder that normalises the
// header; the Reader keeps each record's raw cells and real line number
// (a worksheet's row number) beside it. Memory does not grow with the
// number of rows.
type Reader struct {
	file       string
	columns    []string // pass-through columns, as written
	keep       []int    // index in the record of each pass-through column
	normalised []string // every header cell, normalised
	resultIdx  map[string]int
	isResult   bool
	comma      rune
	encoding   string
	bom        bool
	nonASCII   bool
	format     Format // FormatCSV or FormatXLSX
	sheet      string // the worksheet read, for FormatXLSX

	dec    *decoder
	rows   chan batch.Fields
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
	err   *batch.InputError
	gen   batch.Generation // what the mapping asks to generate
}

// source yields the records of an input: the CSV splitter, or a worksheet
// of a workbook (xlsx.go).
type source interface {
	// next returns the next record that is not blank, or io.EOF after the
	// last, or the error that stopped reading.
	next() (record, error)
	// setWidth gives the header's width, once the header is read.
	setWidth(n int)
	// close releases what the source holds (a workbook's temporary files).
	close() error
}

// decoder hands gocsv the normalised header, then one record per data row
// (an empty one for a row that cannot be read), and queues each record's
// raw cells and line for the Reader, in the same order.
type decoder struct {
	s      source
	header []string
	sent   bool
	queue  chan record
	stop   chan struct{}
	isRes  bool
	bind   *mapping.Binder // the --map mapping bound to the header, or nil
	file   string
}

// GetCSVRow implements gocsv.SimpleDecoder.
func (d *decoder) GetCSVRow() ([]string, error) {
	if !d.sent {
		d.sent = true
		return d.header, nil
	}
	rec, err := d.s.next()
	if err != nil {
		return nil, err // io.EOF at the end
	}
	var out []string
	if rec.err == nil {
		out = make([]string, len(rec.cells))
		for i, c := range rec.cells {
			c = strings.TrimSpace(c)
			if d.isRes {
				c = undefuse(c)
			}
			out[i] = c
		}
		if d.bind != nil {
			out = d.mapRecord(&rec, out)
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
	return out, nil
}

// mapRecord applies the mapping to a record's trimmed cells and returns
// the values of the binder's fields; a value the mapping cannot map makes
// the record unreadable (an INVALID row naming the cell).
func (d *decoder) mapRecord(rec *record, cells []string) []string {
	m, err := d.bind.Apply(cells)
	if err != nil {
		col := 0
		var ve *mapping.ValueError
		if errors.As(err, &ve) {
			col = ve.Column
		}
		rec.err = &batch.InputError{File: d.file, Line: rec.line, Column: col, Msg: err.Error(), Mapped: true}
		return nil
	}
	rec.gen = batch.Generation{LoginPattern: m.LoginPattern, First: m.First, Last: m.Last}
	return m.Values
}

// GetCSVRows implements gocsv.SimpleDecoder; the Reader never uses it.
func (d *decoder) GetCSVRows() ([][]string, error) {
	return nil, errors.New("batch: the reader streams; GetCSVRows is not supported")
}

// maxSpan is how far past the end of its line a quoted value may run
// before its quote is taken for one that is never closed (an Excel cell
// holds at most 32,767 characters). It bounds what the reader holds.
const maxSpan = 1 << 20

// lineBufSize is the line reader's first buffer size; it grows for a line,
// or lines read ahead, that do not fit.
const lineBufSize = 32 << 10

// lineReader returns the physical lines of its input, each ended by LF,
// CRLF or a lone CR (or the end of the input), and can go back to a mark:
// the splitter reads ahead while a quoted value runs past the end of its
// line, and returns to the line after the first when the value does not
// close. It holds the lines since the mark and the current one, no more.
type lineReader struct {
	r          io.Reader
	buf        []byte
	start, end int   // buf[start:end] is read from r but not returned
	err        error // the error that ended reading from r (io.EOF at its end)
	n          int   // the number of the line last returned (1-based)
	mark       int   // the offset in buf of the marked line; -1 when none
	markN      int   // n at the mark
}

// next returns the next line without its end, which it reports as '\n'
// (LF or CRLF), '\r' (a lone CR) or 0 (the end of the input). The line is
// valid until the next call. ok is false after the last line, or on a read
// error (see failure).
func (l *lineReader) next() (line []byte, end byte, ok bool) {
	if l.err != nil && l.err != io.EOF {
		return nil, 0, false
	}
	seen := 0 // bytes after start known to hold no line end
	for {
		if i := lineEnd(l.buf[l.start+seen : l.end]); i >= 0 {
			i += l.start + seen
			switch {
			case l.buf[i] == '\n':
				return l.take(i, 1, '\n')
			case i+1 < l.end && l.buf[i+1] == '\n':
				return l.take(i, 2, '\n')
			case i+1 < l.end || l.err != nil:
				return l.take(i, 1, '\r')
			}
			seen = i - l.start // a CR last in the buffer: CRLF or not?
		} else {
			seen = l.end - l.start
			if l.err != nil {
				if seen == 0 {
					return nil, 0, false
				}
				return l.take(l.end, 0, 0)
			}
		}
		l.fill()
	}
}

// take returns buf[start:i] as the next line, which ends with width bytes
// that mean end.
func (l *lineReader) take(i, width int, end byte) ([]byte, byte, bool) {
	line := l.buf[l.start:i]
	l.start = i + width
	l.n++
	return line, end, true
}

// lineEnd returns the index of the first CR or LF in b, or -1.
func lineEnd(b []byte) int {
	for i, c := range b {
		if c == '\n' || c == '\r' {
			return i
		}
	}
	return -1
}

// fill reads more of the input into buf, after dropping what is returned
// and not marked, and growing buf when it is full.
func (l *lineReader) fill() {
	keep := l.start
	if l.mark >= 0 {
		keep = l.mark
	}
	if keep > 0 {
		copy(l.buf, l.buf[keep:l.end])
		l.start -= keep
		l.end -= keep
		if l.mark >= 0 {
			l.mark -= keep
		}
	}
	if l.end == len(l.buf) {
		l.buf = append(l.buf, make([]byte, len(l.buf))...)
	}
	for range 100 {
		n, err := l.r.Read(l.buf[l.end:])
		l.end += n
		if err != nil {
			l.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	l.err = io.ErrNoProgress
}

// failure returns io.EOF at the end of the input, or the read error.
func (l *lineReader) failure() error {
	if l.err == nil {
		return io.EOF
	}
	return l.err
}

// setMark marks the next line; reset returns to it, commit drops it.
func (l *lineReader) setMark()       { l.mark, l.markN = l.start, l.n }
func (l *lineReader) reset()         { l.start, l.n, l.mark = l.mark, l.markN, -1 }
func (l *lineReader) commit()        { l.mark = -1 }
func (l *lineReader) sinceMark() int { return l.start - l.mark }

// splitter cuts the decoded input into records, on the rules NewReader
// documents. It replaces encoding/csv, which swallows every row after an
// unclosed quote and reports it only at the end of the file.
type splitter struct {
	lines lineReader
	comma byte
	file  string
	width int // the header's; 0 while the header is read

	// The record being read.
	text      []byte // its values, end to end
	ends      []int  // where each value ends in text
	err       *batch.InputError
	openField int    // the column whose quoted value runs past the end of the first line
	openChar  int    // the character of the line where its quote is
	openStart int    // where that value starts in text
	rawTail   []byte // the first line from that quote on, as written
}

// next returns the next record that is not blank, or io.EOF after the
// last, or the error that stopped reading. A record that cannot be read
// has err set, its cells as split, and is never blank.
func (s *splitter) next() (record, error) {
	for {
		ln, end, ok := s.lines.next()
		if !ok {
			return record{}, s.lines.failure()
		}
		line := s.lines.n
		s.text, s.ends, s.err = s.text[:0], s.ends[:0], nil
		if s.parse(ln, line, false) {
			s.spanLines(line, end)
		}
		if s.err == nil && len(bytes.TrimSpace(s.text)) == 0 {
			continue
		}
		if s.err == nil && s.width > 0 && len(s.ends) != s.width {
			s.err = s.widthError(line, len(s.ends))
		}
		all := string(s.text)
		cells := make([]string, len(s.ends))
		from := 0
		for i, e := range s.ends {
			cells[i], from = all[from:e], e
		}
		return record{line: line, cells: cells, err: s.err}, nil
	}
}

// parse appends the values of ln, line number line, to the record; cont
// says that ln continues a quoted value from the line before. It returns
// true when ln ends inside a quoted value of a record without error, which
// the next line may continue.
func (s *splitter) parse(ln []byte, line int, cont bool) bool {
	i := 0
	for {
		if cont || (i < len(ln) && ln[i] == '"') {
			quote, start := i, len(s.text)
			if !cont {
				i++
			}
			var closed bool
			i, closed = s.quoted(ln, i)
			switch {
			case !closed && s.err != nil:
				s.ends = append(s.ends, len(s.text))
				return false
			case !closed:
				if !cont {
					s.openField, s.openChar, s.openStart = len(s.ends)+1, utf8.RuneCount(ln[:quote])+1, start
					s.rawTail = append(s.rawTail[:0], ln[quote:]...)
				}
				return true
			case i == len(ln):
				s.ends = append(s.ends, len(s.text))
				return false
			case ln[i] == s.comma:
				s.ends = append(s.ends, len(s.text))
				i++
				cont = false
				continue
			}
			s.fail(line, ln, i-1, `text after the closing " of a quoted value, at character %d (a " inside a quoted value is written "")`)
			if !cont {
				s.text = append(s.text[:start], ln[quote:i]...) // the value as written
			}
			cont = false
		}
		// An unquoted value, or the rest of one after its closing quote.
		k := bytes.IndexByte(ln[i:], s.comma)
		value := ln[i:]
		if k >= 0 {
			value = ln[i : i+k]
		}
		if j := bytes.IndexByte(value, '"'); j >= 0 {
			s.fail(line, ln, i+j, `a " inside a value that does not start with one, at character %d (enclose the whole value in quotes and double the " in it: "Bob ""B"" Smith")`)
		}
		s.text = append(s.text, value...)
		s.ends = append(s.ends, len(s.text))
		if k < 0 {
			return false
		}
		i += k + 1
	}
}

// quoted appends the quoted value that starts at ln[i] (after its opening
// quote), a "" read as ". It returns the index after the closing quote,
// or len(ln) and false when the line ends first.
func (s *splitter) quoted(ln []byte, i int) (int, bool) {
	for {
		k := bytes.IndexByte(ln[i:], '"')
		if k < 0 {
			s.text = append(s.text, ln[i:]...)
			return len(ln), false
		}
		s.text = append(s.text, ln[i:i+k]...)
		i += k + 1
		if i < len(ln) && ln[i] == '"' {
			s.text = append(s.text, '"')
			i++
			continue
		}
		return i, true
	}
}

// fail sets the record's error, unless it has one: msg, with the
// character at ln[at], in the column being read.
func (s *splitter) fail(line int, ln []byte, at int, msg string) {
	if s.err == nil {
		s.err = &batch.InputError{File: s.file, Line: line, Column: len(s.ends) + 1, Msg: fmt.Sprintf(msg, utf8.RuneCount(ln[:at])+1)}
	}
}

// spanLines reads on while the quoted value open at the end of the
// record's first line (line) runs over the next lines; end is how that
// line ended. The record spans them if the value closes within maxSpan and
// the record then has the header's width (any width for the header) and no
// error. Otherwise the quote is taken for one never closed: the record is
// cut at the end of its first line, that value kept as written, and the
// lines after it are read again as records of their own.
func (s *splitter) spanLines(line int, end byte) {
	cutEnds := len(s.ends)
	s.lines.setMark()
	why := ""
	for {
		if end == 0 {
			break
		}
		if s.lines.sinceMark() > maxSpan {
			why = fmt.Sprintf(" within %d KiB", maxSpan>>10)
			break
		}
		ln, e, ok := s.lines.next()
		if !ok {
			break
		}
		if end == '\r' {
			s.text = append(s.text, '\r')
		} else {
			s.text = append(s.text, '\n')
		}
		end = e
		if s.parse(ln, s.lines.n, true) {
			continue
		}
		if s.err == nil && (s.width == 0 || len(s.ends) == s.width) {
			s.lines.commit()
			return
		}
		if s.err == nil {
			why = fmt.Sprintf(" on its line (closing it on line %d would make a row of %d values; the header has %d)",
				s.lines.n, len(s.ends), s.width)
		} else {
			why = fmt.Sprintf(" on its line (the lines up to line %d do not make a valid row with it)", s.lines.n)
		}
		break
	}
	s.lines.reset()
	s.text = append(s.text[:s.openStart], s.rawTail...)
	s.ends = append(s.ends[:cutEnds], len(s.text))
	s.err = &batch.InputError{File: s.file, Line: line, Column: s.openField,
		Msg: fmt.Sprintf(`the " at character %d opens a quoted value that is not closed%s: a " missing? The row is read up to the end of its line`,
			s.openChar, why)}
}

// setWidth implements source.
func (s *splitter) setWidth(n int) { s.width = n }

// close implements source: the splitter holds nothing to release.
func (s *splitter) close() error { return nil }

func (s *splitter) widthError(line, n int) *batch.InputError {
	// The values are not quoted: a stray delimiter shifts a password into
	// the extra cells.
	msg := fmt.Sprintf("row has %d fields, header has %d", n, s.width)
	col := 0
	if n > s.width {
		msg += fmt.Sprintf(" (an unquoted %s in a value?)", commaName(rune(s.comma)))
		col = s.width + 1
	}
	return &batch.InputError{File: s.file, Line: line, Column: col, Msg: msg}
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

// Options tune NewReaderOptions.
type Options struct {
	// Sheet names the worksheet of an .xlsx workbook to read; "" means the
	// first one. It is ignored for CSV.
	Sheet string
	// Map, when set, maps the input's columns onto the fields (--map): the
	// header then needs no VICIdial column names, and every column stays
	// in Columns, to be carried to the result file.
	Map *mapping.Mapping
}

// NewReader reads and checks the header of the input in r (CSV text or an
// .xlsx workbook's first worksheet); file names the input in every
// message. It is NewReaderOptions with no options.
func NewReader(r io.Reader, file string) (*Reader, error) {
	return NewReaderOptions(r, file, Options{})
}

// NewReaderOptions reads and checks the header of the input in r; file
// names the input in every message. It reads as it goes: memory does not
// grow with the size of the input.
//
// Formats: DetectFormat tells CSV text from an .xlsx workbook, and refuses
// anything else (an .xls or .ods workbook, a PDF, a binary file, UTF-16
// without a byte order mark) with an InputError on line 1 saying how to
// save the file as .xlsx or CSV. A workbook is read from its worksheet
// opts.Sheet (the first when empty), as xlsxSource describes: a row's line
// is its row number, cells are read as they are displayed. Text is read as UTF-16 (LE
// or BE) after a UTF-16 byte order mark (Excel's "Unicode Text"), as UTF-8
// (a UTF-8 BOM is dropped), or as Windows-1252 when its first 64 KiB are
// not valid UTF-8. The delimiter is taken from the header line: ',' unless
// the line has no comma outside quotes but a ';' or a tab.
//
// Records: lines end with LF, CRLF or a lone CR (Excel's "CSV
// (Macintosh)"), in any mix; line numbers count them all. Blank lines
// are skipped. A value that starts with a quote is quoted ("" in it reads
// as "); a CRLF in it reads as LF, a lone CR stays. A quoted value may run
// over the following lines only if it closes (within 1 MiB) and the
// record is then as wide as the header, without error; otherwise its quote
// is taken for one never closed, and that line alone is an INVALID row
// (naming the line and the quote's column) while the lines after it are
// read as rows of their own: an unclosed quote never swallows the rows
// after it. (Two broken lines whose quotes happen to pair up into a
// record of the header's width are indistinguishable from a value written
// over two lines, and read as one.) A quote inside a value that does not
// start with one, or text after a quoted value's closing quote, makes an
// INVALID row too: such a value is rarely meant, and reading it literally
// would hide a broken export. An INVALID row keeps its cells as split.
func NewReaderOptions(r io.Reader, file string, opts Options) (rd *Reader, err error) {
	in, err := sniff(r, file)
	if err != nil {
		var inErr *batch.InputError
		if errors.As(err, &inErr) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var src source
	sheet := ""
	if in.format == FormatXLSX {
		xs, err := openXLSX(in.r, file, opts.Sheet)
		if err != nil {
			return nil, err
		}
		src, sheet = xs, xs.sheet
	} else {
		src = &splitter{lines: lineReader{r: in.r, buf: make([]byte, lineBufSize), mark: -1}, comma: byte(in.comma), file: file}
	}
	defer func() {
		if err != nil {
			_ = src.close()
		}
	}()
	hrec, err := src.next()
	if err == io.EOF {
		return nil, &batch.InputError{File: file, Line: 1, Msg: "empty file: a header row is required"}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if hrec.err != nil {
		return nil, &batch.InputError{File: file, Line: hrec.err.Line, Column: hrec.err.Column, Msg: "unreadable header: " + hrec.err.Msg}
	}
	header, line := hrec.cells, hrec.line
	rd = &Reader{file: file, comma: in.comma, encoding: in.encoding, bom: in.bom, nonASCII: in.nonASCII, format: in.format, sheet: sheet, resultIdx: map[string]int{}}
	seen := map[string]int{}
	isResultCol := map[string]bool{}
	for _, c := range resultColumns {
		isResultCol[c] = true
	}
	for i, h := range header {
		n := normaliseHeader(h)
		rd.normalised = append(rd.normalised, n)
		if n == "" {
			return nil, &batch.InputError{File: file, Line: line, Column: i + 1, Msg: "empty column name"}
		}
		if first, dup := seen[n]; dup {
			return nil, &batch.InputError{File: file, Line: line, Column: i + 1,
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
	fields := rd.normalised
	var bind *mapping.Binder
	if opts.Map != nil {
		if bind, err = opts.Map.Bind(header); err != nil {
			return nil, &batch.InputError{File: file, Line: line, Msg: "the mapping does not fit this header: " + err.Error()}
		}
		fields = bind.Fields()
		if msg := mappedProblem(fields, opts.Map); msg != "" {
			return nil, &batch.InputError{File: file, Line: line, Msg: opts.Map.File() + ": " + msg}
		}
	} else if msg := headerProblem(header, seen, in.comma); msg != "" {
		return nil, &batch.InputError{File: file, Line: line, Msg: msg}
	}
	src.setWidth(len(header))
	rd.stop = make(chan struct{})
	rd.dec = &decoder{s: src, header: fields, queue: make(chan record, 4), stop: rd.stop, isRes: rd.isResult,
		bind: bind, file: file}
	rd.rows = make(chan batch.Fields)
	rd.errc = make(chan error, 1)
	go func() {
		err := gocsv.UnmarshalDecoderToChan(rd.dec, rd.rows)
		if cerr := src.close(); err == nil {
			err = cerr
		}
		rd.errc <- err
	}()
	return rd, nil
}

// requiredColumns are the columns every input must have.
var requiredColumns = []string{"agent_user", "agent_pass", "agent_full_name"}

// knownColumns are the header names the reader understands, normalised.
var knownColumns = sync.OnceValue(func() map[string]bool {
	known := map[string]bool{colSourceUser: true}
	for _, f := range batch.FieldNames() {
		known[f] = true
	}
	for _, c := range resultColumns {
		known[c] = true
	}
	return known
})

// headerProblem returns what is wrong with the columns of header (seen
// maps each normalised name to its index), or "": every missing column in
// one message, the columns found, and for a missing column the found one
// it probably is.
func headerProblem(header []string, seen map[string]int, comma rune) string {
	var missing, wanted []string
	for _, req := range requiredColumns {
		if _, ok := seen[req]; !ok {
			missing = append(missing, req)
		}
	}
	wanted = append(wanted, missing...)
	_, hasTemplate := seen[colTemplate]
	_, hasLevel := seen["agent_user_level"]
	_, hasGroup := seen["agent_user_group"]
	needTemplate := !hasTemplate && !(hasLevel && hasGroup)
	if len(missing) == 0 && !needTemplate {
		return ""
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "required columns missing: "+strings.Join(missing, ", "))
	}
	if needTemplate {
		parts = append(parts, `a "template" column, or both "agent_user_level" and "agent_user_group", are required`)
		for _, c := range []string{colTemplate, "agent_user_level", "agent_user_group"} {
			if _, ok := seen[c]; !ok {
				wanted = append(wanted, c)
			}
		}
	}
	// The found columns are shown only when the line is surely a header:
	// one of its cells is a known column but for case and spacing. Else
	// the first line may be data, passwords included.
	recognised := false
	for _, h := range header {
		for _, name := range strings.FieldsFunc(h, func(r rune) bool { return r == ';' || r == '\t' }) {
			recognised = recognised || knownColumns()[words.Canonical(name)]
		}
	}
	if recognised {
		parts[0] += " (found: " + foundColumns(header) + ")"
	} else {
		parts[0] += fmt.Sprintf(" (the header line's %d cells are none of the expected column names: is the header row missing?)", len(header))
	}
	for _, c := range []rune{';', '\t'} {
		if c != comma && strings.ContainsRune(strings.Join(header, ""), c) {
			// Names run together: suggestions would be noise.
			return strings.Join(parts, "; ") + fmt.Sprintf("; the header is read as %s-separated but contains a %s: mixed delimiters?",
				commaName(comma), commaName(c))
		}
	}
	return strings.Join(append(parts, suggestColumns(header, wanted)...), "; ")
}

// mappedProblem returns what a mapping leaves missing of the fields a row
// needs (fields are the ones it sets), or "". A password it does not set
// is generated.
func mappedProblem(fields []string, m *mapping.Mapping) string {
	has := map[string]bool{}
	for _, f := range fields {
		has[f] = true
	}
	var missing []string
	if !has["agent_user"] && !m.GeneratesLogin() {
		missing = append(missing, `agent_user (map a login column, or generate one: agent_user: {generate: "{f}{last}"})`)
	}
	if !has["agent_full_name"] {
		missing = append(missing, `agent_full_name (e.g. agent_full_name: "{First Name} {Last Name}")`)
	}
	if !has[colTemplate] && !(has["agent_user_level"] && has["agent_user_group"]) {
		missing = append(missing, "template, or both agent_user_level and agent_user_group (a constant, e.g. agent_user_level: 1, or a column with a value map)")
	}
	if len(missing) == 0 {
		return ""
	}
	return "the mapping sets no " + strings.Join(missing, "; no ") + ", and the input has no such column"
}

// foundColumns lists the header's cells for a message, the list and each
// name cut short when long.
func foundColumns(header []string) string {
	const maxCols, maxLen = 30, 40
	var names []string
	for i, h := range header {
		if i == maxCols {
			names = append(names, fmt.Sprintf("... %d more", len(header)-maxCols))
			break
		}
		h = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
		if r := []rune(h); len(r) > maxLen {
			h = string(r[:maxLen]) + "..."
		}
		names = append(names, h)
	}
	return strings.Join(names, ", ")
}

// suggestColumns returns, for each wanted column, a hint naming the header
// cell that is probably it: the same name but for case, spaces, hyphens
// and the like; a name at most one or two edits away (two for names of 8
// letters or more); or one containing the other, when the shorter has 6
// letters or more. A cell that is a known column is never suggested, and a
// cell for one column only.
func suggestColumns(header []string, wanted []string) []string {
	var hints []string
	used := map[int]bool{}
	for _, w := range wanted {
		best, bestScore := -1, 1<<30
		for i, h := range header {
			if used[i] || knownColumns()[normaliseHeader(h)] {
				continue
			}
			if score, ok := likeness(words.Canonical(h), w); ok && score < bestScore {
				best, bestScore = i, score
			}
		}
		if best >= 0 {
			used[best] = true
			hints = append(hints, fmt.Sprintf("%q looks like %s", strings.TrimSpace(strings.TrimPrefix(header[best], "\uFEFF")), w))
		}
	}
	return hints
}

// likeness scores how close the canonical name c is to the column w (0
// the same), and whether it is close enough to suggest.
func likeness(c, w string) (int, bool) {
	if c == "" {
		return 0, false
	}
	if c == w {
		return 0, true
	}
	d := words.Distance(c, w)
	limit := 1
	if min(len(c), len(w)) >= 8 {
		limit = 2
	}
	if d <= limit {
		return d, true
	}
	short, long := c, w
	if len(short) > len(long) {
		short, long = long, short
	}
	if len(short) >= 6 && strings.Contains(long, short) {
		return 10 + len(long) - len(short), true
	}
	return 0, false
}

// Columns returns the input's columns that the result file carries through:
// every header cell as written (trimmed, BOM removed), result_* columns
// left out.
func (r *Reader) Columns() []string { return r.columns }

// Comma returns the delimiter the input uses: ',', ';' or '\t'.
func (r *Reader) Comma() rune { return r.comma }

// Encoding returns the encoding the input was read in: EncodingUTF16LE or
// EncodingUTF16BE after a UTF-16 byte order mark, else EncodingUTF8, or
// EncodingWindows1252 when its start was not valid UTF-8; EncodingXLSX for
// a workbook.
func (r *Reader) Encoding() string { return r.encoding }

// BOM reports whether the input started with a UTF-8 byte order mark, as
// Excel's "CSV UTF-8" exports do.
func (r *Reader) BOM() bool { return r.bom }

// NonASCII reports whether an input in UTF-8 without a byte order mark
// has a character beyond ASCII in its first 64 KiB: a spreadsheet that
// takes a file without a BOM for Windows-1252 would show it garbled.
func (r *Reader) NonASCII() bool { return r.nonASCII }

// Format returns the input's format: FormatCSV or FormatXLSX.
func (r *Reader) Format() Format { return r.format }

// Sheet returns the name of the worksheet read from an .xlsx workbook, or
// "" for CSV.
func (r *Reader) Sheet() string { return r.sheet }

// IsResultFile reports whether the input is the result file of an earlier
// run (it has a result_status column).
func (r *Reader) IsResultFile() bool { return r.isResult }

// Next returns the next row, or io.EOF after the last. Its error is only
// for a failure to read the file; a bad row is a Row with Err set.
func (r *Reader) Next() (batch.Row, error) {
	if r.done {
		return batch.Row{}, io.EOF
	}
	fields, ok := <-r.rows
	if !ok {
		r.done = true
		if err := <-r.errc; err != nil {
			return batch.Row{}, fmt.Errorf("%s: %w", r.file, err)
		}
		return batch.Row{}, io.EOF
	}
	rec := <-r.dec.queue
	row := batch.Row{Seq: r.seq, Line: rec.line, Err: rec.err, Gen: rec.gen}
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
		row.Prior = &batch.Prior{Status: get("result_status"), Login: get("result_login"), Reason: get("result_reason"),
			Warnings: get("result_warnings"), Row: get("result_row"), At: get("result_at"), Server: get("result_server"),
			Phone: batch.PhoneResult{Extension: get("result_phone_extension"), Login: get("result_phone_login"),
				Pass: get("result_phone_pass"), Registration: get("result_phone_registration_password")}}
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

// Name returns the name the input is known by in messages.
func (r *Reader) Name() string { return r.file }
