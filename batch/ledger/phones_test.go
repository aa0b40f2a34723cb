package ledger_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/ledger"
	"github.com/vicionboard/vicionboard/batch/ledger/ledgertest"
)

// phoneClaim is a claim of key's phone ext (its login the extension) on
// 10.10.10.15.
func phoneClaim(key, ext string) batch.PhoneClaim {
	return batch.PhoneClaim{Server: server, Key: key, Extension: ext, ServerIP: "10.10.10.15", Login: ext, FullName: "Name of " + key}
}

func claimPhone(t *testing.T, db *ledger.DB, run batch.RunID, c batch.PhoneClaim) batch.PhoneClaimResult {
	t.Helper()
	res, err := db.ClaimPhones(context.Background(), run, []batch.PhoneClaim{c})
	if err != nil {
		t.Fatalf("ClaimPhones %s: %v", c.Key, err)
	}
	return res[0]
}

func recordPhone(t *testing.T, db *ledger.DB, run batch.RunID, r batch.PhoneRecord) {
	t.Helper()
	if err := db.RecordPhone(context.Background(), run, r); err != nil {
		t.Fatalf("RecordPhone: %v", err)
	}
	if err := db.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

func phoneOf(t *testing.T, db *ledger.DB, key string) (batch.Phone, bool) {
	t.Helper()
	m, err := db.PhonesByKey(context.Background(), server, []string{key, "key:nobody"})
	if err != nil {
		t.Fatalf("PhonesByKey: %v", err)
	}
	p, ok := m[key]
	return p, ok
}

// TestPhoneLifecycle: a phone is claimed, created, deactivated and renamed;
// a second claim of a created phone is not granted (it is reused); a dead
// run's claim is taken over with its prior; another person's extension or
// login is refused with its holder; a released claim is gone.
func TestPhoneLifecycle(t *testing.T) {
	ctx := context.Background()
	path := ledgerPath(t)
	db := openAt(t, path)
	run := begin(t, db, start("/in.csv", t0))

	c := phoneClaim("key:E1", "7000")
	c.Generated = true
	if r := claimPhone(t, db, run, c); !r.Granted || r.HadPrior {
		t.Fatalf("first claim: %+v, want granted without prior", r)
	}
	p, ok := phoneOf(t, db, "key:E1")
	if !ok || p.State != batch.PhoneClaimed || !p.Generated || p.Active != "Y" || p.RunID != run || p.Login != "7000" {
		t.Fatalf("claimed record: %+v %v", p, ok)
	}
	// Another person: the same extension (another case), or the same login.
	for _, other := range []batch.PhoneClaim{phoneClaim("key:E2", "7000"),
		{Server: server, Key: "key:E2", Extension: "7001", ServerIP: "10.10.10.15", Login: "7000"}} {
		if r := claimPhone(t, db, run, other); r.Granted || r.Holder != "key:E1" {
			t.Errorf("claim of E1's phone by E2 (%+v): %+v, want refused, held by key:E1", other, r)
		}
	}
	// The same extension on another server_ip is another phone.
	elsewhere := phoneClaim("key:E3", "7000")
	elsewhere.ServerIP = "10.10.10.16"
	elsewhere.Login = "7000b"
	if r := claimPhone(t, db, run, elsewhere); !r.Granted {
		t.Errorf("extension 7000 on another server: %+v, want granted", r)
	}
	if key, ok, err := db.PhoneHolder(ctx, server, "10.10.10.15", "7000", ""); err != nil || !ok || key != "key:E1" {
		t.Errorf("PhoneHolder(7000) = %q %v %v", key, ok, err)
	}
	if _, ok, err := db.PhoneHolder(ctx, server, "10.10.10.15", "7002", "7002"); err != nil || ok {
		t.Errorf("PhoneHolder(7002) = %v %v, want none", ok, err)
	}

	recordPhone(t, db, run, batch.PhoneRecord{Server: server, Key: "key:E1", Effect: batch.PhoneEffectCreated, FullName: "Ellen Foster", At: t0})
	p, _ = phoneOf(t, db, "key:E1")
	if p.State != batch.PhoneCreated || p.CreatedBy != run || !p.CreatedAt.Equal(t0) || p.FullName != "Ellen Foster" {
		t.Errorf("created record: %+v", p)
	}
	if r := claimPhone(t, db, run, c); r.Granted || !r.HadPrior || r.Prior.State != batch.PhoneCreated {
		t.Errorf("claim of a created phone: %+v, want not granted, the created prior", r)
	}
	recordPhone(t, db, run, batch.PhoneRecord{Server: server, Key: "key:E1", Effect: batch.PhoneEffectChanged, Active: "N", At: t0.Add(time.Hour)})
	if p, _ = phoneOf(t, db, "key:E1"); p.Active != "N" || p.FullName != "Ellen Foster" {
		t.Errorf("deactivated: %+v", p)
	}
	recordPhone(t, db, run, batch.PhoneRecord{Server: server, Key: "key:E1", Effect: batch.PhoneEffectChanged, FullName: "Ellen Foster-Ross"})
	if p, _ = phoneOf(t, db, "key:E1"); p.Active != "N" || p.FullName != "Ellen Foster-Ross" || !p.CreatedAt.Equal(t0) {
		t.Errorf("renamed: %+v", p)
	}
	// A created phone is never released.
	recordPhone(t, db, run, batch.PhoneRecord{Server: server, Key: "key:E1", Effect: batch.PhoneEffectReleased})
	if _, ok := phoneOf(t, db, "key:E1"); !ok {
		t.Error("a created phone's record was removed")
	}

	// A dead run's claim: taken over, with its prior; for another
	// extension, not granted.
	h, err := ledger.Open(ctx, path, optsFor(path))
	if err != nil {
		t.Fatal(err)
	}
	dead := begin(t, h, start("/in.csv", t0))
	if r := claimPhone(t, h, dead, phoneClaim("key:E4", "7004")); !r.Granted {
		t.Fatalf("dead run's claim: %+v", r)
	}
	h.Close()
	if r := claimPhone(t, db, run, phoneClaim("key:E4", "7005")); r.Granted || r.Prior.Extension != "7004" {
		t.Errorf("claim of another extension over a dead run's: %+v, want not granted, prior 7004", r)
	}
	r := claimPhone(t, db, run, phoneClaim("key:E4", "7004"))
	if !r.Granted || !r.HadPrior || r.Prior.RunID != dead || r.Prior.State != batch.PhoneClaimed {
		t.Errorf("take-over of a dead run's claim: %+v", r)
	}
	recordPhone(t, db, run, batch.PhoneRecord{Server: server, Key: "key:E4", Effect: batch.PhoneEffectReleased})
	if _, ok := phoneOf(t, db, "key:E4"); ok {
		t.Error("a released claim is still there")
	}
	if r := claimPhone(t, db, run, phoneClaim("key:E5", "7004")); !r.Granted {
		t.Errorf("a released extension: %+v, want granted to another person", r)
	}
}

// TestPhoneClaimOfADryRun: a dry run's phone claims are answered as a
// run's would be, and change nothing.
func TestPhoneClaimOfADryRun(t *testing.T) {
	db := openAt(t, ledgerPath(t))
	run := begin(t, db, start("/in.csv", t0))
	if r := claimPhone(t, db, run, phoneClaim("key:E1", "7000")); !r.Granted {
		t.Fatal(r)
	}
	s := start("/in.csv", t0)
	s.DryRun = true
	dry := begin(t, db, s)
	if r := claimPhone(t, db, dry, phoneClaim("key:E2", "7000")); r.Granted || r.Holder != "key:E1" {
		t.Errorf("dry claim of a held extension: %+v", r)
	}
	if r := claimPhone(t, db, dry, phoneClaim("key:E2", "7001")); !r.Granted {
		t.Errorf("dry claim: %+v", r)
	}
	recordPhone(t, db, dry, batch.PhoneRecord{Server: server, Key: "key:E1", Effect: batch.PhoneEffectCreated})
	if p, _ := phoneOf(t, db, "key:E1"); p.State != batch.PhoneClaimed {
		t.Errorf("a dry run's record changed the phone: %+v", p)
	}
	if _, ok := phoneOf(t, db, "key:E2"); ok {
		t.Error("a dry run's claim was written")
	}
	if _, err := db.ClaimPhones(context.Background(), run, []batch.PhoneClaim{{Server: server, Key: "key:E9"}}); err == nil {
		t.Error("a claim without extension was accepted")
	}
	if _, err := db.ClaimPhones(context.Background(), "R-none", []batch.PhoneClaim{phoneClaim("key:E9", "7009")}); !errors.Is(err, ledger.ErrRunNotActive) {
		t.Errorf("claim of a run not begun: %v", err)
	}
}

// TestPhonesAreCopied: ledger copy carries the phones.
func TestPhonesAreCopied(t *testing.T) {
	ctx := context.Background()
	from := openAt(t, ledgerPath(t))
	run := begin(t, from, start("/in.csv", t0))
	claimPhone(t, from, run, phoneClaim("key:E1", "7000"))
	recordPhone(t, from, run, batch.PhoneRecord{Server: server, Key: "key:E1", Effect: batch.PhoneEffectCreated, FullName: "Ellen"})
	if err := from.FinishRun(ctx, run, batch.RunEnd{Ended: t0}); err != nil {
		t.Fatal(err)
	}
	to := openAt(t, filepath.Join(t.TempDir(), "copy.db"))
	if ledgertest.Engine() == "postgres" {
		to = openAt(t, ledgerPath(t))
	}
	if _, err := ledger.Copy(ctx, from, to); err != nil {
		t.Fatal(err)
	}
	if p, ok := phoneOf(t, to, "key:E1"); !ok || p.State != batch.PhoneCreated || p.FullName != "Ellen" {
		t.Errorf("copied phone: %+v %v", p, ok)
	}
}

// TestPhonesFollowRekeyAndRename: a person rekeyed keeps their phone; a
// renamed server keeps its phones.
func TestPhonesFollowRekeyAndRename(t *testing.T) {
	ctx := context.Background()
	db := openAt(t, ledgerPath(t))
	created(t, db, server, "nightly", "key:E1", "ann1", "Ann One", t0, true)
	run := begin(t, db, start("/in.csv", t0))
	claimPhone(t, db, run, phoneClaim("key:E1", "7000"))
	recordPhone(t, db, run, batch.PhoneRecord{Server: server, Key: "key:E1", Effect: batch.PhoneEffectCreated, FullName: "Ann One"})
	if err := db.FinishRun(ctx, run, batch.RunEnd{Ended: t0}); err != nil {
		t.Fatal(err)
	}
	rk := begin(t, db, batch.RunStart{Command: "rekey", Server: server, Started: t0.Add(time.Hour)})
	if _, err := db.Rekey(ctx, rk, server, "key:E1", "key:E11"); err != nil {
		t.Fatal(err)
	}
	if _, ok := phoneOf(t, db, "key:E1"); ok {
		t.Error("the old key still has the phone")
	}
	if p, ok := phoneOf(t, db, "key:E11"); !ok || p.Extension != "7000" {
		t.Errorf("the new key's phone: %+v %v", p, ok)
	}
	if err := db.RenameServer(ctx, server, "leeds"); err != nil {
		t.Fatal(err)
	}
	if m, err := db.PhonesByKey(ctx, "leeds", []string{"key:E11"}); err != nil || m["key:E11"].Extension != "7000" {
		t.Errorf("the renamed server's phones: %v %v", m, err)
	}
}
