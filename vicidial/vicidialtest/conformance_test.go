package vicidialtest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// post sends a raw form to the simulator, as any HTTP client would, and
// returns the status and the body.
func post(t *testing.T, srv *vicidialtest.Server, form url.Values) (int, string) {
	t.Helper()
	resp, err := http.PostForm(srv.Endpoint(), form)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusOK {
		if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("Content-Type %q, want text/html; charset=utf-8", ct)
		}
	}
	return resp.StatusCode, string(b)
}

// call builds a form: the API user's credentials, source, function, then
// key=value pairs.
func call(user, pass, function string, kv ...string) url.Values {
	v := url.Values{"source": {"test"}, "user": {user}, "pass": {pass}, "function": {function}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func admin(function string, kv ...string) url.Values { return call("6666", "1234", function, kv...) }

// TestContractLines pairs each response line of the API contract with the
// request that produces it, and compares the body byte for byte.
func TestContractLines(t *testing.T) {
	tests := []struct {
		name string
		form url.Values
		want string
	}{
		{"add_user success", admin("add_user", "agent_user", "1000", "agent_pass", "9999", "agent_user_level", "1",
			"agent_full_name", "Testing+Person", "agent_user_group", "AGENTS"),
			"SUCCESS: add_user USER HAS BEEN ADDED - 6666|1000|9999|1|Testing+Person|AGENTS\n"},
		{"copy_user success", admin("copy_user", "agent_user", "2000", "agent_pass", "pw22", "agent_full_name", "Copy Person", "source_user", "5555"),
			"SUCCESS: copy_user USER HAS BEEN COPIED - 6666|2000|pw22|Copy Person|5555\n"},
		{"update_user success", admin("update_user", "agent_user", "5555", "custom_two", "x"),
			"SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n"},
		{"add_user missing fields", admin("add_user", "agent_user", "ab", "agent_pass", "x", "agent_user_level", "1", "agent_full_name", "N", "agent_user_group", "AGENTS"),
			"ERROR: add_user YOU MUST USE ALL REQUIRED FIELDS: |6666|ab|x|1|N|AGENTS\n"},
		{"add_user no permission", call("noperm", "noperm1", "add_user", "agent_user", "np1", "agent_pass", "pw", "agent_user_level", "1", "agent_full_name", "N", "agent_user_group", "AGENTS"),
			"ERROR: add_user USER DOES NOT HAVE PERMISSION TO ADD USERS: |noperm|0\n"},
		{"add_user level", call("apiuser8", "apipass8", "add_user", "agent_user", "lv8", "agent_pass", "pw", "agent_user_level", "8", "agent_full_name", "N", "agent_user_group", "AGENTS"),
			"ERROR: add_user USER DOES NOT HAVE PERMISSION TO ADD USERS IN THIS USER LEVEL: |apiuser8|8|8\n"},
		{"add_user group", admin("add_user", "agent_user", "g1", "agent_pass", "pw", "agent_user_level", "1", "agent_full_name", "N", "agent_user_group", "NOPE"),
			"ERROR: add_user USER GROUP DOES NOT EXIST: |6666|NOPE\n"},
		{"add_user exists", admin("add_user", "agent_user", "5555", "agent_pass", "pw", "agent_user_level", "1", "agent_full_name", "N", "agent_user_group", "AGENTS"),
			"ERROR: add_user USER ALREADY EXISTS: |6666|5555\n"},
		{"copy_user missing fields", admin("copy_user", "agent_user", "cp", "agent_pass", "pw", "agent_full_name", "N"),
			"ERROR: copy_user YOU MUST USE ALL REQUIRED FIELDS: |6666|cp|pw||N\n"},
		{"copy_user no permission", call("noperm", "noperm1", "copy_user", "agent_user", "cp", "agent_pass", "pw", "agent_full_name", "N", "source_user", "5555"),
			"ERROR: copy_user USER DOES NOT HAVE PERMISSION TO COPY USERS: |noperm|0\n"},
		{"copy_user level", call("apiuser8", "apipass8", "copy_user", "agent_user", "cp", "agent_pass", "pw", "agent_full_name", "N", "source_user", "tmpladmin"),
			"ERROR: copy_user USER DOES NOT HAVE PERMISSION TO COPY USERS IN THIS USER LEVEL: |apiuser8|9|8\n"},
		{"copy_user missing template", admin("copy_user", "agent_user", "cp", "agent_pass", "pw", "agent_full_name", "N", "source_user", "ghost"),
			"ERROR: copy_user USER GROUP DOES NOT EXIST: |6666|\n"},
		{"copy_user exists", admin("copy_user", "agent_user", "tmplsales", "agent_pass", "pw", "agent_full_name", "N", "source_user", "5555"),
			"ERROR: copy_user USER ALREADY EXISTS: |6666|tmplsales\n"},
		{"update_user missing", admin("update_user", "agent_user", "ghost", "custom_one", "x"),
			"ERROR: update_user USER DOES NOT EXIST: |6666|\n"},
		{"update_user nothing", admin("update_user", "agent_user", "5555"),
			"ERROR: update_user NO UPDATES DEFINED: |6666|\n"},
		{"update_user group", admin("update_user", "agent_user", "5555", "agent_user_group", "NOPE"),
			"ERROR: update_user YOU MUST USE A VALID USER GROUP, THIS IS AN OPTIONAL FIELD: |6666|NOPE|0\n"},
		{"update_user phone", admin("update_user", "agent_user", "5555", "phone_login", "nophone"),
			"ERROR: update_user YOU MUST USE A VALID PHONE LOGIN, THIS IS AN OPTIONAL FIELD: |6666|nophone|0|0\n"},
		{"update_user permission", call("apiuser8", "apipass8", "update_user", "agent_user", "tmpladmin", "custom_one", "x"),
			"ERROR: update_user USER DOES NOT HAVE PERMISSION TO UPDATE THIS USER: |apiuser8|tmpladmin|<|8\n\n"},
		{"function not allowed", call("apilimited", "apilimit1", "add_user"),
			"ERROR: auth USER DOES NOT HAVE PERMISSION TO USE THIS FUNCTION: |apilimited|add_user|\n"},
		{"login incorrect", call("6666", "wrong", "add_user"),
			"ERROR: Login incorrect, please try again: |6666|wrong|BAD|\n"},
		{"no function", admin(""), "ERROR: NO FUNCTION SPECIFIED\n"},
		{"invalid source", url.Values{"source": {"x"}, "user": {"6666"}, "pass": {"1234"}, "function": {"add_user"}},
			"ERROR: Invalid Source - x\nERROR: Invalid Source: |x|\n"},
		{"user_details found", admin("user_details", "agent_user", "5555"), "5555|Template Agent|AGENTS|1|Y\n"},
		{"user_details not found", admin("user_details", "agent_user", "ghost"), "ERROR: user_details USER NOT FOUND: 6666|ghost\n"},
		{"filtering", admin("add_user", "agent_user", "filt1", "agent_pass", "p@ss w0rd!", "agent_user_level", "1",
			"agent_full_name", "Sean O'Brien José", "agent_user_group", "AGENTS"),
			"SUCCESS: add_user USER HAS BEEN ADDED - 6666|filt1|pssw0rd|1|Sean OBrien Jos|AGENTS\n"},
		{"truncation", admin("add_user", "agent_user", "abcdefghijklmnopqrstuvwxyz", "agent_pass", "pw", "agent_user_level", "1",
			"agent_full_name", strings.Repeat("N", 60), "agent_user_group", "AGENTS"),
			"SUCCESS: add_user USER HAS BEEN ADDED - 6666|abcdefghijklmnopqrst|pw|1|" + strings.Repeat("N", 50) + "|AGENTS\n"},
		{"level above 9 accepted", admin("add_user", "agent_user", "lvl12", "agent_pass", "pw", "agent_user_level", "12", "agent_full_name", "N", "agent_user_group", "AGENTS"),
			"SUCCESS: add_user USER HAS BEEN ADDED - 6666|lvl12|pw|12|N|AGENTS\n"},
		{"autogenerated", admin("add_user", "agent_user", "AUTOGENERATED", "agent_pass", "pw", "agent_user_level", "1", "agent_full_name", "Auto", "agent_user_group", "AGENTS"),
			"SUCCESS: add_user USER HAS BEEN ADDED - 6666|1007|pw|1|Auto|AGENTS\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
			status, body := post(t, srv, tt.form)
			if status != http.StatusOK {
				t.Errorf("status %d, want 200 (every API outcome is 200)", status)
			}
			if body != tt.want {
				t.Errorf("body\n got %q\nwant %q", body, tt.want)
			}
		})
	}
}

func TestVersionNeedsNoCredentials(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 57, 27, 0, time.FixedZone("EST", -5*3600))
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Now: func() time.Time { return now }})
	_, body := post(t, srv, url.Values{"function": {"version"}})
	want := fmt.Sprintf("VERSION: 2.14-202|BUILD: 250720-1841|DATE: 2026-11-22 09:57:27|EPOCH: %d|DST: 0|TZ: -5.00|TZNOW: -5.00|\n", now.Unix())
	if body != want {
		t.Errorf("got %q\nwant %q", body, want)
	}
}

func TestQueryStringWins(t *testing.T) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	form := admin("user_details", "agent_user", "tmplsales")
	resp, err := http.PostForm(srv.Endpoint()+"?agent_user=5555", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if got := string(b); got != "5555|Template Agent|AGENTS|1|Y\n" {
		t.Errorf("got %q: the query string must win over the form", got)
	}
}

func TestAutogeneratedStepsBySeven(t *testing.T) {
	fx := vicidialtest.DefaultFixture()
	fx.Accounts = append(fx.Accounts, vicidialtest.Account{User: "1007", Pass: "x", FullName: "Taken", Level: 1, Group: "AGENTS"})
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Fixture: &fx})
	var logins []string
	for i := 0; i < 2; i++ {
		_, body := post(t, srv, admin("copy_user", "agent_user", "AUTOGENERATED", "agent_pass", "pw", "agent_full_name", "Auto", "source_user", "5555"))
		f := strings.Split(strings.TrimSpace(body), "|")
		if len(f) < 2 {
			t.Fatalf("body %q", body)
		}
		logins = append(logins, f[1])
	}
	if logins[0] != "1014" || logins[1] != "1021" {
		t.Errorf("logins %v, want [1014 1021] (1007 is taken; steps of 7; the counter is stored back)", logins)
	}
	if got := srv.Sim.Snapshot().AutogenCounter; got != 1021 {
		t.Errorf("counter %d, want 1021", got)
	}
}

func TestCopyUserCopiesEverything(t *testing.T) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	_, body := post(t, srv, admin("copy_user", "agent_user", "newcopy", "agent_pass", "pw", "agent_full_name", "New Copy",
		"source_user", "5555", "agent_user_level", "9", "agent_user_group", "ADMIN", "in_groups", "BILLING", "phone_login", "phone100"))
	if !strings.HasPrefix(body, "SUCCESS: copy_user") {
		t.Fatalf("body %q", body)
	}
	got, _ := srv.Sim.Account("newcopy")
	tmpl, _ := srv.Sim.Account("5555")
	if got.Level != tmpl.Level || got.Group != tmpl.Group || got.PhoneLogin != "tmplphone" || got.PhonePass != tmpl.PhonePass ||
		strings.Join(got.CloserCampaigns, " ") != "SALESLINE SUPPORT" || got.HotkeysActive != "1" || got.Email != tmpl.Email || got.CustomOne != tmpl.CustomOne {
		t.Errorf("copy = %+v\nwant the template's settings (%+v), request's level/group/in-groups/phone ignored", got, tmpl)
	}
	if got.FullName != "New Copy" || got.Pass != "pw" {
		t.Errorf("copy has name %q pass %q", got.FullName, got.Pass)
	}
}

func TestLockoutAfterTenWrongPasswords(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Now: func() time.Time { return now }})
	for i := 0; i < 10; i++ {
		if _, body := post(t, srv, call("6666", "bad", "user_details", "agent_user", "5555")); !strings.HasPrefix(body, "ERROR: Login incorrect") {
			t.Fatalf("attempt %d: %q", i+1, body)
		}
	}
	_, body := post(t, srv, admin("user_details", "agent_user", "5555"))
	if body != "ERROR: Too many login attempts, try again in 15 minutes: |6666|LOCK|\n" {
		t.Errorf("11th attempt with the right password: %q, want the lockout line", body)
	}
	now = now.Add(16 * time.Minute)
	if _, body := post(t, srv, admin("user_details", "agent_user", "5555")); !strings.HasPrefix(body, "5555|") {
		t.Errorf("after 15 minutes: %q, want the lockout lifted", body)
	}
}

func TestLowLevelAPIUserCannotLogIn(t *testing.T) {
	fx := vicidialtest.DefaultFixture()
	fx.Accounts = append(fx.Accounts, vicidialtest.Account{User: "agent6", Pass: "pw6", FullName: "Six", Level: 6, Group: "AGENTS", ViewReports: true, ModifyUsers: true, APIAccess: true})
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Fixture: &fx})
	if _, body := post(t, srv, call("agent6", "pw6", "user_details", "agent_user", "5555")); body != "ERROR: Login incorrect, please try again: |agent6|pw6|BAD|\n" {
		t.Errorf("level-6 API user: %q", body)
	}
}

func TestApostropheInEmailBreaksInsert(t *testing.T) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	status, body := post(t, srv, admin("add_user", "agent_user", "apos1", "agent_pass", "pw", "agent_user_level", "1",
		"agent_full_name", "N", "agent_user_group", "AGENTS", "email", "o'neil@example.com"))
	if status != http.StatusInternalServerError || body != "" {
		t.Errorf("status %d body %q, want 500 with an empty body", status, body)
	}
	if _, ok := srv.Sim.Account("apos1"); ok {
		t.Error("account created despite the failed insert")
	}
}

func TestInGroupList(t *testing.T) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	_, body := post(t, srv, admin("ingroup_list"))
	for _, g := range []string{"SALESLINE", "SUPPORT", "BILLING"} {
		if !strings.Contains(body, "choose_file('"+g+"','')") {
			t.Errorf("ingroup_list lacks %s: %q", g, body)
		}
	}
	// One link per in-group, and an HTML page, not an API line.
	if n := strings.Count(body, "choose_file("); n != 3 {
		t.Errorf("ingroup_list has %d links, want 3: %q", n, body)
	}
	if !strings.HasPrefix(body, "<") {
		t.Errorf("ingroup_list answered %q, want an HTML page", body)
	}
}

func TestUsersCSV(t *testing.T) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	get := func() []string {
		t.Helper()
		resp, err := http.Get(srv.URL + vicidialtest.UsersPath)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if strings.Contains(string(b), "1234") || strings.Contains(string(b), "tmplphonepass") || strings.Contains(string(b), "Secret-9") {
			t.Error("passwords in the users CSV")
		}
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	lines := get()
	// The first columns are the ones readers had before the update_user
	// columns; they stay first.
	const header = "user,full_name,user_level,user_group,active,phone_login,email,hotkeys_active,closer_campaigns," +
		"custom_one,custom_two,custom_three,custom_four,custom_five,ingroup_memberships,voicemail_id,wrapup_seconds_override"
	if lines[0] != header {
		t.Errorf("header\n got %s\nwant %s", lines[0], header)
	}
	if len(lines) != 1+len(vicidialtest.DefaultFixture().Accounts) {
		t.Errorf("%d lines, want a header and one per account", len(lines))
	}
	row := func(lines []string, login string) string {
		for _, l := range lines[1:] {
			if strings.HasPrefix(l, login+",") {
				return l
			}
		}
		return ""
	}
	if got, want := row(lines, "5555"), "5555,Template Agent,1,AGENTS,Y,tmplphone,agents@example.com,1,SALESLINE SUPPORT,standard agent,,,,,SALESLINE SUPPORT,,-1"; got != want {
		t.Errorf("template row\n got %s\nwant %s", got, want)
	}
	_, body := post(t, srv, upd5555("active", "N", "email", "new@example.com", "phone_login", "1002", "hotkeys_active", "0",
		"custom_one", "c1", "custom_five", "c5", "in_groups", "BILLING", "voicemail_id", "8001", "wrapup_seconds_override", "15",
		"agent_pass", "Secret-9", "phone_pass", "Secret-9"))
	if !strings.HasPrefix(body, "SUCCESS") {
		t.Fatal(body)
	}
	if got, want := row(get(), "5555"), "5555,Template Agent,1,AGENTS,N,1002,new@example.com,0,BILLING,c1,,,,c5,SALESLINE SUPPORT,8001,15"; got != want {
		t.Errorf("updated row\n got %s\nwant %s", got, want)
	}
}

func TestLoadFixture(t *testing.T) {
	tests := []struct {
		file  string
		login string // an account to look up as labadmin
		want  string
		phone string // a phone_login update_user must accept
	}{
		// Written before phone aliases and memberships: still loads.
		{"testdata/fixture.json", "labtmpl", "labtmpl|Lab Template|LAB|1|Y\n", "labphone"},
		{"testdata/fixture_aliases.json", "labtmpl", "labtmpl|Lab Template|LAB|1|Y\n", "LABALIAS"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			fx, err := vicidialtest.LoadFixture(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Fixture: &fx})
			if _, body := post(t, srv, call("labadmin", "labpass9", "user_details", "agent_user", tt.login)); body != tt.want {
				t.Errorf("fixture user_details: %q", body)
			}
			if _, body := post(t, srv, call("labadmin", "labpass9", "update_user", "agent_user", tt.login, "phone_login", tt.phone)); !strings.HasPrefix(body, "SUCCESS") {
				t.Errorf("phone_login %s: %q", tt.phone, body)
			}
			if _, body := post(t, srv, call("labadmin", "labpass9", "update_user", "agent_user", tt.login, "phone_login", "nophone")); body != "ERROR: update_user YOU MUST USE A VALID PHONE LOGIN, THIS IS AN OPTIONAL FIELD: |labadmin|nophone|0|0\n" {
				t.Errorf("unknown phone: %q", body)
			}
		})
	}
	fx, err := vicidialtest.LoadFixture("testdata/fixture_aliases.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Fixture: &fx})
	post(t, srv, call("labadmin", "labpass9", "copy_user", "agent_user", "labcopy", "agent_pass", "pw", "agent_full_name", "Lab Copy", "source_user", "labtmpl"))
	if a, _ := srv.Sim.Account("labcopy"); closers(a) != `" LABLINE -" [LABLINE LABOVERFLOW]` {
		t.Errorf("copy of a fixture template: %s", closers(a))
	}
	if _, err := vicidialtest.LoadFixture("testdata/nope.json"); err == nil || !strings.Contains(err.Error(), "nope.json") {
		t.Errorf("missing fixture error %v should name the file", err)
	}
}

// updateFixture is the default fixture plus the API users and the account
// that update_user's permission rules need.
func updateFixture() vicidialtest.Fixture {
	fx := vicidialtest.DefaultFixture()
	api := func(user string, level int) vicidialtest.Account {
		return vicidialtest.Account{User: user, Pass: "pw-" + user, FullName: "API " + user, Level: level, Group: "ADMIN",
			Active: "Y", ModifyUsers: true, APIAccess: true, ViewReports: true}
	}
	api8same := api("api8same", 8)
	api8same.ModifySameLevel = true
	noAPI := api("noapi", 9)
	noAPI.APIAccess = false
	noModify := api("nomodify", 9)
	noModify.ModifyUsers = false
	fx.Accounts = append(fx.Accounts, api("api7", 7), api("api9", 9), api8same, noAPI, noModify,
		vicidialtest.Account{User: "agent8", Pass: "pw-agent8", FullName: "Level Eight", Level: 8, Group: "SUPERVISORS", Active: "Y"})
	return fx
}

func upd(user, login string, kv ...string) url.Values {
	return call(user, "pw-"+user, "update_user", append([]string{"agent_user", login}, kv...)...)
}

func upd5555(kv ...string) url.Values {
	return admin("update_user", append([]string{"agent_user", "5555"}, kv...)...)
}

// Accessors of the stored account, for TestUpdateUserContract.
var (
	pass       = func(a vicidialtest.Account) string { return a.Pass }
	fullName   = func(a vicidialtest.Account) string { return a.FullName }
	level      = func(a vicidialtest.Account) string { return fmt.Sprint(a.Level) }
	group      = func(a vicidialtest.Account) string { return a.Group }
	phoneLogin = func(a vicidialtest.Account) string { return a.PhoneLogin }
	phonePass  = func(a vicidialtest.Account) string { return a.PhonePass }
	hotkeys    = func(a vicidialtest.Account) string { return a.HotkeysActive }
	voicemail  = func(a vicidialtest.Account) string { return a.VoicemailID }
	email      = func(a vicidialtest.Account) string { return a.Email }
	customOne  = func(a vicidialtest.Account) string { return a.CustomOne }
	customFive = func(a vicidialtest.Account) string { return a.CustomFive }
	active     = func(a vicidialtest.Account) string { return a.Active }
	wrapup     = func(a vicidialtest.Account) string { return a.WrapupSecondsOverride }
	// closers is the closer_campaigns column, then the membership rows.
	closers = func(a vicidialtest.Account) string {
		return fmt.Sprintf("%q %v", a.CloserCampaignsColumn(), a.InGroupMemberships)
	}
)

// TestUpdateUserContract pairs each rule of the contract's update_user
// section with a request, the exact answer, and what the account holds
// afterwards. An ERROR answer must leave the whole state as it was.
func TestUpdateUserContract(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name   string
		form   url.Values
		want   string
		login  string                            // the account to look at afterwards
		got    func(vicidialtest.Account) string // nil: only the answer (and, for an ERROR, the state) is checked
		stored string
		gone   bool // the account no longer exists
	}{
		// Steps 1 to 7.
		{name: "1 source", form: url.Values{"source": {"x"}, "user": {"6666"}, "pass": {"1234"}, "function": {"update_user"}, "agent_user": {"5555"}, "custom_one": {"x"}},
			want: "ERROR: Invalid Source - x\nERROR: Invalid Source: |x|\n"},
		{name: "2 function not allowed", form: call("apilimited", "apilimit1", "update_user", "agent_user", "5555", "custom_one", "x"),
			want: "ERROR: auth USER DOES NOT HAVE PERMISSION TO USE THIS FUNCTION: |apilimited|update_user|\n"},
		{name: "3 no modify users", form: upd("nomodify", "5555", "custom_one", "x"),
			want: "ERROR: update_user USER DOES NOT HAVE PERMISSION TO UPDATE USERS: |nomodify|0\n"},
		{name: "3 no API access", form: upd("noapi", "5555", "custom_one", "x"),
			want: "ERROR: update_user USER DOES NOT HAVE PERMISSION TO UPDATE USERS: |noapi|0\n"},
		{name: "3 level 7", form: upd("api7", "5555", "custom_one", "x"),
			want: "ERROR: update_user USER DOES NOT HAVE PERMISSION TO UPDATE USERS: |api7|0\n"},
		{name: "3 before 4", form: upd("api7", "", "custom_one", "x"),
			want: "ERROR: update_user USER DOES NOT HAVE PERMISSION TO UPDATE USERS: |api7|0\n"},
		{name: "4 login empty", form: upd5555("agent_user", "", "custom_one", "x"),
			want: "ERROR: update_user YOU MUST USE ALL REQUIRED FIELDS: |6666||\n"},
		{name: "4 login filtered to 1 character", form: admin("update_user", "agent_user", "a!", "custom_one", "x"),
			want: "ERROR: update_user YOU MUST USE ALL REQUIRED FIELDS: |6666|a|\n"},
		{name: "4 login of 21 characters", form: admin("update_user", "agent_user", long(21), "custom_one", "x"),
			want: "ERROR: update_user YOU MUST USE ALL REQUIRED FIELDS: |6666|" + long(21) + "|\n"},
		{name: "5 no such user", form: admin("update_user", "agent_user", "ghost", "custom_one", "x"),
			want: "ERROR: update_user USER DOES NOT EXIST: |6666|\n"},
		{name: "5 lookup ignores case, LOGIN echoed as sent", form: admin("update_user", "agent_user", "TMPLSales", "custom_one", "x"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|TMPLSales|\n", login: "tmplsales", got: customOne, stored: "x"},
		{name: "5 login filtered before the lookup", form: admin("update_user", "agent_user", "tmpl sales!", "custom_one", "x"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|tmplsales|\n", login: "tmplsales", got: customOne, stored: "x"},
		{name: "6 level 8 on level 9", form: call("apiuser8", "apipass8", "update_user", "agent_user", "tmpladmin", "custom_one", "x"),
			want: "ERROR: update_user USER DOES NOT HAVE PERMISSION TO UPDATE THIS USER: |apiuser8|tmpladmin|<|8\n\n"},
		{name: "6 level 8 on level 8 without modify same level", form: call("apiuser8", "apipass8", "update_user", "agent_user", "agent8", "custom_one", "x"),
			want: "ERROR: update_user USER DOES NOT HAVE PERMISSION TO UPDATE THIS USER: |apiuser8|agent8|<|8\n\n"},
		{name: "6 level 8 with modify same level on level 9", form: upd("api8same", "tmpladmin", "custom_one", "x"),
			want: "ERROR: update_user USER DOES NOT HAVE PERMISSION TO UPDATE THIS USER: |api8same|tmpladmin|<=|8\n\n"},
		{name: "6 level 8 with modify same level on level 8", form: upd("api8same", "agent8", "custom_one", "x"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - api8same|agent8|\n", login: "agent8", got: customOne, stored: "x"},
		{name: "6 level 9 without modify same level on level 9", form: upd("api9", "tmpladmin", "custom_one", "x"),
			want: "ERROR: update_user USER DOES NOT HAVE PERMISSION TO UPDATE THIS USER: |api9|tmpladmin|<|9\n\n"},
		{name: "6 level 9 with modify same level on level 9", form: admin("update_user", "agent_user", "tmpladmin", "custom_one", "x"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|tmpladmin|\n", login: "tmpladmin", got: customOne, stored: "x"},
		{name: "6 before 7", form: call("apiuser8", "apipass8", "update_user", "agent_user", "tmpladmin", "delete_user", "Y"),
			want: "ERROR: update_user USER DOES NOT HAVE PERMISSION TO UPDATE THIS USER: |apiuser8|tmpladmin|<|8\n\n"},
		{name: "7 delete_user Y deletes, other fields ignored", form: admin("update_user", "agent_user", "tmplsales", "delete_user", "Y", "agent_user_group", "NOPE", "custom_one", long(101)),
			want: "SUCCESS: update_user USER HAS BEEN DELETED - 6666|tmplsales|\n", login: "tmplsales", gone: true},
		{name: "7 delete_user Yes", form: admin("update_user", "agent_user", "tmplsales", "delete_user", "Yes"),
			want: "SUCCESS: update_user USER HAS BEEN DELETED - 6666|tmplsales|\n", login: "tmplsales", gone: true},
		{name: "7 delete_user yY", form: admin("update_user", "agent_user", "tmplsales", "delete_user", "yY"),
			want: "SUCCESS: update_user USER HAS BEEN DELETED - 6666|tmplsales|\n", login: "tmplsales", gone: true},
		{name: "7 delete_user y filters to nothing", form: admin("update_user", "agent_user", "tmplsales", "delete_user", "y"),
			want: "ERROR: update_user NO UPDATES DEFINED: |6666|\n"},
		{name: "7 delete_user N", form: admin("update_user", "agent_user", "tmplsales", "delete_user", "N", "custom_one", "kept"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|tmplsales|\n", login: "tmplsales", got: customOne, stored: "kept"},
		{name: "7 delete_user YY is not Y", form: admin("update_user", "agent_user", "tmplsales", "delete_user", "YY"),
			want: "ERROR: update_user NO UPDATES DEFINED: |6666|\n"},

		// Step 8: agent_pass.
		{name: "agent_pass filtered", form: upd5555("agent_pass", "p@ss w0rd!"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: pass, stored: "pssw0rd"},
		{name: "agent_pass of 1 character", form: upd5555("agent_pass", "x"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: pass, stored: "x"},
		{name: "agent_pass cut at 100", form: upd5555("agent_pass", long(150)),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: pass, stored: long(100)},
		{name: "agent_pass --BLANK-- stored literally", form: upd5555("agent_pass", "--BLANK--"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: pass, stored: "--BLANK--"},
		{name: "agent_pass filtered to nothing", form: upd5555("agent_pass", "@@ !!"),
			want: "ERROR: update_user NO UPDATES DEFINED: |6666|\n"},
		// agent_full_name.
		{name: "agent_full_name filtered", form: upd5555("agent_full_name", "Sean O'Brien José"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: fullName, stored: "Sean OBrien Jos"},
		{name: "agent_full_name of 51", form: upd5555("agent_full_name", long(51)),
			want: "ERROR: update_user YOU MUST USE A VALID FULL NAME, THIS IS AN OPTIONAL FIELD: |6666|" + long(51) + "\n"},
		{name: "agent_full_name --BLANK-- empties", form: upd5555("agent_full_name", "--BLANK--"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: fullName, stored: ""},
		{name: "agent_full_name filtered to nothing", form: upd5555("agent_full_name", "éé!!"),
			want: "ERROR: update_user NO UPDATES DEFINED: |6666|\n"},
		// agent_user_level.
		{name: "agent_user_level 2", form: upd5555("agent_user_level", "2"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: level, stored: "2"},
		{name: "agent_user_level digits only", form: upd5555("agent_user_level", "lvl 3"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: level, stored: "3"},
		{name: "agent_user_level 0", form: upd5555("agent_user_level", "0"),
			want: "ERROR: update_user YOU MUST USE A VALID USER LEVEL, THIS IS AN OPTIONAL FIELD: |6666|0|9|1\n"},
		{name: "agent_user_level 10", form: upd5555("agent_user_level", "10"),
			want: "ERROR: update_user YOU MUST USE A VALID USER LEVEL, THIS IS AN OPTIONAL FIELD: |6666|10|9|1\n"},
		{name: "agent_user_level 9 by 9 with modify same level", form: upd5555("agent_user_level", "9"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: level, stored: "9"},
		{name: "agent_user_level 9 by 9 without modify same level", form: upd("api9", "5555", "agent_user_level", "9"),
			want: "ERROR: update_user YOU MUST USE A VALID USER LEVEL, THIS IS AN OPTIONAL FIELD: |api9|9|9|0\n"},
		{name: "agent_user_level 8 by 8 without modify same level", form: call("apiuser8", "apipass8", "update_user", "agent_user", "5555", "agent_user_level", "8"),
			want: "ERROR: update_user YOU MUST USE A VALID USER LEVEL, THIS IS AN OPTIONAL FIELD: |apiuser8|8|8|0\n"},
		{name: "agent_user_level 8 by 8 with modify same level", form: upd("api8same", "5555", "agent_user_level", "8"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - api8same|5555|\n", login: "5555", got: level, stored: "8"},
		{name: "agent_user_level 9 by 8 with modify same level", form: upd("api8same", "5555", "agent_user_level", "9"),
			want: "ERROR: update_user YOU MUST USE A VALID USER LEVEL, THIS IS AN OPTIONAL FIELD: |api8same|9|8|1\n"},
		{name: "agent_user_level --BLANK-- ignored", form: upd5555("agent_user_level", "--BLANK--"),
			want: "ERROR: update_user NO UPDATES DEFINED: |6666|\n"},
		// agent_user_group.
		{name: "agent_user_group missing", form: upd5555("agent_user_group", "NOPE"),
			want: "ERROR: update_user YOU MUST USE A VALID USER GROUP, THIS IS AN OPTIONAL FIELD: |6666|NOPE|0\n"},
		{name: "agent_user_group any case, stored as sent", form: upd5555("agent_user_group", "sales"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: group, stored: "sales"},
		{name: "agent_user_group filtered", form: upd5555("agent_user_group", "SA LES!"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: group, stored: "SALES"},
		{name: "agent_user_group --BLANK-- is an error", form: upd5555("agent_user_group", "--BLANK--"),
			want: "ERROR: update_user YOU MUST USE A VALID USER GROUP, THIS IS AN OPTIONAL FIELD: |6666|--BLANK--|0\n"},
		// phone_login.
		{name: "phone_login missing", form: upd5555("phone_login", "nophone"),
			want: "ERROR: update_user YOU MUST USE A VALID PHONE LOGIN, THIS IS AN OPTIONAL FIELD: |6666|nophone|0|0\n"},
		{name: "phone_login a phone", form: upd5555("phone_login", "1003"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: phoneLogin, stored: "1003"},
		{name: "phone_login filtered", form: upd5555("phone_login", "10 04!"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: phoneLogin, stored: "1004"},
		{name: "phone_login a phone alias, any case", form: upd5555("phone_login", "alias1"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: phoneLogin, stored: "alias1"},
		{name: "phone_login of 21", form: upd5555("phone_login", long(21)),
			want: "ERROR: update_user YOU MUST USE A VALID PHONE LOGIN, THIS IS AN OPTIONAL FIELD: |6666|" + long(21) + "|0|0\n"},
		{name: "phone_login --BLANK-- empties", form: upd5555("phone_login", "--BLANK--"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: phoneLogin, stored: ""},
		// phone_pass.
		{name: "phone_pass of 1", form: upd5555("phone_pass", "z"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: phonePass, stored: "z"},
		{name: "phone_pass of 21", form: upd5555("phone_pass", long(21)),
			want: "ERROR: update_user YOU MUST USE A VALID PHONE PASSWORD, THIS IS AN OPTIONAL FIELD: |6666|" + long(21) + "\n"},
		{name: "phone_pass --BLANK-- empties", form: upd5555("phone_pass", "--BLANK--"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: phonePass, stored: ""},
		// hotkeys_active.
		{name: "hotkeys_active 0", form: upd5555("hotkeys_active", "0"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: hotkeys, stored: "0"},
		{name: "hotkeys_active 2", form: upd5555("hotkeys_active", "2"),
			want: "ERROR: update_user YOU MUST USE A VALID HOTKEYS SETTING, THIS IS AN OPTIONAL FIELD: |6666|2\n"},
		{name: "hotkeys_active --BLANK-- ignored", form: upd5555("hotkeys_active", "--BLANK--"),
			want: "ERROR: update_user NO UPDATES DEFINED: |6666|\n"},
		// voicemail_id.
		{name: "voicemail_id filtered", form: upd5555("voicemail_id", "12-34"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: voicemail, stored: "1234"},
		{name: "voicemail_id of 1", form: upd5555("voicemail_id", "7"),
			want: "ERROR: update_user YOU MUST USE A VALID VOICEMAIL ID, THIS IS AN OPTIONAL FIELD: |6666|7\n"},
		{name: "voicemail_id of 11", form: upd5555("voicemail_id", long(11)),
			want: "ERROR: update_user YOU MUST USE A VALID VOICEMAIL ID, THIS IS AN OPTIONAL FIELD: |6666|" + long(11) + "\n"},
		{name: "voicemail_id --BLANK-- stored as BLANK", form: upd5555("voicemail_id", "--BLANK--"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: voicemail, stored: "BLANK"},
		// email.
		{name: "email + becomes a space", form: upd5555("email", "x+y@example.com"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: email, stored: "x y@example.com"},
		{name: "email of 4", form: upd5555("email", "a@bc"),
			want: "ERROR: update_user YOU MUST USE A VALID EMAIL, THIS IS AN OPTIONAL FIELD: |6666|a@bc\n"},
		{name: "email of 101", form: upd5555("email", long(101)),
			want: "ERROR: update_user YOU MUST USE A VALID EMAIL, THIS IS AN OPTIONAL FIELD: |6666|" + long(101) + "\n"},
		{name: "email --BLANK-- empties", form: upd5555("email", "--BLANK--"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: email, stored: ""},
		// custom_one .. custom_five.
		{name: "custom_one filtered", form: upd5555("custom_one", "Team #4 (north)"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: customOne, stored: "Team 4 north"},
		{name: "custom_one of 101", form: upd5555("custom_one", long(101)),
			want: "ERROR: update_user YOU MUST USE A VALID CUSTOM ONE, THIS IS AN OPTIONAL FIELD: |6666|" + long(101) + "\n"},
		{name: "custom_five of 101", form: upd5555("custom_five", long(101)),
			want: "ERROR: update_user YOU MUST USE A VALID CUSTOM FIVE, THIS IS AN OPTIONAL FIELD: |6666|" + long(101) + "\n"},
		{name: "custom_one --BLANK-- empties", form: upd5555("custom_one", "--BLANK--"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: customOne, stored: ""},
		{name: "custom_five of 100", form: upd5555("custom_five", long(100)),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: customFive, stored: long(100)},
		// active.
		{name: "active N", form: upd5555("active", "N"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: active, stored: "N"},
		{name: "active Yes is Y", form: upd5555("active", "Yes"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: active, stored: "Y"},
		{name: "active y filters to nothing", form: upd5555("active", "y"),
			want: "ERROR: update_user NO UPDATES DEFINED: |6666|\n"},
		{name: "active NO", form: upd5555("active", "NO"),
			want: "ERROR: update_user ACTIVE MUST BE Y OR N, THIS IS AN OPTIONAL FIELD: |6666|NO\n"},
		{name: "active --BLANK-- is an error", form: upd5555("active", "--BLANK--"),
			want: "ERROR: update_user ACTIVE MUST BE Y OR N, THIS IS AN OPTIONAL FIELD: |6666|BLANK\n"},
		// wrapup_seconds_override.
		{name: "wrapup -1", form: upd5555("wrapup_seconds_override", "-1"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: wrapup, stored: "-1"},
		{name: "wrapup filtered", form: upd5555("wrapup_seconds_override", "30 s"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: wrapup, stored: "30"},
		{name: "wrapup 10000", form: upd5555("wrapup_seconds_override", "10000"),
			want: "ERROR: update_user wrapup_seconds_override MUST BE A VALID DIGIT BETWEEN -1 AND 9999, THIS IS AN OPTIONAL FIELD: |6666|10000\n"},
		{name: "wrapup -2", form: upd5555("wrapup_seconds_override", "-2"),
			want: "ERROR: update_user wrapup_seconds_override MUST BE A VALID DIGIT BETWEEN -1 AND 9999, THIS IS AN OPTIONAL FIELD: |6666|-2\n"},
		{name: "wrapup --BLANK-- is an error", form: upd5555("wrapup_seconds_override", "--BLANK--"),
			want: "ERROR: update_user wrapup_seconds_override MUST BE A VALID DIGIT BETWEEN -1 AND 9999, THIS IS AN OPTIONAL FIELD: |6666|----\n"},
		// in_groups.
		{name: "in_groups replaces the selected in-groups, not the memberships", form: upd5555("in_groups", "BILLING|SUPPORT"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: closers, stored: `" BILLING SUPPORT -" [SALESLINE SUPPORT]`},
		{name: "in_groups never checked", form: upd5555("in_groups", "NOSUCH"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: closers, stored: `" NOSUCH -" [SALESLINE SUPPORT]`},
		{name: "in_groups filtered", form: upd5555("in_groups", "SALES LINE!|BILL,ING"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: closers, stored: `" SALESLINE BILL,ING -" [SALESLINE SUPPORT]`},
		{name: "in_groups --BLANK--", form: upd5555("in_groups", "--BLANK--"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555", got: closers, stored: `" --BLANK-- -" [SALESLINE SUPPORT]`},

		// The order of step 8, and nothing written before its end.
		{name: "first invalid field in table order answers", form: upd5555("agent_user_group", "NOPE", "agent_full_name", long(51)),
			want: "ERROR: update_user YOU MUST USE A VALID FULL NAME, THIS IS AN OPTIONAL FIELD: |6666|" + long(51) + "\n"},
		{name: "a valid field is not written when a later one is invalid", form: upd5555("custom_one", "new", "active", "X"),
			want: "ERROR: update_user ACTIVE MUST BE Y OR N, THIS IS AN OPTIONAL FIELD: |6666|X\n"},
		{name: "several fields in one update", form: upd5555("agent_full_name", "New Name", "active", "N", "phone_login", "1001", "custom_one", "c1"),
			want: "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", login: "5555",
			got: func(a vicidialtest.Account) string {
				return a.FullName + "|" + a.Active + "|" + a.PhoneLogin + "|" + a.CustomOne
			},
			stored: "New Name|N|1001|c1"},
		// Step 9.
		{name: "9 nothing given", form: upd5555(),
			want: "ERROR: update_user NO UPDATES DEFINED: |6666|\n"},
		{name: "9 unknown parameters are no updates", form: upd5555("agent_choose_ingroups", "0", "source_user", "tmplsales"),
			want: "ERROR: update_user NO UPDATES DEFINED: |6666|\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := updateFixture()
			srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Fixture: &fx})
			before := srv.Sim.Snapshot()
			status, body := post(t, srv, tt.form)
			if status != http.StatusOK || body != tt.want {
				t.Fatalf("got %d %q\nwant 200 %q", status, body, tt.want)
			}
			if strings.HasPrefix(body, "ERROR") {
				if after := srv.Sim.Snapshot(); !reflect.DeepEqual(before, after) {
					t.Errorf("an ERROR answer changed the state:\nbefore %+v\nafter  %+v", before, after)
				}
			}
			if tt.login == "" {
				return
			}
			a, found := srv.Sim.Account(tt.login)
			if found == tt.gone {
				t.Fatalf("account %s exists = %v, want %v", tt.login, found, !tt.gone)
			}
			if tt.got != nil {
				if got := tt.got(a); got != tt.stored {
					t.Errorf("stored %q, want %q", got, tt.stored)
				}
			}
		})
	}
}

func TestUpdateUserApostropheInEmail(t *testing.T) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	before := srv.Sim.Snapshot()
	status, body := post(t, srv, upd5555("custom_one", "changed", "email", "o'neil@example.com"))
	if status != http.StatusInternalServerError || body != "" {
		t.Errorf("got %d %q, want 500 with an empty body", status, body)
	}
	if after := srv.Sim.Snapshot(); !reflect.DeepEqual(before, after) {
		t.Errorf("the failed UPDATE wrote:\nbefore %+v\nafter  %+v", before, after)
	}
	// An invalid field before the UPDATE still answers its line.
	_, body = post(t, srv, upd5555("email", "o'neil@example.com", "active", "X"))
	if body != "ERROR: update_user ACTIVE MUST BE Y OR N, THIS IS AN OPTIONAL FIELD: |6666|X\n" {
		t.Errorf("got %q: validation comes before the UPDATE", body)
	}
}

// TestUpdateUserEarlyWrites: campaign_rank, ingroup_rank and reset_password
// are written before the fields are checked, so they stay after an error.
func TestUpdateUserEarlyWrites(t *testing.T) {
	tests := []struct {
		name string
		form url.Values
		want string
		n    int // early writes recorded
	}{
		{"kept after a field error", upd5555("campaign_rank", "3", "ingroup_rank", "2", "reset_password", "1", "agent_user_group", "NOPE"),
			"ERROR: update_user YOU MUST USE A VALID USER GROUP, THIS IS AN OPTIONAL FIELD: |6666|NOPE|0\n", 3},
		{"kept with no updates", upd5555("campaign_rank", "3"), "ERROR: update_user NO UPDATES DEFINED: |6666|\n", 1},
		{"with a success", upd5555("ingroup_rank", "5", "custom_one", "x"), "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", 1},
		{"not on delete", upd5555("campaign_rank", "3", "delete_user", "Y"), "SUCCESS: update_user USER HAS BEEN DELETED - 6666|5555|\n", 0},
		{"not before the permission check", call("apiuser8", "apipass8", "update_user", "agent_user", "tmpladmin", "campaign_rank", "3"),
			"ERROR: update_user USER DOES NOT HAVE PERMISSION TO UPDATE THIS USER: |apiuser8|tmpladmin|<|8\n\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
			if _, body := post(t, srv, tt.form); body != tt.want {
				t.Errorf("got %q\nwant %q", body, tt.want)
			}
			got := srv.Sim.EarlyWrites()
			if len(got) != tt.n {
				t.Fatalf("early writes %+v, want %d", got, tt.n)
			}
			for _, w := range got {
				if w.Login != "5555" || tt.form.Get(w.Param) != w.Value {
					t.Errorf("early write %+v does not match the request", w)
				}
			}
			if len(srv.Sim.Snapshot().EarlyWrites) != tt.n {
				t.Error("the snapshot lacks the early writes")
			}
		})
	}
}

// TestUpdateUserResetsFailedLogins: a successful update resets the target's
// failed-login count, which also lifts a lockout; an error does not.
func TestUpdateUserResetsFailedLogins(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		failures int // wrong passwords for apiuser8 before the update
		update   url.Values
		after    int // wrong passwords after it
		want     string
	}{
		{"a lockout is lifted", 10, admin("update_user", "agent_user", "apiuser8", "custom_one", "x"), 0, "5555|"},
		{"the count restarts", 9, admin("update_user", "agent_user", "apiuser8", "custom_one", "x"), 9, "5555|"},
		{"an error resets nothing", 10, admin("update_user", "agent_user", "apiuser8", "active", "X"), 0, "ERROR: Too many login attempts"},
		{"NO UPDATES resets nothing", 10, admin("update_user", "agent_user", "apiuser8"), 0, "ERROR: Too many login attempts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Now: func() time.Time { return now }})
			wrong := func(n int) {
				for range n {
					post(t, srv, call("apiuser8", "bad", "user_details", "agent_user", "5555"))
				}
			}
			wrong(tt.failures)
			post(t, srv, tt.update)
			wrong(tt.after)
			if _, body := post(t, srv, call("apiuser8", "apipass8", "user_details", "agent_user", "5555")); !strings.HasPrefix(body, tt.want) {
				t.Errorf("right password afterwards: %q, want %q...", body, tt.want)
			}
		})
	}
}

// TestUpdateUserActiveNOnlyBlocksLogins: active=N keeps the account's
// in-groups, memberships and rights; only its logins fail.
func TestUpdateUserActiveNOnlyBlocksLogins(t *testing.T) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	if _, body := post(t, srv, admin("update_user", "agent_user", "apiuser8", "active", "N")); !strings.HasPrefix(body, "SUCCESS") {
		t.Fatal(body)
	}
	if _, body := post(t, srv, call("apiuser8", "apipass8", "user_details", "agent_user", "5555")); body != "ERROR: Login incorrect, please try again: |apiuser8|apipass8|BAD|\n" {
		t.Errorf("inactive API user: %q", body)
	}
	before, _ := srv.Sim.Account("5555")
	post(t, srv, upd5555("active", "N"))
	after, _ := srv.Sim.Account("5555")
	before.Active = "N"
	if !reflect.DeepEqual(before, after) {
		t.Errorf("active=N changed more than active:\nbefore %+v\nafter  %+v", before, after)
	}
	if _, body := post(t, srv, admin("user_details", "agent_user", "5555")); body != "5555|Template Agent|AGENTS|1|N\n" {
		t.Errorf("user_details: %q", body)
	}
}

// TestCopyThenUpdateInGroups: copy_user copies both the selected in-groups
// and the membership rows; update_user's in_groups then changes only the
// first, so the two disagree, as on the real server.
func TestCopyThenUpdateInGroups(t *testing.T) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	post(t, srv, admin("copy_user", "agent_user", "cp1", "agent_pass", "pw", "agent_full_name", "Copy", "source_user", "5555"))
	a, _ := srv.Sim.Account("cp1")
	if got := closers(a); got != `" SALESLINE SUPPORT -" [SALESLINE SUPPORT]` {
		t.Fatalf("after copy_user: %s", got)
	}
	post(t, srv, admin("update_user", "agent_user", "cp1", "in_groups", "BILLING"))
	a, _ = srv.Sim.Account("cp1")
	if got := closers(a); got != `" BILLING -" [SALESLINE SUPPORT]` {
		t.Errorf("after update_user in_groups=BILLING: %s", got)
	}
}

// TestUpdateUserFaults: a fault that lets the call run writes the update,
// then fails; the others write nothing.
func TestUpdateUserFaults(t *testing.T) {
	tests := []struct {
		fault   vicidialtest.Fault
		written bool
		status  int // 0: no answer
		body    string
	}{
		{vicidialtest.FaultResetBefore, false, 0, ""},
		{vicidialtest.FaultResetAfter, true, 0, ""},
		{vicidialtest.Fault500Empty, false, 500, ""},
		{vicidialtest.Fault500Success, true, 500, "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n"},
		{vicidialtest.FaultHangAfter, true, 0, ""},
		{vicidialtest.Fault502, false, 502, "Bad Gateway\n"},
	}
	for _, tt := range tests {
		t.Run(string(tt.fault), func(t *testing.T) {
			srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Faults: vicidialtest.Faults{tt.fault: 1}})
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			form := upd5555("custom_two", "faulted")
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.Endpoint(), strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			status, body := 0, ""
			if resp, err := http.DefaultClient.Do(req); err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				status, body = resp.StatusCode, string(b)
			}
			if status != tt.status || body != tt.body {
				t.Errorf("got %d %q, want %d %q", status, body, tt.status, tt.body)
			}
			a, _ := srv.Sim.Account("5555")
			if written := a.CustomTwo == "faulted"; written != tt.written {
				t.Errorf("written = %v, want %v", written, tt.written)
			}
		})
	}
}
