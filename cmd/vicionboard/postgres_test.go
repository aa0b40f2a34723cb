package main

import (
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vicionboard/vicionboard/batch/ledger/ledgertest"
	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// writeKey writes a key file as an operator would make one for a
// PostgreSQL ledger (openssl rand -hex 32 > ledger.key).
func writeKey(t *testing.T, path string) {
	t.Helper()
	b := make([]byte, 32)
	if _, err := crand.Read(b); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestLedgerCopyBothWays: `vicionboard ledger copy` moves a SQLite ledger
// into PostgreSQL and back with every person, run and outcome: a night on
// each copy creates nobody twice and shows the generated passwords the
// server holds; a copy over a ledger that is not empty is refused.
func TestLedgerCopyBothWays(t *testing.T) {
	n := newLedgerNight(t, 12, 0)
	pg := ledgertest.Postgres(t).NewSchema(t)
	if got := n.run(); got.code != exitOK {
		t.Fatalf("night 1 on SQLite: exit %d\n%s", got.code, got.stderr)
	}
	key := n.led + ".key"
	copyOut := binRun(t, nil, "ledger", "copy", n.led, pg)
	if copyOut.code != exitOK {
		t.Fatalf("copy into PostgreSQL: exit %d\n%s\n%s", copyOut.code, copyOut.stdout, copyOut.stderr)
	}
	if !strings.Contains(copyOut.stdout, "12 persons") {
		t.Errorf("the copy does not say it copied the 12 persons:\n%s", copyOut.stdout)
	}
	sent := sends(n.srv)
	night := func(name, location string, extra ...string) {
		t.Helper()
		args := append([]string{"run", n.in, "--out", filepath.Join(n.dir, name+".csv"), "--ledger", location,
			"--key", "employee_id", "--rate", "0", "--max-new", "0", "--log-format", "json"}, extra...)
		got := binRun(t, n.env(), args...)
		if got.code != exitOK {
			t.Fatalf("%s: exit %d\n%s", name, got.code, got.stderr)
		}
		if s := sends(n.srv); s != sent {
			t.Errorf("%s: %d requests that may create an account, want none: the copy forgot", name, s-sent)
		}
		if tw := n.twice(); len(tw) > 0 {
			t.Errorf("%s: second accounts: %v", name, tw)
		}
	}
	night("on-postgres", pg, "--ledger-key", key)

	// Another key file (a Secret mixed up) stops the night before anything
	// is sent; so does none.
	wrong := filepath.Join(t.TempDir(), "other.key")
	writeKey(t, wrong)
	for _, keyArgs := range [][]string{{"--ledger-key", wrong}, nil} {
		args := append([]string{"run", n.in, "--out", filepath.Join(n.dir, "wrong.csv"), "--ledger", pg, "--key", "employee_id",
			"--rate", "0", "--log-format", "json"}, keyArgs...)
		got := binRun(t, n.env(), args...)
		if got.code != exitFatal || !strings.Contains(got.stderr, "key") || !strings.Contains(got.stderr, "hint") {
			t.Errorf("a night with key file %v: exit %d, want %d with a hint\n%s", keyArgs, got.code, exitFatal, got.stderr)
		}
		if s := sends(n.srv); s != sent {
			t.Errorf("a night with key file %v sent %d requests", keyArgs, s-sent)
		}
	}

	back := filepath.Join(t.TempDir(), "back.db")
	if got := binRun(t, nil, "ledger", "copy", pg, back, "--from-key", key); got.code != exitOK {
		t.Fatalf("copy back into SQLite: exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	if b1, _ := os.ReadFile(key); string(b1) == "" || func() bool { b2, _ := os.ReadFile(back + ".key"); return string(b1) != string(b2) }() {
		t.Errorf("the copy back has not the original's key file beside it")
	}
	night("back-on-sqlite", back)

	refused := binRun(t, nil, "ledger", "copy", n.led, pg)
	if refused.code != exitUsage || !strings.Contains(refused.stderr, "not empty") {
		t.Errorf("copy over a ledger that is not empty: exit %d, want %d\n%s", refused.code, exitUsage, refused.stderr)
	}
}

// TestTwoRunnersOnePostgresLedger: two vicionboard processes on two
// machines (separate state folders and files, no shared disk, the same
// key file given to each), one PostgreSQL ledger, the same feed at the
// same moment against one server, killed at random and rerun: every person
// has one account, and every generated login and password is the same on
// the server and in both runners' result files. (It found that a runner
// could take over the claim of the other, killed right after its request,
// with another generated login: see ledger's otherLogin.)
func TestTwoRunnersOnePostgresLedger(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	t.Run("postgres", func(t *testing.T) { twoRunners(t, ledgertest.Postgres(t).NewSchema(t)) })
	// The same on one SQLite file that both share (one machine's disk).
	t.Run("sqlite", func(t *testing.T) { twoRunners(t, filepath.Join(t.TempDir(), "ledger.db")) })
}

// twoRunners runs two runners on the ledger pg (see
// TestTwoRunnersOnePostgresLedger).
func twoRunners(t *testing.T, pg string) {
	bin := binary(t)
	srv := hrServer(t, 10*time.Millisecond)
	const rows = 40
	feed := hrCrowd(rows)
	key := make([]byte, 0)
	type runner struct {
		dir, in, out string
		env, args    []string
	}
	runners := make([]runner, 2)
	for i := range runners {
		dir := t.TempDir()
		r := runner{dir: dir, in: writeFile(t, dir, "crowd.csv", feed), out: filepath.Join(dir, "crowd.results.csv")}
		keyFile := filepath.Join(dir, "secret", "ledger.key")
		if i == 0 {
			writeKey(t, keyFile)
			key, _ = os.ReadFile(keyFile)
		} else {
			os.MkdirAll(filepath.Dir(keyFile), 0o700)
			os.WriteFile(keyFile, key, 0o600)
		}
		r.env = []string{"VICIDIAL_URL=" + srv.URL, "VICIDIAL_API_USER=6666", "VICIDIAL_API_PASS=1234",
			"XDG_STATE_HOME=" + filepath.Join(dir, "state"), "VICIONBOARD_LEDGER=" + pg, "VICIONBOARD_LEDGER_KEY=" + keyFile}
		r.args = []string{"run", r.in, "--map", hrMapping, "--out", r.out, "--workers", "3", "--rate", "0", "--log-format", "json", "--max-new", "0"}
		runners[i] = r
	}
	rng := rand.New(rand.NewPCG(21, 8))
	kills := 0
	var logs []string
	round := func(killAfter [2]time.Duration) [2]result {
		var wg sync.WaitGroup
		var out [2]result
		var mu sync.Mutex
		for i, r := range runners {
			wg.Go(func() {
				cmd := exec.Command(bin, r.args...)
				cmd.Env = binEnv(t, r.env...)
				var stderr strings.Builder
				cmd.Stderr = &stderr
				if err := cmd.Start(); err != nil {
					t.Error(err)
					return
				}
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				var err error
				if killAfter[i] > 0 {
					select {
					case err = <-done:
					case <-time.After(killAfter[i]):
						_ = cmd.Process.Signal(syscall.SIGKILL)
						<-done
						mu.Lock()
						logs = append(logs, fmt.Sprintf("runner %d (killed after %v at %s):\n%s", i, killAfter[i], time.Now().Format("15:04:05.000"), stderr.String()))
						kills++
						mu.Unlock()
						return
					}
				} else {
					err = <-done
				}
				out[i] = result{exitOf(err), "", stderr.String()}
				mu.Lock()
				logs = append(logs, fmt.Sprintf("runner %d (%v, ended at %s):\n%s", i, killAfter[i], time.Now().Format("15:04:05.000"), stderr.String()))
				mu.Unlock()
			})
		}
		wg.Wait()
		return out
	}
	for range 4 {
		round([2]time.Duration{time.Duration(80+rng.IntN(400)) * time.Millisecond, time.Duration(80+rng.IntN(400)) * time.Millisecond})
	}
	created := len(srv.Sim.Accounts()) - len(vicidialtest.DefaultFixture().Accounts) - 1
	if kills == 0 || created == 0 {
		t.Fatalf("%d runs killed, %d accounts created meanwhile: the test proved nothing", kills, created)
	}
	t.Logf("killed %d times; %d of %d accounts created by the killed runs", kills, created, rows)
	// Both at once to the end, then each once more: rows the other runner
	// held in flight are settled.
	for _, got := range round([2]time.Duration{}) {
		if got.code != exitOK && got.code != exitRowsFailed {
			t.Fatalf("concurrent final runs: exit %d\n%s", got.code, got.stderr)
		}
	}
	for i, r := range runners {
		if got := binRun(t, r.env, r.args...); got.code != exitOK {
			t.Fatalf("runner %d's last run: exit %d\n%s", i, got.code, got.stderr)
		}
	}

	perEmail := map[string]int{}
	for _, a := range srv.Sim.Accounts() {
		perEmail[a.Email]++
	}
	pattern := regexp.MustCompile(`^[a-z]+[0-9]*$`)
	seen := map[string]string{} // employee id: login and password, as runner 0 shows them
	for i, r := range runners {
		recs := resultRecords(t, r.out)
		if len(recs) != rows+1 {
			t.Fatalf("runner %d: %d result rows, want %d", i, len(recs)-1, rows)
		}
		for id, row := range byColumn(recs) {
			login := row["result_login"]
			if row["result_status"] != "SUCCESS" || !pattern.MatchString(login) {
				t.Errorf("runner %d, %s: %s %q (%s)", i, id, row["result_status"], login, row["result_reason"])
				continue
			}
			if n := perEmail[row["Work Email"]]; n != 1 {
				t.Errorf("%s: %d accounts, want 1", id, n)
				for _, l := range logs {
					for _, line := range strings.Split(l, "\n") {
						if strings.HasPrefix(line, "runner") || strings.Contains(line, `"`+id+`"`) || strings.Contains(line, id+",") || strings.Contains(line, `"run_id"`) && strings.Contains(line, "begin") {
							t.Log(line)
						}
					}
				}
				for _, a := range srv.Sim.Accounts() {
					if a.Email == row["Work Email"] {
						t.Logf("  %s %s %q", a.User, a.FullName, a.Pass)
					}
				}
				for _, rq := range srv.Sim.Requests() {
					if rq.Params.Get("email") == row["Work Email"] || rq.Params.Get("agent_user") != "" && strings.HasPrefix(rq.Params.Get("agent_full_name"), strings.Split(row["agent_full_name"], " ")[0]) && false {
						t.Logf("  request %s %s %s at %s", rq.Function, rq.Params.Get("agent_user"), rq.Body, rq.At.Format("15:04:05.000"))
					}
				}
			}
			a, ok := srv.Sim.Account(login)
			if !ok || a.Email != row["Work Email"] {
				t.Errorf("runner %d, %s: account %s is %+v, not this person's", i, id, login, a)
				continue
			}
			if a.Pass != row["agent_pass"] || len(a.Pass) != 12 {
				t.Errorf("runner %d, %s: the server holds password %q, the result file shows %q", i, id, a.Pass, row["agent_pass"])
			}
			both := login + " " + row["agent_pass"]
			if i == 0 {
				seen[id] = both
			} else if seen[id] != both {
				t.Errorf("%s: runner 0 shows %q, runner 1 %q", id, seen[id], both)
			}
		}
	}
	if created := len(perEmail); created < rows {
		t.Errorf("%d accounts with an email, want %d", created, rows)
	}
}

// TestLedgerURLPasswordNeverShown: a password in a postgres:// ledger URL
// (in the user part or a password= parameter) never appears in what the
// binary prints, whatever fails: the connection (nothing listens on the
// port), or the URL itself.
func TestLedgerURLPasswordNeverShown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	in := writeFile(t, dir, "hires.csv", autogenCSV(2))
	const secret = "Sekr1t-Pw-77"
	for _, url := range []string{
		"postgres://onboarding:" + secret + "@127.0.0.1:1/vicionboard?connect_timeout=2",
		"postgresql://onboarding@127.0.0.1:1/vicionboard?password=" + secret + "&connect_timeout=2",
		"postgres://onboarding:" + secret + "@127.0.0.1:1/vicionboard?sslmode=nonsense",
	} {
		for _, args := range [][]string{
			{"run", in, "--ledger", url, "--ledger-key", filepath.Join(dir, "k"), "--key", "employee_id", "--url", "http://127.0.0.1:1", "--api-user", "u"},
			{"history", "--ledger", url},
			{"ledger", "copy", url, filepath.Join(dir, "copy.db")},
		} {
			got := binRun(t, []string{"VICIDIAL_API_PASS=x", "VICIONBOARD_LEDGER=" + url}, args...)
			if got.code == exitOK {
				t.Errorf("%s on an unreachable ledger: exit 0", args[0])
			}
			if strings.Contains(got.stdout+got.stderr, secret) {
				t.Errorf("%s %q: the password is shown:\n%s%s", args[0], url, got.stdout, got.stderr)
			}
			if !strings.Contains(got.stderr, "127.0.0.1") {
				t.Errorf("%s: the error does not name the ledger:\n%s", args[0], got.stderr)
			}
		}
	}
}
