package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/vicionboard/vicionboard/batch"
)

// maxListed is how many lines of rows needing attention a summary names.
const maxListed = 20

// Summary counts outcomes per status and per reason code. It wraps a Sink
// so that it sees exactly what is written. Safe for concurrent use.
type Summary struct {
	next batch.Sink

	mu       sync.Mutex
	total    int
	statuses map[batch.Status]int
	codes    map[string]int
	unknown  []int // lines of UNKNOWN rows
}

var _ batch.Sink = (*Summary)(nil)

// NewSummary returns a Summary that passes every row on to next (which may
// be nil).
func NewSummary(next batch.Sink) *Summary {
	return &Summary{next: next, statuses: map[batch.Status]int{}, codes: map[string]int{}}
}

// Write counts the outcome and passes the row on.
func (s *Summary) Write(row batch.Row, out batch.Outcome) error {
	status, code := out.Status, out.Code
	if out.Carried != nil {
		status, code = batch.Status(out.Carried.Status), batch.CodeCarriedOver
	}
	s.mu.Lock()
	s.total++
	s.statuses[status]++
	if code != "" {
		s.codes[code]++
	}
	if status == batch.StatusUnknown {
		s.unknown = append(s.unknown, row.Line)
	}
	s.mu.Unlock()
	if s.next == nil {
		return nil
	}
	return s.next.Write(row, out)
}

// Total returns the number of rows counted.
func (s *Summary) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Count returns the number of rows with status st.
func (s *Summary) Count(st batch.Status) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statuses[st]
}

// Statuses returns a copy of the number of rows per status.
func (s *Summary) Statuses() map[batch.Status]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[batch.Status]int, len(s.statuses))
	for st, n := range s.statuses {
		out[st] = n
	}
	return out
}

// Codes returns a copy of the number of rows per reason code (rows carried
// over from an earlier result file count as CARRIED_OVER).
func (s *Summary) Codes() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.codes))
	for c, n := range s.codes {
		out[c] = n
	}
	return out
}

// AllSucceeded reports whether every row counted has status want (SUCCESS
// for a run, VALID or WOULD_SUCCEED for a dry run).
func (s *Summary) AllSucceeded(want ...batch.Status) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, st := range want {
		n += s.statuses[st]
	}
	return n == s.total
}

// statusOrder is the order statuses are printed in.
var statusOrder = []batch.Status{
	batch.StatusSuccess, batch.StatusWouldSucceed, batch.StatusValid,
	batch.StatusError, batch.StatusWouldFail, batch.StatusInvalid,
	batch.StatusUnknown, batch.StatusNotAttempted,
}

// Print writes the summary for a person: the rows, their count per status
// and per reason, the UNKNOWN rows (which need a person's look), and where
// the result file is.
func (s *Summary) Print(w io.Writer, title, outPath string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d rows\n", title, s.total)
	seen := map[batch.Status]bool{}
	for _, st := range statusOrder {
		seen[st] = true
		if n := s.statuses[st]; n > 0 {
			fmt.Fprintf(&b, "  %-14s %d\n", st, n)
		}
	}
	for st, n := range s.statuses {
		if !seen[st] && n > 0 {
			fmt.Fprintf(&b, "  %-14s %d\n", st, n)
		}
	}
	if len(s.codes) > 0 {
		codes := make([]string, 0, len(s.codes))
		for c := range s.codes {
			codes = append(codes, c)
		}
		sort.Slice(codes, func(i, j int) bool {
			if s.codes[codes[i]] != s.codes[codes[j]] {
				return s.codes[codes[i]] > s.codes[codes[j]]
			}
			return codes[i] < codes[j]
		})
		b.WriteString("by reason:\n")
		for _, c := range codes {
			fmt.Fprintf(&b, "  %-22s %d\n", c, s.codes[c])
		}
	}
	if n := len(s.unknown); n > 0 {
		fmt.Fprintf(&b, "ATTENTION: %d row(s) UNKNOWN: the server may or may not have created them; check before retrying (lines %s)\n",
			n, listLines(s.unknown))
	}
	if outPath != "" {
		fmt.Fprintf(&b, "result file: %s\n", outPath)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func listLines(lines []int) string {
	parts := make([]string, 0, maxListed+1)
	for i, l := range lines {
		if i == maxListed {
			parts = append(parts, fmt.Sprintf("and %d more", len(lines)-maxListed))
			break
		}
		parts = append(parts, fmt.Sprint(l))
	}
	return strings.Join(parts, ", ")
}
