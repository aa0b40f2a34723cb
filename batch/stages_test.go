package batch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/vicionboard/vicionboard/vicidial"
)

// The stages' own tests, each against fakes of what it depends on (the
// pipeline's tests run them together against the simulator and a real
// ledger).

// fakeLedger records what the stages ask of the ledger.
type fakeLedger struct {
	noLedger
	mu       sync.Mutex
	persons  map[string]Person // server + "/" + key
	lookups  []string          // "server:n keys" per PersonsByKey
	claims   [][]Claim         // one entry per Claim call
	records  []RowRecord
	holders  map[string]string // login -> key
	claimErr error
}

func (l *fakeLedger) PersonsByKey(_ context.Context, server string, keys []string) (map[string]Person, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lookups = append(l.lookups, fmt.Sprintf("%s:%d", server, len(keys)))
	out := map[string]Person{}
	for _, k := range keys {
		if p, ok := l.persons[server+"/"+k]; ok {
			out[k] = p
		}
	}
	return out, nil
}

func (l *fakeLedger) LoginHolder(_ context.Context, _, login string) (string, bool, error) {
	k, ok := l.holders[login]
	return k, ok, nil
}

func (l *fakeLedger) Claim(_ context.Context, _ RunID, claims []Claim) ([]ClaimResult, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.claimErr != nil {
		return nil, l.claimErr
	}
	l.claims = append(l.claims, claims)
	res := make([]ClaimResult, len(claims))
	for i := range res {
		res[i].Granted = true
	}
	return res, nil
}

func (l *fakeLedger) Record(_ context.Context, _ RunID, rec RowRecord) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, rec)
	return nil
}

// testRun is a pipeline's state with fakes, ready for one stage.
func testRun(t *testing.T, l Ledger, dialers ...Dialer) *run {
	t.Helper()
	if len(dialers) == 0 {
		dialers = []Dialer{{Name: "sim"}}
	}
	cfg := Config{Ledger: l, Dialers: dialers, Logger: zerolog.Nop(), Now: func() time.Time { return time.Unix(0, 0) }}
	cfg = cfg.withDefaults()
	r := &run{cfg: cfg, rules: cfg.rules(), log: cfg.Logger, runCtx: context.Background(), ledger: l, keys: NewLoginIndex()}
	r.newDialers()
	return r
}

// addPlan is a valid add_user plan for login.
func addPlan(t *testing.T, login string) Plan {
	t.Helper()
	p, err := Prepare(Fields{Login: login, Pass: "Start-2026", FullName: "Name " + login, Level: "1", Group: "AGENTS"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestWriteStageKeepsInputOrder: outcomes finished in any order reach the
// sink in the order their rows were reserved, each once.
func TestWriteStageKeepsInputOrder(t *testing.T) {
	sink := &orderSink{}
	w := newOrderedWriter(sink, 8, func(error) {})
	var slots []chan<- Outcome
	for i := range 5 {
		slots = append(slots, w.reserve(Row{Line: i + 2}))
	}
	for _, i := range []int{3, 0, 4, 2, 1} {
		slots[i] <- Outcome{Code: fmt.Sprint(i)}
	}
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(sink.lines, ","); got != "2,3,4,5,6" {
		t.Errorf("written in the order %s, want the input's", got)
	}
}

// TestWriteStageStopsOnAFailedWrite: a sink's error stops the run once, and
// every row reserved is still taken (no stage blocks).
func TestWriteStageStopsOnAFailedWrite(t *testing.T) {
	var stops []error
	w := newOrderedWriter(&orderSink{fail: true}, 2, func(err error) { stops = append(stops, err) })
	for i := range 4 {
		w.reserve(Row{Line: i + 2}) <- Outcome{}
	}
	if err := w.close(); err == nil || len(stops) != 1 {
		t.Errorf("close = %v after %d stops, want the write error once", err, len(stops))
	}
}

type orderSink struct {
	lines []string
	fail  bool
}

func (s *orderSink) Write(row Row, _ Outcome) error {
	if s.fail {
		return errors.New("disk full")
	}
	s.lines = append(s.lines, fmt.Sprint(row.Line))
	return nil
}

// TestLookUpStageGroupsByServer: one ledger read a server for a group of
// rows, and each row's facts get its own server's record.
func TestLookUpStageGroupsByServer(t *testing.T) {
	known := addPlan(t, "e2")
	l := &fakeLedger{persons: map[string]Person{"york/key:E2": {Key: "key:E2", State: PersonCreated, Login: "e2", FullName: known.FullName(), Applied: known.Applied()}}}
	r := testRun(t, l, Dialer{Name: "leeds"}, Dialer{Name: "york"})
	in := make(chan *task, 4)
	out := make(chan *task, 4)
	var slots []chan Outcome
	for i, srv := range []string{"leeds", "york", "leeds"} {
		slot := make(chan Outcome, 1)
		slots = append(slots, slot)
		in <- &task{dl: r.dialers[srv], slot: slot, facts: Facts{Key: fmt.Sprintf("key:E%d", i+1), Plan: addPlan(t, fmt.Sprintf("e%d", i+1))}}
	}
	close(in)
	r.lookStage(context.Background(), in, out)
	close(out)
	if got := strings.Join(l.lookups, " "); got != "leeds:2 york:1" {
		t.Errorf("look-ups %q, want one a server", got)
	}
	var sent []string
	for t := range out {
		sent = append(sent, t.facts.Key)
	}
	if strings.Join(sent, ",") != "key:E1,key:E3" {
		t.Errorf("rows sent on: %v, want E1 and E3 (E2 is known)", sent)
	}
	if o := <-slots[1]; o.Code != CodeAlreadyCreated {
		t.Errorf("the known person: %+v", o)
	}
}

// TestClaimStageClaimsAheadInOneTransaction: the rows whose decision says
// so are claimed in one call; the others pass unclaimed, in order.
func TestClaimStageClaimsAheadInOneTransaction(t *testing.T) {
	l := &fakeLedger{}
	r := testRun(t, l)
	dl := r.order[0]
	in := make(chan *task, 3)
	out := make(chan *task, 3)
	in <- &task{dl: dl, d: Decision{Claim: true, Key: "key:E1", Plan: addPlan(t, "e1")}}
	in <- &task{dl: dl, d: Decision{Key: "row:x:0", Plan: addPlan(t, "e2")}} // AUTOGENERATED: claims in its turn
	in <- &task{dl: dl, d: Decision{Claim: true, Key: "key:E3", Plan: addPlan(t, "e3")}}
	close(in)
	r.claimStage(context.Background(), in, out)
	if len(l.claims) != 1 || len(l.claims[0]) != 2 || l.claims[0][1].Key != "key:E3" || l.claims[0][0].Server != "sim" {
		t.Fatalf("claims %+v, want E1 and E3 in one call", l.claims)
	}
	var claimed []bool
	for t := range out {
		claimed = append(claimed, t.claimed)
	}
	if fmt.Sprint(claimed) != "[true false true]" {
		t.Errorf("claimed %v", claimed)
	}
}

// TestClaimStageStopsOnALedgerFailure: a failed claim stops the run, and
// no row of the group counts as claimed.
func TestClaimStageStopsOnALedgerFailure(t *testing.T) {
	r := testRun(t, &fakeLedger{claimErr: errors.New("disk I/O error")})
	batch := []*task{{dl: r.order[0], d: Decision{Claim: true, Key: "key:E1", Plan: addPlan(t, "e1")}}}
	r.claimGroup(context.Background(), batch)
	if !r.stopped.Load() || batch[0].claimed {
		t.Errorf("stopped %v, claimed %v: want the run stopped and nothing claimed", r.stopped.Load(), batch[0].claimed)
	}
}

// settleAccounts answers user_details from a table.
type settleAccounts struct {
	Accounts
	users map[string]string // login -> full name
	err   error
}

func (a settleAccounts) UserDetails(_ context.Context, login string) (vicidial.UserDetails, error) {
	if a.err != nil {
		return vicidial.UserDetails{}, a.err
	}
	if name, ok := a.users[login]; ok {
		return vicidial.UserDetails{Login: login, FullName: name}, nil
	}
	return vicidial.UserDetails{}, &vicidial.APIError{Reason: vicidial.ReasonUserNotFound}
}

// TestSettleStage: a doubtful answer is settled by looking the login up:
// found with the row's name it is vicionboard's (VERIFIED) or existed
// before (ALREADY_EXISTS); with another name it is taken; not found, the
// row may be sent again; a failed look-up leaves it UNKNOWN.
func TestSettleStage(t *testing.T) {
	plan := addPlan(t, "jsmith")
	for _, tt := range []struct {
		name    string
		acc     settleAccounts
		ours    bool
		code    string
		settled bool
	}{
		{"ours, found", settleAccounts{users: map[string]string{"jsmith": "Name jsmith"}}, true, CodeVerifiedAfterErr, true},
		{"not ours, found", settleAccounts{users: map[string]string{"jsmith": "name JSMITH"}}, false, CodeAlreadyExists, true},
		{"another person's", settleAccounts{users: map[string]string{"jsmith": "Joan Other"}}, true, string(vicidial.ReasonUserExists), true},
		{"not found", settleAccounts{}, true, "", false},
		{"look-up failed", settleAccounts{err: &vicidial.TransportError{Op: "user_details", Err: errors.New("reset")}}, true, CodeOutcomeUnknown, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := testRun(t, noLedger{}, Dialer{Name: "sim", Accounts: tt.acc})
			out, settled := r.settle(context.Background(), r.order[0], plan, "HTTP 500", tt.ours)
			if settled != tt.settled || out.Code != tt.code {
				t.Errorf("settle = %s %v (%s), want %s %v", out.Code, settled, out.Reason, tt.code, tt.settled)
			}
		})
	}
}

// TestRecordStage: an outcome goes to the ledger with the row's server,
// feed, key and effect; a row that was not sent names no function.
func TestRecordStage(t *testing.T) {
	l := &fakeLedger{}
	r := testRun(t, l)
	r.cfg.Input = "hr-nightly"
	tk := &task{row: Row{Line: 7}, dl: r.order[0], d: Decision{Step: StepCreate, Key: "key:E1", Plan: addPlan(t, "jsmith")}}
	r.finish(tk, Outcome{Status: StatusSuccess, Login: "jsmith", Code: CodeCreated}, EffectCreated)
	r.finish(tk, notAttempted("not sent, the run was interrupted"), EffectNone)
	if len(l.records) != 2 {
		t.Fatalf("%d records", len(l.records))
	}
	got := l.records[0]
	if got.Server != "sim" || got.Input != "hr-nightly" || got.Key != "key:E1" || got.Effect != EffectCreated ||
		got.Function != "add_user" || got.FullName != "Name jsmith" || got.Applied["agent_user_group"] != "AGENTS" {
		t.Errorf("record %+v", got)
	}
	if f := l.records[1].Function; f != "" {
		t.Errorf("a row not sent is recorded with function %q", f)
	}
}

// TestReadStagePreparesRows: the read stage gives each row its key and
// finds the duplicates among the rows read so far, per server for logins.
func TestReadStagePreparesRows(t *testing.T) {
	r := testRun(t, noLedger{})
	r.gen = newGenerator(Generating{}, r.cfg.Keys, r.ledger)
	rows := []Fields{
		{Login: "jsmith", Pass: "Start-2026", FullName: "Jane Smith", Level: "1", Group: "AGENTS"},
		{Login: "JSMITH", Pass: "Start-2026", FullName: "John Smith", Level: "1", Group: "AGENTS"},
		{Login: "x y", Pass: "Start-2026", FullName: "Bad Login", Level: "1", Group: "AGENTS"},
	}
	var facts []Facts
	for i, f := range rows {
		facts = append(facts, r.prepare(context.Background(), Row{Line: i + 2, Fields: f}).facts)
	}
	if facts[0].Key != "login:jsmith" || facts[0].DupLogin != 0 {
		t.Errorf("the first row: %+v", facts[0])
	}
	if facts[1].DupLogin != 2 {
		t.Errorf("the same login in another case: DupLogin %d, want 2", facts[1].DupLogin)
	}
	if facts[2].Invalid == nil {
		t.Error("a login VICIdial would change is not invalid")
	}
}
