// Package cells recognises what spreadsheets and their exports do to the
// text of a cell, so that a damaged value is refused, or repaired, with
// its fix rather than sent: letters an export could not encode ("Jos?",
// U+FFFD), formulas saved as their text ("=A1"), and whole numbers a
// spreadsheet reformatted ("1004.0", "1.00E+03").
package cells

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// LostLetters reports whether v has letters an export could not encode:
// a U+FFFD (a decoder's replacement character), or a "?" where a letter
// should be, the mark of an export (a "CSV" rather than "CSV UTF-8" save,
// a legacy code page) that replaced each character it could not encode
// with "?". A run of "?" counts when it stands between letters
// ("Garc?a"). In a name (name true), which never holds a question mark,
// it also counts when it touches a letter on one side ("Jos?", "?lvaro")
// or is a word of two or more ("??" for a name in another script). In
// other text, where a "?" may end a question ("Night shift?"), only the
// first rule applies.
func LostLetters(v string, name bool) bool {
	if strings.ContainsRune(v, utf8.RuneError) {
		return true
	}
	if !strings.Contains(v, "?") {
		return false
	}
	prev := rune(-1) // the rune before the current run; -1 at the start
	for i := 0; i < len(v); {
		if v[i] != '?' {
			r, size := utf8.DecodeRuneInString(v[i:])
			prev = r
			i += size
			continue
		}
		j := i
		for j < len(v) && v[j] == '?' {
			j++
		}
		next := rune(-1)
		if j < len(v) {
			next, _ = utf8.DecodeRuneInString(v[j:])
		}
		before, after := unicode.IsLetter(prev), unicode.IsLetter(next)
		switch {
		case before && after:
			return true
		case name && (before || after):
			return true
		case name && j-i >= 2 && wordEdge(prev) && wordEdge(next):
			return true
		}
		prev = '?'
		i = j
	}
	return false
}

// wordEdge reports whether r (-1 for the start or end of the value) ends
// a word.
func wordEdge(r rune) bool { return r == -1 || unicode.IsSpace(r) }

// LostLettersProblem says, after the quoted value, what is wrong with a
// value LostLetters reports and what to do: `has "?" where a letter
// should be: the export lost characters it could not encode; export as
// "CSV UTF-8" or .xlsx`.
func LostLettersProblem(v string) string {
	mark := `"?"`
	if strings.ContainsRune(v, utf8.RuneError) {
		mark = "\"\uFFFD\" (U+FFFD, the replacement character)"
	}
	return "has " + mark + " where a letter should be: " + LostLettersFix
}

// LostLettersFix is what to do about a value LostLetters reports.
const LostLettersFix = `the export lost characters it could not encode; export as "CSV UTF-8" or .xlsx`

// IsFormula reports whether v is a spreadsheet formula, saved as its text
// rather than its value (a CSV export of a sheet whose cells held
// formulas, or text typed to look like one):
//   - anything that starts with "=" and has more after it: "=A1",
//     "=HYPERLINK(...)", "=cmd|..." (every spreadsheet runs it);
//   - "+", "-" or "@" followed by a function call: a name of letters (and
//     then letters, digits, "." or "_") and "(": "+SUM(A1:A3)",
//     "@HYPERLINK(...)", "-ABS(B2)";
//   - "+" or "-" followed by a cell reference ("A1", "$B$2", "Sheet1!C3"),
//     alone or followed by an operator: "+A1", "-B2*2".
//
// So a phone number "+44 20 7946 0958", a negative number "-1", an
// address "@home" or a "-" that starts a text ("- none -") is not one.
func IsFormula(v string) bool {
	if len(v) < 2 {
		return false
	}
	switch v[0] {
	case '=':
		return true
	case '@':
		return isCall(v[1:])
	case '+', '-':
		return isCall(v[1:]) || isReference(v[1:])
	}
	return false
}

// isCall reports whether s starts with a function call: a name of letters,
// digits, "." and "_" that starts with a letter, then "(".
func isCall(s string) bool {
	i := 0
	for i < len(s) && (isASCIILetter(s[i]) || i > 0 && (isDigit(s[i]) || s[i] == '.' || s[i] == '_')) {
		i++
	}
	return i > 0 && i < len(s) && s[i] == '('
}

// isReference reports whether s is a cell reference ("A1", "$B$2",
// "Sheet1!C3"), alone or followed by an arithmetic operator.
func isReference(s string) bool {
	if k := strings.IndexByte(s, '!'); k > 0 {
		s = s[k+1:] // a sheet's name
	}
	i := 0
	if i < len(s) && s[i] == '$' {
		i++
	}
	letters := i
	for i < len(s) && isASCIILetter(s[i]) {
		i++
	}
	if n := i - letters; n < 1 || n > 3 {
		return false
	}
	if i < len(s) && s[i] == '$' {
		i++
	}
	digits := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i == digits {
		return false
	}
	return i == len(s) || strings.IndexByte("+-*/^&", s[i]) >= 0
}

// FormulaFix is what to do about a value IsFormula reports.
const FormulaFix = "export the values, not the formulas (in Excel: select the cells, Copy, then Paste Special > Values, and save again; " +
	"or save as .xlsx, whose cells vicionboard reads as their values)"

// Reformat is what a spreadsheet did to a whole number, as Number tells.
type Reformat int

// The reformats Number recognises.
const (
	// AsWritten: the value is not a reformatted number; take it as it is.
	AsWritten Reformat = iota
	// DecimalPart: a whole number written with a decimal part of zeros
	// ("1004.0", "1004,00": a cell formatted as a number with decimals, or
	// an export that made every number a floating-point one). The number
	// is known.
	DecimalPart
	// Scientific: a number in scientific notation ("1.00E+03", as Excel
	// shows a number in a column formatted as Scientific, or a long number
	// in a General one). Its digits are lost.
	Scientific
	// Ambiguous: one to three digits, a "." or ",", and three zeros
	// ("1.000", "100,000"): a decimal part, or a thousands separator? The
	// number is not known.
	Ambiguous
)

// Number reports whether v is a whole number a spreadsheet reformatted,
// and which whole number it was: "1004.0" is 1004 (DecimalPart), "-1.0"
// is -1; "1.003E+03" and "1.00E+03" are Scientific, "1.000" is Ambiguous
// (whole is empty for both). Anything else is AsWritten, whole empty:
// plain digits ("1004", "0042": nothing to repair, and a zero a
// spreadsheet dropped cannot be told), a decimal that is not whole
// ("10.5"), and any value with a letter or other sign ("E0007.0",
// "1,004"): spreadsheets reformat only cells that hold numbers, and a
// cell with a letter is text to them.
func Number(v string) (whole string, how Reformat) {
	s := v
	if strings.HasPrefix(s, "-") {
		s = s[1:]
	}
	intPart := leadingDigits(s)
	if intPart == 0 || intPart == len(s) || s[intPart] != '.' && s[intPart] != ',' && s[intPart] != 'E' && s[intPart] != 'e' {
		return "", AsWritten
	}
	rest := s[intPart:]
	frac := 0
	if rest[0] == '.' || rest[0] == ',' {
		frac = leadingDigits(rest[1:])
		rest = rest[1+frac:]
	}
	if rest == "" {
		fraction := s[intPart+1:]
		switch {
		case frac == 0 || strings.Trim(fraction, "0") != "":
			return "", AsWritten
		case frac == 3 && intPart <= 3:
			return "", Ambiguous
		}
		return v[:len(v)-len(s)+intPart], DecimalPart
	}
	// An exponent: Excel writes its sign always ("1E+03"), so "1E3" (which
	// may be a code such as a room or a part number) is not taken for one.
	if (rest[0] == 'E' || rest[0] == 'e') && len(rest) > 2 && (rest[1] == '+' || rest[1] == '-') &&
		leadingDigits(rest[2:]) == len(rest)-2 {
		return "", Scientific
	}
	return "", AsWritten
}

// Problem says, after the quoted value, what is wrong with a number
// reformatted as r and what to do; "" for AsWritten and DecimalPart (the
// number is known).
func (r Reformat) Problem() string {
	switch r {
	case Scientific:
		return "is a number in scientific notation, as a spreadsheet shows a number in a column not formatted as Text: " +
			"its digits are lost; " + TextFix
	case Ambiguous:
		return "is a number a spreadsheet formatted: its \".000\" or \",000\" may be decimals or a thousands separator; " + TextFix
	}
	return ""
}

// TextFix is what to do about numbers a spreadsheet reformatted.
const TextFix = "format the column as Text in the spreadsheet, type the values again (or export them from their source again), and export the file again"

// leadingDigits returns how many ASCII digits s starts with.
func leadingDigits(s string) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool       { return c >= '0' && c <= '9' }
func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
