package batch

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"
)

// sniffSize is how much of the input the reader looks at to choose the
// encoding and the delimiter.
const sniffSize = 64 << 10

// The encodings Reader.Encoding reports.
const (
	EncodingUTF8        = "UTF-8"
	EncodingWindows1252 = "Windows-1252" // Excel's "CSV (Comma delimited)" on Windows
)

// utf8BOM is the byte order mark Excel writes at the start of a UTF-8 CSV.
const utf8BOM = "\uFEFF"

// sniffed is what the start of an input tells.
type sniffed struct {
	r        io.Reader // the input as UTF-8, without its BOM
	encoding string    // EncodingUTF8 or EncodingWindows1252
	comma    rune      // the header line's delimiter
	bom      bool      // the input started with a UTF-8 BOM
}

// sniff peeks at the start of r and returns a reader of the input as
// UTF-8, with what it learnt. Input that is not UTF-8 in its first 64 KiB
// is taken for Windows-1252, which Excel writes on Windows; a UTF-8 BOM
// settles it as UTF-8 and is dropped (so that a quoted first header cell
// still parses).
func sniff(r io.Reader) (sniffed, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return sniffed{}, fmt.Errorf("reading the start of the input: %w", err)
	}
	if bytes.HasPrefix(head, []byte(utf8BOM)) {
		comma := sniffComma(head[len(utf8BOM):])
		if _, err := br.Discard(len(utf8BOM)); err != nil {
			return sniffed{}, fmt.Errorf("reading the start of the input: %w", err)
		}
		return sniffed{r: br, encoding: EncodingUTF8, comma: comma, bom: true}, nil
	}
	comma := sniffComma(head)
	if validUTF8Prefix(head, len(head) == sniffSize) {
		return sniffed{r: br, encoding: EncodingUTF8, comma: comma}, nil
	}
	return sniffed{r: transform.NewReader(br, charmap.Windows1252.NewDecoder()), encoding: EncodingWindows1252, comma: comma}, nil
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

// sniffComma returns the delimiter of the header line at the start of b:
// ',' unless the line, outside quotes, has no comma but a ';' or a tab
// (the more frequent of the two).
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
		case '\n':
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
