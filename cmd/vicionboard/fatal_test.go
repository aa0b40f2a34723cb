package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// smallDisk mounts a tmpfs of size (as mount takes it: 64k, 1m) on a new
// folder and returns it; the test is skipped, saying why, where mounting
// is not allowed (not root).
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		t.Skipf("a full disk is simulated with a small tmpfs, which this user may not mount: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fill writes a file in dir until its disk is full.
func fill(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			break
		}
	}
}

// nRows is an export of n people, E1..En.
func nRows(n int) string {
	var b strings.Builder
	b.WriteString("employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "E%d,disk%04d,Start-2026a,Disk Agent %04d,1,AGENTS\n", i, i, i)
	}
	return b.String()
}

// runIDOf returns the run_id of JSON log lines.
func runIDOf(t *testing.T, stderr string) string {
	t.Helper()
	for _, l := range strings.Split(stderr, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["run_id"] != nil {
			return m["run_id"].(string)
		}
	}
	t.Fatalf("no run_id in the log:\n%s", stderr)
	return ""
}

// lastJSON returns the last JSON line of stderr.
func lastJSON(t *testing.T, stderr string) map[string]any {
	t.Helper()
	lines := jsonLines(t, "stderr", stderr)
	if len(lines) == 0 {
		t.Fatal("nothing on stderr")
	}
	return lines[len(lines)-1]
}

// TestResultFileOnAFullDisk: the disk under the result file fills up during
// the run. The run stops with exit 3 and a hint; the summary and the HTML
// report say how many accounts the run created, exactly (the ledger's
// record, which the file lacks in part), list them, and name the command
// that lists every row (history RUN_ID), which does.
func TestResultFileOnAFullDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	disk := smallDisk(t, "48k")
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	dir := t.TempDir()
	in := writeFile(t, dir, "hires.csv", nRows(1500))
	led, rep := filepath.Join(dir, "ledger.db"), filepath.Join(dir, "report.html")
	env := []string{"VICIDIAL_URL=" + srv.URL, "VICIDIAL_API_USER=6666", "VICIDIAL_API_PASS=1234"}
	before := len(srv.Sim.Accounts())
	got := binRun(t, env, "run", in, "--out", filepath.Join(disk, "hires.results.csv"), "--report", rep, "--ledger", led,
		"--key", "employee_id", "--max-new", "0", "--rate", "0", "--log-format", "json")
	created := len(srv.Sim.Accounts()) - before
	if got.code != exitFatal {
		t.Fatalf("exit %d, want %d\n%s", got.code, exitFatal, got.stderr)
	}
	if created == 0 || created == 1500 {
		t.Fatalf("%d accounts created: the disk did not fill up during the run", created)
	}
	id := runIDOf(t, got.stderr)
	last := lastJSON(t, got.stderr)
	if h, _ := last["hint"].(string); !strings.Contains(h, "is full") || !strings.Contains(h, "vicionboard history "+id) {
		t.Errorf("the last line's hint is %q: want it to say the disk is full and name history %s", h, id)
	}
	// The file holds some of the rows; the summary says how many accounts
	// the run created in all, and which.
	wantCreated := fmt.Sprintf("the ledger records %d accounts created by this run; ", created)
	for _, want := range []string{"ATTENTION: the result file could not be written", "no space left on device", wantCreated,
		"every row of this run, from the ledger: vicionboard history " + id} {
		if !strings.Contains(got.stdout, want) {
			t.Errorf("the summary does not say %q:\n%s", want, got.stdout)
		}
	}
	for _, l := range jsonLines(t, "stderr", got.stderr) {
		if l["message"] == "summary" && (l["created"] != float64(created) || l["result_file_incomplete"] != true) {
			t.Errorf("the JSON summary says %v created (incomplete %v), the server has %d", l["created"], l["result_file_incomplete"], created)
		}
	}
	page, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "The result file is incomplete") ||
		!strings.Contains(string(page), fmt.Sprintf("The ledger records %d accounts created by this run", created)) {
		t.Errorf("the report does not say what the ledger holds")
	}
	hist := binRun(t, nil, "history", id, "--ledger", led, "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(hist.stdout)).ReadAll()
	if err != nil {
		t.Fatalf("history %s: %v\n%s", id, err, hist.stdout)
	}
	n := 0
	for _, r := range recs[1:] {
		if r[5] == "CREATED" {
			n++
		}
	}
	if n != created {
		t.Errorf("history %s lists %d accounts created, the server has %d", id, n, created)
	}
}

// TestLedgerOnAFullOrReadOnlyDisk: a ledger whose disk is full, or whose
// file system is read-only, stops the run with exit 3 and a hint that
// says so.
func TestLedgerOnAFullOrReadOnlyDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	env := []string{"VICIDIAL_URL=" + srv.URL, "VICIDIAL_API_USER=6666", "VICIDIAL_API_PASS=1234"}
	tests := []struct {
		name   string
		spoil  func(t *testing.T, disk string)
		inHint string
	}{
		{"full", fill, "is full"},
		{"read-only", func(t *testing.T, disk string) {
			if err := syscall.Mount("", disk, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
				t.Fatalf("remount read-only: %v", err)
			}
		}, "cannot be written: a read-only file system"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			disk := smallDisk(t, "2m")
			dir := t.TempDir()
			led := filepath.Join(disk, "ledger.db")
			in := writeFile(t, dir, "hires.csv", nRows(5))
			night := func() result {
				return binRun(t, env, "run", in, "--ledger", led, "--key", "employee_id", "--rate", "0", "--log-format", "json")
			}
			if got := night(); got.code != exitOK {
				t.Fatalf("first night: exit %d\n%s", got.code, got.stderr)
			}
			writeFile(t, dir, "hires.csv", nRows(8))
			tt.spoil(t, disk)
			got := night()
			if got.code != exitFatal {
				t.Fatalf("exit %d, want %d\n%s", got.code, exitFatal, got.stderr)
			}
			if h, _ := lastJSON(t, got.stderr)["hint"].(string); !strings.Contains(h, tt.inHint) {
				t.Errorf("hint %q, want it to say %q\n%s", h, tt.inHint, got.stderr)
			}
		})
	}
}

// TestUnwritableResultFolder: a result file in a read-only folder is a
// fatal stop (exit 3, as the README says), with a hint, and nothing sent.
func TestUnwritableResultFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	disk := smallDisk(t, "64k")
	if err := syscall.Mount("", disk, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		t.Fatalf("remount read-only: %v", err)
	}
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	in := writeFile(t, t.TempDir(), "hires.csv", nRows(3))
	env := []string{"VICIDIAL_URL=" + srv.URL, "VICIDIAL_API_USER=6666", "VICIDIAL_API_PASS=1234"}
	got := binRun(t, env, "run", in, "--out", filepath.Join(disk, "r.csv"), "--log-format", "json")
	if got.code != exitFatal {
		t.Fatalf("exit %d, want %d\n%s", got.code, exitFatal, got.stderr)
	}
	if h, _ := lastJSON(t, got.stderr)["hint"].(string); !strings.Contains(h, "the result file's folder cannot be written") {
		t.Errorf("hint %q\n%s", h, got.stderr)
	}
	if n := sends(srv); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}
