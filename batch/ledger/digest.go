package ledger

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
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

// KeyPath returns the path of the key of the ledger at path: a file
// beside it, so that the ledger alone never allows guessing a password
// from its digest.
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
// key file is missing but the ledger holds digests made with it (a ledger
// copied without its key): a new key would make every password look
// changed, and every generated password shown again wrong.
var ErrKeyMissing = errors.New("the ledger's key file is missing")

// NewKey makes a new key for a ledger whose key file is lost
// (ErrKeyMissing), accepting the price: every password digest the ledger
// holds no longer matches (with --update, every password looks changed),
// and generated passwords of accounts created before are not shown again.
// It fails when the key file exists.
func (d *DB) NewKey() error {
	_, err := createKey(KeyPath(d.path))
	return err
}

// key returns the ledger's key (see KeyPath), creating it when the ledger
// has never used one.
func (d *DB) key() ([]byte, error) {
	path := KeyPath(d.path)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		var used bool
		err := d.db.QueryRow(`SELECT EXISTS (SELECT 1 FROM persons WHERE json_extract(applied, '$.agent_pass') IS NOT NULL)`).Scan(&used)
		if err != nil {
			return nil, d.wrap("key", err)
		}
		if used {
			return nil, fmt.Errorf("ledger key %s: %w, but the ledger holds password digests made with it: restore it from the backup of the ledger "+
				"(with a new key, every password would look changed, and generated passwords could not be shown again)", path, ErrKeyMissing)
		}
	}
	return readOrCreateKey(path)
}

// readOrCreateKey reads the hex key at path, or creates it.
func readOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("ledger key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != keySize {
		return nil, fmt.Errorf("ledger key %s is damaged: restore it from the backup of the ledger (without it, every password would look changed)", path)
	}
	return key, nil
}

// createKey writes a new key aside and links it into place, so that a
// process reading the key never sees it half written, and two creating it
// at once agree on one.
func createKey(path string) ([]byte, error) {
	key := make([]byte, keySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("ledger key: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".key-*")
	if err != nil {
		return nil, fmt.Errorf("ledger key: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.WriteString(hex.EncodeToString(key) + "\n")
	if err := errors.Join(werr, tmp.Sync(), tmp.Close()); err != nil {
		return nil, fmt.Errorf("ledger key %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return readOrCreateKey(path) // another process made it first
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
