package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/batch/naming"
)

// This file keeps the agents' own phones (the phones table, migration
// 0007): batch.PhoneLedger.

// phoneColumns are the columns scanPhone reads.
const phoneColumns = `server, person_key, extension, server_ip, login, state, active, full_name, generated,
	run_id, created_by, created_at, updated_at`

// scanPhone reads a row of phoneColumns.
func scanPhone(s interface{ Scan(...any) error }) (batch.Phone, error) {
	var (
		p                    batch.Phone
		state, runID         string
		generated            int
		createdBy, createdAt sql.NullString
		updatedAt            sql.NullString
	)
	err := s.Scan(&p.Server, &p.Key, &p.Extension, &p.ServerIP, &p.Login, &state, &p.Active, &p.FullName, &generated,
		&runID, &createdBy, &createdAt, &updatedAt)
	if err != nil {
		return p, err
	}
	p.State, p.Generated, p.RunID, p.CreatedBy = batch.PhoneState(state), generated == 1, batch.RunID(runID), batch.RunID(createdBy.String)
	if p.CreatedAt, err = parseTime(createdAt); err != nil {
		return p, err
	}
	p.UpdatedAt, err = parseTime(updatedAt)
	return p, err
}

// getPhone reads a person's phone record.
func getPhone(ctx context.Context, q rowQuerier, server, key string) (batch.Phone, bool, error) {
	p, err := scanPhone(q.QueryRowContext(ctx, `SELECT `+phoneColumns+` FROM phones
		WHERE server = ? AND person_key = ?`, server, key))
	if errors.Is(err, sql.ErrNoRows) {
		return batch.Phone{}, false, nil
	}
	return p, err == nil, err
}

// PhonesByKey returns the committed phone records of the persons of keys
// on server, by key, with one read per 64 keys.
func (d *DB) PhonesByKey(ctx context.Context, server string, keys []string) (map[string]batch.Phone, error) {
	found := make(map[string]batch.Phone)
	for len(keys) > 0 {
		n := min(len(keys), maxLookup)
		if err := d.lookUpPhones(ctx, server, keys[:n], found); err != nil {
			return nil, d.wrap("phones by key", err)
		}
		keys = keys[n:]
	}
	return found, nil
}

// lookUpPhones adds to found the phone records of keys (at most
// maxLookup) on server, with a power of two of placeholders, as lookUp.
func (d *DB) lookUpPhones(ctx context.Context, server string, keys []string, found map[string]batch.Phone) error {
	size := 1
	for size < len(keys) {
		size *= 2
	}
	args := make([]any, 0, 1+size)
	args = append(args, server)
	for i := range size {
		args = append(args, keys[min(i, len(keys)-1)])
	}
	q := `SELECT ` + phoneColumns + ` FROM phones WHERE server = ? AND person_key IN (?` + strings.Repeat(", ?", size-1) + `)`
	var (
		rows *sql.Rows
		err  error
	)
	if d.dl.prepare {
		s, err := d.prepared(ctx, q)
		if err != nil {
			return err
		}
		rows, err = s.QueryContext(ctx, args...)
	} else {
		rows, err = d.query(ctx, q, args...)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPhone(rows)
		if err != nil {
			return err
		}
		found[p.Key] = p
	}
	return rows.Err()
}

// PhoneHolder returns the key of the person on server whose phone record
// has extension on serverIP, or login, compared without case.
func (d *DB) PhoneHolder(ctx context.Context, server, serverIP, extension, login string) (string, bool, error) {
	key, ok, err := phoneHolder(ctx, stmtReader{d}, server, serverIP, extension, login, "")
	return key, ok, d.wrap("phone holder", err)
}

// phoneHolder returns the key of a person on server other than except
// whose phone record has extension on serverIP, or login.
func phoneHolder(ctx context.Context, q rowQuerier, server, serverIP, extension, login, except string) (string, bool, error) {
	var key string
	err := q.QueryRowContext(ctx, `SELECT person_key FROM phones
		WHERE server = ? AND person_key <> ? AND (
			(server_ip = ? AND {{nocase "extension"}} = {{nocase "?"}} AND ? <> '')
			OR ({{nocase "login"}} = {{nocase "?"}} AND ? <> ''))
		ORDER BY person_key LIMIT 1`, server, except, serverIP, extension, extension, login, login).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return key, err == nil, err
}

// ClaimPhones claims each phone in one transaction, committed before it
// returns: a person without a record gets one, claimed by run, unless
// another person's record has the extension or the login (Holder); a
// record claimed by an earlier run for the same phone is taken over
// (HadPrior: that run may have created it); a created record, or one for
// another phone, is left as it is, not granted. A dry run's claims are
// answered so, and change nothing.
func (d *DB) ClaimPhones(ctx context.Context, run batch.RunID, claims []batch.PhoneClaim) ([]batch.PhoneClaimResult, error) {
	r, err := d.active(run)
	if err != nil {
		return nil, err
	}
	for i, c := range claims {
		if c.Key == "" || c.Extension == "" || c.ServerIP == "" || c.Login == "" {
			return nil, fmt.Errorf("phone claim %d: the person key, extension, server_ip and login are required", i)
		}
	}
	results := make([]batch.PhoneClaimResult, len(claims))
	if len(claims) == 0 {
		return results, nil
	}
	if r.dryRun {
		for i, c := range claims {
			if results[i], err = d.claimPhone(ctx, stmtReader{d}, nil, run, c); err != nil {
				return nil, d.wrap("claim phones", err)
			}
		}
		return results, nil
	}
	if err := d.lostSession(); err != nil {
		return nil, err
	}
	err = d.w.do(ctx, &op{kind: opClaim, rows: len(claims), ctx: ctx,
		apply: func(ctx context.Context, tx *txn) error {
			for i, c := range claims {
				res, err := d.claimPhone(ctx, tx, tx, run, c)
				if err != nil {
					return err
				}
				results[i] = res
			}
			return nil
		}})
	if err != nil {
		return nil, fmt.Errorf("claim phones: %w", err)
	}
	return results, nil
}

// claimPhone decides one claim reading through q, and writes it in tx
// (nil: a dry run, which writes nothing).
func (d *DB) claimPhone(ctx context.Context, q rowQuerier, tx *txn, run batch.RunID, c batch.PhoneClaim) (batch.PhoneClaimResult, error) {
	p, ok, err := getPhone(ctx, q, c.Server, c.Key)
	if err != nil {
		return batch.PhoneClaimResult{}, err
	}
	now := fmtTime(time.Now())
	if ok {
		res := batch.PhoneClaimResult{Prior: p, HadPrior: true}
		same := strings.EqualFold(p.Extension, c.Extension) && strings.EqualFold(p.ServerIP, c.ServerIP) && strings.EqualFold(p.Login, c.Login)
		if p.State == batch.PhoneCreated || !same {
			return res, nil
		}
		res.Granted = true
		if tx != nil {
			_, err = tx.ExecContext(ctx, `UPDATE phones SET run_id = ?, full_name = ?, updated_at = ?
				WHERE server = ? AND person_key = ? AND state = 'claimed'`, run, c.FullName, now, c.Server, c.Key)
		}
		return res, err
	}
	holder, taken, err := phoneHolder(ctx, q, c.Server, c.ServerIP, c.Extension, c.Login, c.Key)
	if err != nil || taken {
		return batch.PhoneClaimResult{Holder: holder}, err
	}
	if tx != nil {
		_, err = tx.ExecContext(ctx, `INSERT INTO phones
			(server, person_key, extension, server_ip, login, state, active, full_name, generated, run_id, updated_at)
			VALUES (?, ?, ?, ?, ?, 'claimed', 'Y', ?, ?, ?, ?)`,
			c.Server, c.Key, c.Extension, c.ServerIP, c.Login, c.FullName, boolInt(c.Generated), run, now)
	}
	return batch.PhoneClaimResult{Granted: true}, err
}

// RecordPhone queues a change of a phone record (see batch.PhoneEffect),
// committed in order with Record's outcomes. A dry run's changes nothing.
func (d *DB) RecordPhone(ctx context.Context, run batch.RunID, rec batch.PhoneRecord) error {
	r, err := d.active(run)
	if err != nil {
		return err
	}
	if err := d.w.failed(); err != nil {
		return err
	}
	if r.dryRun {
		return nil
	}
	if rec.At.IsZero() {
		rec.At = time.Now()
	}
	return d.w.submit(ctx, &op{kind: opRecord, rows: 1, apply: func(ctx context.Context, tx *txn) error {
		return recordPhoneTx(ctx, tx, run, rec)
	}})
}

// recordPhoneTx writes a phone record's change in tx.
func recordPhoneTx(ctx context.Context, tx *txn, run batch.RunID, rec batch.PhoneRecord) error {
	at := fmtTime(rec.At)
	var err error
	switch rec.Effect {
	case batch.PhoneEffectCreated:
		_, err = tx.ExecContext(ctx, `UPDATE phones SET
				state = 'created', active = 'Y', run_id = ?1, updated_at = ?2,
				full_name  = CASE WHEN ?3 = '' THEN full_name ELSE ?3 END,
				created_by = CASE WHEN state = 'created' THEN created_by ELSE ?1 END,
				created_at = CASE WHEN state = 'created' THEN created_at ELSE ?2 END
			WHERE server = ?4 AND person_key = ?5`, run, at, rec.FullName, rec.Server, rec.Key)
	case batch.PhoneEffectReleased:
		_, err = tx.ExecContext(ctx, `DELETE FROM phones
			WHERE server = ? AND person_key = ? AND state = 'claimed' AND run_id = ?`, rec.Server, rec.Key, run)
	case batch.PhoneEffectChanged:
		_, err = tx.ExecContext(ctx, `UPDATE phones SET run_id = ?1, updated_at = ?2,
				active    = CASE WHEN ?3 = '' THEN active ELSE ?3 END,
				full_name = CASE WHEN ?4 = '' THEN full_name ELSE ?4 END
			WHERE server = ?5 AND person_key = ?6 AND state = 'created'`, run, at, rec.Active, rec.FullName, rec.Server, rec.Key)
	default:
		err = fmt.Errorf("phone of %s: unknown effect %d", rec.Key, rec.Effect)
	}
	return err
}

// PhonePasswords returns the function that gives a person on server the
// phone_pass and registration_password vicionboard generates for their
// own phone: derived, as agent passwords are (see Passwords), from the
// ledger's key, the server and the person key, each with its own label,
// so that a rerun sends the passwords the phone has without the ledger
// ever storing them.
func (d *DB) PhonePasswords() (func(server, personKey string) (phonePass, registration string), error) {
	key, err := d.key()
	if err != nil {
		return nil, err
	}
	return func(server, personKey string) (string, string) {
		at := "\x00" + server + "\x00" + personKey
		return naming.DerivePassword(key, "vicionboard phone_pass"+at), naming.DerivePassword(key, "vicionboard registration_password"+at)
	}, nil
}

// rekeyPhone moves the phone of the person key old to new on server, in
// tx (Rekey's): the person keeps their phone. It refuses when new has a
// phone already.
func rekeyPhone(ctx context.Context, tx *sql.Tx, dl *dialect, server, old, new string) error {
	var n int
	if err := tx.QueryRowContext(ctx, dl.q(`SELECT count(*) FROM phones WHERE server = ? AND person_key = ?`), server, new).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("person %s on %s: %w (it has its own phone)", new, server, ErrNameTaken)
	}
	_, err := tx.ExecContext(ctx, dl.q(`UPDATE phones SET person_key = ?3 WHERE server = ?1 AND person_key = ?2`), server, old, new)
	return err
}
