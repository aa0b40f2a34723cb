package vicidial_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vicionboard/vicionboard/vicidial"
	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// fullUpdate sets every field of an UpdateUserRequest.
var fullUpdate = vicidial.UpdateUserRequest{Login: "5555", Pass: "Agent-Pw-1", Level: "2", FullName: "Full Update",
	Group: "SALES", PhoneLogin: "1002", PhonePass: "Phone-Pw-2", HotkeysActive: "0", VoicemailID: "8002",
	Email: "full@example.com", CustomOne: "c1", CustomTwo: "c2", CustomThree: "c3", CustomFour: "c4", CustomFive: "c5",
	Active: "N", WrapupSecondsOverride: "20", InGroups: []string{"BILLING", "SUPPORT"}}

// TestUpdateUserSendsOnlyItsFields checks, in the simulator's record of
// what arrived, the exact parameters UpdateUser sends: never delete_user,
// ranks, grades or reset_password.
func TestUpdateUserSendsOnlyItsFields(t *testing.T) {
	tests := []struct {
		name string
		req  vicidial.UpdateUserRequest
		want url.Values
	}{
		{"every field", fullUpdate, url.Values{"source": {"vicionboard"}, "user": {"6666"}, "pass": {"1234"}, "function": {"update_user"},
			"agent_user": {"5555"}, "agent_pass": {"Agent-Pw-1"}, "agent_user_level": {"2"}, "agent_full_name": {"Full Update"},
			"agent_user_group": {"SALES"}, "phone_login": {"1002"}, "phone_pass": {"Phone-Pw-2"}, "hotkeys_active": {"0"},
			"voicemail_id": {"8002"}, "email": {"full@example.com"}, "custom_one": {"c1"}, "custom_two": {"c2"},
			"custom_three": {"c3"}, "custom_four": {"c4"}, "custom_five": {"c5"}, "active": {"N"},
			"wrapup_seconds_override": {"20"}, "in_groups": {"BILLING|SUPPORT"}}},
		{"one field", vicidial.UpdateUserRequest{Login: "5555", CustomTwo: "only"}, url.Values{"source": {"vicionboard"},
			"user": {"6666"}, "pass": {"1234"}, "function": {"update_user"}, "agent_user": {"5555"}, "custom_two": {"only"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
			c, err := vicidial.New(vicidial.Config{URL: srv.URL, User: "6666", Pass: "1234"})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.UpdateUser(context.Background(), tt.req); err != nil {
				t.Fatalf("UpdateUser: %v", err)
			}
			reqs := srv.Sim.Requests()
			if len(reqs) != 1 || reqs[0].Method != http.MethodPost {
				t.Fatalf("requests %+v, want one POST", reqs)
			}
			if got := reqs[0].Params; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("sent\n%v\nwant\n%v", got, tt.want)
			}
			for _, never := range []string{"delete_user", "campaign_rank", "campaign_grade", "ingroup_rank", "ingroup_grade", "reset_password"} {
				if reqs[0].Params.Has(never) {
					t.Errorf("%s sent", never)
				}
			}
			if w := srv.Sim.EarlyWrites(); len(w) != 0 {
				t.Errorf("early writes %+v", w)
			}
		})
	}
	// And the full update landed as sent.
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	if err := client(t, srv.URL, "6666", "1234").UpdateUser(context.Background(), fullUpdate); err != nil {
		t.Fatal(err)
	}
	a, _ := srv.Sim.Account("5555")
	if a.Pass != "Agent-Pw-1" || a.Level != 2 || a.Group != "SALES" || a.PhoneLogin != "1002" || a.PhonePass != "Phone-Pw-2" ||
		a.Active != "N" || a.WrapupSecondsOverride != "20" || a.CloserCampaignsColumn() != " BILLING SUPPORT -" || a.CustomFive != "c5" {
		t.Errorf("stored %+v", a)
	}
}

// TestUpdateUserReasons maps every update_user ERROR line to its Reason,
// and names the refused field.
func TestUpdateUserReasons(t *testing.T) {
	ctx := context.Background()
	long := func(n int) string { return strings.Repeat("b", n) }
	req := func(mod func(*vicidial.UpdateUserRequest)) vicidial.UpdateUserRequest {
		r := vicidial.UpdateUserRequest{Login: "5555"}
		mod(&r)
		return r
	}
	tests := []struct {
		name       string
		user, pass string
		req        vicidial.UpdateUserRequest
		want       vicidial.Reason
		field      string
		data       []string // when set, the APIError's Data
	}{
		{"no right to update users", "noperm", "noperm1", req(func(r *vicidial.UpdateUserRequest) { r.CustomOne = "x" }), vicidial.ReasonNoPermission, "", []string{"noperm", "0"}},
		{"function not allowed", "apilimited", "apilimit1", req(func(r *vicidial.UpdateUserRequest) { r.CustomOne = "x" }), vicidial.ReasonFunctionNotAllowed, "", nil},
		{"login too short", "6666", "1234", vicidial.UpdateUserRequest{Login: "a", CustomOne: "x"}, vicidial.ReasonMissingFields, "", []string{"6666", "a"}},
		{"no such account", "6666", "1234", vicidial.UpdateUserRequest{Login: "ghost", CustomOne: "x"}, vicidial.ReasonUserNotFound, "", []string{"6666"}},
		{"account beyond the API user's level (with its empty line)", "apiuser8", "apipass8", vicidial.UpdateUserRequest{Login: "tmpladmin", CustomOne: "x"},
			vicidial.ReasonUpdateNotPermitted, "", []string{"apiuser8", "tmpladmin", "<", "8"}},
		{"nothing to update", "6666", "1234", vicidial.UpdateUserRequest{Login: "5555"}, vicidial.ReasonNoUpdates, "", []string{"6666"}},
		{"nothing left after filtering", "6666", "1234", req(func(r *vicidial.UpdateUserRequest) { r.Active = "y" }), vicidial.ReasonNoUpdates, "", nil},
		{"full name", "6666", "1234", req(func(r *vicidial.UpdateUserRequest) { r.FullName = long(51) }), vicidial.ReasonInvalidField, "agent_full_name", []string{"6666", long(51)}},
		{"level", "6666", "1234", req(func(r *vicidial.UpdateUserRequest) { r.Level = "10" }), vicidial.ReasonInvalidField, "agent_user_level", []string{"6666", "10", "9", "1"}},
		{"level above the API user's", "apiuser8", "apipass8", req(func(r *vicidial.UpdateUserRequest) { r.Level = "8" }), vicidial.ReasonInvalidField, "agent_user_level", []string{"apiuser8", "8", "8", "0"}},
		{"group", "6666", "1234", req(func(r *vicidial.UpdateUserRequest) { r.Group = "NOPE" }), vicidial.ReasonInvalidGroup, "agent_user_group", []string{"6666", "NOPE", "0"}},
		{"phone login", "6666", "1234", req(func(r *vicidial.UpdateUserRequest) { r.PhoneLogin = "nophone" }), vicidial.ReasonInvalidPhoneLogin, "phone_login", []string{"6666", "nophone", "0", "0"}},
		{"phone password", "6666", "1234", req(func(r *vicidial.UpdateUserRequest) { r.PhonePass = vicidial.Secret(long(21)) }), vicidial.ReasonInvalidField, "phone_pass", []string{"6666", "[REDACTED]"}},
		{"hotkeys", "6666", "1234", req(func(r *vicidial.UpdateUserRequest) { r.HotkeysActive = "2" }), vicidial.ReasonInvalidField, "hotkeys_active", []string{"6666", "2"}},
		{"voicemail", "6666", "1234", req(func(r *vicidial.UpdateUserRequest) { r.VoicemailID = "7" }), vicidial.ReasonInvalidField, "voicemail_id", nil},
		{"email", "6666", "1234", req(func(r *vicidial.UpdateUserRequest) { r.Email = "a@bc" }), vicidial.ReasonInvalidField, "email", nil},
		{"custom one", "6666", "1234", req(func(r *vicidial.UpdateUserRequest) { r.CustomOne = long(101) }), vicidial.ReasonInvalidField, "custom_one", nil},
		{"custom two", "6666", "1234", req(func(r *vicidial.UpdateUserRequest) { r.CustomTwo = long(101) }), vicidial.ReasonInvalidField, "custom_two", nil},
		{"custom three", "6666", "1234", req(func(r *vicidial.UpdateUserRequest) { r.CustomThree = long(101) }), vicidial.ReasonInvalidField, "custom_three", nil},
		{"custom four", "6666", "1234", req(func(r *vicidial.UpdateUserRequest) { r.CustomFour = long(101) }), vicidial.ReasonInvalidField, "custom_four", nil},
		{"custom five", "6666", "1234", req(func(r *vicidial.UpdateUserRequest) { r.CustomFive = long(101) }), vicidial.ReasonInvalidField, "custom_five", nil},
		{"active", "6666", "1234", req(func(r *vicidial.UpdateUserRequest) { r.Active = "--BLANK--" }), vicidial.ReasonInvalidField, "active", []string{"6666", "BLANK"}},
		{"wrapup", "6666", "1234", req(func(r *vicidial.UpdateUserRequest) { r.WrapupSecondsOverride = "10000" }), vicidial.ReasonInvalidField, "wrapup_seconds_override", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
			before := srv.Sim.Snapshot()
			err := client(t, srv.URL, tt.user, tt.pass).UpdateUser(ctx, tt.req)
			var apiErr *vicidial.APIError
			if !errors.As(err, &apiErr) || apiErr.Reason != tt.want {
				t.Fatalf("error %v, want an *APIError with %s", err, tt.want)
			}
			if got := vicidial.FieldOf(err); got != tt.field {
				t.Errorf("FieldOf = %q, want %q", got, tt.field)
			}
			if tt.data != nil && !slices.Equal(apiErr.Data, tt.data) {
				t.Errorf("Data %q, want %q", apiErr.Data, tt.data)
			}
			if vicidial.IsFatal(err) != tt.want.Fatal() || tt.want == vicidial.ReasonUpdateNotPermitted && vicidial.IsFatal(err) {
				t.Errorf("IsFatal = %v", vicidial.IsFatal(err))
			}
			if s := tt.want.Sentence(); s == "" || strings.Contains(s, "_") {
				t.Errorf("Sentence %q", s)
			}
			if !reflect.DeepEqual(before, srv.Sim.Snapshot()) {
				t.Error("an error changed the simulator's state")
			}
			if n := len(srv.Sim.Requests()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

// TestUpdateUserPhonePassNeverShown: the server echoes a refused phone
// password, filtered; the error never shows it.
func TestUpdateUserPhonePassNeverShown(t *testing.T) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	for _, pw := range []string{"Phone Secret! 4242 too long", "Pw|Secret|4242|xxxxxxxxxxxxxxxxx"} {
		err := client(t, srv.URL, "6666", "1234").UpdateUser(context.Background(), vicidial.UpdateUserRequest{Login: "5555",
			PhonePass: vicidial.Secret(pw)})
		if vicidial.FieldOf(err) != "phone_pass" {
			t.Fatalf("%q: error %v, want the phone password refused", pw, err)
		}
		for _, s := range []string{"Secret", "4242", "PhoneSecret"} {
			if strings.Contains(err.Error(), s) || strings.Contains(apiErrText(err), s) {
				t.Errorf("%q: %q in %v", pw, s, err)
			}
		}
	}
}

// TestUpdateUserOtherAnswers: an answer other than update_user's SUCCESS
// line is an error, however it starts.
func TestUpdateUserOtherAnswers(t *testing.T) {
	tests := []struct {
		name string
		body string
		kind vicidial.ResponseErrorKind
	}{
		{"deleted", "SUCCESS: update_user USER HAS BEEN DELETED - 6666|5555|\n", vicidial.KindUnparseable},
		{"another function's success", "SUCCESS: add_user USER HAS BEEN ADDED - 6666|5555|pw|1|N|AGENTS\n", vicidial.KindUnparseable},
		{"user_details data", "5555|Template Agent|AGENTS|1|Y\n", vicidial.KindUnparseable},
		{"empty", "\n\n", vicidial.KindEmptyBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			err := client(t, srv.URL, "6666", "1234").UpdateUser(context.Background(), vicidial.UpdateUserRequest{Login: "5555", CustomOne: "x"})
			var respErr *vicidial.ResponseError
			if !errors.As(err, &respErr) || respErr.Kind != tt.kind {
				t.Errorf("error %#v, want a ResponseError of kind %s", err, tt.kind)
			}
		})
	}
}

// TestUpdateUserUncertain: a 500 or a dropped connection after the request
// leaves the outcome unknown, and the update is never resent.
func TestUpdateUserUncertain(t *testing.T) {
	tests := []struct {
		name    string
		faults  vicidialtest.Faults
		req     vicidial.UpdateUserRequest
		written bool
	}{
		{"500 after the update", vicidialtest.Faults{vicidialtest.Fault500Success: 1}, vicidial.UpdateUserRequest{Login: "5555", CustomTwo: "done"}, true},
		{"reset after the update", vicidialtest.Faults{vicidialtest.FaultResetAfter: 1}, vicidial.UpdateUserRequest{Login: "5555", CustomTwo: "done"}, true},
		{"hang after the update", vicidialtest.Faults{vicidialtest.FaultHangAfter: 1}, vicidial.UpdateUserRequest{Login: "5555", CustomTwo: "done"}, true},
		{"apostrophe in the email", nil, vicidial.UpdateUserRequest{Login: "5555", CustomTwo: "done", Email: "o'neil@example.com"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Faults: tt.faults})
			c, _ := vicidial.New(vicidial.Config{URL: srv.URL, User: "6666", Pass: "1234", Retries: 3, Timeout: 200 * time.Millisecond,
				Sleep: func(context.Context, time.Duration) error { return nil }})
			err := c.UpdateUser(context.Background(), tt.req)
			if !vicidial.IsUncertain(err) {
				t.Errorf("error %v, want an uncertain one", err)
			}
			if n := len(srv.Sim.Requests()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
			if a, _ := srv.Sim.Account("5555"); (a.CustomTwo == "done") != tt.written {
				t.Errorf("written = %v, want %v", a.CustomTwo == "done", tt.written)
			}
		})
	}
}

func TestUpdateReasonsSentences(t *testing.T) {
	for _, r := range []vicidial.Reason{vicidial.ReasonInvalidField, vicidial.ReasonUpdateNotPermitted} {
		if got, generic := r.Sentence(), strings.ToLower(strings.ReplaceAll(string(r), "_", " ")); got == generic {
			t.Errorf("%s has no sentence of its own (%q)", r, got)
		}
		if r.Fatal() {
			t.Errorf("%s is fatal; it concerns one account", r)
		}
	}
	if vicidial.FieldOf(nil) != "" || vicidial.FieldOf(errors.New("YOU MUST USE A VALID EMAIL")) != "" {
		t.Error("FieldOf names a field for an error that is no refusal")
	}
}
