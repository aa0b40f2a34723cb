package ledger_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/ledger"
	"github.com/vicionboard/vicionboard/batch/ledger/ledgertest"
)

const server = "http://127.0.0.1:8080/vicidial/non_agent_api.php"

// t0 is the start of the tests' clock.
var t0 = time.Date(2026, 11, 25, 11, 3, 2, 0, time.UTC)

// TestMain runs every test of the package on SQLite, then on PostgreSQL
// (see ledgertest.Main).
func TestMain(m *testing.M) { ledgertest.Main(m) }

// ledgers holds the key file and runs folder of each ledger location the
// tests made, for PostgreSQL (SQLite's are beside the file).
var ledgers sync.Map

// ledgerPath returns a fresh ledger's location on the tests' engine: a
// path in a test's temporary directory, or a PostgreSQL schema of its own.
func ledgerPath(t testing.TB) string {
	l := ledgertest.New(t)
	ledgers.Store(l.Location, l)
	return l.Location
}

// optsFor returns the options that open the ledger at location.
func optsFor(location string) ledger.Options {
	if v, ok := ledgers.Load(location); ok {
		l := v.(ledgertest.Ledger)
		return ledger.Options{KeyFile: l.KeyFile, RunsDir: l.RunsDir}
	}
	return ledger.Options{}
}

// keyFileOf returns the key file of the ledger at location.
func keyFileOf(location string) string {
	if k := optsFor(location).KeyFile; k != "" {
		return k
	}
	return ledger.KeyPath(location)
}

// sqliteOnly skips a test of SQLite's files on another engine.
func sqliteOnly(t testing.TB) {
	t.Helper()
	if ledgertest.Engine() != "sqlite" {
		t.Skip("a test of SQLite's files")
	}
}

// rawDB opens the ledger at location without the ledger package: for
// tests that look at or hold the database from outside.
func rawDB(t testing.TB, location string) *sql.DB {
	t.Helper()
	driver := "sqlite"
	if ledger.IsPostgres(location) {
		driver = "pgx"
	}
	raw, err := sql.Open(driver, location)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

// holdWriteLock makes another connection (another process) hold the
// ledger's writes to table until the returned function is called: SQLite's
// write lock, or a PostgreSQL table lock that every write to table waits
// for.
func holdWriteLock(t testing.TB, location, table string) (release func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := rawDB(t, location).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	begin := "BEGIN IMMEDIATE"
	if ledger.IsPostgres(location) {
		begin = "BEGIN; LOCK TABLE " + table + " IN EXCLUSIVE MODE"
	}
	if _, err := conn.ExecContext(ctx, begin); err != nil {
		t.Fatal(err)
	}
	return func() {
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
		conn.Close()
	}
}

// openAt opens the ledger at path and closes it when the test ends.
func openAt(t testing.TB, path string) *ledger.DB {
	t.Helper()
	db, err := ledger.Open(context.Background(), path, optsFor(path))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// start is a run's start on server with input.
func start(input string, at time.Time) batch.RunStart {
	return batch.RunStart{Command: "run", Server: server, Input: input, InputHash: "ab12",
		Out: input + ".results.csv", Version: "test", Started: at}
}

// begin begins a run.
func begin(t testing.TB, db *ledger.DB, s batch.RunStart) batch.RunID {
	t.Helper()
	id, err := db.BeginRun(context.Background(), s)
	if err != nil {
		t.Fatalf("BeginRun: %v", err)
	}
	return id
}

// claim is a claim of key on server from /in.csv.
func claim(key, login string) batch.Claim {
	return batch.Claim{Server: server, Key: key, Login: login, FullName: "Name of " + key, Input: "/in.csv", Line: 2}
}

// claimOne claims one key and returns its result.
func claimOne(t testing.TB, db *ledger.DB, run batch.RunID, c batch.Claim) batch.ClaimResult {
	t.Helper()
	res, err := db.Claim(context.Background(), run, []batch.Claim{c})
	if err != nil {
		t.Fatalf("Claim %s: %v", c.Key, err)
	}
	if len(res) != 1 {
		t.Fatalf("Claim %s: %d results", c.Key, len(res))
	}
	return res[0]
}

// rec is a record of key on server from /in.csv with effect.
func rec(key, login string, status batch.Status, effect batch.Effect) batch.RowRecord {
	return batch.RowRecord{Line: 2, Key: key, Login: login, Function: "add_user", Status: status,
		Code: "CODE", Reason: "reason (CODE)", At: t0, Effect: effect, FullName: "Name of " + key,
		Server: server, Input: "/in.csv"}
}

// record records and flushes.
func record(t testing.TB, db *ledger.DB, run batch.RunID, r batch.RowRecord) {
	t.Helper()
	if err := db.Record(context.Background(), run, r); err != nil {
		t.Fatalf("Record: %v", err)
	}
	if err := db.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

// person returns the committed record of key.
func person(t testing.TB, db *ledger.DB, key string) (batch.Person, bool) {
	t.Helper()
	p, ok, err := db.Person(context.Background(), server, key)
	if err != nil {
		t.Fatalf("Person %s: %v", key, err)
	}
	return p, ok
}
