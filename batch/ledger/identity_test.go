package ledger_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/ledger"
)

// TestIdentity: a ledger that is not the memory its key file and runs
// folder knew is refused at Open, on either engine: a new one beside them
// (the old one lost), one that does not know the runs folder's last run
// (lost work, an older backup), another ledger's key file. Options.Fresh
// accepts it, and the next Open is quiet.
func TestIdentity(t *testing.T) {
	ctx := context.Background()
	// used returns a ledger with one run, closed.
	used := func(t *testing.T) (string, batch.RunID) {
		path := ledgerPath(t)
		db := openAt(t, path)
		run := begin(t, db, start("/in.csv", t0))
		record(t, db, run, rec("E1", "jsmith", batch.StatusSuccess, batch.EffectCreated))
		if err := db.FinishRun(ctx, run, batch.RunEnd{Rows: 1}); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		return path, run
	}
	runsDir := func(path string) string {
		if d := optsFor(path).RunsDir; d != "" {
			return d
		}
		return path + ".runs"
	}
	for _, c := range []struct {
		name    string
		damage  func(t *testing.T, path string) (opened string, opts ledger.Options)
		problem ledger.IdentityProblem
		detail  string
	}{
		{"a new ledger beside the old one's key file and runs folder", func(t *testing.T, path string) (string, ledger.Options) {
			fresh := ledgerPath(t)
			o := optsFor(fresh)
			o.KeyFile, o.RunsDir = keyFileOf(path), runsDir(path)
			return fresh, o
		}, ledger.IdentityNew, "was made for ledger"},
		{"a new ledger beside the old one's runs folder", func(t *testing.T, path string) (string, ledger.Options) {
			fresh := ledgerPath(t)
			o := optsFor(fresh)
			o.RunsDir = runsDir(path)
			return fresh, o
		}, ledger.IdentityNew, "remembers run"},
		{"the runs folder's last run unknown", func(t *testing.T, path string) (string, ledger.Options) {
			marker := filepath.Join(runsDir(path), "last-run")
			b, err := os.ReadFile(marker)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(b), "\n")
			for i, l := range lines {
				if strings.HasPrefix(l, "run ") {
					lines[i] = "run 20991231T000000Z-abcdef"
				}
			}
			write(t, marker, []byte(strings.Join(lines, "\n")))
			return path, optsFor(path)
		}, ledger.IdentityLost, "20991231T000000Z-abcdef"},
		{"another ledger's key file", func(t *testing.T, path string) (string, ledger.Options) {
			other, _ := used(t)
			o := optsFor(path)
			o.KeyFile = keyFileOf(other)
			return path, o
		}, ledger.IdentityForeign, "was made for ledger"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path, _ := used(t)
			opened, opts := c.damage(t, path)
			_, err := ledger.Open(ctx, opened, opts)
			var ie *ledger.IdentityError
			if !errors.As(err, &ie) || ie.Problem != c.problem || !errors.Is(err, batch.ErrLedgerDamaged) {
				t.Fatalf("Open: %v; want an IdentityError (%d) that stops the run as damage", err, c.problem)
			}
			if !strings.Contains(err.Error(), c.detail) {
				t.Errorf("the error does not say %q: %v", c.detail, err)
			}
			opts.Fresh = true
			db, err := ledger.Open(ctx, opened, opts)
			if err != nil {
				t.Fatalf("Open with Fresh: %v", err)
			}
			run := begin(t, db, start("/in.csv", t0.Add(48*3600e9)))
			if err := db.FinishRun(ctx, run, batch.RunEnd{}); err != nil {
				t.Fatal(err)
			}
			db.Close()
			opts.Fresh = false
			again, err := ledger.Open(ctx, opened, opts)
			if err != nil {
				t.Fatalf("Open after Fresh: %v", err)
			}
			again.Close()
		})
	}
}
