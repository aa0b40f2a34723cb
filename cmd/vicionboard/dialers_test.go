package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// A job with several servers (issue 21): one HR export, each row routed to
// the dialer of its site by the mapping's server:, one ledger, one result
// file and one report.

// sites is a job over two dialers, Leeds and York (two simulators), with
// one profile and one ledger, night after night.
type sites struct {
	t           *testing.T
	dir         string
	leeds, york *vicidialtest.Server
	env         map[string]string
	bin         bool // through the built binary, else in process
}

// sitesMap is hrMap, indented under a profile's map:, that routes each
// row by its Site column.
var sitesMap = "  " + strings.ReplaceAll(strings.TrimSuffix(hrMap, "\n"), "\n", "\n  ") +
	"\n  server: {from: Site, map: {Leeds: leeds, York: york}}\n"

func newSites(t *testing.T, bin bool) *sites {
	t.Helper()
	dir := t.TempDir()
	s := &sites{t: t, dir: dir, bin: bin,
		leeds: vicidialtest.NewTestServer(t, vicidialtest.Options{}),
		york:  vicidialtest.NewTestServer(t, vicidialtest.Options{}),
		env: map[string]string{"LEEDS_VICIDIAL_PASS": "1234", "YORK_VICIDIAL_PASS": "1234",
			"XDG_STATE_HOME": filepath.Join(dir, "state")}}
	s.writeProfile()
	return s
}

// writeProfile writes the job's profile, with the servers' current
// addresses.
func (s *sites) writeProfile() string {
	return writeFile(s.t, s.dir, "sites.yaml", fmt.Sprintf(`api_user: "6666"
ledger: ledger.db
servers:
  leeds: {url: %q, api_pass_env: LEEDS_VICIDIAL_PASS}
  york: {url: %q, api_pass_env: YORK_VICIDIAL_PASS, workers: 2}
map:
%s`, s.leeds.URL, s.york.URL, sitesMap))
}

// siteRow is a result file's row: status, code, login and server.
type siteRow struct{ status, code, login, server string }

// night runs command (run or check) on tonight's export and returns its
// result and its result file's rows by Employee ID.
func (s *sites) night(command, name, export string, extra ...string) (result, map[string]siteRow) {
	s.t.Helper()
	in := writeFile(s.t, s.dir, "export.csv", export)
	out := filepath.Join(s.dir, name+"."+command+".csv")
	args := append([]string{command, in, "--out", out, "--profile", filepath.Join(s.dir, "sites.yaml"),
		"--rate", "0", "--report", ""}, extra...)
	var got result
	if s.bin {
		var env []string
		for k, v := range s.env {
			env = append(env, k+"="+v)
		}
		got = binRun(s.t, env, args...)
	} else {
		got = invoke(s.t, s.env, append(args, "--log-level", "error")...)
	}
	rows := map[string]siteRow{}
	if _, err := os.Stat(out); err != nil {
		return got, rows
	}
	recs := readCSV(s.t, out)
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	if _, ok := col["result_server"]; !ok {
		return got, rows // not this job's result file (it stopped before writing one)
	}
	for i, r := range resultRows(s.t, out) {
		rec := recs[i+1]
		rows[rec[col["Employee ID"]]] = siteRow{r[0], r[1], r[2], rec[col["result_server"]]}
	}
	return got, rows
}

// named counts srv's accounts with this full name.
func named(srv *vicidialtest.Server, name string) int {
	n := 0
	for _, a := range srv.Sim.Accounts() {
		if a.FullName == name {
			n++
		}
	}
	return n
}

// sitePerson is one person of a sites export.
type sitePerson struct{ id, first, last, site string }

func (p sitePerson) name() string { return p.first + " " + p.last }

// staff makes n persons, every other one at York, each with a full name
// of their own.
func staff(n int) []sitePerson {
	firsts := []string{"Ann", "Ben", "Cara", "Dev", "Eve", "Finn", "Gita", "Hugo", "Ines", "Jon"}
	lasts := []string{"Smith", "Khan", "Brown", "Okafor"}
	var ps []sitePerson
	for i := range n {
		site := "Leeds"
		if i%2 == 1 {
			site = "York"
		}
		ps = append(ps, sitePerson{fmt.Sprintf("E%02d", i+1), firsts[i%len(firsts)], lasts[i/len(firsts)%len(lasts)], site})
	}
	return ps
}

// siteExport is HR's export of ps; emails may change some of them.
func siteExport(ps []sitePerson, emails map[string]string) string {
	var b strings.Builder
	b.WriteString("Employee ID,First Name,Last Name,Work Email,Site\n")
	for _, p := range ps {
		email := strings.ToLower(p.first+"."+p.last) + "@example.com"
		if e, ok := emails[p.id]; ok {
			email = e
		}
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s\n", p.id, p.first, p.last, email, p.site)
	}
	return b.String()
}

// server is the name of p's server.
func (p sitePerson) server() string { return strings.ToLower(p.site) }

// samePrediction fails unless the dry run predicted the run: each row's
// status class, code and server, and the exit code.
func samePrediction(t *testing.T, night string, check, run result, checkRows, runRows map[string]siteRow) {
	t.Helper()
	if check.code != run.code {
		t.Errorf("%s: check exit %d, run exit %d\ncheck: %s\nrun: %s", night, check.code, run.code, check.stderr, run.stderr)
	}
	if len(checkRows) != len(runRows) {
		t.Errorf("%s: check has %d rows, run %d", night, len(checkRows), len(runRows))
	}
	for id, r := range runRows {
		c := checkRows[id]
		if statusClass(c.status) != r.status || c.code != r.code || c.server != r.server {
			t.Errorf("%s, %s: check predicted %v, the run gave %v", night, id, c, r)
		}
	}
}

// TestTwoDialersOneExport (issue 21, done when): one export of 40 people
// over two dialers, routed by a Site column through the mapping's
// server:. One dialer is down the first night (a wrong password, or not
// listening): its rows are NOT_ATTEMPTED and the run exits 3, the other's
// are all created. The next night both are up: every person is created,
// each once and on their own site's dialer. Each night's dry run predicts
// the run. Through the binary; the result file, fed back in, keeps every
// row's server.
func TestTwoDialersOneExport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	for _, down := range []string{"wrong password", "closed"} {
		t.Run(down, func(t *testing.T) {
			s := newSites(t, true)
			ps := staff(40)
			export := siteExport(ps, nil)
			switch down {
			case "wrong password":
				s.env["YORK_VICIDIAL_PASS"] = "wrong"
			case "closed":
				s.york.Close()
			}
			check, checkRows := s.night("check", "night1", export)
			run, rows := s.night("run", "night1", export)
			if run.code != exitFatal {
				t.Fatalf("night 1: exit %d, want %d\n%s", run.code, exitFatal, run.stderr)
			}
			samePrediction(t, "night 1", check, run, checkRows, rows)
			if !strings.Contains(run.stderr, "server york") {
				t.Errorf("night 1: the stop does not name server york:\n%s", run.stderr)
			}
			for _, p := range ps {
				want := siteRow{"SUCCESS", "CREATED", "", "leeds"}
				if p.site == "York" {
					want = siteRow{"NOT_ATTEMPTED", "NOT_ATTEMPTED", "", "york"}
				}
				got := rows[p.id]
				if got.status != want.status || got.code != want.code || got.server != want.server {
					t.Errorf("night 1, %s (%s): %v, want %v", p.id, p.site, got, want)
				}
			}
			summary := summaryLine(t, run.stderr)
			servers, _ := summary["servers"].(map[string]any)
			for name, want := range map[string]string{"leeds": "SUCCESS", "york": "NOT_ATTEMPTED"} {
				counts, _ := servers[name].(map[string]any)
				statuses, _ := counts["statuses"].(map[string]any)
				if counts["rows"] != 20.0 || statuses[want] != 20.0 {
					t.Errorf("night 1: the JSON summary's servers.%s = %v, want 20 rows, %s 20", name, counts, want)
				}
			}

			// The next night, both dialers are up.
			s.env["YORK_VICIDIAL_PASS"] = "1234"
			if down == "closed" {
				s.york = vicidialtest.NewTestServer(t, vicidialtest.Options{}) // the dialer is back, at a new address
				s.writeProfile()
			}
			check, checkRows = s.night("check", "night2", export)
			run, rows = s.night("run", "night2", export)
			if run.code != exitOK {
				t.Fatalf("night 2: exit %d, want 0\n%s", run.code, run.stderr)
			}
			samePrediction(t, "night 2", check, run, checkRows, rows)
			for _, p := range ps {
				want, here, there := siteRow{"SUCCESS", "ALREADY_CREATED", "", "leeds"}, s.leeds, s.york
				if p.site == "York" {
					want, here, there = siteRow{"SUCCESS", "CREATED", "", "york"}, s.york, s.leeds
				}
				got := rows[p.id]
				if got.status != want.status || got.code != want.code || got.server != want.server {
					t.Errorf("night 2, %s (%s): %v, want %v", p.id, p.site, got, want)
				}
				if n, m := named(here, p.name()), named(there, p.name()); n != 1 || m != 0 {
					t.Errorf("%s (%s): %d accounts on its dialer and %d on the other, want 1 and 0", p.name(), p.site, n, m)
				}
			}

			// The result file fed back in: every row carried over, on its server.
			fed := filepath.Join(s.dir, "night2.run.csv")
			out := filepath.Join(s.dir, "fed.csv")
			var env []string
			for k, v := range s.env {
				env = append(env, k+"="+v)
			}
			again := binRun(t, env, "run", fed, "--out", out, "--profile", filepath.Join(s.dir, "sites.yaml"), "--rate", "0", "--report", "")
			if again.code != exitOK {
				t.Fatalf("fed back: exit %d\n%s", again.code, again.stderr)
			}
			recs := readCSV(t, out)
			if n := slices.Index(recs[0], "result_server"); n < 0 || slices.Index(recs[0][n+1:], "result_server") >= 0 {
				t.Errorf("fed back: the header has not one result_server: %v", recs[0])
			}
			col := map[string]int{}
			for i, h := range recs[0] {
				col[h] = i
			}
			for i, r := range resultRows(t, out) {
				rec := recs[i+1]
				p := ps[slices.IndexFunc(ps, func(p sitePerson) bool { return p.id == rec[col["Employee ID"]] })]
				if r[0] != "SUCCESS" || rec[col["result_server"]] != p.server() {
					t.Errorf("fed back, %s: %v on %q, want SUCCESS on %s", p.id, r, rec[col["result_server"]], p.server())
				}
			}
			reasons, _ := summaryLine(t, again.stderr)["reasons"].(map[string]any)
			if reasons["CARRIED_OVER"] != 40.0 {
				t.Errorf("fed back: reasons %v, want CARRIED_OVER 40", reasons)
			}
		})
	}
}

// TestPersonWhoMovesSite: a person the ledger knows on Leeds whose row now
// routes to York is HELD (SERVER_MOVE) by default: not created on York,
// not deactivated on Leeds. With --move-servers they are created on York
// (their Leeds account left as it is), and known there from then on. The
// dry run predicts each night.
func TestPersonWhoMovesSite(t *testing.T) {
	s := newSites(t, false)
	ps := staff(6)
	if got, rows := s.night("run", "night1", siteExport(ps, nil), "--deactivate-missing"); got.code != exitOK || len(rows) != 6 {
		t.Fatalf("night 1: exit %d, %d rows\n%s", got.code, len(rows), got.stderr)
	}
	mover := ps[0]
	ps[0].site = "York"
	export := siteExport(ps, nil)
	nights := []struct {
		name  string
		flags []string
		want  siteRow
		exit  int
		york  int // the mover's accounts on York after the night
	}{
		{"held", nil, siteRow{"HELD", "SERVER_MOVE", "", "york"}, exitRowsFailed, 0},
		{"moved", []string{"--move-servers"}, siteRow{"SUCCESS", "CREATED", "", "york"}, exitOK, 1},
		{"known on york", nil, siteRow{"SUCCESS", "ALREADY_CREATED", "", "york"}, exitOK, 1},
	}
	for _, n := range nights {
		flags := append([]string{"--deactivate-missing"}, n.flags...)
		check, checkRows := s.night("check", n.name, export, flags...)
		run, rows := s.night("run", n.name, export, flags...)
		samePrediction(t, n.name, check, run, checkRows, rows)
		if run.code != n.exit {
			t.Errorf("%s: exit %d, want %d\n%s", n.name, run.code, n.exit, run.stderr)
		}
		got := rows[mover.id]
		if got.status != n.want.status || got.code != n.want.code || got.server != n.want.server {
			t.Errorf("%s: the mover's row %v, want %v", n.name, got, n.want)
		}
		for _, p := range ps[1:] {
			if r := rows[p.id]; r.code != "ALREADY_CREATED" || r.server != p.server() {
				t.Errorf("%s, %s: %v, want ALREADY_CREATED on %s", n.name, p.id, r, p.server())
			}
		}
		if len(rows) != len(ps) {
			t.Errorf("%s: %d rows, want %d (no leaver: the mover is in the export)", n.name, len(rows), len(ps))
		}
		if c := named(s.york, mover.name()); c != n.york {
			t.Errorf("%s: %d accounts for %s on York, want %d", n.name, c, mover.name(), n.york)
		}
		if c := named(s.leeds, mover.name()); c != 1 {
			t.Errorf("%s: %d accounts for %s on Leeds, want 1 (left as it is)", n.name, c, mover.name())
		}
		for _, a := range s.leeds.Sim.Accounts() {
			if a.FullName == mover.name() && a.Active != "Y" {
				t.Errorf("%s: the mover's Leeds account was deactivated", n.name)
			}
		}
	}
}

// TestRowsNameTheirServer: with a plain CSV, a server column picks each
// row's server (by name, without case); a row naming a server the profile
// does not have, or none, is INVALID, naming the profile's servers.
func TestRowsNameTheirServer(t *testing.T) {
	s := newSites(t, false)
	in := writeFile(t, s.dir, "plain.csv", `agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group,server
pleeds,Start-2026a,Pat Leeds,1,AGENTS,leeds
pyork,Start-2026b,Pat York,1,AGENTS,YORK
phull,Start-2026c,Pat Hull,1,AGENTS,hull
pnone,Start-2026d,Pat None,1,AGENTS,
`)
	profile := writeFile(t, s.dir, "plain.yaml", fmt.Sprintf(`api_user: "6666"
ledger: ledger.db
servers:
  leeds: {url: %q, api_pass_env: LEEDS_VICIDIAL_PASS}
  york: {url: %q, api_pass_env: YORK_VICIDIAL_PASS}
`, s.leeds.URL, s.york.URL))
	out := filepath.Join(s.dir, "plain.results.csv")
	got := invoke(t, s.env, "run", in, "--out", out, "--profile", profile, "--rate", "0", "--report", "", "--log-level", "error")
	if got.code != exitRowsFailed {
		t.Fatalf("exit %d, want %d\n%s", got.code, exitRowsFailed, got.stderr)
	}
	recs := readCSV(t, out)
	want := []struct{ status, server, reason string }{
		{"SUCCESS", "leeds", "(CREATED)"},
		{"SUCCESS", "york", "(CREATED)"},
		{"INVALID", "", `"hull" is not one of this job's servers (leeds, york)`},
		{"INVALID", "", "required: this job has several servers (leeds, york)"},
	}
	for i, w := range want {
		rec := recs[i+1]
		status, reason, server := rec[len(rec)-7], rec[len(rec)-5], rec[len(rec)-1]
		if status != w.status || server != w.server || !strings.Contains(reason, w.reason) {
			t.Errorf("line %d: %s on %q (%s), want %s on %q with %q", i+2, status, server, reason, w.status, w.server, w.reason)
		}
	}
	if named(s.leeds, "Pat Leeds") != 1 || named(s.york, "Pat York") != 1 || named(s.leeds, "Pat York") != 0 {
		t.Errorf("the accounts are not on their servers")
	}
	for _, line := range []string{"by server:\n", "  leeds  1 row: SUCCESS 1\n", "  york   1 row: SUCCESS 1\n", "  (none) 2 rows: INVALID 2\n"} {
		if !strings.Contains(got.stdout, line) {
			t.Errorf("the summary lacks %q:\n%s", line, got.stdout)
		}
	}
}

// TestSafeguardsPerServer: a mass change in one server's rows trips the
// safeguard for that server, naming it, though the whole feed's share is
// under the threshold; the dry run reports the same; nothing is sent.
func TestSafeguardsPerServer(t *testing.T) {
	s := newSites(t, false)
	ps := staff(20)
	if got, _ := s.night("run", "night1", siteExport(ps, nil)); got.code != exitOK {
		t.Fatalf("night 1: exit %d\n%s", got.code, got.stderr)
	}
	// Three of York's ten persons change: 30% of York, 15% of the feed.
	emails := map[string]string{}
	for _, p := range ps {
		if p.site == "York" && len(emails) < 3 {
			emails[p.id] = "new." + strings.ToLower(p.last) + "@example.com"
		}
	}
	for _, command := range []string{"check", "run"} {
		got, _ := s.night(command, "night2", siteExport(ps, emails), "--update")
		if got.code != exitSafeguard {
			t.Fatalf("%s: exit %d, want %d\n%s", command, got.code, exitSafeguard, got.stderr)
		}
		if !strings.Contains(got.stderr, "server york: 3 of the 10 known persons' rows differ from the values applied, more than 20%") {
			t.Errorf("%s: the safeguard does not name york's figures:\n%s", command, got.stderr)
		}
		if strings.Contains(got.stderr, "server leeds:") || strings.Contains(got.stderr, "3 of the 20 known") {
			t.Errorf("%s: a safeguard tripped for leeds or the whole feed:\n%s", command, got.stderr)
		}
	}
	if n := sends(s.leeds) + sends(s.york); n != 20 {
		t.Errorf("%d requests that create or change an account, want the first night's 20", n)
	}
}

// TestProfileServers: a profile's servers take the job's settings but
// those they give themselves, and a flag on the command line wins over
// both; relative paths are from the profile's folder.
func TestProfileServers(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "p.yaml", `api_user: "6666"
api_pass_file: job-pass
flags: {rate: 3, workers: 6}
servers:
  leeds: {url: https://leeds.example.com}
  york: {url: https://york.example.com, api_user: yorkapi, api_pass_env: YORK_VICIDIAL_PASS, rate: 5, workers: 2, timeout: 5s, ca_file: york-ca.pem}
`)
	tests := []struct {
		name string
		args []string
		want map[string]serverOptions // the fields compared: apiUser, passFile, passEnv, rate, workers, timeout, caFile
	}{
		{"the profile alone", nil, map[string]serverOptions{
			"leeds": {url: "https://leeds.example.com", apiUser: "6666", passFile: filepath.Join(dir, "job-pass"), passEnv: "VICIDIAL_API_PASS", rate: 3, workers: 6, timeout: 30e9},
			"york": {url: "https://york.example.com", apiUser: "yorkapi", passEnv: "YORK_VICIDIAL_PASS", rate: 5, workers: 2, timeout: 5e9,
				caFile: filepath.Join(dir, "york-ca.pem")},
		}},
		{"the command line wins", []string{"--rate", "1", "--api-pass-env", "NIGHT_PASS"}, map[string]serverOptions{
			"leeds": {url: "https://leeds.example.com", apiUser: "6666", passFile: filepath.Join(dir, "job-pass"), passEnv: "NIGHT_PASS", rate: 1, workers: 6, timeout: 30e9},
			"york": {url: "https://york.example.com", apiUser: "yorkapi", passFile: filepath.Join(dir, "job-pass"), passEnv: "NIGHT_PASS", rate: 1, workers: 2, timeout: 5e9,
				caFile: filepath.Join(dir, "york-ca.pem")},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o runOptions
			cmd := &cobra.Command{Use: "run"}
			env := map[string]string{"VICIDIAL_URL": "https://env.example.com"} // gives way to the servers
			(&app{getenv: func(k string) string { return env[k] }}).registerRunFlags(cmd, &o)
			if err := cmd.Flags().Parse(append(tt.args, "--profile", path)); err != nil {
				t.Fatal(err)
			}
			if err := o.prepare(cmd); err != nil {
				t.Fatal(err)
			}
			if got := o.serverNames(); !slices.Equal(got, []string{"leeds", "york"}) || o.server.url != "" {
				t.Fatalf("servers %v and url %q, want leeds, york in the profile's order, and no url", got, o.server.url)
			}
			for _, d := range o.servers {
				w, g := tt.want[d.name], d.server
				g.source, g.retries = "", 0
				if g != w {
					t.Errorf("%s: %+v, want %+v", d.name, g, w)
				}
			}
		})
	}
}

// TestProfileServersErrors: every problem of a profile's servers at once,
// each at its line; a password is refused and never echoed; --url with a
// profile's servers is a usage error, while VICIDIAL_URL gives way to them.
func TestProfileServersErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"not a mapping", "servers: [leeds, york]\n", []string{":1: servers: a mapping of each server's name"}},
		{"no server", "servers: {}\n", []string{":1: servers: names no server"}},
		{"url beside servers", "url: https://x.example.com\nservers:\n  leeds: {url: https://leeds.example.com}\n",
			[]string{":1: url: this profile names its servers under servers: (line 2)"}},
		{"names", "servers:\n  leeds: {url: https://a}\n  Leeds: {url: https://b}\n  \"le eds\": {url: https://c}\n  password: {url: https://d}\n",
			[]string{":3: servers: Leeds: named twice (also on line 2", `:4: servers: "le eds" is not a server name`, ":5: servers: password: " + profileMsgPassword}},
		{"keys", "servers:\n  york:\n    url: https://york.example.com\n    rat: 5\n    api_pass: hunter2-top\n    api_pass_file: p\n    api_pass_env: P\n    api_user: u:hunter2-top\n",
			[]string{`:4: servers: york: "rat" is not a server's key: did you mean rate?`, ":5: servers: york: api_pass: " + profileMsgPassword,
				":7: servers: york: api_pass_file and api_pass_env: give one", `:8: servers: york: api_user has a ":"`}},
		{"no url", "servers:\n  york: {api_user: u}\n", []string{":2: servers: york: no url"}},
		{"password in a url", "servers:\n  york: {url: \"https://u:hunter2-top@york.example.com\"}\n", []string{":2: servers: york: url: holds a password"}},
		{"settings not a mapping", "servers:\n  york: https://york.example.com\n", []string{":2: servers: york: a mapping of this server's settings"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "p.yaml", tt.src)
			_, err := loadProfile(path)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), path+w) {
					t.Errorf("error lacks %q:\n%v", path+w, err)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error echoes a password:\n%v", err)
			}
		})
	}

	s := newSites(t, false)
	export := siteExport(staff(2), nil)
	got, _ := s.night("check", "url", export, "--url", s.leeds.URL)
	if got.code != exitUsage || !strings.Contains(got.stderr, "--url names one server, and the profile") {
		t.Errorf("--url with servers: exit %d, want %d with a message\n%s", got.code, exitUsage, got.stderr)
	}
	s.env["VICIDIAL_URL"] = "http://127.0.0.1:9" // gives way to the profile's servers
	if got, rows := s.night("run", "env", export); got.code != exitOK || rows["E01"].server != "leeds" || rows["E02"].server != "york" {
		t.Errorf("VICIDIAL_URL with servers: exit %d, rows %v\n%s", got.code, rows, got.stderr)
	}
}

// TestEarlierResultFileNoRunWrote: a job with several servers finds, at
// its --out, a result file that no run in its ledger wrote (a lost ledger,
// a job with one server): its rows cannot be put on a server, so the run
// stops (exit 3) before anything is sent, rather than forget what it says;
// --fresh moves it aside. An offline check of the same job reads the
// ledger of each server.
func TestEarlierResultFileNoRunWrote(t *testing.T) {
	s := newSites(t, false)
	ps := staff(4)
	out := filepath.Join(s.dir, "night1.run.csv")
	earlier := "Employee ID,First Name,Last Name,Work Email,Site,result_status,result_login,result_reason,result_warnings,result_row,result_at\n" +
		"E01,Ann,Smith,ann.smith@example.com,Leeds,SUCCESS,asmith,created by add_user (CREATED),,2,2026-11-01T10:00:00Z\n"
	writeFile(t, s.dir, "night1.run.csv", earlier)
	got, _ := s.night("run", "night1", siteExport(ps, nil))
	if got.code != exitFatal || !strings.Contains(got.stderr, "no run in this ledger wrote") && !strings.Contains(got.stderr, "a run this ledger does not know") {
		t.Fatalf("exit %d, want %d naming the earlier result file\n%s", got.code, exitFatal, got.stderr)
	}
	if n := sends(s.leeds) + sends(s.york); n != 0 {
		t.Errorf("%d requests sent before the stop", n)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != earlier {
		t.Errorf("the earlier result file was changed: %v", err)
	}
	got, rows := s.night("run", "night1", siteExport(ps, nil), "--fresh")
	if got.code != exitOK || len(rows) != 4 {
		t.Fatalf("--fresh: exit %d, %d rows\n%s", got.code, len(rows), got.stderr)
	}
	aside, _ := filepath.Glob(filepath.Join(s.dir, "night1.run.csv.*"))
	found := false
	for _, a := range aside {
		if b, err := os.ReadFile(a); err == nil && string(b) == earlier {
			found = true
		}
	}
	if !found {
		t.Errorf("--fresh: the earlier result file is not kept aside (%v)", aside)
	}

	ps[0].site = "York" // a move, seen offline from the ledger alone
	check, rows := s.night("check", "offline", siteExport(ps, nil), "--offline")
	if check.code != exitRowsFailed || rows[ps[0].id].code != "SERVER_MOVE" || rows[ps[1].id].code != "ALREADY_CREATED" || rows[ps[1].id].server != "york" {
		t.Errorf("offline check: exit %d, rows %v\n%s", check.code, rows, check.stderr)
	}
}

// TestMissingServerRowsTripItsSafeguard: an export that lacks one
// server's rows (York's two persons of twenty), with --deactivate-missing,
// trips that server's deactivation share, though the whole feed's is not
// over it; nobody is deactivated.
func TestMissingServerRowsTripItsSafeguard(t *testing.T) {
	s := newSites(t, false)
	ps := staff(20)
	for i := range ps {
		ps[i].site = "Leeds"
	}
	ps[3].site, ps[8].site = "York", "York"
	if got, _ := s.night("run", "night1", siteExport(ps, nil), "--deactivate-missing"); got.code != exitOK {
		t.Fatalf("night 1: exit %d\n%s", got.code, got.stderr)
	}
	var leeds []sitePerson
	for _, p := range ps {
		if p.site == "Leeds" {
			leeds = append(leeds, p)
		}
	}
	for _, command := range []string{"check", "run"} {
		got, _ := s.night(command, "night2", siteExport(leeds, nil), "--deactivate-missing")
		if got.code != exitSafeguard || !strings.Contains(got.stderr, "server york: the run would deactivate 2 of the 2 accounts the ledger knows for this input") {
			t.Errorf("%s: exit %d, want %d naming york's deactivations\n%s", command, got.code, exitSafeguard, got.stderr)
		}
		if strings.Contains(got.stderr, "server leeds:") || strings.Contains(got.stderr, "of the 20 accounts") {
			t.Errorf("%s: a safeguard tripped for leeds or the whole feed:\n%s", command, got.stderr)
		}
	}
	for _, r := range s.york.Sim.Requests() {
		if r.Function == "update_user" {
			t.Errorf("update_user sent to York: %v", r.Params.Get("agent_user"))
		}
	}
}
