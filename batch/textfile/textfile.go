// Package textfile reads the small text files a person writes for
// vicionboard (a --map mapping, a --profile): at most MaxSize bytes, from a
// regular file only, in UTF-8. Anything else is refused at once, before a
// byte is held in memory: a device (/dev/zero), a FIFO (whose writer may
// never come), a file of gigabytes, or a file saved in Windows-1252, whose
// problem is named with its line and column.
package textfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
	"unicode/utf8"
)

// MaxSize is the largest file Read reads: a mapping or a profile is a few
// lines, and a file many times larger is the wrong file.
const MaxSize = 1 << 20

// Error is a file Read refuses, at a line and column when the fault is at
// one (an invalid byte); 0 for the whole file.
type Error struct {
	File   string
	Line   int
	Column int
	Msg    string
}

// Error returns "FILE:LINE:COLUMN: MSG", or "FILE: MSG".
func (e *Error) Error() string {
	switch {
	case e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// ErrRefused is matched (errors.Is) by every *Error.
var ErrRefused = errors.New("file refused")

// Is reports whether target is ErrRefused.
func (e *Error) Is(target error) bool { return target == ErrRefused }

// Read returns the content of the file at path, named so in messages
// (what says what it is: "mapping", "profile"). It refuses, as an *Error,
// a file that is not a regular file, one larger than MaxSize, and one that
// is not UTF-8 (a UTF-16 file with a byte order mark is returned as it is:
// YAML reads it). Other errors (no such file) are returned as os.Open
// returns them.
func Read(path, what string) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO returns at once instead of waiting for a
	// writer, and the check below refuses it; a regular file reads as ever.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &Error{File: path, Msg: fmt.Sprintf("not a regular file (%s): a %s is read from a file", kind(fi.Mode()), what)}
	}
	if fi.Size() > MaxSize {
		return nil, tooLarge(path, what)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSize {
		return nil, tooLarge(path, what)
	}
	if bytes.HasPrefix(data, []byte("\xff\xfe")) || bytes.HasPrefix(data, []byte("\xfe\xff")) {
		return data, nil
	}
	if line, col, b, bad := invalidUTF8(data); bad {
		return nil, &Error{File: path, Line: line, Column: col, Msg: fmt.Sprintf(
			"not UTF-8 (byte 0x%02X here): the %s was saved in another encoding, such as Windows-1252; save it as UTF-8 (in Notepad: Save as, Encoding UTF-8)", b, what)}
	}
	return data, nil
}

func tooLarge(path, what string) error {
	return &Error{File: path, Msg: fmt.Sprintf("larger than %d KiB: a %s is a few lines; is it the right file?", MaxSize>>10, what)}
}

// kind names a file mode that is not a regular file.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a plain file"
}

// invalidUTF8 finds the first byte of data that is not UTF-8, and returns
// its line and column (1-based, the column counted in characters), and the
// byte.
func invalidUTF8(data []byte) (line, col int, b byte, bad bool) {
	line, col = 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return line, col, data[i], true
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return 0, 0, 0, false
}
