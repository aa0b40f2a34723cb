package ledger_test

import (
	"context"
	"sync"
	"testing"

	"github.com/vicionboard/vicionboard/batch/ledger"
)

// TestConcurrentOpenOfANewLedger: processes that start at the same moment
// on a ledger that does not exist yet (two scheduled jobs, the first
// night) all open it: SQLite's answer that the file is busy while another
// connection sets it up is waited out, as any other lock is.
func TestConcurrentOpenOfANewLedger(t *testing.T) {
	for round := range 25 {
		path := ledgerPath(t)
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				db, err := ledger.Open(context.Background(), path, optsFor(path))
				if err != nil {
					errs <- err
					return
				}
				errs <- db.Close()
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
}
