package ledger_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vicionboard/vicionboard/batch"
)

// TestPersonsByKeyAgreesWithPerson looks up, in one call, more keys than
// one statement takes (created, in flight in a live run and in a dead one,
// unknown, never seen, one key twice), and wants for each what Person says.
func TestPersonsByKeyAgreesWithPerson(t *testing.T) {
	ctx := context.Background()
	e := newClaimEnv(t)
	e.deadClaim(t, claim("DEAD", "dead"))
	var keys []string
	for i := range 150 {
		k := fmt.Sprintf("K%03d", i)
		keys = append(keys, k)
		switch i % 5 {
		case 0: // created
			claimOne(t, e.db, e.mine, claim(k, "c"+k))
			record(t, e.db, e.mine, rec(k, "c"+k, batch.StatusSuccess, batch.EffectCreated))
		case 1: // in flight in this (live) run
			claimOne(t, e.db, e.mine, claim(k, "f"+k))
		case 2: // unknown
			claimOne(t, e.db, e.mine, claim(k, "u"+k))
			record(t, e.db, e.mine, rec(k, "u"+k, batch.StatusUnknown, batch.EffectUnknown))
		case 3: // in flight in another process's live run
			claimOne(t, e.otherDB, e.otherRun, claim(k, "o"+k))
		}
		// i%5 == 4: never seen
	}
	keys = append(keys, "DEAD", "K000", "NOBODY")
	for _, n := range []int{0, 1, 3, 64, 65, len(keys)} {
		got, err := e.db.PersonsByKey(ctx, server, keys[len(keys)-n:])
		if err != nil {
			t.Fatalf("PersonsByKey of %d keys: %v", n, err)
		}
		want := map[string]batch.Person{}
		for _, k := range keys[len(keys)-n:] {
			if p, ok := person(t, e.db, k); ok {
				want[k] = p
			}
		}
		if n == len(keys) {
			live, dead := 0, 0
			for _, p := range want {
				if p.State == batch.PersonInFlight && p.Live {
					live++
				} else if p.State == batch.PersonInFlight {
					dead++
				}
			}
			if len(want) != 121 || live != 60 || dead != 1 {
				t.Fatalf("setup: %d records, %d in flight live, %d dead; want 121, 60, 1", len(want), live, dead)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("PersonsByKey of %d keys, against Person one by one (-want +got):\n%s", n, diff)
		}
	}
	got, err := e.db.PersonsByKey(ctx, "http://elsewhere/", keys)
	if err != nil || len(got) != 0 {
		t.Errorf("PersonsByKey on another server = %v, %v; want none", got, err)
	}
}
