package ledger

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/vicionboard/vicionboard/batch"
)

// Outcome is one row's outcome in one run, as the ledger recorded it.
type Outcome struct {
	Run      batch.RunID
	Line     int    // the row's line in the run's input
	Key      string // the person key; "" for a row without one
	Login    string
	Function string // add_user, copy_user, or ""
	Status   batch.Status
	Code     string
	Reason   string
	At       time.Time
}

// Event is an outcome in a person's story, with the run that recorded it.
type Event struct {
	Outcome
	Command string    // the run's command
	DryRun  bool      // the run was a dry run
	Server  string    // the run's server
	Started time.Time // when the run began
}

// StoryQuery selects a person's story: by person key, by login
// (case-insensitively), or both (either matches). Server restricts it to
// one server; "" means every server.
type StoryQuery struct {
	Server string
	Key    string
	Login  string
}

// Story is everything the ledger knows of a person: the records matching
// the query, and every outcome of every run that saw the person's key or
// login, oldest first.
type Story struct {
	Persons []batch.Person
	Events  []Event
}

// outcomeColumns are the columns scanOutcome reads, from outcomes as o.
const outcomeColumns = `o.run_id, o.line, o.person_key, o.login, o.function, o.status, o.code, o.reason, o.at`

// scanOutcome reads outcomeColumns, then more.
func scanOutcome(s interface{ Scan(...any) error }, more ...any) (Outcome, error) {
	var (
		o         Outcome
		run, stat string
		at        sql.NullString
	)
	err := s.Scan(append([]any{&run, &o.Line, &o.Key, &o.Login, &o.Function, &stat, &o.Code, &o.Reason, &at}, more...)...)
	if err != nil {
		return o, err
	}
	o.Run, o.Status = batch.RunID(run), batch.Status(stat)
	o.At, err = parseTime(at)
	return o, err
}

// RunRows returns the outcomes run id recorded, in line order (none for an
// unknown run).
func (d *DB) RunRows(ctx context.Context, id batch.RunID) ([]Outcome, error) {
	rows, err := d.query(ctx, `SELECT `+outcomeColumns+` FROM outcomes AS o
		WHERE o.run_id = ? ORDER BY o.line, o.id`, id)
	if err != nil {
		return nil, d.wrap("run rows", err)
	}
	defer rows.Close()
	var out []Outcome
	for rows.Next() {
		o, err := scanOutcome(rows)
		if err != nil {
			return nil, d.wrap("run rows", err)
		}
		out = append(out, o)
	}
	return out, d.wrap("run rows", rows.Err())
}

// Story returns the person records matching q, and every outcome (of
// every run, dry runs included) whose key or login is q's or a matching
// record's, oldest first.
func (d *DB) Story(ctx context.Context, q StoryQuery) (Story, error) {
	if q.Key == "" && q.Login == "" {
		return Story{}, errors.New("story: a person key or a login is needed")
	}
	var st Story
	if err := d.storyPersons(ctx, q, &st); err != nil {
		return Story{}, d.wrap("story", err)
	}
	keys, logins := set{}, set{}
	keys.add(q.Key)
	logins.add(strings.ToLower(q.Login))
	for _, p := range st.Persons {
		keys.add(p.Key)
		logins.add(strings.ToLower(p.Login))
	}
	if err := d.storyEvents(ctx, q.Server, keys, logins, &st); err != nil {
		return Story{}, d.wrap("story", err)
	}
	return st, nil
}

// storyPersons reads the records matching q.
func (d *DB) storyPersons(ctx context.Context, q StoryQuery, st *Story) error {
	// One look-up per term, so that each uses its index.
	var (
		args []any
		look []string
	)
	sel := `SELECT ` + personColumns + ` FROM persons WHERE (CAST(? AS TEXT) = '' OR server = ?) AND `
	if q.Key != "" {
		look = append(look, sel+`person_key = ?`)
		args = append(args, q.Server, q.Server, q.Key)
	}
	if q.Login != "" {
		look = append(look, sel+`login <> '' AND {{nocase "login"}} = {{nocase "?"}}`)
		args = append(args, q.Server, q.Server, q.Login)
	}
	rows, err := d.query(ctx, strings.Join(look, " UNION ")+` ORDER BY server, person_key`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return err
		}
		st.Persons = append(st.Persons, p)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range st.Persons {
		if err := d.setLive(&st.Persons[i]); err != nil {
			return err
		}
	}
	return nil
}

// storyEvents reads the outcomes whose key is in keys or whose login
// (lower case) is in logins.
func (d *DB) storyEvents(ctx context.Context, server string, keys, logins set, st *Story) error {
	args := []any{server, server}
	var look []string
	if len(keys) > 0 {
		look = append(look, "SELECT id FROM outcomes WHERE person_key <> '' AND person_key IN ("+keys.params(&args)+")")
	}
	if len(logins) > 0 {
		look = append(look, `SELECT id FROM outcomes WHERE login <> '' AND {{nocase "login"}} IN (`+logins.params(&args)+")")
	}
	rows, err := d.query(ctx, `SELECT `+outcomeColumns+`, r.command, r.dry_run, r.server, r.started
		FROM outcomes AS o JOIN runs AS r ON r.id = o.run_id
		WHERE (CAST(? AS TEXT) = '' OR r.server = ?) AND o.id IN (`+strings.Join(look, " UNION ")+`)
		ORDER BY r.started, r.id, o.line, o.id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e       Event
			started sql.NullString
		)
		e.Outcome, err = scanOutcome(rows, &e.Command, &e.DryRun, &e.Server, &started)
		if err != nil {
			return err
		}
		if e.Started, err = parseTime(started); err != nil {
			return err
		}
		st.Events = append(st.Events, e)
	}
	return rows.Err()
}

// set is a set of non-empty strings.
type set map[string]bool

func (s set) add(v string) {
	if v != "" {
		s[v] = true
	}
}

// params appends s's values to args and returns their placeholders.
func (s set) params(args *[]any) string {
	ph := make([]string, 0, len(s))
	for v := range s {
		*args = append(*args, v)
		ph = append(ph, "?")
	}
	return strings.Join(ph, ", ")
}
