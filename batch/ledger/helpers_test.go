package ledger_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/ledger"
)

const server = "http://127.0.0.1:8080/vicidial/non_agent_api.php"

// t0 is the start of the tests' clock.
var t0 = time.Date(2026, 11, 25, 11, 3, 2, 0, time.UTC)

// ledgerPath returns a fresh ledger path in a test's temporary directory.
func ledgerPath(t testing.TB) string {
	return filepath.Join(t.TempDir(), "state", "ledger.db")
}

// openAt opens the ledger at path and closes it when the test ends.
func openAt(t testing.TB, path string) *ledger.DB {
	t.Helper()
	db, err := ledger.Open(context.Background(), path, ledger.Options{})
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
