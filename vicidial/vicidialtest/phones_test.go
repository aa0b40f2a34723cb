package vicidialtest_test

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

const (
	server1 = "10.10.10.15"
	server2 = "10.10.10.16"
)

// phoneFixture is the default fixture plus the API users the phone right
// needs: each lacks one part of it, or has it all at level 7.
func phoneFixture() vicidialtest.Fixture {
	fx := vicidialtest.DefaultFixture()
	api := func(user string, level int) vicidialtest.Account {
		return vicidialtest.Account{User: user, Pass: "pw-" + user, FullName: "API " + user, Level: level, Group: "ADMIN",
			Active: "Y", ModifyUsers: true, APIAccess: true, ViewReports: true, AstAdminAccess: true}
	}
	noAdmin := api("noadmin", 9)
	noAdmin.AstAdminAccess = false
	noAPI := api("noapi", 9)
	noAPI.APIAccess = false
	viewer := api("viewer", 9) // sees only the phones of AGENTS (and ---ALL---)
	viewer.Group = "SUPPORT"
	fx.Accounts = append(fx.Accounts, api("api7", 7), api("nodelete", 9), noAdmin, noAPI, viewer)
	fx.Phones = append(fx.Phones,
		vicidialtest.Phone{Extension: "3001", ServerIP: server1, Login: "sales3001", UserGroup: "SALES"},
		vicidialtest.Phone{Extension: "3002", ServerIP: server1, Login: "agents3002", UserGroup: "AGENTS"})
	fx.AdminViewableGroups = map[string][]string{"SUPPORT": {"AGENTS"}}
	return fx
}

func phoneCall(user, function string, kv ...string) url.Values {
	pass := "pw-" + user
	switch user {
	case "6666":
		pass = "1234"
	case "noperm":
		pass = "noperm1"
	case "apilimited":
		pass = "apilimit1"
	case "apiuser8":
		pass = "apipass8"
	case "tmplsup":
		pass = "tmpl-tmplsup"
	}
	return call(user, pass, function, kv...)
}

// phoneFields are the fields of a valid add_phone, with kv overriding
// them.
func phoneFields(kv ...string) []string {
	base := []string{"extension", "7001", "dialplan_number", "7001", "voicemail_id", "7001", "phone_login", "agent7001",
		"phone_pass", "Ph0nePass", "server_ip", server1, "protocol", "SIP", "registration_password", "RegPass1",
		"phone_full_name", "Agent Seven", "local_gmt", "-5.00", "outbound_cid", "3125551212"}
	return append(base, kv...)
}

// newPhone is a valid add_phone for 6666, with kv overriding its fields.
func newPhone(kv ...string) url.Values { return phoneCall("6666", "add_phone", phoneFields(kv...)...) }

const addedSuccess = "SUCCESS: add_phone PHONE HAS BEEN ADDED - 6666|7001|10.10.10.15|SIP|7001\n"

// required7001 is add_phone's REQUIRED FIELDS line for newPhone with one
// value replaced.
func required7001(field, value string) string {
	vals := []string{"6666", "7001", "7001", "7001", "agent7001", "Ph0nePass", server1, "SIP", "RegPass1", "Agent Seven", "-5.00", "3125551212"}
	i := map[string]int{"extension": 1, "dialplan_number": 2, "voicemail_id": 3, "phone_login": 4, "phone_pass": 5,
		"server_ip": 6, "protocol": 7, "registration_password": 8, "phone_full_name": 9, "local_gmt": 10, "outbound_cid": 11}[field]
	vals[i] = value
	return "ERROR: add_phone YOU MUST USE ALL REQUIRED FIELDS: |" + strings.Join(vals, "|") + "\n"
}

// updPhone is an update_phone of 6666 for phone 1001 on the first server.
func updPhone(kv ...string) url.Values {
	return phoneCall("6666", "update_phone", append([]string{"extension", "1001", "server_ip", server1}, kv...)...)
}

const updatedSuccess = "SUCCESS: update_phone PHONE HAS BEEN UPDATED - 6666|1001|10.10.10.15|\n"

// phoneOf returns one column of a stored phone, for the tables below.
type phoneOf func(vicidialtest.Phone) string

var (
	phLogin    phoneOf = func(p vicidialtest.Phone) string { return p.Login }
	phName     phoneOf = func(p vicidialtest.Phone) string { return p.FullName }
	phGMT      phoneOf = func(p vicidialtest.Phone) string { return p.LocalGMT }
	phEmail    phoneOf = func(p vicidialtest.Phone) string { return p.Email }
	phVM       phoneOf = func(p vicidialtest.Phone) string { return p.VoicemailID }
	phTemplate phoneOf = func(p vicidialtest.Phone) string { return p.TemplateID }
	phActive   phoneOf = func(p vicidialtest.Phone) string { return p.Active + "/" + p.Status }
	phExt      phoneOf = func(p vicidialtest.Phone) string { return p.Extension }
	phFlags    phoneOf = func(p vicidialtest.Phone) string {
		return strings.Join([]string{p.IsWebphone, p.WebphoneAutoAnswer, p.UseExternalServerIP, p.OnHookAgent}, "/")
	}
	phStored phoneOf = func(p vicidialtest.Phone) string {
		return strings.Join([]string{p.Extension, p.DialplanNumber, p.VoicemailID, p.Login, p.Pass, p.Protocol, p.ConfSecret,
			p.FullName, p.LocalGMT, p.OutboundCID, p.PhoneContext, p.Email, p.UserGroup, p.Active, p.Status, p.InstallDirectory}, "|")
	}
)

// phoneCase is one rule of the phone contract: a request (after the
// setup requests, each of which must succeed), the exact answer, and what
// a phone holds afterwards. An ERROR or NOTICE answer, and a 500, must leave
// the whole state as it was.
type phoneCase struct {
	name   string
	setup  []url.Values
	form   url.Values
	status int // 0: 200
	want   string
	// The phone to look at afterwards; gone: it must not exist.
	ext, server string
	got         phoneOf
	stored      string
	gone        bool
	// look, when set, returns what is compared with stored instead.
	look func(*vicidialtest.Simulator) string
}

func runPhoneCases(t *testing.T, tests []phoneCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := phoneFixture()
			srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Fixture: &fx})
			for _, f := range tt.setup {
				if _, body := post(t, srv, f); !strings.HasPrefix(body, "SUCCESS") {
					t.Fatalf("setup %v: %q", f, body)
				}
			}
			before := srv.Sim.Snapshot()
			status, body := post(t, srv, tt.form)
			wantStatus := tt.status
			if wantStatus == 0 {
				wantStatus = http.StatusOK
			}
			if status != wantStatus || body != tt.want {
				t.Fatalf("got %d %q\nwant %d %q", status, body, wantStatus, tt.want)
			}
			if !strings.HasPrefix(body, "SUCCESS") {
				if after := srv.Sim.Snapshot(); !reflect.DeepEqual(before, after) {
					t.Errorf("a refused call changed the state:\nbefore %+v\nafter  %+v", before, after)
				}
			}
			if tt.look != nil {
				if got := tt.look(srv.Sim); got != tt.stored {
					t.Errorf("stored %q, want %q", got, tt.stored)
				}
			}
			if tt.ext == "" {
				return
			}
			p, found := srv.Sim.Phone(tt.ext, tt.server)
			if found == tt.gone {
				t.Fatalf("phone %s on %s exists = %v, want %v", tt.ext, tt.server, found, !tt.gone)
			}
			if tt.got != nil {
				if got := tt.got(p); got != tt.stored {
					t.Errorf("stored %q, want %q", got, tt.stored)
				}
			}
		})
	}
}

// TestAddPhoneContract pairs each rule of the contract's add_phone with a
// request and the exact answer.
func TestAddPhoneContract(t *testing.T) {
	long := func(c string, n int) string { return strings.Repeat(c, n) }
	runPhoneCases(t, []phoneCase{
		{name: "success", form: newPhone(), want: addedSuccess, ext: "7001", server: server1, got: phStored,
			stored: "7001|7001|7001|agent7001|Ph0nePass|SIP|RegPass1|Agent Seven|-5.00|3125551212|default||---ALL---|Y|ACTIVE|/usr/local/perl_TK"},
		// The common checks.
		{name: "function not allowed", form: phoneCall("apilimited", "add_phone"),
			want: "ERROR: auth USER DOES NOT HAVE PERMISSION TO USE THIS FUNCTION: |apilimited|add_phone|\n"},
		{name: "no ast_admin_access (noperm)", form: phoneCall("noperm", "add_phone"),
			want: "ERROR: add_phone USER DOES NOT HAVE PERMISSION TO ADD PHONES: |noperm|0\n"},
		{name: "no ast_admin_access at level 9", form: phoneCall("noadmin", "add_phone", phoneFields()...),
			want: "ERROR: add_phone USER DOES NOT HAVE PERMISSION TO ADD PHONES: |noadmin|0\n"},
		{name: "no API access", form: phoneCall("noapi", "add_phone"),
			want: "ERROR: add_phone USER DOES NOT HAVE PERMISSION TO ADD PHONES: |noapi|0\n"},
		{name: "level 7 with every right", form: phoneCall("api7", "add_phone"),
			want: "ERROR: add_phone USER DOES NOT HAVE PERMISSION TO ADD PHONES: |api7|0\n"},
		{name: "level 7 tmplsup", form: phoneCall("tmplsup", "add_phone"),
			want: "ERROR: add_phone USER DOES NOT HAVE PERMISSION TO ADD PHONES: |tmplsup|0\n"},
		{name: "level 8 with the right", form: phoneCall("apiuser8", "add_phone", phoneFields()...),
			want: "SUCCESS: add_phone PHONE HAS BEEN ADDED - apiuser8|7001|10.10.10.15|SIP|7001\n"},
		// Required fields, after filtering.
		{name: "extension of 1", form: newPhone("extension", "7"), want: required7001("extension", "7")},
		{name: "extension filtered to 1", form: newPhone("extension", "7!"), want: required7001("extension", "7")},
		{name: "dialplan of 1", form: newPhone("dialplan_number", "7"), want: required7001("dialplan_number", "7")},
		{name: "voicemail filtered to nothing", form: newPhone("voicemail_id", "--"), want: required7001("voicemail_id", "")},
		{name: "no login", form: newPhone("phone_login", ""), want: required7001("phone_login", "")},
		{name: "no phone_pass", form: newPhone("phone_pass", "@@"), want: required7001("phone_pass", "")},
		{name: "no server_ip", form: newPhone("server_ip", ""), want: required7001("server_ip", "")},
		{name: "protocol PJSIP", form: newPhone("protocol", "PJSIP"), want: required7001("protocol", "PJSIP")},
		{name: "protocol sip", form: newPhone("protocol", "sip"), want: required7001("protocol", "sip")},
		{name: "no registration_password", form: newPhone("registration_password", ""), want: required7001("registration_password", "")},
		{name: "name filtered to nothing", form: newPhone("phone_full_name", "é"), want: required7001("phone_full_name", "")},
		{name: "no local_gmt", form: newPhone("local_gmt", "GMT"), want: required7001("local_gmt", "")},
		{name: "outbound_cid letters only", form: newPhone("outbound_cid", "abc"), want: required7001("outbound_cid", "")},
		{name: "protocol IAX2", form: newPhone("protocol", "IAX2"), want: "SUCCESS: add_phone PHONE HAS BEEN ADDED - 6666|7001|10.10.10.15|IAX2|7001\n"},
		{name: "protocol Zap", form: newPhone("protocol", "Zap"), want: "SUCCESS: add_phone PHONE HAS BEEN ADDED - 6666|7001|10.10.10.15|Zap|7001\n"},
		{name: "protocol EXTERNAL", form: newPhone("protocol", "EXTERNAL"), want: "SUCCESS: add_phone PHONE HAS BEEN ADDED - 6666|7001|10.10.10.15|EXTERNAL|7001\n"},
		// Filtering: values are stored and echoed as filtered.
		{name: "filtering", form: newPhone("extension", "70-01!", "dialplan_number", "*70#01-", "voicemail_id", "70_01",
			"phone_login", "agent.7001", "phone_full_name", "Agent+Seven O'Neil: J/r", "server_ip", " 10.10.10.15 ", "outbound_cid", "(312) 555-1212",
			"email", "a+b@example.com", "local_gmt", "GMT-5"),
			want: "SUCCESS: add_phone PHONE HAS BEEN ADDED - 6666|70-01|10.10.10.15|SIP|*70#01\n", ext: "70-01", server: server1,
			got: func(p vicidialtest.Phone) string {
				return strings.Join([]string{p.DialplanNumber, p.VoicemailID, p.Login, p.FullName, p.OutboundCID, p.Email, p.LocalGMT}, "|")
			},
			stored: "*70#01|7001|agent7001|Agent+Seven ONeil Jr|3125551212|a b@example.com|-5"},
		// The server.
		{name: "server missing", form: newPhone("server_ip", "10.9.9.9"), want: "ERROR: add_phone SERVER DOES NOT EXIST: |6666|10.9.9.9\n"},
		// (extension, server_ip) free.
		{name: "extension taken on this server", form: newPhone("extension", "1001"),
			want: "ERROR: add_phone PHONE ALREADY EXISTS ON THIS SERVER: |6666|10.10.10.15|1001\n"},
		{name: "extension taken, other case", setup: []url.Values{newPhone("extension", "abc7")}, form: newPhone("extension", "ABC7", "phone_login", "other"),
			want: "ERROR: add_phone PHONE ALREADY EXISTS ON THIS SERVER: |6666|10.10.10.15|ABC7\n"},
		{name: "same extension on another server", form: newPhone("extension", "1002", "server_ip", server2),
			want: "SUCCESS: add_phone PHONE HAS BEEN ADDED - 6666|1002|10.10.10.16|SIP|7001\n", ext: "1002", server: server2, got: phLogin, stored: "agent7001"},
		// The login, free on every server, active or not.
		{name: "login on another server", form: newPhone("phone_login", "1001b"),
			want: "ERROR: add_phone PHONE LOGIN ALREADY EXISTS: |6666|1001b\n"},
		{name: "login of an inactive phone", form: newPhone("phone_login", "phone101"),
			want: "ERROR: add_phone PHONE LOGIN ALREADY EXISTS: |6666|phone101\n"},
		{name: "login, other case", form: newPhone("phone_login", "TMPLPHONE"),
			want: "ERROR: add_phone PHONE LOGIN ALREADY EXISTS: |6666|TMPLPHONE\n"},
		// The timezone, compared numerically.
		{name: "timezone -5", form: newPhone("local_gmt", "-5"), want: addedSuccess, ext: "7001", server: server1, got: phGMT, stored: "-5"},
		{name: "timezone +5.50", form: newPhone("local_gmt", "+5.50"), want: addedSuccess, ext: "7001", server: server1, got: phGMT, stored: "5.50"},
		{name: "timezone 12.75", form: newPhone("local_gmt", "12.75"), want: addedSuccess},
		{name: "timezone -3.5", form: newPhone("local_gmt", "-3.5"), want: addedSuccess},
		{name: "timezone -12.00", form: newPhone("local_gmt", "-12.00"), want: addedSuccess},
		{name: "timezone -5.50", form: newPhone("local_gmt", "-5.50"), want: "ERROR: add_phone YOU MUST USE A VALID TIMEZONE: |6666|-5.50\n"},
		{name: "timezone 99", form: newPhone("local_gmt", "99"), want: "ERROR: add_phone YOU MUST USE A VALID TIMEZONE: |6666|99\n"},
		{name: "timezone 13", form: newPhone("local_gmt", "13"), want: "ERROR: add_phone YOU MUST USE A VALID TIMEZONE: |6666|13\n"},
		{name: "timezone 5.5.5", form: newPhone("local_gmt", "5.5.5"), want: "ERROR: add_phone YOU MUST USE A VALID TIMEZONE: |6666|5.5.5\n"},
		// The template.
		{name: "template missing", form: newPhone("template_id", "NOPE"),
			want: "ERROR: add_phone TEMPLATE ID DOES NOT EXIST, THIS IS AN OPTIONAL FIELD: |6666|agent7001|NOPE\n"},
		{name: "template --BLANK--", form: newPhone("template_id", "--BLANK--"), want: addedSuccess, ext: "7001", server: server1, got: phTemplate, stored: ""},
		{name: "template exists", form: newPhone("template_id", "sip_GENERIC"), want: addedSuccess, ext: "7001", server: server1, got: phTemplate, stored: "sip_GENERIC"},
		// The order of the checks.
		{name: "required before the server", form: newPhone("server_ip", "10.9.9.9", "extension", "7"),
			want: "ERROR: add_phone YOU MUST USE ALL REQUIRED FIELDS: |6666|7|7001|7001|agent7001|Ph0nePass|10.9.9.9|SIP|RegPass1|Agent Seven|-5.00|3125551212\n"},
		{name: "server before the extension", form: newPhone("server_ip", "10.9.9.9", "extension", "1001"),
			want: "ERROR: add_phone SERVER DOES NOT EXIST: |6666|10.9.9.9\n"},
		{name: "extension before the login", form: newPhone("extension", "1001", "phone_login", "1002"),
			want: "ERROR: add_phone PHONE ALREADY EXISTS ON THIS SERVER: |6666|10.10.10.15|1001\n"},
		{name: "login before the timezone", form: newPhone("phone_login", "1002", "local_gmt", "99"),
			want: "ERROR: add_phone PHONE LOGIN ALREADY EXISTS: |6666|1002\n"},
		{name: "timezone before the template", form: newPhone("local_gmt", "99", "template_id", "NOPE"),
			want: "ERROR: add_phone YOU MUST USE A VALID TIMEZONE: |6666|99\n"},
		// Optional fields and defaults.
		{name: "optional fields", form: newPhone("phone_context", "agents-ctx", "email", "agent@example.com", "admin_user_group", "NOSUCHGROUP"),
			want: addedSuccess, ext: "7001", server: server1,
			got:    func(p vicidialtest.Phone) string { return p.PhoneContext + "|" + p.Email + "|" + p.UserGroup },
			stored: "agents-ctx|agent@example.com|NOSUCHGROUP"},
		{name: "flag defaults", form: newPhone(), want: addedSuccess, ext: "7001", server: server1, got: phFlags, stored: "N/Y/N/N"},
		{name: "flags in any case", form: newPhone("is_webphone", "y_api_launch", "webphone_auto_answer", "n", "use_external_server_ip", "y", "on_hook_agent", "Y"),
			want: addedSuccess, ext: "7001", server: server1, got: phFlags, stored: "Y_API_LAUNCH/N/Y/Y"},
		{name: "other flag values ignored", form: newPhone("is_webphone", "yes", "webphone_auto_answer", "maybe"),
			want: addedSuccess, ext: "7001", server: server1, got: phFlags, stored: "N/Y/N/N"},
		// No maximum on add: the database cuts, and the duplicate checks see
		// the uncut value.
		{name: "cut lengths, echoed uncut", form: newPhone("extension", long("e", 101), "dialplan_number", long("9", 21),
			"voicemail_id", long("8", 11), "phone_login", long("l", 16), "phone_full_name", long("n", 51), "outbound_cid", long("3", 21),
			"phone_context", long("c", 21), "email", long("m", 101)),
			want: "SUCCESS: add_phone PHONE HAS BEEN ADDED - 6666|" + long("e", 101) + "|10.10.10.15|SIP|" + long("9", 21) + "\n",
			ext:  long("e", 100), server: server1,
			got: func(p vicidialtest.Phone) string {
				return strings.Join([]string{p.DialplanNumber, p.VoicemailID, p.Login, p.FullName, p.OutboundCID, p.PhoneContext, p.Email}, "|")
			},
			stored: strings.Join([]string{long("9", 20), long("8", 10), long("l", 15), long("n", 50), long("3", 20), long("c", 20), long("m", 100)}, "|")},
		{name: "a 16-character login cut to 15 duplicates a login", setup: []url.Values{newPhone("extension", "7002", "phone_login", long("l", 15))},
			form: newPhone("phone_login", long("l", 16)), want: addedSuccess, ext: "7001", server: server1, got: phLogin, stored: long("l", 15)},
		// HTTP 500, empty body, nothing written.
		{name: "apostrophe in the email", form: newPhone("email", "o'neil@example.com"), status: http.StatusInternalServerError,
			ext: "7001", server: server1, gone: true},
		{name: "extension equal to another in its first 100", setup: []url.Values{newPhone("extension", long("e", 100), "phone_login", "first")},
			form: newPhone("extension", long("e", 100)+"x"), status: http.StatusInternalServerError},
	})
}

// TestAddPhoneSideEffects: a phone sets its server's rebuild flag (when the
// server generates its configuration) and writes an admin-log row; no
// voicemail box, no other server.
func TestAddPhoneSideEffects(t *testing.T) {
	fx := phoneFixture()
	fx.Servers = []vicidialtest.PhoneServer{{ServerIP: server1}, {ServerIP: server2, GenerateConf: "N"}}
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Fixture: &fx})
	post(t, srv, newPhone())
	post(t, srv, newPhone("extension", "7002", "phone_login", "agent7002", "server_ip", server2))
	got := srv.Sim.Servers()
	if got[0].RebuildConfFiles != "Y" || got[1].RebuildConfFiles != "N" {
		t.Errorf("servers %+v: want the rebuild flag on the first only (the second generates no conf)", got)
	}
	log := srv.Sim.AdminLog()
	want := []vicidialtest.AdminLogEntry{{User: "6666", Section: "PHONES", Event: "ADD", RecordID: "7001", ServerIP: server1},
		{User: "6666", Section: "PHONES", Event: "ADD", RecordID: "7002", ServerIP: server2}}
	if !reflect.DeepEqual(log, want) {
		t.Errorf("admin log %+v\nwant %+v", log, want)
	}
}

// TestUpdatePhoneContract pairs each rule of the contract's update_phone
// with a request and the exact answer.
func TestUpdatePhoneContract(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	runPhoneCases(t, []phoneCase{
		{name: "only the phone: a success that writes", form: updPhone(), want: updatedSuccess,
			ext: "1001", server: server1, got: func(p vicidialtest.Phone) string { return p.InstallDirectory }, stored: ""},
		// The common checks and the phone.
		{name: "function not allowed", form: phoneCall("apilimited", "update_phone"),
			want: "ERROR: auth USER DOES NOT HAVE PERMISSION TO USE THIS FUNCTION: |apilimited|update_phone|\n"},
		{name: "no permission", form: phoneCall("noperm", "update_phone", "extension", "1001", "server_ip", server1),
			want: "ERROR: update_phone USER DOES NOT HAVE PERMISSION TO UPDATE PHONES: |noperm|0\n"},
		{name: "level 7", form: phoneCall("api7", "update_phone", "extension", "1001", "server_ip", server1),
			want: "ERROR: update_phone USER DOES NOT HAVE PERMISSION TO UPDATE PHONES: |api7|0\n"},
		{name: "extension of 1", form: updPhone("extension", "1"),
			want: "ERROR: update_phone YOU MUST USE ALL REQUIRED FIELDS: |6666|1|10.10.10.15\n"},
		{name: "no server_ip", form: updPhone("server_ip", ""),
			want: "ERROR: update_phone YOU MUST USE ALL REQUIRED FIELDS: |6666|1001|\n"},
		{name: "server missing", form: updPhone("server_ip", "10.9.9.9"),
			want: "ERROR: update_phone SERVER DOES NOT EXIST: |6666|10.9.9.9\n"},
		{name: "phone missing on this server", form: updPhone("extension", "1002", "server_ip", server2),
			want: "ERROR: update_phone PHONE DOES NOT EXIST ON THIS SERVER: |6666|10.10.10.16|1002\n"},
		{name: "phone of a group the API user may not see", form: phoneCall("viewer", "update_phone", "extension", "3001", "server_ip", server1),
			want: "ERROR: update_phone PHONE DOES NOT EXIST ON THIS SERVER: |viewer|10.10.10.15|3001\n"},
		{name: "phone of a group the API user sees", form: phoneCall("viewer", "update_phone", "extension", "3002", "server_ip", server1),
			want: "SUCCESS: update_phone PHONE HAS BEEN UPDATED - viewer|3002|10.10.10.15|\n"},
		{name: "phone of ---ALL--- seen by all", form: phoneCall("viewer", "update_phone", "extension", "1001", "server_ip", server1),
			want: "SUCCESS: update_phone PHONE HAS BEEN UPDATED - viewer|1001|10.10.10.15|\n"},
		{name: "lookup without case", setup: []url.Values{newPhone("extension", "abc7")}, form: updPhone("extension", "ABC7"),
			want: "SUCCESS: update_phone PHONE HAS BEEN UPDATED - 6666|ABC7|10.10.10.15|\n"},
		// delete_phone.
		{name: "delete without ast_delete_phones", form: phoneCall("nodelete", "update_phone", "extension", "1001", "server_ip", server1, "delete_phone", "Y"),
			want: "NOTICE: update_phone USER DOES NOT HAVE PERMISSION TO DELETE PHONES: |nodelete|0\n"},
		{name: "delete ignores the other fields", form: updPhone("delete_phone", "Yes", "local_gmt", "99"),
			want: "SUCCESS: update_phone PHONE HAS BEEN DELETED - 6666|1001|10.10.10.15|\n", ext: "1001", server: server1, gone: true},
		{name: "delete_phone y is no delete", form: updPhone("delete_phone", "y"), want: updatedSuccess, ext: "1001", server: server1},
		// The fields, in order.
		{name: "local_gmt", form: updPhone("local_gmt", "99"), want: "ERROR: update_phone YOU MUST USE A VALID TIMEZONE: |6666|99\n"},
		{name: "local_gmt +5.50", form: updPhone("local_gmt", "+5.50"), want: updatedSuccess, ext: "1001", server: server1, got: phGMT, stored: "5.50"},
		{name: "email of 4", form: updPhone("email", "a@bc"), want: "ERROR: update_phone YOU MUST USE A VALID EMAIL: |6666|a@bc\n"},
		{name: "email of 301", form: updPhone("email", long(301)), want: "ERROR: update_phone YOU MUST USE A VALID EMAIL: |6666|" + long(301) + "\n"},
		{name: "email of 300 cut to 100", form: updPhone("email", long(300)), want: updatedSuccess, ext: "1001", server: server1, got: phEmail, stored: long(100)},
		{name: "email --BLANK--", setup: []url.Values{updPhone("email", "x@example.com")}, form: updPhone("email", "--BLANK--"),
			want: updatedSuccess, ext: "1001", server: server1, got: phEmail, stored: ""},
		{name: "phone_context of 1", form: updPhone("phone_context", "x"), want: "ERROR: update_phone YOU MUST USE A VALID PHONE CONTEXT: |6666|x\n"},
		{name: "phone_context of 31", form: updPhone("phone_context", long(31)), want: "ERROR: update_phone YOU MUST USE A VALID PHONE CONTEXT: |6666|" + long(31) + "\n"},
		{name: "phone_full_name of 31", form: updPhone("phone_full_name", long(31)), want: "ERROR: update_phone YOU MUST USE A VALID PHONE NAME: |6666|" + long(31) + "\n"},
		{name: "phone_full_name", form: updPhone("phone_full_name", "New Name"), want: updatedSuccess, ext: "1001", server: server1, got: phName, stored: "New Name"},
		{name: "phone_full_name --BLANK--", form: updPhone("phone_full_name", "--BLANK--"), want: updatedSuccess, ext: "1001", server: server1, got: phName, stored: ""},
		{name: "registration_password of 1", form: updPhone("registration_password", "x"), want: "ERROR: update_phone YOU MUST USE A VALID REGISTRATION PASSWORD: |6666|x\n"},
		{name: "protocol PJSIP", form: updPhone("protocol", "PJSIP"), want: "ERROR: update_phone YOU MUST USE A VALID PROTOCOL: |6666|PJSIP\n"},
		{name: "phone_pass of 1", form: updPhone("phone_pass", "x"), want: "ERROR: update_phone YOU MUST USE A VALID PHONE PASSWORD: |6666|x\n"},
		{name: "phone_pass of 31", form: updPhone("phone_pass", long(31)), want: "ERROR: update_phone YOU MUST USE A VALID PHONE PASSWORD: |6666|" + long(31) + "\n"},
		{name: "login of another extension on another server", form: phoneCall("6666", "update_phone", "extension", "1002", "server_ip", server1, "phone_login", "1001b"),
			want: "ERROR: update_phone LOGIN ALREADY EXISTS: |6666|1001b\n"},
		{name: "login of the same server's phone is accepted", form: updPhone("phone_login", "1002"),
			want: updatedSuccess, ext: "1001", server: server1, got: phLogin, stored: "1002"},
		{name: "login of the same extension on another server is accepted", form: updPhone("phone_login", "1001b"),
			want: updatedSuccess, ext: "1001", server: server1, got: phLogin, stored: "1001b"},
		{name: "voicemail of 1", form: updPhone("voicemail_id", "7"), want: "ERROR: update_phone YOU MUST USE A VALID VOICEMAIL NUMBER: |6666|7\n"},
		{name: "voicemail --BLANK-- stores BLANK", form: updPhone("voicemail_id", "--BLANK--"), want: updatedSuccess, ext: "1001", server: server1, got: phVM, stored: "BLANK"},
		{name: "dialplan of 2", form: updPhone("dialplan_number", "12"), want: "ERROR: update_phone YOU MUST USE A VALID DIALPLAN NUMBER: |6666|12\n"},
		{name: "active X", form: updPhone("active", "X"), want: "ERROR: update_phone ACTIVE MUST BE Y OR N, THIS IS AN OPTIONAL FIELD: |6666|X\n"},
		{name: "active N deactivates, status stays", form: updPhone("active", "N"), want: updatedSuccess, ext: "1001", server: server1, got: phActive, stored: "N/ACTIVE"},
		{name: "active Y reactivates", setup: []url.Values{updPhone("active", "N")}, form: updPhone("active", "Yes"),
			want: updatedSuccess, ext: "1001", server: server1, got: phActive, stored: "Y/ACTIVE"},
		{name: "outbound_cid of 5", form: updPhone("outbound_cid", "12345"), want: "ERROR: update_phone OUTBOUND CID MUST BE FROM 6 TO 18 DIGITS, THIS IS AN OPTIONAL FIELD: |6666|12345\n"},
		{name: "admin_user_group of 1", form: updPhone("admin_user_group", "A"), want: "ERROR: update_phone USER GROUP MUST BE FROM 2 TO 20 CHARACTERS, THIS IS AN OPTIONAL FIELD: |6666|A\n"},
		{name: "admin_user_group unchecked", form: updPhone("admin_user_group", "NOSUCHGROUP"), want: updatedSuccess,
			ext: "1001", server: server1, got: func(p vicidialtest.Phone) string { return p.UserGroup }, stored: "NOSUCHGROUP"},
		{name: "outbound_alt_cid of 19", form: updPhone("outbound_alt_cid", strings.Repeat("1", 19)),
			want: "ERROR: update_phone OUTBOUND ALT CID MUST BE FROM 6 TO 18 DIGITS, THIS IS AN OPTIONAL FIELD: |6666|" + strings.Repeat("1", 19) + "\n"},
		{name: "ring timeout echoes outbound_alt_cid", form: updPhone("phone_ring_timeout", "181", "outbound_alt_cid", "3125550000"),
			want: "ERROR: update_phone PHONE RING TIMEOUT MUST BE FROM 2 TO 180 SECONDS, THIS IS AN OPTIONAL FIELD: |6666|3125550000\n"},
		{name: "ring timeout without outbound_alt_cid", form: updPhone("phone_ring_timeout", "1"),
			want: "ERROR: update_phone PHONE RING TIMEOUT MUST BE FROM 2 TO 180 SECONDS, THIS IS AN OPTIONAL FIELD: |6666|\n"},
		{name: "delete_vm_after_email y", form: updPhone("delete_vm_after_email", "y"),
			want: "ERROR: update_phone DELETE VOICEMAIL AFTER EMAIL MUST BE Y OR N, THIS IS AN OPTIONAL FIELD: |6666|y\n"},
		{name: "flags", form: updPhone("is_webphone", "Y", "on_hook_agent", "y", "webphone_auto_answer", "maybe"), want: updatedSuccess,
			ext: "1001", server: server1, got: phFlags, stored: "Y/Y/N/Y"},
		{name: "template missing", form: updPhone("template_id", "NOPE", "phone_login", "1001"),
			want: "ERROR: update_phone TEMPLATE ID DOES NOT EXIST, THIS IS AN OPTIONAL FIELD: |6666|1001|NOPE\n"},
		{name: "template missing, no login", form: updPhone("template_id", "NOPE"),
			want: "ERROR: update_phone TEMPLATE ID DOES NOT EXIST, THIS IS AN OPTIONAL FIELD: |6666||NOPE\n"},
		{name: "template --BLANK--", setup: []url.Values{updPhone("template_id", "SIP_generic")}, form: updPhone("template_id", "--BLANK--"),
			want: updatedSuccess, ext: "1001", server: server1, got: phTemplate, stored: ""},
		{name: "the first invalid field in the server's order answers", form: updPhone("active", "X", "dialplan_number", "1", "local_gmt", "99"),
			want: "ERROR: update_phone YOU MUST USE A VALID TIMEZONE: |6666|99\n"},
		{name: "a valid field is not written when a later one is invalid", form: updPhone("phone_full_name", "Changed", "active", "X"),
			want: "ERROR: update_phone ACTIVE MUST BE Y OR N, THIS IS AN OPTIONAL FIELD: |6666|X\n", ext: "1001", server: server1, got: phName, stored: "Desk 1001"},
		{name: "cut lengths", form: updPhone("voicemail_id", strings.Repeat("8", 30), "dialplan_number", strings.Repeat("9", 30),
			"phone_login", strings.Repeat("l", 30), "phone_context", strings.Repeat("c", 30)),
			want: updatedSuccess, ext: "1001", server: server1,
			got: func(p vicidialtest.Phone) string {
				return p.VoicemailID + "|" + p.DialplanNumber + "|" + p.Login + "|" + p.PhoneContext
			},
			stored: strings.Repeat("8", 10) + "|" + strings.Repeat("9", 20) + "|" + strings.Repeat("l", 15) + "|" + strings.Repeat("c", 20)},
		// HTTP 500, empty body, nothing written.
		{name: "apostrophe in the email", form: updPhone("email", "o'neil@example.com", "phone_full_name", "Changed"),
			status: http.StatusInternalServerError, ext: "1001", server: server1, got: phName, stored: "Desk 1001"},
		{name: "a field error before the apostrophe's 500", form: updPhone("email", "o'neil@example.com", "active", "X"),
			want: "ERROR: update_phone ACTIVE MUST BE Y OR N, THIS IS AN OPTIONAL FIELD: |6666|X\n"},
	})
}

// TestUpdatePhoneSideEffects: every success, even with no field given,
// empties install_directory, sets the rebuild flag and writes an
// admin-log row; an error writes none of them.
func TestUpdatePhoneSideEffects(t *testing.T) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	before := srv.Sim.Snapshot()
	if before.Servers[0].RebuildConfFiles != "N" || len(before.AdminLog) != 0 {
		t.Fatalf("fixture state %+v", before.Servers)
	}
	if p, _ := srv.Sim.Phone("1001", server1); p.InstallDirectory != "/usr/local/perl_TK" {
		t.Fatalf("fixture install_directory %q", p.InstallDirectory)
	}
	post(t, srv, updPhone("active", "X"))
	if after := srv.Sim.Snapshot(); !reflect.DeepEqual(before, after) {
		t.Errorf("an error wrote: %+v", after)
	}
	if _, body := post(t, srv, updPhone()); body != updatedSuccess {
		t.Fatal(body)
	}
	after := srv.Sim.Snapshot()
	if after.Servers[0].RebuildConfFiles != "Y" || after.Servers[1].RebuildConfFiles != "N" {
		t.Errorf("servers %+v: want the phone's server flagged for a rebuild", after.Servers)
	}
	if want := []vicidialtest.AdminLogEntry{{User: "6666", Section: "PHONES", Event: "MODIFY", RecordID: "1001", ServerIP: server1}}; !reflect.DeepEqual(after.AdminLog, want) {
		t.Errorf("admin log %+v, want %+v", after.AdminLog, want)
	}
	p, _ := srv.Sim.Phone("1001", server1)
	if p.InstallDirectory != "" {
		t.Errorf("install_directory %q, want it emptied", p.InstallDirectory)
	}
	// Nothing else changed.
	p.InstallDirectory = "/usr/local/perl_TK"
	if want, _ := vicidialtestPhone(before, "1001", server1); !reflect.DeepEqual(p, want) {
		t.Errorf("phone %+v\nwant %+v", p, want)
	}
}

func vicidialtestPhone(st vicidialtest.State, ext, server string) (vicidialtest.Phone, bool) {
	for _, p := range st.Phones {
		if p.Extension == ext && p.ServerIP == server {
			return p, true
		}
	}
	return vicidialtest.Phone{}, false
}

func alias(function string, kv ...string) url.Values { return phoneCall("6666", function, kv...) }

// TestPhoneAliasContract pairs each rule of the contract's aliases with a
// request and the exact answer.
func TestPhoneAliasContract(t *testing.T) {
	aliasOf := func(id string) func(*vicidialtest.Simulator) string {
		return func(sim *vicidialtest.Simulator) string {
			for _, a := range sim.PhoneAliases() {
				if strings.EqualFold(a.AliasID, id) {
					return a.AliasID + "|" + a.AliasName + "|" + strings.Join(a.Logins, ",") + "|" + a.UserGroup
				}
			}
			return "gone"
		}
	}
	add := func(kv ...string) url.Values {
		return alias("add_phone_alias", append([]string{"alias_id", "ALIAS2", "alias_name", "Alias Two", "phone_logins", "1003,1004"}, kv...)...)
	}
	upd := func(kv ...string) url.Values {
		return alias("update_phone_alias", append([]string{"alias_id", "ALIAS1"}, kv...)...)
	}
	runPhoneCases(t, []phoneCase{
		{name: "add", form: add(), want: "SUCCESS: add_phone_alias PHONE ALIAS HAS BEEN ADDED - 6666|ALIAS2|Alias Two|1003,1004\n",
			look: aliasOf("ALIAS2"), stored: "ALIAS2|Alias Two|1003,1004|---ALL---"},
		{name: "add, logins of inactive phones and filtering", form: add("phone_logins", "phone101, 1003!", "alias_name", "Alias: Two/B @x"),
			want: "SUCCESS: add_phone_alias PHONE ALIAS HAS BEEN ADDED - 6666|ALIAS2|Alias: Two/B @x|phone101,1003\n",
			look: aliasOf("ALIAS2"), stored: "ALIAS2|Alias: Two/B @x|phone101,1003|---ALL---"},
		{name: "add without permission", form: phoneCall("noperm", "add_phone_alias"),
			want: "ERROR: add_phone_alias USER DOES NOT HAVE PERMISSION TO ADD PHONE ALIASES: |noperm|0\n"},
		{name: "add, alias_id of 1", form: add("alias_id", "A"),
			want: "ERROR: add_phone_alias YOU MUST USE ALL REQUIRED FIELDS: |6666|A|Alias Two|1003,1004\n"},
		{name: "add, logins of 1", form: add("phone_logins", "x"),
			want: "ERROR: add_phone_alias YOU MUST USE ALL REQUIRED FIELDS: |6666|ALIAS2|Alias Two|x\n"},
		{name: "add, no name", form: add("alias_name", ""),
			want: "ERROR: add_phone_alias YOU MUST USE ALL REQUIRED FIELDS: |6666|ALIAS2||1003,1004\n"},
		{name: "add, exists (other case)", form: add("alias_id", "alias1"),
			want: "ERROR: add_phone_alias PHONE ALIAS ALREADY EXISTS: |6666|alias1\n"},
		{name: "add, a login is no phone's", form: add("phone_logins", "1003,nophone,1004"),
			want: "ERROR: add_phone_alias PHONE DOES NOT EXIST: |6666|nophone\n"},
		{name: "add, an empty element", form: add("phone_logins", "1003,,1004"),
			want: "ERROR: add_phone_alias PHONE DOES NOT EXIST: |6666|\n"},
		{name: "add, alias_id equal to another in its first 20", setup: []url.Values{add("alias_id", strings.Repeat("A", 20))},
			form: add("alias_id", strings.Repeat("A", 20)+"B"), status: http.StatusInternalServerError},
		{name: "update the name", form: upd("alias_name", "Renamed"), want: "SUCCESS: update_phone_alias PHONE ALIAS HAS BEEN UPDATED - 6666|ALIAS1|\n",
			look: aliasOf("ALIAS1"), stored: "ALIAS1|Renamed|1001,1002|---ALL---"},
		{name: "update replaces the logins", form: upd("phone_logins", "1005,phone101"), want: "SUCCESS: update_phone_alias PHONE ALIAS HAS BEEN UPDATED - 6666|ALIAS1|\n",
			look: aliasOf("ALIAS1"), stored: "ALIAS1|Alias One|1005,phone101|---ALL---"},
		{name: "update without permission", form: phoneCall("noperm", "update_phone_alias", "alias_id", "ALIAS1", "alias_name", "x"),
			want: "ERROR: update_phone_alias USER DOES NOT HAVE PERMISSION TO UPDATE PHONE ALIASES: |noperm|0\n"},
		{name: "update, nothing given", form: upd(),
			want: "ERROR: update_phone_alias YOU MUST USE ALL REQUIRED FIELDS: |6666|ALIAS1||\n"},
		{name: "update, alias_id of 1", form: upd("alias_id", "A", "alias_name", "xy"),
			want: "ERROR: update_phone_alias YOU MUST USE ALL REQUIRED FIELDS: |6666|A|xy|\n"},
		{name: "update, missing alias", form: upd("alias_id", "NOALIAS", "alias_name", "xy"),
			want: "ERROR: update_phone_alias PHONE ALIAS DOES NOT EXIST: |6666|NOALIAS\n"},
		{name: "update, name of 1", form: upd("alias_name", "X"),
			want: "ERROR: update_phone_alias YOU MUST USE A VALID ALIAS NAME: |6666|X\n"},
		{name: "update, name of 51", form: upd("alias_name", strings.Repeat("n", 51)),
			want: "ERROR: update_phone_alias YOU MUST USE A VALID ALIAS NAME: |6666|" + strings.Repeat("n", 51) + "\n"},
		{name: "update, a login is no phone's", form: upd("alias_name", "Renamed", "phone_logins", "1003,nophone"),
			want: "ERROR: update_phone_alias PHONE DOES NOT EXIST: |6666|nophone\n", look: aliasOf("ALIAS1"), stored: "ALIAS1|Alias One|1001,1002|---ALL---"},
		{name: "update, delete_alias=N alone", form: upd("delete_alias", "N"),
			want: "NOTICE: update_phone_alias NO UPDATES DEFINED: |6666|\n"},
		{name: "update deletes", form: upd("delete_alias", "Y", "alias_name", "X"),
			want: "SUCCESS: update_phone_alias PHONE ALIAS HAS BEEN DELETED - 6666|ALIAS1\n", look: aliasOf("ALIAS1"), stored: "gone"},
		{name: "update deletes without the right", form: phoneCall("nodelete", "update_phone_alias", "alias_id", "ALIAS1", "delete_alias", "Y"),
			want: "NOTICE: update_phone_alias USER DOES NOT HAVE PERMISSION TO DELETE PHONE ALIASES: |nodelete|0\n"},
	})
}

// TestUsersPhoneLogin: add_user stores any phone_login; update_user needs
// the login of a phone (active or not) or a phone alias, including a phone
// add_phone just made; deleting a phone leaves the account pointing at it.
func TestUsersPhoneLogin(t *testing.T) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	if _, body := post(t, srv, admin("add_user", "agent_user", "pl1", "agent_pass", "pw", "agent_user_level", "1",
		"agent_full_name", "N", "agent_user_group", "AGENTS", "phone_login", "nophone")); !strings.HasPrefix(body, "SUCCESS") {
		t.Fatal(body)
	}
	if a, _ := srv.Sim.Account("pl1"); a.PhoneLogin != "nophone" {
		t.Errorf("add_user stored phone_login %q", a.PhoneLogin)
	}
	for _, tt := range []struct{ login, want string }{
		{"phone101", "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|pl1|\n"}, // inactive phone
		{"alias1", "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|pl1|\n"},   // alias, other case
		{"agent7001", "ERROR: update_user YOU MUST USE A VALID PHONE LOGIN, THIS IS AN OPTIONAL FIELD: |6666|agent7001|0|0\n"},
	} {
		if _, body := post(t, srv, admin("update_user", "agent_user", "pl1", "phone_login", tt.login)); body != tt.want {
			t.Errorf("phone_login %s: %q, want %q", tt.login, body, tt.want)
		}
	}
	post(t, srv, newPhone())
	if _, body := post(t, srv, admin("update_user", "agent_user", "pl1", "phone_login", "agent7001")); body != "SUCCESS: update_user USER HAS BEEN UPDATED - 6666|pl1|\n" {
		t.Errorf("the login of a phone just added: %q", body)
	}
	post(t, srv, phoneCall("6666", "update_phone", "extension", "7001", "server_ip", server1, "delete_phone", "Y"))
	if a, _ := srv.Sim.Account("pl1"); a.PhoneLogin != "agent7001" {
		t.Errorf("after the phone's deletion the account has phone_login %q, want it left", a.PhoneLogin)
	}
}

// TestCopyUserCopiesRights: an account copied from a level-8 API user (a
// template with "modify users" and API access) can update users, as on a
// real server, and keeps the template's hotkeys_active (0, the column's
// default, which the fixture did not spell out).
func TestCopyUserCopiesRights(t *testing.T) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	if _, body := post(t, srv, admin("copy_user", "agent_user", "api8copy", "agent_pass", "copypw1", "agent_full_name", "API Copy",
		"source_user", "apiuser8")); !strings.HasPrefix(body, "SUCCESS") {
		t.Fatal(body)
	}
	if _, body := post(t, srv, call("api8copy", "copypw1", "update_user", "agent_user", "5555", "custom_two", "by the copy")); body !=
		"SUCCESS: update_user USER HAS BEEN UPDATED - api8copy|5555|\n" {
		t.Errorf("the copy of apiuser8 updating 5555: %q", body)
	}
	got, _ := srv.Sim.Account("api8copy")
	tmpl, _ := srv.Sim.Account("apiuser8")
	if got.HotkeysActive != "0" {
		t.Errorf("hotkeys_active %q, want the template's 0", got.HotkeysActive)
	}
	got.User, got.Pass, got.FullName = tmpl.User, tmpl.Pass, tmpl.FullName
	if !reflect.DeepEqual(got, tmpl) {
		t.Errorf("copy %+v\nwant every setting of the template %+v", got, tmpl)
	}
}

func TestPhonesCSV(t *testing.T) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	get := func() [][]string {
		t.Helper()
		resp, err := http.Get(srv.URL + vicidialtest.PhonesPath)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		b, _ := io.ReadAll(resp.Body)
		for _, secret := range []string{"Ph0nePass", "RegPass1", "pw-1001"} {
			if strings.Contains(string(b), secret) {
				t.Errorf("password %q in the phones CSV", secret)
			}
		}
		recs, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	recs := get()
	const header = "extension,server_ip,login,fullname,dialplan_number,voicemail_id,protocol,local_gmt,outbound_cid,outbound_alt_cid," +
		"phone_context,email,user_group,active,status,is_webphone,webphone_auto_answer,use_external_server_ip,on_hook_agent,template_id," +
		"phone_ring_timeout,delete_vm_after_email,install_directory"
	if got := strings.Join(recs[0], ","); got != header {
		t.Errorf("header\n got %s\nwant %s", got, header)
	}
	if len(recs) != 1+len(vicidialtest.DefaultFixture().Phones) {
		t.Errorf("%d records, want a header and one per phone", len(recs))
	}
	post(t, srv, newPhone("email", "agent@example.com"))
	post(t, srv, phoneCall("6666", "update_phone", "extension", "7001", "server_ip", server1, "active", "N"))
	var row string
	for _, r := range get()[1:] {
		if r[0] == "7001" {
			row = strings.Join(r, ",")
		}
	}
	if want := "7001,10.10.10.15,agent7001,Agent Seven,7001,7001,SIP,-5.00,3125551212,,default,agent@example.com,---ALL---,N,ACTIVE,N,Y,N,N,,60,N,"; row != want {
		t.Errorf("row\n got %s\nwant %s", row, want)
	}
}

func TestLoadFixturePhones(t *testing.T) {
	fx, err := vicidialtest.LoadFixture("testdata/fixture_phones.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Fixture: &fx})
	got := srv.Sim.Phones()
	if len(got) != 2 || got[0].Extension != "labphone" || got[0].ServerIP != "192.168.1.10" || got[0].Login != "labphone" ||
		got[1].Extension != "2001" || got[1].Login != "lab2001" || got[1].ServerIP != "192.168.1.11" || got[1].Active != "N" {
		t.Errorf("phones %+v", got)
	}
	if a := srv.Sim.PhoneAliases(); len(a) != 2 || a[0].AliasID != "LABALIAS" || strings.Join(a[1].Logins, ",") != "labphone,lab2001" {
		t.Errorf("aliases %+v", a)
	}
	if _, body := post(t, srv, call("labadmin", "labpass9", "add_phone", "extension", "2001", "dialplan_number", "2001",
		"voicemail_id", "2001", "phone_login", "new2001", "phone_pass", "pw", "server_ip", "192.168.1.10", "protocol", "SIP",
		"registration_password", "pw", "phone_full_name", "Lab", "local_gmt", "1", "outbound_cid", "1", "template_id", "LABTMPL")); body !=
		"SUCCESS: add_phone PHONE HAS BEEN ADDED - labadmin|2001|192.168.1.10|SIP|2001\n" {
		t.Errorf("add_phone on the fixture: %q", body)
	}
	// A fixture without servers has the default ones; an empty list none.
	fx = vicidialtest.Fixture{Accounts: fx.Accounts, Servers: []vicidialtest.PhoneServer{}}
	srv = vicidialtest.NewTestServer(t, vicidialtest.Options{Fixture: &fx})
	if len(srv.Sim.Servers()) != 0 {
		t.Errorf("servers %+v, want none", srv.Sim.Servers())
	}
	fx.Servers = nil
	srv = vicidialtest.NewTestServer(t, vicidialtest.Options{Fixture: &fx})
	if got := srv.Sim.Servers(); len(got) != 2 || got[0].ServerIP != server1 || got[0].GenerateConf != "Y" {
		t.Errorf("servers %+v, want the default two", got)
	}
}

// TestPhoneFaults: faults reach the phone functions like the other
// writing calls: a fault that lets the call run writes the phone.
func TestPhoneFaults(t *testing.T) {
	tests := []struct {
		fault   vicidialtest.Fault
		written bool
		status  int
		body    string
	}{
		{vicidialtest.FaultResetBefore, false, 0, ""},
		{vicidialtest.FaultResetAfter, true, 0, ""},
		{vicidialtest.Fault500Empty, false, 500, ""},
		{vicidialtest.Fault500Success, true, 500, addedSuccess},
		{vicidialtest.Fault502, false, 502, "Bad Gateway\n"},
	}
	for _, tt := range tests {
		t.Run(string(tt.fault), func(t *testing.T) {
			srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Faults: vicidialtest.Faults{tt.fault: 1}})
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.Endpoint(), strings.NewReader(newPhone().Encode()))
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
			if _, written := srv.Sim.Phone("7001", server1); written != tt.written {
				t.Errorf("written = %v, want %v", written, tt.written)
			}
		})
	}
}
