package input

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/vicionboard/vicionboard/batch"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// sniffSize is how much of the input the reader looks at to choose the
// encoding and the delimiter.
const sniffSize = 64 << 10

// The encodings Reader.Encoding reports.
const (
	EncodingUTF8        = "UTF-8"
	EncodingWindows1252 = "Windows-1252" // Excel's "CSV (Comma delimited)" on Windows
	EncodingUTF16LE     = "UTF-16LE"     // Excel's "Unicode Text" (with a BOM, tab-separated)
	EncodingUTF16BE     = "UTF-16BE"
	// EncodingXLSX is reported for an .xlsx workbook, whose cells are
	// Unicode text whatever the file's encoding.
	EncodingXLSX = "xlsx"
)

// Byte order marks, and the magic numbers of the formats DetectFormat
// names.
const (
	utf8BOM    = "\uFEFF" // Excel writes it at the start of a "CSV UTF-8"
	utf16LEBOM = "\xff\xfe"
	utf16BEBOM = "\xfe\xff"
	zipMagic   = "PK\x03\x04"
	ole2Magic  = "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
	pdfMagic   = "%PDF-"
	gzipMagic  = "\x1f\x8b"
)

// Format is what the start of an input file shows it to be.
type Format int

// The formats DetectFormat tells apart. FormatCSV and FormatXLSX are read;
// for the others NewReader returns an InputError saying what the file is and
// how to save it as .xlsx or CSV.
const (
	FormatCSV        Format = iota // text: UTF-8, Windows-1252, or UTF-16 with a byte order mark
	FormatXLSX                     // an Excel workbook (.xlsx): a zip archive holding xl/
	FormatODS                      // an OpenDocument spreadsheet (.ods)
	FormatZip                      // another zip archive
	FormatXLS                      // an Excel 97-2003 workbook (.xls): an OLE2 compound file
	FormatPDF                      // a PDF document
	FormatGzip                     // a gzip-compressed file
	FormatUTF16NoBOM               // UTF-16 text without a byte order mark
	FormatBinary                   // NUL bytes, and not UTF-16
)

// String names the format.
func (f Format) String() string {
	switch f {
	case FormatCSV:
		return "CSV"
	case FormatXLSX:
		return "xlsx"
	case FormatODS:
		return "ods"
	case FormatZip:
		return "zip"
	case FormatXLS:
		return "xls"
	case FormatPDF:
		return "PDF"
	case FormatGzip:
		return "gzip"
	case FormatUTF16NoBOM:
		return "UTF-16 without BOM"
	case FormatBinary:
		return "binary"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Refusal says why a file of format f is not read and what to do; "" for
// the formats that are read, FormatCSV and FormatXLSX.
func (f Format) Refusal() string { return f.refusal() }

// refusal says why a file of format f is not read and what to do; "" for
// the formats that are read, FormatCSV and FormatXLSX.
func (f Format) refusal() string {
	switch f {
	case FormatCSV, FormatXLSX:
		return ""
	case FormatODS:
		return `the file is an OpenDocument spreadsheet (.ods), which is not read: save it as .xlsx (Excel 2007-365), or as "Text CSV" with the UTF-8 character set, from LibreOffice`
	case FormatZip:
		return "the file is a zip archive, neither CSV nor an .xlsx workbook: unpack it, or save the workbook as .xlsx or CSV UTF-8"
	case FormatXLS:
		return "the file is an Excel 97-2003 workbook (.xls), which is not read: save it as .xlsx (Excel Workbook) or as CSV UTF-8 from Excel"
	case FormatPDF:
		return "the file is a PDF document, not CSV: export the list from the tool that made it as CSV UTF-8"
	case FormatGzip:
		return "the file is gzip-compressed, not CSV: uncompress it first"
	case FormatUTF16NoBOM:
		return "the file looks like UTF-16 without a byte order mark, which cannot be told apart for sure: save it as CSV UTF-8 (or as Unicode Text, which has one)"
	}
	return "binary file (it holds NUL bytes), not CSV: save the list as CSV UTF-8"
}

// DetectFormat tells from the start of a file (its first 64 KiB) whether it
// is CSV text the reader decodes, or another format it refuses by name. A
// file with NUL bytes is text only when it starts with a UTF-16 byte order
// mark.
func DetectFormat(head []byte) Format {
	has := func(prefix string) bool { return bytes.HasPrefix(head, []byte(prefix)) }
	switch {
	case has(utf8BOM), has(utf16LEBOM), has(utf16BEBOM):
		return FormatCSV
	case has(zipMagic):
		return zipFormat(head)
	case has(ole2Magic):
		return FormatXLS
	case has(pdfMagic):
		return FormatPDF
	case has(gzipMagic):
		return FormatGzip
	case bytes.IndexByte(head, 0) < 0:
		return FormatCSV
	case looksUTF16(head):
		return FormatUTF16NoBOM
	}
	return FormatBinary
}

// zipFormat tells a workbook from another zip by the names of the first
// entries (stored uncompressed in their local headers).
func zipFormat(head []byte) Format {
	contains := func(s string) bool { return bytes.Contains(head, []byte(s)) }
	switch {
	case contains("mimetypeapplication/vnd.oasis.opendocument.spreadsheet"):
		return FormatODS
	case contains("xl/"):
		return FormatXLSX
	case contains("word/"), contains("ppt/"):
		return FormatZip
	case contains("[Content_Types].xml"): // an Office file whose parts come later
		return FormatXLSX
	}
	return FormatZip
}

// looksUTF16 reports whether the first KiB of head looks like UTF-16 text
// without a byte order mark: at least 3 in 10 characters have a NUL byte,
// nearly always on the same side (Latin text has its NUL high bytes all on
// one side).
func looksUTF16(head []byte) bool {
	b := head[:min(len(head), 1024)]
	var even, odd int
	for i := 0; i+1 < len(b); i += 2 {
		if b[i] == 0 {
			even++
		}
		if b[i+1] == 0 {
			odd++
		}
	}
	chars := len(b) / 2
	hi, lo := max(even, odd), min(even, odd)
	return chars >= 2 && hi*10 >= chars*3 && lo*10 <= hi
}

// sniffed is what the start of an input tells.
type sniffed struct {
	format   Format    // FormatCSV or FormatXLSX
	r        io.Reader // CSV: the input as UTF-8, without its BOM; xlsx: the whole input
	encoding string    // one of the Encoding constants
	comma    rune      // the header line's delimiter
	bom      bool      // the input started with a UTF-8 BOM
	nonASCII bool      // UTF-8 without a BOM: its first sniffSize bytes have a character beyond ASCII
}

// sniff peeks at the start of r and returns a reader of the input as
// UTF-8, with what it learnt; file names the input in an InputError for a
// format that is not read. An .xlsx workbook is returned whole, with
// format FormatXLSX, for a worksheet source to read. A UTF-16 byte order mark selects UTF-16 (LE or
// BE), decoded as it streams. Otherwise input that is not UTF-8 in its
// first 64 KiB is taken for Windows-1252, which Excel writes on Windows; a
// UTF-8 BOM settles it as UTF-8 and is dropped (so that a quoted first
// header cell still parses).
func sniff(r io.Reader, file string) (sniffed, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return sniffed{}, fmt.Errorf("reading the start of the input: %w", err)
	}
	switch f := DetectFormat(head); f {
	case FormatCSV:
	case FormatXLSX:
		return sniffed{format: FormatXLSX, r: br, encoding: EncodingXLSX, comma: ','}, nil
	default:
		return sniffed{}, &batch.InputError{File: file, Line: 1, Msg: f.refusal()}
	}
	switch {
	case bytes.HasPrefix(head, []byte(utf16LEBOM)):
		return sniffUTF16(br, unicode.LittleEndian, EncodingUTF16LE)
	case bytes.HasPrefix(head, []byte(utf16BEBOM)):
		return sniffUTF16(br, unicode.BigEndian, EncodingUTF16BE)
	case bytes.HasPrefix(head, []byte(utf8BOM)):
		comma := sniffComma(head[len(utf8BOM):])
		if _, err := br.Discard(len(utf8BOM)); err != nil {
			return sniffed{}, fmt.Errorf("reading the start of the input: %w", err)
		}
		return sniffed{r: br, encoding: EncodingUTF8, comma: comma, bom: true}, nil
	}
	comma := sniffComma(head)
	if validUTF8Prefix(head, len(head) == sniffSize) {
		return sniffed{r: br, encoding: EncodingUTF8, comma: comma, nonASCII: bytes.ContainsFunc(head, func(r rune) bool { return r >= 0x80 })}, nil
	}
	return sniffed{r: transform.NewReader(br, charmap.Windows1252.NewDecoder()), encoding: EncodingWindows1252, comma: comma}, nil
}

// utf16SniffSize is how much decoded UTF-16 text the delimiter is taken
// from.
const utf16SniffSize = 16 << 10

// sniffUTF16 decodes br, which starts with a UTF-16 byte order mark, as it
// streams (the mark dropped) and takes the delimiter from the decoded
// header line.
func sniffUTF16(br *bufio.Reader, e unicode.Endianness, name string) (sniffed, error) {
	dec := bufio.NewReaderSize(transform.NewReader(br, unicode.UTF16(e, unicode.ExpectBOM).NewDecoder()), utf16SniffSize)
	head, err := dec.Peek(utf16SniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return sniffed{}, fmt.Errorf("reading the start of the input as %s: %w", name, err)
	}
	return sniffed{r: dec, encoding: name, comma: sniffComma(head)}, nil
}

// validUTF8Prefix reports whether b is valid UTF-8; when b was cut from a
// longer input, an incomplete last character is not held against it.
func validUTF8Prefix(b []byte, cut bool) bool {
	if cut {
		for i := len(b) - 1; i >= 0 && i >= len(b)-(utf8.UTFMax-1); i-- {
			if utf8.RuneStart(b[i]) {
				if !utf8.FullRune(b[i:]) {
					b = b[:i]
				}
				break
			}
		}
	}
	return utf8.Valid(b)
}

// sniffComma returns the delimiter of the header line at the start of b
// (ended by LF, CRLF or a lone CR): ',' unless the line, outside quotes,
// has no comma but a ';' or a tab (the more frequent of the two).
func sniffComma(b []byte) rune {
	var commas, semis, tabs int
	quoted := false
	for _, c := range b {
		if c == '"' {
			quoted = !quoted
		}
		if quoted {
			continue
		}
		switch c {
		case '\n', '\r':
			return pickComma(commas, semis, tabs)
		case ',':
			commas++
		case ';':
			semis++
		case '\t':
			tabs++
		}
	}
	return pickComma(commas, semis, tabs)
}

func pickComma(commas, semis, tabs int) rune {
	switch {
	case commas > 0:
		return ','
	case semis > 0 && semis >= tabs:
		return ';'
	case tabs > 0:
		return '\t'
	}
	return ','
}
