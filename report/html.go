package report

import (
	"bufio"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vicionboard/vicionboard/batch"
)

//go:embed html.tmpl
var htmlSource string

//go:embed html.css
var htmlCSS string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"rows":  Rows,
	"more":  func(n int) string { return fmt.Sprintf("%d more %s", n, plural(n, "row", "rows")) },
	"class": statusClass,
	// classOf is the class of a status written as a string (a Count's).
	"classOf": func(st string) string { return statusClass(batch.Status(st)) },
	"join":    strings.Join,
	"sub":     func(a, b int) int { return a - b },
	// fixFor is the fix of a group's code for the input: a mapped
	// export's fix goes to HR's system or the mapping, not the file.
	"fixFor": func(r Reason, mapping string) string { return r.FixFor(mapping != "") },
	// where is where one row's fix goes.
	"where": func(code, reason, mapping string) string { return Where(code, reason, mapping != "") },
}).Parse(htmlSource))

// Page is what an HTML report says about the run besides its rows.
type Page struct {
	Title      string    // e.g. "vicionboard run"
	Input      string    // the input file
	ResultFile string    // the result file, which has every row
	Generated  time.Time // when the report was written
}

// chart geometry, in SVG user units.
const (
	chartLabelW = 150
	chartBarW   = 420
	chartRowH   = 26
	chartCountW = 70
)

// bar is one bar of the chart.
type bar struct {
	Label          string
	N              int
	Class          string
	X, Y, TextY, W int
	CountX         int
}

// htmlView is what the template renders.
type htmlView struct {
	Page
	Data
	CSS            template.CSS
	Bars           []bar
	ChartW, ChartH int
	Generated      string
	RowCap         int
}

// WriteHTML writes a self-contained HTML report of d (no script, and no
// style, font or image from elsewhere): the counts as a bar chart, the
// rows that need a person grouped by reason code with each code's fix,
// the warnings, and the rows that succeeded with their logins. Every value
// from the input is escaped: a name like <script> is shown, never run.
func WriteHTML(w io.Writer, d Data, p Page) error {
	v := htmlView{Page: p, Data: d, CSS: template.CSS(htmlCSS), RowCap: RowCap,
		ChartW: chartLabelW + chartBarW + chartCountW, ChartH: chartRowH*len(d.Statuses) + 4}
	if !p.Generated.IsZero() {
		v.Generated = p.Generated.UTC().Format("2006-01-02 15:04 UTC")
	}
	most := 0
	for _, c := range d.Statuses {
		most = max(most, c.N)
	}
	for i, c := range d.Statuses {
		width := 0
		if most > 0 {
			width = max(2, c.N*chartBarW/most)
		}
		y := 2 + i*chartRowH
		v.Bars = append(v.Bars, bar{Label: c.Name, N: c.N, Class: statusClass(batch.Status(c.Name)),
			X: chartLabelW, Y: y, TextY: y + chartRowH/2 + 5, W: width, CountX: chartLabelW + width + 8})
	}
	if err := htmlTemplate.Execute(w, v); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return nil
}

// statusClass is the CSS class that colours a status.
func statusClass(st batch.Status) string {
	switch st {
	case batch.StatusSuccess, batch.StatusValid, batch.StatusWouldSucceed:
		return "ok"
	case batch.StatusError, batch.StatusWouldFail:
		return "error"
	case batch.StatusInvalid, batch.StatusHeld:
		return "invalid"
	case batch.StatusUnknown:
		return "unknown"
	default:
		return "other"
	}
}

// WriteHTMLFile writes the report to path with mode 0600 (it names people
// and their logins). It writes a temporary file beside path and renames it
// into place, so that path never holds half a report.
func WriteHTMLFile(path string, d Data, p Page) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(FileMode); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	// The template writes in small pieces: a few writes, not one a piece.
	bw := bufio.NewWriterSize(f, 64<<10)
	if err := WriteHTML(bw, d, p); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return nil
}
