package vicidial

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// contractLines are the response lines of the API contract, as the real
// server answers them.
var contractLines = []struct {
	line     string
	function string
	reason   Reason // "" for a success or a data line
}{
	{"SUCCESS: add_user USER HAS BEEN ADDED - 6666|1000|9999|1|Testing Person|AGENTS\n", "add_user", ""},
	{"SUCCESS: copy_user USER HAS BEEN COPIED - 6666|2000|pw22|Copy Person|5555\n", "copy_user", ""},
	{"SUCCESS: update_user USER HAS BEEN UPDATED - 6666|5555|\n", "update_user", ""},
	{"ERROR: add_user YOU MUST USE ALL REQUIRED FIELDS: |6666|ab|x|1|N|AGENTS\n", "add_user", ReasonMissingFields},
	{"ERROR: add_user USER DOES NOT HAVE PERMISSION TO ADD USERS: |noperm|0\n", "add_user", ReasonNoPermission},
	{"ERROR: add_user USER DOES NOT HAVE PERMISSION TO ADD USERS IN THIS USER LEVEL: |apiuser8|8|8\n", "add_user", ReasonLevelNotPermitted},
	{"ERROR: add_user USER GROUP DOES NOT EXIST: |6666|NOPE\n", "add_user", ReasonGroupNotFound},
	{"ERROR: add_user USER ALREADY EXISTS: |6666|5555\n", "add_user", ReasonUserExists},
	{"ERROR: copy_user YOU MUST USE ALL REQUIRED FIELDS: |6666|cp|pw||N\n", "copy_user", ReasonMissingFields},
	{"ERROR: copy_user USER DOES NOT HAVE PERMISSION TO COPY USERS: |noperm|0\n", "copy_user", ReasonNoPermission},
	{"ERROR: copy_user USER DOES NOT HAVE PERMISSION TO COPY USERS IN THIS USER LEVEL: |apiuser8|9|8\n", "copy_user", ReasonLevelNotPermitted},
	{"ERROR: copy_user USER GROUP DOES NOT EXIST: |6666|SALES\n", "copy_user", ReasonGroupNotFound},
	{"ERROR: copy_user USER GROUP DOES NOT EXIST: |6666|\n", "copy_user", ReasonTemplateNotFound},
	{"ERROR: copy_user USER ALREADY EXISTS: |6666|tmplsales\n", "copy_user", ReasonUserExists},
	{"ERROR: update_user USER DOES NOT EXIST: |6666|\n", "update_user", ReasonUserNotFound},
	{"ERROR: update_user NO UPDATES DEFINED: |6666|\n", "update_user", ReasonNoUpdates},
	{"ERROR: update_user YOU MUST USE A VALID USER GROUP, THIS IS AN OPTIONAL FIELD: |6666|NOPE|0\n", "update_user", ReasonInvalidGroup},
	{"ERROR: update_user YOU MUST USE A VALID PHONE LOGIN, THIS IS AN OPTIONAL FIELD: |6666|nophone|0|0\n", "update_user", ReasonInvalidPhoneLogin},
	{"ERROR: update_user USER DOES NOT HAVE PERMISSION TO UPDATE THIS USER: |apiuser8|tmpladmin|<=|8\n", "update_user", ReasonNoPermission},
	{"ERROR: auth USER DOES NOT HAVE PERMISSION TO USE THIS FUNCTION: |apilimited|add_user|\n", "auth", ReasonFunctionNotAllowed},
	{"ERROR: Login incorrect, please try again: |6666|s3cret-typo|BAD|\n", "", ReasonLoginIncorrect},
	{"ERROR: Too many login attempts, try again in 15 minutes: |6666|LOCK|\n", "", ReasonLockedOut},
	{"ERROR: NO FUNCTION SPECIFIED\n", "", ReasonNoFunction},
	{"ERROR: Invalid Source - x\nERROR: Invalid Source: |x|\n", "", ReasonInvalidSource},
	{"ERROR: user_details USER NOT FOUND: 6666|ghost\n", "user_details", ReasonUserNotFound},
	{"ERROR: user_details USER DOES NOT HAVE PERMISSION TO GET USER DETAILS: |6666|0|\n", "user_details", ReasonNoPermission},
	{"5555|Template Agent|AGENTS|1|Y\n", "", ""},
	{"VERSION: 2.14-202|BUILD: 250720-1841|DATE: 2026-11-22 09:57:27|EPOCH: 1795341447|DST: 0|TZ: -5.00|TZNOW: -5.00|\n", "", ""},
}

func TestParseLineContract(t *testing.T) {
	for _, tt := range contractLines {
		t.Run(strings.SplitN(tt.line, ":", 3)[0]+" "+string(tt.reason), func(t *testing.T) {
			line, err := ParseLine([]byte(tt.line))
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("ParseLine(%q) error %v", tt.line, err)
				}
				if strings.HasPrefix(tt.line, "SUCCESS") && (!line.Success || line.Function != tt.function) {
					t.Errorf("ParseLine(%q) = %+v, want a %s success", tt.line, line, tt.function)
				}
				return
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("ParseLine(%q) error %v, want *APIError", tt.line, err)
			}
			if apiErr.Reason != tt.reason || apiErr.Function != tt.function {
				t.Errorf("ParseLine(%q) = %s/%s, want %s/%s", tt.line, apiErr.Function, apiErr.Reason, tt.function, tt.reason)
			}
		})
	}
}

func TestParseLineRedactsEchoedPassword(t *testing.T) {
	_, err := ParseLine([]byte("ERROR: Login incorrect, please try again: |6666|s3cret-typo|BAD|\n"))
	if err == nil || strings.Contains(err.Error(), "s3cret-typo") {
		t.Fatalf("error %v: the echoed password must be redacted", err)
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) && (len(apiErr.Data) < 2 || apiErr.Data[0] != "6666" || apiErr.Data[1] != "[REDACTED]") {
		t.Errorf("Data = %q, want [6666 [REDACTED] BAD]", apiErr.Data)
	}
}

func TestMissingFieldsPasswordRedacted(t *testing.T) {
	// The server filtered the password p@ss to pss before echoing it.
	f := &form{secrets: []string{"p@ss"}}
	line, _ := f.parse([]byte("ERROR: add_user YOU MUST USE ALL REQUIRED FIELDS: |6666|ab|pss|1|N|AGENTS\n"))
	if line.Err == nil || strings.Contains(line.Err.Error(), "pss") {
		t.Errorf("filtered password in %q", line.Err)
	}
}

func TestParseLineUnreadable(t *testing.T) {
	for _, body := range []string{"", "\n", "<html>Internal Server Error</html>", "SOMETHING ELSE"} {
		_, err := ParseLine([]byte(body))
		var respErr *ResponseError
		if !errors.As(err, &respErr) {
			t.Errorf("ParseLine(%q) error %v, want *ResponseError", body, err)
		}
	}
}

func TestCreatedFromSuccessLines(t *testing.T) {
	tests := []struct {
		line string
		want Created
	}{
		{"SUCCESS: add_user USER HAS BEEN ADDED - 6666|1007|pw|1|Auto Agent|AGENTS\n", Created{Login: "1007", Level: "1", FullName: "Auto Agent", Group: "AGENTS"}},
		{"SUCCESS: copy_user USER HAS BEEN COPIED - 6666|cp1|pw|Copy Person|5555\n", Created{Login: "cp1", FullName: "Copy Person", SourceUser: "5555"}},
	}
	for _, tt := range tests {
		line, err := ParseLine([]byte(tt.line))
		if err != nil {
			t.Fatal(err)
		}
		got, ok := created(line)
		if !ok || got != tt.want {
			t.Errorf("created(%q) = %+v, %v; want %+v", tt.line, got, ok, tt.want)
		}
	}
}

func TestReasonFatal(t *testing.T) {
	fatal := map[Reason]bool{ReasonLoginIncorrect: true, ReasonLockedOut: true, ReasonFunctionNotAllowed: true,
		ReasonNoPermission: true, ReasonInvalidSource: true, ReasonNoFunction: true}
	for _, r := range []Reason{ReasonUserExists, ReasonGroupNotFound, ReasonTemplateNotFound, ReasonLevelNotPermitted,
		ReasonNoPermission, ReasonFunctionNotAllowed, ReasonMissingFields, ReasonLoginIncorrect, ReasonLockedOut,
		ReasonInvalidSource, ReasonNoFunction, ReasonUserNotFound, ReasonUnrecognisedError} {
		if r.Fatal() != fatal[r] {
			t.Errorf("%s.Fatal() = %v, want %v", r, r.Fatal(), fatal[r])
		}
		if r.Sentence() == "" {
			t.Errorf("%s has no sentence", r)
		}
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("hunter2-pass")
	for _, got := range []string{s.String(), s.GoString(), fmtAll(s)} {
		if strings.Contains(got, "hunter2") {
			t.Errorf("secret printed as %q", got)
		}
	}
	if s.Reveal() != "hunter2-pass" {
		t.Error("Reveal lost the password")
	}
}

func FuzzParseLine(f *testing.F) {
	for _, l := range contractLines {
		f.Add(l.line)
	}
	for _, l := range phoneContractLines {
		f.Add(l.line)
	}
	f.Add("SUCCESS: add_user USER HAS BEEN ADDED - ")
	f.Add("ERROR: ")
	f.Add("ERROR: Login incorrect, please try again: |")
	f.Fuzz(func(t *testing.T, body string) {
		line, err := ParseLine([]byte(body))
		if err == nil && line.Err != nil {
			t.Fatalf("Line.Err set without an error")
		}
		// The password position of a Login incorrect line never reaches
		// the error text.
		if strings.HasPrefix(body, "ERROR: Login incorrect, please try again: |") && err != nil {
			f := strings.Split(strings.TrimPrefix(strings.SplitN(body, "\n", 2)[0], "ERROR: Login incorrect, please try again: |"), "|")
			if len(f) > 1 && len(f[1]) >= 4 && f[1] != f[0] && !strings.Contains("[REDACTED] BAD", f[1]) && strings.Contains(err.Error(), f[1]) &&
				!strings.Contains(f[0], f[1]) && (len(f) < 3 || !strings.Contains(strings.Join(f[2:], "|"), f[1])) {
				t.Fatalf("password %q in error %q", f[1], err)
			}
		}
		_, _ = created(line)
		_, _ = parseUserDetails(line.Raw)
		_, _ = parseVersion(line.Raw)
	})
}

func BenchmarkParseLine(b *testing.B) {
	bodies := make([][]byte, len(contractLines))
	for i, l := range contractLines {
		bodies[i] = []byte(l.line)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_, _ = ParseLine(bodies[i%len(bodies)])
	}
}

func fmtAll(s Secret) string {
	return strings.Join([]string{fmt.Sprintf("%v", s), fmt.Sprintf("%s", s), fmt.Sprintf("%+v", struct{ P Secret }{s}), fmt.Sprintf("%#v", s)}, " ")
}
