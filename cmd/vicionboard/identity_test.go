package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// The identity cases of a nightly import: who a person is must not be
// mistaken, whatever HR's export does to the key, and a change of identity
// or of privilege waits for a person.

// nightly is a nightly job's environment: one simulator, one ledger and
// the flags every night shares.
type nightly struct {
	t     *testing.T
	srv   *vicidialtest.Server
	dir   string
	env   map[string]string
	flags []string
}

func newNightly(t *testing.T, flags ...string) *nightly {
	t.Helper()
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	dir := t.TempDir()
	env := map[string]string{"VICIDIAL_URL": srv.URL, "VICIDIAL_API_USER": "6666", "VICIDIAL_API_PASS": "1234",
		"XDG_STATE_HOME": filepath.Join(dir, "state")}
	base := []string{"--ledger", filepath.Join(dir, "ledger.db"), "--rate", "0", "--log-level", "error", "--report", ""}
	return &nightly{t: t, srv: srv, dir: dir, env: env, flags: append(base, flags...)}
}

// night runs command (run or check) on tonight's export and returns its
// result and its result file's rows, keyed by each row's key cell (or
// login, for a leaver's row): status, code, login. The input has one path
// every night, as a nightly job has (see at for dated file names).
func (n *nightly) night(command, name, csv string, extra ...string) (result, map[string][3]string) {
	n.t.Helper()
	return n.job(command, "export.csv", name+"."+command+".csv", csv, extra...)
}

// at runs command on tonight's export written to the file name, with the
// night's own result file, and returns the result and its rows.
func (n *nightly) at(command, file, csv string, extra ...string) (result, map[string][3]string) {
	n.t.Helper()
	return n.job(command, file, strings.TrimSuffix(file, ".csv")+"."+command+".csv", csv, extra...)
}

// job runs command on csv written to the file name, with the result file
// out, and returns the result and its rows.
func (n *nightly) job(command, file, out, csv string, extra ...string) (result, map[string][3]string) {
	n.t.Helper()
	in := writeFile(n.t, n.dir, file, csv)
	out = filepath.Join(n.dir, out)
	got := invoke(n.t, n.env, append(append([]string{command, in, "--out", out}, n.flags...), extra...)...)
	rows := map[string][3]string{}
	if _, err := os.Stat(out); err != nil || got.code == exitSafeguard || got.code == exitUsage || got.code == exitFatal {
		return got, rows
	}
	recs := readCSV(n.t, out)
	col := map[string]int{}
	for i, h := range recs[0] {
		col[strings.ToLower(h)] = i
	}
	for i, r := range resultRows(n.t, out) {
		rec := recs[i+1]
		key := ""
		for _, c := range []string{"employee_id", "employee id"} {
			if j, ok := col[c]; ok {
				key = strings.TrimSpace(rec[j])
			}
		}
		rows[key] = r
	}
	return got, rows
}

// accountsNamed counts the simulator's accounts with this full name.
func (n *nightly) accountsNamed(name string) int { return named(n.srv, name) }

const hrMap = `key: Employee ID
agent_full_name: "{First Name} {Last Name}"
first_name: First Name
last_name: Last Name
agent_user: {generate: "{f}{last}"}
agent_pass: {generate: password}
agent_user_level: 1
agent_user_group: {value: AGENTS}
email: Work Email
`

const hrHeader = "Employee ID,First Name,Last Name,Work Email\n"

// TestReformattedKeysAreOnePerson (issue 17, case 1): an HR id written in
// another case, with spaces, or as Excel's number (1007.0) is the same
// person: no second account, nobody deactivated.
func TestReformattedKeysAreOnePerson(t *testing.T) {
	n := newNightly(t, "--map", writeFile(t, t.TempDir(), "map.yaml", hrMap), "--update", "--deactivate-missing")
	first := hrHeader + "E0005,Ellen,Foster,ellen@example.com\nE0006,Frank,Ross,frank@example.com\n1007,Gina,Hale,gina@example.com\n"
	if got, _ := n.night("run", "night1", first); got.code != exitOK {
		t.Fatalf("night 1: exit %d\n%s", got.code, got.stderr)
	}
	second := hrHeader + "e0005,Ellen,Foster,ellen@example.com\n E0006 ,Frank,Ross,frank@example.com\n1007.0,Gina,Hale,gina@example.com\n"
	for _, command := range []string{"check", "run"} {
		got, rows := n.night(command, "night2", second)
		if got.code != exitOK {
			t.Errorf("%s night 2: exit %d, want 0\n%s", command, got.code, got.stderr)
		}
		for key, r := range rows {
			if r[1] != "UNCHANGED" {
				t.Errorf("%s night 2, key %q: %v, want UNCHANGED", command, key, r)
			}
		}
		if len(rows) != 3 {
			t.Errorf("%s night 2: %d rows, want 3 (no leaver)", command, len(rows))
		}
	}
	for _, name := range []string{"Ellen Foster", "Frank Ross", "Gina Hale"} {
		if c := n.accountsNamed(name); c != 1 {
			t.Errorf("%d accounts for %s, want 1", c, name)
		}
	}
	// Scientific notation has lost the id: the row is INVALID and says so.
	_, rows := n.night("check", "night3", hrHeader+"E0005,Ellen,Foster,ellen@example.com\nE0006,Frank,Ross,frank@example.com\n1.007E+03,Gina,Hale,gina@example.com\n")
	if r := rows["1.007E+03"]; r[0] != "INVALID" {
		t.Errorf("a key in scientific notation: %v, want INVALID", r)
	}
}

// TestBlankKeyHoldsEveryLeaver (issue 17, case 2): a row whose key cannot
// be read is INVALID, and its person is not taken for a leaver: that night
// nobody is deactivated, the leavers are HELD naming the row, exit 1.
func TestBlankKeyHoldsEveryLeaver(t *testing.T) {
	n := newNightly(t, "--key", "employee_id", "--deactivate-missing", "--max-deactivate-percent", "0")
	const header = "employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group\n"
	first := header + "E1,bk1,Start-2026a,Blank One,1,AGENTS\nE2,bk2,Start-2026b,Blank Two,1,AGENTS\nE3,bk3,Start-2026c,Blank Three,1,AGENTS\n"
	if got, _ := n.night("run", "night1", first); got.code != exitOK {
		t.Fatalf("night 1: exit %d\n%s", got.code, got.stderr)
	}
	// Blank Two's key is blank tonight; Blank Three has really left.
	second := header + "E1,bk1,Start-2026a,Blank One,1,AGENTS\n,bk2,Start-2026b,Blank Two,1,AGENTS\n"
	for _, command := range []string{"check", "run"} {
		got, rows := n.night(command, "night2", second)
		if got.code != exitRowsFailed {
			t.Errorf("%s: exit %d, want 1\n%s", command, got.code, got.stderr)
		}
		if r := rows[""]; r[0] != "INVALID" {
			t.Errorf("%s: the row without a key: %v, want INVALID", command, r)
		}
		for _, key := range []string{"E2", "E3"} {
			if r := rows[key]; r[0] != "HELD" || r[1] != "LEAVER_HELD" {
				t.Errorf("%s: %s: %v, want HELD LEAVER_HELD", command, key, r)
			}
		}
	}
	for _, login := range []string{"bk2", "bk3"} {
		if a, _ := n.srv.Sim.Account(login); a.Active == "N" {
			t.Errorf("%s was deactivated from an incomplete export", login)
		}
	}
	// With every key readable again, the real leaver goes.
	if got, rows := n.night("run", "night3", header+"E1,bk1,Start-2026a,Blank One,1,AGENTS\nE2,bk2,Start-2026b,Blank Two,1,AGENTS\n"); got.code != exitOK || rows["E3"][1] != "DEACTIVATED" {
		t.Errorf("night 3: exit %d, E3 %v; want 0 and DEACTIVATED", got.code, rows["E3"])
	}
}

// TestKeyTypoNeverDeactivatesAPresentPerson (issue 17, case 9): E0005
// typed E0O05 on a row that still names E0005's login: the row is HELD
// (KEY_CONFLICT, naming both keys), and E0005 is not deactivated.
func TestKeyTypoNeverDeactivatesAPresentPerson(t *testing.T) {
	n := newNightly(t, "--key", "employee_id", "--deactivate-missing", "--max-deactivate-percent", "0")
	const header = "employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group\n"
	if got, _ := n.night("run", "night1", header+"E0005,ue0005,Start-2026a,Una East,1,AGENTS\nE0006,ue0006,Start-2026b,Vic West,1,AGENTS\n"); got.code != exitOK {
		t.Fatalf("night 1: exit %d\n%s", got.code, got.stderr)
	}
	second := header + "E0O05,ue0005,Start-2026a,Una East,1,AGENTS\nE0006,ue0006,Start-2026b,Vic West,1,AGENTS\n"
	for _, command := range []string{"check", "run"} {
		got, rows := n.night(command, "night2", second)
		if got.code != exitRowsFailed {
			t.Errorf("%s: exit %d, want 1\n%s", command, got.code, got.stderr)
		}
		if r := rows["E0O05"]; r[0] != "HELD" || r[1] != "KEY_CONFLICT" {
			t.Errorf("%s: the mistyped row: %v, want HELD KEY_CONFLICT", command, r)
		}
		if r := rows["E0005"]; r[0] != "HELD" || r[1] != "LEAVER_HELD" {
			t.Errorf("%s: E0005: %v, want HELD LEAVER_HELD, not deactivated", command, r)
		}
	}
	if a, _ := n.srv.Sim.Account("ue0005"); a.Active == "N" {
		t.Error("ue0005 was deactivated while a row named it")
	}
}

// TestKeyMovedOntoAnotherPersonIsHeld (issue 17, case 6): Lucy Gray (E10)
// and Oliver Stone shared E10 on night 1 (Oliver DUPLICATE_KEY, every
// night); HR then moves Lucy to E11 and leaves Oliver on E10. With
// --update, lgray is not renamed Oliver Stone: his row is HELD
// (IDENTITY_CHANGED, naming both names), and Lucy's new key naming her
// login is HELD too; the dry run says the same.
func TestKeyMovedOntoAnotherPersonIsHeld(t *testing.T) {
	n := newNightly(t, "--key", "employee_id", "--update")
	const header = "employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group,email\n"
	first := header + "E10,lgray,Start-2026a,Lucy Gray,1,AGENTS,lucy@example.com\nE10,ostone,Start-2026b,Oliver Stone,1,AGENTS,oliver@example.com\n"
	for night := 1; night <= 2; night++ {
		got, rows := n.night("run", "night1", first)
		if got.code != exitRowsFailed || rows["E10"][1] != "DUPLICATE_KEY" {
			t.Fatalf("night %d: exit %d, the second E10 %v; want exit 1 and DUPLICATE_KEY", night, got.code, rows["E10"])
		}
	}
	second := header + "E11,lgray,Start-2026a,Lucy Gray,1,AGENTS,lucy@example.com\nE10,ostone,Start-2026b,Oliver Stone,1,AGENTS,oliver@example.com\n"
	for _, command := range []string{"check", "run"} {
		got, rows := n.night(command, "night2", second)
		if got.code != exitRowsFailed {
			t.Errorf("%s: exit %d, want 1", command, got.code)
		}
		if r := rows["E10"]; r[0] != "HELD" || r[1] != "IDENTITY_CHANGED" {
			t.Errorf("%s: Oliver's row on E10: %v, want HELD IDENTITY_CHANGED", command, r)
		}
		if r := rows["E11"]; r[0] != "HELD" {
			t.Errorf("%s: Lucy's new key: %v, want HELD", command, r)
		}
	}
	if a, _ := n.srv.Sim.Account("lgray"); a.FullName != "Lucy Gray" {
		t.Errorf("lgray is now %q", a.FullName)
	}
	if c := n.accountsNamed("Lucy Gray"); c != 1 {
		t.Errorf("%d accounts for Lucy Gray, want 1", c)
	}
	// A person who checked it accepts the change: it is applied.
	if got, rows := n.night("run", "night3", header+"E10,lgray,Start-2026a,Lucy Grey-Stone,1,AGENTS,lucy@example.com\n", "--accept-identity", "e10"); got.code != exitOK || rows["E10"][1] != "UPDATED" {
		t.Errorf("with --accept-identity: exit %d, %v; want UPDATED", got.code, rows["E10"])
	}
}

// TestLostLedgerFindsTheOwnAccount (issue 17, case 10): the server has
// jfoster with this person's name but the ledger does not know it (a lost
// ledger, a restored backup): the generated login is not suffixed into a
// second account; the row is HELD until --adopt takes the account as
// theirs, or --accept-identity makes a new login on purpose.
func TestLostLedgerFindsTheOwnAccount(t *testing.T) {
	mapFile := writeFile(t, t.TempDir(), "map.yaml", hrMap)
	n := newNightly(t, "--map", mapFile)
	export := hrHeader + "E1,John,Foster,john@example.com\nE2,Kate,Moss,kate@example.com\n"
	if got, _ := n.night("run", "night1", export); got.code != exitOK {
		t.Fatalf("night 1: exit %d\n%s", got.code, got.stderr)
	}
	// The ledger is lost: a new one (and its new key) beside the same server.
	n.flags[1] = filepath.Join(n.dir, "new-ledger.db")
	for _, command := range []string{"check", "run"} {
		got, rows := n.night(command, "lost", export)
		if got.code != exitRowsFailed {
			t.Errorf("%s: exit %d, want 1\n%s", command, got.code, got.stderr)
		}
		if r := rows["E1"]; r[0] != "HELD" || r[1] != "OWN_ACCOUNT_FOUND" || r[2] != "jfoster" {
			t.Errorf("%s: E1 %v, want HELD OWN_ACCOUNT_FOUND jfoster", command, r)
		}
	}
	if c := n.accountsNamed("John Foster"); c != 1 {
		t.Fatalf("%d accounts for John Foster, want 1", c)
	}
	got, rows := n.night("run", "adopt", export, "--adopt", "E1")
	if r := rows["E1"]; r[0] != "SUCCESS" || r[1] != "ADOPTED" || r[2] != "jfoster" {
		t.Errorf("--adopt: exit %d, E1 %v; want SUCCESS ADOPTED jfoster", got.code, r)
	}
	if _, rows := n.night("run", "after", export); rows["E1"][1] != "ALREADY_CREATED" {
		t.Errorf("the night after --adopt: E1 %v, want ALREADY_CREATED", rows["E1"])
	}
	// Kate, still held: another person of the same name on purpose.
	if _, rows := n.night("run", "accept", export, "--accept-identity", "E2"); rows["E2"][1] != "CREATED" || rows["E2"][2] != "kmoss2" {
		t.Errorf("--accept-identity: E2 %v, want CREATED kmoss2", rows["E2"])
	}
}

// TestPrivilegeNeedsAPerson (issue 23): by default a job gives no level
// above 7. A new row at level 9 and a copy of an admin template are
// INVALID (ABOVE_MAX_LEVEL), and --update raising a known agent to 9 is
// held (LEVEL_RAISE_HELD) while the row's other change is applied; with
// --max-level 9 (and --allow-level-raise for the raise) they go through.
// The dry run predicts every case as the run does.
func TestPrivilegeNeedsAPerson(t *testing.T) {
	n := newNightly(t, "--key", "employee_id", "--update")
	const header = "employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group,template\n"
	if got, _ := n.night("run", "night1", header+"E1,pv1,Start-2026a,Plain Agent,1,AGENTS,\n"); got.code != exitOK {
		t.Fatalf("night 1: exit %d\n%s", got.code, got.stderr)
	}
	export := header + "E1,pv1,Start-2026a,Plain Agent,9,SALES,\n" + "E2,pv2,Start-2026b,New Boss,9,ADMIN,\n" + "E3,pv3,Start-2026c,Admin Copy,,,tmpladmin\n"
	for _, command := range []string{"check", "run"} {
		got, rows := n.night(command, "night2", export)
		if got.code != exitRowsFailed {
			t.Errorf("%s: exit %d, want 1", command, got.code)
		}
		for key, want := range map[string][2]string{"E1": {"HELD", "LEVEL_RAISE_HELD"}, "E2": {"INVALID", "ABOVE_MAX_LEVEL"}, "E3": {"INVALID", "ABOVE_MAX_LEVEL"}} {
			if r := rows[key]; r[0] != want[0] || r[1] != want[1] {
				t.Errorf("%s: %s %v, want %v", command, key, r, want)
			}
		}
	}
	a, _ := n.srv.Sim.Account("pv1")
	if a.Level != 1 || a.Group != "SALES" {
		t.Errorf("pv1 is level %d in %s, want level 1 (held) in SALES (applied)", a.Level, a.Group)
	}
	for _, login := range []string{"pv2", "pv3"} {
		if _, ok := n.srv.Sim.Account(login); ok {
			t.Errorf("%s was created above --max-level", login)
		}
	}
	// A ceiling of 9 lets the new rows through; the raise still needs its flag.
	got, rows := n.night("run", "night3", export, "--max-level", "9")
	if rows["E1"][1] != "LEVEL_RAISE_HELD" || rows["E2"][1] != "CREATED" || rows["E3"][1] != "CREATED" {
		t.Errorf("--max-level 9: exit %d, %v", got.code, rows)
	}
	if _, rows := n.night("run", "night4", export, "--max-level", "9", "--allow-level-raise"); rows["E1"][1] != "UPDATED" {
		t.Errorf("--allow-level-raise: E1 %v, want UPDATED", rows["E1"])
	}
	for login, want := range map[string]int{"pv1": 9, "pv2": 9, "pv3": 9} {
		if a, _ := n.srv.Sim.Account(login); a.Level != want {
			t.Errorf("%s is level %d, want %d", login, a.Level, want)
		}
	}
}

// TestValueLeftOutIsNoChange: an email the server cannot store is left out
// of the request; on a known person's row with --update it is no change
// either: the account keeps its email rather than have it emptied.
func TestValueLeftOutIsNoChange(t *testing.T) {
	n := newNightly(t, "--key", "employee_id", "--update")
	const header = "employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group,email\n"
	if got, _ := n.night("run", "night1", header+"E1,dobi,Start-2026a,Dee Obi,1,AGENTS,dee.obi@example.com\n"); got.code != exitOK {
		t.Fatalf("night 1: exit %d\n%s", got.code, got.stderr)
	}
	got, rows := n.night("run", "night2", header+"E1,dobi,Start-2026a,Dee Obi,1,AGENTS,dee.o'obi@example.com\n")
	if got.code != exitOK || rows["E1"][1] != "UNCHANGED" {
		t.Errorf("exit %d, E1 %v; want UNCHANGED", got.code, rows["E1"])
	}
	if a, _ := n.srv.Sim.Account("dobi"); a.Email != "dee.obi@example.com" {
		t.Errorf("the server's email is %q: a value left out must not empty it", a.Email)
	}
}

const leaversHeader = "employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group\n"

// TestDatedExportsAreOneFeed (issue 17, case 3): HR writes
// export-2026-12-01.csv, export-2026-12-02.csv...: with --feed the nights
// are one job, and the leaver of the second night is deactivated; without
// it, a --deactivate-missing run on the new file name stops (exit 4)
// naming the feed the ledger knows, until that feed is renamed.
func TestDatedExportsAreOneFeed(t *testing.T) {
	night1 := leaversHeader + "E1,df1,Start-2026a,Dee One,1,AGENTS\nE2,df2,Start-2026b,Dee Two,1,AGENTS\n"
	night2 := leaversHeader + "E1,df1,Start-2026a,Dee One,1,AGENTS\n"

	n := newNightly(t, "--key", "employee_id", "--deactivate-missing", "--max-deactivate-percent", "0", "--feed", "hr-nightly")
	if got, _ := n.at("run", "export-2026-12-01.csv", night1); got.code != exitOK {
		t.Fatalf("night 1: exit %d\n%s", got.code, got.stderr)
	}
	for _, command := range []string{"check", "run"} {
		if got, rows := n.at(command, "export-2026-12-02.csv", night2); got.code != exitOK || rows["E2"][1] != "DEACTIVATED" {
			t.Errorf("%s night 2 under --feed: exit %d, E2 %v; want DEACTIVATED", command, got.code, rows["E2"])
		}
	}

	// The same two nights with no --feed: the feed is each file's path.
	m := newNightly(t, "--key", "employee_id", "--deactivate-missing", "--max-deactivate-percent", "0")
	if got, _ := m.at("run", "export-2026-12-01.csv", night1); got.code != exitOK {
		t.Fatalf("night 1: exit %d\n%s", got.code, got.stderr)
	}
	for _, command := range []string{"check", "run"} {
		got, _ := m.at(command, "export-2026-12-02.csv", night2)
		if got.code != exitSafeguard || !strings.Contains(got.stderr, "export-2026-12-01.csv") || !strings.Contains(got.stderr, "rename-feed") {
			t.Errorf("%s on a new file name: exit %d, want 4 naming the known feed:\n%s", command, got.code, got.stderr)
		}
	}
	if a, _ := m.srv.Sim.Account("df2"); a.Active == "N" {
		t.Error("a refused night deactivated someone")
	}
	rename := invoke(t, m.env, "ledger", "rename-feed", filepath.Join(m.dir, "export-2026-12-01.csv"), "hr-nightly", "--ledger", m.flags[1])
	if rename.code != exitOK {
		t.Fatalf("rename-feed: exit %d\n%s", rename.code, rename.stderr)
	}
	if got, rows := m.at("run", "export-2026-12-02.csv", night2, "--feed", "hr-nightly"); got.code != exitOK || rows["E2"][1] != "DEACTIVATED" {
		t.Errorf("after rename-feed: exit %d, E2 %v; want DEACTIVATED", got.code, rows["E2"])
	}
}

// TestServerUnderAnotherURL (issue 17, case 7): the same dialer reached
// at another URL is not a new server: a run stops (exit 4) naming the
// server the ledger knows, and after ledger set-url the persons are
// known, nobody is created twice.
func TestServerUnderAnotherURL(t *testing.T) {
	n := newNightly(t, "--map", writeFile(t, t.TempDir(), "map.yaml", hrMap))
	export := hrHeader + "E1,John,Moss,john@example.com\nE2,Kate,Hill,kate@example.com\n"
	if got, _ := n.night("run", "night1", export); got.code != exitOK {
		t.Fatalf("night 1: exit %d\n%s", got.code, got.stderr)
	}
	moved := strings.Replace(n.env["VICIDIAL_URL"], "127.0.0.1", "localhost", 1)
	n.env["VICIDIAL_URL"] = moved
	for _, command := range []string{"check", "run"} {
		got, _ := n.night(command, "night2", export)
		if got.code != exitSafeguard || !strings.Contains(got.stderr, "set-url") {
			t.Errorf("%s at the new URL: exit %d, want 4 and how to tell the ledger:\n%s", command, got.code, got.stderr)
		}
	}
	if c := n.accountsNamed("John Moss"); c != 1 {
		t.Fatalf("%d accounts for John Moss", c)
	}
	servers := invoke(t, n.env, "ledger", "servers", "--ledger", n.flags[1], "--format", "csv")
	name := strings.Split(strings.Split(servers.stdout, "\n")[1], ",")[0]
	if set := invoke(t, n.env, "ledger", "set-url", name, moved, "--ledger", n.flags[1]); set.code != exitOK {
		t.Fatalf("set-url: exit %d\n%s", set.code, set.stderr)
	}
	got, rows := n.night("run", "night3", export)
	if got.code != exitOK || rows["E1"][1] != "ALREADY_CREATED" || rows["E2"][1] != "ALREADY_CREATED" {
		t.Errorf("after set-url: exit %d, %v; want ALREADY_CREATED", got.code, rows)
	}
	for _, name := range []string{"John Moss", "Kate Hill"} {
		if c := n.accountsNamed(name); c != 1 {
			t.Errorf("%d accounts for %s, want 1", c, name)
		}
	}
}

// TestRefusedNightIsNoBaseline (issue 17, case 8): a truncated export
// after a full night is refused (exit 4), and again the next time: the
// refused run never becomes the night to compare with.
func TestRefusedNightIsNoBaseline(t *testing.T) {
	n := newNightly(t, "--key", "employee_id", "--max-new", "0")
	var full, short strings.Builder
	full.WriteString(leaversHeader)
	short.WriteString(leaversHeader)
	for i := range 60 {
		fmt.Fprintf(&full, "E%02d,rb%02d,Start-2026a,Refused Base%02d,1,AGENTS\n", i, i, i)
		if i < 15 {
			fmt.Fprintf(&short, "E%02d,rb%02d,Start-2026a,Refused Base%02d,1,AGENTS\n", i, i, i)
		}
	}
	if got, _ := n.night("run", "night1", full.String()); got.code != exitOK {
		t.Fatalf("night 1: exit %d\n%s", got.code, got.stderr)
	}
	for try := 1; try <= 2; try++ {
		if got, _ := n.night("run", "short", short.String()); got.code != exitSafeguard {
			t.Errorf("the truncated export, try %d: exit %d, want 4\n%s", try, got.code, got.stderr)
		}
	}
}

// TestRekeyMovesTheAccount (issue 17, case 6 resolved): after HR moved
// Lucy to E11 (her row held), rekey moves her record to E11: her row is
// hers again, and Oliver, left on E10, gets his own account.
func TestRekeyMovesTheAccount(t *testing.T) {
	n := newNightly(t, "--key", "employee_id", "--update")
	const header = "employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group,email\n"
	if got, _ := n.night("run", "night1", header+"E10,lgray,Start-2026a,Lucy Gray,1,AGENTS,lucy@example.com\n"); got.code != exitOK {
		t.Fatalf("night 1: exit %d\n%s", got.code, got.stderr)
	}
	second := header + "E11,lgray,Start-2026a,Lucy Gray,1,AGENTS,lucy@example.com\nE10,ostone,Start-2026b,Oliver Stone,1,AGENTS,oliver@example.com\n"
	if _, rows := n.night("run", "night2", second); rows["E11"][0] != "HELD" || rows["E10"][0] != "HELD" {
		t.Fatalf("night 2: %v, want both held", rows)
	}
	if rk := invoke(t, n.env, "rekey", "--key", "e10", "E11", "--ledger", n.flags[1]); rk.code != exitOK || !strings.Contains(rk.stdout, "lgray") {
		t.Fatalf("rekey: exit %d\n%s%s", rk.code, rk.stdout, rk.stderr)
	}
	got, rows := n.night("run", "night3", second)
	if got.code != exitOK || rows["E11"][1] != "UNCHANGED" || rows["E10"][1] != "CREATED" || rows["E10"][2] != "ostone" {
		t.Errorf("after rekey: exit %d, %v; want E11 UNCHANGED and E10 CREATED ostone", got.code, rows)
	}
	if hist := invoke(t, n.env, "history", "--key", "E11", "--ledger", n.flags[1], "--format", "csv"); !strings.Contains(hist.stdout, "REKEYED") {
		t.Errorf("history does not show the move:\n%s", hist.stdout)
	}
	if c := n.accountsNamed("Lucy Gray"); c != 1 {
		t.Errorf("%d accounts for Lucy Gray", c)
	}
}

// TestLikelyKeyCorrection: with generated logins, a new key with the name
// and email of a known person is held, not created (a corrected key).
func TestLikelyKeyCorrection(t *testing.T) {
	n := newNightly(t, "--map", writeFile(t, t.TempDir(), "map.yaml", hrMap), "--update")
	if got, _ := n.night("run", "night1", hrHeader+"E10,Lucy,Gray,lucy@example.com\n"); got.code != exitOK {
		t.Fatalf("night 1: exit %d\n%s", got.code, got.stderr)
	}
	for _, command := range []string{"check", "run"} {
		if _, rows := n.night(command, "night2", hrHeader+"E11,Lucy,Gray,lucy@example.com\n"); rows["E11"][1] != "IDENTITY_CHANGED" {
			t.Errorf("%s: the corrected key: %v, want IDENTITY_CHANGED", command, rows["E11"])
		}
	}
	if c := n.accountsNamed("Lucy Gray"); c != 1 {
		t.Errorf("%d accounts for Lucy Gray, want 1", c)
	}
}

// TestNamesakesInOneFile: two people of one name and email in the same
// export are two people: a row is held as a corrected key only for a
// person known from before this run, never because another row of the
// file was created first (which is timing, and which a dry run never
// sees).
func TestNamesakesInOneFile(t *testing.T) {
	n := newNightly(t, "--key", "employee_id", "--max-new", "0")
	var b strings.Builder
	b.WriteString("employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group,email\n")
	for i := range 400 { // more than the look-up stage reads ahead: later rows are looked up after earlier ones are created
		fmt.Fprintf(&b, "E%03d,slee%03d,Start-2026a,Sam Lee,1,AGENTS,sam.lee@example.com\n", i, i)
	}
	for _, command := range []string{"check", "run"} {
		_, rows := n.night(command, "night1", b.String())
		for key, r := range rows {
			if r[1] != "CREATED" {
				t.Errorf("%s: %s %v, want CREATED", command, key, r)
			}
		}
	}
}
