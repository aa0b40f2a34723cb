package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/vicidial"
)

// rowQuerier is what getPerson needs of *txn and stmtReader.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// stmtReader reads outside the writer's transactions with the DB's
// prepared statements (see DB.prepared): a look-up made for every row is
// then parsed once per connection, not once per row.
type stmtReader struct{ d *DB }

// QueryRowContext runs query's prepared statement.
func (r stmtReader) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if !r.d.dl.prepare {
		return r.d.queryRow(ctx, query, args...)
	}
	s, err := r.d.prepared(ctx, query)
	if err != nil {
		return r.d.queryRow(ctx, query, args...) // reports the error
	}
	return s.QueryRowContext(ctx, args...)
}

// personColumns are the columns scanPerson reads.
const personColumns = `server, person_key, state, login, full_name, applied, input, run_id,
	created_by, created_at, updated_at`

// scanPerson reads a row of personColumns. Live is not set.
func scanPerson(s interface{ Scan(...any) error }) (batch.Person, error) {
	var (
		p                     batch.Person
		state, applied, runID string
		createdBy, createdAt  sql.NullString
		updatedAt             sql.NullString
	)
	err := s.Scan(&p.Server, &p.Key, &state, &p.Login, &p.FullName, &applied, &p.Input, &runID,
		&createdBy, &createdAt, &updatedAt)
	if err != nil {
		return p, err
	}
	p.State, p.RunID, p.CreatedBy = batch.PersonState(state), batch.RunID(runID), batch.RunID(createdBy.String)
	if err := json.Unmarshal([]byte(applied), &p.Applied); err != nil {
		return p, fmt.Errorf("person %s: applied: %w", p.Key, err)
	}
	if len(p.Applied) == 0 {
		p.Applied = nil
	}
	if p.CreatedAt, err = parseTime(createdAt); err != nil {
		return p, err
	}
	if p.UpdatedAt, err = parseTime(updatedAt); err != nil {
		return p, err
	}
	return p, nil
}

// getPerson reads a person's record; Live is not set.
func getPerson(ctx context.Context, q rowQuerier, server, key string) (batch.Person, bool, error) {
	p, err := scanPerson(q.QueryRowContext(ctx, `SELECT `+personColumns+` FROM persons
		WHERE server = ? AND person_key = ?`, server, key))
	if errors.Is(err, sql.ErrNoRows) {
		return batch.Person{}, false, nil
	}
	return p, err == nil, err
}

// setLive sets p.Live for a person in flight.
func (d *DB) setLive(p *batch.Person) error {
	if p.State != batch.PersonInFlight {
		return nil
	}
	live, err := d.live(p.RunID)
	p.Live = live
	return err
}

// Person returns what the ledger has committed of the person key on
// server (Record's queued writes are visible after Flush).
func (d *DB) Person(ctx context.Context, server, key string) (batch.Person, bool, error) {
	p, ok, err := getPerson(ctx, stmtReader{d}, server, key)
	if err == nil && ok {
		err = d.setLive(&p)
	}
	if err != nil {
		return batch.Person{}, false, d.wrap("person", err)
	}
	return p, ok, nil
}

// maxLookup is the most keys one statement of PersonsByKey looks up.
const maxLookup = 64

// PersonsByKey returns what the ledger has committed of each person of
// keys on server, by key, as Person would one by one, with one read per
// 64 keys. A key without a record is absent from the map.
func (d *DB) PersonsByKey(ctx context.Context, server string, keys []string) (map[string]batch.Person, error) {
	found := make(map[string]batch.Person, len(keys))
	for len(keys) > 0 {
		n := min(len(keys), maxLookup)
		if err := d.lookUp(ctx, server, keys[:n], found); err != nil {
			return nil, d.wrap("persons by key", err)
		}
		keys = keys[n:]
	}
	return found, nil
}

// lookUp adds to found the records of keys (at most maxLookup) on server.
// The statement has a power of two of placeholders, the last key
// repeated in the spare ones, so that a handful of prepared statements
// serve every count.
func (d *DB) lookUp(ctx context.Context, server string, keys []string, found map[string]batch.Person) error {
	size := 1
	for size < len(keys) {
		size *= 2
	}
	args := make([]any, 0, 1+size)
	args = append(args, server)
	for i := range size {
		args = append(args, keys[min(i, len(keys)-1)])
	}
	q := `SELECT ` + personColumns + ` FROM persons
		WHERE server = ? AND person_key IN (?` + strings.Repeat(", ?", size-1) + `)`
	var (
		rows *sql.Rows
		err  error
	)
	if d.dl.prepare {
		s, err := d.prepared(ctx, q)
		if err != nil {
			return err
		}
		if rows, err = s.QueryContext(ctx, args...); err != nil {
			return err
		}
	} else {
		rows, err = d.query(ctx, q, args...)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return err
		}
		if err := d.setLive(&p); err != nil {
			return err
		}
		found[p.Key] = p
	}
	return rows.Err()
}

// LoginHolder returns the key of a person on server whose record holds
// login, compared case-insensitively; ok=false when none does.
func (d *DB) LoginHolder(ctx context.Context, server, login string) (string, bool, error) {
	key, ok, err := loginHolder(ctx, stmtReader{d}, server, login, "")
	return key, ok, d.wrap("login holder", err)
}

// loginHolder returns the key of a person on server other than except
// whose record holds login.
func loginHolder(ctx context.Context, q rowQuerier, server, login, except string) (string, bool, error) {
	if login == "" {
		return "", false, nil
	}
	var key string
	err := q.QueryRowContext(ctx, `SELECT person_key FROM persons
		WHERE {{nocase "login"}} = {{nocase "?"}} AND login <> '' AND server = ? AND person_key <> ?
		ORDER BY person_key LIMIT 1`, login, server, except).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return key, err == nil, err
}

// Known returns how many persons on server the ledger holds a created
// account for, created by feed's finished work: an account a killed run
// of the feed created is the work a rerun resumes, not a known person
// (until a later run of the feed finishes).
func (d *DB) Known(ctx context.Context, server, feed string) (int, error) {
	var n int
	err := d.queryRow(ctx, `SELECT count(*) FROM persons AS p
		WHERE p.server = ?1 AND p.input = ?2 AND p.state = 'created' AND (p.created_by IS NULL OR EXISTS (
			SELECT 1 FROM runs AS r WHERE r.id = p.created_by AND (r.ended IS NOT NULL OR r.started <= (
				SELECT max(f.started) FROM runs AS f WHERE f.feed = ?2 AND f.ended IS NOT NULL AND f.dry_run = 0))))`,
		server, feed).Scan(&n)
	return n, d.wrap("known", err)
}

// storedLogin is the login a record keeps: "" while the server is to pick
// it (AUTOGENERATED).
func storedLogin(login string) string {
	if vicidial.IsAutogenerated(login) {
		return ""
	}
	return login
}

// Claim records durably (it returns after the commit, with fsync) that run
// is about to send each claim's request, unless the person's record
// forbids it: a claim is granted when the ledger has no record of the
// person, a record in flight in a dead run, or an unknown outcome (Prior
// then says which); it is refused when the person is created or in flight
// in a live run (this one included, as for a key claimed twice), and an
// Exclusive claim is refused over a record that holds another login (see
// otherLogin). All claims of the call are one transaction, committed
// after every Record queued before it, so a claim sees their effects.
//
// A dry run's claims are answered as a real run's would be, and change
// nothing. Once queued, Claim waits for the commit even if ctx ends: a
// claim that did not run yet when ctx ended is not made.
func (d *DB) Claim(ctx context.Context, run batch.RunID, claims []batch.Claim) ([]batch.ClaimResult, error) {
	r, err := d.active(run)
	if err != nil {
		return nil, err
	}
	for i, c := range claims {
		if c.Key == "" {
			return nil, fmt.Errorf("claim %d (line %d): no person key", i, c.Line)
		}
	}
	if len(claims) == 0 {
		return nil, nil
	}
	if r.dryRun {
		return d.claimDry(ctx, run, claims)
	}
	if err := d.lostSession(); err != nil {
		return nil, err
	}
	results := make([]batch.ClaimResult, len(claims))
	err = d.w.do(ctx, &op{kind: opClaim, rows: len(claims), ctx: ctx,
		apply: func(ctx context.Context, tx *txn) error {
			return d.claimTx(ctx, tx, run, claims, results)
		}})
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	return results, nil
}

// decide says whether a claim finding p (ok=false: no record) is granted,
// and sets p.Live.
func (d *DB) decide(p *batch.Person, ok bool) (bool, error) {
	if !ok {
		return true, nil
	}
	switch p.State {
	case batch.PersonCreated:
		return false, nil
	case batch.PersonUnknown:
		return true, nil
	case batch.PersonInFlight:
		if err := d.setLive(p); err != nil {
			return false, err
		}
		return !p.Live, nil
	}
	return false, fmt.Errorf("person %s: unknown state %q", p.Key, p.State)
}

// otherLogin reports whether an Exclusive claim (a generated login) would
// take over a record (in flight in a dead run, or unknown) that holds
// another login: that run may have created the person's account under it,
// and a request with a second login would make a second account. Such a
// claim is refused: the next run's generator takes the record's login,
// and checks it on the server first.
func otherLogin(c batch.Claim, p batch.Person, ok bool) bool {
	return c.Exclusive && ok && p.Login != "" && !strings.EqualFold(p.Login, storedLogin(c.Login))
}

// claimTx makes claims in tx, writing their results.
func (d *DB) claimTx(ctx context.Context, tx *txn, run batch.RunID, claims []batch.Claim, results []batch.ClaimResult) error {
	now := fmtTime(time.Now())
	for i, c := range claims {
		if !c.Exclusive {
			// The common case first: no record, so the claim is granted
			// and the record inserted, with one statement instead of a
			// look-up and an insert.
			res, err := tx.ExecContext(ctx, `INSERT INTO persons
				(server, person_key, state, login, full_name, input, run_id, updated_at)
				VALUES (?, ?, 'in_flight', ?, ?, ?, ?, ?)
				ON CONFLICT (server, person_key) DO NOTHING`,
				c.Server, c.Key, storedLogin(c.Login), c.FullName, c.Input, run, now)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 1 {
				results[i] = batch.ClaimResult{Granted: true}
				continue
			}
		}
		p, ok, err := getPerson(ctx, tx, c.Server, c.Key)
		if err != nil {
			return err
		}
		grant, err := d.decide(&p, ok)
		if err != nil {
			return err
		}
		grant = grant && !otherLogin(c, p, ok)
		results[i] = batch.ClaimResult{Granted: grant, Prior: p, HadPrior: ok}
		if grant && c.Exclusive {
			holder, taken, err := loginHolder(ctx, tx, c.Server, c.Login, c.Key)
			if err != nil {
				return err
			}
			if taken {
				results[i].Granted, results[i].LoginHolder, grant = false, holder, false
			}
		}
		switch {
		case !grant:
		case !ok:
			_, err = tx.ExecContext(ctx, `INSERT INTO persons
				(server, person_key, state, login, full_name, input, run_id, updated_at)
				VALUES (?, ?, 'in_flight', ?, ?, ?, ?, ?)`,
				c.Server, c.Key, storedLogin(c.Login), c.FullName, c.Input, run, now)
		default:
			// Take the record over, remembering what releasing the claim
			// restores: the record found, except over a dead run's claim
			// that had itself taken over an unknown outcome, where it is
			// still that unknown outcome.
			_, err = tx.ExecContext(ctx, `UPDATE persons SET
					prior_state = state, prior_run_id = run_id, prior_login = login,
					prior_full_name = full_name, prior_updated_at = updated_at
				WHERE server = ? AND person_key = ?
					AND NOT (state = 'in_flight' AND prior_state = 'unknown')`,
				c.Server, c.Key)
			if err == nil {
				_, err = tx.ExecContext(ctx, `UPDATE persons SET
						state = 'in_flight', run_id = ?, login = ?, full_name = ?, updated_at = ?
					WHERE server = ? AND person_key = ?`,
					run, storedLogin(c.Login), c.FullName, now, c.Server, c.Key)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// claimDry answers claims as claimTx would, writing nothing.
func (d *DB) claimDry(ctx context.Context, run batch.RunID, claims []batch.Claim) ([]batch.ClaimResult, error) {
	results := make([]batch.ClaimResult, len(claims))
	type pk struct{ server, key string }
	granted := map[pk]batch.Claim{}
	for i, c := range claims {
		if g, dup := granted[pk{c.Server, c.Key}]; dup {
			results[i] = batch.ClaimResult{HadPrior: true, Prior: batch.Person{Server: c.Server, Key: c.Key,
				State: batch.PersonInFlight, Login: storedLogin(g.Login), FullName: g.FullName,
				Input: g.Input, RunID: run, Live: true}}
			continue
		}
		p, ok, err := getPerson(ctx, stmtReader{d}, c.Server, c.Key)
		if err != nil {
			return nil, d.wrap("claim", err)
		}
		grant, err := d.decide(&p, ok)
		if err != nil {
			return nil, d.wrap("claim", err)
		}
		grant = grant && !otherLogin(c, p, ok)
		results[i] = batch.ClaimResult{Granted: grant, Prior: p, HadPrior: ok}
		if grant && c.Exclusive {
			holder, taken, err := loginHolder(ctx, stmtReader{d}, c.Server, c.Login, c.Key)
			if err != nil {
				return nil, d.wrap("claim", err)
			}
			if taken {
				results[i].Granted, results[i].LoginHolder, grant = false, holder, false
			}
		}
		if grant {
			granted[pk{c.Server, c.Key}] = c
		}
	}
	return results, nil
}

// Record queues a row's outcome and its effect on the person's record, and
// returns at once; see Flush. A dry run's records change no person.
// Effects: EffectCreated makes the record created (keeping the first
// creator and time); EffectReleased drops this run's claim (restoring the
// unknown outcome it took over, or removing the record), and does nothing
// when another run holds the record; EffectUnknown makes the record
// unknown, unless it is created; EffectNone leaves it. A record without a
// person key changes no person. Record returns the first error a queued
// write met.
func (d *DB) Record(ctx context.Context, run batch.RunID, rec batch.RowRecord) error {
	r, err := d.active(run)
	if err != nil {
		return err
	}
	if err := d.w.failed(); err != nil {
		return err
	}
	// Marshal now: the caller may reuse the map.
	applied, err := json.Marshal(rec.Applied)
	if err != nil {
		return fmt.Errorf("record line %d: applied: %w", rec.Line, err)
	}
	if rec.At.IsZero() {
		rec.At = time.Now()
	}
	dry := r.dryRun
	return d.w.submit(ctx, &op{kind: opRecord, rows: 1, apply: func(ctx context.Context, tx *txn) error {
		return recordTx(ctx, tx, run, dry, rec, string(applied))
	}})
}

// recordTx writes a record in tx.
func recordTx(ctx context.Context, tx *txn, run batch.RunID, dry bool, rec batch.RowRecord, applied string) error {
	at := fmtTime(rec.At)
	_, err := tx.ExecContext(ctx, `INSERT INTO outcomes
		(run_id, line, person_key, login, function, status, code, reason, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		run, rec.Line, rec.Key, rec.Login, rec.Function, string(rec.Status), rec.Code, rec.Reason, at)
	if err != nil || dry || rec.Key == "" {
		return err
	}
	login := storedLogin(rec.Login)
	switch rec.Effect {
	case batch.EffectNone:
	case batch.EffectCreated:
		if applied == "null" {
			applied = "{}"
		}
		// The common case first: this run's claim of a person without a
		// prior record, whose login and input stay as they are (fewer
		// columns set: fewer indexes, checks and foreign keys to
		// maintain). Else an UPDATE, then an INSERT when there was no
		// record: the same as an upsert, without the insert attempted
		// first and its checks.
		res, err := tx.ExecContext(ctx, `UPDATE persons SET
				state = 'created', full_name = ?4, applied = ?5, updated_at = ?6,
				created_by = ?3, created_at = ?6
			WHERE server = ?1 AND person_key = ?2 AND state = 'in_flight' AND run_id = ?3
				AND login = ?7 AND input = ?8 AND ?8 <> '' AND prior_state = '' AND prior_run_id IS NULL
				AND prior_login = '' AND prior_full_name = '' AND prior_updated_at IS NULL`,
			rec.Server, rec.Key, run, rec.FullName, applied, at, login, rec.Input)
		if err != nil {
			return err
		}
		var n int64
		if n, err = res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		res, err = tx.ExecContext(ctx, `UPDATE persons SET
				state = 'created', login = ?3, full_name = ?4, applied = ?5, run_id = ?7, updated_at = ?8,
				input      = CASE WHEN state = 'created' OR ?6 = '' THEN input ELSE ?6 END,
				created_by = CASE WHEN state = 'created' THEN created_by ELSE ?7 END,
				created_at = CASE WHEN state = 'created' THEN created_at ELSE ?8 END,
				prior_state = '', prior_run_id = NULL, prior_login = '', prior_full_name = '',
				prior_updated_at = NULL
			WHERE server = ?1 AND person_key = ?2`,
			rec.Server, rec.Key, login, rec.FullName, applied, rec.Input, run, at)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO persons
			(server, person_key, state, login, full_name, applied, input, run_id, created_by, created_at, updated_at)
			VALUES (?1, ?2, 'created', ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?8)`,
			rec.Server, rec.Key, login, rec.FullName, applied, rec.Input, run, at)
	case batch.EffectReleased:
		_, err = tx.ExecContext(ctx, `UPDATE persons SET
				state = 'unknown', run_id = prior_run_id, login = prior_login,
				full_name = prior_full_name, updated_at = prior_updated_at,
				prior_state = '', prior_run_id = NULL, prior_login = '', prior_full_name = '',
				prior_updated_at = NULL
			WHERE server = ? AND person_key = ? AND run_id = ? AND state = 'in_flight'
				AND prior_state = 'unknown'`,
			rec.Server, rec.Key, run)
		if err == nil {
			_, err = tx.ExecContext(ctx, `DELETE FROM persons
				WHERE server = ? AND person_key = ? AND run_id = ? AND state = 'in_flight'`,
				rec.Server, rec.Key, run)
		}
	case batch.EffectUnknown:
		_, err = tx.ExecContext(ctx, `INSERT INTO persons
			(server, person_key, state, login, full_name, input, run_id, updated_at)
			VALUES (?, ?, 'unknown', ?, ?, ?, ?, ?)
			ON CONFLICT (server, person_key) DO UPDATE SET
				state = 'unknown', run_id = excluded.run_id, updated_at = excluded.updated_at,
				login = CASE WHEN excluded.login = '' THEN persons.login ELSE excluded.login END,
				full_name = CASE WHEN excluded.full_name = '' THEN persons.full_name ELSE excluded.full_name END,
				prior_state = '', prior_run_id = NULL, prior_login = '', prior_full_name = '',
				prior_updated_at = NULL
			WHERE persons.state <> 'created'`,
			rec.Server, rec.Key, login, rec.FullName, rec.Input, run, at)
	default:
		err = fmt.Errorf("line %d: unknown effect %d", rec.Line, rec.Effect)
	}
	return err
}

// Persons calls fn with every person on server whose account was created
// from input (state created), in key order, until fn returns an error.
func (d *DB) Persons(ctx context.Context, server, input string, fn func(batch.Person) error) error {
	rows, err := d.query(ctx, `SELECT `+personColumns+` FROM persons
		WHERE server = ? AND input = ? AND state = 'created' ORDER BY person_key`, server, input)
	if err != nil {
		return d.wrap("persons", err)
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return d.wrap("persons", err)
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return d.wrap("persons", rows.Err())
}

// PersonsNamed returns the persons on server with a created account whose
// full name is fullName, compared without case, in key order.
func (d *DB) PersonsNamed(ctx context.Context, server, fullName string) ([]batch.Person, error) {
	rows, err := d.query(ctx, `SELECT `+personColumns+` FROM persons
		WHERE server = ? AND {{nocase "full_name"}} = {{nocase "?"}} AND state = 'created' ORDER BY person_key`, server, fullName)
	if err != nil {
		return nil, d.wrap("persons named", err)
	}
	defer rows.Close()
	var ps []batch.Person
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, d.wrap("persons named", err)
		}
		ps = append(ps, p)
	}
	return ps, d.wrap("persons named", rows.Err())
}
