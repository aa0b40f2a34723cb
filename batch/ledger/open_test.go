package ledger_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/ledger"
)

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	sqliteOnly(t)
	base := t.TempDir()
	path := filepath.Join(base, "a", "b", "ledger.db")
	db := openAt(t, path)
	run := begin(t, db, start("/in.csv", t0))
	claimOne(t, db, run, claim("E1", "jsmith"))

	for _, c := range []struct {
		path string
		want fs.FileMode
	}{
		{filepath.Join(base, "a"), 0o700},
		{filepath.Join(base, "a", "b"), 0o700},
		{path, 0o600},
		{path + "-wal", 0o600},
		{path + "-shm", 0o600},
		{path + ".runs", 0o700},
		{filepath.Join(path+".runs", string(run)+".lock"), 0o600},
	} {
		if got := mode(t, c.path); got != c.want {
			t.Errorf("%s: mode %v, want %v", c.path, got, c.want)
		}
	}
}

func TestOpenLeavesExistingDirectoryMode(t *testing.T) {
	sqliteOnly(t)
	dir := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	openAt(t, filepath.Join(dir, "ledger.db"))
	if got := mode(t, dir); got != 0o755 {
		t.Errorf("existing directory: mode %v, want 0755 kept", got)
	}
	if got := mode(t, filepath.Join(dir, "ledger.db")); got != 0o600 {
		t.Errorf("file: mode %v, want 0600", got)
	}
}

func TestOpenFollowsSymlinkToRegularFile(t *testing.T) {
	sqliteOnly(t)
	dir := t.TempDir()
	real := filepath.Join(dir, "real.db")
	db := openAt(t, real)
	run := begin(t, db, start("/in.csv", t0))
	record(t, db, run, rec("E1", "jsmith", batch.StatusSuccess, batch.EffectCreated))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.db")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, link)
	if p, ok := person(t, db, "E1"); !ok || p.State != batch.PersonCreated {
		t.Errorf("through the link: person %+v, %v; want the created record", p, ok)
	}
}

func TestOpenRefusesWhatIsNotARegularFile(t *testing.T) {
	sqliteOnly(t)
	dir := t.TempDir()
	sub := filepath.Join(dir, "adir")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	toDir := filepath.Join(dir, "todir.db")
	if err := os.Symlink(sub, toDir); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling.db")
	if err := os.Symlink(filepath.Join(dir, "missing"), dangling); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{sub, toDir, dangling} {
		db, err := ledger.Open(context.Background(), path, ledger.Options{})
		if err == nil {
			db.Close()
			t.Errorf("%s: opened", path)
			continue
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %q does not name the path", path, err)
		}
		if errors.Is(err, batch.ErrLedgerDamaged) {
			t.Errorf("%s: %v: not a damaged ledger", path, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the dangling link's target was created")
	}
}

func TestDefaultPath(t *testing.T) {
	for _, c := range []struct {
		name    string
		env     map[string]string
		want    string
		wantErr bool
	}{
		{"xdg", map[string]string{"XDG_STATE_HOME": "/x/state", "HOME": "/home/u"}, "/x/state/vicionboard/ledger.db", false},
		{"home", map[string]string{"HOME": "/home/u"}, "/home/u/.local/state/vicionboard/ledger.db", false},
		{"relative xdg is ignored", map[string]string{"XDG_STATE_HOME": "state", "HOME": "/home/u"}, "/home/u/.local/state/vicionboard/ledger.db", false},
		{"neither", map[string]string{}, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ledger.DefaultPath(func(k string) string { return c.env[k] })
			if (err != nil) != c.wantErr || got != c.want {
				t.Errorf("DefaultPath = %q, %v; want %q (error %v)", got, err, c.want, c.wantErr)
			}
		})
	}
}

// filledLedger writes a closed ledger with n persons created and returns
// its path.
func filledLedger(t *testing.T, n int) string {
	t.Helper()
	path := ledgerPath(t)
	db, err := ledger.Open(context.Background(), path, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	run := begin(t, db, start("/in.csv", t0))
	for i := range n {
		r := rec(fmt.Sprintf("E%05d", i), fmt.Sprintf("agent%05d", i), batch.StatusSuccess, batch.EffectCreated)
		r.Line = i + 2
		r.Reason = strings.Repeat("created by add_user ", 5)
		if err := db.Record(context.Background(), run, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.FinishRun(context.Background(), run, batch.RunEnd{Ended: t0, Rows: n}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil { // checkpoints the WAL into the file
		t.Fatal(err)
	}
	return path
}

func TestOpenDamaged(t *testing.T) {
	sqliteOnly(t)
	random := make([]byte, 16384)
	rand.Read(random)
	for _, c := range []struct {
		name   string
		damage func(t *testing.T, path string)
		detail string // what the error says is wrong
	}{
		{"zero-filled", func(t *testing.T, path string) { write(t, path, make([]byte, 16384)) }, "not a SQLite database"},
		{"random bytes", func(t *testing.T, path string) { write(t, path, random) }, "not a SQLite database"},
		{"a few bytes", func(t *testing.T, path string) { write(t, path, []byte("name,login\n")) }, "not a SQLite database"},
		{"truncated", func(t *testing.T, path string) {
			p := filledLedger(t, 500)
			b := read(t, p)
			write(t, path, b[:len(b)/2])
		}, "malformed"},
		{"index page zeroed", func(t *testing.T, path string) {
			// Page 3 is the migrations table's index, created first: only
			// quick_check notices.
			p := filledLedger(t, 500)
			b := read(t, p)
			clear(b[2*4096 : 3*4096])
			write(t, path, b)
		}, "quick_check"},
		{"pages overwritten", func(t *testing.T, path string) {
			p := filledLedger(t, 500)
			b := read(t, p)
			copy(b[len(b)/2:], random) // the header and the schema stay intact
			write(t, path, b)
		}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ledger.db")
			c.damage(t, path)
			before := read(t, path)
			db, err := ledger.Open(context.Background(), path, ledger.Options{})
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, batch.ErrLedgerDamaged) {
				t.Errorf("error %v does not wrap ErrLedgerDamaged", err)
			}
			var de *ledger.DamagedError
			if !errors.As(err, &de) || de.Path != path {
				t.Errorf("error %#v: want a *DamagedError for %s", err, path)
			}
			for _, want := range []string{path, c.detail, "backup", "move it aside", "AUTOGENERATED"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if !bytes.Equal(read(t, path), before) {
				t.Error("the damaged file was changed")
			}
		})
	}
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := ledgerPath(t)
	db := openAt(t, path)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, path)
	if _, err := raw.Exec(`INSERT INTO migrations (name, applied_at) VALUES ('9999_future.sql', '')`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	_, err := ledger.Open(context.Background(), path, optsFor(path))
	if !errors.Is(err, ledger.ErrNewerSchema) {
		t.Fatalf("Open: %v; want ErrNewerSchema", err)
	}
	for _, want := range []string{path, "9999_future.sql", "newer vicionboard"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := ledgerPath(t)
	db := openAt(t, path)
	run := begin(t, db, start("/in.csv", t0))
	record(t, db, run, rec("E1", "jsmith", batch.StatusSuccess, batch.EffectCreated))
	if err := db.FinishRun(context.Background(), run, batch.RunEnd{Ended: t0, Rows: 1}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := db.Record(context.Background(), run, rec("E2", "x", batch.StatusSuccess, batch.EffectNone)); !errors.Is(err, ledger.ErrClosed) {
		t.Errorf("Record after Close: %v, want ErrClosed", err)
	}
	db = openAt(t, path)
	if p, ok := person(t, db, "E1"); !ok || p.State != batch.PersonCreated || p.CreatedBy != run {
		t.Errorf("after reopening: %+v, %v", p, ok)
	}
}
