package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vicionboard/vicionboard/vicidial"
	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// countSent counts the requests of function since the first n requests.
func countSent(srv *vicidialtest.Server, n int, function string) int {
	c := 0
	for _, r := range srv.Sim.Requests()[n:] {
		if r.Function == function {
			c++
		}
	}
	return c
}

const ownValuesHeader = "employee_id,agent_user,agent_pass,agent_full_name,template,phone_login,phone_pass,email,custom_one,voicemail_id,agent_user_group\n"

// TestCopyRowsGetTheirOwnValues: a copy row's own phone, email and custom
// fields reach the server by an update_user right after the copy_user; the
// template gives the rest. A failing update leaves the row ERROR with its
// login, and the rerun sends exactly one update_user and no copy_user.
func TestCopyRowsGetTheirOwnValues(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	dir := t.TempDir()
	in := filepath.Join(dir, "hires.csv")
	rows := ownValuesHeader +
		"E1,cown1,Start-2026a,Copy Own One,5555,phone100,Ph-Pass-1,one@example.com,Team North,1234,\n" +
		"E2,cown2,Start-2026b,Copy Own Two,5555,,,two@example.com,Team South,,SUPPORT\n" +
		"E3,cown3,Start-2026c,Copy Own Three,5555,nophone,,three@example.com,,,\n" +
		"E4,cown4,Start-2026d,Copy Plain,5555,,,,,,\n"
	writeFile(t, dir, "hires.csv", rows)
	env := []string{"VICIDIAL_URL=" + srv.URL, "VICIDIAL_API_USER=6666", "VICIDIAL_API_PASS=1234"}
	args := []string{"run", in, "--ledger", filepath.Join(dir, "ledger.db"), "--key", "employee_id", "--rate", "0", "--log-format", "json"}
	got := binRun(t, env, args...)
	if got.code != exitRowsFailed {
		t.Fatalf("exit %d, want %d\n%s", got.code, exitRowsFailed, got.stderr)
	}
	for _, want := range []struct{ login, phone, email, custom, group string }{
		{"cown1", "phone100", "one@example.com", "Team North", "AGENTS"},
		{"cown2", "tmplphone", "two@example.com", "Team South", "SUPPORT"},
		{"cown4", "tmplphone", "agents@example.com", "standard agent", "AGENTS"}, // all from the template
	} {
		a, ok := srv.Sim.Account(want.login)
		if !ok || a.PhoneLogin != want.phone || a.Email != want.email || a.CustomOne != want.custom || a.Group != want.group {
			t.Errorf("%s on the server: phone %q email %q custom %q group %q; want %+v", want.login, a.PhoneLogin, a.Email, a.CustomOne, a.Group, want)
		}
	}
	// As anyone sees them: the simulator's users CSV, over HTTP.
	resp, err := http.Get(srv.URL + vicidialtest.UsersPath)
	if err != nil {
		t.Fatal(err)
	}
	users, err := csv.NewReader(resp.Body).ReadAll()
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range users[0] {
		col[h] = i
	}
	found := false
	for _, u := range users[1:] {
		if u[col["user"]] == "cown1" {
			found = true
			if u[col["phone_login"]] != "phone100" || u[col["email"]] != "one@example.com" || u[col["custom_one"]] != "Team North" {
				t.Errorf("cown1 in %s: %q", vicidialtest.UsersPath, u)
			}
		}
	}
	if !found {
		t.Errorf("cown1 is not in %s", vicidialtest.UsersPath)
	}
	out := filepath.Join(dir, "hires.results.csv")
	recs := readCSV(t, out)
	if r := recs[3]; r[11] != "ERROR" || r[12] != "cown3" || !strings.Contains(r[13], "own values were not applied") {
		t.Errorf("the row whose update failed: %q, want ERROR with its login and why", r[11:14])
	}
	for _, r := range recs[1:] {
		if strings.Contains(r[14], "ignore") {
			t.Errorf("%s still warns that values are ignored: %s", r[0], r[14])
		}
	}

	// HR fixes the phone; the same command sends the update_user alone.
	writeFile(t, dir, "hires.csv", strings.Replace(rows, "nophone", "phone101", 1))
	before := len(srv.Sim.Requests())
	if got := binRun(t, env, args...); got.code != exitOK {
		t.Fatalf("rerun: exit %d\n%s", got.code, got.stderr)
	}
	if n, c := countSent(srv, before, "update_user"), countSent(srv, before, "copy_user"); n != 1 || c != 0 {
		t.Errorf("rerun sent %d update_user and %d copy_user, want 1 and 0", n, c)
	}
	if a, _ := srv.Sim.Account("cown3"); a.PhoneLogin != "phone101" || a.Email != "three@example.com" {
		t.Errorf("cown3 after the rerun: phone %q email %q", a.PhoneLogin, a.Email)
	}
	if r := readCSV(t, out)[3]; r[11] != "SUCCESS" || !strings.HasSuffix(r[13], "(UPDATED)") {
		t.Errorf("rerun, cown3: %q", r[11:14])
	}
}

// TestCopyWithOwnValuesUnderFaults: connections reset after the write, 500
// answers carrying SUCCESS and hangs, on the copy step and on the update
// step: no account is copied twice, and every row ends with its own values.
func TestCopyWithOwnValuesUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	for _, fault := range []string{"reset-after=0.5", "500-success=0.5", "hang-after=0.4"} {
		t.Run(fault, func(t *testing.T) {
			faults, err := vicidialtest.ParseFaults(fault)
			if err != nil {
				t.Fatal(err)
			}
			srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Faults: faults, Seed: 3})
			dir := t.TempDir()
			in := filepath.Join(dir, "hires.csv")
			var b strings.Builder
			b.WriteString(ownValuesHeader)
			for i := 0; i < 8; i++ {
				fmt.Fprintf(&b, "E%d,fown%d,Start-2026%d,Fault Own %d,5555,,,f%d@example.com,Team %d,,\n", i, i, i, i, i, i)
			}
			writeFile(t, dir, "hires.csv", b.String())
			env := []string{"VICIDIAL_URL=" + srv.URL, "VICIDIAL_API_USER=6666", "VICIDIAL_API_PASS=1234"}
			args := []string{"run", in, "--ledger", filepath.Join(dir, "ledger.db"), "--key", "employee_id", "--rate", "0",
				"--timeout", "300ms", "--breaker", "0", "--log-format", "json"}
			for night := 0; night < 6; night++ {
				got := binRun(t, env, args...)
				if got.code == exitOK {
					break
				}
				if got.code != exitRowsFailed {
					t.Fatalf("night %d: exit %d\n%s", night, got.code, got.stderr)
				}
			}
			faulted := map[string]int{}
			for _, r := range srv.Sim.Requests() {
				if r.Fault != vicidialtest.FaultNone {
					faulted[r.Function]++
				}
			}
			if faulted["copy_user"] == 0 || faulted["update_user"] == 0 {
				t.Fatalf("faults hit %v: want both the copy and the update step", faulted)
			}
			byName := map[string]int{}
			for _, a := range srv.Sim.Accounts() {
				byName[a.FullName]++
			}
			recs := readCSV(t, filepath.Join(dir, "hires.results.csv"))
			if len(recs) != 9 {
				t.Fatalf("%d result rows, want 8", len(recs)-1)
			}
			for i := 0; i < 8; i++ {
				name := fmt.Sprintf("Fault Own %d", i)
				if byName[name] != 1 {
					t.Errorf("%s: %d accounts, want 1", name, byName[name])
				}
				if a, ok := srv.Sim.Account(fmt.Sprintf("fown%d", i)); !ok || a.Email != fmt.Sprintf("f%d@example.com", i) {
					t.Errorf("fown%d: email %q, want its own", i, a.Email)
				}
				if st := recs[i+1][11]; st != "SUCCESS" {
					t.Errorf("fown%d: %s %s", i, st, recs[i+1][13])
				}
			}
		})
	}
}

// TestUpdateAppliesHRChanges: with --update, three nights on one ledger: a
// group change reaches the server, a field an admin changed by hand on the
// server and HR did not touch survives, rows with no change are UNCHANGED;
// without --update the change is only reported (EXISTS_CHANGED).
func TestUpdateAppliesHRChanges(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	dir := t.TempDir()
	in := filepath.Join(dir, "hires.csv")
	const header = "employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group,email\n"
	rows := header + "E1,upd1,Start-2026a,Update One,1,SUPPORT,one@example.com\n" +
		"E2,upd2,Start-2026b,Update Two,1,AGENTS,two@example.com\n"
	writeFile(t, dir, "hires.csv", rows)
	env := []string{"VICIDIAL_URL=" + srv.URL, "VICIDIAL_API_USER=6666", "VICIDIAL_API_PASS=1234"}
	args := []string{"run", in, "--ledger", filepath.Join(dir, "ledger.db"), "--key", "employee_id", "--rate", "0", "--log-format", "json"}
	if got := binRun(t, env, args...); got.code != exitOK {
		t.Fatalf("night 1: exit %d\n%s", got.code, got.stderr)
	}
	// An admin changes E1's custom field by hand.
	client, err := vicidial.New(vicidial.Config{URL: srv.URL, User: "6666", Pass: "1234", Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.UpdateUser(context.Background(), vicidial.UpdateUserRequest{Login: "upd1", CustomOne: "set by hand"}); err != nil {
		t.Fatal(err)
	}

	// Night 2: HR moves E1 to SALES and changes E1's email.
	writeFile(t, dir, "hires.csv", strings.Replace(rows, "1,SUPPORT,one@example.com", "1,SALES,uno@example.com", 1))
	out := filepath.Join(dir, "hires.results.csv")
	if got := binRun(t, env, append(args, "--dry-run", "--out", filepath.Join(dir, "plan.csv"))...); got.code != exitOK {
		t.Fatalf("night 2 dry run: exit %d\n%s", got.code, got.stderr)
	} else if st := byStatusCode(t, filepath.Join(dir, "plan.csv")); st["E1"] != "WOULD_SUCCEED EXISTS_CHANGED" {
		t.Errorf("dry run without --update: E1 %s", st["E1"])
	}
	if got := binRun(t, env, append(args, "--update", "--dry-run", "--out", filepath.Join(dir, "plan.csv"))...); got.code != exitOK {
		t.Fatalf("night 2 dry run: exit %d\n%s", got.code, got.stderr)
	}
	plan := byStatusCode(t, filepath.Join(dir, "plan.csv"))
	before := len(srv.Sim.Requests())
	if got := binRun(t, env, append(args, "--update")...); got.code != exitOK {
		t.Fatalf("night 2: exit %d\n%s", got.code, got.stderr)
	}
	st := byStatusCode(t, out)
	if st["E1"] != "SUCCESS UPDATED" || st["E2"] != "SUCCESS UNCHANGED" {
		t.Errorf("night 2: %v, want E1 UPDATED and E2 UNCHANGED", st)
	}
	for id, s := range st {
		if want := strings.Replace(s, "SUCCESS", "WOULD_SUCCEED", 1); plan[id] != want {
			t.Errorf("%s: the dry run predicted %s, the run did %s", id, plan[id], s)
		}
	}
	if n := countSent(srv, before, "update_user"); n != 1 {
		t.Errorf("night 2 sent %d update_user, want 1", n)
	}
	a, _ := srv.Sim.Account("upd1")
	if a.Group != "SALES" || a.Email != "uno@example.com" || a.CustomOne != "set by hand" {
		t.Errorf("upd1 on the server: group %q email %q custom %q; want SALES, uno@, and the admin's custom field", a.Group, a.Email, a.CustomOne)
	}
	if r := readCSV(t, out)[1][9]; !strings.Contains(r, "agent_user_group: SUPPORT -> SALES") || !strings.Contains(r, "email:") {
		t.Errorf("E1's reason %q does not name each change", r)
	}

	// Night 3: nothing changed.
	before = len(srv.Sim.Requests())
	if got := binRun(t, env, append(args, "--update")...); got.code != exitOK {
		t.Fatalf("night 3: exit %d\n%s", got.code, got.stderr)
	}
	if st := byStatusCode(t, out); st["E1"] != "SUCCESS UNCHANGED" || st["E2"] != "SUCCESS UNCHANGED" {
		t.Errorf("night 3: %v, want both UNCHANGED", st)
	}
	if n := countSent(srv, before, "update_user"); n != 0 {
		t.Errorf("night 3 sent %d update_user, want none", n)
	}

	// Night 4: HR gives E2 a new password. The ledger keeps a keyed digest,
	// never the password: the change is seen, and said without a value.
	writeFile(t, dir, "hires.csv", strings.Replace(strings.Replace(rows, "1,SUPPORT,one@example.com", "1,SALES,uno@example.com", 1),
		"Start-2026b", "Changed-2026z", 1))
	got := binRun(t, env, args...)
	if st := byStatusCode(t, out); got.code != exitOK || st["E2"] != "SUCCESS EXISTS_CHANGED" {
		t.Errorf("night 4 without --update: exit %d, E2 %s", got.code, st["E2"])
	}
	got = binRun(t, env, append(args, "--update")...)
	recs := readCSV(t, out)
	if st := byStatusCode(t, out); got.code != exitOK || st["E2"] != "SUCCESS UPDATED" || !strings.Contains(recs[2][9], "agent_pass changed") {
		t.Errorf("night 4: exit %d, E2 %s %q, want UPDATED saying agent_pass changed", got.code, st["E2"], recs[2][9])
	}
	if a, _ := srv.Sim.Account("upd2"); a.Pass != "Changed-2026z" {
		t.Errorf("upd2's password on the server was not changed")
	}
	for _, text := range append([]string{got.stderr, got.stdout}, recs[2]...) {
		if strings.Contains(text, "Changed-2026z") && text != "Changed-2026z" {
			t.Errorf("the new password appears in the output or the reason: %.200s", text)
		}
	}
	led := filepath.Join(dir, "ledger.db")
	for _, suffix := range []string{"", "-wal"} {
		if b, _ := os.ReadFile(led + suffix); bytes.Contains(b, []byte("Changed-2026z")) || bytes.Contains(b, []byte("Start-2026b")) {
			t.Errorf("the ledger%s holds a password", suffix)
		}
	}
	if st, err := os.Stat(led + ".key"); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the digest key beside the ledger: %v, mode %v; want 0600", err, st.Mode().Perm())
	}
}

// TestLeaversAreDeactivated: nights on one ledger with --update
// --deactivate-missing: a leaver is deactivated (a row after the input's,
// with no line) and reactivated when back; a group change reaches the
// server; a field an admin changed by hand survives; an account vicionboard
// did not create is never touched; a night that would deactivate half the
// staff stops with exit 4 before any request. The dry run predicts each
// night's rows as the run then does them.
func TestLeaversAreDeactivated(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	dir := t.TempDir()
	in := filepath.Join(dir, "staff.csv")
	out := filepath.Join(dir, "staff.results.csv")
	var staff []person
	for i := 1; i <= 12; i++ {
		staff = append(staff, person{fmt.Sprintf("E%02d", i), fmt.Sprintf("staff%02d", i), fmt.Sprintf("Pass-%02d-s", i),
			fmt.Sprintf("Staff Member%02d", i), "1", "AGENTS"})
	}
	// An account that existed before vicionboard: found, never changed.
	staff = append(staff, person{"E13", "5555", "Pass-13-s", "Template Agent", "1", "AGENTS"})
	env := []string{"VICIDIAL_URL=" + srv.URL, "VICIDIAL_API_USER=6666", "VICIDIAL_API_PASS=1234"}
	args := []string{"run", in, "--ledger", filepath.Join(dir, "ledger.db"), "--key", "employee_id", "--rate", "0",
		"--update", "--deactivate-missing", "--log-format", "json"}
	night := func(people []person) (map[string]string, result) {
		t.Helper()
		export(t, in, people)
		plan := filepath.Join(dir, "plan.csv")
		if got := binRun(t, env, append(args, "--dry-run", "--out", plan)...); got.code != exitOK && got.code != exitSafeguard {
			t.Fatalf("dry run: exit %d\n%s", got.code, got.stderr)
		}
		predicted := byStatusCode(t, plan)
		got := binRun(t, env, args...)
		if got.code == exitSafeguard {
			return nil, got
		}
		st := byStatusCode(t, out)
		for id, s := range st {
			if want := strings.Replace(s, "SUCCESS", "WOULD_SUCCEED", 1); predicted[id] != want {
				t.Errorf("%s: the dry run predicted %q, the run did %q", id, predicted[id], s)
			}
		}
		return st, got
	}
	if st, got := night(staff); got.code != exitOK || st["E13"] != "SUCCESS ALREADY_EXISTS" {
		t.Fatalf("night 1: exit %d, E13 %s\n%s", got.code, st["E13"], got.stderr)
	}
	client, err := vicidial.New(vicidial.Config{URL: srv.URL, User: "6666", Pass: "1234", Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.UpdateUser(context.Background(), vicidial.UpdateUserRequest{Login: "staff02", CustomTwo: "set by hand"}); err != nil {
		t.Fatal(err)
	}

	// Night 2: E03 and E13 have left; E04 moved to SALES.
	var night2 []person
	for _, p := range staff {
		switch p.id {
		case "E03", "E13":
			continue
		case "E04":
			p.group = "SALES"
		}
		night2 = append(night2, p)
	}
	before := len(srv.Sim.Requests())
	st, got := night(night2)
	if got.code != exitOK {
		t.Fatalf("night 2: exit %d\n%s", got.code, got.stderr)
	}
	if st["E03"] != "SUCCESS DEACTIVATED" || st["E04"] != "SUCCESS UPDATED" || st["E01"] != "SUCCESS UNCHANGED" {
		t.Errorf("night 2: %v", st)
	}
	if _, listed := st["E13"]; listed {
		t.Errorf("night 2: the account vicionboard did not create is listed as a leaver")
	}
	recs := readCSV(t, out)
	if last := recs[len(recs)-1]; last[0] != "E03" || last[len(last)-2] != "" || last[1] != "staff03" {
		t.Errorf("the leaver's row %q: want E03 after the input's rows, with its login and no line", last)
	}
	if n := countSent(srv, before, "update_user"); n != 2 {
		t.Errorf("night 2 sent %d update_user, want 2 (the leaver and the group change)", n)
	}
	for login, want := range map[string]string{"staff03": "N", "5555": "Y", "staff04": "Y"} {
		if a, _ := srv.Sim.Account(login); a.Active != want {
			t.Errorf("%s active %q, want %q", login, a.Active, want)
		}
	}
	if a, _ := srv.Sim.Account("staff04"); a.Group != "SALES" {
		t.Errorf("staff04's group %q, want SALES", a.Group)
	}
	if a, _ := srv.Sim.Account("staff02"); a.CustomTwo != "set by hand" {
		t.Errorf("staff02's hand-made change was lost: %q", a.CustomTwo)
	}

	// Night 3: E03 is back.
	night3 := append([]person(nil), night2...)
	night3 = append(night3, staff[2])
	if st, got := night(night3); got.code != exitOK || st["E03"] != "SUCCESS REACTIVATED" {
		t.Errorf("night 3: exit %d, E03 %s\n%s", got.code, st["E03"], got.stderr)
	}
	if a, _ := srv.Sim.Account("staff03"); a.Active != "Y" {
		t.Errorf("staff03 active %q after coming back, want Y", a.Active)
	}

	// Night 4: half the staff missing: the safeguard stops the run.
	before = len(srv.Sim.Requests())
	if _, got := night(night3[:7]); got.code != exitSafeguard || !strings.Contains(got.stderr, "deactivate") {
		t.Errorf("night 4: exit %d, want %d naming the deactivations\n%s", got.code, exitSafeguard, got.stderr)
	}
	if n := countSent(srv, before, "update_user"); n != 0 {
		t.Errorf("night 4 sent %d update_user, want none", n)
	}
}
