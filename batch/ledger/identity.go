package ledger

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vicionboard/vicionboard/batch"
)

// A ledger has an identity: a random id made when it is created, kept in
// its meta table. Two things outside the database remember it, so that a
// ledger that is not yesterday's memory is noticed before anything is
// sent:
//
//   - The key file (see digest.go) names the ledger it was made for, in a
//     line "ledger ID" after the key. A key file the operator made (for
//     PostgreSQL, e.g. from a Kubernetes Secret) may have no such line.
//   - The runs folder keeps, in last-run, the last run this machine began
//     on the ledger, written once the run is committed.
//
// Open then refuses (an *IdentityError, wrapping batch.ErrLedgerDamaged):
//   - a new (empty, 0-byte or missing) ledger beside a key file that names
//     a ledger, or (SQLite) beside any key file, or a runs folder that
//     remembers a run: the ledger was lost or truncated;
//   - a ledger whose id is not the one the key file or the runs folder
//     name: a foreign ledger;
//   - a ledger that does not know the run the runs folder remembers: it
//     lost committed work (its -wal was deleted after a crash) or is an
//     older backup.
//
// Options.Fresh accepts what is found, and binds it to the key file and
// the runs folder.

// ErrNotSameLedger is wrapped by an *IdentityError.
var ErrNotSameLedger = errors.New("the ledger is not the one its key file and runs folder know")

// IdentityProblem is what an *IdentityError found.
type IdentityProblem int

// The problems.
const (
	// IdentityNew: the ledger is new, but its key file or runs folder knew
	// one (lost, truncated to 0 bytes, or never copied).
	IdentityNew IdentityProblem = iota + 1
	// IdentityForeign: the ledger is another ledger than the one its key
	// file or runs folder knew.
	IdentityForeign
	// IdentityLost: the ledger is the one they knew, but lacks a run the
	// runs folder remembers: committed work was lost (a deleted -wal) or it
	// is an older backup.
	IdentityLost
)

// IdentityError is Open's error for a ledger that is not the memory its
// key file and runs folder knew.
type IdentityError struct {
	Path    string
	Problem IdentityProblem
	Detail  string
}

// Error says what was found.
func (e *IdentityError) Error() string {
	return fmt.Sprintf("ledger %s: %v: %s", e.Path, ErrNotSameLedger, e.Detail)
}

// Unwrap returns ErrNotSameLedger and batch.ErrLedgerDamaged: the run
// stops as for a damaged ledger.
func (e *IdentityError) Unwrap() []error {
	return []error{ErrNotSameLedger, batch.ErrLedgerDamaged}
}

// meta is what the meta table holds.
type meta struct {
	id          string // the ledger's id; "" before identities (or when new)
	created     string
	fingerprint string // of the key the ledger's digests and passwords were made with
	keyLedger   string // the ledger id the key file names, when it is not id
}

// The meta table's names.
const (
	metaID          = "ledger_id"
	metaCreated     = "created_at"
	metaFingerprint = "key_fingerprint"
	metaKeyLedger   = "key_ledger"
)

// readMeta reads the meta table with q.
func readMeta(ctx context.Context, d *DB, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) (meta, error) {
	rows, err := q.QueryContext(ctx, d.dl.q(`SELECT name, value FROM meta`))
	if err != nil {
		return meta{}, err
	}
	defer rows.Close()
	var m meta
	for rows.Next() {
		var n, v string
		if err := rows.Scan(&n, &v); err != nil {
			return meta{}, err
		}
		switch n {
		case metaID:
			m.id = v
		case metaCreated:
			m.created = v
		case metaFingerprint:
			m.fingerprint = v
		case metaKeyLedger:
			m.keyLedger = v
		}
	}
	return m, rows.Err()
}

// setMeta writes name's value in tx.
func setMeta(ctx context.Context, d *DB, tx *sql.Tx, name, value string) error {
	_, err := tx.ExecContext(ctx, d.dl.q(`INSERT INTO meta (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`), name, value)
	return err
}

// writeTx runs fn in a write transaction that holds the ledger's write
// turn (see engine.beginWrite), outside the writer.
func (d *DB) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := d.eng.beginWrite(ctx, tx); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// ID returns the ledger's identity.
func (d *DB) ID() string { return d.id }

// newLedgerID returns a new ledger id: the creation time and 8 random hex
// digits.
func newLedgerID(at time.Time) string {
	var b [4]byte
	rand.Read(b[:])
	return at.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// marker is what the runs folder remembers: the last run begun here.
type marker struct {
	exists bool
	ledger string
	run    batch.RunID
}

// identityMigration made the meta table.
const identityMigration = "0004_identity.sql"

// markerName is the runs folder's file of the last run begun.
const markerName = "last-run"

// readMarker reads the runs folder's last-run file.
func readMarker(dir string) (marker, error) {
	if dir == "" {
		return marker{}, nil
	}
	b, err := os.ReadFile(filepath.Join(dir, markerName))
	if errors.Is(err, fs.ErrNotExist) {
		return marker{}, nil
	}
	if err != nil {
		return marker{}, err
	}
	m := marker{exists: true}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch k {
		case "ledger":
			m.ledger = v
		case "run":
			m.run = batch.RunID(v)
		}
	}
	return m, nil
}

// rememberRun writes run as the runs folder's last run, durably (it is
// renamed into place after an fsync).
func (d *DB) rememberRun(run batch.RunID) error {
	if d.runsDir == "" || d.id == "" {
		return nil
	}
	path := filepath.Join(d.runsDir, markerName)
	err := writeFileAtomic(path, []byte("# the last run this machine began on the ledger: a ledger that does not know it lost work\n"+
		"ledger "+d.id+"\nrun "+string(run)+"\n"))
	if err != nil {
		return fmt.Errorf("ledger %s: runs folder: %w", d.path, err)
	}
	return nil
}

// writeFileAtomic writes b to a temporary file beside path, syncs it, and
// renames it to path.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(b)
	if err := errors.Join(werr, tmp.Sync(), tmp.Close()); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// identify reads the ledger's identity, making one for a new ledger or
// one from before identities, and checks it against the key file and the
// runs folder (see the comment at the top of this file).
func (d *DB) identify(ctx context.Context, fresh bool) error {
	var n int
	if err := d.queryRow(ctx, `SELECT count(*) FROM migrations WHERE name = ?`, identityMigration).Scan(&n); err != nil {
		return d.wrap("identity", err)
	} else if n == 0 {
		return nil // only an older schema (a test's): no identities
	}
	var (
		kf  keyFile
		err error
	)
	if d.keyPath != "" {
		if kf, err = readKeyFile(d.keyPath); err != nil {
			return err
		}
	}
	mk, err := readMarker(d.runsDir)
	if err != nil {
		return fmt.Errorf("ledger %s: runs folder: %w", d.path, err)
	}
	var m meta
	var problem *IdentityError
	err = d.writeTx(ctx, func(tx *sql.Tx) error {
		if m, err = readMeta(ctx, d, tx); err != nil || m.id != "" {
			return err
		}
		// No identity yet: a new ledger, or one from before identities.
		var used bool
		if err := tx.QueryRowContext(ctx, d.dl.q(`SELECT EXISTS (SELECT 1 FROM runs) OR EXISTS (SELECT 1 FROM persons)`)).Scan(&used); err != nil {
			return err
		}
		if !used && !fresh {
			if problem = d.newLedgerProblem(kf, mk); problem != nil {
				return nil
			}
		}
		now := time.Now()
		m = meta{id: newLedgerID(now), created: fmtTime(now), keyLedger: kf.ledger}
		if !kf.exists && !used && d.keyPath != "" {
			key, err := createKey(d.keyPath, m.id)
			if err != nil {
				return err
			}
			kf = keyFile{exists: true, key: key, ledger: m.id}
			m.keyLedger = m.id
		}
		if kf.exists {
			m.fingerprint = fingerprint(kf.key)
		}
		for name, v := range map[string]string{metaID: m.id, metaCreated: m.created, metaFingerprint: m.fingerprint, metaKeyLedger: m.keyLedger} {
			if v == "" {
				continue
			}
			if err := setMeta(ctx, d, tx, name, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return d.wrap("identity", err)
	}
	if problem != nil {
		return problem
	}
	d.id = m.id
	if problem, err := d.knownLedgerProblem(ctx, m, kf, mk); err != nil || problem == nil {
		return err
	} else if !fresh {
		return problem
	}
	// --fresh: bind what was found to the key file and the runs folder.
	if kf.ledger != "" && kf.ledger != m.id && kf.ledger != m.keyLedger {
		if err := d.writeTx(ctx, func(tx *sql.Tx) error { return setMeta(ctx, d, tx, metaKeyLedger, kf.ledger) }); err != nil {
			return d.wrap("identity", err)
		}
	}
	if mk.exists {
		if err := os.Remove(filepath.Join(d.runsDir, markerName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("ledger %s: runs folder: %w", d.path, err)
		}
	}
	return nil
}

// newLedgerProblem says why a new ledger is refused, or returns nil.
func (d *DB) newLedgerProblem(kf keyFile, mk marker) *IdentityError {
	e := &IdentityError{Path: d.path, Problem: IdentityNew}
	empty := "the ledger is new (empty, or missing)"
	switch {
	case kf.ledger != "":
		e.Detail = fmt.Sprintf("%s, but the key file %s was made for ledger %s: the ledger that knew which accounts were created is gone", empty, d.keyPath, kf.ledger)
	case mk.exists:
		e.Detail = fmt.Sprintf("%s, but the runs folder %s remembers run %s of ledger %s: the ledger that knew which accounts were created is gone", empty, d.runsDir, mk.run, mk.ledger)
	case kf.exists && d.dl.name == "sqlite" && d.keyPath == KeyPath(d.path):
		// vicionboard makes the key beside a SQLite ledger itself; a key
		// file an operator names may be made before the ledger.
		e.Detail = fmt.Sprintf("%s, but its key file %s exists: a ledger used it, and that ledger is gone", empty, d.keyPath)
	default:
		return nil
	}
	return e
}

// knownLedgerProblem says why a ledger with an identity is not the one
// the key file and the runs folder know, or returns nil.
func (d *DB) knownLedgerProblem(ctx context.Context, m meta, kf keyFile, mk marker) (*IdentityError, error) {
	if kf.ledger != "" && kf.ledger != m.id && kf.ledger != m.keyLedger {
		return &IdentityError{Path: d.path, Problem: IdentityForeign, Detail: fmt.Sprintf(
			"it is ledger %s (created %s), but the key file %s was made for ledger %s", m.id, m.created, d.keyPath, kf.ledger)}, nil
	}
	if !mk.exists {
		return nil, nil
	}
	if mk.ledger != m.id {
		return &IdentityError{Path: d.path, Problem: IdentityForeign, Detail: fmt.Sprintf(
			"it is ledger %s (created %s), but the runs folder %s remembers ledger %s", m.id, m.created, d.runsDir, mk.ledger)}, nil
	}
	if mk.run == "" {
		return nil, nil
	}
	var known bool
	if err := d.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?)`, mk.run).Scan(&known); err != nil {
		return nil, d.wrap("identity", err)
	}
	if known {
		return nil, nil
	}
	return &IdentityError{Path: d.path, Problem: IdentityLost, Detail: fmt.Sprintf(
		"it does not know run %s, which the runs folder %s remembers as the last one begun here: it lost committed work "+
			"(a -wal file deleted after a crash?) or it is an older backup", mk.run, d.runsDir)}, nil
}
