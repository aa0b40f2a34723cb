package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// binIn runs the built binary in the folder dir.
func binIn(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Dir = dir
	cmd.Env = binEnv(t)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return result{exitOf(err), stdout.String(), stderr.String()}
}

// TestDemoOutsideTheCheckout: the installed binary's demo needs no
// checkout: it writes its built-in sample (or, with --hr, the HR export
// and its mapping) to ./vicionboard-demo and runs it; a workbook's demo
// writes a workbook, named as run names it.
func TestDemoOutsideTheCheckout(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	got := binIn(t, dir, "demo", "--log-format", "console")
	if got.code != exitOK {
		t.Fatalf("demo: exit %d\n%s", got.code, got.stderr)
	}
	recs := readCSV(t, filepath.Join(dir, demoDir, "new_hires.results.csv"))
	if len(recs) != 26 {
		t.Errorf("the demo's result has %d rows, want the sample's 25", len(recs)-1)
	}
	if _, err := os.Stat(filepath.Join(dir, demoDir, "new_hires.results.html")); err != nil {
		t.Errorf("no report: %v", err)
	}

	got = binIn(t, dir, "demo", "--hr", "--log-format", "console")
	if got.code != exitOK {
		t.Fatalf("demo --hr: exit %d\n%s", got.code, got.stderr)
	}
	recs = readCSV(t, filepath.Join(dir, demoDir, "hr_export.results.csv"))
	if st := resultColumn(t, recs, "result_status"); len(st) != 8 || strings.Count(strings.Join(st, " "), "SUCCESS") != 8 {
		t.Errorf("demo --hr: %v, want the 8 HR rows SUCCESS", st)
	}

	if got := binIn(t, dir, "template", "hires.xlsx"); got.code != exitOK {
		t.Fatalf("template: exit %d\n%s", got.code, got.stderr)
	}
	if got := binIn(t, dir, "demo", "hires.xlsx", "--log-format", "console"); got.code != exitOK {
		t.Fatalf("demo hires.xlsx: exit %d\n%s", got.code, got.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "hires.results.xlsx")); err != nil {
		t.Errorf("demo of a workbook wrote no hires.results.xlsx: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "hires.results.csv")); err == nil {
		t.Errorf("demo of a workbook wrote hires.results.csv")
	}
}

// TestRunHelp: run --help lists the exit codes, and --out is a result file
// (CSV or .xlsx), not a "result CSV".
func TestRunHelp(t *testing.T) {
	for _, cmd := range []string{"run", "check"} {
		got := invoke(t, nil, cmd, "--help")
		for _, want := range []string{"Exit codes:", "\n  3    a fatal condition", "\n  130  interrupted", "--out string", "result file: an .xlsx workbook when its name ends in .xlsx"} {
			if !strings.Contains(got.stdout, want) {
				t.Errorf("%s --help lacks %q:\n%s", cmd, want, got.stdout)
			}
		}
		if strings.Contains(got.stdout, "result CSV") {
			t.Errorf("%s --help says \"result CSV\"", cmd)
		}
	}
}
