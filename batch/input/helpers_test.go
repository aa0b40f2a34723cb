package input_test

import (
	"strings"
	"testing"

	"github.com/vicionboard/vicionboard/batch/input"
)

// reader opens csv text as an input.
func reader(t *testing.T, csv string) *input.Reader {
	t.Helper()
	r, err := input.NewReader(strings.NewReader(csv), "input.csv")
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}
