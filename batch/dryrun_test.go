package batch_test

import (
	"context"
	"errors"
	"fmt"
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
	if err := batch.Run(context.Background(), reader(t, mixedCSV), check, batch.Config{MaxLevel: 9, Mode: batch.ModeDryRun,
		Accounts: client, APIUser: "apiuser8"}); err != nil {
		t.Fatalf("Check: %v", err)
	}
	got := &captureSink{}
	_ = batch.Run(context.Background(), reader(t, mixedCSV), got, batch.Config{MaxLevel: 9, Accounts: client, APIUser: "apiuser8"})
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
	if err := batch.Run(context.Background(), reader(t, mixedCSV), sink, batch.Config{MaxLevel: 9, Mode: batch.ModeDryRun,
		Accounts: newClient(t, srv, "6666", "1234", zerolog.Nop()), APIUser: "6666"}); err != nil {
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
	err := batch.Run(context.Background(), reader(t, mixedCSV), sink, batch.Config{MaxLevel: 9, Mode: batch.ModeDryRun,
		Accounts: newClient(t, srv, "6666", "nope", zerolog.Nop()), APIUser: "6666"})
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
	if err := batch.Run(context.Background(), reader(t, mixedCSV), sink, batch.Config{MaxLevel: 9, Mode: batch.ModeDryRun}); err != nil {
		t.Fatal(err)
	}
	want := map[int]batch.Status{2: batch.StatusValid, 8: batch.StatusInvalid, 9: batch.StatusInvalid, 10: batch.StatusValid}
	for line, st := range want {
		if got := sink.byLine(t, line); got.Status != st {
			t.Errorf("line %d: %s (%s), want %s", line, got.Status, got.Reason, st)
		}
	}
}

// hintsCSV has rows whose predicted failures name their fix. The API user
// is apiuser8 (level 8): line 3's level-9 probe fails on its level, so
// ADMIN, which exists, was not found by the check.
const hintsCSV = `agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group,template,in_groups
h1,Start-2026a,Before Any,1,NOPE,,
h2,Start-2026b,Agent One,1,AGENTS,,
h3,Start-2026c,Big Boss,9,ADMIN,,
h4,Start-2026d,Agent Two,1,SUPPORT,,
h5,Start-2026e,Agent Three,1,SALES,,
h6,Start-2026f,Typo Group,1,SALSE,,
h7,Start-2026g,Far Group,1,XYZQ,,
h8,Start-2026h,Typo In Group,1,AGENTS,,SALESLINE|SALESLNE
h9,Start-2026i,Copy Typo,,SUPPORTT,5555,
h10,Start-2026j,Later Group,1,SUPERVISORS,,
h11,Start-2026k,Typo Again,1,SUPERVISOR,,
`

// TestCheckNamesTheFix: the dry run lists the server's in-groups once and
// names the closest to an unknown in_groups ID; a missing user group names
// the groups the check's probes found on the rows up to it (sorted, the
// closest last), the same whatever the number of workers.
func TestCheckNamesTheFix(t *testing.T) {
	want := map[int]struct {
		status batch.Status
		reason string
	}{
		2: {batch.StatusWouldFail, "user group does not exist on the server: NOPE (GROUP_NOT_FOUND)"},
		4: {batch.StatusWouldFail, "the API user may not create accounts of this user level: level 9, API user level 8 (LEVEL_NOT_PERMITTED)"},
		7: {batch.StatusWouldFail, `user group "SALSE" does not exist (groups found by this check: AGENTS, SALES, SUPPORT; closest: SALES) (GROUP_NOT_FOUND)`},
		8: {batch.StatusWouldFail, `user group "XYZQ" does not exist (groups found by this check: AGENTS, SALES, SUPPORT) (GROUP_NOT_FOUND)`},
		9: {batch.StatusInvalid, `in_groups: "SALESLNE" is not an in-group on the server (it has SALESLINE, SUPPORT, BILLING; closest: SALESLINE) (INVALID_INPUT)`},
		10: {batch.StatusWouldFail, "account h9 would be copied from template 5555, but its own values would not be applied: user group SUPPORTT does not exist " +
			"(groups found by this check: AGENTS, SALES, SUPPORT; closest: SUPPORT) (INVALID_GROUP)"},
		11: {batch.StatusWouldSucceed, "would be created by add_user (CREATED)"},
		12: {batch.StatusWouldFail, `user group "SUPERVISOR" does not exist (groups found by this check: AGENTS, SALES, SUPERVISORS, SUPPORT; closest: SUPERVISORS) (GROUP_NOT_FOUND)`},
	}
	for _, workers := range []int{1, 4, 16} {
		t.Run(fmt.Sprintf("%d workers", workers), func(t *testing.T) {
			srv := newSim(t, vicidialtest.Options{})
			sink := &captureSink{}
			if err := batch.Run(context.Background(), reader(t, hintsCSV), sink, batch.Config{MaxLevel: 9, Mode: batch.ModeDryRun,
				Accounts: newClient(t, srv, "apiuser8", "apipass8", zerolog.Nop()), APIUser: "apiuser8", Workers: workers}); err != nil {
				t.Fatal(err)
			}
			for line, w := range want {
				got := sink.byLine(t, line)
				if got.Status != w.status || got.Reason != w.reason {
					t.Errorf("line %d: %s %q\nwant %s %q", line, got.Status, got.Reason, w.status, w.reason)
				}
			}
			if n := countFunctions(srv)["ingroup_list"]; n != 1 {
				t.Errorf("ingroup_list sent %d times, want once", n)
			}
		})
	}
}

// TestCheckInGroupsUnchecked: a dry run that cannot list the in-groups
// (the API user may not call ingroup_list, or no server) checks them no
// more than the server does, and says so once.
func TestCheckInGroupsUnchecked(t *testing.T) {
	const csv = "agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group,in_groups\n" +
		"ig1,Start-2026a,In Group,1,AGENTS,SALESLINE|NOSUCHGROUP\nig2,Start-2026b,In Group Two,1,AGENTS,NOSUCHGROUP\n"
	fx := vicidialtest.DefaultFixture()
	noList := fx.Accounts[0] // 6666: level 9, every right
	noList.User, noList.Pass = "nolist", "nolist-pass-1"
	noList.APIAllowedFunctions = []string{"add_user", "copy_user", "user_details", "version"}
	fx.Accounts = append(fx.Accounts, noList)
	srv := newSim(t, vicidialtest.Options{Fixture: &fx})

	for _, tt := range []struct {
		name      string
		inspector batch.Accounts
		status    batch.Status
		warnings  int
	}{
		{"not allowed", newClient(t, srv, "nolist", "nolist-pass-1", zerolog.Nop()), batch.StatusWouldSucceed, 1},
		{"offline", nil, batch.StatusValid, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			buf, log := logBuffer()
			sink := &captureSink{}
			cfg := batch.Config{Mode: batch.ModeDryRun, Accounts: tt.inspector, Logger: log}
			if tt.inspector != nil {
				cfg.APIUser = "nolist"
			}
			if err := batch.Run(context.Background(), reader(t, csv), sink, cfg); err != nil {
				t.Fatal(err)
			}
			for _, r := range sink.rows {
				if r.Out.Status != tt.status {
					t.Errorf("line %d: %s (%s), want %s", r.Row.Line, r.Out.Status, r.Out.Reason, tt.status)
				}
			}
			logs := buf.String()
			if n := strings.Count(logs, "may not list in-groups"); n != tt.warnings {
				t.Errorf("%d warnings about ingroup_list, want %d: %s", n, tt.warnings, logs)
			}
			if strings.Contains(logs, "nolist-pass-1") {
				t.Errorf("the log shows the password: %s", logs)
			}
		})
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

	err := batch.Run(context.Background(), reader(t, mixedCSV), &captureSink{}, batch.Config{MaxLevel: 9, Mode: batch.ModeDryRun,
		Accounts: newClient(t, srv, "api.user", "dotted-pass-1", zerolog.Nop()), APIUser: "api.user"})
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

// TestCheckOnTwoServers: a dry run of a job with two servers predicts
// each row from its own server: one asked (WOULD_SUCCEED, CREATED), one
// not (VALID). Config.Accounts is nil in such a job: before, every row
// that would be created was VALID, as if no server were asked.
func TestCheckOnTwoServers(t *testing.T) {
	srv := newSim(t, vicidialtest.Options{})
	const csv = `agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group,server
aone,Start-2026a,Ann One,1,AGENTS,asked
bone,Start-2026b,Ben One,1,AGENTS,offline
`
	sink := &captureSink{}
	err := batch.Run(context.Background(), reader(t, csv), sink, batch.Config{MaxLevel: 9, Mode: batch.ModeDryRun,
		Dialers: []batch.Dialer{{Name: "asked", Accounts: newClient(t, srv, "6666", "1234", zerolog.Nop()), APIUser: "6666"}, {Name: "offline"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]struct {
		status       batch.Status
		code, server string
	}{
		2: {batch.StatusWouldSucceed, batch.CodeCreated, "asked"},
		3: {batch.StatusValid, batch.CodeValid, "offline"},
	}
	for line, w := range want {
		got := sink.byLine(t, line)
		if got.Status != w.status || got.Code != w.code || got.Server != w.server {
			t.Errorf("line %d: %s %s on %q (%s), want %s %s on %q", line, got.Status, got.Code, got.Server, got.Reason, w.status, w.code, w.server)
		}
	}
}

// TestGeneratedPasswordsPerServer: each server's generated passwords are
// its own (Dialer.Passwords), else the job's (Generating.Password).
func TestGeneratedPasswordsPerServer(t *testing.T) {
	own, other := newSim(t, vicidialtest.Options{}), newSim(t, vicidialtest.Options{})
	const csv = `employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group,server
E1,aone,,Ann One,1,AGENTS,own
E2,bone,,Ben One,1,AGENTS,other
`
	in := reader(t, csv)
	keys, err := batch.NewKeyer(in.Columns(), "employee_id")
	if err != nil {
		t.Fatal(err)
	}
	sink := &captureSink{}
	err = batch.Run(context.Background(), in, sink, batch.Config{MaxLevel: 9, Keys: keys,
		Generate: batch.Generating{Password: func(string) string { return "Job-pass-1" }},
		Dialers: []batch.Dialer{
			{Name: "own", Accounts: newClient(t, own, "6666", "1234", zerolog.Nop()), APIUser: "6666",
				Passwords: func(key string) string { return "Own-pass-" + strings.TrimPrefix(key, "key:") }},
			{Name: "other", Accounts: newClient(t, other, "6666", "1234", zerolog.Nop()), APIUser: "6666"},
		}})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		srv        *vicidialtest.Server
		line       int
		login, pwd string
	}{{own, 2, "aone", "Own-pass-E1"}, {other, 3, "bone", "Job-pass-1"}} {
		if got := sink.byLine(t, w.line); got.Status != batch.StatusSuccess || got.Password != w.pwd {
			t.Errorf("line %d: %s, password shown %q, want SUCCESS and %q", w.line, got.Status, got.Password, w.pwd)
		}
		sent := ""
		for _, r := range w.srv.Sim.Requests() {
			if r.Function == "add_user" && r.Params.Get("agent_user") == w.login {
				sent = r.Params.Get("agent_pass")
			}
		}
		if sent != w.pwd {
			t.Errorf("%s: add_user sent agent_pass %q, want %q", w.login, sent, w.pwd)
		}
	}
}
