package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hostileTimeout bounds a command that must be refused at once: one that
// reads /dev/zero or waits for a FIFO's writer runs until it is killed.
const hostileTimeout = 20 * time.Second

// binRunBounded is binRun, with the process killed after hostileTimeout
// (the test then fails), with its own temporary directory tmp.
func binRunBounded(t *testing.T, tmp string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hostileTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), args...)
	cmd.Env = binEnv(t, append([]string{"TMPDIR=" + tmp}, env...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%v: still running after %v: killed", args, hostileTimeout)
	}
	return result{exitOf(err), stdout.String(), stderr.String()}
}

// leftIn returns the names in dir, but those of keep.
func leftIn(t *testing.T, dir string, keep ...string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range ents {
		if !contains(keep, e.Name()) {
			left = append(left, e.Name())
		}
	}
	return left
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

const hostileCSV = "employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group\nE1,jsmith,Start-2026a,Jane Smith,1,AGENTS\n"

// TestHostileMappingAndProfile: a mapping or a profile that is a device, a
// FIFO (with no writer) or a file over 1 MiB is refused at once, exit 2,
// naming the file; a mapping saved in Windows-1252 is refused with its line
// and column and "save it as UTF-8"; a password file is read up to its
// first line, within 4 KiB.
func TestHostileMappingAndProfile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	in := writeFile(t, dir, "hr.csv", hostileCSV)
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := writeFile(t, dir, "big.yaml", "key: employee_id\n# "+strings.Repeat("x", 1<<20)+"\n")
	cp1252 := writeFile(t, dir, "cp1252.yaml", "key: employee_id\nagent_user_group: {from: agent_user_group, map: {Ventes: SALES, \xc9quipe: AGENTS}, default: AGENTS}\n")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"map /dev/zero", []string{"--map", "/dev/zero"}, []string{"/dev/zero", "not a regular file"}},
		{"profile /dev/zero", []string{"--profile", "/dev/zero"}, []string{"/dev/zero", "not a regular file"}},
		{"map FIFO", []string{"--map", fifo}, []string{fifo, "not a regular file (a FIFO)"}},
		{"profile FIFO", []string{"--profile", fifo}, []string{fifo, "not a regular file (a FIFO)"}},
		{"map over 1 MiB", []string{"--map", big}, []string{big, "larger than 1024 KiB"}},
		{"profile over 1 MiB", []string{"--profile", big}, []string{big, "larger than 1024 KiB"}},
		{"map in Windows-1252", []string{"--map", cp1252}, []string{cp1252 + ":2: column 65: not UTF-8", "save it as UTF-8"}},
		{"api-pass-file /dev/zero", []string{"--url", "http://127.0.0.1:9/", "--api-user", "6666", "--api-pass-file", "/dev/zero"},
			[]string{"/dev/zero", "not a password file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"check", in, "--out", filepath.Join(t.TempDir(), "c.csv"), "--log-format", "console"}, tt.args...)
			got := binRunBounded(t, t.TempDir(), nil, args...)
			if got.code != exitUsage {
				t.Errorf("exit %d, want %d\n%s", got.code, exitUsage, got.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(got.stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, got.stderr)
				}
			}
		})
	}
}

// TestHostileInput: an input that is not a regular file is copied aside
// up to --spool-limit, a binary stream is refused after its first bytes,
// and neither leaves its copy behind.
func TestHostileInput(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	for _, dev := range []string{"/dev/zero", "/dev/urandom"} {
		t.Run(dev, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r.csv")
			got := binRunBounded(t, t.TempDir(), nil, "check", dev, "--out", out, "--log-format", "console")
			if got.code != exitUsage || !strings.Contains(got.stderr, "binary file") || !strings.Contains(got.stderr, "refused after its first 65536 bytes") {
				t.Errorf("exit %d, want %d refusing a binary stream:\n%s", got.code, exitUsage, got.stderr)
			}
			if left := leftIn(t, filepath.Dir(out), "r.csv.lock"); len(left) > 0 {
				t.Errorf("left beside the result file: %v", left)
			}
		})
	}
	t.Run("a pipe past --spool-limit", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "r.csv")
		ctx, cancel := context.WithTimeout(context.Background(), hostileTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, binary(t), "check", "/dev/stdin", "--out", out, "--spool-limit", "1MiB", "--log-format", "console")
		cmd.Env = binEnv(t, "TMPDIR="+t.TempDir())
		cmd.Stdin = &endlessRows{} // a CSV that never ends
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		code := exitOf(cmd.Run())
		if code != exitUsage || !strings.Contains(stderr.String(), "--spool-limit 1.0 MiB") {
			t.Errorf("exit %d, want %d naming --spool-limit:\n%s", code, exitUsage, stderr.String())
		}
		if left := leftIn(t, filepath.Dir(out), "r.csv.lock"); len(left) > 0 {
			t.Errorf("left beside the result file: %v", left)
		}
	})
	t.Run("a pipe within the limit", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "r.csv")
		cmd := exec.Command(binary(t), "check", "/dev/stdin", "--out", out, "--log-format", "console")
		cmd.Env = binEnv(t, "TMPDIR="+t.TempDir())
		cmd.Stdin = strings.NewReader(hostileCSV)
		if b, err := cmd.CombinedOutput(); exitOf(err) != exitOK {
			t.Fatalf("exit %d:\n%s", exitOf(err), b)
		}
		if recs := readCSV(t, out); len(recs) != 2 || recs[1][6] != "VALID" {
			t.Errorf("result %v, want the one row VALID", recs)
		}
	})
}

// endlessRows is an endless CSV export.
type endlessRows struct{ n int }

func (r *endlessRows) Read(p []byte) (int, error) {
	var b bytes.Buffer
	if r.n == 0 {
		b.WriteString("employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group\n")
	}
	for b.Len() < len(p)-100 {
		r.n++
		fmt.Fprintf(&b, "E%d,user%d,Start-2026a,Agent Number %d,1,AGENTS\n", r.n, r.n, r.n)
	}
	return copy(p, b.Bytes()), nil
}

// TestSignalWhileWaitingForInput: a run whose input is a FIFO nobody
// writes to (or a pipe that gives nothing) stops at the first SIGTERM
// (exit 130), and a kill -9 meanwhile leaves its temporary folder and its
// copy of the input, which the next run removes.
func TestSignalWhileWaitingForInput(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and signals the binary")
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			dir, tmp := t.TempDir(), t.TempDir()
			out := filepath.Join(dir, "r.csv")
			cmd := exec.Command(binary(t), "check", "/dev/stdin", "--out", out, "--log-format", "json")
			cmd.Env = binEnv(t, "TMPDIR="+tmp)
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer pw.Close()
			cmd.Stdin = pr
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			pr.Close()
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			if _, err := pw.WriteString("employee_id,agent_user"); err != nil { // the start of a header, then nothing
				t.Fatal(err)
			}
			// Wait (for evidence, not a time) until the copy is begun.
			for deadline := time.Now().Add(hostileTimeout); ; time.Sleep(10 * time.Millisecond) {
				if m, _ := filepath.Glob(filepath.Join(dir, ".r.csv.input-*")); len(m) > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no copy of the input began:\n%s", stderr.String())
				}
			}
			_ = cmd.Process.Signal(sig)
			var code int
			select {
			case err := <-done:
				code = exitOf(err)
			case <-time.After(hostileTimeout):
				_ = cmd.Process.Kill()
				t.Fatalf("still running %v after %v", hostileTimeout, sig)
			}
			if sig == syscall.SIGTERM {
				if code != exitInterrupted {
					t.Errorf("exit %d after SIGTERM, want %d:\n%s", code, exitInterrupted, stderr.String())
				}
				jsonLines(t, "SIGTERM", stderr.String())
				if left := leftIn(t, dir, "r.csv.lock"); len(left) > 0 {
					t.Errorf("left beside the result file: %v", left)
				}
				if left := leftIn(t, tmp); len(left) > 0 {
					t.Errorf("left in TMPDIR: %v", left)
				}
				return
			}
			spool, _ := filepath.Glob(filepath.Join(dir, ".r.csv.input-*"))
			private, _ := filepath.Glob(filepath.Join(tmp, tempPrefix+"*"))
			if len(spool) != 1 || len(private) != 1 {
				t.Fatalf("after kill -9: copies %v, temporary folders %v; want one of each (the test proves nothing)", spool, private)
			}
			in := writeFile(t, dir, "hr.csv", hostileCSV)
			again := exec.Command(binary(t), "check", in, "--out", out, "--log-format", "json")
			again.Env = binEnv(t, "TMPDIR="+tmp)
			if b, err := again.CombinedOutput(); exitOf(err) != exitOK {
				t.Fatalf("the next run: exit %d\n%s", exitOf(err), b)
			}
			if left := leftIn(t, dir, "r.csv", "r.csv.lock", "r.html", "hr.csv"); len(left) > 0 {
				t.Errorf("the next run left the killed run's copy: %v", left)
			}
			if left := leftIn(t, tmp); len(left) > 0 {
				t.Errorf("the next run left the killed run's temporary folder: %v", left)
			}
		})
	}
}

// deflateBomb returns the raw deflate stream of prefix, then n times
// chunk, then suffix, and its size unpacked and its CRC-32: the repeated
// chunk is compressed once and its stream repeated, as a zip bomb is
// made, so that a test writes a few megabytes for gigabytes unpacked.
func deflateBomb(t *testing.T, prefix, chunk, suffix []byte, n int) ([]byte, uint64, uint32) {
	t.Helper()
	segment := func(data []byte, final bool) []byte {
		var b bytes.Buffer
		w, err := flate.NewWriter(&b, flate.BestCompression)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
		if final {
			w.Close()
		} else {
			w.Flush() // byte-aligned, not final: segments chain into one stream
		}
		return b.Bytes()
	}
	var out bytes.Buffer
	out.Write(segment(prefix, false))
	rep := segment(chunk, false)
	crc := crc32.Update(0, crc32.IEEETable, prefix)
	for range n {
		out.Write(rep)
		crc = crc32.Update(crc, crc32.IEEETable, chunk)
	}
	out.Write(segment(suffix, true))
	crc = crc32.Update(crc, crc32.IEEETable, suffix)
	return out.Bytes(), uint64(len(prefix)) + uint64(n)*uint64(len(chunk)) + uint64(len(suffix)), crc
}

// bombXLSX writes a workbook whose sheet (or shared strings) holds one
// cell of n times chunk.
func bombXLSX(t *testing.T, path string, inStrings bool, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	small := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
			`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`,
		"_rels/.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml": `<?xml version="1.0" encoding="UTF-8"?><workbook ` + ns + ` xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<sheets><sheet name="Hires" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
	}
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, small[name])
	}
	header := `<row r="1"><c r="A1" t="inlineStr"><is><t>agent_user</t></is></c><c r="B1" t="inlineStr"><is><t>agent_full_name</t></is></c></row>`
	chunk := bytes.Repeat([]byte("A"), 1<<20)
	bomb := func(name string, prefix, suffix string) {
		data, size, crc := deflateBomb(t, []byte(prefix), chunk, []byte(suffix), n)
		w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc,
			CompressedSize64: uint64(len(data)), UncompressedSize64: size})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	plain := func(name, content string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, content)
	}
	sheetStart := `<?xml version="1.0" encoding="UTF-8"?><worksheet ` + ns + `><sheetData>` + header
	if inStrings {
		plain("xl/worksheets/sheet1.xml", sheetStart+`<row r="2"><c r="A2" t="inlineStr"><is><t>jsmith</t></is></c><c r="B2" t="s"><v>0</v></c></row></sheetData></worksheet>`)
		bomb("xl/sharedStrings.xml", `<?xml version="1.0" encoding="UTF-8"?><sst `+ns+` count="1" uniqueCount="1"><si><t>`, `</t></si></sst>`)
	} else {
		bomb("xl/worksheets/sheet1.xml", sheetStart+`<row r="2"><c r="A2" t="inlineStr"><is><t>jsmith</t></is></c><c r="B2" t="inlineStr"><is><t>`,
			`</t></is></c></row></sheetData></worksheet>`)
		plain("xl/sharedStrings.xml", `<?xml version="1.0" encoding="UTF-8"?><sst `+ns+` count="0" uniqueCount="0"></sst>`)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestXLSXZipBomb: a 4 MB workbook whose sheet unpacks to 4 GB, and a 1 MB
// one with a 1 GB shared string, are refused (exit 2), without a crash,
// and leave no temporary file.
func TestXLSXZipBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	tests := []struct {
		name      string
		inStrings bool
		mib       int
	}{
		{"a 4 GB sheet", false, 4000},
		{"a 1 GB shared string", true, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, tmp := t.TempDir(), t.TempDir()
			in := filepath.Join(dir, "bomb.xlsx")
			bombXLSX(t, in, tt.inStrings, tt.mib)
			if st, _ := os.Stat(in); st.Size() > int64(tt.mib)<<10*2 {
				t.Fatalf("the bomb is %d bytes: not a bomb", st.Size())
			}
			got := binRunBounded(t, tmp, nil, "check", in, "--log-format", "console")
			if got.code != exitUsage || !strings.Contains(got.stderr, "zip bomb") || !strings.Contains(got.stderr, "bomb.xlsx:1:") {
				t.Errorf("exit %d, want %d refusing the workbook:\n%s", got.code, exitUsage, got.stderr)
			}
			if strings.Contains(got.stderr, "goroutine") || strings.Contains(got.stderr, "fatal error") {
				t.Errorf("a crash:\n%.2000s", got.stderr)
			}
			if left := leftIn(t, tmp); len(left) > 0 {
				t.Errorf("left in TMPDIR: %v", left)
			}
			if left := leftIn(t, dir, "bomb.xlsx", "bomb.check.xlsx.lock"); len(left) > 0 {
				t.Errorf("left beside the input: %v", left)
			}
		})
	}
}

// TestSecretsNeverQuoted: a password written where a profile or the
// command line expects something else (the name of its variable, the API
// user, the URL) is refused, exit 2, naming the line, and never quoted.
func TestSecretsNeverQuoted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	const secret = "Sup3rSecret"
	dir := t.TempDir()
	in := writeFile(t, dir, "hr.csv", hostileCSV)
	const base = "url: http://127.0.0.1:9/\n"
	tests := []struct {
		name    string
		profile string   // "" for none
		args    []string // more arguments
		env     []string
		want    string
	}{
		{"api_pass_env holds the password", base + "api_user: 6666\napi_pass_env: " + secret + "\n", nil, nil, "p.yaml:3: api_pass_env names the environment variable"},
		{"flags: api-pass-env holds it", base + "api_user: 6666\nflags: {api-pass-env: " + secret + "}\n", nil, nil, "p.yaml:3: flags: api-pass-env names the environment variable"},
		{"api_user is user:password", base + "api_user: \"6666:" + secret + "\"\napi_pass_env: VP\n", nil, nil, "p.yaml:2: api_user has a "},
		{"a ?pass= in the url", "url: \"http://127.0.0.1:9/vicidial/non_agent_api.php?user=6666&pass=" + secret + "\"\napi_user: 6666\n", nil, nil, "p.yaml:1: url: holds a password (its ?pass= parameter)"},
		{"a flag value", base + "api_user: 6666\nflags: {workers: " + secret + "}\n", nil, nil, "p.yaml:3: flags: workers: not a valid value for --workers"},
		{"--api-pass-env", "", []string{"--url", "http://127.0.0.1:9/", "--api-user", "6666", "--api-pass-env", secret}, nil, "--api-pass-env names the environment variable"},
		{"--api-user user:password", "", []string{"--url", "http://127.0.0.1:9/", "--api-user", "6666:" + secret}, []string{"VICIDIAL_API_PASS=1234"}, "the API user (--api-user, VICIDIAL_API_USER) has a "},
		{"VICIDIAL_API_USER user:password", "", []string{"--url", "http://127.0.0.1:9/"}, []string{"VICIDIAL_API_USER=6666:" + secret, "VICIDIAL_API_PASS=1234"}, "the API user (--api-user, VICIDIAL_API_USER) has a "},
		{"VICIDIAL_URL with ?pass=", "", []string{"--api-user", "6666"}, []string{"VICIDIAL_URL=http://127.0.0.1:9/?pass=" + secret, "VICIDIAL_API_PASS=1234"}, "holds a password (its ?pass= parameter)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"run", in, "--out", filepath.Join(t.TempDir(), "r.csv"), "--log-format", "json"}, tt.args...)
			if tt.profile != "" {
				args = append(args, "--profile", writeFile(t, t.TempDir(), "p.yaml", tt.profile))
			}
			got := binRunBounded(t, t.TempDir(), append([]string{"VP=1234"}, tt.env...), args...)
			if got.code != exitUsage || !strings.Contains(got.stderr, tt.want) {
				t.Errorf("exit %d, want %d saying %q:\n%s", got.code, exitUsage, tt.want, got.stderr)
			}
			if strings.Contains(got.stdout+got.stderr, secret) {
				t.Errorf("the secret is quoted:\n%s%s", got.stdout, got.stderr)
			}
		})
	}
}
