package ledger

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/vicionboard/vicionboard/batch/naming"
)

// keySize is the size of the digest key, in bytes.
const keySize = 32

// KeyPath returns the default path of the key of the SQLite ledger at
// path: a file beside it, so that the ledger alone never allows guessing a
// password from its digest. (A PostgreSQL ledger's key file is given:
// Options.KeyFile.)
func KeyPath(path string) string { return path + ".key" }

// PassDigest returns the function that digests an agent's password for
// this ledger: HMAC-SHA256 under a random key kept in KeyPath (mode 0600,
// created on first use). The ledger stores the digest, never the
// password, to tell when HR changed a password; without the key file the
// digests cannot be checked against guesses.
func (d *DB) PassDigest() (func(string) string, error) {
	key, err := d.key()
	if err != nil {
		return nil, err
	}
	return func(password string) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte("vicionboard agent_pass\x00"))
		m.Write([]byte(password))
		return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil)[:16])
	}, nil
}

// ErrKeyMissing is wrapped by PassDigest's and Passwords' error when the
// key file is missing but the ledger was made with a key (it recorded the
// key's fingerprint, or holds digests made with it: a ledger copied
// without its key): a new key would make every password look changed, and
// every generated password shown again wrong.
var ErrKeyMissing = errors.New("the ledger's key file is missing")

// ErrKeyMismatch is wrapped by PassDigest's and Passwords' error when the
// key file holds another key than the one the ledger was made with.
var ErrKeyMismatch = errors.New("the key file is not the ledger's key")

// keyFile is what a key file holds: the key (64 hex digits on the first
// line) and, when vicionboard made it with a ledger, that ledger's id (a
// line "ledger ID"). A key file an operator made may hold the key alone.
type keyFile struct {
	exists bool
	key    []byte
	ledger string
}

// readKeyFile reads the key file at path; exists=false when there is none.
func readKeyFile(path string) (keyFile, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return keyFile{}, nil
	}
	if err != nil {
		return keyFile{}, fmt.Errorf("ledger key: %w", err)
	}
	kf := keyFile{exists: true}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		switch k, v, _ := strings.Cut(line, " "); {
		case line == "" || strings.HasPrefix(line, "#"):
		case k == "ledger":
			kf.ledger = strings.TrimSpace(v)
		case kf.key == nil:
			kf.key, err = hex.DecodeString(line)
			if err != nil || len(kf.key) != keySize {
				kf.key = nil
			}
		}
	}
	if kf.key == nil {
		return keyFile{}, fmt.Errorf("ledger key %s is damaged (it needs %d hex digits on its first line): restore it from the backup of the ledger "+
			"(without it, every password would look changed)", path, 2*keySize)
	}
	return kf, nil
}

// fingerprint names key without revealing it: the ledger records it, so
// that another key is noticed.
func fingerprint(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("vicionboard key fingerprint"))
	return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil)[:8])
}

// NewKey makes a new key for a ledger whose key file is lost
// (ErrKeyMissing), accepting the price: every password digest the ledger
// holds no longer matches (with --update, every password looks changed),
// and generated passwords of accounts created before are not shown again.
// It fails when the key file exists.
func (d *DB) NewKey() error {
	key, err := createKey(d.keyPath, d.id)
	if err != nil {
		return err
	}
	return d.wrap("new key", d.writeTx(context.Background(), func(tx *sql.Tx) error {
		return errors.Join(setMeta(context.Background(), d, tx, metaFingerprint, fingerprint(key)),
			setMeta(context.Background(), d, tx, metaKeyLedger, d.id))
	}))
}

// key returns the ledger's key (see KeyPath), creating it when the ledger
// has never used one, and checks it is the key the ledger was made with.
func (d *DB) key() ([]byte, error) {
	ctx := context.Background()
	if d.keyPath == "" {
		return nil, fmt.Errorf("ledger %s: %w", d.path, ErrKeyFileNeeded)
	}
	kf, err := readKeyFile(d.keyPath)
	if err != nil {
		return nil, err
	}
	m, err := readMeta(ctx, d, d.db)
	if err != nil {
		return nil, d.wrap("key", err)
	}
	if !kf.exists {
		if m.fingerprint != "" {
			return nil, fmt.Errorf("ledger key %s: %w, and the ledger was made with a key (%s): restore it from the backup of the ledger "+
				"(with a new key, every password would look changed, and generated passwords could not be shown again)", d.keyPath, ErrKeyMissing, m.fingerprint)
		}
		var used bool
		err := d.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM persons WHERE {{jsonHas "applied" "agent_pass"}})`).Scan(&used)
		if err != nil {
			return nil, d.wrap("key", err)
		}
		if used {
			return nil, fmt.Errorf("ledger key %s: %w, but the ledger holds password digests made with it: restore it from the backup of the ledger "+
				"(with a new key, every password would look changed, and generated passwords could not be shown again)", d.keyPath, ErrKeyMissing)
		}
		if kf.key, err = createKey(d.keyPath, d.id); err != nil {
			return nil, err
		}
	}
	fp := fingerprint(kf.key)
	switch {
	case m.fingerprint == fp:
	case m.fingerprint != "":
		return nil, fmt.Errorf("ledger key %s: %w: the ledger was made with key %s, this file holds key %s: "+
			"give the key file that was made with this ledger", d.keyPath, ErrKeyMismatch, m.fingerprint, fp)
	default:
		err := d.writeTx(ctx, func(tx *sql.Tx) error {
			// Another process may have recorded one meanwhile: the same, or
			// another key's.
			got, err := readMeta(ctx, d, tx)
			if err != nil || got.fingerprint != "" {
				m = got
				return err
			}
			return setMeta(ctx, d, tx, metaFingerprint, fp)
		})
		if err != nil {
			return nil, d.wrap("key", err)
		}
		if m.fingerprint != "" && m.fingerprint != fp {
			return nil, fmt.Errorf("ledger key %s: %w: the ledger was made with key %s", d.keyPath, ErrKeyMismatch, m.fingerprint)
		}
	}
	return kf.key, nil
}

// createKey writes a new key (and the ledger it is made for, when known)
// aside and links it into place, so that a process reading the key never
// sees it half written, and two creating it at once agree on one.
func createKey(path, ledger string) ([]byte, error) {
	key := make([]byte, keySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("ledger key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("ledger key: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".key-*")
	if err != nil {
		return nil, fmt.Errorf("ledger key: %w", err)
	}
	defer os.Remove(tmp.Name())
	text := hex.EncodeToString(key) + "\n"
	if ledger != "" {
		text += "ledger " + ledger + "\n"
	}
	_, werr := tmp.WriteString(text)
	if err := errors.Join(werr, tmp.Sync(), tmp.Close()); err != nil {
		return nil, fmt.Errorf("ledger key %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		kf, err := readKeyFile(path) // another process made it first
		return kf.key, err
	} else if err != nil {
		return nil, fmt.Errorf("ledger key: %w", err)
	}
	return key, nil
}

// Passwords returns the function that gives a person on server the
// password vicionboard generates for them: derived (HKDF-SHA256) from the
// random key in KeyPath, the server and the person key, so that it is the
// same on every run, and a run killed after its request and started again
// shows in its result file the password the server holds, without the
// ledger ever storing it. Whoever holds the key file can derive every
// generated password: it is as secret as the result files (mode 0600).
func (d *DB) Passwords(server string) (func(personKey string) string, error) {
	key, err := d.key()
	if err != nil {
		return nil, err
	}
	return func(personKey string) string {
		return naming.DerivePassword(key, "vicionboard agent_pass\x00"+server+"\x00"+personKey)
	}, nil
}
