package input

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/xuri/excelize/v2"

	"github.com/vicionboard/vicionboard/batch"
)

// xlsxPartLimit is the size above which a workbook's worksheet or shared
// strings are unpacked to a temporary file and read from there as they are
// needed, instead of held in memory.
const xlsxPartLimit = 1 << 20

// Limits on what a workbook unpacks to, checked from the archive's
// directory before anything is unpacked (Go's zip reader holds every part
// to the size its directory declares), so that a zip bomb, a small file
// that unpacks to gigabytes, is refused at once instead of filling the
// disk or the memory. They are far above what Excel writes: a million
// rows of an HR export unpack to a few hundred megabytes, at ratios of
// about 10 to 1.
const (
	// xlsxUnpackedLimit bounds the whole workbook unpacked.
	xlsxUnpackedLimit = 2 << 30
	// xlsxStringsLimit bounds the shared strings (excelize indexes them).
	xlsxStringsLimit = 512 << 20
	// xlsxOtherPartLimit bounds every part but the worksheets and the
	// shared strings, which excelize reads into memory whole (styles,
	// the workbook, relationships).
	xlsxOtherPartLimit = 32 << 20
	// xlsxRatioLimit bounds how many times larger than its compressed
	// size a part larger than xlsxPartLimit may unpack to (Apache POI's
	// zip-bomb guard uses the same ratio).
	xlsxRatioLimit = 100
)

// checkUnpacked refuses a workbook whose parts, as the archive's directory
// declares them, break one of the limits above; it unpacks nothing.
func checkUnpacked(path string) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return err
	}
	defer zr.Close()
	var total uint64
	for _, f := range zr.File {
		size := f.UncompressedSize64
		total += size
		name := strings.ToLower(strings.ReplaceAll(f.Name, `\`, "/"))
		sheet := strings.HasPrefix(name, "xl/worksheets/sheet")
		strs := name == "xl/sharedstrings.xml"
		switch {
		case total > xlsxUnpackedLimit:
			return &unpackError{fmt.Sprintf("it unpacks to more than %s", humanize.IBytes(xlsxUnpackedLimit))}
		case strs && size > xlsxStringsLimit:
			return &unpackError{fmt.Sprintf("its shared strings (%s) unpack to %s, more than %s", f.Name, humanize.IBytes(size), humanize.IBytes(xlsxStringsLimit))}
		case !sheet && !strs && size > xlsxOtherPartLimit:
			return &unpackError{fmt.Sprintf("its part %s unpacks to %s, more than %s", f.Name, humanize.IBytes(size), humanize.IBytes(xlsxOtherPartLimit))}
		case size > xlsxPartLimit && size > max(f.CompressedSize64, 1)*xlsxRatioLimit:
			return &unpackError{fmt.Sprintf("its part %s unpacks to %s from %s, more than %d times its packed size", f.Name,
				humanize.IBytes(size), humanize.IBytes(f.CompressedSize64), xlsxRatioLimit)}
		}
	}
	return nil
}

// unpackError is a workbook refused by checkUnpacked.
type unpackError struct{ why string }

func (e *unpackError) Error() string {
	return e.why + ": not a workbook as Excel writes one (a damaged file, or a zip bomb), and it is not read; open it in Excel and save it again, or save it as CSV UTF-8"
}

// xlsxSource reads the records of one worksheet of an .xlsx workbook with
// excelize's row iterator, one row at a time. A record's line is the row's
// number in the sheet (as Excel shows it), blank rows are skipped, and
// cells are the text a spreadsheet displays: a login 007 or a phone 0123
// (a number formatted 0000) keeps its zeros, a formula gives its computed
// value as last saved, and a date is written in ISO 8601 (2006-01-02, with
// " 15:04" when its format shows the time), whatever the locale's format.
//
// A row shorter than the header is padded with empty cells (a spreadsheet
// does not store trailing empty cells); a row with a value to the right of
// the header's last column is INVALID, as a CSV row with too many values
// is: a value outside every column may be a shifted password.
type xlsxSource struct {
	file  string
	sheet string
	wb    *excelize.File
	rows  *excelize.Rows
	n     int // the number of the row last read (1-based)
	width int // the header's; 0 while the header is read
}

// openXLSX opens the workbook in r and the worksheet sheet of it (the
// first when ""); file names it in messages. A file that is not a
// workbook, or has no such sheet, is an InputError on line 1, as other
// formats that are not read are. The workbook is copied to a
// private temporary file (mode 0600, removed once it is open) because
// excelize reads a zip archive by random access; worksheets and string
// tables larger than xlsxPartLimit are unpacked to private temporary files
// too, which the source's close removes. All of r is read.
func openXLSX(r io.Reader, file, sheet string) (*xlsxSource, error) {
	wb, err := openWorkbook(r)
	var unpack *unpackError
	if errors.As(err, &unpack) {
		return nil, &batch.InputError{File: file, Line: 1, Msg: "the workbook is refused: " + unpack.Error()}
	}
	if err != nil {
		return nil, &batch.InputError{File: file, Line: 1, Msg: fmt.Sprintf("not a readable .xlsx workbook (%v): open it in Excel and save it again as .xlsx, or as CSV UTF-8", err)}
	}
	s := &xlsxSource{file: file, wb: wb}
	names := wb.GetSheetList()
	switch {
	case len(names) == 0:
		_ = wb.Close()
		return nil, &batch.InputError{File: file, Line: 1, Msg: "the workbook has no worksheet"}
	case sheet == "":
		s.sheet = names[0]
	default:
		for _, n := range names {
			if n == sheet {
				s.sheet = n
			}
		}
		if s.sheet == "" {
			for _, n := range names { // Excel's sheet names ignore case
				if strings.EqualFold(n, sheet) {
					s.sheet = n
				}
			}
		}
		if s.sheet == "" {
			_ = wb.Close()
			return nil, &batch.InputError{File: file, Line: 1, Msg: fmt.Sprintf("the workbook has no worksheet named %q (--sheet); its sheets are %s", sheet, quoteAll(names))}
		}
	}
	isoDates(wb)
	if s.rows, err = wb.Rows(s.sheet); err != nil {
		_ = wb.Close()
		return nil, fmt.Errorf("worksheet %q: %w", s.sheet, err)
	}
	return s, nil
}

// openWorkbook copies r to a private temporary file and opens it with
// excelize, which reads the archive's small parts into memory and unpacks
// the large ones to temporary files of its own; the copy is then removed.
func openWorkbook(r io.Reader) (*excelize.File, error) {
	tmp, err := os.CreateTemp("", "vicionboard-input-*.xlsx")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("copy of the workbook: %w", err)
	}
	if err := checkUnpacked(tmp.Name()); err != nil {
		return nil, err
	}
	wb, err := excelize.OpenFile(tmp.Name(), excelize.Options{
		UnzipSizeLimit:    xlsxUnpackedLimit, // checkUnpacked's limit, held by excelize too
		UnzipXMLSizeLimit: xlsxPartLimit,
		ShortDatePattern:  "yyyy-mm-dd", // the built-in date formats 14 and 22, to which isoDates points every date format
	})
	if err != nil {
		if wb != nil {
			_ = wb.Close()
		}
		return nil, err
	}
	return wb, nil
}

// next implements source.
func (s *xlsxSource) next() (record, error) {
	for s.rows.Next() {
		s.n++
		cells, err := s.rows.Columns()
		if err != nil {
			// A cell excelize cannot place: this row alone is INVALID.
			return record{line: s.n, cells: s.pad(cells),
				err: &batch.InputError{File: s.file, Line: s.n, Msg: fmt.Sprintf("worksheet %q row %d cannot be read: %v", s.sheet, s.n, err)}}, nil
		}
		if blankCells(cells) {
			continue
		}
		rec := record{line: s.n, cells: cells}
		if s.width > 0 {
			if extra := lastFilled(cells); extra > s.width {
				rec.err = &batch.InputError{File: s.file, Line: s.n, Column: extra,
					Msg: fmt.Sprintf("a value in column %s, to the right of the header's last column (%s): a shifted row?", columnName(extra), columnName(s.width))}
			}
			rec.cells = s.pad(cells)
		}
		return rec, nil
	}
	if err := s.rows.Error(); err != nil {
		return record{}, fmt.Errorf("worksheet %q after row %d: %w", s.sheet, s.n, err)
	}
	return record{}, io.EOF
}

// pad returns cells as wide as the header: shorter rows padded with empty
// cells, cells beyond the header dropped (a row with values there is
// INVALID, and its values past the header are shown by no column).
func (s *xlsxSource) pad(cells []string) []string {
	if s.width == 0 || len(cells) == s.width {
		return cells
	}
	if len(cells) > s.width {
		return cells[:s.width]
	}
	return append(cells, make([]string, s.width-len(cells))...)
}

// setWidth implements source.
func (s *xlsxSource) setWidth(n int) { s.width = n }

// close implements source: it removes the workbook's temporary files, and
// lets the workbook go (its index of shared strings is the reader's
// largest state) while the Reader may still be referenced.
func (s *xlsxSource) close() error {
	if s.wb == nil {
		return nil
	}
	err := errors.Join(s.rows.Close(), s.wb.Close())
	s.rows, s.wb = nil, nil
	return err
}

// blankCells reports whether every cell is empty or spaces.
func blankCells(cells []string) bool {
	return lastFilled(cells) == 0
}

// lastFilled returns the 1-based column of the last cell that is not empty
// or spaces, or 0.
func lastFilled(cells []string) int {
	for i := len(cells) - 1; i >= 0; i-- {
		if strings.TrimSpace(cells[i]) != "" {
			return i + 1
		}
	}
	return 0
}

// columnName is a column's letters as a spreadsheet shows them (1 is A).
func columnName(col int) string {
	name, err := excelize.ColumnNumberToName(col)
	if err != nil {
		return fmt.Sprint(col)
	}
	return name
}

// quoteAll lists names, quoted, for a message.
func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// Built-in number formats (ECMA-376 18.8.30) isoDates points date styles to.
const (
	numFmtDate     = 14 // a date; read with the ShortDatePattern yyyy-mm-dd
	numFmtDateTime = 22 // a date and time; read as yyyy-mm-dd hh:mm
)

// isoDates makes every date format of the workbook read as ISO 8601, in
// memory (the file is not changed): excelize formats a date cell with its
// style's number format (mm-dd-yy, dd/mm/yyyy, d-mmm-yy...), which depends
// on the locale of whoever made the sheet. Styles whose format shows a
// date are pointed to the built-in formats 14 (date) and 22 (date and
// time), which openWorkbook's ShortDatePattern makes yyyy-mm-dd. Times
// without a date and durations keep their formats.
func isoDates(wb *excelize.File) {
	ss := wb.Styles
	if ss == nil || ss.CellXfs == nil {
		return
	}
	custom := map[int]string{}
	if ss.NumFmts != nil {
		for _, nf := range ss.NumFmts.NumFmt {
			code := nf.FormatCode
			if nf.FormatCode16 != "" {
				code = nf.FormatCode16
			}
			custom[nf.NumFmtID] = code
		}
	}
	for i := range ss.CellXfs.Xf {
		xf := &ss.CellXfs.Xf[i]
		if xf.NumFmtID == nil {
			continue
		}
		var date, clock bool
		if code, ok := custom[*xf.NumFmtID]; ok {
			date, clock = dateFormat(code)
		} else {
			date, clock = builtInDate(*xf.NumFmtID)
		}
		switch {
		case date && clock:
			id := numFmtDateTime
			xf.NumFmtID = &id
		case date:
			id := numFmtDate
			xf.NumFmtID = &id
		}
	}
}

// builtInDate tells whether the built-in number format id shows a date,
// and a time of day with it: 14-17 and 22 in every locale, and the
// East Asian date formats 27-31, 36 and 50-58.
func builtInDate(id int) (date, clock bool) {
	switch {
	case id >= 14 && id <= 17, id >= 27 && id <= 31, id == 36, id >= 50 && id <= 58:
		return true, false
	case id == 22:
		return true, true
	}
	return false, false
}

// dateFormat tells whether a number format code shows a date (it has a
// day or a year: d, y, or the era years e, g, b of East Asian calendars
// are left out, e being also the exponent), and a time of day with it (h
// or s). Only the first section counts (the one for positive numbers);
// quoted text, escaped characters and bracketed parts ([Red], [$-409], and
// the elapsed-time [h]) are skipped.
func dateFormat(code string) (date, clock bool) {
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case ';':
			return date, date && clock
		case '"':
			if j := strings.IndexByte(code[i+1:], '"'); j >= 0 {
				i += j + 1
			} else {
				i = len(code)
			}
		case '\\', '_', '*':
			i++ // the next character is literal (or a padding width)
		case '[':
			if j := strings.IndexByte(code[i:], ']'); j >= 0 {
				i += j
			}
		case 'd', 'D', 'y', 'Y':
			date = true
		case 'h', 'H', 's', 'S':
			clock = true
		}
	}
	return date, date && clock
}
