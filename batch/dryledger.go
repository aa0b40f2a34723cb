package batch

import (
	"context"
	"strings"
	"sync"
)

// dryLedger is the dry run's view of the ledger: it reads the real ledger,
// and keeps its own writes in memory, so that a dry run claims, records
// and settles its rows as a run does without changing any person's
// record. The outcomes it records go to the real ledger's history, under
// the dry run's own run (begun with DryRun set), with no effect on
// persons.
//
// It forgets a row once its outcome is recorded: no later row can read it
// (a row repeating a login or a person key is refused before any look-up),
// so memory does not grow with the input.
type dryLedger struct {
	Ledger // the real ledger: runs, history, persons as they are

	mu      sync.Mutex
	claimed map[string]Person // server + "\x00" + key -> the claim of a row in flight
}

func newDryLedger(real Ledger) *dryLedger {
	return &dryLedger{Ledger: real, claimed: map[string]Person{}}
}

func personID(server, key string) string { return server + "\x00" + key }

// Person returns the dry run's own claim of the person, or the ledger's
// record.
func (d *dryLedger) Person(ctx context.Context, server, key string) (Person, bool, error) {
	d.mu.Lock()
	p, ok := d.claimed[personID(server, key)]
	d.mu.Unlock()
	if ok {
		return p, true, nil
	}
	return d.Ledger.Person(ctx, server, key)
}

// PersonsByKey is Person for many keys.
func (d *dryLedger) PersonsByKey(ctx context.Context, server string, keys []string) (map[string]Person, error) {
	persons, err := d.Ledger.PersonsByKey(ctx, server, keys)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, k := range keys {
		if p, ok := d.claimed[personID(server, k)]; ok {
			if persons == nil {
				persons = map[string]Person{}
			}
			persons[k] = p
		}
	}
	return persons, nil
}

// LoginHolder returns the person a claim of this dry run holds login for,
// or the ledger's holder.
func (d *dryLedger) LoginHolder(ctx context.Context, server, login string) (string, bool, error) {
	d.mu.Lock()
	for _, p := range d.claimed {
		if p.Server == server && strings.EqualFold(p.Login, login) {
			d.mu.Unlock()
			return p.Key, true, nil
		}
	}
	d.mu.Unlock()
	return d.Ledger.LoginHolder(ctx, server, login)
}

// Claim grants a claim as the ledger would (see Ledger.Claim): unless the
// person is created, claimed by another live run, or (exclusive) its login
// is another person's. A granted claim is kept in memory only.
func (d *dryLedger) Claim(ctx context.Context, run RunID, claims []Claim) ([]ClaimResult, error) {
	res := make([]ClaimResult, len(claims))
	for i, c := range claims {
		p, had, err := d.Person(ctx, c.Server, c.Key)
		if err != nil {
			return nil, err
		}
		res[i] = ClaimResult{Prior: p, HadPrior: had}
		switch {
		case had && p.State == PersonCreated:
			continue
		case had && p.State == PersonInFlight && p.Live && p.RunID != run:
			continue
		case c.Exclusive && had && p.Login != "" && !strings.EqualFold(p.Login, c.Login):
			continue // a generated login over a record that holds another
		case c.Exclusive:
			holder, taken, err := d.LoginHolder(ctx, c.Server, c.Login)
			if err != nil {
				return nil, err
			}
			if taken && holder != c.Key {
				res[i].LoginHolder = holder
				continue
			}
		}
		res[i].Granted = true
		d.mu.Lock()
		d.claimed[personID(c.Server, c.Key)] = Person{Server: c.Server, Key: c.Key, State: PersonInFlight, Login: c.Login,
			FullName: c.FullName, Input: c.Input, RunID: run, Live: true}
		d.mu.Unlock()
	}
	return res, nil
}

// Record records the outcome in the ledger's history with no effect on
// the person's record, and forgets the row's claim.
func (d *dryLedger) Record(ctx context.Context, run RunID, rec RowRecord) error {
	d.mu.Lock()
	delete(d.claimed, personID(rec.Server, rec.Key))
	d.mu.Unlock()
	rec.Effect, rec.FullName, rec.Applied = EffectNone, "", nil
	return d.Ledger.Record(ctx, run, rec)
}

// AutogenTurn is always this dry run's: it sends nothing that could
// collide.
func (d *dryLedger) AutogenTurn(context.Context, string) (func(), error) { return func() {}, nil }
