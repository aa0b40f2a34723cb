package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
)

// hardeningHeader is the header of the inputs below; the result file adds
// the result_* columns to it.
const hardeningHeader = "employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group"

// checkOffline runs the binary's offline check of in (no server in its
// environment) and returns its exit code and stderr.
func checkOffline(t *testing.T, in, out string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary(t), "check", in, "--out", out, "--log-format", "json")
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	return exitOf(err), stderr.String()
}

// readResult reads a result file written with comma, its BOM dropped.
func readResult(t *testing.T, path string, comma rune) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\uFEFF"))))
	r.Comma = comma
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("result file: %v", err)
	}
	return recs
}

// utf16LE is s in UTF-16 LE with a byte order mark, as Excel's "Unicode
// Text" writes it.
func utf16LE(s string) []byte {
	b := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

// TestCheckReadsEveryRowOnce: files in the shapes HR tools write (CR-only
// line ends, an unclosed quote, UTF-16) give a result file whose header is
// the input's and which holds exactly one row per input row, on its line.
func TestCheckReadsEveryRowOnce(t *testing.T) {
	rows := []string{
		"E1,cr001,Start-2026a,Ann One,1,AGENTS",
		"E2,cr002,Start-2026b,Bob Two,1,AGENTS",
		"E3,cr003,Start-2026c,Cid Three,1,AGENTS",
		"E4,cr004,Start-2026d,Dee Four,1,AGENTS",
		"E5,cr005,Start-2026e,Eve Five,1,AGENTS",
	}
	quoted := append([]string(nil), rows...)
	quoted[2] = `E3,cr003,Start-2026c,"Cid Three,1,AGENTS`
	bare := append([]string(nil), rows...)
	bare[1] = `E2,cr002,Start-2026b,Bob "Two" Smith,1,AGENTS`
	tsv := strings.ReplaceAll(hardeningHeader+"\r\n"+strings.Join(rows, "\r\n")+"\r\n", ",", "\t")
	tests := []struct {
		name    string
		content []byte
		comma   rune
		code    int
		invalid string // employee_id of the INVALID row, if any
	}{
		{"CR-only line ends", []byte(hardeningHeader + "\r" + strings.Join(rows, "\r") + "\r"), ',', exitOK, ""},
		{"unclosed quote", []byte(hardeningHeader + "\n" + strings.Join(quoted, "\n") + "\n"), ',', exitRowsFailed, "E3"},
		{"bare quote", []byte(hardeningHeader + "\r\n" + strings.Join(bare, "\r\n") + "\r\n"), ',', exitRowsFailed, "E2"},
		{"UTF-16 LE with BOM, tab-separated", utf16LE(tsv), '\t', exitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "hires.csv")
			if err := os.WriteFile(in, tt.content, 0o600); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "hires.check.csv")
			code, stderr := checkOffline(t, in, out)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			recs := readResult(t, out, tt.comma)
			wantHeader := hardeningHeader + ",result_status,result_login,result_reason,result_warnings,result_row,result_at"
			if got := strings.Join(recs[0], ","); got != wantHeader {
				t.Errorf("result header %q\nwant %q", got, wantHeader)
			}
			if len(recs)-1 != len(rows) {
				t.Fatalf("%d result rows, want %d: %q", len(recs)-1, len(rows), recs[1:])
			}
			for i, rec := range recs[1:] {
				id, status, line := rec[0], rec[6], rec[10]
				want := "VALID"
				if id == tt.invalid {
					want = "INVALID"
				}
				if id != "E"+string(rune('1'+i)) || status != want || line != string(rune('2'+i)) {
					t.Errorf("result row %d = %q, want E%d %s on line %d", i+1, rec, i+1, want, i+2)
				}
				if status == "INVALID" && !strings.Contains(rec[8], "hires.csv:"+line+":4:") {
					t.Errorf("reason %q should name hires.csv, line %s, column 4", rec[8], line)
				}
			}
			if strings.Contains(stderr, "Start-2026") {
				t.Errorf("a password appears in stderr:\n%s", stderr)
			}
		})
	}
}

// TestCheckRefusesOtherFormats: a workbook, a PDF, a binary file or UTF-16
// without a BOM is refused with exit 2 and a message saying what it is; no
// result file is written.
func TestCheckRefusesOtherFormats(t *testing.T) {
	utf16NoBOM := utf16LE(hardeningHeader + "\r\nE1,cr001,Start-2026a,Ann One,1,AGENTS\r\n")[2:]
	tests := []struct {
		name, content, want string
	}{
		{"broken xlsx", "PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml\x00xl/workbook.xml", "not a readable .xlsx workbook"},
		{"xls", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00\x00\x00", "Excel 97-2003 workbook (.xls), which is not read: save it as .xlsx"},
		{"pdf", "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "PDF document"},
		{"binary", hardeningHeader + "\x00\x00\x01\x02\n", "binary file"},
		{"UTF-16 without BOM", string(utf16NoBOM), "looks like UTF-16 without a byte order mark"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			in := writeFile(t, dir, "hires.csv", tt.content)
			out := filepath.Join(dir, "hires.check.csv")
			code, stderr := checkOffline(t, in, out)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr, "hires.csv:1: ") || !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr does not say hires.csv:1: ... %s:\n%s", tt.want, stderr)
			}
			if strings.Contains(stderr, "missing") {
				t.Errorf("stderr talks of missing columns:\n%s", stderr)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("result file written for an unreadable input: %v", err)
			}
		})
	}
}
