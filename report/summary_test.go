package report_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/report"
	"github.com/vicionboard/vicionboard/vicidial"
)

// add writes one row with login, full name and outcome to s.
func add(t *testing.T, s *report.Summary, line int, login, name string, out batch.Outcome) {
	t.Helper()
	row := batch.Row{Seq: line - 2, Line: line, Cells: []string{login, "Secret-pass-1", name},
		Fields: batch.Fields{Login: login, Pass: "Secret-pass-1", FullName: name}}
	if err := s.Write(row, out); err != nil {
		t.Fatal(err)
	}
}

func TestSummaryOneRow(t *testing.T) {
	s := report.NewSummary(nil)
	add(t, s, 2, "jsmith", "Jane Smith", batch.Outcome{Status: batch.StatusUnknown, Code: batch.CodeOutcomeUnknown})
	var buf bytes.Buffer
	if err := s.Print(&buf, "vicionboard run", ""); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"vicionboard run: 1 row\n", "ATTENTION: 1 row is UNKNOWN", "(line 2)"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "1 rows") || strings.Contains(out, "row(s)") {
		t.Errorf("summary says \"1 rows\" or \"row(s)\":\n%s", out)
	}
}

// TestSummaryWarningsAndCommonestProblem: the summary counts rows with
// warnings, names the commonest kind, and gives the commonest problem's
// fix from the reason table.
func TestSummaryWarningsAndCommonestProblem(t *testing.T) {
	s := report.NewSummary(nil)
	group := string(vicidial.ReasonGroupNotFound)
	add(t, s, 2, "a1", "A One", batch.Outcome{Status: batch.StatusSuccess, Code: batch.CodeCreated,
		Warnings: []string{`agent_full_name cleaned: "José" -> "Jose"`}})
	add(t, s, 3, "a2", "A Two", batch.Outcome{Status: batch.StatusSuccess, Code: batch.CodeCreated,
		Warnings: []string{`agent_full_name cleaned: "Zoë" -> "Zoe"`, "copy_user ignores in_groups: they come from template 5555"}})
	add(t, s, 4, "a3", "A Three", batch.Outcome{Status: batch.StatusError, Code: group})
	add(t, s, 5, "a4", "A Four", batch.Outcome{Status: batch.StatusError, Code: group})
	add(t, s, 6, "a5", "A Five", batch.Outcome{Status: batch.StatusInvalid, Code: batch.CodeInvalidInput})
	// Carried rows' old warnings are not counted again.
	add(t, s, 7, "a6", "A Six", batch.Outcome{Status: batch.StatusSuccess,
		Carried: &batch.Prior{Status: "SUCCESS", Login: "a6", Warnings: "agent_full_name cleaned: x"}})
	s.SetReportFile("out.html")

	d := s.Data()
	if d.Warned != 2 {
		t.Errorf("Warned = %d, want 2", d.Warned)
	}
	if len(d.WarningKinds) != 2 || d.WarningKinds[0] != (report.Count{Name: "agent_full_name cleaned", N: 2}) {
		t.Errorf("WarningKinds = %v, want agent_full_name cleaned (2) first", d.WarningKinds)
	}
	if len(d.Problems) != 2 || d.Problems[0].Code != group || d.Problems[0].Count != 2 {
		t.Fatalf("Problems = %+v, want %s (2) first", d.Problems, group)
	}
	if d.NeedPerson() != 3 || d.Succeeded.Count != 3 {
		t.Errorf("NeedPerson %d, Succeeded %d; want 3 and 3", d.NeedPerson(), d.Succeeded.Count)
	}
	var buf bytes.Buffer
	if err := s.Print(&buf, "vicionboard run", "out.csv"); err != nil {
		t.Fatal(err)
	}
	fix, _ := report.ReasonFor(group)
	for _, want := range []string{
		"warnings: 2 rows; the commonest: agent_full_name cleaned (2)\n",
		"commonest problem: GROUP_NOT_FOUND (2 rows): " + fix.Fix + "\n",
		"result file: out.csv\nreport: out.html\n",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, buf.String())
		}
	}
}

// TestSummaryMemoryBoundedByCap: however many rows, each group keeps at
// most RowCap of them, and counts the rest.
func TestSummaryMemoryBoundedByCap(t *testing.T) {
	s := report.NewSummary(nil)
	n := report.RowCap + 37
	for i := 0; i < n; i++ {
		login := fmt.Sprintf("u%04d", i)
		add(t, s, i+2, login, "N "+login, batch.Outcome{Status: batch.StatusSuccess, Code: batch.CodeCreated})
		add(t, s, i+2, login, "N "+login, batch.Outcome{Status: batch.StatusInvalid, Code: batch.CodeInvalidInput, Warnings: []string{"w: x"}})
		add(t, s, i+2, login, "N "+login, batch.Outcome{Status: batch.StatusUnknown, Code: batch.CodeOutcomeUnknown})
	}
	d := s.Data()
	if len(d.Succeeded.Rows) != report.RowCap || d.Succeeded.More() != 37 {
		t.Errorf("succeeded: %d rows kept, %d more; want %d and 37", len(d.Succeeded.Rows), d.Succeeded.More(), report.RowCap)
	}
	for _, g := range d.Problems {
		if len(g.Rows) != report.RowCap || g.More() != 37 {
			t.Errorf("%s: %d rows kept, %d more; want %d and 37", g.Code, len(g.Rows), g.More(), report.RowCap)
		}
	}
	if len(d.WarningRows) != report.RowCap || d.WarningMore() != 37 {
		t.Errorf("warnings: %d rows kept, %d more", len(d.WarningRows), d.WarningMore())
	}
	if len(d.Unknown) != report.RowCap || d.UnknownCount != n {
		t.Errorf("unknown: %d lines kept of %d", len(d.Unknown), d.UnknownCount)
	}
	var buf bytes.Buffer
	_ = s.Print(&buf, "t", "")
	if !strings.Contains(buf.String(), fmt.Sprintf("and %d more)", n-20)) {
		t.Errorf("the UNKNOWN line does not count the rows it does not name:\n%s", buf.String())
	}
}

// TestSummaryDataIsACopy: the caller may keep Data while rows still come.
func TestSummaryDataIsACopy(t *testing.T) {
	s := report.NewSummary(nil)
	add(t, s, 2, "a", "A", batch.Outcome{Status: batch.StatusError, Code: batch.CodeTransport})
	d := s.Data()
	add(t, s, 3, "b", "B", batch.Outcome{Status: batch.StatusError, Code: batch.CodeTransport})
	if d.Problems[0].Count != 1 || len(d.Problems[0].Rows) != 1 {
		t.Errorf("Data changed after it was taken: %+v", d.Problems[0])
	}
}

// TestSummaryPassesRowsOn: every row reaches the next sink unchanged.
func TestSummaryPassesRowsOn(t *testing.T) {
	var got []int
	next := sinkFunc(func(row batch.Row, _ batch.Outcome) error { got = append(got, row.Line); return nil })
	s := report.NewSummary(next)
	for line := 2; line < 5; line++ {
		add(t, s, line, "x", "X", batch.Outcome{Status: batch.StatusSuccess})
	}
	if fmt.Sprint(got) != "[2 3 4]" {
		t.Errorf("next sink got lines %v, want [2 3 4]", got)
	}
}

type sinkFunc func(batch.Row, batch.Outcome) error

func (f sinkFunc) Write(row batch.Row, out batch.Outcome) error { return f(row, out) }

// TestSummaryCountsWhatIsWritten: a row the result file could not take is
// not counted, so that the summary and the report say what the file holds.
func TestSummaryCountsWhatIsWritten(t *testing.T) {
	full := errors.New("no space left on device")
	n := 0
	s := report.NewSummary(sinkFunc(func(batch.Row, batch.Outcome) error {
		if n++; n > 2 {
			return full
		}
		return nil
	}))
	for i := range 4 {
		row := batch.Row{Line: i + 2, Fields: batch.Fields{Login: fmt.Sprint("u", i)}}
		err := s.Write(row, batch.Outcome{Status: batch.StatusSuccess, Code: batch.CodeCreated})
		if (i >= 2) != errors.Is(err, full) {
			t.Fatalf("row %d: %v", i, err)
		}
	}
	if s.Total() != 2 || s.LastLine() != 3 {
		t.Errorf("counted %d rows up to line %d, want the 2 written, up to line 3", s.Total(), s.LastLine())
	}
}
