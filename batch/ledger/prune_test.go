package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/ledger"
)

// aged is a ledger with runs of every kind, most of them older than its
// cutoff: which outcomes Prune deletes and which it keeps.
type aged struct {
	path   string
	db     *ledger.DB // the handle that prunes
	other  *ledger.DB // another handle, holding the live run
	cutoff time.Time

	a1, a2, aCheck, aNew batch.RunID // /a.csv: old, old, an old check, one after the cutoff
	b1, b2               batch.RunID // /b.csv: old, and old but the last run on the input
	dead, live           batch.RunID // /c.csv, /d.csv: unfinished, dead and live
	rows                 map[batch.RunID]int
}

func newAged(t *testing.T) *aged {
	ctx := context.Background()
	day := 24 * time.Hour
	h := &aged{path: ledgerPath(t), cutoff: t0.Add(5 * day), rows: map[batch.RunID]int{}}
	h.db = openAt(t, h.path)
	run := func(db *ledger.DB, input string, at time.Time, dry bool, n int, finish bool) batch.RunID {
		t.Helper()
		s := start(input, at)
		if dry {
			s.Command, s.DryRun = "check", true
		}
		id := begin(t, db, s)
		for i := range n {
			key := fmt.Sprintf("%s-E%d", input, i)
			r := rec(key, fmt.Sprintf("u%d%s", i, strings.Trim(input, "/.csv")), batch.StatusSuccess, batch.EffectCreated)
			r.Line, r.Input = i+2, input
			if dry {
				r.Status, r.Effect = batch.StatusWouldSucceed, batch.EffectNone
			} else {
				claimOne(t, db, id, batch.Claim{Server: server, Key: key, Login: r.Login, FullName: r.FullName, Input: input, Line: r.Line})
			}
			record(t, db, id, r)
		}
		h.rows[id] = n
		if finish {
			if err := db.FinishRun(ctx, id, batch.RunEnd{Ended: at.Add(time.Minute), Rows: n}); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	h.a1 = run(h.db, "/a.csv", t0, false, 3, true)
	h.a2 = run(h.db, "/a.csv", t0.Add(day), false, 2, true)
	h.aCheck = run(h.db, "/a.csv", t0.Add(2*day), true, 1, true)
	h.aNew = run(h.db, "/a.csv", t0.Add(6*day), false, 1, true)
	h.b1 = run(h.db, "/b.csv", t0.Add(day+time.Hour), false, 2, true)
	h.b2 = run(h.db, "/b.csv", t0.Add(2*day), false, 2, true)

	crashed := openAt(t, h.path)
	h.dead = run(crashed, "/c.csv", t0.Add(day), false, 1, false)
	if err := crashed.Close(); err != nil { // as after a crash: unfinished, not live
		t.Fatal(err)
	}
	h.other = openAt(t, h.path)
	h.live = run(h.other, "/d.csv", t0.Add(day), false, 1, false)
	claimOne(t, h.other, h.live, batch.Claim{Server: server, Key: "/d.csv-E9", Login: "inflight", FullName: "In Flight", Input: "/d.csv", Line: 9})
	return h
}

// dump returns every row of table, as text, in rowid order.
func dump(t *testing.T, path, table string) []string {
	t.Helper()
	raw := rawDB(t, path)
	rows, err := raw.Query("SELECT * FROM " + table + " ORDER BY 1, 2")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(vals...))
	}
	return out
}

// rowCounts returns how many outcomes each run of ids has.
func rowCounts(t *testing.T, db *ledger.DB, ids ...batch.RunID) map[batch.RunID]int {
	t.Helper()
	m := map[batch.RunID]int{}
	for _, id := range ids {
		rows, err := db.RunRows(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		m[id] = len(rows)
	}
	return m
}

func TestPrune(t *testing.T) {
	for _, dry := range []bool{true, false} {
		t.Run(fmt.Sprintf("dry=%v", dry), func(t *testing.T) {
			ctx := context.Background()
			h := newAged(t)
			all := []batch.RunID{h.a1, h.a2, h.aCheck, h.aNew, h.b1, h.b2, h.dead, h.live}
			persons := dump(t, h.path, "persons")
			runs, err := h.db.Runs(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			before := rowCounts(t, h.db, all...)

			res, err := h.db.Prune(ctx, h.cutoff, dry)
			if err != nil {
				t.Fatalf("Prune: %v", err)
			}
			var got []batch.RunID
			for _, r := range res.Runs {
				got = append(got, r.ID)
				if r.Outcomes != h.rows[r.ID] {
					t.Errorf("run %s: %d outcomes pruned, want %d", r.ID, r.Outcomes, h.rows[r.ID])
				}
			}
			if want := []batch.RunID{h.a1, h.a2, h.b1, h.aCheck}; !cmp.Equal(got, want) {
				t.Errorf("pruned runs %v, want oldest first %v", got, want)
			}
			if res.Outcomes != 8 || res.KeptUnfinished != 2 || res.KeptLast != 1 || res.DryRun != dry {
				t.Errorf("result %+v: want 8 outcomes, 2 unfinished kept, 1 last kept", res)
			}

			wantRows := maps(before)
			if !dry {
				for _, id := range got {
					wantRows[id] = 0
				}
			}
			if diff := cmp.Diff(wantRows, rowCounts(t, h.db, all...)); diff != "" {
				t.Errorf("outcomes per run after Prune (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(persons, dump(t, h.path, "persons")); diff != "" {
				t.Errorf("persons changed (-before +after):\n%s", diff)
			}
			after, err := h.db.Runs(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(runs, after); diff != "" {
				t.Errorf("runs changed (-before +after):\n%s", diff)
			}
			prunings, err := h.db.Prunings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var pruned []batch.RunID
			for id, p := range prunings {
				pruned = append(pruned, id)
				if p.Rows != h.rows[id] || p.At.IsZero() {
					t.Errorf("run %s pruned %+v, want %d rows and a time", id, p, h.rows[id])
				}
			}
			slices.Sort(pruned)
			want := slices.Clone(got)
			slices.Sort(want)
			if dry {
				want = nil
			}
			if !cmp.Equal(pruned, want) {
				t.Errorf("Prunings %v, want %v", pruned, want)
			}

			// The live run in the other handle carries on, undisturbed.
			r := rec("/d.csv-E9", "inflight", batch.StatusSuccess, batch.EffectCreated)
			r.Line, r.Input = 9, "/d.csv"
			record(t, h.other, h.live, r)
			if err := h.other.FinishRun(ctx, h.live, batch.RunEnd{Ended: t0.Add(25 * time.Hour), Rows: 2}); err != nil {
				t.Fatalf("FinishRun of the live run after Prune: %v", err)
			}
			if p, ok := person(t, h.db, "/d.csv-E9"); !ok || p.State != batch.PersonCreated || p.CreatedBy != h.live {
				t.Errorf("the live run's person after Prune: %+v, %v", p, ok)
			}
			if n := rowCounts(t, h.db, h.live)[h.live]; n != 2 {
				t.Errorf("the live run has %d outcomes, want 2", n)
			}

			// Again: nothing more, unless the first was a dry run.
			again, err := h.db.Prune(ctx, h.cutoff, true)
			if err != nil {
				t.Fatal(err)
			}
			if want := len(got); !dry {
				want = 0
				if len(again.Runs) != want {
					t.Errorf("a second Prune would prune %d runs, want %d", len(again.Runs), want)
				}
			} else if len(again.Runs) != want {
				t.Errorf("Prune after a dry run would prune %d runs, want %d", len(again.Runs), want)
			}
		})
	}
}

func maps(m map[batch.RunID]int) map[batch.RunID]int {
	c := make(map[batch.RunID]int, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// A ledger whose outcomes are mostly pruned shrinks with Vacuum; a
// multiple of Prune's chunk is deleted whole and marked.
func TestPruneVacuum(t *testing.T) {
	ctx := context.Background()
	path := ledgerPath(t)
	db := openAt(t, path)
	const n = 10000
	old := begin(t, db, start("/in.csv", t0))
	for i := range n {
		r := rec(fmt.Sprintf("E%05d", i), fmt.Sprintf("agent%05d", i), batch.StatusSuccess, batch.EffectNone)
		r.Line, r.Reason = i+2, strings.Repeat("already created ", 20)
		if err := db.Record(ctx, old, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.FinishRun(ctx, old, batch.RunEnd{Ended: t0, Rows: n}); err != nil {
		t.Fatal(err)
	}
	last := begin(t, db, start("/in.csv", t0.Add(time.Hour)))
	record(t, db, last, rec("E1", "agent00001", batch.StatusSuccess, batch.EffectNone))
	if err := db.FinishRun(ctx, last, batch.RunEnd{Ended: t0.Add(time.Hour), Rows: 1}); err != nil {
		t.Fatal(err)
	}

	// Vacuum refuses while a run is live.
	live := begin(t, db, start("/other.csv", t0.Add(2*time.Hour)))
	if _, _, err := db.Vacuum(ctx); !errors.Is(err, ledger.ErrRunLive) || !strings.Contains(err.Error(), string(live)) {
		t.Errorf("Vacuum with a live run: %v, want ErrRunLive naming %s", err, live)
	}
	if err := db.FinishRun(ctx, live, batch.RunEnd{}); err != nil {
		t.Fatal(err)
	}

	res, err := db.Prune(ctx, t0.Add(time.Minute), false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcomes != n || len(res.Runs) != 1 || res.Runs[0].ID != old {
		t.Fatalf("Prune: %+v, want %d outcomes of run %s", res, n, old)
	}
	p, err := db.Prunings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p[old].Rows != n || p[old].At.IsZero() {
		t.Errorf("pruning of %s: %+v, want %d rows", old, p[old], n)
	}
	before, after, err := db.Vacuum(ctx)
	if err != nil {
		t.Fatalf("Vacuum: %v", err)
	}
	if after <= 0 || after*4 > before {
		t.Errorf("Vacuum: %d bytes -> %d, want less than a quarter", before, after)
	}
	if rows, err := db.RunRows(ctx, last); err != nil || len(rows) != 1 {
		t.Errorf("the last run's rows after Vacuum: %d, %v", len(rows), err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path) // quick_check passes
	if _, ok := person(t, db, "E1"); ok {
		t.Errorf("EffectNone created a person")
	}
}

// A prune that cannot take the write lock in time fails with ErrBusy and
// deletes nothing.
func TestPruneBusy(t *testing.T) {
	ctx := context.Background()
	path := ledgerPath(t)
	o := optsFor(path)
	o.BusyTimeout = 100 * time.Millisecond
	db, err := ledger.Open(ctx, path, o)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range 2 {
		id := begin(t, db, start("/in.csv", t0.Add(time.Duration(i)*time.Hour)))
		record(t, db, id, rec("E1", "jsmith", batch.StatusSuccess, batch.EffectNone))
		if err := db.FinishRun(ctx, id, batch.RunEnd{Ended: t0, Rows: 1}); err != nil {
			t.Fatal(err)
		}
	}
	release := holdWriteLock(t, path, "outcomes")
	_, err = db.Prune(ctx, t0.Add(time.Minute), false)
	if !errors.Is(err, ledger.ErrBusy) || !strings.Contains(err.Error(), "try again") {
		t.Errorf("Prune while another process writes: %v, want ErrBusy", err)
	}
	release()
	res, err := db.Prune(ctx, t0.Add(time.Minute), false)
	if err != nil || res.Outcomes != 1 {
		t.Errorf("Prune once the lock is free: %+v, %v", res, err)
	}
}
