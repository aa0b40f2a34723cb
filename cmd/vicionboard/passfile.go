package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
)

// maxPassLine bounds the first line of --api-pass-file that is read: a
// password is short, and a file without an end of line in its first 4 KiB
// (/dev/zero, a binary file) is not a password file.
const maxPassLine = 4 << 10

// readPassFile returns the first line of the password file at path (a
// regular file, or a pipe such as <(pass show dialer)), reading at most
// maxPassLine bytes. Its errors never quote the file's content.
func readPassFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", usagef("--api-pass-file: %w", err)
	}
	defer f.Close()
	head, err := bufio.NewReaderSize(io.LimitReader(f, maxPassLine), maxPassLine).ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return "", usagef("--api-pass-file %s: no end of line in its first %d bytes: not a password file", path, maxPassLine)
	case err != nil && !errors.Is(err, io.EOF):
		return "", usagef("--api-pass-file %s: %w", path, err)
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return "", usagef("--api-pass-file %s: holds NUL bytes: not a password file", path)
	}
	if len(head) == 0 {
		return "", usagef("--api-pass-file %s: empty file", path)
	}
	pass := strings.TrimRight(string(head), "\r\n")
	if pass == "" {
		return "", usagef("--api-pass-file %s: the first line is empty", path)
	}
	return pass, nil
}
