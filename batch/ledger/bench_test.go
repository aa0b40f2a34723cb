package ledger_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/vicionboard/vicionboard/batch"
)

// BenchmarkClaimRecord measures the ledger's cost per row on the hot path:
// a Claim of rows rows (one transaction, committed with fsync), then a
// Record of each row's outcome (queued, committed with the next group).
// The "claim only" cases measure the Claim alone.
func BenchmarkClaimRecord(b *testing.B) {
	for _, c := range []struct {
		rows   int
		record bool
	}{{1, true}, {32, true}, {1, false}, {32, false}} {
		name := fmt.Sprintf("claim=%d", c.rows)
		if !c.record {
			name += "/claim_only"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			db := openAt(b, ledgerPath(b))
			run := begin(b, db, start("/in.csv", t0))
			claims := make([]batch.Claim, c.rows)
			n := 0
			for b.Loop() {
				for i := range claims {
					claims[i] = claim(fmt.Sprintf("E%08d", n+i), fmt.Sprintf("a%08d", n+i))
				}
				if _, err := db.Claim(ctx, run, claims); err != nil {
					b.Fatal(err)
				}
				if c.record {
					for i := range claims {
						r := rec(claims[i].Key, claims[i].Login, batch.StatusSuccess, batch.EffectCreated)
						r.Line = n + i + 2
						if err := db.Record(ctx, run, r); err != nil {
							b.Fatal(err)
						}
					}
				}
				n += c.rows
			}
			if err := db.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/row")
		})
	}
}
