package report

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/vicionboard/vicionboard/batch"
)

// An .xlsx result file cannot be appended to row by row and survive a
// crash: a workbook is a zip archive, whole or unreadable. So a run whose
// result file is OUT.xlsx writes its rows to the CSV CSVPath(OUT) as it
// goes (Create does so for an .xlsx path), and FinishXLSX turns that CSV
// into the workbook at the end, then removes it. A run that is killed, or
// whose workbook cannot be written, leaves the CSV, with every row
// finished.

// XLSXSheet is the name of the result workbook's worksheet.
const XLSXSheet = "Results"

// IsXLSX reports whether path names an .xlsx file, by its extension (in any
// case): the result file's format follows its name.
func IsXLSX(path string) bool {
	return strings.EqualFold(filepath.Ext(path), ".xlsx")
}

// CSVPath returns the path a run writes its result rows to: out itself,
// or for an .xlsx result file the CSV beside it, OUT.csv (e.g.
// hires.results.xlsx.csv), which FinishXLSX turns into out.
func CSVPath(out string) string {
	if IsXLSX(out) {
		return out + ".csv"
	}
	return out
}

// FinishXLSX turns the CSV that CSVPath(out) names into the .xlsx result
// file out (see WriteXLSX), then removes the CSV; opts are the ones the CSV
// was written with. For a result file that is not .xlsx it does nothing.
// When the workbook cannot be written the CSV is kept, and the error says
// where every row's outcome is.
func FinishXLSX(out string, opts Options) error {
	if !IsXLSX(out) {
		return nil
	}
	src := CSVPath(out)
	if err := WriteXLSX(out, src, opts); err != nil {
		return &FileError{Path: out, Err: fmt.Errorf("not written (%w): every row's outcome is in %s", err, src)}
	}
	if err := os.Remove(src); err != nil {
		return &FileError{Path: out, Err: fmt.Errorf("written, but its CSV copy %s (which holds the passwords too) could not be removed: %w", src, err)}
	}
	return nil
}

// WriteXLSX writes the result CSV at src (written by a Writer with opts:
// the same delimiter, a ' before formula-like cells unless RawCells) as the
// workbook dst, mode 0600, replacing dst only once it is complete. The
// workbook has one sheet, XLSXSheet: the same columns and rows, the header
// row frozen and bold with an autofilter over the table, every column as
// wide as its widest value (up to a limit), and result_status coloured by
// status (SUCCESS, VALID, WOULD_SUCCEED green; ERROR, WOULD_FAIL red;
// UNKNOWN orange; INVALID yellow; NOT_ATTEMPTED grey). Cells are text (the
// ' before a formula-like cell is dropped: a text cell is never run as a
// formula, and the Text format keeps it text when edited), except
// result_row, a number. The CSV is read twice, as it streams (once for the
// widths, once for the rows), and the sheet is written with excelize's
// StreamWriter: memory does not grow with the rows.
func WriteXLSX(dst, src string, opts Options) error {
	shape, err := measureCSV(src, opts)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", XLSXSheet); err != nil {
		return err
	}
	st, err := newXLSXStyles(f)
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(XLSXSheet)
	if err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
		return err
	}
	for i, w := range shape.widths {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
	}
	if err := streamRows(sw, src, opts, shape, st); err != nil {
		return err
	}
	last, err := excelize.CoordinatesToCellName(len(shape.widths), max(shape.rows, 1))
	if err != nil {
		return err
	}
	if err := f.AutoFilter(XLSXSheet, "A1:"+last, nil); err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return saveXLSX(f, dst)
}

// csvShape is what the first reading of a result CSV learns.
type csvShape struct {
	rows      int       // records, the header included
	widths    []float64 // each column's width, in characters
	statusCol int       // result_status's index, or -1
	rowCol    int       // result_row's index, or -1
}

// Column widths, in characters: at least minColWidth, at most maxColWidth
// (longer values wrap in the cell when it is opened), and room for the
// header's filter button.
const (
	minColWidth = 6
	maxColWidth = 60
	filterRoom  = 3
)

// openCSV opens a result CSV written with opts, past its BOM.
func openCSV(src string, opts Options) (*csv.Reader, *os.File, error) {
	file, err := os.Open(src)
	if err != nil {
		return nil, nil, err
	}
	var bom [3]byte
	if n, _ := io.ReadFull(file, bom[:]); n < 3 || string(bom[:]) != "\uFEFF" {
		if _, err := file.Seek(0, io.SeekStart); err != nil {
			file.Close()
			return nil, nil, err
		}
	}
	r := csv.NewReader(file)
	if opts.Comma != 0 {
		r.Comma = opts.Comma
	}
	r.ReuseRecord = true
	return r, file, nil
}

// measureCSV reads src once for the number of rows, the column widths and
// where the status and row columns are.
func measureCSV(src string, opts Options) (csvShape, error) {
	r, file, err := openCSV(src, opts)
	if err != nil {
		return csvShape{}, err
	}
	defer file.Close()
	s := csvShape{statusCol: -1, rowCol: -1}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return csvShape{}, err
		}
		if s.rows == 0 {
			s.widths = make([]float64, len(rec))
			for i, h := range rec {
				switch h {
				case "result_status":
					s.statusCol = i
				case "result_row":
					s.rowCol = i
				}
				s.widths[i] = float64(displayWidth(h) + filterRoom)
			}
		}
		s.rows++
		for i, c := range rec {
			if i < len(s.widths) {
				s.widths[i] = max(s.widths[i], float64(displayWidth(cellText(c, opts))))
			}
		}
	}
	if s.rows == 0 {
		return csvShape{}, errors.New("the result CSV is empty")
	}
	for i, w := range s.widths {
		s.widths[i] = min(max(w, minColWidth), maxColWidth) + 1
	}
	return s, nil
}

// displayWidth is the number of characters of the longest line of s.
func displayWidth(s string) int {
	w := 0
	for line := range strings.SplitSeq(s, "\n") {
		w = max(w, utf8.RuneCountInString(line))
	}
	return w
}

// cellText is a cell of the CSV as the workbook holds it: without the '
// that defused it (Defuse's inverse), since a text cell is never run.
func cellText(c string, opts Options) string {
	if opts.RawCells || !strings.HasPrefix(c, "'") {
		return c
	}
	rest := strings.TrimLeft(c, "'")
	if rest != "" && strings.ContainsRune(formulaStarts, rune(rest[0])) {
		return c[1:]
	}
	return c
}

// xlsxStyles are the result workbook's cell styles.
type xlsxStyles struct {
	header, text, number int
	status               map[batch.Status]int
}

// statusColour is the fill and font colour (RGB hex) of a status cell.
type statusColour struct {
	status     batch.Status
	fill, font string
}

// statusColours are Excel's own "Good", "Bad" and "Neutral" colours for
// the statuses that are, orange for UNKNOWN, grey for NOT_ATTEMPTED.
var statusColours = []statusColour{
	{batch.StatusSuccess, "C6EFCE", "006100"},
	{batch.StatusValid, "C6EFCE", "006100"},
	{batch.StatusWouldSucceed, "C6EFCE", "006100"},
	{batch.StatusError, "FFC7CE", "9C0006"},
	{batch.StatusWouldFail, "FFC7CE", "9C0006"},
	{batch.StatusUnknown, "F8CBAD", "843C0C"},
	{batch.StatusInvalid, "FFEB9C", "9C5700"},
	{batch.StatusHeld, "FFEB9C", "9C5700"},
	{batch.StatusNotAttempted, "D9D9D9", "3F3F3F"},
}

// StatusFill returns the fill colour (RGB hex) of a status cell in the
// .xlsx result file, or "" for a status that has none.
func StatusFill(st batch.Status) string {
	for _, c := range statusColours {
		if c.status == st {
			return c.fill
		}
	}
	return ""
}

// numFmtText is the built-in number format "@": a cell a person edits
// stays text (typing =1+1 in it stores the text "=1+1").
const numFmtText = 49

func newXLSXStyles(f *excelize.File) (xlsxStyles, error) {
	var st xlsxStyles
	var err error
	top := &excelize.Alignment{Vertical: "top"}
	if st.header, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: numFmtText, Alignment: top,
		Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}},
		Border: []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}}}); err != nil {
		return st, err
	}
	if st.text, err = f.NewStyle(&excelize.Style{NumFmt: numFmtText, Alignment: top}); err != nil {
		return st, err
	}
	if st.number, err = f.NewStyle(&excelize.Style{Alignment: top}); err != nil {
		return st, err
	}
	st.status = map[batch.Status]int{}
	for _, c := range statusColours {
		if st.status[c.status], err = f.NewStyle(&excelize.Style{NumFmt: numFmtText, Alignment: top,
			Font: &excelize.Font{Bold: true, Color: c.font},
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c.fill}}}); err != nil {
			return st, err
		}
	}
	return st, nil
}

// streamRows reads src again and writes its records to sw.
func streamRows(sw *excelize.StreamWriter, src string, opts Options, shape csvShape, st xlsxStyles) error {
	r, file, err := openCSV(src, opts)
	if err != nil {
		return err
	}
	defer file.Close()
	row := make([]any, len(shape.widths))
	for n := 1; ; n++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		for i := range row {
			c := ""
			if i < len(rec) {
				c = cellText(rec[i], opts)
			}
			cell := excelize.Cell{StyleID: st.text, Value: c}
			switch {
			case n == 1:
				cell.StyleID = st.header
			case i == shape.statusCol:
				if id, ok := st.status[batch.Status(c)]; ok {
					cell.StyleID = id
				}
			case i == shape.rowCol:
				if v, err := strconv.Atoi(c); err == nil {
					cell = excelize.Cell{StyleID: st.number, Value: v}
				}
			}
			row[i] = cell
		}
		name, err := excelize.CoordinatesToCellName(1, n)
		if err != nil {
			return err
		}
		if err := sw.SetRow(name, row); err != nil {
			return fmt.Errorf("row %d: %w", n, err)
		}
	}
}

// saveXLSX writes f to a private temporary file beside dst, then puts it in
// dst's place: dst is never half-written.
func saveXLSX(f *excelize.File, dst string) error {
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(FileMode); err != nil {
		return err
	}
	if _, err := f.WriteTo(tmp); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return err
	}
	done = true
	return nil
}
