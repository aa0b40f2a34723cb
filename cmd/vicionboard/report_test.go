package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vicionboard/vicionboard/report"
	"github.com/vicionboard/vicionboard/vicidial"
	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// TestHTMLReport: a run writes OUT.html beside the result file (mode
// 0600, no password, each problem's fix), --report chooses another file,
// --report ” writes none, and a report that would replace the input or
// the result file is refused before anything is sent.
func TestHTMLReport(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "hires.csv", mixedCSV)
	env, srv := simEnv(t, "1234")
	fix, _ := report.ReasonFor(string(vicidial.ReasonGroupNotFound))

	got := invoke(t, env, "run", in)
	if got.code != exitRowsFailed {
		t.Fatalf("exit %d:\n%s", got.code, got.stderr)
	}
	html := filepath.Join(dir, "hires.results.html")
	b, err := os.ReadFile(html)
	if err != nil {
		t.Fatalf("no report beside the result file: %v", err)
	}
	if st, _ := os.Stat(html); st.Mode().Perm() != 0o600 {
		t.Errorf("report mode %v, want 0600", st.Mode().Perm())
	}
	page := string(b)
	for _, want := range []string{"vicionboard run: 4 rows", "2 rows need a person", "GROUP_NOT_FOUND", "Chris Davis", "<code>jsmith</code>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if !strings.Contains(page, strings.ReplaceAll(fix.Fix, ">", "&gt;")) {
		t.Errorf("the report lacks GROUP_NOT_FOUND's fix")
	}
	for _, secret := range []string{"Start-2026a", "Start-2026b", "Start-2026c", "Start-2026d", "1234"} {
		if strings.Contains(page, secret) {
			t.Errorf("the report shows the password %s", secret)
		}
	}
	// JSON logs (stderr is no terminal): the text summary is on stdout.
	if !strings.Contains(got.stdout, "report: "+html+"\n") {
		t.Errorf("the summary does not name the report:\n%s", got.stdout)
	}
	if !strings.Contains(got.stdout, "commonest problem: ") {
		t.Errorf("the summary does not name the commonest problem:\n%s", got.stdout)
	}

	custom := filepath.Join(dir, "custom.html")
	if got := invoke(t, env, "run", in, "--out", filepath.Join(dir, "b.csv"), "--report", custom); got.code != exitRowsFailed {
		t.Fatalf("--report FILE: exit %d:\n%s", got.code, got.stderr)
	}
	if _, err := os.Stat(custom); err != nil {
		t.Errorf("--report %s: %v", custom, err)
	}

	got = invoke(t, env, "run", in, "--out", filepath.Join(dir, "c.csv"), "--report", "")
	if _, err := os.Stat(filepath.Join(dir, "c.html")); !os.IsNotExist(err) {
		t.Errorf("--report '' wrote a report (%v)", err)
	}
	if strings.Contains(got.stderr, "report: ") {
		t.Errorf("--report '': the summary names a report:\n%s", got.stderr)
	}

	before := len(srv.Sim.Requests())
	for _, target := range []string{in, filepath.Join(dir, "d.csv")} {
		got := invoke(t, env, "run", in, "--out", filepath.Join(dir, "d.csv"), "--report", target)
		if got.code != exitUsage || !strings.Contains(got.stderr, "--report") {
			t.Errorf("--report %s: exit %d, want %d and a message naming --report:\n%s", target, got.code, exitUsage, got.stderr)
		}
	}
	if n := len(srv.Sim.Requests()) - before; n != 0 {
		t.Errorf("%d requests sent although --report was refused", n)
	}

	// check writes INPUT.check.html beside INPUT.check.csv.
	if got := invoke(t, map[string]string{}, "check", in); got.code != exitRowsFailed {
		t.Fatalf("check: exit %d:\n%s", got.code, got.stderr)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "hires.check.html")); err != nil || !strings.Contains(string(b), "vicionboard check (offline") {
		t.Errorf("check wrote no report hires.check.html (%v)", err)
	}
}

// TestInterruptMessage: an interrupt says how many rows finished and that
// running the same command resumes, and exits 130.
func TestInterruptMessage(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "hires.csv", progressCSV(30))
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Latency: 20 * time.Millisecond})
	env := map[string]string{"VICIDIAL_URL": srv.URL, "VICIDIAL_API_USER": "6666", "VICIDIAL_API_PASS": "1234",
		"XDG_STATE_HOME": t.TempDir()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"run", in, "--workers", "1", "--rate", "0", "--log-format", "console"}, strings.NewReader(""), &stdout, &stderr,
			func(k string) string { return env[k] })
	}()
	// Interrupt once rows are being sent (evidence, not a time).
	for len(srv.Sim.Requests()) < 4 {
		select {
		case code := <-done:
			t.Fatalf("the run ended (exit %d) before it could be interrupted", code)
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	if code := <-done; code != exitInterrupted {
		t.Fatalf("exit %d, want %d:\n%s", code, exitInterrupted, stderr.String())
	}
	out := stderr.String()
	if strings.Contains(out, "context canceled") {
		t.Errorf("the message says \"context canceled\":\n%s", out)
	}
	for _, want := range []string{"vicionboard: interrupted: ", " of 31 rows finished; the other ", " are NOT_ATTEMPTED in the result file\n",
		"hint: run the same command again to resume"} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
}

// TestCheckHelpNamesItsDefault: check --help tells the true default of
// --out.
func TestCheckHelpNamesItsDefault(t *testing.T) {
	for cmd, want := range map[string]string{"check": "default INPUT.check.csv", "run": "default INPUT.results.csv"} {
		got := invoke(t, nil, cmd, "--help")
		if !strings.Contains(got.stdout, want) {
			t.Errorf("%s --help does not say %q:\n%s", cmd, want, got.stdout)
		}
		if !strings.Contains(got.stdout, "--report FILE") {
			t.Errorf("%s --help has no --report", cmd)
		}
	}
}

func TestReasonsCommand(t *testing.T) {
	group := string(vicidial.ReasonGroupNotFound)
	fix, _ := report.ReasonFor(group)
	tests := []struct {
		args        []string
		code        int
		want, avoid string
	}{
		{[]string{"reasons"}, exitOK, "GROUP_NOT_FOUND", ""},
		{[]string{"reasons", "--format", "markdown"}, exitOK, "| `GROUP_NOT_FOUND` | " + fix.Meaning, ""},
		{[]string{"reasons", "group_not_found"}, exitOK, "GROUP_NOT_FOUND", "USER_EXISTS"},
		{[]string{"reasons", "(USER_EXISTS)"}, exitOK, "USER_EXISTS", "GROUP_NOT_FOUND"},
		{[]string{"reasons", "NOPE"}, exitUsage, "", ""},
		{[]string{"reasons", "--format", "xml"}, exitUsage, "", ""},
	}
	for _, tt := range tests {
		got := invoke(t, nil, tt.args...)
		if got.code != tt.code {
			t.Errorf("%v: exit %d, want %d; stderr %s", tt.args, got.code, tt.code, got.stderr)
		}
		if !strings.Contains(got.stdout, tt.want) || (tt.avoid != "" && strings.Contains(got.stdout, tt.avoid)) {
			t.Errorf("%v: output should have %q and not %q:\n%s", tt.args, tt.want, tt.avoid, got.stdout)
		}
	}
	if got := invoke(t, nil, "reasons"); !strings.Contains(got.stdout, "fix:     "+strings.Fields(fix.Fix)[0]) {
		t.Errorf("the table shows no fix:\n%s", got.stdout)
	}
}

// TestVersion: a binary built with -ldflags -X main.version and without
// VCS information says its version and that the revision is unknown.
func TestVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "vicionboard")
	build := exec.Command("go", "build", "-buildvcs=false", "-ldflags", "-X main.version=v9.8.7-test", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"vicionboard v9.8.7-test\n", "revision: unknown", "go: go1."} {
		if !strings.Contains(string(out), want) {
			t.Errorf("version lacks %q:\n%s", want, out)
		}
	}
	out, err = exec.Command(bin, "--version").Output()
	if err != nil || string(out) != "vicionboard v9.8.7-test\n" {
		t.Errorf("--version = %q (%v)", out, err)
	}
	out, err = exec.Command(bin, "completion", "bash").Output()
	if err != nil || !strings.Contains(string(out), "vicionboard") {
		t.Errorf("completion bash: %v\n%.200s", err, out)
	}
}

// TestVersionWithoutLdflags: without -X main.version the version falls back
// to what the toolchain recorded, else "devel", never "".
func TestVersionWithoutLdflags(t *testing.T) {
	if got := versionString(); got == "" || strings.HasPrefix(got, " ") {
		t.Errorf("versionString() = %q", got)
	}
	got := invoke(t, nil, "version")
	if got.code != exitOK || !strings.HasPrefix(got.stdout, "vicionboard ") {
		t.Errorf("version: exit %d, %q", got.code, got.stdout)
	}
}

// chromium returns the path of headless Chromium. It skips the test when
// there is none, except under CI, where .ci/run installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed; under CI it must be (.ci/run installs Debian's chromium)")
	}
	t.Skip("chromium is not installed (apt-get install chromium); this browser test runs under CI")
	return ""
}

// browse opens page in headless Chromium and returns the DOM as rendered
// and the browser's console messages.
func browse(t *testing.T, bin, page string) (dom string, console []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
		"--user-data-dir="+t.TempDir(), "--enable-logging=stderr", "--v=0", "--dump-dom", "file://"+page)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(line, ":CONSOLE") {
			console = append(console, line)
		}
	}
	return stdout.String(), console
}

// TestReportInABrowser renders the demo's report (with a hostile name
// added) in headless Chromium: it loads without a console message (no
// script ran, nothing was blocked), the counts and a fix are on the page,
// and the hostile name is text, not markup.
func TestReportInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	bin := chromium(t)
	dir := t.TempDir()

	// First prove that a console message is seen: a page whose script the
	// same policy blocks.
	canary := writeFile(t, dir, "canary.html", `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'"></head><body><script>console.error("canary")</script></body></html>`)
	if _, console := browse(t, bin, canary); len(console) == 0 {
		t.Fatal("the canary page's blocked script left no console message: console errors cannot be detected this way")
	}

	sample, err := os.ReadFile("../../samples/new_hires.csv")
	if err != nil {
		t.Fatal(err)
	}
	const hostile = `<script>console.error('xss')</script>`
	in := writeFile(t, dir, "new_hires.csv", string(sample)+"E9999,xss1,Start-2026x,"+hostile+",1,AGENTS,,,,,hostile name\n")
	got := invoke(t, nil, "demo", in)
	if got.code != exitOK {
		t.Fatalf("demo: exit %d\n%s", got.code, got.stderr)
	}
	page := filepath.Join(dir, "new_hires.results.html")
	dom, console := browse(t, bin, page)
	if len(console) > 0 {
		t.Errorf("the report logged to the console:\n%s", strings.Join(console, "\n"))
	}
	fix, _ := report.ReasonFor(string(vicidial.ReasonTemplateNotFound))
	for _, want := range []string{
		"vicionboard run: 26 rows", "7 rows need a person", ">19</text>", // the SUCCESS bar's count
		fix.Fix, "&lt;script&gt;console.error('xss')&lt;/script&gt;",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered page lacks %q", want)
		}
	}
	if strings.Contains(dom, "<script") {
		t.Error("the rendered page has a <script> element: the hostile name became markup")
	}

	// An HR export through a mapping: the rows the mapping could not map
	// are named from HR's columns, and their fix goes to the mapping.
	hrPage := hrReport(t, dir)
	dom, console = browse(t, bin, hrPage)
	if len(console) > 0 {
		t.Errorf("the HR report logged to the console:\n%s", strings.Join(console, "\n"))
	}
	for _, want := range hrReportRows {
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered HR report lacks %q", want)
		}
	}
}

// hrReportRows are what the report of hrReport's run must show: the
// INVALID rows named from HR's key and name columns (the preferred name
// first), their fix in the mapping, and headers that do not wrap.
var hrReportRows = []string{
	`<td class="key">E2006</td><td class="name">Mary Lee</td><td class="login"><span class="none">none</span></td>`,
	`<td class="key">E2009</td><td class="name">Bo Hill</td>`,
	`<td class="where">the mapping</td>`,
	"add it to the mapping (or give a default); then run the same command again",
	"thead th { background: #f5f5f5; font-weight: 600; white-space: nowrap;",
}

// hrReport runs the demo on samples/hr_export.csv, with two more rows,
// through samples/hr_mapping.yaml without the default of its department
// map: the rows of departments the map lacks are INVALID. It returns the
// HTML report's path.
func hrReport(t *testing.T, dir string) string {
	t.Helper()
	export, err := os.ReadFile("../../samples/hr_export.csv")
	if err != nil {
		t.Fatal(err)
	}
	mapping, err := os.ReadFile("../../samples/hr_mapping.yaml")
	if err != nil {
		t.Fatal(err)
	}
	noDefault := strings.Replace(string(mapping), "map: {Sales: SALES, Customer Care: SUPPORT}, default: AGENTS}", "map: {Sales: SALES, Customer Care: SUPPORT}}", 1)
	if noDefault == string(mapping) {
		t.Fatal("the sample mapping's department map changed: update this test")
	}
	in := writeFile(t, dir, "hr.csv", string(export)+"E2009,Robert,Hill,Bo,bo.hill@example.com,Marketing,Sales Agent,Maria Garcia,2026-12-03,York,\n")
	m := writeFile(t, dir, "hr.yaml", noDefault)
	got := invoke(t, nil, "demo", in, "--map", m)
	if got.code != exitOK {
		t.Fatalf("demo: exit %d\n%s", got.code, got.stderr)
	}
	return filepath.Join(dir, "hr.results.html")
}

// TestHRReportNamesEveryRow: the report of an HR export names every row
// from HR's own columns, even a row the mapping could not map, and says
// that its fix goes to the mapping.
func TestHRReportNamesEveryRow(t *testing.T) {
	b, err := os.ReadFile(hrReport(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range hrReportRows {
		if !strings.Contains(string(b), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(string(b), "then feed the result file back in") {
		t.Errorf("the report of a mapped export tells HR to feed the result file back in")
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writes, as os.Stderr
// is: a run logs from its workers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
