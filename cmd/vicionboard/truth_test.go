package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// TestInterruptWithGeneratedLoginsIsNotAServerFailure (issue 18, case 1):
// a SIGTERM while generated logins are being checked makes every row not
// sent NOT_ATTEMPTED, never ERROR / TRANSPORT, and nothing tells HR to
// check the network.
func TestInterruptWithGeneratedLoginsIsNotAServerFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and signals the binary")
	}
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Latency: 40 * time.Millisecond})
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString(hrHeader)
	for i := range 40 {
		fmt.Fprintf(&b, "E%02d,Agent%c,Number%c%c,a%d@example.com\n", i, 'a'+rune(i%26), 'a'+rune(i/26), 'a'+rune(i%26), i)
	}
	in := writeFile(t, dir, "hires.csv", b.String())
	out := filepath.Join(dir, "hires.results.csv")
	cmd := exec.Command(binary(t), "run", in, "--out", out, "--map", writeFile(t, dir, "map.yaml", hrMap), "--workers", "2",
		"--rate", "0", "--log-format", "json", "--max-new", "0")
	cmd.Env = binEnv(t, "VICIDIAL_URL="+srv.URL, "VICIDIAL_API_USER=6666", "VICIDIAL_API_PASS=1234")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for landed := false; !landed; {
		select {
		case err := <-done:
			t.Fatalf("the run ended (exit %d) before it could be signalled", exitOf(err))
		case <-time.After(5 * time.Millisecond):
			data, _ := os.ReadFile(out)
			landed = strings.Count(string(data), "\n") >= 3
		}
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if exit := exitOf(<-done); exit != exitInterrupted {
		t.Fatalf("exit %d, want %d\n%s", exit, exitInterrupted, stderr.String())
	}
	notAttempted := 0
	for _, r := range resultRows(t, out) {
		switch r[0] {
		case "NOT_ATTEMPTED":
			notAttempted++
		case "SUCCESS":
		default:
			t.Errorf("a row is %v: only a request that was sent and failed is an ERROR", r)
		}
	}
	if notAttempted == 0 {
		t.Error("no row NOT_ATTEMPTED: the signal did not stop the run")
	}
	if all := stdout.String() + stderr.String(); strings.Contains(all, "TRANSPORT") || strings.Contains(all, "Check the network") {
		t.Errorf("the run blames the network for its own interrupt:\n%s", all)
	}
}
