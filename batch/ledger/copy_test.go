package ledger_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/ledger"
	"github.com/vicionboard/vicionboard/batch/ledger/ledgertest"
)

// otherEngine returns a fresh ledger on the engine this process does not
// test: PostgreSQL from a SQLite run, SQLite from a PostgreSQL run.
func otherEngine(t *testing.T) string {
	t.Helper()
	if ledgertest.Engine() == "postgres" {
		return filepath.Join(t.TempDir(), "state", "ledger.db")
	}
	loc := ledgertest.Postgres(t).NewSchema(t)
	dir := t.TempDir()
	ledgers.Store(loc, ledgertest.Ledger{Location: loc, KeyFile: filepath.Join(dir, "ledger.key"), RunsDir: filepath.Join(dir, "runs")})
	return loc
}

// everything is what the ledger remembers, through its readers.
type everything struct {
	Runs     []batch.RunSummary
	Rows     map[batch.RunID][]ledger.Outcome
	Prunings map[batch.RunID]ledger.Pruning
	Persons  map[string]batch.Person
}

func remembered(t *testing.T, db *ledger.DB) everything {
	t.Helper()
	ctx := context.Background()
	var e everything
	var err error
	if e.Runs, err = db.Runs(ctx, 0); err != nil {
		t.Fatal(err)
	}
	e.Rows = map[batch.RunID][]ledger.Outcome{}
	var keys []string
	for _, r := range e.Runs {
		rows, err := db.RunRows(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		e.Rows[r.ID] = rows
		for _, o := range rows {
			keys = append(keys, o.Key)
		}
	}
	keys = append(keys, "/d.csv-E9")
	if e.Persons, err = db.PersonsByKey(ctx, server, keys); err != nil {
		t.Fatal(err)
	}
	for k, p := range e.Persons {
		p.Live = false // the copy's runs are not live
		e.Persons[k] = p
	}
	if e.Prunings, err = db.Prunings(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestCopy: Copy moves every run, outcome and person, and the ledger's
// identity, to a ledger of the other engine (SQLite into PostgreSQL from
// the SQLite run of the tests, PostgreSQL into SQLite from the other);
// it refuses while a run is live, and over a ledger that is not empty.
func TestCopy(t *testing.T) {
	ctx := context.Background()
	h := newAged(t)
	if _, err := h.db.Prune(ctx, t0.Add(24*time.Hour), false); err != nil {
		t.Fatal(err)
	}
	target := otherEngine(t)
	to := openAt(t, target)
	if _, err := ledger.Copy(ctx, h.db, to); !errors.Is(err, ledger.ErrRunLive) {
		t.Errorf("Copy while a run is live: %v, want ErrRunLive", err)
	}
	if err := h.other.Close(); err != nil { // the live run stays unfinished
		t.Fatal(err)
	}
	want := remembered(t, h.db)
	if len(want.Runs) < 8 || len(want.Persons) < 7 || len(want.Prunings) == 0 {
		t.Fatalf("the source holds too little to prove anything: %d runs, %d persons, %d prunings", len(want.Runs), len(want.Persons), len(want.Prunings))
	}
	res, err := ledger.Copy(ctx, h.db, to)
	if err != nil {
		t.Fatalf("Copy: %v", err)
	}
	if persons := len(dump(t, h.path, "persons")); res.Runs != len(want.Runs) || res.Persons != persons {
		t.Errorf("Copy copied %+v; the source has %d runs, %d persons", res, len(want.Runs), persons)
	}
	if diff := cmp.Diff(want, remembered(t, to)); diff != "" {
		t.Errorf("the copy remembers otherwise (-source +copy):\n%s", diff)
	}
	if to.ID() != h.db.ID() || to.ID() == "" {
		t.Errorf("the copy is ledger %q, the source %q: want the same identity", to.ID(), h.db.ID())
	}

	// The copy goes on where the source was: a new run's outcomes get new
	// ids, and the created persons are still created.
	run := begin(t, to, start("/a.csv", t0.Add(30*24*time.Hour)))
	record(t, to, run, rec("/a.csv-E0", "u0a", batch.StatusSuccess, batch.EffectNone))
	if r := claimOne(t, to, run, claim("/a.csv-E0", "u0a")); r.Granted || r.Prior.State != batch.PersonCreated {
		t.Errorf("a person created in the source, claimed in the copy: %+v", r)
	}
	if err := to.FinishRun(ctx, run, batch.RunEnd{Rows: 1}); err != nil {
		t.Fatal(err)
	}

	again := otherEngine(t)
	into := openAt(t, again)
	if _, err := ledger.Copy(ctx, to, into); err != nil {
		t.Fatalf("a copy of the copy: %v", err)
	}
	if _, err := ledger.Copy(ctx, h.db, into); !errors.Is(err, ledger.ErrNotEmpty) {
		t.Errorf("Copy over a ledger that is not empty: %v, want ErrNotEmpty", err)
	}
}

// TestSchemasAgree: the migrations, rendered for each engine, give the
// same tables with the same columns (names, order, NOT NULL) and the same
// indexes: a table or column added for one engine only fails here.
func TestSchemasAgree(t *testing.T) {
	lite := filepath.Join(t.TempDir(), "ledger.db")
	pg := otherEngine(t)
	if ledgertest.Engine() == "postgres" {
		lite, pg = pg, lite
	}
	openAt(t, lite).Close()
	openAt(t, pg).Close()
	shape := func(location string) map[string][]string {
		raw := rawDB(t, location)
		q := `SELECT m.name, p.name || CASE WHEN p."notnull" = 1 OR p.pk = 1 THEN ' not null' ELSE '' END
			FROM sqlite_schema AS m JOIN pragma_table_info(m.name) AS p
			WHERE m.type = 'table' ORDER BY m.name, p.cid`
		iq := `SELECT tbl_name, name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY 1, 2`
		if ledger.IsPostgres(location) {
			q = `SELECT table_name, column_name || CASE WHEN is_nullable = 'NO' THEN ' not null' ELSE '' END
				FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`
			iq = `SELECT tablename, indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey' ORDER BY 1, 2`
		}
		m := map[string][]string{}
		for _, query := range []string{q, iq} {
			rows, err := raw.Query(query)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var table, col string
				if err := rows.Scan(&table, &col); err != nil {
					t.Fatal(err)
				}
				if query == iq {
					table += " indexes"
				}
				m[table] = append(m[table], col)
			}
			rows.Close()
		}
		return m
	}
	a, b := shape(lite), shape(pg)
	if !slices.Contains(a["persons"], "person_key not null") || len(a["outcomes indexes"]) == 0 {
		t.Fatalf("the SQLite schema looks wrong: %v", a)
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("the schemas differ (-SQLite +PostgreSQL):\n%s", diff)
	}
}
