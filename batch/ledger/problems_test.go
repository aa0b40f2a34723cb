package ledger_test

import (
	"context"
	"testing"
	"time"

	"github.com/vicionboard/vicionboard/batch"
)

// TestNewProblems counts tonight's INVALID and ERROR rows whose person was
// not one of the last run's: by key, by login (in any case) for a row
// without a key, by line for a row without either. On both engines.
func TestNewProblems(t *testing.T) {
	db := openAt(t, ledgerPath(t))
	ctx := context.Background()
	night := func(at time.Time, recs ...batch.RowRecord) batch.RunID {
		id := begin(t, db, start("/in.csv", at))
		for _, r := range recs {
			r.Server, r.Input, r.At = server, "/in.csv", at
			if err := db.Record(ctx, id, r); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		return id
	}
	bad := func(line int, key, login string, st batch.Status) batch.RowRecord {
		return batch.RowRecord{Line: line, Key: key, Login: login, Status: st, Code: "X"}
	}
	prev := night(t0, bad(2, "E1", "a1", batch.StatusInvalid), bad(3, "", "Nokey", batch.StatusError), bad(4, "", "", batch.StatusInvalid))
	tonight := night(t0.Add(24*time.Hour),
		bad(2, "E1", "a1", batch.StatusError),    // E1 again: not new
		bad(3, "", "nokey", batch.StatusInvalid), // the same login, in another case: not new
		bad(4, "", "", batch.StatusInvalid),      // the same line, nothing else: not new
		bad(5, "E2", "a2", batch.StatusInvalid),  // new
		bad(6, "E3", "a3", batch.StatusSuccess))  // no problem
	if n, err := db.NewProblems(ctx, tonight, prev); err != nil || n != 1 {
		t.Errorf("NewProblems = %d, %v; want 1", n, err)
	}
	if n, err := db.NewProblems(ctx, tonight, ""); err != nil || n != 4 {
		t.Errorf("NewProblems with no earlier run = %d, %v; want 4", n, err)
	}
}
