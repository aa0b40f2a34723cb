package vicidial

import (
	"errors"
	"strings"
	"testing"
)

// phoneContractLines are the response lines of the phone contract, with
// what the client makes of them.
var phoneContractLines = []struct {
	line   string
	reason Reason // "" for a success
	field  string // FieldOf
	notice bool
}{
	{"SUCCESS: add_phone PHONE HAS BEEN ADDED - 6666|7001|10.10.10.15|SIP|7001\n", "", "", false},
	{"ERROR: add_phone USER DOES NOT HAVE PERMISSION TO ADD PHONES: |noperm|0\n", ReasonPhoneNoPermission, "", false},
	{"ERROR: add_phone YOU MUST USE ALL REQUIRED FIELDS: |6666|7|7001|7001|agent7001|Ph0nePass|10.10.10.15|SIP|RegPass1|Agent Seven|-5.00|3125551212\n", ReasonPhoneMissingFields, "", false},
	{"ERROR: add_phone SERVER DOES NOT EXIST: |6666|10.9.9.9\n", ReasonServerNotFound, "server_ip", false},
	{"ERROR: add_phone PHONE ALREADY EXISTS ON THIS SERVER: |6666|10.10.10.15|1001\n", ReasonPhoneExists, "extension", false},
	{"ERROR: add_phone PHONE LOGIN ALREADY EXISTS: |6666|1001b\n", ReasonPhoneLoginExists, "phone_login", false},
	{"ERROR: add_phone YOU MUST USE A VALID TIMEZONE: |6666|-5.50\n", ReasonInvalidTimezone, "local_gmt", false},
	{"ERROR: add_phone TEMPLATE ID DOES NOT EXIST, THIS IS AN OPTIONAL FIELD: |6666|agent7001|NOPE\n", ReasonPhoneTemplateNotFound, "template_id", false},
	{"SUCCESS: update_phone PHONE HAS BEEN UPDATED - 6666|1001|10.10.10.15|\n", "", "", false},
	{"SUCCESS: update_phone PHONE HAS BEEN DELETED - 6666|1001|10.10.10.15|\n", "", "", false},
	{"NOTICE: update_phone USER DOES NOT HAVE PERMISSION TO DELETE PHONES: |nodelete|0\n", ReasonPhoneNoPermission, "", true},
	{"ERROR: update_phone USER DOES NOT HAVE PERMISSION TO UPDATE PHONES: |noperm|0\n", ReasonPhoneNoPermission, "", false},
	{"ERROR: update_phone YOU MUST USE ALL REQUIRED FIELDS: |6666|1|10.10.10.15\n", ReasonPhoneMissingFields, "", false},
	{"ERROR: update_phone SERVER DOES NOT EXIST: |6666|10.9.9.9\n", ReasonServerNotFound, "server_ip", false},
	{"ERROR: update_phone PHONE DOES NOT EXIST ON THIS SERVER: |6666|10.10.10.16|1002\n", ReasonPhoneNotFound, "", false},
	{"ERROR: update_phone YOU MUST USE A VALID TIMEZONE: |6666|99\n", ReasonInvalidTimezone, "local_gmt", false},
	{"ERROR: update_phone YOU MUST USE A VALID EMAIL: |6666|a@bc\n", ReasonPhoneInvalidField, "email", false},
	{"ERROR: update_phone YOU MUST USE A VALID PHONE CONTEXT: |6666|x\n", ReasonPhoneInvalidField, "phone_context", false},
	{"ERROR: update_phone YOU MUST USE A VALID PHONE NAME: |6666|x\n", ReasonPhoneInvalidField, "phone_full_name", false},
	{"ERROR: update_phone YOU MUST USE A VALID REGISTRATION PASSWORD: |6666|x\n", ReasonPhoneInvalidField, "registration_password", false},
	{"ERROR: update_phone YOU MUST USE A VALID PROTOCOL: |6666|PJSIP\n", ReasonPhoneInvalidField, "protocol", false},
	{"ERROR: update_phone YOU MUST USE A VALID PHONE PASSWORD: |6666|x\n", ReasonPhoneInvalidField, "phone_pass", false},
	{"ERROR: update_phone LOGIN ALREADY EXISTS: |6666|1001b\n", ReasonPhoneLoginExists, "phone_login", false},
	{"ERROR: update_phone YOU MUST USE A VALID VOICEMAIL NUMBER: |6666|7\n", ReasonPhoneInvalidField, "voicemail_id", false},
	{"ERROR: update_phone YOU MUST USE A VALID DIALPLAN NUMBER: |6666|12\n", ReasonPhoneInvalidField, "dialplan_number", false},
	{"ERROR: update_phone ACTIVE MUST BE Y OR N, THIS IS AN OPTIONAL FIELD: |6666|X\n", ReasonPhoneInvalidField, "active", false},
	{"ERROR: update_phone OUTBOUND CID MUST BE FROM 6 TO 18 DIGITS, THIS IS AN OPTIONAL FIELD: |6666|12345\n", ReasonPhoneInvalidField, "outbound_cid", false},
	{"ERROR: update_phone USER GROUP MUST BE FROM 2 TO 20 CHARACTERS, THIS IS AN OPTIONAL FIELD: |6666|A\n", ReasonPhoneInvalidField, "admin_user_group", false},
	{"ERROR: update_phone OUTBOUND ALT CID MUST BE FROM 6 TO 18 DIGITS, THIS IS AN OPTIONAL FIELD: |6666|12345\n", ReasonPhoneInvalidField, "outbound_alt_cid", false},
	{"ERROR: update_phone PHONE RING TIMEOUT MUST BE FROM 2 TO 180 SECONDS, THIS IS AN OPTIONAL FIELD: |6666|\n", ReasonPhoneInvalidField, "phone_ring_timeout", false},
	{"ERROR: update_phone DELETE VOICEMAIL AFTER EMAIL MUST BE Y OR N, THIS IS AN OPTIONAL FIELD: |6666|y\n", ReasonPhoneInvalidField, "delete_vm_after_email", false},
	{"ERROR: update_phone TEMPLATE ID DOES NOT EXIST, THIS IS AN OPTIONAL FIELD: |6666|1001|NOPE\n", ReasonPhoneTemplateNotFound, "template_id", false},
	{"SUCCESS: add_phone_alias PHONE ALIAS HAS BEEN ADDED - 6666|ALIAS2|Alias Two|1003,1004\n", "", "", false},
	{"ERROR: add_phone_alias USER DOES NOT HAVE PERMISSION TO ADD PHONE ALIASES: |noperm|0\n", ReasonPhoneNoPermission, "", false},
	{"ERROR: add_phone_alias YOU MUST USE ALL REQUIRED FIELDS: |6666|A|Alias Two|1003,1004\n", ReasonPhoneMissingFields, "", false},
	{"ERROR: add_phone_alias PHONE ALIAS ALREADY EXISTS: |6666|alias1\n", ReasonPhoneAliasExists, "alias_id", false},
	{"ERROR: add_phone_alias PHONE DOES NOT EXIST: |6666|nophone\n", ReasonPhoneLoginNotFound, "phone_logins", false},
	{"SUCCESS: update_phone_alias PHONE ALIAS HAS BEEN UPDATED - 6666|ALIAS1|\n", "", "", false},
	{"SUCCESS: update_phone_alias PHONE ALIAS HAS BEEN DELETED - 6666|ALIAS1\n", "", "", false},
	{"NOTICE: update_phone_alias NO UPDATES DEFINED: |6666|\n", ReasonNoUpdates, "", true},
	{"NOTICE: update_phone_alias USER DOES NOT HAVE PERMISSION TO DELETE PHONE ALIASES: |nodelete|0\n", ReasonPhoneNoPermission, "", true},
	{"ERROR: update_phone_alias USER DOES NOT HAVE PERMISSION TO UPDATE PHONE ALIASES: |noperm|0\n", ReasonPhoneNoPermission, "", false},
	{"ERROR: update_phone_alias YOU MUST USE ALL REQUIRED FIELDS: |6666|ALIAS1||\n", ReasonPhoneMissingFields, "", false},
	{"ERROR: update_phone_alias PHONE ALIAS DOES NOT EXIST: |6666|NOALIAS\n", ReasonPhoneAliasNotFound, "", false},
	{"ERROR: update_phone_alias YOU MUST USE A VALID ALIAS NAME: |6666|X\n", ReasonPhoneInvalidField, "alias_name", false},
	{"ERROR: update_phone_alias PHONE DOES NOT EXIST: |6666|nophone\n", ReasonPhoneLoginNotFound, "phone_logins", false},
	{"ERROR: auth USER DOES NOT HAVE PERMISSION TO USE THIS FUNCTION: |6666|add_phone|\n", ReasonFunctionNotAllowed, "", false},
}

func TestParsePhoneContract(t *testing.T) {
	for _, tt := range phoneContractLines {
		t.Run(strings.TrimSpace(tt.line), func(t *testing.T) {
			line, err := ParseLine([]byte(tt.line))
			if tt.reason == "" {
				if err != nil || !line.Success {
					t.Fatalf("ParseLine = %+v, %v; want a success", line, err)
				}
				return
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v, want an *APIError", err)
			}
			if apiErr.Reason != tt.reason || FieldOf(err) != tt.field || apiErr.Notice != tt.notice {
				t.Errorf("reason %s, field %q, notice %v; want %s, %q, %v", apiErr.Reason, FieldOf(err), apiErr.Notice, tt.reason, tt.field, tt.notice)
			}
			if s := tt.reason.Sentence(); s == "" || s == strings.ToLower(strings.ReplaceAll(string(tt.reason), "_", " ")) {
				t.Errorf("%s has no sentence of its own", tt.reason)
			}
		})
	}
}

func TestPhoneReasonsFatal(t *testing.T) {
	for _, r := range []Reason{ReasonPhoneMissingFields, ReasonServerNotFound, ReasonPhoneExists, ReasonPhoneLoginExists,
		ReasonInvalidTimezone, ReasonPhoneTemplateNotFound, ReasonPhoneNotFound, ReasonPhoneInvalidField,
		ReasonPhoneAliasExists, ReasonPhoneAliasNotFound, ReasonPhoneLoginNotFound} {
		if r.Fatal() {
			t.Errorf("%s is fatal: it concerns one phone", r)
		}
	}
	if !ReasonPhoneNoPermission.Fatal() {
		t.Error("PHONE_NO_PERMISSION concerns the API user: it must be fatal")
	}
}

// TestPhonePasswordsRedactedByPosition: the lines that echo a phone
// password lose it in Data and in the error text, whatever the value (the
// client also redacts by value; this holds for ParseLine alone).
func TestPhonePasswordsRedactedByPosition(t *testing.T) {
	tests := []struct {
		line    string
		secrets []string
		data    string
	}{
		{"ERROR: add_phone YOU MUST USE ALL REQUIRED FIELDS: |6666|7|7001|7001|agent7001|Ph0nePass|10.10.10.15|SIP|RegPass1|Agent Seven|-5.00|3125551212\n",
			[]string{"Ph0nePass", "RegPass1"}, "6666|7|7001|7001|agent7001|[REDACTED]|10.10.10.15|SIP|[REDACTED]|Agent Seven|-5.00|3125551212"},
		// An empty password stays empty: it tells which field is missing.
		{"ERROR: add_phone YOU MUST USE ALL REQUIRED FIELDS: |6666|7001|7001|7001|agent7001||10.10.10.15|SIP|RegPass1|Agent Seven|-5.00|3125551212\n",
			[]string{"RegPass1"}, "6666|7001|7001|7001|agent7001||10.10.10.15|SIP|[REDACTED]|Agent Seven|-5.00|3125551212"},
		{"ERROR: update_phone YOU MUST USE A VALID PHONE PASSWORD: |6666|x\n", []string{"|x"}, "6666|[REDACTED]"},
		{"ERROR: update_phone YOU MUST USE A VALID REGISTRATION PASSWORD: |6666|LongRegPass31\n", []string{"LongRegPass31"}, "6666|[REDACTED]"},
	}
	for _, tt := range tests {
		_, err := ParseLine([]byte(tt.line))
		var apiErr *APIError
		if !errors.As(err, &apiErr) {
			t.Fatalf("%q: %v", tt.line, err)
		}
		if got := strings.Join(apiErr.Data, "|"); got != tt.data {
			t.Errorf("Data %s\nwant %s", got, tt.data)
		}
		for _, s := range tt.secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("%q in %q", s, err)
			}
		}
	}
}

// TestPhoneRequiredFieldsRedactedByValue: the client removes the request's
// phone passwords, as the server filtered them, from the line before it
// parses it.
func TestPhoneRequiredFieldsRedactedByValue(t *testing.T) {
	f := &form{secrets: []string{"Ph@ne Pass", "R3g!pw"}}
	line, _ := f.parse([]byte("ERROR: add_phone YOU MUST USE ALL REQUIRED FIELDS: |6666|7|7001|7001|agent7001|PhanePass|10.10.10.15|SIP|R3gpw|Agent Seven|-5.00|3125551212\n"))
	if line.Err == nil {
		t.Fatal("no error")
	}
	for _, s := range []string{"PhanePass", "R3gpw"} {
		if strings.Contains(line.Err.Error(), s) {
			t.Errorf("filtered password %q in %q", s, line.Err)
		}
	}
}
