package ledger_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/ledger"
)

// created records, in a run begun on feed, an account for key on srv.
func created(t *testing.T, db *ledger.DB, srv, feed, key, login, name string, at time.Time, finish bool) batch.RunID {
	t.Helper()
	s := start(feed, at)
	s.Server, s.Feed = srv, feed
	id := begin(t, db, s)
	record(t, db, id, batch.RowRecord{Line: 2, Key: key, Login: login, Status: batch.StatusSuccess, Code: batch.CodeCreated,
		Effect: batch.EffectCreated, FullName: name, Server: srv, Input: feed, At: at})
	if err := db.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if finish {
		if err := db.FinishRun(context.Background(), id, batch.RunEnd{Ended: at.Add(time.Minute), Rows: 1}); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// TestServersByName: a server is known by its name, which survives a
// change of its URL; a rename moves its persons and runs; the persons and
// their feeds are listed by name.
func TestServersByName(t *testing.T) {
	ctx := context.Background()
	db := openAt(t, ledgerPath(t))
	if _, ok, err := db.ServerByURL(ctx, "http://a/"); err != nil || ok {
		t.Fatalf("an empty ledger knows a server: %v %v", ok, err)
	}
	if err := db.SetServer(ctx, "leeds", "http://a/"); err != nil {
		t.Fatal(err)
	}
	created(t, db, "leeds", "nightly", "key:E1", "ann1", "Ann One", t0, true)
	// The same server, moved.
	if err := db.SetServer(ctx, "leeds", "https://dialer.example.com/"); err != nil {
		t.Fatal(err)
	}
	if name, ok, err := db.ServerByURL(ctx, "https://dialer.example.com/"); err != nil || !ok || name != "leeds" {
		t.Errorf("ServerByURL(new URL) = %q %v %v, want leeds", name, ok, err)
	}
	if _, ok, _ := db.ServerByURL(ctx, "http://a/"); ok {
		t.Error("the old URL still names the server")
	}
	if err := db.RenameServer(ctx, "leeds", "leeds-1"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.Person(ctx, "leeds-1", "key:E1"); !ok {
		t.Error("the person did not move with the renamed server")
	}
	if err := db.RenameServer(ctx, "nope", "x"); !errors.Is(err, ledger.ErrNoSuchName) {
		t.Errorf("renaming an unknown server: %v", err)
	}
	created(t, db, "york", "nightly", "key:E2", "bob2", "Bob Two", t0.Add(time.Hour), true)
	if err := db.RenameServer(ctx, "leeds-1", "york"); !errors.Is(err, ledger.ErrNameTaken) {
		t.Errorf("renaming onto a used name: %v", err)
	}
	servers, err := db.Servers(ctx)
	if err != nil || len(servers) != 2 || servers[0].Name != "leeds-1" || servers[0].URL != "https://dialer.example.com/" ||
		servers[0].Persons != 1 || servers[1].Name != "york" || servers[1].URL != "" {
		t.Errorf("Servers = %+v, %v", servers, err)
	}
	if ps, err := db.RecentPersons(ctx, "york", 5); err != nil || len(ps) != 1 || ps[0].Login != "bob2" {
		t.Errorf("RecentPersons = %+v, %v", ps, err)
	}
}

// TestFeedsAndRekey: a person is a leaver only of the feed that created
// them; a feed can be renamed; a person key can be moved on purpose.
func TestFeedsAndRekey(t *testing.T) {
	ctx := context.Background()
	db := openAt(t, ledgerPath(t))
	created(t, db, server, "/srv/hr/export-2026-12-01.csv", "key:E1", "ann1", "Ann One", t0, true)
	created(t, db, server, "other", "key:E2", "bob2", "Bob Two", t0.Add(time.Hour), true)
	feeds, err := db.Feeds(ctx, server)
	if err != nil || len(feeds) != 2 || feeds["other"] != 1 {
		t.Fatalf("Feeds = %v, %v", feeds, err)
	}
	if err := db.RenameFeed(ctx, "/srv/hr/export-2026-12-01.csv", "nightly"); err != nil {
		t.Fatal(err)
	}
	var keys []string
	if err := db.Persons(ctx, server, "nightly", func(p batch.Person) error { keys = append(keys, p.Key); return nil }); err != nil || len(keys) != 1 || keys[0] != "key:E1" {
		t.Errorf("the renamed feed's persons: %v %v", keys, err)
	}
	if _, ok, err := db.LastRun(ctx, server, "nightly"); err != nil || !ok {
		t.Errorf("the renamed feed's last run: %v %v", ok, err)
	}
	if ps, err := db.PersonsNamed(ctx, server, "ann ONE"); err != nil || len(ps) != 1 || ps[0].Key != "key:E1" {
		t.Errorf("PersonsNamed = %+v, %v", ps, err)
	}
	rk := begin(t, db, batch.RunStart{Command: "rekey", Server: server, Started: t0.Add(2 * time.Hour)})
	if _, err := db.Rekey(ctx, rk, server, "key:E1", "key:E2"); !errors.Is(err, ledger.ErrNameTaken) {
		t.Errorf("rekey onto a key with its own account: %v", err)
	}
	if p, err := db.Rekey(ctx, rk, server, "key:E1", "key:E11"); err != nil || p.Login != "ann1" {
		t.Fatalf("Rekey = %+v, %v", p, err)
	}
	if _, ok, _ := db.Person(ctx, server, "key:E1"); ok {
		t.Error("the old key still has the record")
	}
	if p, ok, _ := db.Person(ctx, server, "key:E11"); !ok || p.Login != "ann1" {
		t.Errorf("the new key's record: %+v %v", p, ok)
	}
}

// TestBaselineIsFinishedAcceptedWork (issue 17, cases 8 and 11): a run
// refused by a safeguard never becomes the feed's baseline, and the
// accounts a killed run created are not counted as known until a later
// run of the feed finishes.
func TestBaselineIsFinishedAcceptedWork(t *testing.T) {
	ctx := context.Background()
	db := openAt(t, ledgerPath(t))
	good := created(t, db, server, "nightly", "key:E1", "ann1", "Ann One", t0, true)
	refused := begin(t, db, batch.RunStart{Command: "run", Server: server, Feed: "nightly", Input: "/x.csv", Started: t0.Add(time.Hour)})
	if err := db.FinishRun(ctx, refused, batch.RunEnd{Ended: t0.Add(time.Hour), ExitCode: 4}); err != nil {
		t.Fatal(err)
	}
	if last, ok, err := db.LastRun(ctx, server, "nightly"); err != nil || !ok || last.ID != good {
		t.Errorf("LastRun = %s %v %v, want %s (the refused run is no baseline)", last.ID, ok, err, good)
	}
	// A killed run creates two: not known, while no later run finished.
	created(t, db, server, "nightly", "key:E2", "bob2", "Bob Two", t0.Add(2*time.Hour), false)
	created(t, db, server, "nightly", "key:E3", "cat3", "Cat Three", t0.Add(2*time.Hour), false)
	if n, err := db.Known(ctx, server, "nightly"); err != nil || n != 1 {
		t.Errorf("Known after a killed run = %d, %v; want 1", n, err)
	}
	created(t, db, server, "nightly", "key:E4", "dan4", "Dan Four", t0.Add(3*time.Hour), true)
	if n, err := db.Known(ctx, server, "nightly"); err != nil || n != 4 {
		t.Errorf("Known after a later run finished = %d, %v; want 4", n, err)
	}
}
