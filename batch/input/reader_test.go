package input_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/input"
)

// readAll reads every row of csv.
func readAll(t *testing.T, csv string) (*input.Reader, []batch.Row) {
	t.Helper()
	r := reader(t, csv)
	var rows []batch.Row
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return r, rows
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rows = append(rows, row)
	}
}

func TestReaderNormalisesHeaderAndValues(t *testing.T) {
	csv := "\uFEFF Agent_User , AGENT_PASS,agent_full_name,Source_User,Employee ID\r\n" +
		"  jsmith ,Start-2026a,  Jane Smith ,5555,E1\r\n"
	r, rows := readAll(t, csv)
	if diff := cmp.Diff([]string{"Agent_User", "AGENT_PASS", "agent_full_name", "Source_User", "Employee ID"}, r.Columns()); diff != "" {
		t.Errorf("Columns (-want +got):\n%s", diff)
	}
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	f := rows[0].Fields
	if f.Login != "jsmith" || f.Pass != "Start-2026a" || f.FullName != "Jane Smith" || f.Template != "5555" {
		t.Errorf("Fields = %+v", f)
	}
	if rows[0].Cells[0] != "  jsmith " || rows[0].Cells[4] != "E1" {
		t.Errorf("Cells %q: must be unchanged", rows[0].Cells)
	}
}

func TestReaderLineNumbers(t *testing.T) {
	csv := "agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group\n" + // line 1
		"a1,pw,One,1,AGENTS\n" + // 2
		"\n" + // 3 blank
		",,,,\n" + // 4 all empty
		"a2,pw,\"Two\nLines\",1,AGENTS\n" + // 5-6
		"a3,pw,Three,1\n" + // 7 short
		"a4,pw,Four,1,AGENTS,extra\n" + // 8 long
		"a5,pw,Fi\"ve,1,AGENTS\n" + // 9 bare quote
		"a6,pw,Six,1,AGENTS\n" // 10
	_, rows := readAll(t, csv)
	wantLines := []int{2, 5, 7, 8, 9, 10}
	if len(rows) != len(wantLines) {
		t.Fatalf("%d rows, want %d", len(rows), len(wantLines))
	}
	for i, row := range rows {
		if row.Line != wantLines[i] || row.Seq != i {
			t.Errorf("row %d: line %d seq %d, want line %d", i, row.Line, row.Seq, wantLines[i])
		}
		if len(row.Cells) != 5 {
			t.Errorf("row %d: %d cells, want 5", i, len(row.Cells))
		}
	}
	for _, i := range []int{2, 3, 4} {
		if rows[i].Err == nil {
			t.Errorf("line %d: want a row error", rows[i].Line)
			continue
		}
		if !strings.HasPrefix(rows[i].Err.Error(), "input.csv:") || rows[i].Err.Line != rows[i].Line {
			t.Errorf("line %d: error %q should name the file and line", rows[i].Line, rows[i].Err)
		}
	}
	if rows[1].Fields.FullName != "Two\nLines" || rows[5].Fields.Login != "a6" {
		t.Errorf("rows after bad ones misread: %+v / %+v", rows[1].Fields, rows[5].Fields)
	}
	if rows[4].Err.Column == 0 {
		t.Errorf("bare quote error %q should name the column", rows[4].Err)
	}
}

func TestReaderHeaderErrors(t *testing.T) {
	tests := []struct {
		csv, want string
	}{
		{"", "empty file"},
		{"agent_user,agent_pass\n", `required columns missing: agent_full_name (found: agent_user, agent_pass)`},
		{"agent_user,agent_pass,agent_full_name\n", "template"},
		{"agent_user,agent_pass,agent_full_name,template,Agent_User\n", "input.csv:1:5"},
		{"agent_user,agent_pass,agent_full_name,template,\n", "empty column name"},
		{"agent_user;agent_pass,agent_full_name,template\n", `contains a ";": mixed delimiters?`},
		{"agent_user\tagent_pass,agent_full_name,template\n", "contains a tab: mixed delimiters?"},
	}
	for _, tt := range tests {
		_, err := input.NewReader(strings.NewReader(tt.csv), "input.csv")
		var inErr *batch.InputError
		if !errors.As(err, &inErr) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewReader(%q) error %v, want an InputError containing %q", tt.csv, err, tt.want)
		}
	}
}

func TestReaderResultFile(t *testing.T) {
	csv := "agent_user,agent_pass,agent_full_name,template,notes,result_status,result_login,result_reason,result_warnings,result_row,result_at\n" +
		"a1,pw,One,5555,'=1+1,SUCCESS,a1,created (CREATED),,2,2026-11-22T09:57:27Z\n" +
		"a2,pw,Two,5555,'plain,ERROR,,group (GROUP_NOT_FOUND),,3,2026-11-22T09:57:27Z\n" +
		"a3,pw,Three,5555,''-x,,,,,,\n"
	r, rows := readAll(t, csv)
	if !r.IsResultFile() {
		t.Error("IsResultFile = false")
	}
	if diff := cmp.Diff([]string{"agent_user", "agent_pass", "agent_full_name", "template", "notes"}, r.Columns()); diff != "" {
		t.Errorf("Columns (-want +got):\n%s", diff)
	}
	if p := rows[0].Prior; p == nil || p.Status != "SUCCESS" || p.Login != "a1" || p.At != "2026-11-22T09:57:27Z" {
		t.Errorf("Prior = %+v", p)
	}
	if got := rows[0].Cells[4]; got != "=1+1" {
		t.Errorf("defused cell read back as %q, want =1+1", got)
	}
	if got := rows[1].Cells[4]; got != "'plain" {
		t.Errorf("cell %q: a ' before a harmless character must stay", got)
	}
	if got := rows[2].Cells[4]; got != "'-x" {
		t.Errorf("cell %q, want '-x (one ' removed)", got)
	}
	if rows[2].Prior != nil {
		t.Errorf("a row without a status has Prior %+v", rows[2].Prior)
	}
}

// TestReaderResultFileOfSeveralServers: the result file of a job with
// several servers reads back with each row's server (result_server), which
// is a result column, not one of the input's.
func TestReaderResultFileOfSeveralServers(t *testing.T) {
	csv := "agent_user,agent_pass,agent_full_name,template,server,result_status,result_login,result_reason,result_warnings,result_row,result_at,result_server\n" +
		"a1,pw,One,5555,Leeds,SUCCESS,a1,created (CREATED),,2,2026-11-22T09:57:27Z,leeds\n"
	r, rows := readAll(t, csv)
	if diff := cmp.Diff([]string{"agent_user", "agent_pass", "agent_full_name", "template", "server"}, r.Columns()); diff != "" {
		t.Errorf("Columns (-want +got):\n%s", diff)
	}
	if p := rows[0].Prior; p == nil || p.Server != "leeds" || rows[0].Fields.Server != "Leeds" {
		t.Errorf("Prior = %+v, server field %q: want result_server leeds and the row's own Leeds", p, rows[0].Fields.Server)
	}
}

func TestReaderCloseEarly(t *testing.T) {
	var b strings.Builder
	b.WriteString("agent_user,agent_pass,agent_full_name,template\n")
	for i := 0; i < 100; i++ {
		b.WriteString("a,pw,N,5555\n")
	}
	r, err := input.NewReader(strings.NewReader(b.String()), "in.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestReaderDelimiter(t *testing.T) {
	tests := []struct {
		name, csv string
		comma     rune
		login     string
		fullName  string
		cells     []string
	}{
		{"semicolon", "agent_user;agent_pass;agent_full_name;template;Site\r\n jdoe ;pw,1;Doe, Jane;5555;Paris\r\n",
			';', "jdoe", "Doe, Jane", []string{" jdoe ", "pw,1", "Doe, Jane", "5555", "Paris"}},
		{"tab", "agent_user\tagent_pass\tagent_full_name\ttemplate\tSite\njdoe\tpw;1\tDoe, Jane\t5555\tParis\n",
			'\t', "jdoe", "Doe, Jane", []string{"jdoe", "pw;1", "Doe, Jane", "5555", "Paris"}},
		{"comma with ; in values", "agent_user,agent_pass,agent_full_name,template,Site\njdoe,pw;1,Doe; Jane,5555,Paris;Lyon\n",
			',', "jdoe", "Doe; Jane", []string{"jdoe", "pw;1", "Doe; Jane", "5555", "Paris;Lyon"}},
		{"comma with ; in a quoted header", "agent_user,agent_pass,agent_full_name,template,\"Site;Floor\"\njdoe,pw,Jane,5555,P;2\n",
			',', "jdoe", "Jane", []string{"jdoe", "pw", "Jane", "5555", "P;2"}},
		{"semicolon with a quoted header comma", "\"agent_user\";\"agent_pass\";\"agent_full_name\";\"template\";\"Site, Floor\"\njdoe;pw;Jane;5555;\"Paris, 2\"\n",
			';', "jdoe", "Jane", []string{"jdoe", "pw", "Jane", "5555", "Paris, 2"}},
		{"semicolon with BOM", "\uFEFFagent_user;agent_pass;agent_full_name;template;Site\njdoe;pw;Jane;5555;Paris\n",
			';', "jdoe", "Jane", []string{"jdoe", "pw", "Jane", "5555", "Paris"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, rows := readAll(t, tt.csv)
			if got, want := r.Comma(), tt.comma; got != want {
				t.Errorf("Comma = %q, want %q", got, want)
			}
			if got, want := len(r.Columns()), 5; got != want {
				t.Fatalf("%d columns %q, want %d", got, r.Columns(), want)
			}
			if len(rows) != 1 || rows[0].Err != nil {
				t.Fatalf("rows = %+v, want one good row", rows)
			}
			if got, want := rows[0].Fields.Login, tt.login; got != want {
				t.Errorf("Login = %q, want %q", got, want)
			}
			if got, want := rows[0].Fields.FullName, tt.fullName; got != want {
				t.Errorf("FullName = %q, want %q", got, want)
			}
			if diff := cmp.Diff(tt.cells, rows[0].Cells); diff != "" {
				t.Errorf("Cells (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReaderDelimiterLineNumbers(t *testing.T) {
	csv := "agent_user;agent_pass;agent_full_name;template\n" + // line 1
		"a1;pw;One;5555\n" + // 2
		"\n" + // 3 blank
		"a2;pw;\"Two\nLines\";5555\n" + // 4-5
		"a3;pw;Three\n" + // 6 short
		"a4;pw;Fo;ur;5555\n" + // 7 long
		"a5;pw;F\xfcnf;5555\n" // 8
	tests := []struct {
		name, csv, enc string
	}{
		{"UTF-8", strings.ReplaceAll(csv, "\xfc", "ü"), "UTF-8"},
		{"Windows-1252 CRLF", strings.ReplaceAll(csv, "\n", "\r\n"), "Windows-1252"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, rows := readAll(t, tt.csv)
			if got, want := r.Encoding(), tt.enc; got != want {
				t.Errorf("Encoding = %q, want %q", got, want)
			}
			var got []int
			for _, row := range rows {
				got = append(got, row.Line)
			}
			if diff := cmp.Diff([]int{2, 4, 6, 7, 8}, got); diff != "" {
				t.Fatalf("lines (-want +got):\n%s", diff)
			}
			for _, i := range []int{2, 3} {
				if rows[i].Err == nil || rows[i].Err.Line != rows[i].Line {
					t.Errorf("line %d: error %v, want one on that line", rows[i].Line, rows[i].Err)
				}
			}
			if got, want := rows[3].Err.Error(), `input.csv:7:5: row has 5 fields, header has 4 (an unquoted ";" in a value?)`; got != want {
				t.Errorf("error %q, want %q", got, want)
			}
			if got, want := rows[1].Fields.FullName, "Two\nLines"; got != want {
				t.Errorf("FullName = %q, want %q", got, want)
			}
			if got, want := rows[4].Fields.FullName, "Fünf"; got != want {
				t.Errorf("FullName = %q, want %q", got, want)
			}
		})
	}
}

func TestReaderEncoding(t *testing.T) {
	const header = "agent_user,agent_pass,agent_full_name,template\n"
	// boundary puts the 3 bytes of "€" at offsets 65535-65537: the first
	// 64 KiB end inside the character.
	pad := header + "a0,pw,,5555\na1,pw,"
	boundary := header + "a0,pw," + strings.Repeat("x", 65535-len(pad)) + ",5555\na1,pw,€ José Müller,5555\n"
	if i := strings.Index(boundary, "€"); i != 65535 {
		t.Fatalf("€ at %d", i)
	}
	tests := []struct {
		name, csv, enc, fullName string
	}{
		{"Windows-1252", header + "a0,pw,x,5555\na1,pw,Jos\xe9 M\xfcller \x80,5555\n", "Windows-1252", "José Müller €"},
		{"Windows-1252 semicolon", "agent_user;agent_pass;agent_full_name;template\r\na0;pw;x;5555\r\na1;pw;Jos\xe9 M\xfcller;5555\r\n",
			"Windows-1252", "José Müller"},
		{"UTF-8", header + "a0,pw,x,5555\na1,pw,José Müller,5555\n", "UTF-8", "José Müller"},
		{"UTF-8 with BOM", "\uFEFF" + header + "a0,pw,x,5555\na1,pw,José Müller,5555\n", "UTF-8", "José Müller"},
		{"UTF-8 cut at 64 KiB", boundary, "UTF-8", "€ José Müller"},
		{"UTF-8, bad byte after 64 KiB", header + "a0,pw," + strings.Repeat("x", 70000) + ",5555\na1,pw,Jos\xe9,5555\n",
			"UTF-8", "Jos\xe9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, rows := readAll(t, tt.csv)
			if got, want := r.Encoding(), tt.enc; got != want {
				t.Errorf("Encoding = %q, want %q", got, want)
			}
			if len(rows) != 2 || rows[1].Err != nil {
				t.Fatalf("rows = %+v, want two good rows", rows)
			}
			if got, want := rows[1].Fields.FullName, tt.fullName; got != want {
				t.Errorf("FullName = %q, want %q", got, want)
			}
			if got, want := rows[1].Cells[2], tt.fullName; got != want {
				t.Errorf("Cells[2] = %q, want %q", got, want)
			}
			if got, want := rows[1].Line, 3; got != want {
				t.Errorf("Line = %d, want %d", got, want)
			}
		})
	}
}

// TestReaderBOM: a UTF-8 BOM is dropped from the stream, so a quoted first
// header cell still parses, and BOM reports it (the result file then gets
// one too, for Excel).
func TestReaderBOM(t *testing.T) {
	tests := []struct {
		name, csv string
		wantBOM   bool
	}{
		{"bom, quoted header", "\uFEFF\"agent_user\",\"agent_pass\",\"agent_full_name\",\"template\"\n\"jdoe\",\"pass12\",\"Jane Doe\",\"5555\"\n", true},
		{"bom, plain header", "\uFEFFagent_user,agent_pass,agent_full_name,template\njdoe,pass12,Jane Doe,5555\n", true},
		{"no bom", "agent_user,agent_pass,agent_full_name,template\njdoe,pass12,Jane Doe,5555\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, rows := readAll(t, tt.csv)
			if got := r.BOM(); got != tt.wantBOM {
				t.Errorf("BOM() = %v, want %v", got, tt.wantBOM)
			}
			if got, want := r.Columns()[0], "agent_user"; got != want {
				t.Errorf("first column %q, want %q", got, want)
			}
			if len(rows) != 1 || rows[0].Err != nil || rows[0].Fields.Login != "jdoe" {
				t.Fatalf("rows = %+v, want one row for jdoe", rows)
			}
		})
	}
}

func FuzzReader(f *testing.F) {
	f.Add("agent_user,agent_pass,agent_full_name,template\na,secretpw1,N,5555\n")
	f.Add("\uFEFFagent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group\r\na,secretpw1,\"N\nM\",1,G\r\n\r\n")
	f.Add("agent_user,agent_pass,agent_full_name,template\na,secretpw1,N\"x,5555\nb,secretpw1,N,5555,extra\n")
	f.Add("agent_user,agent_pass,agent_full_name,template,result_status\na,secretpw1,'=N,5555,SUCCESS\n")
	f.Add("agent_user,agent_pass,agent_full_name,template\n\"a,secretpw1,N,5555\n")
	f.Add("agent_user;agent_pass;agent_full_name;template\r\na;secretpw1;\"N;M\";5555\r\n\r\nb;secretpw1;N\r\n")
	f.Add("agent_user,agent_pass,agent_full_name,template\na,secretpw1,Jos\xe9 M\xfcller \x80,5555\n")
	// CR-only line ends, quotes that do not close, bare quotes, UTF-16.
	f.Add("agent_user,agent_pass,agent_full_name,template\ra,secretpw1,N,5555\r\rb,secretpw1,\"N\rM\",5555\r")
	f.Add("agent_user,agent_pass,agent_full_name,template\na,secretpw1,\"Bob Two,5555\nb,secretpw1,N,5555\nc,secretpw1,N,5555\n")
	f.Add("agent_user,agent_pass,agent_full_name,template\na,secretpw1,\"Bob\nb,secretpw1,Two\",5555,x\nc,secretpw1,N,5555\n")
	f.Add("agent_user,agent_pass,agent_full_name,template\r\na,secretpw1,Bob \"Two\" Smith,5555\r\nb,secretpw1,\"Bob\" Two,5555\r\n")
	f.Add("agent_user,agent_pass,agent_full_name,template\na,secretpw1,\"N\r\r\nM \"\"x\"\"\",5555\n\"\n")
	f.Add("\xff\xfea\x00g\x00e\x00n\x00t\x00_\x00u\x00s\x00e\x00r\x00\t\x00")
	f.Fuzz(func(t *testing.T, in string) {
		r, err := input.NewReader(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			return
		}
		defer r.Close()
		last := 1
		var rows []batch.Row
		for n := 0; n < 10000; n++ {
			row, err := r.Next()
			if err != nil {
				break
			}
			rows = append(rows, row)
			if row.Line <= last {
				t.Fatalf("line %d after line %d", row.Line, last)
			}
			last = row.Line
			if len(row.Cells) != len(r.Columns()) {
				t.Fatalf("%d cells for %d columns", len(row.Cells), len(r.Columns()))
			}
			if row.Err != nil && strings.Contains(row.Err.Error(), "secretpw1") {
				t.Fatalf("password in %q", row.Err)
			}
		}
		checkEveryLineOnce(t, in, r, rows)
	})
}

// checkEveryLineOnce asserts that every physical line of in after the
// header that has a visible character (not a quote or a delimiter) is
// part of exactly one row: a row spans its first line and one more per
// line break in its cells. It checks nothing when the header's own extent
// is not known for sure (a quote in it), nor for UTF-16 input or result
// files (whose result_* cells are not in Cells).
func checkEveryLineOnce(t *testing.T, in string, r *input.Reader, rows []batch.Row) {
	t.Helper()
	if r.Encoding() == input.EncodingUTF16LE || r.Encoding() == input.EncodingUTF16BE {
		return
	}
	lines := physicalLines(in)
	if len(lines) == 0 || lines[0] == "" || strings.Contains(lines[0], `"`) || strings.Contains(strings.ToLower(lines[0]), "result_") {
		return
	}
	covered := make([]int, len(lines)+1) // by line number
	for _, row := range rows {
		span := 1
		for _, c := range row.Cells {
			span += strings.Count(c, "\n") + strings.Count(c, "\r")
		}
		for l := row.Line; l < row.Line+span; l++ {
			if l >= len(covered) {
				t.Fatalf("row on line %d spans %d lines: past the end (%d lines)", row.Line, span, len(lines))
			}
			covered[l]++
		}
	}
	for i, ln := range lines[1:] {
		n := i + 2
		if covered[n] > 1 {
			t.Fatalf("line %d is in %d rows", n, covered[n])
		}
		if covered[n] == 0 && strings.IndexFunc(ln, visible) >= 0 {
			t.Fatalf("line %d (%q) is in no row", n, ln)
		}
	}
}

// visible reports whether c is a printable ASCII character that is not
// a quote or a delimiter: a line holding one is never blank.
func visible(c rune) bool {
	return c > ' ' && c < 0x7f && c != '"' && c != ',' && c != ';'
}

// physicalLines splits s at every LF, CRLF and lone CR.
func physicalLines(s string) []string {
	var lines []string
	for s != "" {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i])
		if strings.HasPrefix(s[i:], "\r\n") {
			i++
		}
		s = s[i+1:]
	}
	return lines
}
