package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gofrs/flock"

	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

const goodCSV = `employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group,template,notes
E1,jsmith,Start-2026a,Jane Smith,1,AGENTS,,"=HYPERLINK(""x"")"
E2,akhan,Start-2026b,Aisha Khan,,,5555,copy
`

const mixedCSV = goodCSV + `E3,jo hn,Start-2026c,John Space,1,AGENTS,,bad login
E4,cdavis,Start-2026d,Chris Davis,1,BILLING,,no such group
`

// result is one call of run.
type result struct {
	code           int
	stdout, stderr string
}

// invoke runs the command line with the environment env, with output
// buffers safe for the run's concurrent log lines.
func invoke(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr syncBuffer
	code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr, func(k string) string { return env[k] })
	return result{code, stdout.String(), stderr.String()}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func simEnv(t *testing.T, pass string) (map[string]string, *vicidialtest.Server) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	// The ledger goes to the test's own state directory.
	return map[string]string{"VICIDIAL_URL": srv.URL, "VICIDIAL_API_USER": "6666", "VICIDIAL_API_PASS": pass,
		"XDG_STATE_HOME": t.TempDir()}, srv
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.csv", goodCSV)
	mixed := writeFile(t, dir, "mixed.csv", mixedCSV)
	badHeader := writeFile(t, dir, "bad.csv", "agent_user,agent_pass\nx,y\n")
	tests := []struct {
		name     string
		pass     string
		args     []string
		want     int
		inStderr string
	}{
		{"all success", "1234", []string{"run", good, "--out", filepath.Join(dir, "g.csv")}, exitOK, "SUCCESS"},
		{"some rows fail", "1234", []string{"run", mixed, "--out", filepath.Join(dir, "m.csv")}, exitRowsFailed, "INVALID"},
		{"wrong password", "wrong-pass-42", []string{"run", good, "--out", filepath.Join(dir, "w.csv")}, exitFatal, "LOGIN_INCORRECT"},
		{"no input", "1234", []string{"run"}, exitUsage, "accepts 1 arg"},
		{"missing file", "1234", []string{"run", filepath.Join(dir, "nope.csv")}, exitUsage, "nope.csv"},
		{"bad header", "1234", []string{"run", badHeader}, exitUsage, "bad.csv:1"},
		{"password flag refused", "1234", []string{"run", good, "--api-pass=hunter2hunter2"}, exitUsage, "VICIDIAL_API_PASS"},
		{"no password", "", []string{"run", good}, exitUsage, "no API password"},
		{"out is input", "1234", []string{"run", good, "--out", good}, exitUsage, "is the input"},
		{"check offline", "", []string{"check", mixed, "--out", filepath.Join(dir, "c.csv")}, exitRowsFailed, "INVALID"},
		{"check online good", "1234", []string{"check", good, "--out", filepath.Join(dir, "c2.csv")}, exitOK, "WOULD_SUCCEED"},
		{"dry run wrong password", "bad-pass-1", []string{"run", "--dry-run", good, "--out", filepath.Join(dir, "c3.csv")}, exitFatal, "LOGIN_INCORRECT"},
	}
	// The API user's password is one no output can hold by chance (a run
	// id, a duration or a port may hold "1234"): 6666's, renamed.
	const apiPass = "Api-Pass-Seen-Nowhere-31"
	fx := vicidialtest.DefaultFixture()
	for i := range fx.Accounts {
		if fx.Accounts[i].User == "6666" {
			fx.Accounts[i].Pass = apiPass
		}
	}
	for i := range tests {
		if tests[i].pass == "1234" {
			tests[i].pass = apiPass
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Fixture: &fx})
			env := map[string]string{"VICIDIAL_URL": srv.URL, "VICIDIAL_API_USER": "6666", "VICIDIAL_API_PASS": tt.pass,
				"XDG_STATE_HOME": t.TempDir()}
			if tt.name == "check offline" {
				env = map[string]string{}
			}
			got := invoke(t, env, tt.args...)
			if got.code != tt.want {
				t.Errorf("exit code %d, want %d; stderr:\n%s", got.code, tt.want, got.stderr)
			}
			if !strings.Contains(got.stderr, tt.inStderr) {
				t.Errorf("stderr does not mention %q:\n%s", tt.inStderr, got.stderr)
			}
			shown := got.stderr + got.stdout
			if strings.Contains(shown, "hunter2hunter2") || (tt.pass != "" && strings.Contains(shown, tt.pass)) {
				t.Errorf("a password appears in the output")
			}
		})
	}
}

func TestResultFile(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "hires.csv", mixedCSV)
	env, srv := simEnv(t, "1234")
	got := invoke(t, env, "run", in, "--log-level", "debug")
	if got.code != exitRowsFailed {
		t.Fatalf("exit %d:\n%s", got.code, got.stderr)
	}
	out := filepath.Join(dir, "hires.results.csv")
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("result file mode %v, want 0600", st.Mode().Perm())
	}
	recs := readCSV(t, out)
	wantHeader := "employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group,template,notes,result_status,result_login,result_reason,result_warnings,result_row,result_at"
	if h := strings.Join(recs[0], ","); h != wantHeader {
		t.Errorf("header %s\nwant   %s", h, wantHeader)
	}
	wantStatus := []string{"SUCCESS", "SUCCESS", "INVALID", "ERROR"}
	for i, w := range wantStatus {
		rec := recs[i+1]
		if rec[8] != w || rec[0] != "E"+string(rune('1'+i)) || rec[12] != string(rune('2'+i)) {
			t.Errorf("row %d = %q, want %s for E%d on line %d", i, rec, w, i+1, i+2)
		}
	}
	if recs[1][7] != `'=HYPERLINK("x")` {
		t.Errorf("formula cell written as %q, want it defused with a leading '", recs[1][7])
	}
	if _, err := os.Stat(out + ".journal"); !os.IsNotExist(err) {
		t.Errorf("journal left behind after a complete run: %v", err)
	}
	for _, secret := range []string{"1234", "Start-2026a", "Start-2026b", "Start-2026c", "Start-2026d"} {
		if strings.Contains(got.stderr, secret) || strings.Contains(got.stdout, secret) {
			t.Errorf("password %q appears in the output", secret)
		}
	}
	// Stable field types for log collectors: a status is a row's (a
	// string), an HTTP status is http_status (a number).
	httpStatuses := 0
	for _, line := range strings.Split(strings.TrimSpace(got.stderr), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("stderr line is not JSON: %s", line)
		}
		if v, ok := m["status"]; ok {
			if _, isString := v.(string); !isString {
				t.Errorf("status %v (%T) is not a string: %s", v, v, line)
			}
		}
		if v, ok := m["http_status"]; ok {
			httpStatuses++
			if _, isNumber := v.(float64); !isNumber {
				t.Errorf("http_status %v is not a number: %s", v, line)
			}
		}
	}
	if httpStatuses == 0 {
		t.Errorf("no debug line with an http_status: the check proves nothing")
	}

	// The same command again sends only the failures: the ledger knows the
	// accounts created, whose rows are SUCCESS with the same login.
	before := len(srv.Sim.Requests())
	again := invoke(t, env, "run", in)
	if again.code != exitRowsFailed {
		t.Fatalf("second run exit %d:\n%s", again.code, again.stderr)
	}
	recs2 := readCSV(t, out)
	for i := 1; i <= 2; i++ {
		if recs2[i][8] != "SUCCESS" || recs2[i][9] != recs[i][9] || !strings.HasSuffix(recs2[i][10], "(ALREADY_CREATED)") {
			t.Errorf("SUCCESS row %d on the second run: %q, want SUCCESS, login %s, ALREADY_CREATED", i, recs2[i], recs[i][9])
		}
	}
	for _, r := range srv.Sim.Requests()[before:] {
		if r.Function == "add_user" && r.Params.Get("agent_user") != "cdavis" || r.Function == "copy_user" {
			t.Errorf("second run sent %s for %s: only the failed row may be sent again", r.Function, r.Params.Get("agent_user"))
		}
	}
}

func TestOneRunPerResultFile(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "hires.csv", goodCSV)
	out := filepath.Join(dir, "hires.results.csv")
	lock := flock.New(out + ".lock")
	if ok, err := lock.TryLock(); !ok || err != nil {
		t.Fatalf("lock: %v %v", ok, err)
	}
	defer lock.Unlock()
	env, srv := simEnv(t, "1234")
	got := invoke(t, env, "run", in)
	if got.code != exitUsage || !strings.Contains(got.stderr, "another vicionboard run") {
		t.Errorf("exit %d, stderr %s; want 2 and a clear message", got.code, got.stderr)
	}
	if n := len(srv.Sim.Requests()); n != 0 {
		t.Errorf("%d requests sent while another run holds the result file", n)
	}
}

// TestLockSurvivesARaceWithCleanup: a process that opened the lock file
// while a run was ending must lock the same file the next run locks. A run
// that deleted the lock file when done let that process lock the deleted
// file while the next run created and locked a new one: two runs at once
// on one result file and journal.
func TestLockSurvivesARaceWithCleanup(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "hires.csv", goodCSV)
	out := filepath.Join(dir, "hires.results.csv")
	env, _ := simEnv(t, "1234")

	racer, err := os.OpenFile(out+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer racer.Close()
	if got := invoke(t, env, "run", in, "--out", out); got.code != exitOK {
		t.Fatalf("first run: exit %d\n%s", got.code, got.stderr)
	}
	// The racer now takes the lock it opened during the first run.
	if err := syscall.Flock(int(racer.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatalf("racer could not lock: %v", err)
	}
	got := invoke(t, env, "run", in, "--out", out)
	if got.code != exitUsage || !strings.Contains(got.stderr, "another vicionboard run") {
		t.Errorf("second run while the racer holds the lock: exit %d, want %d; stderr:\n%s", got.code, exitUsage, got.stderr)
	}
}

func TestPasswordFile(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "hires.csv", goodCSV)
	passFile := writeFile(t, dir, "pass", "1234\n")
	env, _ := simEnv(t, "")
	got := invoke(t, env, "run", in, "--api-pass-file", passFile)
	if got.code != exitOK {
		t.Errorf("exit %d:\n%s", got.code, got.stderr)
	}
}

// TestFatalHints: a fatal stop tells a person what to do about it.
func TestFatalHints(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.csv", goodCSV)
	_, srv := simEnv(t, "")
	tests := []struct {
		name, url, user, pass string
		wantHint              string
	}{
		{"wrong password", srv.URL, "6666", "wrong-pass-42", "lockout"},
		{"no right to add users", srv.URL, "noperm", "noperm1", `"Modify Users"`},
		{"function not allowed", srv.URL, "apilimited", "apilimit1", "API Allowed Functions"},
		{"unreachable", "http://127.0.0.1:1", "6666", "1234", "check --url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"VICIDIAL_URL": tt.url, "VICIDIAL_API_USER": tt.user, "VICIDIAL_API_PASS": tt.pass,
				"XDG_STATE_HOME": t.TempDir()}
			got := invoke(t, env, "run", good, "--out", filepath.Join(dir, tt.user+".csv"), "--retries", "0")
			if got.code != exitFatal {
				t.Errorf("exit code %d, want %d; stderr:\n%s", got.code, exitFatal, got.stderr)
			}
			// JSON logs (stderr is not a terminal): the hint is a field of the last line.
			if !strings.Contains(got.stderr, `"hint":`) || !strings.Contains(got.stderr, strings.ReplaceAll(tt.wantHint, `"`, `\"`)) {
				t.Errorf("stderr has no hint mentioning %q:\n%s", tt.wantHint, got.stderr)
			}
		})
	}
}

// TestExcelExportRoundTrip: a European Excel export (";"-separated,
// Windows-1252) is onboarded with its accents intact; the result file comes
// back the same way Excel wrote the input (";" and a BOM, so Excel shows
// UTF-8 accents right), and fed back in it sends nothing already created.
func TestExcelExportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	// "José Müller" in Windows-1252: é = 0xE9, ü = 0xFC.
	in := writeFile(t, dir, "hires.csv", "employee_id;agent_user;agent_pass;agent_full_name;agent_user_level;agent_user_group\r\n"+
		"E1;jmuller;Start-2026a;Jos\xe9 M\xfcller;1;AGENTS\r\n"+
		"E2;cdavis;Start-2026b;Chris Davis;1;BILLING\r\n")
	env, srv := simEnv(t, "1234")
	out := filepath.Join(dir, "hires.results.csv")

	if got := invoke(t, env, "run", in, "--out", out); got.code != exitRowsFailed {
		t.Fatalf("exit %d, want %d (BILLING does not exist); stderr:\n%s", got.code, exitRowsFailed, got.stderr)
	}
	if a, ok := srv.Sim.Account("jmuller"); !ok || a.FullName != "Jose Muller" {
		t.Errorf("account jmuller = %+v, %v; want full name %q", a, ok, "Jose Muller")
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte("\uFEFFemployee_id;agent_user;")) {
		t.Errorf("result starts %q, want a BOM and ';'", raw[:min(len(raw), 40)])
	}
	if !bytes.Contains(raw, []byte("José Müller")) {
		t.Errorf("the result lost the accents (want the input's cell in UTF-8):\n%s", raw)
	}

	before := len(srv.Sim.Requests())
	again := filepath.Join(dir, "again.csv")
	if got := invoke(t, env, "run", out, "--out", again); got.code != exitRowsFailed {
		t.Fatalf("feeding the result back: exit %d; stderr:\n%s", got.code, got.stderr)
	}
	for _, r := range srv.Sim.Requests()[before:] {
		if r.Function == "add_user" && r.Params.Get("agent_user") == "jmuller" {
			t.Errorf("jmuller was sent again although it was SUCCESS")
		}
	}
	f, err := os.Open(again)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(recs), 3; got != want {
		t.Fatalf("%d records, want %d", got, want)
	}
	if got := recs[1][6]; got != "SUCCESS" {
		t.Errorf("jmuller: %s on the second run, want SUCCESS carried over", got)
	}
}

// TestSummaryLogLine: with JSON logs, the run ends with one structured
// "summary" line whose counts match the result file.
func TestSummaryLogLine(t *testing.T) {
	dir := t.TempDir()
	mixed := writeFile(t, dir, "mixed.csv", mixedCSV)
	env, _ := simEnv(t, "1234")
	got := invoke(t, env, "run", mixed, "--out", filepath.Join(dir, "m.csv"), "--log-format", "json")
	var summary map[string]any
	for _, line := range strings.Split(got.stderr, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["message"] == "summary" {
			summary = m
		}
	}
	if summary == nil {
		t.Fatalf("no JSON summary line in stderr:\n%s", got.stderr)
	}
	want := map[string]float64{"rows": 4, "success": 2, "invalid": 1, "error": 1, "created": 2}
	for k, v := range want {
		if summary[k] != v {
			t.Errorf("summary %s = %v, want %v (line %v)", k, summary[k], v, summary)
		}
	}

	// A dry run's summary says what it would create, never "created".
	env, _ = simEnv(t, "1234")
	got = invoke(t, env, "check", mixed, "--out", filepath.Join(dir, "m.check.csv"), "--log-format", "json")
	summary = nil
	for _, line := range strings.Split(got.stderr, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["message"] == "summary" {
			summary = m
		}
	}
	if _, ok := summary["created"]; ok || summary["would_create"] != float64(2) {
		t.Errorf("dry run summary %v: want would_create 2 and no created", summary)
	}
}

// TestNightlyLoginReusedByAnotherPerson: last night jsmith was created for
// Jane Smith; tonight's export gives the login jsmith to John Smith. John
// must not inherit Jane's SUCCESS: the server is asked, and says the login
// is taken.
func TestNightlyLoginReusedByAnotherPerson(t *testing.T) {
	dir := t.TempDir()
	const header = "employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group\n"
	in := writeFile(t, dir, "hires.csv", header+"E1,jsmith,Start-2026a,Jane Smith,1,AGENTS\n")
	out := filepath.Join(dir, "hires.results.csv")
	env, srv := simEnv(t, "1234")
	if got := invoke(t, env, "run", in, "--out", out); got.code != exitOK {
		t.Fatalf("first night: exit %d\n%s", got.code, got.stderr)
	}

	writeFile(t, dir, "hires.csv", header+"E1,jsmith,Start-2026a,Jane Smith,1,AGENTS\nE2,jsmith2,Start-2026b,John Smith,1,AGENTS\n")
	if got := invoke(t, env, "run", in, "--out", out); got.code != exitOK {
		t.Fatalf("second night, same person: exit %d\n%s", got.code, got.stderr)
	}
	writeFile(t, dir, "hires.csv", header+"E3,jsmith,Start-2026c,John Smith,1,AGENTS\n")
	got := invoke(t, env, "run", in, "--out", out)
	if got.code != exitRowsFailed {
		t.Errorf("third night, login reused: exit %d, want %d\n%s", got.code, exitRowsFailed, got.stderr)
	}
	recs := readCSV(t, out)
	if status, reason := recs[1][6], recs[1][8]; status != "ERROR" || !strings.Contains(reason, "USER_EXISTS") {
		t.Errorf("John Smith as jsmith: %s (%s), want ERROR (USER_EXISTS)", status, reason)
	}
	if a, _ := srv.Sim.Account("jsmith"); a.FullName != "Jane Smith" {
		t.Errorf("jsmith is now %q, want Jane Smith's account untouched", a.FullName)
	}
}
