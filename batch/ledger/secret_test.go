package ledger_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/input"
	"github.com/vicionboard/vicionboard/batch/ledger"
	"github.com/vicionboard/vicionboard/vicidial"
	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

const sample = "../../samples/new_hires.csv"

// ledgerSink records a run's outcomes in the ledger the way the pipeline
// does: a claim per row, then its outcome and effect.
type ledgerSink struct {
	db  *ledger.DB
	run batch.RunID
}

func (s *ledgerSink) Write(row batch.Row, out batch.Outcome) error {
	ctx := context.Background()
	key := ""
	if row.Err == nil && row.Fields.Login != "" {
		key = row.Cells[0] // employee_id
	}
	f := row.Fields
	rr := batch.RowRecord{Line: row.Line, Key: key, Login: f.Login, Status: out.Status, Code: out.Code,
		Reason: out.Reason, At: out.At, Server: server, Input: sample, FullName: f.FullName,
		Applied: map[string]string{"agent_user_group": f.Group, "agent_user_level": f.Level,
			"email": f.Email, "custom_one": f.CustomOne, "in_groups": f.InGroups}}
	if out.Login != "" {
		rr.Login = out.Login
	}
	if key != "" {
		if _, err := s.db.Claim(ctx, s.run, []batch.Claim{{Server: server, Key: key, Login: f.Login,
			FullName: f.FullName, Input: sample, Line: row.Line}}); err != nil {
			return err
		}
		switch out.Status {
		case batch.StatusSuccess:
			rr.Effect = batch.EffectCreated
		case batch.StatusUnknown:
			rr.Effect = batch.EffectUnknown
		default:
			rr.Effect = batch.EffectReleased
		}
	}
	return s.db.Record(ctx, s.run, rr)
}

// The ledger never holds a password: after a real run of the sample
// against the simulator, no agent_pass value of the input appears in the
// ledger's files (database, WAL, shared memory).
func TestNoPasswordInLedgerFiles(t *testing.T) {
	passwords := samplePasswords(t)
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	client, err := vicidial.New(vicidial.Config{URL: srv.URL, User: "6666", Pass: vicidial.Secret("1234"),
		Timeout: 5 * time.Second, Limiter: rate.NewLimiter(rate.Inf, 1), Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(sample)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, err := input.NewReader(f, sample)
	if err != nil {
		t.Fatal(err)
	}

	path := ledgerPath(t)
	db := openAt(t, path)
	run := begin(t, db, start(sample, time.Now()))
	if err := batch.Run(context.Background(), in, &ledgerSink{db: db, run: run},
		batch.Config{Accounts: client, APIUser: "6666", Workers: 2, Logger: zerolog.Nop()}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := db.FinishRun(context.Background(), run, batch.RunEnd{Ended: time.Now(), Rows: 25}); err != nil {
		t.Fatal(err)
	}
	rows, err := db.RunRows(context.Background(), run)
	if err != nil || len(rows) != 25 {
		t.Fatalf("%d outcomes recorded (%v), want the sample's 25", len(rows), err)
	}
	if n, _ := db.Known(context.Background(), server, sample); n != 17 {
		t.Errorf("Known = %d, want the sample's 17 created", n)
	}

	check := func(when string) {
		var all []byte
		if ledger.IsPostgres(path) {
			// The database's rows, as text.
			for _, table := range []string{"runs", "outcomes", "persons", "meta", "migrations"} {
				all = append(all, strings.Join(dump(t, path, table), "\n")...)
			}
		}
		files, _ := filepath.Glob(path + "*")
		for _, name := range files {
			if fi, err := os.Stat(name); err == nil && fi.Mode().IsRegular() {
				all = append(all, read(t, name)...)
			}
		}
		if !bytes.Contains(all, []byte("Jane Smith")) {
			t.Fatalf("%s: the files do not hold what was recorded: the check would prove nothing", when)
		}
		for _, p := range passwords {
			if bytes.Contains(all, []byte(p)) {
				t.Errorf("%s: password %q is in the ledger's files", when, p)
			}
		}
	}
	check("while open")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	check("after Close")
}

// samplePasswords returns the sample's agent_pass values.
func samplePasswords(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(sample)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range recs[0] {
		if h == "agent_pass" {
			col = i
		}
	}
	var ps []string
	for _, r := range recs[1:] {
		if col >= 0 && col < len(r) && len(r[col]) >= 4 {
			ps = append(ps, r[col])
		}
	}
	if len(ps) < 20 {
		t.Fatalf("only %d passwords in the sample", len(ps))
	}
	return ps
}

// TestMissingKeyIsNeverReplaced: a ledger whose records hold password
// digests, found without its key file (copied alone to another machine),
// is refused rather than given a new key, which would make every password
// look changed and every generated password shown again wrong. A ledger
// that never used a key gets one.
func TestMissingKeyIsNeverReplaced(t *testing.T) {
	path := ledgerPath(t)
	db := openAt(t, path)
	if _, err := db.PassDigest(); err != nil {
		t.Fatalf("a new ledger gets a key: %v", err)
	}
	digest, err := db.PassDigest()
	if err != nil {
		t.Fatal(err)
	}
	run := begin(t, db, start("/in.csv", t0))
	r := rec("key:E1", "jdoe", batch.StatusSuccess, batch.EffectCreated)
	r.Applied = map[string]string{"agent_pass": digest("Start-2026")}
	record(t, db, run, r)
	if err := os.Remove(keyFileOf(path)); err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"PassDigest": func() error { _, err := db.PassDigest(); return err },
		"Passwords":  func() error { _, err := db.Passwords(server); return err },
	} {
		if err := call(); !errors.Is(err, ledger.ErrKeyMissing) {
			t.Errorf("%s without the key file: %v, want ErrKeyMissing", name, err)
		}
	}
	if _, err := os.Stat(keyFileOf(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a new key file was made: %v", err)
	}
}

// TestWrongKeyIsRefused: a key file holding another key than the one the
// ledger was made with (another ledger's, a Secret mixed up) is refused,
// never taken: its digests and generated passwords would all differ. A
// ledger opened without a key file reads, and refuses to make digests.
func TestWrongKeyIsRefused(t *testing.T) {
	path := ledgerPath(t)
	db := openAt(t, path)
	if _, err := db.Passwords(server); err != nil {
		t.Fatal(err)
	}
	other := ledgerPath(t)
	openAt(t, other).Close()
	b, err := os.ReadFile(keyFileOf(other))
	if err != nil {
		t.Fatal(err)
	}
	// The other key alone, as an operator's key file would hold it.
	write(t, keyFileOf(path), []byte(strings.SplitN(string(b), "\n", 2)[0]+"\n"))
	for name, call := range map[string]func() error{
		"PassDigest": func() error { _, err := db.PassDigest(); return err },
		"Passwords":  func() error { _, err := db.Passwords(server); return err },
	} {
		if err := call(); !errors.Is(err, ledger.ErrKeyMismatch) {
			t.Errorf("%s with another key: %v, want ErrKeyMismatch", name, err)
		}
	}
	o := optsFor(path)
	o.KeyFile = ""
	if ledger.IsPostgres(path) {
		nokey, err := ledger.Open(context.Background(), path, o)
		if err != nil {
			t.Fatalf("a PostgreSQL ledger without a key file does not open for reading: %v", err)
		}
		defer nokey.Close()
		if _, err := nokey.Runs(context.Background(), 0); err != nil {
			t.Errorf("Runs without a key file: %v", err)
		}
		if _, err := nokey.PassDigest(); !errors.Is(err, ledger.ErrKeyFileNeeded) {
			t.Errorf("PassDigest without a key file: %v, want ErrKeyFileNeeded", err)
		}
	}
}
