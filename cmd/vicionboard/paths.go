package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/input"
	"github.com/vicionboard/vicionboard/report"
)

// files are the input and result paths of a run or check, checked so that
// a run never writes over its input, whatever the paths say.
type files struct {
	input string // as given
	out   string // as given or defaulted
	// inputAbs and outAbs name them in the ledger.
	inputAbs, outAbs string
	// spool, when set, is a private copy of an input that cannot be read
	// twice (a pipe): the planning pass and the run each read it once.
	spool string
}

// resolveFiles checks the input and the result path (out, or def(input)
// when out is empty; for an .xlsx input, def(input) with the extension
// .xlsx: INPUT.results.xlsx, INPUT.check.xlsx):
//   - an input that is not a regular file (a pipe, /dev/stdin) needs --out,
//     and is copied aside so that it can be read twice;
//   - the result file may not be the input, through a symbolic link, a hard
//     link or another spelling of its path (files are compared by device
//     and inode);
//   - the result path may not be a symbolic link: a run writes a file of
//     passwords, and a link could send them anywhere (a link in a shared
//     folder to another user's file). Give the real path instead.
func resolveFiles(input, out string, def func(string) string) (*files, error) {
	inInfo, err := os.Stat(input)
	if err != nil {
		return nil, usagef("input: %w", err)
	}
	if inInfo.IsDir() {
		return nil, usagef("input %s is a directory", input)
	}
	if !inInfo.Mode().IsRegular() && out == "" {
		return nil, usagef("input %s is not a regular file (a pipe or device): give --out for the result file", input)
	}
	if out == "" {
		out = defaultResult(input, def)
	}
	f := &files{input: input, out: out}
	if f.inputAbs, err = filepath.Abs(input); err != nil {
		return nil, usagef("input: %w", err)
	}
	if f.outAbs, err = filepath.Abs(out); err != nil {
		return nil, usagef("--out: %w", err)
	}
	// An .xlsx result's rows are written to a CSV beside it during the run:
	// that path is held to the same rules.
	for _, path := range []string{out, report.CSVPath(out)} {
		what := "--out " + path
		if path != out {
			what = fmt.Sprintf("%s (where the rows of %s are written during the run)", path, out)
		}
		if err := checkResultPath(path, what, input, inInfo); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// checkResultPath refuses a path a run would write its result to (what
// names it in messages) that is a symbolic link, the input (by device and
// inode, or by path), or not a regular file.
func checkResultPath(path, what, input string, inInfo fs.FileInfo) error {
	if li, err := os.Lstat(path); err == nil {
		if li.Mode()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(path)
			return usagef("%s is a symbolic link (to %s): give the real path of the result file instead", what, target)
		}
		if oi, err := os.Stat(path); err == nil && os.SameFile(inInfo, oi) {
			return usagef("%s is the input file %s (the same file under another name): choose another result file", what, input)
		}
		if !li.Mode().IsRegular() {
			return usagef("%s is not a regular file", what)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return usagef("--out: %w", err)
	}
	inAbs, err1 := filepath.Abs(input)
	pathAbs, err2 := filepath.Abs(path)
	if err1 == nil && err2 == nil && filepath.Clean(inAbs) == filepath.Clean(pathAbs) {
		return usagef("%s is the input file: choose another result file", what)
	}
	return nil
}

// DefaultSpoolLimit is how much of an input that is not a regular file
// (a pipe, /dev/stdin) is copied aside at most, unless --spool-limit says
// otherwise: several times a million-row export.
const DefaultSpoolLimit = 512 << 20

// spoolHead is how much of such an input is read before its format is
// judged: a stream that is neither text nor a workbook (/dev/zero,
// /dev/urandom, a binary file) is refused after its first spoolHead bytes.
const spoolHead = 64 << 10

// spoolPrefix starts the name of the private copy of OUT's input:
// .OUT.input-*, beside the result file.
func spoolPrefix(outAbs string) string { return "." + filepath.Base(outAbs) + ".input-" }

// spoolInput copies a non-regular input into a private file beside the
// result file, so that the planning pass and the run both read it. It is
// called with the result file's lock held, for every input: a copy left
// beside the result file by a run that was killed (kill -9) is removed
// first. It copies at most limit
// bytes (an input that goes on is refused, exit 2), refuses a stream that
// is not text or a workbook after its first bytes, and stops at once when
// ctx is cancelled, even while the input gives nothing (a pipe whose
// writer is idle). The copy is removed when the run ends, however it ends
// but kill -9.
func (f *files) spoolInput(ctx context.Context, limit int64) error {
	dir, prefix := filepath.Dir(f.outAbs), spoolPrefix(f.outAbs)
	if old, _ := filepath.Glob(filepath.Join(dir, globEscape(prefix)+"*")); len(old) > 0 {
		for _, p := range old {
			_ = os.Remove(p)
		}
	}
	fi, err := os.Stat(f.input)
	if err != nil || fi.Mode().IsRegular() {
		return err
	}
	if limit <= 0 {
		limit = DefaultSpoolLimit
	}
	tmp, err := os.CreateTemp(dir, prefix+"*")
	if err != nil {
		return fmt.Errorf("copy of the input: %w", err)
	}
	f.spool = tmp.Name()
	addScratch(f.spool)
	// Opening a FIFO waits for its writer, and reading a pipe waits for
	// data: the copy runs apart, so that a signal is honoured meanwhile.
	done := make(chan error, 1)
	go func() { done <- copyInput(ctx, tmp, f.input, limit) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("copy of the input: %w", cerr)
	}
	return err
}

// copyInput copies the input at path to w, at most limit bytes, judging
// its format from its first spoolHead bytes.
func copyInput(ctx context.Context, w io.Writer, path string, limit int64) error {
	src, err := os.Open(path)
	if err != nil {
		return usagef("input: %w", err)
	}
	defer src.Close()
	buf := make([]byte, spoolHead)
	head, judged := 0, false
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		m, rerr := src.Read(buf[head:])
		if !judged {
			head += m
			if head < len(buf) && rerr == nil {
				continue
			}
			judged = true
			if format := input.DetectFormat(buf[:head]); format != input.FormatCSV && format != input.FormatXLSX {
				return &batch.InputError{File: path, Line: 1, Msg: format.Refusal() + " (refused after its first " + fmt.Sprint(head) + " bytes)"}
			}
			m, head = head, 0
		}
		if n += int64(m); n > limit {
			return usagef("input %s goes on past --spool-limit %s: an input that is not a regular file is copied aside before it is read, up to that size; give a larger --spool-limit, or save the input as a file", path, humanize.IBytes(uint64(limit)))
		}
		if _, werr := w.Write(buf[:m]); werr != nil {
			return fmt.Errorf("copy of the input: %w", werr)
		}
		if errors.Is(rerr, io.EOF) {
			return nil
		}
		if rerr != nil {
			return usagef("input %s: %w", path, rerr)
		}
	}
}

// globEscape escapes the characters filepath.Match gives a meaning to.
func globEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`).Replace(s)
}

// readPath is the path to read the input from.
func (f *files) readPath() string {
	if f.spool != "" {
		return f.spool
	}
	return f.input
}

// cleanup removes the input's private copy.
func (f *files) cleanup() {
	if f.spool != "" {
		dropScratch(f.spool)
	}
}

// defaultResult is def(input), with the extension .xlsx for a workbook
// (INPUT.results.xlsx, INPUT.check.xlsx): the result file run, check and
// demo write when --out names none.
func defaultResult(input string, def func(string) string) string {
	out := def(input)
	if isWorkbook(input) {
		out = strings.TrimSuffix(out, filepath.Ext(out)) + ".xlsx"
	}
	return out
}

// defaultOut is INPUT.results.csv beside the input (resolveFiles makes it
// INPUT.results.xlsx for a workbook).
func defaultOut(input string) string {
	ext := filepath.Ext(input)
	return strings.TrimSuffix(input, ext) + ".results.csv"
}
