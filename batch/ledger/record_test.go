package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/ledger"
)

func TestRecordEffects(t *testing.T) {
	at := t0.Add(time.Minute)
	for _, c := range []struct {
		name string
		// prepare leaves K's record as the case needs it and claims it in
		// run (or not); then run records effect.
		prepare func(t *testing.T, e *claimEnv, run batch.RunID)
		effect  batch.Effect
		want    *batch.Person // nil: no record; RunID "mine"/"other"/"earlier" is resolved
	}{
		{
			name:    "created over this run's claim",
			prepare: func(t *testing.T, e *claimEnv, run batch.RunID) { claimOne(t, e.db, run, claim("K", "klogin")) },
			effect:  batch.EffectCreated,
			want: &batch.Person{State: batch.PersonCreated, Login: "klogin", FullName: "Name of K",
				Applied: map[string]string{"agent_user_group": "AGENTS"}, Input: "/in.csv",
				RunID: "mine", CreatedBy: "mine", CreatedAt: at, UpdatedAt: at},
		},
		{
			name: "created again keeps the first creator",
			prepare: func(t *testing.T, e *claimEnv, run batch.RunID) {
				r := rec("K", "klogin", batch.StatusSuccess, batch.EffectCreated)
				r.Input = "/first.csv"
				record(t, e.otherDB, e.otherRun, r)
			},
			effect: batch.EffectCreated,
			want: &batch.Person{State: batch.PersonCreated, Login: "klogin", FullName: "Name of K",
				Applied: map[string]string{"agent_user_group": "AGENTS"}, Input: "/first.csv",
				RunID: "mine", CreatedBy: "other", CreatedAt: t0, UpdatedAt: at},
		},
		{
			name:    "released, no earlier record: removed",
			prepare: func(t *testing.T, e *claimEnv, run batch.RunID) { claimOne(t, e.db, run, claim("K", "klogin")) },
			effect:  batch.EffectReleased,
			want:    nil,
		},
		{
			name: "released over an unknown outcome: restored",
			prepare: func(t *testing.T, e *claimEnv, run batch.RunID) {
				claimOne(t, e.otherDB, e.otherRun, claim("K", "oldlogin"))
				r := rec("K", "oldlogin", batch.StatusUnknown, batch.EffectUnknown)
				r.FullName = "Old Name"
				record(t, e.otherDB, e.otherRun, r)
				claimOne(t, e.db, run, claim("K", "klogin"))
			},
			effect: batch.EffectReleased,
			want: &batch.Person{State: batch.PersonUnknown, Login: "oldlogin", FullName: "Old Name",
				Input: "/in.csv", RunID: "other", UpdatedAt: t0},
		},
		{
			name: "released over a dead claim over an unknown outcome: the unknown outcome restored",
			prepare: func(t *testing.T, e *claimEnv, run batch.RunID) {
				claimOne(t, e.otherDB, e.otherRun, claim("K", "oldlogin"))
				record(t, e.otherDB, e.otherRun, rec("K", "oldlogin", batch.StatusUnknown, batch.EffectUnknown))
				e.deadClaim(t, claim("K", "deadlogin")) // takes the unknown outcome over, then dies
				if r := claimOne(t, e.db, run, claim("K", "klogin")); !r.Granted || r.Prior.State != batch.PersonInFlight {
					t.Fatalf("claim over the dead claim: %+v", r)
				}
			},
			effect: batch.EffectReleased,
			want: &batch.Person{State: batch.PersonUnknown, Login: "oldlogin", FullName: "Name of K",
				Input: "/in.csv", RunID: "other", UpdatedAt: t0},
		},
		{
			name: "released when another run holds the record: unchanged",
			prepare: func(t *testing.T, e *claimEnv, run batch.RunID) {
				claimOne(t, e.otherDB, e.otherRun, claim("K", "klogin"))
			},
			effect: batch.EffectReleased,
			want: &batch.Person{State: batch.PersonInFlight, Login: "klogin", FullName: "Name of K",
				Input: "/in.csv", RunID: "other", Live: true},
		},
		{
			name:    "unknown",
			prepare: func(t *testing.T, e *claimEnv, run batch.RunID) { claimOne(t, e.db, run, claim("K", "klogin")) },
			effect:  batch.EffectUnknown,
			want: &batch.Person{State: batch.PersonUnknown, Login: "klogin", FullName: "Name of K",
				Input: "/in.csv", RunID: "mine", UpdatedAt: at},
		},
		{
			name: "unknown does not undo created",
			prepare: func(t *testing.T, e *claimEnv, run batch.RunID) {
				record(t, e.otherDB, e.otherRun, rec("K", "klogin", batch.StatusSuccess, batch.EffectCreated))
			},
			effect: batch.EffectUnknown,
			want: &batch.Person{State: batch.PersonCreated, Login: "klogin", FullName: "Name of K",
				Input: "/in.csv", RunID: "other", CreatedBy: "other", CreatedAt: t0, UpdatedAt: t0},
		},
		{
			name:    "none",
			prepare: func(t *testing.T, e *claimEnv, run batch.RunID) { claimOne(t, e.db, run, claim("K", "klogin")) },
			effect:  batch.EffectNone,
			want: &batch.Person{State: batch.PersonInFlight, Login: "klogin", FullName: "Name of K",
				Input: "/in.csv", RunID: "mine", Live: true},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newClaimEnv(t)
			c.prepare(t, e, e.mine)
			r := rec("K", "klogin", batch.StatusSuccess, c.effect)
			r.At, r.Line = at, 9
			if c.effect == batch.EffectCreated {
				r.Applied = map[string]string{"agent_user_group": "AGENTS"}
			}
			record(t, e.db, e.mine, r)

			got, ok := person(t, e.db, "K")
			if c.want == nil {
				if ok {
					t.Errorf("record %+v, want none", got)
				}
			} else {
				want := *c.want
				want.Server, want.Key = server, "K"
				want.RunID, want.CreatedBy = e.priorRuns[string(want.RunID)], e.priorRuns[string(want.CreatedBy)]
				ignore := cmpopts.IgnoreFields(batch.Person{}, "UpdatedAt")
				if !want.UpdatedAt.IsZero() {
					ignore = nil
				}
				if diff := cmp.Diff(want, got, cmpopts.EquateEmpty(), ignore); !ok || diff != "" {
					t.Errorf("record (-want +got):\n%s", diff)
				}
			}
			rows, err := e.db.RunRows(context.Background(), e.mine)
			if err != nil || len(rows) != 1 || rows[0].Line != 9 || rows[0].Key != "K" {
				t.Errorf("outcome rows %+v, %v; want the one recorded", rows, err)
			}
		})
	}
}

func TestDryRunChangesNoPerson(t *testing.T) {
	e := newClaimEnv(t)
	claimOne(t, e.otherDB, e.otherRun, claim("U", "u"))
	record(t, e.otherDB, e.otherRun, rec("U", "u", batch.StatusUnknown, batch.EffectUnknown))
	s := start("/in.csv", t0.Add(2*time.Hour))
	s.Command, s.DryRun = "check", true
	dry := begin(t, e.db, s)

	res, err := e.db.Claim(context.Background(), dry, []batch.Claim{claim("N", "n"), claim("N", "n"), claim("U", "u")})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Granted || res[1].Granted || !res[2].Granted || res[2].Prior.State != batch.PersonUnknown {
		t.Errorf("dry-run claims %+v: want granted, refused (same run), granted over unknown", res)
	}
	for _, effect := range []batch.Effect{batch.EffectCreated, batch.EffectUnknown, batch.EffectReleased} {
		record(t, e.db, dry, rec("N", "n", batch.StatusWouldSucceed, effect))
		record(t, e.db, dry, rec("U", "u", batch.StatusWouldSucceed, effect))
	}
	if p, ok := person(t, e.db, "N"); ok {
		t.Errorf("dry run left a record: %+v", p)
	}
	if p, _ := person(t, e.db, "U"); p.State != batch.PersonUnknown || p.RunID != e.otherRun {
		t.Errorf("dry run changed a record: %+v", p)
	}
	if rows, _ := e.db.RunRows(context.Background(), dry); len(rows) != 6 {
		t.Errorf("dry run's outcomes: %d, want 6", len(rows))
	}
}

func TestGroupCommitThenFlush(t *testing.T) {
	db := openAt(t, ledgerPath(t))
	run := begin(t, db, start("/in.csv", t0))
	const n = 1000
	for i := range n {
		r := rec(fmt.Sprintf("E%04d", i), fmt.Sprintf("a%04d", i), batch.StatusSuccess, batch.EffectCreated)
		r.Line = i + 2
		if err := db.Record(context.Background(), run, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	rows, err := db.RunRows(context.Background(), run)
	if err != nil || len(rows) != n {
		t.Fatalf("%d outcomes after Flush (%v), want %d", len(rows), err, n)
	}
	for i, r := range rows {
		if r.Line != i+2 {
			t.Fatalf("row %d has line %d", i, r.Line)
		}
	}
	// Known counts a feed's finished work: none while the run goes on.
	if k, err := db.Known(context.Background(), server, "/in.csv"); err != nil || k != 0 {
		t.Errorf("Known before the run finished = %d, %v; want 0", k, err)
	}
	if err := db.FinishRun(context.Background(), run, batch.RunEnd{Ended: t0.Add(time.Minute), Rows: n}); err != nil {
		t.Fatal(err)
	}
	if k, err := db.Known(context.Background(), server, "/in.csv"); err != nil || k != n {
		t.Errorf("Known = %d, %v; want %d", k, err, n)
	}
}

// A Claim made after a Record of the same key sees the Record's effect,
// without a Flush in between.
func TestClaimSeesEarlierRecord(t *testing.T) {
	for _, c := range []struct {
		effect  batch.Effect
		granted bool
		prior   batch.PersonState // "" for none
	}{
		{batch.EffectCreated, false, batch.PersonCreated},
		{batch.EffectReleased, true, ""},
		{batch.EffectUnknown, true, batch.PersonUnknown},
	} {
		t.Run(fmt.Sprint(c.effect), func(t *testing.T) {
			path := ledgerPath(t)
			db := openAt(t, path)
			first := begin(t, db, start("/in.csv", t0))
			second := begin(t, db, start("/in.csv", t0))
			const n = 60
			for i := range n {
				key := fmt.Sprintf("E%03d", i)
				claimOne(t, db, first, claim(key, key))
			}
			for i := range n {
				key := fmt.Sprintf("E%03d", i)
				if err := db.Record(context.Background(), first, rec(key, key, batch.StatusSuccess, c.effect)); err != nil {
					t.Fatal(err)
				}
				r := claimOne(t, db, second, claim(key, key))
				if r.Granted != c.granted || r.HadPrior != (c.prior != "") || r.Prior.State != c.prior {
					t.Fatalf("%s: claim after Record: %+v; want granted %v, prior %q", key, r, c.granted, c.prior)
				}
			}
		})
	}
}

func TestRecordErrors(t *testing.T) {
	db := openAt(t, ledgerPath(t))
	if err := db.Record(context.Background(), "20260101T000000Z-000000", rec("K", "k", batch.StatusSuccess, batch.EffectNone)); !errors.Is(err, ledger.ErrRunNotActive) {
		t.Errorf("Record for a run not begun here: %v, want ErrRunNotActive", err)
	}
	run := begin(t, db, start("/in.csv", t0))
	bad := rec("K", "k", batch.StatusSuccess, batch.Effect(42))
	if err := db.Record(context.Background(), run, bad); err != nil {
		t.Fatalf("Record queues without checking: %v", err)
	}
	err := db.Flush(context.Background())
	if err == nil {
		t.Fatal("Flush: no error for a failed write")
	}
	if err2 := db.Record(context.Background(), run, rec("L", "l", batch.StatusSuccess, batch.EffectNone)); !errors.Is(err2, err) && err2.Error() != err.Error() {
		t.Errorf("Record after a failed write: %v; want the write's error %v", err2, err)
	}
	if _, err2 := db.Claim(context.Background(), run, []batch.Claim{claim("M", "m")}); err2 == nil {
		t.Error("Claim after a failed write: no error")
	}
	if err2 := db.Flush(context.Background()); err2 == nil {
		t.Error("second Flush: the error was forgotten")
	}
	if err2 := db.FinishRun(context.Background(), run, batch.RunEnd{Ended: t0}); err2 == nil {
		t.Error("FinishRun: the error was forgotten")
	}
	// The run is recorded as finished all the same.
	if r, ok, _ := db.Run(context.Background(), run); !ok || r.End.Ended.IsZero() {
		t.Errorf("run after FinishRun with a write error: %+v", r)
	}
	if rows, _ := db.RunRows(context.Background(), run); len(rows) != 0 {
		t.Errorf("the failed record left %d outcome rows", len(rows))
	}
}
