package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// resultColumn returns the named column of every data row of a result file.
func resultColumn(t *testing.T, recs [][]string, name string) []string {
	t.Helper()
	col := -1
	for i, h := range recs[0] {
		if h == name {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("no column %s in %q", name, recs[0])
	}
	var out []string
	for _, rec := range recs[1:] {
		out = append(out, rec[col])
	}
	return out
}

// TestPipeInAPIPasswordNeverShown: a wrong API password holding the
// server's field separator comes back in "Login incorrect"; no part of it
// reaches stderr, the log or the NOT_ATTEMPTED rows' reasons.
func TestPipeInAPIPasswordNeverShown(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "hires.csv", goodCSV)
	out := filepath.Join(dir, "hires.results.csv")
	env, _ := simEnv(t, "Wr0ng|Secret-Tail-42")
	got := invoke(t, env, "run", in, "--out", out, "--log-format", "json", "--log-level", "debug")
	if got.code != exitFatal {
		t.Fatalf("exit %d, want %d:\n%s", got.code, exitFatal, got.stderr)
	}
	if !strings.Contains(got.stderr, "LOGIN_INCORRECT") || !strings.Contains(got.stderr, "[REDACTED]") {
		t.Errorf("stderr does not show the redacted Login incorrect:\n%s", got.stderr)
	}
	recs := readCSV(t, out)
	reasons := strings.Join(resultColumn(t, recs, "result_reason"), "\n")
	if !strings.Contains(strings.Join(resultColumn(t, recs, "result_status"), " "), "NOT_ATTEMPTED") {
		t.Fatalf("no NOT_ATTEMPTED row: the test proves nothing")
	}
	for _, part := range []string{"Secret-Tail", "Wr0ng"} {
		if strings.Contains(got.stderr+got.stdout+reasons, part) {
			t.Errorf("%q appears in the output or the reasons:\n%s\n%s", part, got.stderr, reasons)
		}
	}
}

// echoErrorPage serves sim, except that add_user answers HTTP 500 with an
// error page quoting the request's form as received, API password first
// (what a PHP error handler printing the query does).
func echoErrorPage(sim http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		if form.Get("function") != "add_user" {
			sim.ServeHTTP(w, r)
			return
		}
		raw := string(body)
		pass := raw[strings.Index(raw, "pass="):] // "pass=..." as sent, then the rest
		if i := strings.Index(raw, "&pass="); i >= 0 {
			pass = raw[i+1:]
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "<html><body><b>Fatal error</b>: query failed: %s; request %s</body></html>\n", pass, raw)
	})
}

// TestErrorPageEchoNeverShown: an error page echoing the URL-encoded form
// (pass=Api%26Pw+9%23x) shows neither the API password nor the agent's in
// the reasons or the log.
func TestErrorPageEchoNeverShown(t *testing.T) {
	const apiPass = "Api&Pw 9#x"
	fx := vicidialtest.DefaultFixture()
	for i := range fx.Accounts {
		if fx.Accounts[i].User == "6666" {
			fx.Accounts[i].Pass = apiPass
		}
	}
	sim, err := vicidialtest.New(vicidialtest.Options{Fixture: &fx})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(echoErrorPage(sim))
	defer srv.Close()

	dir := t.TempDir()
	in := writeFile(t, dir, "hires.csv", goodCSV)
	out := filepath.Join(dir, "hires.results.csv")
	env := map[string]string{"VICIDIAL_URL": srv.URL, "VICIDIAL_API_USER": "6666", "VICIDIAL_API_PASS": apiPass,
		"XDG_STATE_HOME": t.TempDir()}
	got := invoke(t, env, "run", in, "--out", out, "--log-format", "json", "--log-level", "debug", "--retries", "0")
	if got.code == exitOK || got.code == exitUsage {
		t.Fatalf("exit %d; want the add_user rows to fail:\n%s", got.code, got.stderr)
	}
	recs := readCSV(t, out)
	shown := strings.Join(resultColumn(t, recs, "result_reason"), "\n") + "\n" +
		strings.Join(resultColumn(t, recs, "result_warnings"), "\n")
	secrets := []string{apiPass, url.QueryEscape(apiPass), "9%23x", "9#x", "Pw+9", "ApiPw9x", "Start-2026a"}
	for _, s := range secrets {
		if strings.Contains(shown+got.stderr+got.stdout, s) {
			t.Errorf("%q appears in the reasons or the output:\n%s\n%s", s, shown, got.stderr)
		}
	}
	if !strings.Contains(shown, "[REDACTED]") {
		t.Errorf("no reason quotes the error page: the test proves nothing\n%s", shown)
	}
}

// TestCredentialsInURL: a URL holding a password is never printed, neither
// in an error (even when it cannot be parsed) nor as a flag's default in
// --help, and is refused with a pointer to VICIDIAL_API_PASS.
func TestCredentialsInURL(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "hires.csv", goodCSV)
	tests := []struct {
		name     string
		url      string
		args     []string
		code     int
		inOutput string
	}{
		{"malformed", "http//6666:S3cret@127.0.0.1", []string{"run", in}, exitUsage, "http//127.0.0.1"},
		{"unparseable", "http://6666:S3c ret@127.0.0.1", []string{"run", in}, exitUsage, "cannot be parsed"},
		{"userinfo refused", "http://6666:S3cret@127.0.0.1:1", []string{"run", in}, exitUsage, "VICIDIAL_API_PASS"},
		{"run help", "https://6666:S3cret@dialer.example.com", []string{"run", "--help"}, exitOK, "https://dialer.example.com"},
		{"check help", "https://6666:S3cret@dialer.example.com", []string{"check", "--help"}, exitOK, "https://dialer.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"VICIDIAL_URL": tt.url, "VICIDIAL_API_USER": "6666", "VICIDIAL_API_PASS": "1234"}
			got := invoke(t, env, tt.args...)
			output := got.stdout + got.stderr
			if got.code != tt.code {
				t.Errorf("exit %d, want %d:\n%s", got.code, tt.code, output)
			}
			if strings.Contains(output, "S3c") || strings.Contains(output, "6666:") {
				t.Errorf("the URL's credentials are shown:\n%s", output)
			}
			if !strings.Contains(output, tt.inOutput) {
				t.Errorf("output does not mention %q:\n%s", tt.inOutput, output)
			}
		})
	}
}

// TestLongCellsAreQuotedShort: a 1 MB full name and a 1 MB custom field
// give a reason and warnings of under 1 KiB each, and no log line repeats
// them (nor a 1 MB login).
func TestLongCellsAreQuotedShort(t *testing.T) {
	dir := t.TempDir()
	name := strings.Repeat("José ", 1<<20/6)     // needs cleaning, and too long
	custom := strings.Repeat("Équipe#", 1<<20/8) // likewise
	csv := "employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group,custom_one\n" +
		"E1,jlong,Start-2026a," + name + ",1,AGENTS," + custom + "\n" +
		"E2,jsmith,Start-2026b,Jane Smith,1,AGENTS,\n" +
		"E3," + strings.Repeat("L", 1<<20) + ",Start-2026c,Long Login,1,AGENTS,\n"
	in := writeFile(t, dir, "hires.csv", csv)
	out := filepath.Join(dir, "hires.results.csv")
	env, _ := simEnv(t, "1234")
	got := invoke(t, env, "run", in, "--out", out, "--log-format", "json", "--log-level", "debug")
	if got.code != exitRowsFailed {
		t.Fatalf("exit %d, want %d:\n%.2000s", got.code, exitRowsFailed, got.stderr)
	}
	recs := readCSV(t, out)
	status, reason, warnings := resultColumn(t, recs, "result_status"), resultColumn(t, recs, "result_reason"), resultColumn(t, recs, "result_warnings")
	if status[0] != "INVALID" || !strings.Contains(reason[0], "agent_full_name") {
		t.Fatalf("row 1: %s %.300q, want INVALID naming agent_full_name", status[0], reason[0])
	}
	// The custom field, optional, is left out: VICIdial cannot store it.
	if !strings.Contains(warnings[0], "agent_full_name cleaned") || !strings.Contains(warnings[0], "custom_one cleaned") ||
		!strings.Contains(warnings[0], "custom_one left out") {
		t.Errorf("row 1 warnings %.300q, want both cleanings named, and custom_one left out", warnings[0])
	}
	if len(reason[0]) >= 1024 || len(warnings[0]) >= 1024 {
		t.Errorf("reason is %d bytes, warnings %d bytes; want under 1 KiB each:\n%.2000s\n%.2000s",
			len(reason[0]), len(warnings[0]), reason[0], warnings[0])
	}
	if !strings.Contains(reason[0], "more characters)") {
		t.Errorf("reason %q does not say the value was cut", reason[0])
	}
	for _, line := range strings.Split(got.stderr, "\n") {
		if len(line) >= 4096 {
			t.Errorf("a stderr line of %d bytes: %.300s...", len(line), line)
		}
	}
}

// TestInterruptContext: the first signal cancels the context, the second
// calls the exit function with 130 after one line on stderr, whichever of
// SIGINT and SIGTERM they are.
func TestInterruptContext(t *testing.T) {
	for _, pair := range [][2]os.Signal{{syscall.SIGINT, syscall.SIGINT}, {syscall.SIGTERM, syscall.SIGTERM}, {syscall.SIGINT, syscall.SIGTERM}} {
		t.Run(fmt.Sprint(pair[0], ", ", pair[1]), func(t *testing.T) {
			signalLogger.Store(nil) // plain lines: no command has JSON logs here
			sigs := make(chan os.Signal, 2)
			exited := make(chan int, 1)
			var stderr bytes.Buffer
			ctx, stop := interruptContext(context.Background(), sigs, &stderr, func(code int) { exited <- code })
			defer stop()
			if ctx.Err() != nil {
				t.Fatal("cancelled before any signal")
			}
			sigs <- pair[0]
			<-ctx.Done()
			select {
			case code := <-exited:
				t.Fatalf("the first signal exited (%d)", code)
			default:
			}
			sigs <- pair[1]
			if code := <-exited; code != exitInterrupted {
				t.Errorf("exit(%d), want exit(%d)", code, exitInterrupted)
			}
			if got := stderr.String(); got != firstSignalLine+"\n"+secondSignalLine+"\n" {
				t.Errorf("stderr %q, want the two lines", got)
			}
		})
	}
}

// TestStopEndsTheWatch: after stop, the context is done and a signal no
// longer exits (the process is on its way out with its own code).
func TestStopEndsTheWatch(t *testing.T) {
	sigs := make(chan os.Signal, 2)
	ctx, stop := interruptContext(context.Background(), sigs, io.Discard, func(code int) { t.Errorf("exit(%d) after stop", code) })
	stop()
	stop() // twice is harmless
	<-ctx.Done()
	sigs <- syscall.SIGINT
	sigs <- syscall.SIGINT
	if len(sigs) != 2 {
		t.Errorf("a signal was consumed after stop")
	}
}

// lockedBuffer is a bytes.Buffer for a process's stderr read while it runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestSecondSignalExitsAtOnce starts the real binary the way a
// non-interactive shell starts a background job (SIGINT ignored, then
// exec), lets an add_user hang on a slow simulator, and signals twice: the
// first signal starts the drain (which would wait for the hung call), the
// second must exit at once with 130, whatever the starting disposition.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and signals the binary")
	}
	bin := binary(t)
	tests := []struct {
		name          string
		trap          string // shell command run before exec
		first, second syscall.Signal
	}{
		{"SIGINT ignored at start", `trap "" INT`, syscall.SIGINT, syscall.SIGINT},
		{"SIGTERM ignored at start", `trap "" TERM`, syscall.SIGTERM, syscall.SIGTERM},
		{"both ignored at start", `trap "" INT TERM`, syscall.SIGINT, syscall.SIGTERM},
		{"default dispositions", `:`, syscall.SIGINT, syscall.SIGINT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fast := vicidialtest.NewTestServer(t, vicidialtest.Options{})
			// add_user answers after an hour (or when the client hangs up).
			slow, err := vicidialtest.New(vicidialtest.Options{Latency: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			arrived := make(chan struct{}, 8)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.FormValue("function") == "add_user" {
					arrived <- struct{}{}
					slow.ServeHTTP(w, r)
					return
				}
				fast.Config.Handler.ServeHTTP(w, r)
			}))
			defer srv.Close()

			dir := t.TempDir()
			in := writeFile(t, dir, "hires.csv", goodCSV)
			cmd := exec.Command("sh", "-c", tt.trap+`; exec "$0" "$@"`, bin, "run", in, "--out", filepath.Join(dir, "out.csv"),
				"--rate", "0", "--drain-timeout", "1h", "--log-format", "json")
			cmd.Env = binEnv(t, "VICIDIAL_URL="+srv.URL, "VICIDIAL_API_USER=6666", "VICIDIAL_API_PASS=1234")
			var stderr lockedBuffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			// A failure guard, not a speed target: the drain would wait an hour.
			giveUp := time.After(time.Minute)
			fail := func(format string, args ...any) {
				t.Helper()
				_ = cmd.Process.Kill()
				<-done
				t.Fatalf(format+"\nstderr:\n%s", append(args, stderr.String())...)
			}

			select { // an add_user is in flight: the process handles signals by now
			case <-arrived:
			case err := <-done:
				fail("the run ended (exit %d) before any add_user", exitOf(err))
			case <-giveUp:
				fail("no add_user reached the server")
			}
			_ = cmd.Process.Signal(tt.first)
			for !strings.Contains(stderr.String(), firstSignalLine) { // evidence that it was handled
				select {
				case err := <-done:
					fail("the first signal ended the run (exit %d); want a drain", exitOf(err))
				case <-giveUp:
					fail("the first %v was not handled", tt.first)
				case <-time.After(10 * time.Millisecond):
				}
			}
			_ = cmd.Process.Signal(tt.second)
			select {
			case err := <-done:
				if code := exitOf(err); code != exitInterrupted {
					t.Errorf("exit %d after the second signal, want %d\nstderr:\n%s", code, exitInterrupted, stderr.String())
				}
			case <-giveUp:
				fail("the second %v did not end the run", tt.second)
			}
			if !strings.Contains(stderr.String(), secondSignalLine) {
				t.Errorf("stderr does not say %q:\n%s", secondSignalLine, stderr.String())
			}
		})
	}
}
