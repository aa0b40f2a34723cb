package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/dustin/go-humanize"

	"github.com/spf13/cobra"

	"github.com/vicionboard/vicionboard/batch/input"
	"github.com/vicionboard/vicionboard/batch/mapping"
	"github.com/vicionboard/vicionboard/report"
)

// inputOptions are the flags that say what of the input is read: --sheet,
// the worksheet of an .xlsx workbook.
type inputOptions struct {
	sheet      string
	mapPath    string           // --map
	mapping    *mapping.Mapping // loaded from mapPath by load
	spoolLimit sizeFlag         // --spool-limit
}

// register adds --sheet and --map to cmd (run and check).
func (o *inputOptions) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.sheet, "sheet", "", "the worksheet of an .xlsx input to read (default the first)")
	cmd.Flags().StringVar(&o.mapPath, "map", "", "YAML file mapping HR's columns onto VICIdial's fields (vicionboard template --map FILE.yaml writes a starter)")
	o.spoolLimit = DefaultSpoolLimit
	cmd.Flags().Var(&o.spoolLimit, "spool-limit", "an input that is not a regular file (a pipe, /dev/stdin) is copied aside before it is read, up to this size (512MiB, 2GB...)")
}

// sizeFlag is a flag holding a number of bytes, written 512MiB, 2GB or
// 1048576.
type sizeFlag int64

func (s *sizeFlag) String() string { return humanize.IBytes(uint64(*s)) }

func (s *sizeFlag) Set(v string) error {
	n, err := humanize.ParseBytes(v)
	if err != nil || n == 0 || n > math.MaxInt64 {
		return fmt.Errorf("%q is not a size: write 512MiB, 2GB or a number of bytes", v)
	}
	*s = sizeFlag(n)
	return nil
}

func (s *sizeFlag) Type() string { return "SIZE" }

// reader returns the options to read the input with.
func (o *inputOptions) reader() input.Options {
	return input.Options{Sheet: o.sheet, Map: o.mapping}
}

// finishResult makes the .xlsx result file out, when it is one, from the
// CSV the run or check wrote beside it (report.FinishXLSX; opts are the
// CSV's), once the CSV is closed, and returns the command's error: err, or
// the failure to write the workbook when err is nil (exit 3: the result
// file is not written, the CSV beside it is kept and named), or both.
func finishResult(out string, opts report.Options, err error) error {
	ferr := report.FinishXLSX(out, opts)
	switch {
	case ferr == nil:
		return err
	case err == nil:
		return ferr
	}
	return errors.Join(err, ferr)
}

// isWorkbook reports whether the file at path is an .xlsx workbook, as the
// reader decides (by its content, whatever its name).
func isWorkbook(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, head)
	return input.DetectFormat(head[:n]) == input.FormatXLSX
}
