package main

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// phoneMap reads an HR export whose Phone column asks for a phone of the
// agent's own (an extension, or new), with the job's phones: settings.
const phoneMap = `key: Employee ID
agent_user: Login
agent_pass: {generate: password}
agent_full_name: "{First Name} {Last Name}"
agent_user_level: 1
agent_user_group: {value: AGENTS}
phone_extension: Phone
phones:
  server_ip: 10.10.10.15
  extensions: 7000-7999
  outbound_cid: 3125550100
  local_gmt: -5
`

const phoneHRHeader = "Employee ID,Login,First Name,Last Name,Phone\n"

// phoneHires writes the export of hires 0 to n-1 but those absent: every
// fourth (from 0) with an extension of its own (81NN), every fourth from 2
// with a new one from the range, the others with none.
func phoneHires(n int, absent ...int) string {
	var b strings.Builder
	b.WriteString(phoneHRHeader)
	for i := range n {
		if containsInt(absent, i) {
			continue
		}
		fmt.Fprintf(&b, "E%03d,hire%02d,Ann,Person%02d,%s\n", i, i, i, hirePhone(i))
	}
	return b.String()
}

// hirePhone is hire i's Phone cell.
func hirePhone(i int) string {
	switch i % 4 {
	case 0:
		return fmt.Sprint(8100 + i)
	case 2:
		return "new"
	}
	return ""
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// phonesOf returns the simulator's phones by login.
func phonesOf(srv *vicidialtest.Server) map[string]vicidialtest.Phone {
	m := map[string]vicidialtest.Phone{}
	for _, p := range srv.Sim.Phones() {
		m[p.Login] = p
	}
	return m
}

// TestHiresWithTheirOwnPhones: thirty hires, half with a phone of their
// own (given and generated extensions), onboarded through the command, each
// night checked first by a dry run that predicts it: every account's
// phone_login is its phone's, the result file shows the generated phone
// passwords (never the logs); a leavers' night deactivates exactly the
// leavers' phones and accounts, and a returning agent gets both back.
func TestHiresWithTheirOwnPhones(t *testing.T) {
	n := newNightly(t, "--map", writeFile(t, t.TempDir(), "map.yaml", phoneMap), "--update", "--deactivate-missing",
		"--max-deactivate", "0", "--max-deactivate-percent", "0")
	const hires = 30
	nightly := func(name, csv string) map[string][3]string {
		t.Helper()
		check, predicted := n.night("check", name, csv)
		got, rows := n.night("run", name, csv)
		if check.code != got.code || got.code != exitOK {
			t.Fatalf("%s: check exit %d, run exit %d\n%s\n%s", name, check.code, got.code, check.stderr, got.stderr)
		}
		for key, r := range rows {
			if p := predicted[key]; statusClass(p[0]) != r[0] || p[1] != r[1] || p[2] != r[2] {
				t.Errorf("%s, %s: predicted %v, the run gave %v", name, key, p, r)
			}
		}
		return rows
	}
	rows := nightly("night1", phoneHires(hires))
	out := filepath.Join(n.dir, "night1.run.csv")
	recs := readCSV(t, out)
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	phones := phonesOf(n.srv)
	withPhone := 0
	for i := range hires {
		key := fmt.Sprintf("E%03d", i)
		if r := rows[key]; r[0] != "SUCCESS" || r[1] != "CREATED" {
			t.Errorf("%s: %v", key, r)
		}
		a, _ := n.srv.Sim.Account(fmt.Sprintf("hire%02d", i))
		rec := recs[i+1]
		if hirePhone(i) == "" {
			if a.PhoneLogin != "" || rec[col["result_phone_extension"]] != "" {
				t.Errorf("%s asked for no phone: account's phone_login %q, result %q", key, a.PhoneLogin, rec[col["result_phone_extension"]])
			}
			continue
		}
		withPhone++
		p, ok := phones[a.PhoneLogin]
		switch {
		case !ok:
			t.Errorf("%s: its phone_login %q is no phone's", key, a.PhoneLogin)
		case p.Pass != a.PhonePass || p.FullName != a.FullName || p.Active != "Y":
			t.Errorf("%s: phone %+v for account %+v", key, p, a)
		case hirePhone(i) != "new" && p.Extension != hirePhone(i):
			t.Errorf("%s: extension %s, want the given %s", key, p.Extension, hirePhone(i))
		case hirePhone(i) == "new" && (p.Extension < "7000" || p.Extension > "7999"):
			t.Errorf("%s: extension %s, want one of the range", key, p.Extension)
		case rec[col["result_phone_extension"]] != p.Extension || rec[col["result_phone_pass"]] != p.Pass ||
			rec[col["result_phone_registration_password"]] != p.ConfSecret || p.ConfSecret == "":
			t.Errorf("%s: result shows %v, the phone is %+v", key, rec[col["result_phone_extension"]:], p)
		}
	}
	if withPhone != 15 || len(phones) != len(vicidialtest.DefaultFixture().Phones)+15 {
		t.Fatalf("%d hires with a phone, %d phones on the server; want 15 and 15 new", withPhone, len(phones)-len(vicidialtest.DefaultFixture().Phones))
	}

	// The leavers' night: hires 0, 2 and 4 (with phones) and 1, 3, 5
	// (without) are gone.
	leavers := []int{0, 1, 2, 3, 4, 5}
	rows = nightly("night2", phoneHires(hires, leavers...))
	for _, a := range n.srv.Sim.Accounts() {
		var i int
		if _, err := fmt.Sscanf(a.User, "hire%02d", &i); err != nil {
			continue
		}
		want := "Y"
		if containsInt(leavers, i) {
			want = "N"
		}
		if a.Active != want {
			t.Errorf("account %s active %s, want %s", a.User, a.Active, want)
		}
		if p, ok := phonesOf(n.srv)[a.PhoneLogin]; ok && p.Active != want {
			t.Errorf("phone %s of %s active %s, want %s", p.Extension, a.User, p.Active, want)
		}
	}
	for _, p := range n.srv.Sim.Phones() {
		if p.Active == "N" && p.Login != "phone101" && !strings.HasPrefix(p.FullName, "Ann Person0") {
			t.Errorf("phone %s (%s) deactivated", p.Extension, p.FullName)
		}
	}
	deactivated := 0
	for _, r := range rows {
		if r[1] == "DEACTIVATED" {
			deactivated++
		}
	}
	if deactivated != len(leavers) {
		t.Errorf("%d rows DEACTIVATED, want %d", deactivated, len(leavers))
	}

	// Hire 2 is back.
	rows = nightly("night3", phoneHires(hires, 0, 1, 3, 4, 5))
	if r := rows["E002"]; r[1] != "REACTIVATED" {
		t.Errorf("the returning hire: %v", r)
	}
	a, _ := n.srv.Sim.Account("hire02")
	if p := phonesOf(n.srv)[a.PhoneLogin]; a.Active != "Y" || p.Active != "Y" {
		t.Errorf("the returning hire: account %s, phone %s", a.Active, p.Active)
	}
	if len(n.srv.Sim.Phones()) != len(phones) {
		t.Errorf("%d phones now, %d after the first night: a phone was made twice", len(n.srv.Sim.Phones()), len(phones))
	}
}

// TestPhoneSettingsAreChecked: a phones: section is checked before
// anything is read, each problem with its file and line; a password there
// is refused without being quoted.
func TestPhoneSettingsAreChecked(t *testing.T) {
	env, srv := simEnv(t, "1234")
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", phoneHRHeader+"E1,pone,Pat,One,new\n")
	for _, tt := range []struct {
		name, phones string
		want         []string
	}{
		{"no server_ip", "  extensions: 7000-7999\n", []string{"map.yaml:9: phones: server_ip: required"}},
		{"bad values", "  server_ip: 10.10.10.15\n  extensions: 7999-7000\n  protocol: sip\n  local_gmt: -5.50\n  outbound_cid: 312-555\n",
			[]string{"map.yaml:10: phones: extensions:", "map.yaml:11: phones: protocol: must be written exactly SIP",
				"map.yaml:12: phones: local_gmt: is not one of VICIdial's timezones", "map.yaml:13: phones: outbound_cid: has characters"}},
		{"unknown key", "  server_ip: 10.10.10.15\n  protocl: SIP\n", []string{`map.yaml:10: phones: `, `protocl`, `is not a phone setting: did you mean protocol?`}},
		{"a password", "  server_ip: 10.10.10.15\n  phone_pass: Secret99\n", []string{"map.yaml:10: phones: phone_pass: a phone's passwords never go"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := strings.SplitAfter(phoneMap, "phones:\n")[0] + tt.phones
			got := invoke(t, env, "run", in, "--map", writeFile(t, dir, "map.yaml", m), "--ledger", filepath.Join(dir, "l.db"), "--rate", "0")
			if got.code != exitUsage {
				t.Fatalf("exit %d, want %d\n%s", got.code, exitUsage, got.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(got.stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, got.stderr)
				}
			}
			if strings.Contains(got.stderr, "Secret99") {
				t.Error("the password is quoted")
			}
		})
	}
	if n := len(srv.Sim.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// TestSIGKILLDuringPhones kills the real binary (kill -9) at random moments
// of runs that make phones and accounts, with answers lost on the way
// (connections cut after the server acted, HTTP 500 after a success), then
// runs it to the end: every person has exactly one phone and one account,
// linked; no phone password reaches the logs.
func TestSIGKILLDuringPhones(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	bin := binary(t)
	faults, err := vicidialtest.ParseFaults("reset-after=0.05,500-success=0.05")
	if err != nil {
		t.Fatal(err)
	}
	// 40 rows at 10 ms a call (the read stage probes each new extension in
	// turn, then add_phone and add_user on 4 workers) take more than the
	// latest kill, 500 ms: kills land mid-way whatever the machine's speed.
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Latency: 10 * time.Millisecond, Faults: faults, Seed: 3})
	dir := t.TempDir()
	const rows = 40
	var b strings.Builder
	b.WriteString(phoneHRHeader)
	for i := range rows {
		phone := "new"
		if i%3 == 0 {
			phone = fmt.Sprint(8100 + i)
		}
		fmt.Fprintf(&b, "E%03d,kill%02d,Kim,Phone%02d,%s\n", i, i, i, phone)
	}
	in := writeFile(t, dir, "hires.csv", b.String())
	mapFile := writeFile(t, dir, "map.yaml", phoneMap)
	out := filepath.Join(dir, "hires.results.csv")
	rng := rand.New(rand.NewPCG(7, 11))
	runOnce := func(killAfter time.Duration) (exit int, killed bool, logs string) {
		var stderr strings.Builder
		cmd := exec.Command(bin, "run", in, "--out", out, "--map", mapFile, "--workers", "4", "--rate", "0", "--log-format", "json",
			"--max-new", "0", "--report", "")
		cmd.Env = binEnv(t, "VICIDIAL_URL="+srv.URL, "VICIDIAL_API_USER=6666", "VICIDIAL_API_PASS=1234",
			"XDG_STATE_HOME="+filepath.Join(dir, "state"))
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		if killAfter > 0 {
			select {
			case err := <-done:
				return exitOf(err), false, stderr.String()
			case <-time.After(killAfter):
				_ = cmd.Process.Signal(syscall.SIGKILL)
				<-done
				return -1, true, stderr.String()
			}
		}
		return exitOf(<-done), false, stderr.String()
	}
	kills, logs := 0, ""
	for range 8 {
		_, killed, l := runOnce(time.Duration(50+rng.IntN(450)) * time.Millisecond)
		logs += l
		if killed {
			kills++
		}
	}
	made := len(srv.Sim.Phones()) - len(vicidialtest.DefaultFixture().Phones)
	t.Logf("%d phones made before the last run; %d requests", made, len(srv.Sim.Requests()))
	if kills == 0 || made == 0 {
		t.Fatalf("%d runs killed, %d phones made: the test proved nothing", kills, made)
	}
	srv.Sim.SetFaults(nil)
	exit, _, l := runOnce(0)
	logs += l
	if exit != exitOK {
		t.Fatalf("final run exit %d\n%s", exit, l)
	}
	t.Logf("killed %d times", kills)
	phones := map[string][]vicidialtest.Phone{}
	for _, p := range srv.Sim.Phones() {
		phones[p.FullName] = append(phones[p.FullName], p)
		if strings.Contains(logs, p.Pass) || p.ConfSecret != "" && strings.Contains(logs, p.ConfSecret) {
			t.Errorf("phone %s's password is in the logs", p.Extension)
		}
	}
	accounts := map[string][]vicidialtest.Account{}
	for _, a := range srv.Sim.Accounts() {
		accounts[a.FullName] = append(accounts[a.FullName], a)
	}
	recs := readCSV(t, out)
	if len(recs) != rows+1 {
		t.Fatalf("result has %d rows, want %d", len(recs)-1, rows)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for i := range rows {
		name := fmt.Sprintf("Kim Phone%02d", i)
		ps, as := phones[name], accounts[name]
		if len(ps) != 1 || len(as) != 1 {
			t.Errorf("%s: %d phones and %d accounts, want one of each", name, len(ps), len(as))
			continue
		}
		if as[0].PhoneLogin != ps[0].Login || as[0].PhonePass != ps[0].Pass {
			t.Errorf("%s: account logs in on %q, its phone is %q", name, as[0].PhoneLogin, ps[0].Login)
		}
		if i%3 == 0 && ps[0].Extension != fmt.Sprint(8100+i) {
			t.Errorf("%s: extension %s, want %d", name, ps[0].Extension, 8100+i)
		}
		if status := recs[i+1][col["result_status"]]; status != "SUCCESS" {
			t.Errorf("%s: %s %s", name, status, recs[i+1][col["result_reason"]])
		}
	}
}

// TestParsePhones: phones: read for a job with one server and with
// several (server_ip per server), YAML booleans as Y and N.
func TestParsePhones(t *testing.T) {
	parse := func(text string, servers ...string) (*batch.PhoneSettings, error) {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
			t.Fatal(err)
		}
		return parsePhones(doc.Content[0].Content[1], "p.yaml", servers)
	}
	s, err := parse("phones:\n  server_ip: 10.10.10.15\n  extensions: 0100-0199\n  is_webphone: true\n  on_hook_agent: false\n  local_gmt: 5.50\n")
	if err != nil {
		t.Fatal(err)
	}
	if s.ServerIP != "10.10.10.15" || s.Extensions.String() != "0100-0199" || s.IsWebphone != "Y" || s.OnHookAgent != "N" || s.LocalGMT != "5.50" {
		t.Errorf("settings %+v", s)
	}
	s, err = parse("phones:\n  server_ip: {leeds: 10.1.0.5, York: 10.2.0.5}\n", "leeds", "york")
	if err != nil || s.ServerIPs["leeds"] != "10.1.0.5" || s.ServerIPs["york"] != "10.2.0.5" {
		t.Errorf("per server: %+v, %v", s, err)
	}
	for _, tt := range []struct{ text, want string }{
		{"phones:\n  server_ip: {leeds: 10.1.0.5}\n", "p.yaml:2: phones: server_ip: server york has none"},
		{"phones:\n  server_ip: {leeds: 10.1.0.5, hull: 10.3.0.5, york: 10.2.0.5}\n", `p.yaml:2: phones: server_ip: "hull" is not one of the job's servers`},
		{"phones:\n  server_ip: {leeds: 'bad ip!', york: 10.2.0.5}\n", "p.yaml:2: phones: server_ip: has characters VICIdial would delete"},
		{"phones: [server_ip]\n", "p.yaml:1: phones: a mapping"},
	} {
		if _, err := parse(tt.text, "leeds", "york"); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %q", tt.text, err, tt.want)
		}
	}
	if _, err := parse("phones:\n  server_ip: {leeds: 10.1.0.5}\n"); err == nil || !strings.Contains(err.Error(), "a job with one server has one server_ip") {
		t.Errorf("a map for one server: %v", err)
	}
}

// TestPhonesInTheProfile: a profile's phones: serve a plain CSV; phones:
// in both the profile and the mapping is refused.
func TestPhonesInTheProfile(t *testing.T) {
	env, srv := simEnv(t, "1234")
	dir := t.TempDir()
	profile := writeFile(t, dir, "job.yaml", "flags: {key: employee_id}\nphones:\n  server_ip: 10.10.10.15\n  extensions: 7000-7099\n")
	in := writeFile(t, dir, "in.csv", "employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group,phone_extension\n"+
		"E1,pprof,Start-2026,Pro File,1,AGENTS,new\n")
	got := invoke(t, env, "run", in, "--profile", profile, "--ledger", filepath.Join(dir, "l.db"), "--rate", "0", "--report", "")
	if got.code != exitOK {
		t.Fatalf("exit %d\n%s", got.code, got.stderr)
	}
	if a, _ := srv.Sim.Account("pprof"); a.PhoneLogin != "7000" {
		t.Errorf("account's phone_login %q, want 7000", a.PhoneLogin)
	}
	both := writeFile(t, dir, "both.yaml", "flags: {key: employee_id}\nphones:\n  server_ip: 10.10.10.15\nmap:\n  phones: {server_ip: 10.10.10.16}\n")
	got = invoke(t, env, "run", in, "--profile", both, "--ledger", filepath.Join(dir, "l.db"), "--rate", "0")
	if got.code != exitUsage || !strings.Contains(got.stderr, "is set in the profile and in the mapping") {
		t.Errorf("phones: twice: exit %d\n%s", got.code, got.stderr)
	}
}
