package input_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/input"
)

// rowSummary is what these tests compare of a row: its line, the full
// name it was read with, and the position of its error.
type rowSummary struct {
	Line     int
	FullName string // Fields.FullName, or Cells[2] for a row with an error
	ErrCol   int    // -1: no error
}

func summarise(rows []batch.Row) []rowSummary {
	var out []rowSummary
	for _, r := range rows {
		s := rowSummary{Line: r.Line, FullName: r.Fields.FullName, ErrCol: -1}
		if r.Err != nil {
			s.ErrCol = r.Err.Column
			s.FullName = r.Cells[2]
		}
		out = append(out, s)
	}
	return out
}

// TestReaderLineEnds: Excel's "CSV (Macintosh)" ends lines with a lone CR.
// Such files, and files mixing CR, LF and CRLF, are read line by line with
// the right line numbers; a CR or CRLF inside a quoted field stays in the
// value (CRLF as LF, as encoding/csv reads it).
func TestReaderLineEnds(t *testing.T) {
	const h = "agent_user,agent_pass,agent_full_name,template"
	tests := []struct {
		name, csv string
		comma     rune
		want      []rowSummary
	}{
		{"CR only", h + "\ra1,secretpw1,One,5555\r\ra2,secretpw1,\"Two\rLines\",5555\ra3,secretpw1,Three,5555\r",
			',', []rowSummary{{2, "One", -1}, {4, "Two\rLines", -1}, {6, "Three", -1}}},
		{"CR only, no final CR", h + "\ra1,secretpw1,One,5555\ra2,secretpw1,Two,5555",
			',', []rowSummary{{2, "One", -1}, {3, "Two", -1}}},
		{"CR only, semicolons, commas in values", "agent_user;agent_pass;agent_full_name;template\ra1;secretpw1;Doe, Jane;5555\ra2;secretpw1;Roe, Rick;5555\r",
			';', []rowSummary{{2, "Doe, Jane", -1}, {3, "Roe, Rick", -1}}},
		{"CR only with a BOM", "\uFEFF" + h + "\ra1,secretpw1,One,5555\r",
			',', []rowSummary{{2, "One", -1}}},
		{"CR only, short row", h + "\ra1,secretpw1,One\ra2,secretpw1,Two,5555\r",
			',', []rowSummary{{2, "One", 0}, {3, "Two", -1}}},
		{"mixed CRLF and LF", h + "\r\na1,secretpw1,One,5555\na2,secretpw1,\"Two\r\nLines\",5555\r\na3,secretpw1,Three,5555\n",
			',', []rowSummary{{2, "One", -1}, {3, "Two\nLines", -1}, {5, "Three", -1}}},
		{"mixed CR, LF and CRLF", h + "\ra1,secretpw1,One,5555\na2,secretpw1,Two,5555\r\na3,secretpw1,Three,5555\r\n\ra4,secretpw1,Four,5555",
			',', []rowSummary{{2, "One", -1}, {3, "Two", -1}, {4, "Three", -1}, {6, "Four", -1}}},
		{"CR CR LF inside quotes", h + "\na1,secretpw1,\"One\r\r\nLine\",5555\na2,secretpw1,Two,5555\n",
			',', []rowSummary{{2, "One\r\nLine", -1}, {5, "Two", -1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, rows := readAll(t, tt.csv)
			if got, want := r.Comma(), tt.comma; got != want {
				t.Errorf("Comma = %q, want %q", got, want)
			}
			if diff := cmp.Diff([]string{"agent_user", "agent_pass", "agent_full_name", "template"}, r.Columns()); diff != "" {
				t.Fatalf("Columns (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, summarise(rows)); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReaderQuotes: a quote that opens a field and is not closed on its
// line makes that line one INVALID row naming the line and the column of
// the quote; the rows after it are read as they are. A quoted field spans
// lines only when it closes and the record then has the header's width. A
// quote inside an unquoted value, or text after a closing quote, makes the
// row INVALID with its cells kept as written.
func TestReaderQuotes(t *testing.T) {
	const h = "agent_user,agent_pass,agent_full_name,template\n"
	tests := []struct {
		name, csv string
		want      []rowSummary
		msg       string // in the error of the first INVALID row
	}{
		{"unclosed quote swallows nothing",
			h + "a1,secretpw1,One,5555\na2,secretpw1,\"Bob Two,5555\na3,secretpw1,Three,5555\na4,secretpw1,Four,5555\na5,secretpw1,Five,5555\n",
			[]rowSummary{{2, "One", -1}, {3, `"Bob Two,5555`, 3}, {4, "Three", -1}, {5, "Four", -1}, {6, "Five", -1}},
			`the " at character 14 opens a quoted value that is not closed`},
		{"unclosed quote in the first column",
			h + "\"a1,secretpw1,One,5555\na2,secretpw1,Two,5555\n",
			[]rowSummary{{2, "", 1}, {3, "Two", -1}}, "not closed"},
		{"unclosed quote on the last line, no line end",
			h + "a1,secretpw1,One,5555\na2,secretpw1,\"Bob",
			[]rowSummary{{2, "One", -1}, {3, `"Bob`, 3}}, "not closed"},
		{"unclosed quote, CR only",
			strings.ReplaceAll(h, "\n", "\r") + "a1,secretpw1,\"One,5555\ra2,secretpw1,Two,5555\r",
			[]rowSummary{{2, `"One,5555`, 3}, {3, "Two", -1}}, "not closed"},
		{"closes later, but the row is then too wide",
			h + "a1,secretpw1,\"Bob Two,5555\na2,secretpw1,Three\",5555,x\na3,secretpw1,Four,5555\n",
			[]rowSummary{{2, `"Bob Two,5555`, 3}, {3, `Three"`, 3}, {4, "Four", -1}}, "closing it on line 3"},
		{"closes later, but with text after the quote",
			h + "a1,secretpw1,\"Bob\na2,secretpw1,\"Two\",5555\na3,secretpw1,Four,5555\n",
			[]rowSummary{{2, `"Bob`, 3}, {3, "Two", -1}, {4, "Four", -1}}, "not closed"},
		{"two unclosed quotes in a row",
			h + "a1,secretpw1,\"One,5555\na2,secretpw1,\"Two,5555\na3,secretpw1,Three,5555\n",
			[]rowSummary{{2, `"One,5555`, 3}, {3, `"Two,5555`, 3}, {4, "Three", -1}}, "not closed"},
		{"a legitimate multi-line value",
			h + "a1,secretpw1,\"One\nTwo, \"\"Three\"\"\nFour\",5555\na2,secretpw1,Two,5555\n",
			[]rowSummary{{2, "One\nTwo, \"Three\"\nFour", -1}, {5, "Two", -1}}, ""},
		{"bare quote inside an unquoted value",
			h + "a1,secretpw1,Bob \"Two\" Smith,5555\na2,secretpw1,Two,5555\n",
			[]rowSummary{{2, `Bob "Two" Smith`, 3}, {3, "Two", -1}}, `a " inside a value that does not start with one`},
		{"text after a closing quote",
			h + "a1,secretpw1,\"Bob\" Smith,5555\na2,secretpw1,Two,5555\n",
			[]rowSummary{{2, `"Bob" Smith`, 3}, {3, "Two", -1}}, `after the closing "`},
		{"leading space before a quote",
			h + "a1,secretpw1, \"Bob, Smith\",5555\n",
			[]rowSummary{{2, ` "Bob`, 3}}, `a " inside a value that does not start with one`},
		{"quoted empty and quoted delimiters are fine",
			h + "\"a1\",\"secret,pw1\",\"\",\"5555\"\n",
			[]rowSummary{{2, "", -1}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rows := readAll(t, tt.csv)
			if diff := cmp.Diff(tt.want, summarise(rows)); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			for _, row := range rows {
				if row.Err == nil {
					continue
				}
				if row.Err.Line != row.Line || row.Err.File != "input.csv" {
					t.Errorf("error %q should name input.csv and line %d", row.Err, row.Line)
				}
				if strings.Contains(row.Err.Error(), "secret") {
					t.Errorf("error %q shows a cell", row.Err)
				}
				if len(row.Cells) != 4 {
					t.Errorf("%d cells, want 4", len(row.Cells))
				}
			}
			if tt.msg == "" {
				return
			}
			for _, row := range rows {
				if row.Err != nil {
					if !strings.Contains(row.Err.Msg, tt.msg) {
						t.Errorf("error %q, want it to say %q", row.Err, tt.msg)
					}
					return
				}
			}
			t.Errorf("no INVALID row")
		})
	}
}

// TestReaderQuoteCells: an INVALID row keeps the cells as split, never
// blank ones.
func TestReaderQuoteCells(t *testing.T) {
	_, rows := readAll(t, "agent_user,agent_pass,agent_full_name,template,notes\n"+
		"a1,secretpw1,Bob \"Two\" Smith,5555,n1\n"+
		"a2,secretpw1,\"Ann,5555,n2\n")
	want := [][]string{{"a1", "secretpw1", `Bob "Two" Smith`, "5555", "n1"}, {"a2", "secretpw1", `"Ann,5555,n2`, "", ""}}
	var got [][]string
	for _, r := range rows {
		got = append(got, r.Cells)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cells (-want +got):\n%s", diff)
	}
}

// TestReaderUnreadableHeader: a header with an unclosed quote is refused,
// naming line and column, instead of swallowing the file.
func TestReaderUnreadableHeader(t *testing.T) {
	_, err := input.NewReader(strings.NewReader("agent_user,\"agent_pass,agent_full_name,template\na,b,c,d\n"), "input.csv")
	var inErr *batch.InputError
	if !errors.As(err, &inErr) || inErr.Line != 1 || inErr.Column != 2 || !strings.Contains(err.Error(), "not closed") {
		t.Fatalf("error %v, want an InputError on line 1, column 2 about a quote", err)
	}
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// rowsSource generates rows on the fly: a file of any size without the
// memory to hold it.
type rowsSource struct {
	rows, i int
	first   string // the first data row, if any
	pending []byte
}

func (s *rowsSource) Read(p []byte) (int, error) {
	for len(s.pending) == 0 {
		switch {
		case s.i == 0:
			s.pending = []byte("agent_user,agent_pass,agent_full_name,template\n")
		case s.i == 1 && s.first != "":
			s.pending = []byte(s.first)
		case s.i > s.rows:
			return 0, io.EOF
		default:
			s.pending = fmt.Appendf(nil, "a%d,secretpw1,Agent %d,5555\n", s.i, s.i)
		}
		s.i++
	}
	n := copy(p, s.pending)
	s.pending = s.pending[n:]
	return n, nil
}

// TestReaderStreams: the reader reads no further ahead than a bounded
// window, also past a quote that never closes: its memory does not grow
// with the file.
func TestReaderStreams(t *testing.T) {
	for _, first := range []string{"", "a0,secretpw1,\"never closed,5555\n"} {
		src := &countingReader{r: &rowsSource{rows: 200000, first: first}}
		r, err := input.NewReader(src, "big.csv")
		if err != nil {
			t.Fatal(err)
		}
		row, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if (first != "") != (row.Err != nil) {
			t.Fatalf("first row error %v", row.Err)
		}
		if limit := 2 << 20; src.n > limit {
			t.Errorf("first %q: %d bytes read for the first row, want at most %d", first, src.n, limit)
		}
		n := 1
		for ; ; n++ {
			if _, err := r.Next(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if want := 200000; n != want {
			t.Errorf("%d rows, want %d", n, want)
		}
		r.Close()
	}
}

// TestReaderLineEndsAcrossReads: a file read one byte at a time past the
// first 64 KiB splits every CRLF, and every CR whose next byte decides
// what it is, across reads: the rows and their lines are the same.
func TestReaderLineEndsAcrossReads(t *testing.T) {
	for _, eol := range []string{"\r\n", "\r", "\n"} {
		t.Run(fmt.Sprintf("%q", eol), func(t *testing.T) {
			var b strings.Builder
			b.WriteString("agent_user,agent_pass,agent_full_name,template" + eol)
			const n = 3000
			for i := range n {
				if i%10 == 0 {
					fmt.Fprintf(&b, "a%d,secretpw1,\"Agent%s%d\",5555%s%s", i, eol, i, eol, eol) // a quoted line end, then a blank line
				} else {
					fmt.Fprintf(&b, "a%d,secretpw1,Agent %d,5555%s", i, i, eol)
				}
			}
			r, err := input.NewReader(iotest.OneByteReader(strings.NewReader(b.String())), "input.csv")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			line := 2
			for i := 0; ; i++ {
				row, err := r.Next()
				if errors.Is(err, io.EOF) {
					if i != n {
						t.Fatalf("%d rows, want %d", i, n)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				want := fmt.Sprintf("Agent %d", i)
				if i%10 == 0 {
					want = fmt.Sprintf("Agent%s%d", strings.ReplaceAll(eol, "\r\n", "\n"), i)
				}
				if row.Err != nil || row.Line != line || row.Fields.FullName != want {
					t.Fatalf("row %d: line %d, name %q, error %v; want line %d, name %q", i, row.Line, row.Fields.FullName, row.Err, line, want)
				}
				line++
				if i%10 == 0 {
					line += 2
				}
			}
		})
	}
}
