package vicidial_test

import (
	"strings"
	"testing"

	"github.com/vicionboard/vicionboard/vicidial"
)

// validPhone is an add_phone request with no problem.
func validPhone() vicidial.AddPhoneRequest {
	return vicidial.AddPhoneRequest{Extension: "7001", DialplanNumber: "7001", VoicemailID: "7001", PhoneLogin: "agent7001",
		PhonePass: "Ph0nePass", ServerIP: "10.10.10.15", Protocol: "SIP", RegistrationPassword: "RegPass1",
		FullName: "Agent Seven", LocalGMT: "-5.00", OutboundCID: "3125551212"}
}

// problemsText is a request's problems, one "field: message" a line.
func problemsText(ps []vicidial.FieldProblem) string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// checkProblems compares problems with the fields and message parts
// wanted: want holds "field: part of the message" ("" for no problem).
func checkProblems(t *testing.T, ps []vicidial.FieldProblem, want string, secrets ...string) {
	t.Helper()
	got := problemsText(ps)
	switch {
	case want == "" && len(ps) != 0:
		t.Errorf("problems\n%s\nwant none", got)
	case want != "" && len(ps) != 1:
		t.Errorf("problems\n%s\nwant exactly one: %s", got, want)
	case want != "":
		field, part, _ := strings.Cut(want, ": ")
		if ps[0].Field != field || !strings.Contains(ps[0].Message, part) {
			t.Errorf("problem %q, want field %s with %q", ps[0], field, part)
		}
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(got, s) {
			t.Errorf("the password %q shows in %q", s, got)
		}
	}
}

func TestAddPhoneValidate(t *testing.T) {
	long := func(c string, n int) string { return strings.Repeat(c, n) }
	tests := []struct {
		name string
		edit func(*vicidial.AddPhoneRequest)
		want string // "field: part of the message"; "" for none
	}{
		{"valid", func(*vicidial.AddPhoneRequest) {}, ""},
		{"valid, every optional field", func(r *vicidial.AddPhoneRequest) {
			r.PhoneContext, r.Email, r.AdminUserGroup, r.TemplateID = "agents", "a.b@example.com", "AGENTS", "SIP_generic"
			r.IsWebphone, r.WebphoneAutoAnswer, r.UseExternalServerIP, r.OnHookAgent = "Y_API_LAUNCH", "n", "Y", "N"
		}, ""},
		{"extension required", func(r *vicidial.AddPhoneRequest) { r.Extension = "" }, "extension: required"},
		{"extension of 1", func(r *vicidial.AddPhoneRequest) { r.Extension = "7" }, "extension: at least 2"},
		{"extension of 100", func(r *vicidial.AddPhoneRequest) { r.Extension = long("e", 100) }, ""},
		{"extension of 101", func(r *vicidial.AddPhoneRequest) { r.Extension = long("e", 101) }, "extension: at most 100"},
		{"extension with a space", func(r *vicidial.AddPhoneRequest) { r.Extension = "70 01" }, "extension: (space)"},
		{"extension with a dot", func(r *vicidial.AddPhoneRequest) { r.Extension = "70.01" }, `extension: ('.')`},
		{"dialplan of 1", func(r *vicidial.AddPhoneRequest) { r.DialplanNumber = "7" }, "dialplan_number: at least 2"},
		{"dialplan of 21", func(r *vicidial.AddPhoneRequest) { r.DialplanNumber = long("9", 21) }, "dialplan_number: at most 20"},
		{"dialplan with * and #", func(r *vicidial.AddPhoneRequest) { r.DialplanNumber = "*70#1" }, ""},
		{"dialplan with -", func(r *vicidial.AddPhoneRequest) { r.DialplanNumber = "70-01" }, "dialplan_number: letters, digits, * and #"},
		{"voicemail required", func(r *vicidial.AddPhoneRequest) { r.VoicemailID = "" }, "voicemail_id: required"},
		{"voicemail of 11", func(r *vicidial.AddPhoneRequest) { r.VoicemailID = long("8", 11) }, "voicemail_id: at most 10"},
		{"voicemail with _", func(r *vicidial.AddPhoneRequest) { r.VoicemailID = "70_01" }, "voicemail_id: letters and digits"},
		{"voicemail --BLANK--", func(r *vicidial.AddPhoneRequest) { r.VoicemailID = "--BLANK--" }, "voicemail_id: would delete"},
		{"login required", func(r *vicidial.AddPhoneRequest) { r.PhoneLogin = "" }, "phone_login: required"},
		{"login of 15", func(r *vicidial.AddPhoneRequest) { r.PhoneLogin = long("l", 15) }, ""},
		{"login of 16", func(r *vicidial.AddPhoneRequest) { r.PhoneLogin = long("l", 16) }, "phone_login: uncut value for duplicates"},
		{"login with @", func(r *vicidial.AddPhoneRequest) { r.PhoneLogin = "a@b" }, "phone_login: ('@')"},
		{"phone_pass required", func(r *vicidial.AddPhoneRequest) { r.PhonePass = "" }, "phone_pass: required"},
		{"phone_pass of 21", func(r *vicidial.AddPhoneRequest) { r.PhonePass = vicidial.Secret(long("p", 21)) }, "phone_pass: an account's phone_pass holds 20"},
		{"phone_pass with !", func(r *vicidial.AddPhoneRequest) { r.PhonePass = "Secret!Pass" }, "phone_pass: 1 kind(s) of character"},
		{"server_ip required", func(r *vicidial.AddPhoneRequest) { r.ServerIP = "" }, "server_ip: required"},
		{"server_ip IPv6", func(r *vicidial.AddPhoneRequest) { r.ServerIP = "fe80::1" }, ""},
		{"server_ip with a space", func(r *vicidial.AddPhoneRequest) { r.ServerIP = " 10.10.10.15" }, "server_ip: (space)"},
		{"protocol required", func(r *vicidial.AddPhoneRequest) { r.Protocol = "" }, "protocol: required"},
		{"protocol PJSIP", func(r *vicidial.AddPhoneRequest) { r.Protocol = "PJSIP" }, "protocol: PJSIP included"},
		{"protocol sip", func(r *vicidial.AddPhoneRequest) { r.Protocol = "sip" }, "protocol: exactly SIP"},
		{"protocol ZAP", func(r *vicidial.AddPhoneRequest) { r.Protocol = "ZAP" }, "protocol: exactly Zap"},
		{"protocol EXTERNAL", func(r *vicidial.AddPhoneRequest) { r.Protocol = "EXTERNAL" }, ""},
		{"registration password required", func(r *vicidial.AddPhoneRequest) { r.RegistrationPassword = "" }, "registration_password: required"},
		{"registration password with a space", func(r *vicidial.AddPhoneRequest) { r.RegistrationPassword = "Reg Pass" }, "registration_password: 1 kind(s)"},
		{"name required", func(r *vicidial.AddPhoneRequest) { r.FullName = "" }, "phone_full_name: required"},
		{"name with +", func(r *vicidial.AddPhoneRequest) { r.FullName = "A+B. C-D_E" }, ""},
		{"name with an apostrophe", func(r *vicidial.AddPhoneRequest) { r.FullName = "Sean O'Brien" }, `phone_full_name: ('\'')`},
		{"name with : (an account's name keeps it)", func(r *vicidial.AddPhoneRequest) { r.FullName = "Team: North" }, `phone_full_name: (':')`},
		{"name with an accent", func(r *vicidial.AddPhoneRequest) { r.FullName = "José" }, `phone_full_name: ('é')`},
		{"name of 51", func(r *vicidial.AddPhoneRequest) { r.FullName = long("n", 51) }, "phone_full_name: at most 50"},
		{"timezone required", func(r *vicidial.AddPhoneRequest) { r.LocalGMT = "" }, "local_gmt: required"},
		{"timezone -5", func(r *vicidial.AddPhoneRequest) { r.LocalGMT = "-5" }, ""},
		{"timezone +5.50", func(r *vicidial.AddPhoneRequest) { r.LocalGMT = "+5.50" }, ""},
		{"timezone 5.5", func(r *vicidial.AddPhoneRequest) { r.LocalGMT = "5.5" }, ""},
		{"timezone 12.75", func(r *vicidial.AddPhoneRequest) { r.LocalGMT = "12.75" }, ""},
		{"timezone -12", func(r *vicidial.AddPhoneRequest) { r.LocalGMT = "-12" }, ""},
		{"timezone -5.50", func(r *vicidial.AddPhoneRequest) { r.LocalGMT = "-5.50" }, "local_gmt: not one of VICIdial's timezones"},
		{"timezone 99", func(r *vicidial.AddPhoneRequest) { r.LocalGMT = "99" }, "local_gmt: not one of"},
		{"timezone 13", func(r *vicidial.AddPhoneRequest) { r.LocalGMT = "13" }, "local_gmt: not one of"},
		{"timezone GMT-5", func(r *vicidial.AddPhoneRequest) { r.LocalGMT = "GMT-5" }, "local_gmt: would delete ('G' 'M' 'T')"},
		{"timezone 5.5.5", func(r *vicidial.AddPhoneRequest) { r.LocalGMT = "5.5.5" }, "local_gmt: not one of"},
		{"caller ID required", func(r *vicidial.AddPhoneRequest) { r.OutboundCID = "" }, "outbound_cid: required"},
		{"caller ID with dashes", func(r *vicidial.AddPhoneRequest) { r.OutboundCID = "312-555-1212" }, "outbound_cid: ('-')"},
		{"caller ID of 21", func(r *vicidial.AddPhoneRequest) { r.OutboundCID = long("3", 21) }, "outbound_cid: at most 20"},
		{"phone_context of 21", func(r *vicidial.AddPhoneRequest) { r.PhoneContext = long("c", 21) }, "phone_context: at most 20"},
		{"email with an apostrophe", func(r *vicidial.AddPhoneRequest) { r.Email = "o'neil@example.com" }, "email: HTTP 500"},
		{"email with +", func(r *vicidial.AddPhoneRequest) { r.Email = "a+b@example.com" }, "email: as a space"},
		{"email without @", func(r *vicidial.AddPhoneRequest) { r.Email = "agent.example.com" }, "email: not an email address"},
		{"email with a comma", func(r *vicidial.AddPhoneRequest) { r.Email = "a,b@example.com" }, "email: (',')"},
		{"email of 101", func(r *vicidial.AddPhoneRequest) { r.Email = long("m", 89) + "@example.com" }, "email: at most 100"},
		{"admin group of 21", func(r *vicidial.AddPhoneRequest) { r.AdminUserGroup = long("G", 21) }, "admin_user_group: at most 20"},
		{"admin group ---ALL---", func(r *vicidial.AddPhoneRequest) { r.AdminUserGroup = "---ALL---" }, ""},
		{"is_webphone yes", func(r *vicidial.AddPhoneRequest) { r.IsWebphone = "yes" }, "is_webphone: Y, N or Y_API_LAUNCH"},
		{"on_hook_agent 1", func(r *vicidial.AddPhoneRequest) { r.OnHookAgent = "1" }, "on_hook_agent: Y or N"},
		{"template --BLANK--", func(r *vicidial.AddPhoneRequest) { r.TemplateID = "--BLANK--" }, ""},
		{"template with a space", func(r *vicidial.AddPhoneRequest) { r.TemplateID = "SIP generic" }, "template_id: (space)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := validPhone()
			tt.edit(&req)
			checkProblems(t, req.Validate(), tt.want, req.PhonePass.Reveal(), req.RegistrationPassword.Reveal())
		})
	}
}

func TestAddPhoneValidateEveryProblem(t *testing.T) {
	ps := vicidial.AddPhoneRequest{PhonePass: "Bad Secret!"}.Validate()
	fields := make([]string, len(ps))
	for i, p := range ps {
		fields[i] = p.Field
	}
	want := "extension dialplan_number voicemail_id phone_login phone_pass server_ip protocol registration_password phone_full_name local_gmt outbound_cid"
	if got := strings.Join(fields, " "); got != want {
		t.Errorf("fields %s\nwant %s (one problem per field, in the server's order)", got, want)
	}
	if strings.Contains(problemsText(ps), "Bad") || strings.Contains(problemsText(ps), "!") {
		t.Errorf("a password's value or characters show: %s", problemsText(ps))
	}
}

func TestUpdatePhoneValidate(t *testing.T) {
	long := func(c string, n int) string { return strings.Repeat(c, n) }
	tests := []struct {
		name string
		req  vicidial.UpdatePhoneRequest // Extension and ServerIP are filled in when empty
		want string
	}{
		{"only the phone", vicidial.UpdatePhoneRequest{}, ""},
		{"deactivate", vicidial.UpdatePhoneRequest{Active: "N"}, ""},
		{"rename", vicidial.UpdatePhoneRequest{FullName: "New Name"}, ""},
		{"extension of 1", vicidial.UpdatePhoneRequest{Extension: "7"}, "extension: at least 2"},
		{"active y", vicidial.UpdatePhoneRequest{Active: "y"}, "active: Y or N"},
		{"active Yes", vicidial.UpdatePhoneRequest{Active: "Yes"}, "active: Y or N"},
		{"timezone -5.50", vicidial.UpdatePhoneRequest{LocalGMT: "-5.50"}, "local_gmt: not one of"},
		{"email of 4", vicidial.UpdatePhoneRequest{Email: "a@bc"}, "email: at least 5"},
		{"email --BLANK--", vicidial.UpdatePhoneRequest{Email: "--BLANK--"}, ""},
		{"email with an apostrophe", vicidial.UpdatePhoneRequest{Email: "o'neil@example.com"}, "email: HTTP 500"},
		{"phone_context of 1", vicidial.UpdatePhoneRequest{PhoneContext: "x"}, "phone_context: at least 2"},
		{"phone_context --BLANK--", vicidial.UpdatePhoneRequest{PhoneContext: "--BLANK--"}, ""},
		{"name of 1", vicidial.UpdatePhoneRequest{FullName: "X"}, "phone_full_name: at least 2"},
		{"name of 31", vicidial.UpdatePhoneRequest{FullName: long("n", 31)}, "phone_full_name: at most 30 (update_phone refuses more)"},
		{"name --BLANK--", vicidial.UpdatePhoneRequest{FullName: "--BLANK--"}, ""},
		{"registration password of 31", vicidial.UpdatePhoneRequest{RegistrationPassword: vicidial.Secret(long("r", 31))}, "registration_password: at most 30"},
		{"protocol PJSIP", vicidial.UpdatePhoneRequest{Protocol: "PJSIP"}, "protocol: SIP, IAX2, Zap or EXTERNAL"},
		{"phone_pass of 1", vicidial.UpdatePhoneRequest{PhonePass: "x"}, "phone_pass: at least 2"},
		{"phone_pass --BLANK--", vicidial.UpdatePhoneRequest{PhonePass: "--BLANK--"}, "phone_pass: the password itself"},
		{"login of 16", vicidial.UpdatePhoneRequest{PhoneLogin: long("l", 16)}, "phone_login: at most 15"},
		{"login --BLANK--", vicidial.UpdatePhoneRequest{PhoneLogin: "--BLANK--"}, "phone_login: the login itself"},
		{"voicemail --BLANK--", vicidial.UpdatePhoneRequest{VoicemailID: "--BLANK--"}, "voicemail_id: as BLANK"},
		{"voicemail of 1", vicidial.UpdatePhoneRequest{VoicemailID: "7"}, "voicemail_id: at least 2"},
		{"dialplan of 2", vicidial.UpdatePhoneRequest{DialplanNumber: "12"}, "dialplan_number: at least 3"},
		{"caller ID of 5", vicidial.UpdatePhoneRequest{OutboundCID: "12345"}, "outbound_cid: at least 6"},
		{"caller ID of 19", vicidial.UpdatePhoneRequest{OutboundCID: long("1", 19)}, "outbound_cid: at most 18"},
		{"admin group of 1", vicidial.UpdatePhoneRequest{AdminUserGroup: "A"}, "admin_user_group: at least 2"},
		{"alt caller ID of 5", vicidial.UpdatePhoneRequest{OutboundAltCID: "12345"}, "outbound_alt_cid: at least 6"},
		{"ring timeout 1", vicidial.UpdatePhoneRequest{PhoneRingTimeout: "1"}, "phone_ring_timeout: 2 to 180"},
		{"ring timeout 181", vicidial.UpdatePhoneRequest{PhoneRingTimeout: "181"}, "phone_ring_timeout: 2 to 180"},
		{"ring timeout 60", vicidial.UpdatePhoneRequest{PhoneRingTimeout: "60"}, ""},
		{"ring timeout +60", vicidial.UpdatePhoneRequest{PhoneRingTimeout: "+60"}, "phone_ring_timeout: 2 to 180"},
		{"webphone maybe", vicidial.UpdatePhoneRequest{IsWebphone: "maybe"}, "is_webphone: Y, N or Y_API_LAUNCH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			if req.Extension == "" {
				req.Extension = "7001"
			}
			if req.ServerIP == "" {
				req.ServerIP = "10.10.10.15"
			}
			checkProblems(t, req.Validate(), tt.want, req.PhonePass.Reveal(), req.RegistrationPassword.Reveal())
		})
	}
	if ps := (vicidial.UpdatePhoneRequest{}).Validate(); problemsText(ps) != "extension: required\nserver_ip: required" {
		t.Errorf("empty request: %s", problemsText(ps))
	}
}

func TestPhoneAliasValidate(t *testing.T) {
	add := func(id, name string, logins ...string) []vicidial.FieldProblem {
		return vicidial.AddPhoneAliasRequest{AliasID: id, AliasName: name, PhoneLogins: logins}.Validate()
	}
	upd := func(id, name string, logins ...string) []vicidial.FieldProblem {
		return vicidial.UpdatePhoneAliasRequest{AliasID: id, AliasName: name, PhoneLogins: logins}.Validate()
	}
	tests := []struct {
		name     string
		problems []vicidial.FieldProblem
		want     string
	}{
		{"valid", add("ALIAS2", "Team: North/2 @x", "1003", "1004"), ""},
		{"alias_id of 1", add("A", "N", "1003"), "alias_id: at least 2"},
		{"alias_id of 21", add(strings.Repeat("A", 21), "N", "1003"), "alias_id: uncut value"},
		{"no name", add("A2", "", "1003"), "alias_name: required"},
		{"name with #", add("A2", "Team #2", "1003"), "alias_name: ('#')"},
		{"no logins", add("A2", "N"), "phone_logins: required"},
		{"an empty login", add("A2", "N", "1003", ""), "phone_logins: login 2 of 2 is empty"},
		{"a login with a comma", add("A2", "N", "1003,1004"), "phone_logins: (',')"},
		{"a login of 16", add("A2", "N", strings.Repeat("l", 16)), "phone_logins: at most 15"},
		{"logins of 1 in all", add("A2", "N", "x"), "phone_logins: at least 2 characters in all"},
		{"update: rename", upd("ALIAS1", "Renamed"), ""},
		{"update: new logins", upd("ALIAS1", "", "1005"), ""},
		{"update: nothing to change", upd("ALIAS1", ""), "alias_name: nothing to change"},
		{"update: name of 1", upd("ALIAS1", "X"), "alias_name: at least 2"},
		{"update: name of 51", upd("ALIAS1", strings.Repeat("n", 51)), "alias_name: at most 50"},
		{"update: no alias_id", upd("", "Renamed"), "alias_id: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkProblems(t, tt.problems, tt.want) })
	}
}

func TestValidTimezone(t *testing.T) {
	for v, want := range map[string]bool{"-5": true, "-5.00": true, "+5.50": true, "5.5": true, "0": true, "-0": true,
		"12": true, "12.75": true, "-12": true, "9.50": true, "6.5": true, "5.75": true, "4.50": true, "3.5": true, "-3.50": true,
		"-5.50": false, "99": false, "13": false, "-13": false, "12.5": false, "": false, "-": false, "5.5.5": false, "1.25": false} {
		if got := vicidial.ValidTimezone(v); got != want {
			t.Errorf("ValidTimezone(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestPhoneName(t *testing.T) {
	for in, want := range map[string]string{
		"Agent Seven":           "Agent Seven",
		"Sean O'Brien":          "Sean OBrien",
		"Team: North / Ops":     "Team North Ops",
		"J.  Smith-Jones_2 +1":  "J. Smith-Jones_2 +1",
		"José Ñúñez":            "Jos ez",
		"agent@example.com Bob": "agentexample.com Bob",
	} {
		if got := vicidial.PhoneName(in); got != want {
			t.Errorf("PhoneName(%q) = %q, want %q", in, got, want)
		}
		req := validPhone()
		req.FullName = vicidial.PhoneName(in)
		if ps := req.Validate(); len(ps) != 0 {
			t.Errorf("PhoneName(%q) = %q has problems: %s", in, req.FullName, problemsText(ps))
		}
	}
}
