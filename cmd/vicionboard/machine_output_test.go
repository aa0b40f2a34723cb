package main

import (
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// jsonLines fails the test unless every line of stderr is a JSON object,
// and returns them.
func jsonLines(t *testing.T, what, stderr string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Errorf("%s: a stderr line is not a JSON object: %q", what, l)
			continue
		}
		lines = append(lines, m)
	}
	return lines
}

// TestHistoryMachineOutput: history --key in csv or json prints only the
// data on stdout (a program parses it whole); the person's record goes to
// stderr as a log line, with its fields.
func TestHistoryMachineOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	dir := t.TempDir()
	led := filepath.Join(dir, "ledger.db")
	in := writeFile(t, dir, "hires.csv", "employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group\n"+
		"E1,jsmith,Start-2026a,Jane Smith,1,AGENTS\n")
	env := []string{"VICIDIAL_URL=" + srv.URL, "VICIDIAL_API_USER=6666", "VICIDIAL_API_PASS=1234"}
	if got := binRun(t, env, "run", in, "--ledger", led, "--key", "employee_id", "--rate", "0"); got.code != exitOK {
		t.Fatalf("run: exit %d\n%s", got.code, got.stderr)
	}

	js := binRun(t, nil, "history", "--ledger", led, "--key", "E1", "--format", "json", "--log-format", "json")
	if js.code != exitOK {
		t.Fatalf("history json: exit %d\n%s", js.code, js.stderr)
	}
	var events []map[string]string
	if err := json.Unmarshal([]byte(js.stdout), &events); err != nil {
		t.Errorf("history --format json: stdout is not JSON (%v):\n%s", err, js.stdout)
	} else if len(events) != 1 || events[0]["status"] != "SUCCESS" || events[0]["login"] != "jsmith" {
		t.Errorf("history --format json: %v, want the run's one SUCCESS as jsmith", events)
	}
	var person map[string]any
	for _, l := range jsonLines(t, "history json", js.stderr) {
		if l["key"] == "E1" {
			person = l
		}
	}
	if person["login"] != "jsmith" || person["state"] != "created" || person["created_by"] == "" {
		t.Errorf("history --key: the person's record on stderr is %v, want key E1, login jsmith, created, and the run", person)
	}

	c := binRun(t, nil, "history", "--ledger", led, "--key", "E1", "--format", "csv")
	if c.code != exitOK {
		t.Fatalf("history csv: exit %d\n%s", c.code, c.stderr)
	}
	recs, err := csv.NewReader(strings.NewReader(c.stdout)).ReadAll()
	if err != nil || len(recs) != 2 || recs[0][0] != "when" {
		t.Errorf("history --format csv: stdout is not the header and one row (%v):\n%s", err, c.stdout)
	}
	if !strings.Contains(c.stderr, "jsmith") {
		t.Errorf("history --format csv: the person's record is not on stderr:\n%s", c.stderr)
	}
}

// TestJSONLogsFromTheFirstLine: with --log-format json (or auto, with
// stderr not a terminal), every line of stderr is a JSON object, even for
// a command line that is wrong before any logger could be built.
func TestJSONLogsFromTheFirstLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	in := writeFile(t, dir, "hr.csv", "Employee ID,Name\nE1,Jane Smith\n")
	m := writeFile(t, dir, "m.yaml", "key: Employee ID\nagent_full_name: Name\n")
	tests := []struct {
		name string
		args []string
		want string // in the error
	}{
		{"unknown flag", []string{"run", in, "--bogus", "--log-format", "json"}, "unknown flag: --bogus"},
		{"unknown flag, log format first", []string{"run", "--log-format=json", in, "--bogus"}, "unknown flag: --bogus"},
		{"bad flag value", []string{"run", in, "--workers", "many", "--log-format", "json"}, "invalid argument"},
		{"missing argument", []string{"check", "--log-format", "json"}, "accepts 1 arg"},
		{"auto, stderr a pipe", []string{"check", in, "--nope"}, "unknown flag: --nope"},
		{"key against the mapping's", []string{"check", in, "--map", m, "--key", "Other", "--log-format", "json"}, "disagree"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := binRun(t, nil, tt.args...)
			if got.code != exitUsage {
				t.Errorf("exit %d, want %d\n%s", got.code, exitUsage, got.stderr)
			}
			lines := jsonLines(t, tt.name, got.stderr)
			if len(lines) == 0 {
				t.Fatalf("nothing on stderr")
			}
			last := lines[len(lines)-1]
			if e, _ := last["error"].(string); !strings.Contains(e, tt.want) || last["exit_code"] != float64(exitUsage) {
				t.Errorf("the last line is %v, want an error saying %q and exit_code %d", last, tt.want, exitUsage)
			}
		})
	}
	// A person at a terminal asking for console logs still reads text.
	got := binRun(t, nil, "run", in, "--bogus", "--log-format", "console")
	if !strings.HasPrefix(got.stderr, "vicionboard: unknown flag: --bogus") {
		t.Errorf("--log-format console: %q, want the plain error", got.stderr)
	}
}
