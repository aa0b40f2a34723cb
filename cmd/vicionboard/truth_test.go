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

// TestResumedFirstOnboardingTripsNoSafeguard (issue 17, case 11): a first
// onboarding of 400 people killed after about 150, then the same command
// again: the accounts the killed run created are its own work resumed, not
// "known" persons that make the rest look like too many new ones.
func TestResumedFirstOnboardingTripsNoSafeguard(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Latency: 3 * time.Millisecond})
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group\n")
	for i := range 400 {
		fmt.Fprintf(&b, "E%03d,ob%03d,Start-2026x,Onboard Person%03d,1,AGENTS\n", i, i, i)
	}
	in := writeFile(t, dir, "hires.csv", b.String())
	out := filepath.Join(dir, "hires.results.csv")
	args := []string{"run", in, "--out", out, "--key", "employee_id", "--ledger", filepath.Join(dir, "ledger.db"),
		"--workers", "2", "--no-adapt", "--rate", "0", "--log-format", "json", "--max-new", "0"}
	env := binEnv(t, "VICIDIAL_URL="+srv.URL, "VICIDIAL_API_USER=6666", "VICIDIAL_API_PASS=1234")
	cmd := exec.Command(binary(t), args...)
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for landed := false; !landed; {
		select {
		case err := <-done:
			t.Fatalf("the run ended (exit %d) before it could be killed", exitOf(err))
		case <-time.After(2 * time.Millisecond):
			landed = len(srv.Sim.Accounts()) >= 150
		}
	}
	_ = cmd.Process.Kill()
	<-done
	if n := len(srv.Sim.Accounts()); n >= 400 {
		t.Fatalf("the run finished (%d accounts) before it was killed", n)
	}
	again := exec.Command(binary(t), args...)
	again.Env = env
	var stderr bytes.Buffer
	again.Stderr = &stderr
	if exit := exitOf(again.Run()); exit != exitOK {
		t.Fatalf("the rerun: exit %d, want 0 (no safeguard):\n%s", exit, stderr.String())
	}
	byName := map[string]int{}
	for _, a := range srv.Sim.Accounts() {
		byName[a.FullName]++
	}
	for i := range 400 {
		if c := byName[fmt.Sprintf("Onboard Person%03d", i)]; c != 1 {
			t.Errorf("Onboard Person%03d has %d accounts", i, c)
		}
	}
}
