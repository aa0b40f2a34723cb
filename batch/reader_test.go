package batch_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vicionboard/vicionboard/batch"
)

// readAll reads every row of csv.
func readAll(t *testing.T, csv string) (*batch.Reader, []batch.Row) {
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
		{"agent_user,agent_pass\n", `"agent_full_name" is missing`},
		{"agent_user,agent_pass,agent_full_name\n", "template"},
		{"agent_user,agent_pass,agent_full_name,template,Agent_User\n", "input.csv:1:5"},
		{"agent_user,agent_pass,agent_full_name,template,\n", "empty column name"},
	}
	for _, tt := range tests {
		_, err := batch.NewReader(strings.NewReader(tt.csv), "input.csv")
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

func TestReaderCloseEarly(t *testing.T) {
	var b strings.Builder
	b.WriteString("agent_user,agent_pass,agent_full_name,template\n")
	for i := 0; i < 100; i++ {
		b.WriteString("a,pw,N,5555\n")
	}
	r, err := batch.NewReader(strings.NewReader(b.String()), "in.csv")
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

func FuzzReader(f *testing.F) {
	f.Add("agent_user,agent_pass,agent_full_name,template\na,secretpw1,N,5555\n")
	f.Add("\uFEFFagent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group\r\na,secretpw1,\"N\nM\",1,G\r\n\r\n")
	f.Add("agent_user,agent_pass,agent_full_name,template\na,secretpw1,N\"x,5555\nb,secretpw1,N,5555,extra\n")
	f.Add("agent_user,agent_pass,agent_full_name,template,result_status\na,secretpw1,'=N,5555,SUCCESS\n")
	f.Add("agent_user,agent_pass,agent_full_name,template\n\"a,secretpw1,N,5555\n")
	f.Fuzz(func(t *testing.T, in string) {
		r, err := batch.NewReader(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			return
		}
		defer r.Close()
		last := 1
		for n := 0; n < 10000; n++ {
			row, err := r.Next()
			if err != nil {
				return
			}
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
	})
}
