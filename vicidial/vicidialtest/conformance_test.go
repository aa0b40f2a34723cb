package vicidialtest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
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
			"ERROR: update_user USER DOES NOT HAVE PERMISSION TO UPDATE THIS USER: |apiuser8|tmpladmin|<=|8\n"},
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
}

func TestUsersCSV(t *testing.T) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	resp, err := http.Get(srv.URL + vicidialtest.UsersPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if !strings.HasPrefix(lines[0], "user,full_name,user_level,user_group,") || !strings.Contains(lines[0], "closer_campaigns") {
		t.Errorf("header %q", lines[0])
	}
	if len(lines) != 1+len(vicidialtest.DefaultFixture().Accounts) {
		t.Errorf("%d lines, want a header and one per account", len(lines))
	}
	if strings.Contains(string(b), "1234") || strings.Contains(string(b), "tmplphonepass") {
		t.Error("passwords in the users CSV")
	}
	if !strings.Contains(string(b), "5555,Template Agent,1,AGENTS,Y,tmplphone,") {
		t.Errorf("template row missing:\n%s", b)
	}
}

func TestLoadFixture(t *testing.T) {
	fx, err := vicidialtest.LoadFixture("testdata/fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Fixture: &fx})
	if _, body := post(t, srv, call("labadmin", "labpass9", "user_details", "agent_user", "labtmpl")); body != "labtmpl|Lab Template|LAB|1|Y\n" {
		t.Errorf("fixture user_details: %q", body)
	}
	if _, err := vicidialtest.LoadFixture("testdata/nope.json"); err == nil || !strings.Contains(err.Error(), "nope.json") {
		t.Errorf("missing fixture error %v should name the file", err)
	}
}
