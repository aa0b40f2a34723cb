package cells_test

import (
	"strings"
	"testing"

	"github.com/vicionboard/vicionboard/batch/cells"
)

func TestIsFormula(t *testing.T) {
	for _, c := range []struct {
		v    string
		want bool
	}{
		// "=" and anything after it.
		{`=HYPERLINK("https://intranet/leeds","Leeds")`, true},
		{"=A1", true},
		{"= 1+2", true},
		{`=cmd|' /C calc'!A0`, true},
		{"==VIP==", true},
		{"=", false}, // nothing after it: a lone sign
		// +, - or @ and a function call.
		{"+SUM(A1:A3)", true},
		{"-ABS(B2)", true},
		{"@SUM(A1)", true},
		{"@HYPERLINK(\"x\")", true},
		{"+_xlfn.CONCAT(A1)", false}, // a name starts with a letter
		{"+Z.TEST(A1:A9,2)", true},
		// + or - and a cell reference, alone or with an operator.
		{"+A1", true},
		{"-$B$2", true},
		{"+Sheet1!C3", true},
		{"+'My Sheet'!C3", true},
		{"-B2*2", true},
		{"+A1+B1", true},
		// Values.
		{"+44 20 7946 0958", false},
		{"+1-555-0100", false},
		{"-1", false},
		{"-1.5", false},
		{"@home", false},
		{"@acme corp", false},
		{"- none -", false},
		{"-Smith-Jones", false},
		{"+A1 shift", false},
		{"-ABCD1", false}, // four letters: no column of Excel's
		{"Leeds", false},
		{"", false},
		{"+", false},
		{"a=b", false},
	} {
		if got := cells.IsFormula(c.v); got != c.want {
			t.Errorf("IsFormula(%q) = %v, want %v", c.v, got, c.want)
		}
	}
}

func TestNumber(t *testing.T) {
	for _, c := range []struct {
		v     string
		whole string
		how   cells.Reformat
	}{
		{"1004.0", "1004", cells.DecimalPart},
		{"1004.00", "1004", cells.DecimalPart},
		{"1004,0", "1004", cells.DecimalPart}, // a decimal comma
		{"1004.000", "1004", cells.DecimalPart},
		{"0042.0", "0042", cells.DecimalPart},
		{"1.0", "1", cells.DecimalPart},
		{"0.0", "0", cells.DecimalPart},
		{"-1.0", "-1", cells.DecimalPart},
		{"1.003E+03", "", cells.Scientific},
		{"1.00E+03", "", cells.Scientific},
		{"1,00E+03", "", cells.Scientific},
		{"1E+03", "", cells.Scientific},
		{"1.23457E+11", "", cells.Scientific},
		{"2.5e-05", "", cells.Scientific},
		{"-1.00E+03", "", cells.Scientific},
		{"1.000", "", cells.Ambiguous},
		{"100,000", "", cells.Ambiguous},
		{"999.000", "", cells.Ambiguous},
		// As written.
		{"1004", "", cells.AsWritten},
		{"0042", "", cells.AsWritten},
		{"10.5", "", cells.AsWritten},
		{"1004.", "", cells.AsWritten},
		{".0", "", cells.AsWritten},
		{"1E3", "", cells.AsWritten}, // no sign: Excel always writes one
		{"1E+", "", cells.AsWritten},
		{"1E+03x", "", cells.AsWritten},
		{"E0007.0", "", cells.AsWritten}, // a letter: text to a spreadsheet
		{"E0007", "", cells.AsWritten},
		{"1,004", "", cells.AsWritten},
		{"1.0.0", "", cells.AsWritten},
		{"-", "", cells.AsWritten},
		{"", "", cells.AsWritten},
		{"jsmith", "", cells.AsWritten},
	} {
		whole, how := cells.Number(c.v)
		if whole != c.whole || how != c.how {
			t.Errorf("Number(%q) = %q, %v; want %q, %v", c.v, whole, how, c.whole, c.how)
		}
	}
	for _, how := range []cells.Reformat{cells.Scientific, cells.Ambiguous} {
		if p := how.Problem(); !strings.Contains(p, "format the column as Text") {
			t.Errorf("Reformat(%d).Problem() = %q, want the fix", how, p)
		}
	}
	if p := cells.DecimalPart.Problem() + cells.AsWritten.Problem(); p != "" {
		t.Errorf("a known number has a problem: %q", p)
	}
}

func TestLostLetters(t *testing.T) {
	for _, c := range []struct {
		v          string
		name, want bool
	}{
		{"Garc?a", false, true},
		{"Garc?a", true, true},
		{"Jos?", true, true},
		{"Jos?", false, false},
		{"?lvaro", true, true},
		{"?lvaro", false, false},
		{"Li ??", true, true},
		{"Li ??", false, false},
		{"Jane ? Smith", true, false},
		{"Agent 7?", true, false},
		{"Night shift?", false, false},
		{"Remote? Yes", false, false},
		{"M\uFFFDnchen", false, true},
		{"\uFFFD", true, true},
		{"José García", true, false},
		{"", true, false},
	} {
		if got := cells.LostLetters(c.v, c.name); got != c.want {
			t.Errorf("LostLetters(%q, %v) = %v, want %v", c.v, c.name, got, c.want)
		}
	}
	if p := cells.LostLettersProblem("Jos?"); !strings.HasPrefix(p, `has "?" where a letter should be`) {
		t.Errorf("LostLettersProblem = %q", p)
	}
	if p := cells.LostLettersProblem("Jos\uFFFD"); !strings.Contains(p, "U+FFFD") {
		t.Errorf("LostLettersProblem = %q, want U+FFFD named", p)
	}
}

// BenchmarkCells measures the checks every cell of every row gets.
func BenchmarkCells(b *testing.B) {
	values := []string{"Jane Smith", "jsmith", "1004", "+44 20 7946 0958", "1004.0", "=A1", "Leeds"}
	b.ReportAllocs()
	for b.Loop() {
		for _, v := range values {
			_ = cells.IsFormula(v)
			_, _ = cells.Number(v)
			_ = cells.LostLetters(v, true)
		}
	}
}
