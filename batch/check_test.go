package batch_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/vicidial"
	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// predictedFor maps a run's status to the dry run's prediction of it.
var predictedFor = map[batch.Status]batch.Status{
	batch.StatusSuccess: batch.StatusWouldSucceed,
	batch.StatusError:   batch.StatusWouldFail,
	batch.StatusInvalid: batch.StatusInvalid,
}

func TestCheckPredictsRun(t *testing.T) {
	srv := newSim(t, vicidialtest.Options{})
	client := newClient(t, srv, "apiuser8", "apipass8", zerolog.Nop())
	check := &captureSink{}
	if err := batch.Check(context.Background(), reader(t, mixedCSV), check, batch.CheckConfig{
		Inspector: client, APIUser: "apiuser8"}); err != nil {
		t.Fatalf("Check: %v", err)
	}
	got := &captureSink{}
	_ = batch.Run(context.Background(), reader(t, mixedCSV), got, batch.Config{Accounts: client, APIUser: "apiuser8"})
	if len(check.rows) != len(got.rows) {
		t.Fatalf("check wrote %d rows, run %d", len(check.rows), len(got.rows))
	}
	for i := range got.rows {
		pred, actual := check.rows[i].Out, got.rows[i].Out
		if pred.Status != predictedFor[actual.Status] || pred.Code != actual.Code {
			t.Errorf("line %d: predicted %s %s (%s), run gave %s %s (%s)", got.rows[i].Row.Line,
				pred.Status, pred.Code, pred.Reason, actual.Status, actual.Code, actual.Reason)
		}
	}
}

func TestCheckWritesNothing(t *testing.T) {
	srv := newSim(t, vicidialtest.Options{})
	before := srv.Sim.Snapshot()
	sink := &captureSink{}
	if err := batch.Check(context.Background(), reader(t, mixedCSV), sink, batch.CheckConfig{
		Inspector: newClient(t, srv, "6666", "1234", zerolog.Nop()), APIUser: "6666"}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, srv.Sim.Snapshot()); diff != "" {
		t.Errorf("simulator state changed by a dry run (-before +after):\n%s", diff)
	}
	probes := 0
	for _, r := range srv.Sim.Requests() {
		switch r.Function {
		case "user_details", "ingroup_list", "version":
		case "add_user", "copy_user":
			probes++
			if got := r.Params.Get("agent_user"); got != "6666" {
				t.Errorf("%s sent with agent_user=%q: only the API user's own login may be probed", r.Function, got)
			}
		default:
			t.Errorf("dry run sent %s", r.Function)
		}
	}
	// Distinct (function, level, group, template) combinations in mixedCSV:
	// add 1/AGENTS, add 1/BILLING, add 1/SALES, add 9/ADMIN, copy 5555, copy tmplgone.
	if probes != 6 {
		t.Errorf("probes = %d, want 6 (one per distinct combination)", probes)
	}
}

func TestCheckWrongPasswordCostsOneRequest(t *testing.T) {
	srv := newSim(t, vicidialtest.Options{})
	sink := &captureSink{}
	err := batch.Check(context.Background(), reader(t, mixedCSV), sink, batch.CheckConfig{
		Inspector: newClient(t, srv, "6666", "nope", zerolog.Nop()), APIUser: "6666"})
	var stop *batch.StopError
	if !errors.As(err, &stop) || vicidial.ReasonOf(err) != vicidial.ReasonLoginIncorrect {
		t.Fatalf("Check error = %v, want StopError LOGIN_INCORRECT", err)
	}
	if n := len(srv.Sim.Requests()); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
	if len(sink.rows) != 11 {
		t.Errorf("rows written = %d, want 11", len(sink.rows))
	}
}

func TestCheckOffline(t *testing.T) {
	sink := &captureSink{}
	if err := batch.Check(context.Background(), reader(t, mixedCSV), sink, batch.CheckConfig{}); err != nil {
		t.Fatal(err)
	}
	want := map[int]batch.Status{2: batch.StatusValid, 8: batch.StatusInvalid, 9: batch.StatusInvalid, 10: batch.StatusValid}
	for line, st := range want {
		if got := sink.byLine(t, line); got.Status != st {
			t.Errorf("line %d: %s (%s), want %s", line, got.Status, got.Reason, st)
		}
	}
}

func TestCheckWarnsOfUnknownInGroups(t *testing.T) {
	srv := newSim(t, vicidialtest.Options{})
	csv := "agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group,in_groups\nigx,Start-2026,In Group,1,AGENTS,SALESLINE|NOSUCHGROUP\n"
	sink := &captureSink{}
	if err := batch.Check(context.Background(), reader(t, csv), sink, batch.CheckConfig{
		Inspector: newClient(t, srv, "6666", "1234", zerolog.Nop()), APIUser: "6666"}); err != nil {
		t.Fatal(err)
	}
	got := sink.rows[0].Out
	if got.Status != batch.StatusWouldSucceed || len(got.Warnings) != 1 || !strings.Contains(got.Warnings[0], "NOSUCHGROUP") {
		t.Errorf("got %s warnings %q, want WOULD_SUCCEED with a warning naming NOSUCHGROUP", got.Status, got.Warnings)
	}
}

// TestCheckRefusesAnAPIUserTheServerWouldFilter: the probes use the API
// user's own login and rely on USER ALREADY EXISTS. The server filters a
// login before looking it up, so the probe of an API user "api.user" would
// look up (and create) "apiuser". Such a check is refused before anything
// is sent, and the simulator holds no new account.
func TestCheckRefusesAnAPIUserTheServerWouldFilter(t *testing.T) {
	fx := vicidialtest.DefaultFixture()
	dotted := fx.Accounts[0] // 6666: level 9, every right
	dotted.User, dotted.Pass = "api.user", "dotted-pass-1"
	fx.Accounts = append(fx.Accounts, dotted)
	srv := newSim(t, vicidialtest.Options{Fixture: &fx})
	before := srv.Sim.Snapshot()

	err := batch.Check(context.Background(), reader(t, mixedCSV), &captureSink{}, batch.CheckConfig{
		Inspector: newClient(t, srv, "api.user", "dotted-pass-1", zerolog.Nop()), APIUser: "api.user"})
	if err == nil || !strings.Contains(err.Error(), `"api.user"`) {
		t.Errorf("Check = %v, want an error naming the API user", err)
	}
	if n := len(srv.Sim.Requests()); n != 0 {
		t.Errorf("%d request(s) sent, want none", n)
	}
	if diff := cmp.Diff(before, srv.Sim.Snapshot()); diff != "" {
		t.Errorf("simulator state changed (-before +after):\n%s", diff)
	}
}
