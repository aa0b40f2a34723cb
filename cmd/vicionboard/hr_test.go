package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// hrSample is the HR system's export of samples/ and its mapping.
const (
	hrSample  = "../../samples/hr_export.csv"
	hrMapping = "../../samples/hr_mapping.yaml"
)

// hrWant is what onboarding samples/hr_export.csv gives each person: the
// login of the pattern {f}{last} (jsmith taken by the first John Smith,
// mlee by an account already on the server), the full name as VICIdial
// keeps it, and the function.
var hrWant = []struct {
	id, login, name, function string
}{
	{"E2001", "jsmith", "John Smith", "add_user"},
	{"E2002", "jsmith2", "Jane Smith", "add_user"},
	{"E2003", "jsmith3", "Jon Smith", "add_user"},
	{"E2004", "jgarcia", "Jose Garcia", "add_user"},
	{"E2005", "sobrien", "Shiv OBrien", "copy_user"},
	{"E2006", "mlee2", "Mary Lee", "add_user"},
	{"E2007", "skierkegaardmoller", "Soren Kierkegaard-Moller", "copy_user"},
	{"E2008", "akhan", "Aisha Khan", "add_user"},
}

// hrServer is a simulator whose server already has an account mlee, of
// another person.
func hrServer(t *testing.T, latency time.Duration) *vicidialtest.Server {
	fx := vicidialtest.DefaultFixture()
	fx.Accounts = append(fx.Accounts, vicidialtest.Account{User: "mlee", Pass: "theirs-1", FullName: "Morgan Leeds",
		Level: 1, Group: "AGENTS", Active: "Y"})
	return vicidialtest.NewTestServer(t, vicidialtest.Options{Fixture: &fx, Latency: latency})
}

// hrRecords reads the sample export as records.
func hrRecords(t *testing.T) [][]string {
	t.Helper()
	b, err := os.ReadFile(hrSample)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// hrFormats writes the sample export as HR's tools save it: CSV UTF-8,
// Excel's "CSV" on a European Windows (Windows-1252, ";"), Excel's
// "Unicode Text" (UTF-16 LE with a BOM, tab-separated), and a workbook.
func hrFormats(t *testing.T, dir string) map[string]string {
	t.Helper()
	recs := hrRecords(t)
	text := func(comma rune) string {
		var b strings.Builder
		w := csv.NewWriter(&b)
		w.Comma = comma
		if err := w.WriteAll(recs); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	files := map[string]string{}
	write := func(name string, data []byte) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		files[name] = p
	}
	write("utf8.csv", []byte(text(',')))
	cp1252, err := charmap.Windows1252.NewEncoder().String(strings.ReplaceAll(text(';'), "\n", "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	write("windows1252.csv", []byte(cp1252))
	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(strings.ReplaceAll(text('\t'), "\n", "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	write("unicode.txt", []byte(utf16))

	f := excelize.NewFile()
	defer f.Close()
	for i, rec := range recs {
		row := make([]any, len(rec))
		for j, c := range rec {
			row[j] = c
		}
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &row); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "export.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	files["export.xlsx"] = p
	return files
}

// resultRecords reads a result file, CSV (any delimiter) or .xlsx, as
// records.
func resultRecords(t *testing.T, path string) [][]string {
	t.Helper()
	if strings.HasSuffix(path, ".xlsx") {
		_, rows := xlsxResult(t, path)
		return rows
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.TrimPrefix(b, []byte("\uFEFF"))
	r := csv.NewReader(bytes.NewReader(b))
	if first, _, _ := strings.Cut(string(b), "\n"); !strings.Contains(first, ",") {
		r.Comma = ';'
		if strings.Contains(first, "\t") {
			r.Comma = '\t'
		}
	}
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

// byColumn maps each result row's id (its first cell) to its cells by
// column name.
func byColumn(recs [][]string) map[string]map[string]string {
	rows := map[string]map[string]string{}
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, c := range rec {
			if i < len(recs[0]) {
				m[recs[0][i]] = c
			}
		}
		rows[rec[0]] = m
	}
	return rows
}

// TestHRExportInEveryFormat: the HR system's export, as CSV UTF-8, as a
// European Excel's Windows-1252 ";" CSV, as Excel's UTF-16 "Unicode Text"
// and as .xlsx, with the sample mapping and no edit, onboards every person:
// the pattern's logins with suffixes for the ones taken, a generated
// password per row that the server holds, the template for team leads.
// A second run knows everyone and shows the same logins and passwords.
func TestHRExportInEveryFormat(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	for name, in := range hrFormats(t, dir) {
		t.Run(name, func(t *testing.T) {
			srv := hrServer(t, 0)
			out := filepath.Join(dir, name+".results.csv")
			if strings.HasSuffix(name, ".xlsx") {
				out = filepath.Join(dir, name+".results.xlsx")
			}
			env := []string{"VICIDIAL_URL=" + srv.URL, "VICIDIAL_API_USER=6666", "VICIDIAL_API_PASS=1234",
				"XDG_STATE_HOME=" + filepath.Join(dir, name+".state")}
			args := []string{"run", in, "--map", hrMapping, "--out", out, "--rate", "0", "--log-format", "json", "--log-level", "debug"}
			got := binRun(t, env, args...)
			if got.code != exitOK {
				t.Fatalf("exit %d\n%s\n%s", got.code, got.stdout, got.stderr)
			}
			rows := byColumn(resultRecords(t, out))
			if len(rows) != len(hrWant) {
				t.Fatalf("%d result rows, want %d", len(rows), len(hrWant))
			}
			passwords := map[string]string{}
			for _, w := range hrWant {
				r := rows[w.id]
				if r["result_status"] != "SUCCESS" || r["result_login"] != w.login {
					t.Errorf("%s: %s %s (%s); want SUCCESS %s", w.id, r["result_status"], r["result_login"], r["result_reason"], w.login)
					continue
				}
				a, ok := srv.Sim.Account(w.login)
				if !ok {
					t.Errorf("%s: no account %s on the server", w.id, w.login)
					continue
				}
				pass := r["agent_pass"]
				if len(pass) != 12 || a.Pass != pass {
					t.Errorf("%s: result password %q (%d characters), the server holds %q", w.id, pass, len(pass), a.Pass)
				}
				if a.FullName != w.name {
					t.Errorf("%s: full name %q, want %q", w.id, a.FullName, w.name)
				}
				if w.function == "copy_user" && a.Level != 7 {
					t.Errorf("%s: level %d, want the template tmplsup's 7", w.id, a.Level)
				}
				if w.function == "add_user" && a.Email != r["Work Email"] {
					t.Errorf("%s: email %q, want %q", w.id, a.Email, r["Work Email"])
				}
				passwords[w.id] = pass
			}
			for id, pass := range passwords {
				if strings.Contains(got.stderr+got.stdout, pass) {
					t.Errorf("%s's generated password appears in the logs", id)
				}
			}
			if a, _ := srv.Sim.Account("mlee"); a.FullName != "Morgan Leeds" || a.Pass != "theirs-1" {
				t.Errorf("the existing account mlee was changed: %+v", a)
			}

			// The next night: nothing is sent, and the result shows the
			// same logins and passwords.
			got = binRun(t, env, args...)
			if got.code != exitOK {
				t.Fatalf("second run: exit %d\n%s", got.code, got.stderr)
			}
			if aside, _ := filepath.Glob(out + ".*-*"); len(aside) > 0 {
				t.Errorf("the second run moved the first's result file aside (it could not read it): %v", aside)
			}
			rows = byColumn(resultRecords(t, out))
			for _, w := range hrWant {
				r := rows[w.id]
				if r["result_login"] != w.login || r["agent_pass"] != passwords[w.id] || !strings.Contains(r["result_reason"], "ALREADY_CREATED") {
					t.Errorf("second run, %s: %s %q (%s); want %s with the same password, ALREADY_CREATED",
						w.id, r["result_login"], r["agent_pass"], r["result_reason"], w.login)
				}
			}
		})
	}
}

// TestHRDryRunPredictsTheLogins: a dry run with the mapping predicts the
// logins the run then chooses, and shows no password.
func TestHRDryRunPredictsTheLogins(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	srv := hrServer(t, 0)
	dir := t.TempDir()
	env := []string{"VICIDIAL_URL=" + srv.URL, "VICIDIAL_API_USER=6666", "VICIDIAL_API_PASS=1234",
		"XDG_STATE_HOME=" + filepath.Join(dir, "state")}
	out := filepath.Join(dir, "hr.check.csv")
	before := len(srv.Sim.Accounts())
	got := binRun(t, env, "check", hrSample, "--map", hrMapping, "--out", out, "--rate", "0")
	if got.code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", got.code, got.stdout, got.stderr)
	}
	rows := byColumn(resultRecords(t, out))
	for _, w := range hrWant {
		r := rows[w.id]
		if r["result_status"] != "WOULD_SUCCEED" || r["result_login"] != w.login || r["agent_pass"] != "" {
			t.Errorf("%s: %s %s password %q (%s); want WOULD_SUCCEED %s and no password",
				w.id, r["result_status"], r["result_login"], r["agent_pass"], r["result_reason"], w.login)
		}
	}
	if n := len(srv.Sim.Accounts()); n != before {
		t.Errorf("the dry run changed the number of accounts from %d to %d", before, n)
	}
	// A second dry run recognises its own earlier result and writes over it.
	if again := binRun(t, env, "check", hrSample, "--map", hrMapping, "--out", out, "--rate", "0"); again.code != exitOK {
		t.Errorf("second dry run: exit %d\n%s", again.code, again.stderr)
	}
}

// hrCrowd is an HR export of n people drawn from few names, so that
// logins collide: every person has a unique email.
func hrCrowd(n int) string {
	first := []string{"John", "Jane", "José", "Jo", "Jon"}
	last := []string{"Smith", "Smyth", "García"}
	var b strings.Builder
	b.WriteString("Employee ID,First Name,Last Name,Preferred Name,Work Email,Department,Job Title,Manager,Hire Date,Location,Phone Extension\n")
	for i := range n {
		fmt.Fprintf(&b, "E%04d,%s,%s,,p%04d@example.com,Sales,Sales Agent,,2026-12-01,Leeds,\n",
			i, first[i%len(first)], last[(i/len(first))%len(last)], i)
	}
	return b.String()
}

// TestKilledHRRunKeepsLoginsAndPasswords: a run with generated logins and
// passwords killed with SIGKILL at random moments, then run to the end:
// every person has exactly one account, its login is the pattern's, and
// the password the server holds is the one the result file shows.
func TestKilledHRRunKeepsLoginsAndPasswords(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	bin := binary(t)
	srv := hrServer(t, 15*time.Millisecond)
	dir := t.TempDir()
	const rows = 45
	in := writeFile(t, dir, "crowd.csv", hrCrowd(rows))
	out := filepath.Join(dir, "crowd.results.csv")
	rng := rand.New(rand.NewPCG(11, 5))
	env := []string{"VICIDIAL_URL=" + srv.URL, "VICIDIAL_API_USER=6666", "VICIDIAL_API_PASS=1234",
		"XDG_STATE_HOME=" + filepath.Join(dir, "state")}
	args := []string{"run", in, "--map", hrMapping, "--out", out, "--workers", "4", "--rate", "0", "--log-format", "json", "--max-new", "0"}

	kills := 0
	for range 5 {
		cmd := exec.Command(bin, args...)
		cmd.Env = binEnv(t, env...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(time.Duration(30+rng.IntN(200)) * time.Millisecond):
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-done
			kills++
		}
	}
	if kills == 0 {
		t.Fatal("no run was killed: the test proved nothing")
	}
	got := binRun(t, env, args...)
	if got.code != exitOK {
		t.Fatalf("final run: exit %d\n%s", got.code, got.stderr)
	}
	t.Logf("killed %d times", kills)

	recs := resultRecords(t, out)
	if len(recs) != rows+1 {
		t.Fatalf("%d result rows, want %d", len(recs)-1, rows)
	}
	perEmail := map[string]int{}
	for _, a := range srv.Sim.Accounts() {
		perEmail[a.Email]++
	}
	pattern := regexp.MustCompile(`^[a-z]+[0-9]*$`)
	for id, r := range byColumn(recs) {
		login := r["result_login"]
		if r["result_status"] != "SUCCESS" || !pattern.MatchString(login) {
			t.Errorf("%s: %s %q (%s)", id, r["result_status"], login, r["result_reason"])
			continue
		}
		if n := perEmail[r["Work Email"]]; n != 1 {
			t.Errorf("%s: %d accounts", id, n)
		}
		a, ok := srv.Sim.Account(login)
		if !ok || a.Email != r["Work Email"] {
			t.Errorf("%s: account %s is %+v, not this person's", id, login, a)
			continue
		}
		if a.Pass != r["agent_pass"] || len(a.Pass) != 12 {
			t.Errorf("%s: the server holds password %q, the result file shows %q", id, a.Pass, r["agent_pass"])
		}
	}

	// Every account is vicionboard's, even one a killed run created and
	// the next found: when its person leaves, it is deactivated.
	lines := strings.SplitAfter(hrCrowd(rows), "\n")
	in = writeFile(t, dir, "crowd.csv", strings.Join(lines[:len(lines)-1-rows/3], ""))
	got = binRun(t, env, append(args, "--deactivate-missing", "--max-deactivate", "0", "--max-deactivate-percent", "0", "--min-rows-percent", "0")...)
	if got.code != exitOK {
		t.Fatalf("leavers' run: exit %d\n%s", got.code, got.stderr)
	}
	deactivated := 0
	for _, rec := range resultRecords(t, out)[1:] {
		if strings.Contains(strings.Join(rec, ","), "DEACTIVATED") {
			deactivated++
		}
	}
	if deactivated != rows/3 {
		t.Errorf("%d leavers deactivated, want %d (an account a killed run created must not count as found)", deactivated, rows/3)
	}
}

// TestEmptyPasswordIsGenerated: a plain input's empty agent_pass cell gets
// a generated password, which the server holds and the result file shows
// in that cell; a password HR gave is sent as it is.
func TestEmptyPasswordIsGenerated(t *testing.T) {
	env, srv := simEnv(t, "1234")
	dir := t.TempDir()
	in := writeFile(t, dir, "hires.csv", "agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group\n"+
		"gena,,Gen A,1,AGENTS\ngivenb,Given-Pass-1,Given B,1,AGENTS\n")
	out := filepath.Join(dir, "hires.results.csv")
	if got := invoke(t, env, "run", in, "--out", out, "--rate", "0"); got.code != exitOK {
		t.Fatalf("exit %d\n%s", got.code, got.stderr)
	}
	rows := map[string][]string{}
	for _, rec := range readCSV(t, out)[1:] {
		rows[rec[0]] = rec
	}
	a, _ := srv.Sim.Account("gena")
	if got := rows["gena"][1]; len(got) != 12 || a.Pass != got {
		t.Errorf("gena: result password %q, server %q; want the same 12 characters", got, a.Pass)
	}
	if b, _ := srv.Sim.Account("givenb"); b.Pass != "Given-Pass-1" || rows["givenb"][1] != "Given-Pass-1" {
		t.Errorf("givenb: server %q, result %q; want HR's password", b.Pass, rows["givenb"][1])
	}
}

// TestMappingProblems: a mapping that does not fit the input stops before
// anything is sent, naming what to fix; a row the mapping cannot map, or
// whose name has nothing VICIdial keeps, is INVALID and says why, while
// the other rows are onboarded.
func TestMappingProblems(t *testing.T) {
	dir := t.TempDir()
	header := "Employee ID,First Name,Last Name,Department\n"
	in := writeFile(t, dir, "hr.csv", header+"E1,Ann,Lee,Sales\nE2,Bo,Chan,Marketing\nE3,雷,李,Sales\n")
	mapFile := func(name, body string) string { return writeFile(t, dir, name, body) }
	good := mapFile("good.yaml", `key: Employee ID
first_name: First Name
last_name: Last Name
agent_full_name: "{First Name} {Last Name}"
agent_user: {generate: "{first}{l}"}
agent_user_level: 1
agent_user_group: {from: Department, map: {Sales: SALES}}
`)
	for _, c := range []struct {
		name, mapping string
		code          int
		want          []string
	}{
		{"missing column", mapFile("col.yaml", "key: Employee ID\nagent_full_name: \"{First Name} {Surname}\"\nagent_user: {generate: \"{f}{last}\"}\nagent_user_level: 1\nagent_user_group: {value: AGENTS}\n"),
			exitUsage, []string{"col.yaml:2", "Surname", "Last Name"}},
		{"unknown field", mapFile("field.yaml", "key: Employee ID\nagent_fullname: First Name\n"),
			exitUsage, []string{"agent_fullname", "agent_full_name"}},
		{"login pattern with a dot", mapFile("dot.yaml", "key: Employee ID\nagent_full_name: \"{First Name} {Last Name}\"\nagent_user: {generate: \"{first}.{last}\"}\nagent_user_level: 1\nagent_user_group: {value: AGENTS}\n"),
			exitUsage, []string{"dot.yaml:3", "{first}_{last}"}},
		{"generated logins without a key", mapFile("nokey.yaml", "agent_full_name: \"{First Name} {Last Name}\"\nagent_user: {generate: \"{f}{last}\"}\nagent_user_level: 1\nagent_user_group: {value: AGENTS}\n"),
			exitUsage, []string{"key:"}},
		{"rows", good, exitRowsFailed, []string{`"Marketing"`, "romanised"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			env, srv := simEnv(t, "1234")
			out := filepath.Join(t.TempDir(), "hr.results.csv")
			got := invoke(t, env, "run", in, "--map", c.mapping, "--out", out, "--rate", "0")
			if got.code != c.code {
				t.Fatalf("exit %d, want %d\n%s", got.code, c.code, got.stderr)
			}
			text := got.stderr
			if c.code == exitRowsFailed {
				b, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				text = string(b)
				rows := byColumn(readCSV(t, out))
				if r := rows["E1"]; r["result_status"] != "SUCCESS" || r["result_login"] != "annl" {
					t.Errorf("E1: %s %s (%s); want SUCCESS annl", r["result_status"], r["result_login"], r["result_reason"])
				}
				for _, id := range []string{"E2", "E3"} {
					if r := rows[id]; r["result_status"] != "INVALID" {
						t.Errorf("%s: %s (%s); want INVALID", id, r["result_status"], r["result_reason"])
					}
				}
			} else if n := sends(srv); n != 0 {
				t.Errorf("%d requests sent", n)
			}
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("the message lacks %q:\n%s", w, text)
				}
			}
		})
	}
}

// TestGeneratedLoginsOverNights: a person keeps their login on every run,
// a login the ledger holds for a leaver is never given to a new person,
// and --update never takes a generated password for a change.
func TestGeneratedLoginsOverNights(t *testing.T) {
	env, srv := simEnv(t, "1234")
	dir := t.TempDir()
	recs := hrRecords(t)
	write := func(records [][]string) string {
		var b strings.Builder
		w := csv.NewWriter(&b)
		if err := w.WriteAll(records); err != nil {
			t.Fatal(err)
		}
		return writeFile(t, dir, "hr.csv", b.String())
	}
	in := write(recs)
	out := filepath.Join(dir, "hr.results.csv")
	night := func() map[string]map[string]string {
		t.Helper()
		got := invoke(t, env, "run", in, "--map", hrMapping, "--out", out, "--rate", "0", "--update")
		if got.code != exitOK {
			t.Fatalf("exit %d\n%s", got.code, got.stderr)
		}
		return byColumn(readCSV(t, out))
	}
	first := night()
	// E2001 (jsmith) has left; a new John Smith arrives.
	john := append([]string(nil), recs[1]...)
	john[0], john[4] = "E2009", "john.smith2@example.com"
	in = write(append(append([][]string{recs[0]}, recs[2:]...), john))
	second := night()
	if r := second["E2009"]; r["result_login"] != "jsmith4" || r["result_status"] != "SUCCESS" {
		t.Errorf("the new John Smith: %s %s (%s); want jsmith4 (jsmith is the leaver's)", r["result_status"], r["result_login"], r["result_reason"])
	}
	for id, r := range second {
		if id == "E2009" {
			continue
		}
		if r["result_login"] != first[id]["result_login"] || r["agent_pass"] != first[id]["agent_pass"] ||
			!strings.Contains(r["result_reason"], "UNCHANGED") {
			t.Errorf("%s: %s %q (%s); want %s, the same password, UNCHANGED", id, r["result_login"], r["agent_pass"],
				r["result_reason"], first[id]["result_login"])
		}
	}
	if n := countSent(srv, 0, "update_user"); n != 2 {
		// The two copy rows' own values, on the first night; nothing since.
		t.Errorf("%d update_user sent, want 2", n)
	}
}

// TestProfileRunsANightlyJob: a profile names the server, the API user,
// the variable holding its password, the ledger, the mapping and flags;
// the job runs from it alone, and the command line wins over it.
func TestProfileRunsANightlyJob(t *testing.T) {
	srv := hrServer(t, 0)
	dir := t.TempDir()
	mapping, err := filepath.Abs(hrMapping)
	if err != nil {
		t.Fatal(err)
	}
	profile := writeFile(t, dir, "nightly.yaml", fmt.Sprintf(`url: %s
api_user: "6666"
api_pass_env: NIGHTLY_PASS
ledger: state/nightly.db
map: %s
flags: {rate: 0, update: true, max-new: 5}
`, srv.URL, mapping))
	in, err := filepath.Abs(hrSample)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "hr.results.csv")
	env := map[string]string{"NIGHTLY_PASS": "1234", "XDG_STATE_HOME": t.TempDir()}
	// max-new 5 in the profile: the 8 new hires trip the safeguard.
	if got := invoke(t, env, "run", in, "--profile", profile, "--out", out); got.code != exitSafeguard {
		t.Fatalf("exit %d, want the profile's --max-new 5 to stop the run (exit %d)\n%s", got.code, exitSafeguard, got.stderr)
	}
	// The command line wins.
	if got := invoke(t, env, "run", in, "--profile", profile, "--out", out, "--max-new", "0"); got.code != exitOK {
		t.Fatalf("exit %d\n%s", got.code, got.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "state", "nightly.db")); err != nil {
		t.Errorf("the profile's ledger, relative to the profile: %v", err)
	}
	if a, ok := srv.Sim.Account("jsmith3"); !ok || a.FullName != "Jon Smith" {
		t.Errorf("jsmith3: %+v, %v; want Jon Smith's account", a, ok)
	}
}

// TestGeneratedPasswordNeverReplacesHRs: a person created with the
// password HR gave keeps it; when a later export leaves the cell empty,
// the row shows no generated password (it would not work), says why, and
// --update sends no password.
func TestGeneratedPasswordNeverReplacesHRs(t *testing.T) {
	env, srv := simEnv(t, "1234")
	dir := t.TempDir()
	const header = "employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group\n"
	in := writeFile(t, dir, "hires.csv", header+"E1,hrpass,Given-Pass-1,Given Pass,1,AGENTS\n")
	out := filepath.Join(dir, "hires.results.csv")
	run := func() map[string]string {
		t.Helper()
		got := invoke(t, env, "run", in, "--out", out, "--rate", "0", "--key", "employee_id", "--update")
		if got.code != exitOK {
			t.Fatalf("exit %d\n%s", got.code, got.stderr)
		}
		return byColumn(readCSV(t, out))["E1"]
	}
	run()
	writeFile(t, dir, "hires.csv", header+"E1,hrpass,,Given Pass,1,AGENTS\n")
	r := run()
	if r["agent_pass"] != "" || !strings.Contains(r["result_warnings"], "another password") || !strings.Contains(r["result_reason"], "UNCHANGED") {
		t.Errorf("second night: password %q, reason %q, warnings %q; want no password, UNCHANGED, a warning",
			r["agent_pass"], r["result_reason"], r["result_warnings"])
	}
	if a, _ := srv.Sim.Account("hrpass"); a.Pass != "Given-Pass-1" {
		t.Errorf("the server's password became %q", a.Pass)
	}
}

// TestGeneratedLoginNeverTakesANamedOne: a login a row names explicitly,
// even further down the file, is never given to an earlier row whose login
// is generated.
func TestGeneratedLoginNeverTakesANamedOne(t *testing.T) {
	env, srv := simEnv(t, "1234")
	dir := t.TempDir()
	in := writeFile(t, dir, "hr.csv", "Employee ID,Login,First Name,Last Name\nE1,,John,Smith\nE2,jsmith,Joan,Smith\n")
	m := writeFile(t, dir, "map.yaml", `key: Employee ID
agent_full_name: "{First Name} {Last Name}"
agent_user: {from: Login, generate: "{f}{last}"}
agent_user_level: 1
agent_user_group: {value: AGENTS}
`)
	out := filepath.Join(dir, "hr.results.csv")
	if got := invoke(t, env, "run", in, "--map", m, "--out", out, "--rate", "0"); got.code != exitOK {
		t.Fatalf("exit %d\n%s", got.code, got.stderr)
	}
	rows := byColumn(readCSV(t, out))
	if rows["E1"]["result_login"] != "jsmith2" || rows["E2"]["result_login"] != "jsmith" {
		t.Errorf("logins E1 %q, E2 %q; want jsmith2 (generated) and jsmith (named)", rows["E1"]["result_login"], rows["E2"]["result_login"])
	}
	if a, _ := srv.Sim.Account("jsmith"); a.FullName != "Joan Smith" {
		t.Errorf("jsmith is %q's", a.FullName)
	}
}

// TestKeyFlagAndMappingKey: --key and the mapping's key: may both name the
// person-key column (in any case); naming two columns is refused.
func TestKeyFlagAndMappingKey(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		key  string
		code int
	}{{"employee id", exitOK}, {"Work Email", exitUsage}} {
		env, _ := simEnv(t, "1234")
		out := filepath.Join(dir, "hr.results.csv")
		_ = os.Remove(out)
		got := invoke(t, env, "run", hrSample, "--map", hrMapping, "--key", c.key, "--out", out, "--rate", "0")
		if got.code != c.code {
			t.Errorf("--key %q: exit %d, want %d\n%s", c.key, got.code, c.code, got.stderr)
		}
	}
}

// TestOfflineCheckOfGeneratedLogins: an offline dry run shows the logins
// the pattern gives, says once that they are not checked on the server,
// and warns on no row for it.
func TestOfflineCheckOfGeneratedLogins(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "hr.check.csv")
	got := invoke(t, map[string]string{"XDG_STATE_HOME": dir}, "check", hrSample, "--map", hrMapping, "--out", out, "--log-format", "json")
	if got.code != exitOK {
		t.Fatalf("exit %d\n%s", got.code, got.stderr)
	}
	if n := strings.Count(got.stderr, "generated logins are not checked on the server"); n != 1 {
		t.Errorf("the log says %d times that logins are not checked, want once:\n%s", n, got.stderr)
	}
	rows := byColumn(readCSV(t, out))
	if r := rows["E2002"]; r["result_status"] != "VALID" || r["result_login"] != "jsmith2" || strings.Contains(r["result_warnings"], "not checked") {
		t.Errorf("E2002: %s %s, warnings %q; want VALID jsmith2 and no warning about the server", r["result_status"], r["result_login"], r["result_warnings"])
	}
}

// TestProfileWithItsOwnMapping: a profile may hold the mapping itself (map:
// as a YAML mapping); its problems name the profile's lines.
func TestProfileWithItsOwnMapping(t *testing.T) {
	srv := hrServer(t, 0)
	dir := t.TempDir()
	in, err := filepath.Abs(hrSample)
	if err != nil {
		t.Fatal(err)
	}
	profile := func(name, group string) string {
		return writeFile(t, dir, name, fmt.Sprintf(`url: %s
api_user: "6666"
api_pass_env: NIGHTLY_PASS
ledger: state/nightly.db
map:
  key: Employee ID
  agent_full_name: "{Preferred Name|First Name} {Last Name}"
  agent_user: {generate: "{f}{last}"}
  agent_user_level: 1
  agent_user_group: %s
flags: {rate: 0}
`, srv.URL, group))
	}
	env := map[string]string{"NIGHTLY_PASS": "1234", "XDG_STATE_HOME": t.TempDir()}
	bad := profile("bad.yaml", "Dept")
	got := invoke(t, env, "run", in, "--profile", bad, "--out", filepath.Join(dir, "bad.results.csv"))
	if got.code != exitUsage || !strings.Contains(got.stderr, "bad.yaml:10") || !strings.Contains(got.stderr, "Dept") {
		t.Errorf("a bad column in the profile's mapping: exit %d, want 2 naming bad.yaml:10\n%s", got.code, got.stderr)
	}
	good := profile("good.yaml", "{value: AGENTS}")
	out := filepath.Join(dir, "hr.results.csv")
	if got := invoke(t, env, "run", in, "--profile", good, "--out", out); got.code != exitOK {
		t.Fatalf("exit %d\n%s", got.code, got.stderr)
	}
	if r := byColumn(readCSV(t, out))["E2003"]; r["result_login"] != "jsmith3" {
		t.Errorf("E2003: login %q, want jsmith3", r["result_login"])
	}
	if a, ok := srv.Sim.Account("jsmith3"); !ok || a.Group != "AGENTS" {
		t.Errorf("jsmith3: %+v %v; want group AGENTS from the profile's mapping", a, ok)
	}
}

// TestLostKeyFile: a ledger copied without its key file stops a run and a
// dry run (exit 3, nothing sent) with the fix; a run with --fresh makes a
// new key, and the people it knows are still never created again.
func TestLostKeyFile(t *testing.T) {
	env, srv := simEnv(t, "1234")
	dir := t.TempDir()
	led := filepath.Join(dir, "state", "ledger.db")
	in := writeFile(t, dir, "hires.csv", "employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group\n"+
		"E1,keyless,,Key Less,1,AGENTS\n")
	out := filepath.Join(dir, "hires.results.csv")
	args := []string{"run", in, "--ledger", led, "--key", "employee_id", "--out", out, "--rate", "0"}
	if got := invoke(t, env, args...); got.code != exitOK {
		t.Fatalf("exit %d\n%s", got.code, got.stderr)
	}
	if err := os.Remove(led + ".key"); err != nil {
		t.Fatal(err)
	}
	before := sends(srv)
	for _, cmd := range [][]string{args, {"check", in, "--ledger", led, "--key", "employee_id", "--out", filepath.Join(dir, "c.csv"), "--fresh"}} {
		got := invoke(t, env, cmd...)
		if got.code != exitFatal || !strings.Contains(got.stderr, "key file") {
			t.Errorf("%s without the key file: exit %d, want %d naming the key file\n%s", cmd[0], got.code, exitFatal, got.stderr)
		}
	}
	if _, err := os.Stat(led + ".key"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a new key file was made without --fresh on a run: %v", err)
	}
	got := invoke(t, env, append(args, "--fresh")...)
	if got.code != exitOK || sends(srv) != before {
		t.Errorf("--fresh: exit %d, %d requests sent; want 0 and none\n%s", got.code, sends(srv)-before, got.stderr)
	}
	if r := byColumn(readCSV(t, out))["E1"]; !strings.Contains(r["result_reason"], "ALREADY_CREATED") || r["agent_pass"] != "" {
		t.Errorf("E1 after --fresh: %q, password %q; want ALREADY_CREATED and no password shown (the new key gives another)", r["result_reason"], r["agent_pass"])
	}
}
