package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// These tests feed the binary the cells spreadsheets and their exports
// damage (issue 18): letters an export could not encode, formulas,
// optional values the server cannot store, numbers Excel reformatted, and
// fullwidth letters. Each row appears once in the result, with its
// column and the fix.

// cellsMapping maps the exports of these tests: a generated login from the
// legal name parts, the full name from the preferred name.
const cellsMapping = `key: Employee ID
first_name: First Name
last_name: Last Name
agent_full_name: "{Preferred Name|First Name} {Last Name}"
agent_user: {generate: "{first}_{last}"}
agent_user_level: 1
agent_user_group: {value: AGENTS}
custom_one: Location
custom_two: Desk Phone
wrapup_seconds_override: Wrapup
email: Work Email
`

const cellsHeader = "Employee ID,First Name,Last Name,Preferred Name,Location,Desk Phone,Wrapup,Work Email,Notes\n"

// runCells runs (or, with --strict and the like in extra, checks) the CSV
// body under cellsMapping against a fresh simulator, and returns the
// result rows by Employee ID, and the simulator.
func runCells(t *testing.T, body string, wantCode int, extra ...string) (map[string]map[string]string, result, func(login string) bool) {
	t.Helper()
	env, srv := simEnv(t, "1234")
	dir := t.TempDir()
	in := writeFile(t, dir, "hr.csv", body)
	mapping := writeFile(t, dir, "hr.yaml", cellsMapping)
	out := filepath.Join(dir, "hr.results.csv")
	args := append([]string{"run", in, "--map", mapping, "--out", out, "--rate", "0"}, extra...)
	got := invoke(t, env, args...)
	if got.code != wantCode {
		t.Fatalf("exit %d, want %d\n%s", got.code, wantCode, got.stderr)
	}
	exists := func(login string) bool { _, ok := srv.Sim.Account(login); return ok }
	return byColumn(readCSV(t, out)), got, exists
}

// wantRow checks a result row's status, login, and that its reason (for
// an INVALID row) or warnings hold each of want.
func wantRow(t *testing.T, rows map[string]map[string]string, id, status, login string, want ...string) {
	t.Helper()
	r, ok := rows[id]
	if !ok {
		t.Errorf("%s: no result row", id)
		return
	}
	if r["result_status"] != status || r["result_login"] != login {
		t.Errorf("%s: %s %q (%s | %s); want %s %q", id, r["result_status"], r["result_login"], r["result_reason"],
			r["result_warnings"], status, login)
	}
	text := r["result_reason"] + " | " + r["result_warnings"]
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s: %q lacks %q", id, text, w)
		}
	}
}

// TestLossyExportIsRefused (case 2): a name with "?" where an export lost
// a letter, or U+FFFD, is INVALID with the fix, whether it is the full
// name or only a name part of the generated login: no account, and no
// login made of the damaged name. A "?" that ends a question in a custom
// field stays a warning.
func TestLossyExportIsRefused(t *testing.T) {
	rows, _, exists := runCells(t, cellsHeader+
		"E1,Jos?,M?ller,,Leeds,,,,\n"+ // both
		"E2,Ren?e,Smith,Renee,Leeds,,,,\n"+ // the full name is clean, the login's first name is not
		"E3,Zo\uFFFD,Adams,,Leeds,,,,\n"+ // U+FFFD
		"E4,Ann,Lee,,Night shift?,,,,\n", exitRowsFailed)
	fix := `export as "CSV UTF-8" or .xlsx`
	wantRow(t, rows, "E1", "INVALID", "", "agent_full_name", `"Jos? M?ller"`, fix)
	wantRow(t, rows, "E2", "INVALID", "", "agent_user", `first_name "Ren?e"`, fix)
	wantRow(t, rows, "E3", "INVALID", "", "agent_full_name", fix)
	wantRow(t, rows, "E4", "SUCCESS", "ann_lee", `custom_one cleaned: "Night shift?" -> "Night shift"`)
	for _, login := range []string{"jos_mller", "rene_smith", "zo_adams"} {
		if exists(login) {
			t.Errorf("an account %s was made of a damaged name", login)
		}
	}

	t.Run("without a mapping", func(t *testing.T) {
		env, srv := simEnv(t, "1234")
		dir := t.TempDir()
		in := writeFile(t, dir, "hires.csv", "agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group\n"+
			"jmuller,Start-2026a,Jos? M?ller,1,AGENTS\n")
		out := filepath.Join(dir, "hires.results.csv")
		if got := invoke(t, env, "run", in, "--out", out, "--rate", "0"); got.code != exitRowsFailed {
			t.Fatalf("exit %d\n%s", got.code, got.stderr)
		}
		rec := readCSV(t, out)[1]
		if status, reason := rec[5], rec[7]; status != "INVALID" || !strings.Contains(reason, fix) {
			t.Errorf("%s (%s); want INVALID with %q", status, reason, fix)
		}
		if _, ok := srv.Sim.Account("jmuller"); ok {
			t.Error("the account was created with the damaged name")
		}
	})
}

// TestFormulaCells (case 3): a CSV cell that is a spreadsheet formula is
// INVALID in a field that would store it, with the fix; a phone number
// with a + and a negative number are values; a formula in a column no
// field takes is carried through. In an .xlsx the formula's value is used.
func TestFormulaCells(t *testing.T) {
	rows, _, exists := runCells(t, cellsHeader+
		`E1,Ann,Lee,,"=HYPERLINK(""https://intranet/leeds"",""Leeds"")",,,,`+"\n"+
		"E2,Bo,Chan,,+SUM(A1:A3),,,,\n"+
		"E3,Cy,Dunn,,Leeds,@SUM(B2),,,\n"+
		"E4,Di,Eves,,Leeds,=A1,,,\n"+
		`E5,Ed,Fox,,Leeds,+44 20 7946 0958,-1,,"=HYPERLINK(""x"")"`+"\n", exitRowsFailed)
	fix := "export the values"
	wantRow(t, rows, "E1", "INVALID", "", "custom_one", "is a spreadsheet formula", fix)
	wantRow(t, rows, "E2", "INVALID", "", "custom_one", "+SUM(A1:A3)", fix)
	wantRow(t, rows, "E3", "INVALID", "", "custom_two", fix)
	wantRow(t, rows, "E4", "INVALID", "", "custom_two", fix)
	wantRow(t, rows, "E5", "SUCCESS", "ed_fox")
	for _, id := range []string{"E1", "E2", "E3", "E4"} {
		if w := rows[id]["result_warnings"]; strings.Contains(w, "cleaned") {
			t.Errorf("%s: a refused formula is also cleaned: %s", id, w)
		}
	}
	for _, login := range []string{"ann_lee", "bo_chan", "cy_dunn", "di_eves"} {
		if exists(login) {
			t.Errorf("an account %s was created with a formula", login)
		}
	}

	t.Run("xlsx", func(t *testing.T) {
		env, srv := simEnv(t, "1234")
		dir := t.TempDir()
		in := filepath.Join(dir, "hr.xlsx")
		writeWorkbook(t, in, [][]any{
			{"Employee ID", "First Name", "Last Name", "Preferred Name", "Location", "Desk Phone", "Wrapup", "Work Email"},
			{"E1", "Ann", "Lee", "", formula{`HYPERLINK("https://intranet/leeds","Leeds")`, "Leeds"}},
		})
		mapping := writeFile(t, dir, "hr.yaml", cellsMapping)
		out := filepath.Join(dir, "hr.results.xlsx")
		if got := invoke(t, env, "run", in, "--map", mapping, "--out", out, "--rate", "0"); got.code != exitOK {
			t.Fatalf("exit %d\n%s", got.code, got.stderr)
		}
		if a, ok := srv.Sim.Account("ann_lee"); !ok || a.CustomOne != "Leeds" {
			t.Errorf("account %+v; want ann_lee with custom_one Leeds, the formula's value", a)
		}
	})
}

// TestOptionalValuesTheServerCannotStore (case 4): an optional value
// VICIdial cannot store is left out, with a warning naming it, and the
// account is created; --strict refuses the row; a required field stays
// refused.
func TestOptionalValuesTheServerCannotStore(t *testing.T) {
	long := strings.Repeat("L", 101)
	body := cellsHeader +
		"E1,Dee,Obi,,Leeds,,,dee.o'obi@example.com,\n" +
		"E2,Eli,Ng,,Leeds,,,eli+work@example.com,\n" +
		"E3,Flo,Ray,," + long + ",,,flo@example.com,\n" +
		"E4,Gus,Tay,,Leeds,,,gus.example.com,\n" + // not an email: HR's typo
		"E5,Hal," + strings.Repeat("H", 50) + ",,Leeds,,,,\n" // a full name too long
	rows, _, _ := runCells(t, body, exitRowsFailed)
	wantRow(t, rows, "E1", "SUCCESS", "dee_obi", `email left out: "dee.o'obi@example.com" has an apostrophe`)
	wantRow(t, rows, "E2", "SUCCESS", "eli_ng", `email left out: "eli+work@example.com" has a +`)
	wantRow(t, rows, "E3", "SUCCESS", "flo_ray", "custom_one left out", "101 characters")
	wantRow(t, rows, "E4", "INVALID", "", "email", "is not an email address")
	wantRow(t, rows, "E5", "INVALID", "", "agent_full_name", "too long")

	rows, _, exists := runCells(t, body, exitRowsFailed, "--strict")
	for _, id := range []string{"E1", "E2", "E3"} {
		wantRow(t, rows, id, "INVALID", "")
	}
	wantRow(t, rows, "E1", "INVALID", "", "email", "apostrophe")
	if exists("dee_obi") || exists("eli_ng") || exists("flo_ray") {
		t.Error("--strict created an account without a value it cannot store")
	}
}

// TestExcelNumbers (case 5): a whole number a spreadsheet wrote with a
// decimal part is read as the number, with a warning; one in scientific
// notation is INVALID with the fix, in a CSV as in an .xlsx. A login that
// was a number keeps its generated password from night to night once the
// column is fixed.
func TestExcelNumbers(t *testing.T) {
	env, srv := simEnv(t, "1234")
	dir := t.TempDir()
	header := "agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group,phone_login,voicemail_id,wrapup_seconds_override,hotkeys_active\n"
	in := writeFile(t, dir, "hires.csv", header+
		"1007.0,,Ann Lee,1.0,AGENTS,1004.0,8500.0,30.0,1.0\n"+
		"1008,Start-2026b,Bo Chan,1,AGENTS,1.003E+03,,,\n"+
		"1.00901E+03,Start-2026c,Cy Dunn,1,AGENTS,,,,\n")
	out := filepath.Join(dir, "hires.results.csv")
	if got := invoke(t, env, "run", in, "--out", out, "--rate", "0"); got.code != exitRowsFailed {
		t.Fatalf("exit %d\n%s", got.code, got.stderr)
	}
	byLine := func() map[string]map[string]string {
		recs := readCSV(t, out)
		rows := map[string]map[string]string{}
		for _, rec := range recs[1:] {
			m := map[string]string{}
			for i, c := range rec {
				m[recs[0][i]] = c
			}
			rows[m["agent_full_name"]] = m
		}
		return rows
	}
	rows := byLine()
	wantRow(t, rows, "Ann Lee", "SUCCESS", "1007", `phone_login read as a whole number: "1004.0" -> "1004"`,
		`agent_user read as a whole number: "1007.0" -> "1007"`, "voicemail_id", "wrapup_seconds_override", "hotkeys_active", "agent_user_level")
	wantRow(t, rows, "Bo Chan", "INVALID", "", "phone_login", `"1.003E+03"`, "scientific notation", "format the column as Text")
	wantRow(t, rows, "Cy Dunn", "INVALID", "", "agent_user", "scientific notation")
	a, ok := srv.Sim.Account("1007")
	if !ok || a.PhoneLogin != "1004" || a.VoicemailID != "8500" || a.WrapupSecondsOverride != "30" || a.HotkeysActive != "1" || a.Level != 1 {
		t.Fatalf("account 1007: %+v", a)
	}
	pass := rows["Ann Lee"]["agent_pass"]
	if pass == "" || a.Pass != pass {
		t.Fatalf("result password %q, the server holds %q", pass, a.Pass)
	}

	// The next night HR formats the column as Text: the same person, the
	// same generated password in the result file.
	writeFile(t, dir, "hires.csv", header+"1007,,Ann Lee,1,AGENTS,1004,8500,30,1\n"+
		"1008,Start-2026b,Bo Chan,1,AGENTS,1003,,,\n1009,Start-2026c,Cy Dunn,1,AGENTS,,,,\n")
	if got := invoke(t, env, "run", in, "--out", out, "--rate", "0"); got.code != exitOK {
		t.Fatalf("second night: exit %d\n%s", got.code, got.stderr)
	}
	if r := byLine()["Ann Lee"]; r["agent_pass"] != a.Pass || !strings.Contains(r["result_reason"], "ALREADY_CREATED") {
		t.Errorf("second night: %s password %q (%s); want the server's %q, ALREADY_CREATED", r["result_status"],
			r["agent_pass"], r["result_reason"], a.Pass)
	}

	t.Run("xlsx", func(t *testing.T) {
		env, srv := simEnv(t, "1234")
		dir := t.TempDir()
		in := filepath.Join(dir, "hires.xlsx")
		writeWorkbook(t, in, [][]any{
			{"agent_user", "agent_pass", "agent_full_name", "agent_user_level", "agent_user_group", "phone_login"},
			{"dlee", "Start-2026d", "Di Lee", 1, "AGENTS", 1004},
			{"efox", "Start-2026e", "Ed Fox", 1, "AGENTS", scientific(1003)},
		})
		out := filepath.Join(dir, "hires.results.xlsx")
		if got := invoke(t, env, "run", in, "--out", out, "--rate", "0"); got.code != exitRowsFailed {
			t.Fatalf("exit %d\n%s", got.code, got.stderr)
		}
		recs := resultRecords(t, out)
		status, reason := column(t, recs[0], "result_status"), column(t, recs[0], "result_reason")
		if r := recs[2]; r[status] != "INVALID" || !strings.Contains(r[reason], `"1.00E+03"`) || !strings.Contains(r[reason], "format the column as Text") {
			t.Errorf("efox: %s (%s); want INVALID, 1.00E+03, format the column as Text", r[status], r[reason])
		}
		if a, ok := srv.Sim.Account("dlee"); !ok || a.PhoneLogin != "1004" {
			t.Errorf("dlee: %+v; want phone_login 1004", a)
		}
	})
}

// TestFullwidthNames (case 7): fullwidth letters are their ASCII letters
// (NFKC) in the full name and in the generated login.
func TestFullwidthNames(t *testing.T) {
	rows, _, exists := runCells(t, cellsHeader+"E1,Ｊose,Ｇarcía,,Leeds,,,,\n", exitOK)
	wantRow(t, rows, "E1", "SUCCESS", "jose_garcia", `"Ｊose Ｇarcía" -> "Jose Garcia"`)
	if !exists("jose_garcia") {
		t.Error("no account jose_garcia")
	}
}

// formula is a workbook cell holding a formula and the value Excel last
// computed for it.
type formula struct{ expr, value string }

// scientific is a workbook number cell formatted as Excel's "0.00E+00".
type scientific float64

// writeWorkbook writes rows to a workbook's first sheet, as Excel saves
// them: numbers as numbers, a formula with its computed value.
func writeWorkbook(t *testing.T, path string, rows [][]any) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sci, err := f.NewStyle(&excelize.Style{NumFmt: 11}) // 0.00E+00
	if err != nil {
		t.Fatal(err)
	}
	var values []formula // excelize keeps no value with a formula: put it in afterwards
	for i, row := range rows {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			switch v := v.(type) {
			case formula:
				err = f.SetCellFormula("Sheet1", cell, v.expr)
				values = append(values, formula{cell, v.value})
			case scientific:
				err = f.SetCellValue("Sheet1", cell, float64(v))
				if err == nil {
					err = f.SetCellStyle("Sheet1", cell, cell, sci)
				}
			default:
				err = f.SetCellValue("Sheet1", cell, v)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, e := range zr.File {
		r, err := e.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if e.Name == "xl/worksheets/sheet1.xml" {
			s := string(body)
			for _, v := range values {
				start := strings.Index(s, fmt.Sprintf(`<c r="%s"`, v.expr))
				end := start + strings.Index(s[start:], "</c>")
				cell := s[start:end]
				vs := strings.Index(cell, "<v>")
				if vs < 0 {
					cell += "<v>" + v.value + "</v>"
				} else {
					cell = cell[:vs] + "<v>" + v.value + "</v>"
				}
				s = s[:start] + cell + s[end:]
			}
			body = []byte(s)
		}
		w, err := zw.Create(e.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}
