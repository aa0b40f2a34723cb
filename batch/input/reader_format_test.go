package input_test

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/input"
)

// utf16Text encodes s as UTF-16, with a byte order mark if bom.
func utf16Text(s string, order binary.AppendByteOrder, bom bool) string {
	var b []byte
	if bom {
		b = order.AppendUint16(b, 0xFEFF)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = order.AppendUint16(b, u)
	}
	return string(b)
}

// TestReaderUTF16: Excel's "Unicode Text" is UTF-16 LE with a BOM,
// tab-separated; UTF-16 BE with a BOM is read too.
func TestReaderUTF16(t *testing.T) {
	excel := "agent_user\tagent_pass\tagent_full_name\ttemplate\r\n" +
		"a1\tsecretpw1\tJosé Müller\t5555\r\n" +
		"\r\n" +
		"a2\tsecretpw1\t\"Two\tTabs, \"\"quoted\"\"\"\t5555\r\n" +
		"a3\tsecretpw1\tZoë 😀\t5555\r\n"
	tests := []struct {
		name, in, enc string
		comma         rune
	}{
		{"UTF-16 LE with BOM", utf16Text(excel, binary.LittleEndian, true), input.EncodingUTF16LE, '\t'},
		{"UTF-16 BE with BOM", utf16Text(excel, binary.BigEndian, true), input.EncodingUTF16BE, '\t'},
		{"UTF-16 LE, commas", utf16Text(strings.ReplaceAll(strings.ReplaceAll(excel, ",", ";"), "\t", ","), binary.LittleEndian, true),
			input.EncodingUTF16LE, ','},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, rows := readAll(t, tt.in)
			if got := r.Encoding(); got != tt.enc {
				t.Errorf("Encoding = %q, want %q", got, tt.enc)
			}
			if got := r.Comma(); got != tt.comma {
				t.Errorf("Comma = %q, want %q", got, tt.comma)
			}
			if r.BOM() {
				t.Error("BOM() = true: it reports a UTF-8 BOM only")
			}
			if diff := cmp.Diff([]string{"agent_user", "agent_pass", "agent_full_name", "template"}, r.Columns()); diff != "" {
				t.Fatalf("Columns (-want +got):\n%s", diff)
			}
			two := "Two\tTabs, \"quoted\""
			if tt.comma == ',' {
				two = "Two,Tabs; \"quoted\""
			}
			want := []rowSummary{{2, "José Müller", -1}, {4, two, -1}, {5, "Zoë 😀", -1}}
			if diff := cmp.Diff(want, summarise(rows)); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReaderRefusesOtherFormats: a file that is not CSV text is refused
// with an InputError on line 1 saying what it is and what to do, never
// read as a header with missing columns.
func TestReaderRefusesOtherFormats(t *testing.T) {
	const text = "agent_user,agent_pass,agent_full_name,template\r\na1,secretpw1,One,5555\r\n"
	zipHead := "PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\x62\xee\x9d\x68\x5e\x01\x00\x00\x90\x04\x00\x00\x13\x00\x08\x02"
	tests := []struct {
		name, in string
		format   input.Format
		want     string
	}{
		{"ods", "PK\x03\x04\x14\x00\x00\x08\x00\x00\x85\x6c\x39\x8a\x2e\xc4\x4e\x18\x2e\x00\x00\x00\x2e\x00\x00\x00\x08\x00\x00\x00mimetypeapplication/vnd.oasis.opendocument.spreadsheetPK",
			input.FormatODS, "OpenDocument spreadsheet (.ods), which is not read: save it as .xlsx"},
		{"zip", zipHead + "hires.csv\x00\x01\x02", input.FormatZip, "a zip archive, neither CSV nor an .xlsx workbook"},
		{"xls", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00\x00\x00\x00\x00\x00\x00", input.FormatXLS,
			"the file is an Excel 97-2003 workbook (.xls), which is not read: save it as .xlsx (Excel Workbook) or as CSV UTF-8 from Excel"},
		{"pdf", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", input.FormatPDF, "a PDF document, not CSV"},
		{"gzip", "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", input.FormatGzip, "gzip"},
		{"binary", "agent_user,agent_pass\x00\x01\x02\x03" + text, input.FormatBinary, "binary file"},
		{"UTF-16 LE without BOM", utf16Text(text, binary.LittleEndian, false), input.FormatUTF16NoBOM,
			"looks like UTF-16 without a byte order mark"},
		{"UTF-16 BE without BOM", utf16Text(text, binary.BigEndian, false), input.FormatUTF16NoBOM,
			"looks like UTF-16 without a byte order mark"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := input.DetectFormat([]byte(tt.in)); got != tt.format {
				t.Errorf("DetectFormat = %v, want %v", got, tt.format)
			}
			_, err := input.NewReader(strings.NewReader(tt.in), "hires.csv")
			var inErr *batch.InputError
			if !errors.As(err, &inErr) {
				t.Fatalf("error %v, want an InputError", err)
			}
			if inErr.Line != 1 || inErr.File != "hires.csv" || !strings.Contains(inErr.Msg, tt.want) {
				t.Errorf("error %q, want hires.csv:1: ... %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "missing") {
				t.Errorf("error %q talks of missing columns", err)
			}
		})
	}
}

// TestDetectFormatXLSX: a zip holding xl/ parts, or starting with an
// Office file's content types, is a workbook, which NewReader reads.
func TestDetectFormatXLSX(t *testing.T) {
	zipHead := "PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\x62\xee\x9d\x68\x5e\x01\x00\x00\x90\x04\x00\x00\x13\x00\x08\x02"
	for _, head := range []string{
		zipHead + "[Content_Types].xml \xa2\x04\x02(\xa0\x00\x02\x00\x00",
		zipHead + "docProps/app.xml\x00\x00xl/workbook.xml",
	} {
		if got := input.DetectFormat([]byte(head)); got != input.FormatXLSX {
			t.Errorf("DetectFormat(%q) = %v, want FormatXLSX", head, got)
		}
	}
}

// TestDetectFormatText: text inputs are CSV, whatever their encoding.
func TestDetectFormatText(t *testing.T) {
	for _, in := range []string{
		"", "agent_user,agent_pass\n", "\uFEFFagent_user;agent_pass\r\n", "Jos\xe9,M\xfcller\r",
		utf16Text("agent_user\tagent_pass\r\n", binary.LittleEndian, true),
		utf16Text("agent_user\tagent_pass\r\n", binary.BigEndian, true),
		"PK,zip,notes\n", "%PDF,x\n",
	} {
		if got := input.DetectFormat([]byte(in)); got != input.FormatCSV {
			t.Errorf("DetectFormat(%q) = %v, want FormatCSV", in, got)
		}
	}
}

// TestReaderHeaderHints: every missing required column is named in one
// message, with the columns found and, for each, the found column it
// probably is.
func TestReaderHeaderHints(t *testing.T) {
	tests := []struct {
		name, header string
		want         []string
		notWant      []string
	}{
		{"HR names", "Employee ID,Agent User,Password,First Name,Last Name",
			[]string{`required columns missing: agent_user, agent_pass, agent_full_name (found: Employee ID, Agent User, Password, First Name, Last Name)`,
				`"Agent User" looks like agent_user`,
				`a "template" column, or both "agent_user_level" and "agent_user_group", are required`},
			[]string{"looks like agent_pass", "looks like agent_full_name"}},
		{"near misses", "agent_user,agent_password,Full Name,template",
			[]string{`required columns missing: agent_pass, agent_full_name (found: agent_user, agent_password, Full Name, template)`,
				`"agent_password" looks like agent_pass`, `"Full Name" looks like agent_full_name`},
			[]string{"agent_user_level"}},
		{"typo and case", "AgentUser,agent_pas,AGENT-FULL-NAME,template",
			[]string{`required columns missing: agent_user, agent_pass, agent_full_name`,
				`"AgentUser" looks like agent_user`, `"agent_pas" looks like agent_pass`, `"AGENT-FULL-NAME" looks like agent_full_name`},
			nil},
		{"a known column is not suggested for another", "agent_user_level,agent_user_group,agent_pass,agent_full_name",
			[]string{`required columns missing: agent_user (found:`}, []string{"looks like"}},
		{"template alternatives", "agent_user,agent_pass,agent_full_name,Agent User Level,agent_user_group",
			[]string{`a "template" column, or both "agent_user_level" and "agent_user_group", are required`,
				`"Agent User Level" looks like agent_user_level`},
			[]string{"required columns missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := input.NewReader(strings.NewReader(tt.header+"\nx,y,z,w,v\n"), "hires.csv")
			var inErr *batch.InputError
			if !errors.As(err, &inErr) || inErr.Line != 1 {
				t.Fatalf("error %v, want an InputError on line 1", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nwant it to say %q", err, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nshould not say %q", err, w)
				}
			}
		})
	}
}

// TestReaderNoHeaderRow: a file whose first line is data gets a hint, and
// the error does not show that line (it holds a password).
// A cell merely near a column name (a login "agent_use1") does not make
// the line a header.
func TestReaderNoHeaderRow(t *testing.T) {
	for _, first := range []string{"E1,jsmith,Start-2026a,Jane Smith,1,AGENTS", "E1,agent_use1,Start-2026a,Agent f,1,AGENTS"} {
		_, err := input.NewReader(strings.NewReader(first+"\nE2,akhan,Start-2026b,Aisha Khan,1,AGENTS\n"), "hires.csv")
		var inErr *batch.InputError
		if !errors.As(err, &inErr) || inErr.Line != 1 {
			t.Fatalf("error %v, want an InputError on line 1", err)
		}
		if !strings.Contains(err.Error(), "is the header row missing?") {
			t.Errorf("error %q does not suggest the header row is missing", err)
		}
		if strings.Contains(err.Error(), "Start-2026a") || strings.Contains(err.Error(), "jsmith") || strings.Contains(err.Error(), "E1") {
			t.Errorf("error %q shows the first line's cells", err)
		}
	}
}
