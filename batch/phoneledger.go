package batch

import (
	"context"
	"time"
)

// This file is what the ledger keeps of the agents' own phones: one
// record per person per server, claimed before its add_phone is sent and
// created once the server has it. A phone vicionboard only found on the
// server has no record, and is never changed. The ledger holds no phone
// password: they are derived again (PhoneSettings.Passwords).

// PhoneLedger is the part of the Ledger that remembers phones.
type PhoneLedger interface {
	// PhonesByKey returns the phone records of the persons of keys on
	// server, by person key; a person without one is absent.
	PhonesByKey(ctx context.Context, server string, keys []string) (map[string]Phone, error)
	// PhoneHolder returns the key of the person on server whose phone
	// record has extension on serverIP, or login (both compared without
	// case), or ok=false when none has: an extension or a phone login is
	// one person's only, and an extension from a range is never given to
	// another person.
	PhoneHolder(ctx context.Context, server, serverIP, extension, login string) (key string, ok bool, err error)
	// ClaimPhones records durably (it returns after the commit) that run
	// is about to send add_phone for each claim, in one transaction; the
	// results are in the order of claims. See PhoneClaimResult.
	ClaimPhones(ctx context.Context, run RunID, claims []PhoneClaim) ([]PhoneClaimResult, error)
	// RecordPhone queues a change of a phone record, committed in order
	// with Record's outcomes (at the latest by Flush).
	RecordPhone(ctx context.Context, run RunID, rec PhoneRecord) error
}

// PhoneState is where a person's phone stands in the ledger.
type PhoneState string

// The states of a phone record.
const (
	// PhoneClaimed: a run claimed the phone and may have sent its
	// add_phone; whether the server has it is settled (ProbePhone) before
	// anything else is sent for it.
	PhoneClaimed PhoneState = "claimed"
	// PhoneCreated: vicionboard created the phone; it follows the
	// account (deactivated, reactivated, renamed).
	PhoneCreated PhoneState = "created"
)

// Phone is the ledger's record of a person's own phone on a server.
type Phone struct {
	Server    string // the job's server (as Person.Server)
	Key       string // the person key
	Extension string
	ServerIP  string // with Extension, what names the phone on the server
	Login     string // the phone's login (an account's phone_login)
	State     PhoneState
	Active    string // Y or N: as vicionboard last set it
	FullName  string // the phone_full_name last applied
	Generated bool   // the extension came from the job's range
	RunID     RunID  // the run that holds the claim, or last changed the record
	CreatedBy RunID
	CreatedAt time.Time
	UpdatedAt time.Time
}

// PhoneClaim asks to send add_phone for a person's phone.
type PhoneClaim struct {
	Server    string
	Key       string
	Extension string
	ServerIP  string
	Login     string
	FullName  string
	Generated bool
}

// PhoneClaimResult is the answer to one PhoneClaim.
type PhoneClaimResult struct {
	// Granted: the phone is claimed by this run, and add_phone may be
	// sent; with HadPrior, the claim took over an earlier run's (Prior),
	// which may have created the phone: it is settled first.
	Granted  bool
	Prior    Phone
	HadPrior bool
	// Not granted, one of: Prior is created (the person's phone exists:
	// it is reused), Prior is for another extension or login than the
	// claim's, or Holder is the key of another person whose phone record
	// has the extension or the login.
	Holder string
}

// PhoneEffect is what a PhoneRecord does to the record.
type PhoneEffect int

// The effects.
const (
	// PhoneEffectCreated: the server has the phone; the record becomes
	// created, active, with FullName.
	PhoneEffectCreated PhoneEffect = iota + 1
	// PhoneEffectReleased: the server certainly has no such phone; the
	// run's claim is removed.
	PhoneEffectReleased
	// PhoneEffectChanged: update_phone applied Active and FullName (each
	// when not empty) to a created phone.
	PhoneEffectChanged
)

// PhoneRecord is a change of a person's phone record.
type PhoneRecord struct {
	Server   string
	Key      string
	Effect   PhoneEffect
	Active   string // Y or N, for PhoneEffectChanged ("" keeps it)
	FullName string // the name applied ("" keeps it)
	At       time.Time
}

func (noLedger) PhonesByKey(context.Context, string, []string) (map[string]Phone, error) {
	return nil, nil
}
func (noLedger) PhoneHolder(context.Context, string, string, string, string) (string, bool, error) {
	return "", false, nil
}
func (noLedger) ClaimPhones(_ context.Context, _ RunID, claims []PhoneClaim) ([]PhoneClaimResult, error) {
	res := make([]PhoneClaimResult, len(claims))
	for i := range res {
		res[i].Granted = true
	}
	return res, nil
}
func (noLedger) RecordPhone(context.Context, RunID, PhoneRecord) error { return nil }
