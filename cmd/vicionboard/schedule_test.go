package main

import (
	"path/filepath"
	"testing"

	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// summaryLine returns the JSON "summary" line of stderr.
func summaryLine(t *testing.T, stderr string) map[string]any {
	t.Helper()
	for _, l := range jsonLines(t, "stderr", stderr) {
		if l["message"] == "summary" {
			return l
		}
	}
	t.Fatalf("no summary line:\n%s", stderr)
	return nil
}

// TestFailOnNew: the same permanent bad rows every night are not new
// problems: the JSON summary counts new_problems against the last run of
// the same input, and --fail-on new exits 1 only when there is one.
func TestFailOnNew(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	dir := t.TempDir()
	led := filepath.Join(dir, "ledger.db")
	in := filepath.Join(dir, "hires.csv")
	env := []string{"VICIDIAL_URL=" + srv.URL, "VICIDIAL_API_USER=6666", "VICIDIAL_API_PASS=1234"}
	const header = "employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group\n"
	const bad = "E2,jo hn,Start-2026b,John Space,1,AGENTS\nE3,cdavis,Start-2026c,Chris Davis,1,BILLING\n" // INVALID, then ERROR
	night := func(rows string, args ...string) result {
		t.Helper()
		writeFile(t, dir, "hires.csv", header+rows)
		base := []string{"run", in, "--ledger", led, "--key", "employee_id", "--rate", "0", "--log-format", "json"}
		return binRun(t, env, append(base, args...)...)
	}
	tests := []struct {
		name     string
		rows     string
		args     []string
		wantExit int
		wantNew  float64
	}{
		{"first night: every problem is new", "E1,jsmith,Start-2026a,Jane Smith,1,AGENTS\n" + bad, []string{"--fail-on", "new"}, exitRowsFailed, 2},
		{"same rows, --fail-on new", "E1,jsmith,Start-2026a,Jane Smith,1,AGENTS\n" + bad, []string{"--fail-on", "new"}, exitOK, 0},
		{"same rows, the default", "E1,jsmith,Start-2026a,Jane Smith,1,AGENTS\n" + bad, nil, exitRowsFailed, 0},
		{"one more bad row", "E1,jsmith,Start-2026a,Jane Smith,1,AGENTS\n" + bad + "E4,x,Start-2026d,Short Login,1,AGENTS\n", []string{"--fail-on", "new"}, exitRowsFailed, 1},
		{"E3's problem fixed, E2's left", "E1,jsmith,Start-2026a,Jane Smith,1,AGENTS\nE2,jo hn,Start-2026b,John Space,1,AGENTS\nE3,cdavis,Start-2026c,Chris Davis,1,AGENTS\nE4,x,Start-2026d,Short Login,1,AGENTS\n",
			[]string{"--fail-on", "new"}, exitOK, 0},
	}
	for _, tt := range tests {
		got := night(tt.rows, tt.args...)
		if got.code != tt.wantExit {
			t.Errorf("%s: exit %d, want %d\n%s", tt.name, got.code, tt.wantExit, got.stderr)
		}
		if n := summaryLine(t, got.stderr)["new_problems"]; n != tt.wantNew {
			t.Errorf("%s: new_problems %v, want %v", tt.name, n, tt.wantNew)
		}
	}
	if got := binRun(t, env, "run", in, "--ledger", led, "--fail-on", "some"); got.code != exitUsage {
		t.Errorf("--fail-on some: exit %d, want %d", got.code, exitUsage)
	}
}
