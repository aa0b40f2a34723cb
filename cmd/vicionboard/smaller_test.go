package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// TestOfflineCheckWouldCreate: an offline check's JSON summary counts its
// VALID rows as the accounts a run would create.
func TestOfflineCheckWouldCreate(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "mixed.csv", mixedCSV) // 3 rows VALID offline (no server to say BILLING is not a group), 1 INVALID
	got := invoke(t, map[string]string{}, "check", in, "--log-format", "json")
	if n := summaryLine(t, got.stderr)["would_create"]; n != float64(3) {
		t.Errorf("would_create %v, want the 3 VALID rows\n%s", n, got.stderr)
	}
}

// TestHistorySaysLeaversApart: a run with --deactivate-missing writes the
// leavers' rows after the input's; history counts the input's rows and
// says the leavers apart (a 2-row export with a leaver is not 3 rows).
func TestHistorySaysLeaversApart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	dir := t.TempDir()
	led := filepath.Join(dir, "ledger.db")
	env := []string{"VICIDIAL_URL=" + srv.URL, "VICIDIAL_API_USER=6666", "VICIDIAL_API_PASS=1234"}
	in := writeFile(t, dir, "hires.csv", nRows(3))
	night := func() result {
		return binRun(t, env, "run", in, "--ledger", led, "--key", "employee_id", "--deactivate-missing", "--rate", "0")
	}
	if got := night(); got.code != exitOK {
		t.Fatalf("night 1: exit %d\n%s", got.code, got.stderr)
	}
	writeFile(t, dir, "hires.csv", nRows(2))
	if got := night(); got.code != exitOK {
		t.Fatalf("night 2: exit %d\n%s", got.code, got.stderr)
	}
	runs := historyRecords(t, binRun(t, nil, "history", "--ledger", led, "--format", "csv").stdout)
	if len(runs) != 2 || runs[0]["rows"] != "2 (+1 not in the input)" || runs[1]["rows"] != "3" {
		t.Errorf("history: %v; want the second night as 2 rows (+1 not in the input), the first as 3", runs)
	}
}

// TestPruneListOnlyWhenAsked: a prune run by cron (stdout not a terminal)
// prints nothing on stdout, which cron would mail every week; the totals
// are the log line on stderr; --format or --dry-run list the runs.
func TestPruneListOnlyWhenAsked(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	dir := t.TempDir()
	led := filepath.Join(dir, "ledger.db")
	env := []string{"VICIDIAL_URL=" + srv.URL, "VICIDIAL_API_USER=6666", "VICIDIAL_API_PASS=1234"}
	for _, n := range []int{2, 3} {
		writeFile(t, dir, "hires.csv", nRows(n))
		if got := binRun(t, env, "run", filepath.Join(dir, "hires.csv"), "--ledger", led, "--key", "employee_id", "--rate", "0"); got.code != exitOK {
			t.Fatalf("run: exit %d\n%s", got.code, got.stderr)
		}
	}
	dry := binRun(t, nil, "history", "--ledger", led, "--prune-before", "0s", "--dry-run")
	if !strings.HasPrefix(dry.stdout, "run,started,command,input,rows\n") || strings.Count(dry.stdout, "\n") != 2 {
		t.Errorf("--dry-run: stdout %q, want the one run it would prune", dry.stdout)
	}
	cron := binRun(t, nil, "history", "--ledger", led, "--prune-before", "0s", "--log-format", "json")
	if cron.code != exitOK || cron.stdout != "" || !strings.Contains(cron.stderr, `"outcomes":2`) {
		t.Errorf("prune as cron runs it: exit %d, stdout %q (want none), stderr:\n%s", cron.code, cron.stdout, cron.stderr)
	}
}

// TestResultBOM: a CSV result starts with a UTF-8 byte order mark when
// Excel would otherwise garble it: by default when the UTF-8 input has a
// character beyond ASCII (even without a BOM of its own), not for a plain
// ASCII one; --bom always or never decides otherwise.
func TestResultBOM(t *testing.T) {
	dir := t.TempDir()
	accented := writeFile(t, dir, "accented.csv", "employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group\nE1,jmuller,Start-2026a,José Müller,1,AGENTS\n")
	plain := writeFile(t, dir, "plain.csv", "employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group\nE1,jsmith,Start-2026a,Jane Smith,1,AGENTS\n")
	tests := []struct {
		in   string
		args []string
		bom  bool
	}{
		{accented, nil, true},
		{accented, []string{"--bom", "never"}, false},
		{plain, nil, false},
		{plain, []string{"--bom", "always"}, true},
	}
	for i, tt := range tests {
		out := filepath.Join(dir, "out"+string(rune('a'+i))+".csv")
		got := invoke(t, map[string]string{}, append([]string{"check", tt.in, "--out", out}, tt.args...)...)
		if got.code != exitOK {
			t.Fatalf("check %s %v: exit %d\n%s", tt.in, tt.args, got.code, got.stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if has := bytes.HasPrefix(b, []byte("\uFEFF")); has != tt.bom {
			t.Errorf("check %s %v: BOM %v, want %v", filepath.Base(tt.in), tt.args, has, tt.bom)
		}
	}
	if got := invoke(t, map[string]string{}, "check", plain, "--bom", "sometimes"); got.code != exitUsage {
		t.Errorf("--bom sometimes: exit %d, want %d", got.code, exitUsage)
	}
}
