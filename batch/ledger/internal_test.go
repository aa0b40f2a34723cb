package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/ledger/ledgertest"
)

// firstMigrationOnly is the schema of the first release of the ledger.
func firstMigrationOnly(t *testing.T) fs.FS {
	t.Helper()
	text, err := fs.ReadFile(migrations, "migration/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	return fstest.MapFS{"migration/0001_init.sql": {Data: text}}
}

// testLedger returns a fresh ledger's location and options on the tests'
// engine (see ledgertest).
func testLedger(t testing.TB) (string, Options) {
	l := ledgertest.New(t)
	return l.Location, Options{KeyFile: l.KeyFile, RunsDir: l.RunsDir}
}

func TestMigrateFromFirstSchema(t *testing.T) {
	ctx := context.Background()
	path, opts := testLedger(t)

	// A ledger written by a vicionboard that knew only 0001.
	old, err := open(ctx, path, opts, firstMigrationOnly(t))
	if err != nil {
		t.Fatal(err)
	}
	// Begun as that version began it (today's BeginRun writes the columns
	// of later migrations too).
	run := newRunID(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	if _, err := old.db.ExecContext(ctx, old.dl.q(`INSERT INTO runs (id, command, dry_run, server, input, input_sha256, out, version, started)
		VALUES (?, 'run', 0, 'srv', '/in.csv', '', '', 'test', ?)`), run, fmtTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))); err != nil {
		t.Fatal(err)
	}
	old.mu.Lock()
	old.runs[run] = &activeRun{id: run, release: func() error { return nil }}
	old.mu.Unlock()
	if err := old.Record(ctx, run, batch.RowRecord{Line: 2, Key: "E1", Login: "JSmith", Status: batch.StatusSuccess,
		Effect: batch.EffectCreated, FullName: "Jane Smith", Server: "srv", Input: "/in.csv", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// Finished as that version finished it (today's FinishRun writes the
	// columns of later migrations too).
	if err := old.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := old.db.ExecContext(ctx, old.dl.q(`UPDATE runs SET ended = ?, rows = 1, statuses = '{"SUCCESS":1}', codes = '{}', exit_code = 0 WHERE id = ?`),
		fmtTime(time.Now()), run); err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	if got := tableNames(t, path, "index"); slices.Contains(got, "outcomes_by_login") {
		t.Fatalf("the old schema already has 0002's indexes: %v", got)
	}

	db, err := Open(ctx, path, opts)
	if err != nil {
		t.Fatalf("Open of the old ledger: %v", err)
	}
	defer db.Close()
	applied, err := appliedMigrations(ctx, db.db)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"0001_init.sql", "0002_history_indexes.sql", "0003_pruned.sql", "0004_identity.sql", "0005_run_stopped.sql", "0006_canonical_keys", "0006_feeds_servers.sql", "0007_phones.sql"}; !slices.Equal(applied, want) {
		t.Errorf("migrations %v, want %v", applied, want)
	}
	if got := tableNames(t, path, "index"); !slices.Contains(got, "outcomes_by_login") || !slices.Contains(got, "persons_by_login") {
		t.Errorf("indexes after migrating: %v", got)
	}
	if p, ok, err := db.Person(ctx, "srv", "E1"); err != nil || !ok || p.State != batch.PersonCreated || p.CreatedBy != run {
		t.Errorf("old person: %+v, %v, %v", p, ok, err)
	}
	// 0006: the server its persons were kept under is known by that name.
	if s, err := db.Servers(ctx); err != nil || len(s) != 1 || s[0].Name != "srv" || s[0].URL != "srv" {
		t.Errorf("servers after migrating: %+v, %v", s, err)
	}
	if name, ok, err := db.ServerByURL(ctx, "srv"); err != nil || !ok || name != "srv" {
		t.Errorf("ServerByURL after migrating: %q %v %v", name, ok, err)
	}
	if last, ok, err := db.LastRun(ctx, "srv", "/in.csv"); err != nil || !ok || last.Start.Feed != "/in.csv" {
		t.Errorf("the old run's feed: %+v %v %v", last.Start, ok, err)
	}
	if r, ok, err := db.LastRun(ctx, "srv", "/in.csv"); err != nil || !ok || r.ID != run || r.End.Statuses[batch.StatusSuccess] != 1 {
		t.Errorf("old run: %+v, %v, %v", r, ok, err)
	}
	if st, err := db.Story(ctx, StoryQuery{Login: "jsmith"}); err != nil || len(st.Persons) != 1 || len(st.Events) != 1 {
		t.Errorf("old story: %+v, %v", st, err)
	}
	// 0003's columns: the old ledger can be pruned (its one run is the last
	// on its input, so it keeps its rows).
	if res, err := db.Prune(ctx, time.Now(), false); err != nil || res.KeptLast != 1 || len(res.Runs) != 0 {
		t.Errorf("Prune of the old ledger: %+v, %v", res, err)
	}
	if p, err := db.Prunings(ctx); err != nil || len(p) != 0 {
		t.Errorf("Prunings of the old ledger: %v, %v", p, err)
	}
}

// tableNames lists the schema's objects of a type (table or index).
func tableNames(t *testing.T, path, typ string) []string {
	t.Helper()
	driver, query := "sqlite", "SELECT name FROM sqlite_schema WHERE type = $1 ORDER BY name"
	if IsPostgres(path) {
		driver, query = "pgx", `SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND c.relkind = CASE $1 WHEN 'index' THEN 'i' ELSE 'r' END ORDER BY 1`
	}
	raw, err := sql.Open(driver, path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(query, typ)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	return names
}

// Records queued while a commit is under way go out together: one
// transaction per maxBatch rows.
func TestGroupCommitBatches(t *testing.T) {
	ctx := context.Background()
	loc, opts := testLedger(t)
	db, err := Open(ctx, loc, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	run, err := db.BeginRun(ctx, batch.RunStart{Command: "run"})
	if err != nil {
		t.Fatal(err)
	}
	before := db.w.commits.Load()
	gate := make(chan struct{})
	db.w.gate = gate // read by the writer only after it receives the next operation
	const n = 2*maxBatch + 10
	for i := range n {
		if err := db.Record(ctx, run, batch.RowRecord{Line: i + 2, Key: fmt.Sprint("K", i), Effect: batch.EffectUnknown}); err != nil {
			t.Fatal(err)
		}
	}
	close(gate) // the writer took the first record; the others wait in the queue
	if err := db.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := db.w.commits.Load()-before, int64(3); got != want {
		t.Errorf("%d records took %d commits, want %d", n, got, want)
	}
	var count int
	if err := db.db.QueryRow("SELECT count(*) FROM persons WHERE state = 'unknown'").Scan(&count); err != nil || count != n {
		t.Errorf("%d unknown persons (%v), want %d", count, err, n)
	}
}

func TestRunIDsSortAndDiffer(t *testing.T) {
	at := time.Date(2026, 11, 25, 11, 3, 2, 0, time.FixedZone("X", 3600))
	seen := map[batch.RunID]bool{}
	for range 100 {
		id := newRunID(at)
		if len(id) != len("20261125T100302Z-3f9a1c") || id[:17] != "20261125T100302Z-" {
			t.Fatalf("run id %q: want 20261125T100302Z-xxxxxx (UTC)", id)
		}
		seen[id] = true
	}
	if len(seen) < 99 {
		t.Errorf("100 run ids in the same second: only %d distinct", len(seen))
	}
	if a, b := newRunID(at), newRunID(at.Add(time.Second)); a >= b {
		t.Errorf("run ids do not sort by start: %s >= %s", a, b)
	}
}

// BenchmarkOpen measures Open and its PRAGMA quick_check on a ledger of
// 100,000 persons created and their 100,000 outcomes.
func BenchmarkOpen(b *testing.B) {
	if ledgertest.Engine() != "sqlite" {
		b.Skip("SQLite's quick_check")
	}
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "ledger.db")
	db, err := Open(ctx, path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	run, err := db.BeginRun(ctx, batch.RunStart{Command: "run", Server: "srv", Input: "/in.csv"})
	if err != nil {
		b.Fatal(err)
	}
	const n = 100_000
	for i := range n {
		err := db.Record(ctx, run, batch.RowRecord{Line: i + 2, Key: fmt.Sprintf("E%06d", i), Login: fmt.Sprintf("agent%06d", i),
			Function: "add_user", Status: batch.StatusSuccess, Code: "CREATED", Reason: "created by add_user (CREATED)",
			Effect: batch.EffectCreated, FullName: fmt.Sprintf("Agent Number %06d", i), Server: "srv", Input: "/in.csv",
			Applied: map[string]string{"agent_user_group": "AGENTS", "agent_user_level": "1"}, At: time.Now()})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := db.FinishRun(ctx, run, batch.RunEnd{Rows: n}); err != nil {
		b.Fatal(err)
	}
	db.Close()
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	mb := float64(fi.Size()) / 1e6

	b.Run("open", func(b *testing.B) {
		for b.Loop() {
			db, err := Open(ctx, path, Options{})
			if err != nil {
				b.Fatal(err)
			}
			db.Close()
		}
		b.ReportMetric(mb, "file_MB")
	})
	b.Run("quick_check", func(b *testing.B) {
		db, err := Open(ctx, path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		for b.Loop() {
			if err := db.check(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestFailingOperationIsUndoneAlone: in a group committed together, an
// operation that fails is undone alone and gets its error; the others are
// committed, whether or not it fails on the first try.
func TestFailingOperationIsUndoneAlone(t *testing.T) {
	ctx := context.Background()
	loc, opts := testLedger(t)
	d, err := Open(ctx, loc, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	insert := func(id string) *op {
		return &op{kind: opFunc, apply: func(ctx context.Context, tx *txn) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO runs (id, command, dry_run, server, input, input_sha256, out, version, started)
				VALUES (?, 'run', 0, 's', 'i', '', 'o', 'v', '2026-11-25T00:00:00.000000000Z')`, id)
			return err
		}}
	}
	// The failing operation writes, then fails: its write must be undone.
	failing := &op{kind: opFunc, apply: func(ctx context.Context, tx *txn) error {
		if err := insert("r-failing").apply(ctx, tx); err != nil {
			return err
		}
		return fmt.Errorf("it fails after writing")
	}}
	ops := []*op{insert("r-1"), failing, insert("r-2")}
	d.w.commit(ops)
	if ops[0].err != nil || ops[2].err != nil || ops[1].err == nil {
		t.Fatalf("errors %v, %v, %v: want only the middle one", ops[0].err, ops[1].err, ops[2].err)
	}
	var ids []string
	rows, err := d.db.QueryContext(ctx, `SELECT id FROM runs ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if !slices.Equal(ids, []string{"r-1", "r-2"}) {
		t.Errorf("runs %v, want r-1 and r-2 (the failing operation's write undone)", ids)
	}
}

// TestCanonicalKeysMigration: a ledger from before person keys had one
// form gets them (E0005 for e0005, 1007 for 1007.0), in its persons and
// its history; two records whose ids become one are not merged: the second
// keeps its key, is marked, and is listed for a person to resolve.
func TestCanonicalKeysMigration(t *testing.T) {
	ctx := context.Background()
	path, opts := testLedger(t)
	db, err := Open(ctx, path, opts)
	if err != nil {
		t.Fatal(err)
	}
	run, err := db.BeginRun(ctx, batch.RunStart{Command: "run", Server: "srv", Input: "/in.csv", Started: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"key:e0005", "key:1007.0", "key:E0006", "key:e0006", "login:jsmith"} {
		if err := db.Record(ctx, run, batch.RowRecord{Line: 2, Key: k, Login: "l" + k[4:], Status: batch.StatusSuccess,
			Effect: batch.EffectCreated, FullName: "Name " + k, Server: "srv", Input: "/in.csv", At: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// As a ledger of a version before the migration.
	if _, err := db.db.ExecContext(ctx, db.dl.q(`DELETE FROM migrations WHERE name = '0006_canonical_keys'`)); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishRun(ctx, run, batch.RunEnd{Ended: time.Now(), Rows: 5}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = Open(ctx, path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for key, want := range map[string]bool{"key:E0005": true, "key:1007": true, "key:E0006": true, "key:e0006": true,
		"login:jsmith": true, "key:e0005": false, "key:1007.0": false} {
		if _, ok, err := db.Person(ctx, "srv", key); err != nil || ok != want {
			t.Errorf("person %s: %v %v, want %v", key, ok, err, want)
		}
	}
	conflicts, err := db.KeyConflicts(ctx)
	if err != nil || len(conflicts) != 1 || conflicts[0].Key != "key:e0006" || conflicts[0].Applied[batch.KeyConflictMark] != "key:E0006" {
		t.Errorf("KeyConflicts = %+v, %v; want the e0006 record", conflicts, err)
	}
	if st, err := db.Story(ctx, StoryQuery{Key: "key:E0005"}); err != nil || len(st.Events) != 1 {
		t.Errorf("the history under the canonical key: %+v, %v", st, err)
	}
}
