package batch

// Source yields the rows of an input in order: an HR export, a worksheet,
// or an earlier run's result file. batch/input reads files; the pipeline
// does not know formats.
type Source interface {
	// Next returns the next row, or io.EOF after the last. Its error is
	// only for a failure to read the input; a row that cannot be read is
	// a Row with Err set.
	Next() (Row, error)
	// Columns returns the input's columns that the result carries through,
	// aligned with Row.Cells.
	Columns() []string
}

// ResultSource is a Source that may be the result file of an earlier run.
type ResultSource interface {
	Source
	// IsResultFile reports whether the input is an earlier result file
	// (it has a result_status column).
	IsResultFile() bool
	// Name names the input in messages.
	Name() string
}
