package batch_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/vicionboard/vicionboard/batch"
	"github.com/vicionboard/vicionboard/vicidial"
	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// phoneSettings are a job's phones on the simulator's first server, with
// extensions from 1003 (the fixture's phones 1003 to 1005 are taken) and
// passwords derived from the person key, as the ledger would.
func phoneSettings() *batch.PhoneSettings {
	return &batch.PhoneSettings{ServerIP: "10.10.10.15", Extensions: batch.ExtensionRange{First: 1003, Last: 1099},
		OutboundCID: "3125550100", IsWebphone: "Y",
		Passwords: func(server, key string) (string, string) {
			k := strings.TrimPrefix(key, "key:")
			return "Ph" + k + "pass", "Reg" + k + "pass"
		}}
}

const phoneHeader = "employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group,template,phone_extension,phone_pass\n"

// phoneRun runs csv against srv with the phone settings and the ledger at
// path, keyed by employee_id, and returns its sink.
func phoneRun(t *testing.T, srv *vicidialtest.Server, path, csv string, mode batch.Mode, mod func(*batch.Config)) *captureSink {
	t.Helper()
	l := openLedger(t, path)
	if mode == batch.ModeDryRun {
		ctx := context.Background()
		id, err := l.db.BeginRun(ctx, batch.RunStart{Command: "check", DryRun: true, Server: "sim", Input: "in.csv"})
		if err != nil {
			t.Fatal(err)
		}
		l.id = id
	}
	in := reader(t, csv)
	keys, err := batch.NewKeyer(in.Columns(), "employee_id")
	if err != nil {
		t.Fatal(err)
	}
	cfg := l.config(batch.Config{Mode: mode, Accounts: newClient(t, srv, "6666", "1234", zerolog.Nop()), APIUser: "6666",
		Keys: keys, Phones: phoneSettings(), Generate: batch.Generating{Password: func(k string) string { return "Gen" + k[4:] + "pw" }}})
	if mod != nil {
		mod(&cfg)
	}
	sink := &captureSink{}
	if err := batch.Run(context.Background(), in, sink, cfg); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return sink
}

// TestPhonesMadeBeforeAccounts: rows asking for a phone (a given extension,
// the next free ones, a copy row) get one, made before their account,
// which logs in on it; the next free extension skips the server's phones;
// the result shows the generated passwords; a row without phone_extension
// gets none.
func TestPhonesMadeBeforeAccounts(t *testing.T) {
	srv := newSim(t, vicidialtest.Options{})
	path := filepath.Join(t.TempDir(), "ledger.db")
	csv := phoneHeader +
		"E1,pgiven,Start-2026,Paula Given,1,AGENTS,,2001,\n" +
		"E2,pnew,Start-2026,Peter New,1,AGENTS,,new,\n" +
		"E3,pcopy,Start-2026,Pia Copy,,,5555,NEW,Own-pass-3\n" +
		"E4,pnone,Start-2026,Nora None,1,AGENTS,,,\n"
	sink := phoneRun(t, srv, path, csv, batch.ModeRun, nil)
	want := map[int]struct{ ext, login, pass string }{2: {"2001", "pgiven", "PhE1pass"}, 3: {"1006", "pnew", "PhE2pass"}, 4: {"1007", "pcopy", "Own-pass-3"}}
	for line, w := range want {
		out := sink.byLine(t, line)
		if out.Status != batch.StatusSuccess || out.Code != batch.CodeCreated || out.Phone == nil || out.Phone.Extension != w.ext {
			t.Fatalf("line %d: %s %s %+v: %s", line, out.Status, out.Code, out.Phone, out.Reason)
		}
		if !strings.Contains(out.Reason, "own phone "+w.ext) {
			t.Errorf("line %d: the reason does not name the phone: %s", line, out.Reason)
		}
		ph, ok := srv.Sim.Phone(w.ext, "10.10.10.15")
		if !ok || ph.Login != w.ext || ph.Pass != w.pass || ph.FullName != out.Decision.Plan.FullName() || ph.IsWebphone != "Y" ||
			ph.OutboundCID != "3125550100" || ph.DialplanNumber != w.ext || ph.VoicemailID != w.ext || ph.Protocol != "SIP" {
			t.Errorf("line %d: phone %+v (%v)", line, ph, ok)
		}
		a, _ := srv.Sim.Account(w.login)
		if a.PhoneLogin != ph.Login || a.PhonePass != ph.Pass {
			t.Errorf("line %d: account %s logs in on %q/%q, want its phone %s", line, w.login, a.PhoneLogin, a.PhonePass, ph.Login)
		}
		if w.pass == "Own-pass-3" && out.Phone.Pass != "" {
			t.Errorf("line %d: a password the row gave is shown", line)
		}
		if w.pass != "Own-pass-3" && out.Phone.Pass != w.pass {
			t.Errorf("line %d: result shows phone_pass %q, want the generated one", line, out.Phone.Pass)
		}
		if reg := "Reg" + map[int]string{2: "E1", 3: "E2", 4: "E3"}[line] + "pass"; out.Phone.Registration != reg || ph.ConfSecret != reg {
			t.Errorf("line %d: registration password shown %q, phone's %q, want %q", line, out.Phone.Registration, ph.ConfSecret, reg)
		}
	}
	if out := sink.byLine(t, 5); out.Phone != nil || out.Status != batch.StatusSuccess {
		t.Errorf("a row without phone_extension: %+v", out)
	}
	// add_phone before add_user, for each.
	order := map[string]int{}
	for i, r := range srv.Sim.Requests() {
		if r.Function == "add_phone" && r.Params.Get("local_gmt") != "99" {
			order["phone "+r.Params.Get("extension")] = i
		}
		if r.Function == "add_user" || r.Function == "copy_user" {
			order["user "+r.Params.Get("agent_user")] = i
		}
	}
	for _, pair := range [][2]string{{"phone 2001", "user pgiven"}, {"phone 1006", "user pnew"}, {"phone 1007", "user pcopy"}} {
		if order[pair[0]] >= order[pair[1]] {
			t.Errorf("%s was not sent before %s: %v", pair[0], pair[1], order)
		}
	}

	// The next night: nothing sent again; the generated extensions are
	// remembered.
	before := countFunctions(srv)
	sink = phoneRun(t, srv, path, csv, batch.ModeRun, nil)
	for line := 2; line <= 5; line++ {
		if out := sink.byLine(t, line); out.Code != batch.CodeAlreadyCreated {
			t.Errorf("night 2, line %d: %s %s", line, out.Code, out.Reason)
		}
	}
	if out := sink.byLine(t, 3); out.Phone == nil || out.Phone.Extension != "1006" || out.Phone.Pass != "" {
		t.Errorf("night 2: the known person's phone %+v, want 1006 without its password", out.Phone)
	}
	if after := countFunctions(srv); after["add_phone"] != before["add_phone"] || after["add_user"] != before["add_user"] {
		t.Errorf("night 2 sent more: %v -> %v", before, after)
	}
}

// TestPhoneRowsInvalid: the local rules of add_phone, in the row's columns,
// with the phone's own codes.
func TestPhoneRowsInvalid(t *testing.T) {
	srv := newSim(t, vicidialtest.Options{})
	path := filepath.Join(t.TempDir(), "ledger.db")
	csv := phoneHeader +
		"E1,pbad,Start-2026,Bad Ext,1,AGENTS,,70_01x,\n" + // voicemail_id: letters and digits only
		"E2,plong,Start-2026,Long Pass,1,AGENTS,,2002," + strings.Repeat("p", 21) + "\n" +
		"E3,pdup1,Start-2026,Dup One,1,AGENTS,,2003,\n" +
		"E4,pdup2,Start-2026,Dup Two,1,AGENTS,,2003,\n" +
		"E5,pboth,Start-2026,Both Bad,1,NOPE GROUP,,2005!,\n"
	sink := phoneRun(t, srv, path, csv, batch.ModeRun, nil)
	for _, c := range []struct {
		line       int
		code, want string
	}{
		{2, batch.CodePhoneInvalid, "phone_extension: \"70_01x\": an extension is letters and digits only"},
		{3, batch.CodePhoneInvalid, "phone_pass: is too long"},
		{4, batch.CodeCreated, ""},
		{5, batch.CodeDuplicateExtension, "line 4"},
		{6, batch.CodeInvalidInput, "phone_extension"},
	} {
		out := sink.byLine(t, c.line)
		if out.Code != c.code || !strings.Contains(out.Reason, c.want) {
			t.Errorf("line %d: %s %s, want %s with %q", c.line, out.Code, out.Reason, c.code, c.want)
		}
	}
	if strings.Contains(sink.byLine(t, 3).Reason, "ppppp") {
		t.Error("a phone password is quoted")
	}
	// No phone settings: a row asking for one is INVALID.
	sink = phoneRun(t, srv, filepath.Join(t.TempDir(), "l2.db"), phoneHeader+"E9,pnone,Start-2026,No Settings,1,AGENTS,,2009,\n",
		batch.ModeRun, func(c *batch.Config) { c.Phones = nil })
	if out := sink.byLine(t, 2); out.Code != batch.CodePhoneInvalid || !strings.Contains(out.Reason, "no phone settings") {
		t.Errorf("no settings: %s %s", out.Code, out.Reason)
	}
	// A full range.
	sink = phoneRun(t, srv, filepath.Join(t.TempDir(), "l3.db"), phoneHeader+"E8,pfull,Start-2026,Full Range,1,AGENTS,,new,\n",
		batch.ModeRun, func(c *batch.Config) { c.Phones.Extensions = batch.ExtensionRange{First: 1003, Last: 1005} })
	if out := sink.byLine(t, 2); out.Code != batch.CodeNoFreeExtension || out.Status != batch.StatusInvalid {
		t.Errorf("full range: %s %s %s", out.Status, out.Code, out.Reason)
	}
}

// TestPhoneFoundIsLeftAlone: a given extension the server has, which
// vicionboard did not make, is an ERROR and is not changed; the account is
// not created.
func TestPhoneFoundIsLeftAlone(t *testing.T) {
	srv := newSim(t, vicidialtest.Options{})
	before, _ := srv.Sim.Phone("1001", "10.10.10.15")
	sink := phoneRun(t, srv, filepath.Join(t.TempDir(), "ledger.db"), phoneHeader+"E1,pfound,Start-2026,Found Phone,1,AGENTS,,1001,\n", batch.ModeRun, nil)
	out := sink.byLine(t, 2)
	if out.Status != batch.StatusError || out.Code != string(vicidial.ReasonPhoneExists) || !strings.Contains(out.Reason, "left alone") {
		t.Errorf("%s %s %s", out.Status, out.Code, out.Reason)
	}
	if after, _ := srv.Sim.Phone("1001", "10.10.10.15"); !cmp.Equal(before, after) {
		t.Errorf("the found phone changed: %s", cmp.Diff(before, after))
	}
	if _, ok := srv.Sim.Account("pfound"); ok {
		t.Error("the account was created without its phone")
	}
}

// TestPhoneKeptWhenAccountFails: a phone made for an account the server
// then refused is kept for the person and reused by the next run, never
// made twice; an add_phone whose answer is lost is settled with a probe.
func TestPhoneKeptWhenAccountFails(t *testing.T) {
	srv := newSim(t, vicidialtest.Options{})
	path := filepath.Join(t.TempDir(), "ledger.db")
	cut := &resetFirstAddPhone{srv: srv}
	sink := phoneRun(t, srv, path, phoneHeader+"E1,pfail,Start-2026,Fail Group,1,NOPE,,new,\n", batch.ModeRun, func(c *batch.Config) {
		cut.Accounts = c.Accounts
		c.Accounts = cut
	})
	out := sink.byLine(t, 2)
	if out.Status != batch.StatusError || out.Code != string(vicidial.ReasonGroupNotFound) || !strings.Contains(out.Reason, "kept for this person") {
		t.Fatalf("%s %s %s", out.Status, out.Code, out.Reason)
	}
	if _, ok := srv.Sim.Phone("1006", "10.10.10.15"); !ok || !cut.done {
		t.Fatal("the phone was not made, or its answer not cut")
	}
	// The row corrected: the phone is reused.
	before := countFunctions(srv)
	sink = phoneRun(t, srv, path, phoneHeader+"E1,pfail,Start-2026,Fail Group,1,AGENTS,,new,\n", batch.ModeRun, nil)
	out = sink.byLine(t, 2)
	if out.Status != batch.StatusSuccess || out.Phone == nil || out.Phone.Extension != "1006" || !strings.Contains(out.Reason, "made by an earlier run") {
		t.Fatalf("rerun: %s %s %+v", out.Status, out.Reason, out.Phone)
	}
	if after := countFunctions(srv); after["add_phone"] != before["add_phone"] {
		t.Errorf("add_phone sent again: %d -> %d", before["add_phone"], after["add_phone"])
	}
	phones := 0
	for _, p := range srv.Sim.Phones() {
		if strings.HasPrefix(p.FullName, "Fail Group") {
			phones++
		}
	}
	if a, _ := srv.Sim.Account("pfail"); phones != 1 || a.PhoneLogin != "1006" {
		t.Errorf("%d phones, account's phone_login %q; want one, linked", phones, a.PhoneLogin)
	}
}

// resetFirstAddPhone cuts the connection after the server made the first
// add_phone: its outcome is unknown to the run.
type resetFirstAddPhone struct {
	batch.Accounts
	srv  *vicidialtest.Server
	done bool
}

func (f *resetFirstAddPhone) AddPhone(ctx context.Context, req vicidial.AddPhoneRequest) (vicidial.PhoneAdded, error) {
	if !f.done {
		f.done = true
		f.srv.Sim.SetFaults(vicidialtest.Faults{vicidialtest.FaultResetAfter: 1})
		defer f.srv.Sim.SetFaults(nil)
	}
	return f.Accounts.AddPhone(ctx, req)
}

// TestPhonesFollowTheAccount: over three nights, each first checked by a
// dry run that writes nothing (not even update_phone's side effects) and
// predicts the run: leavers' phones are deactivated with their accounts,
// a returning person's reactivated, a renamed agent's phone renamed
// (--update), and a known person whose row now asks for a phone gets one,
// linked; a phone vicionboard did not make is never touched.
func TestPhonesFollowTheAccount(t *testing.T) {
	srv := newSim(t, vicidialtest.Options{})
	path := filepath.Join(t.TempDir(), "ledger.db")
	lifecycle := func(c *batch.Config) { c.DeactivateMissing, c.Update = true, true }
	nights := []string{
		phoneHeader + "E1,pone,Start-2026,Pat One,1,AGENTS,,new,\n" + "E2,ptwo,Start-2026,Pat Two,1,AGENTS,,2002,\n" +
			"E3,pdesk,Start-2026,Desk Agent,1,AGENTS,,,\n" + "E4,plater,Start-2026,Later Phone,1,AGENTS,,,\n",
		phoneHeader + "E3,pdesk,Start-2026,Desk Agent,1,AGENTS,,,\n" + "E4,plater,Start-2026,Later Phone,1,AGENTS,,new,\n",
		phoneHeader + "E1,pone,Start-2026,Pat Onewell,1,AGENTS,,new,\n" + "E3,pdesk,Start-2026,Desk Agent,1,AGENTS,,,\n" +
			"E4,plater,Start-2026,Later Phone,1,AGENTS,,new,\n",
	}
	for n, csv := range nights {
		before, sent := srv.Sim.Snapshot(), len(srv.Sim.Requests())
		check := phoneRun(t, srv, path, csv, batch.ModeDryRun, lifecycle)
		if diff := cmp.Diff(before, srv.Sim.Snapshot()); diff != "" {
			t.Fatalf("night %d: the dry run changed the server:\n%s", n+1, diff)
		}
		for _, r := range srv.Sim.Requests()[sent:] {
			if r.Function == "update_phone" || r.Function == "add_phone" && r.Params.Get("local_gmt") != "99" {
				t.Fatalf("night %d: a dry run sent %s", n+1, r.Function)
			}
		}
		run := phoneRun(t, srv, path, csv, batch.ModeRun, lifecycle)
		if len(check.rows) != len(run.rows) {
			t.Fatalf("night %d: %d rows predicted, %d run", n+1, len(check.rows), len(run.rows))
		}
		for i := range run.rows {
			p, g := check.rows[i].Out, run.rows[i].Out
			if p.Status != predictedFor[g.Status] || p.Code != g.Code || (p.Phone == nil) != (g.Phone == nil) ||
				p.Phone != nil && p.Phone.Extension != g.Phone.Extension {
				t.Errorf("night %d row %d: predicted %s %s %+v (%s), run %s %s %+v (%s)", n+1, i+1, p.Status, p.Code, p.Phone, p.Reason,
					g.Status, g.Code, g.Phone, g.Reason)
			}
		}
	}
	phone := func(ext string) vicidialtest.Phone {
		p, ok := srv.Sim.Phone(ext, "10.10.10.15")
		if !ok {
			t.Fatalf("no phone %s", ext)
		}
		return p
	}
	account := func(login string) vicidialtest.Account { a, _ := srv.Sim.Account(login); return a }
	// E1 left and came back renamed; E2 left; E4 got a phone on night 2.
	if p, a := phone("1006"), account("pone"); p.Active != "Y" || a.Active != "Y" || p.FullName != "Pat Onewell" || a.FullName != "Pat Onewell" {
		t.Errorf("the returning agent: phone %s %q, account %s %q", p.Active, p.FullName, a.Active, a.FullName)
	}
	if p, a := phone("2002"), account("ptwo"); p.Active != "N" || a.Active != "N" {
		t.Errorf("the leaver: phone active %s, account %s", p.Active, a.Active)
	}
	if p, a := phone("1007"), account("plater"); a.PhoneLogin != "1007" || a.PhonePass != p.Pass || p.Active != "Y" {
		t.Errorf("the known agent's new phone: %+v, account %q/%q", p, a.PhoneLogin, a.PhonePass)
	}
	if a := account("pdesk"); a.PhoneLogin != "" {
		t.Errorf("an agent without a phone got %q", a.PhoneLogin)
	}
	if p := phone("1001"); p.Active != "Y" || p.InstallDirectory == "" {
		t.Errorf("a phone vicionboard did not make was changed: %+v", p)
	}
}

// TestPhoneOfAFoundAccount: an account found on the server (ALREADY_EXISTS)
// is never changed: the phone made first for it is said not to be its.
func TestPhoneOfAFoundAccount(t *testing.T) {
	srv := newSim(t, vicidialtest.Options{})
	sink := phoneRun(t, srv, filepath.Join(t.TempDir(), "ledger.db"), phoneHeader+"E1,5555,Start-2026,Template Agent,1,AGENTS,,new,\n", batch.ModeRun, nil)
	out := sink.byLine(t, 2)
	if out.Code != batch.CodeAlreadyExists || !strings.Contains(out.WarningText(), "does not log in on that phone") {
		t.Errorf("%s %s; warnings %q", out.Code, out.Reason, out.Warnings)
	}
	if a, _ := srv.Sim.Account("5555"); a.PhoneLogin != "tmplphone" {
		t.Errorf("the found account's phone_login changed to %q", a.PhoneLogin)
	}
}

// TestPhonesNeedAdminAccess: an API user without "Admin Access" stops the
// run at its first phone call; nothing is made, no row is left unsaid.
func TestPhonesNeedAdminAccess(t *testing.T) {
	fx := vicidialtest.DefaultFixture()
	for i := range fx.Accounts {
		if fx.Accounts[i].User == "6666" {
			fx.Accounts[i].AstAdminAccess = false
		}
	}
	srv := newSim(t, vicidialtest.Options{Fixture: &fx})
	l := openLedger(t, filepath.Join(t.TempDir(), "ledger.db"))
	in := reader(t, phoneHeader+"E1,pgiven,Start-2026,Paula Given,1,AGENTS,,2001,\nE2,pnew,Start-2026,Peter New,1,AGENTS,,new,\n")
	keys, _ := batch.NewKeyer(in.Columns(), "employee_id")
	sink := &captureSink{}
	err := batch.Run(context.Background(), in, sink, l.config(batch.Config{Accounts: newClient(t, srv, "6666", "1234", zerolog.Nop()),
		APIUser: "6666", Keys: keys, Phones: phoneSettings(), Workers: 1}))
	var stop *batch.StopError
	if !errors.As(err, &stop) || vicidial.ReasonOf(err) != vicidial.ReasonPhoneNoPermission {
		t.Fatalf("Run: %v, want a stop for PHONE_NO_PERMISSION", err)
	}
	if len(sink.rows) != 2 {
		t.Fatalf("%d rows written, want 2", len(sink.rows))
	}
	for _, c := range sink.rows {
		if c.Out.Status == batch.StatusSuccess {
			t.Errorf("line %d: %s", c.Row.Line, c.Out.Reason)
		}
	}
	if n := len(srv.Sim.Phones()); n != len(fx.Phones) {
		t.Errorf("%d phones, want the fixture's %d", n, len(fx.Phones))
	}
	if _, ok := srv.Sim.Account("pgiven"); ok {
		t.Error("an account was made without its phone")
	}
}

// TestPhonesOnTwoServers: each of a job's servers makes its rows' phones
// on its own server_ip, with its own passwords; an extension whose login
// is a phone's on another server of the cluster is skipped.
func TestPhonesOnTwoServers(t *testing.T) {
	leeds, york := newSim(t, vicidialtest.Options{}), newSim(t, vicidialtest.Options{})
	l := openLedger(t, filepath.Join(t.TempDir(), "ledger.db"))
	in := reader(t, "employee_id,agent_user,agent_pass,agent_full_name,agent_user_level,agent_user_group,server,phone_extension\n"+
		"E1,lone,Start-2026,Lee One,1,AGENTS,leeds,new\nE2,yone,Start-2026,Yan One,1,AGENTS,york,new\n")
	keys, _ := batch.NewKeyer(in.Columns(), "employee_id")
	s := phoneSettings()
	s.ServerIP, s.ServerIPs = "", map[string]string{"leeds": "10.10.10.15", "york": "10.10.10.16"}
	s.Passwords = func(server, key string) (string, string) { return "Ph" + server, "Reg" + server }
	sink := &captureSink{}
	cfg := l.config(batch.Config{Keys: keys, Phones: s, Generate: batch.Generating{Password: func(string) string { return "Gen-pass1" }},
		Dialers: []batch.Dialer{{Name: "leeds", Accounts: newClient(t, leeds, "6666", "1234", zerolog.Nop()), APIUser: "6666"},
			{Name: "york", Accounts: newClient(t, york, "6666", "1234", zerolog.Nop()), APIUser: "6666"}}})
	if err := batch.Run(context.Background(), in, sink, cfg); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		srv        *vicidialtest.Server
		ip, server string
	}{{leeds, "10.10.10.15", "leeds"}, {york, "10.10.10.16", "york"}} {
		// On 10.10.10.16, extensions 1003 to 1005 are free but their
		// logins are phones' of 10.10.10.15: skipped too.
		p, ok := c.srv.Sim.Phone("1006", c.ip)
		if !ok || p.Pass != "Ph"+c.server {
			t.Errorf("%s: phone %+v (%v), want one on %s with the server's password", c.server, p, ok, c.ip)
		}
	}
	for line := 2; line <= 3; line++ {
		if out := sink.byLine(t, line); out.Status != batch.StatusSuccess || out.Phone == nil {
			t.Errorf("line %d: %s %s", line, out.Status, out.Reason)
		}
	}
}

// TestPlanningPassWithPhones: the planning pass, which chooses no
// extension, counts rows asking for a new one as new, not as duplicates.
func TestPlanningPassWithPhones(t *testing.T) {
	in := reader(t, phoneHeader+"E1,pone,Start-2026,Pat One,1,AGENTS,,new,\nE2,ptwo,Start-2026,Pat Two,1,AGENTS,,new,\n"+
		"E3,pthree,Start-2026,Pat Three,1,AGENTS,,2003,\n")
	keys, _ := batch.NewKeyer(in.Columns(), "employee_id")
	survey := batch.NewSurvey(false)
	if err := batch.Run(context.Background(), in, survey, batch.Config{Mode: batch.ModeSurvey, Keys: keys, Phones: phoneSettings()}); err != nil {
		t.Fatal(err)
	}
	if survey.New != 3 || survey.Invalid != 0 {
		t.Errorf("survey: %d new, %d invalid; want 3 new", survey.New, survey.Invalid)
	}
}
