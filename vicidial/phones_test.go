package vicidial_test

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/vicionboard/vicionboard/vicidial"
	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// fullPhone is an add_phone request with every field the client can send.
func fullPhone() vicidial.AddPhoneRequest {
	r := validPhone()
	r.PhoneContext, r.Email, r.AdminUserGroup, r.TemplateID = "agents", "agent@example.com", "AGENTS", "SIP_generic"
	r.IsWebphone, r.WebphoneAutoAnswer, r.UseExternalServerIP, r.OnHookAgent = "Y", "Y", "N", "N"
	return r
}

// fullPhoneUpdate is an update_phone request with every field the client
// can send.
func fullPhoneUpdate() vicidial.UpdatePhoneRequest {
	return vicidial.UpdatePhoneRequest{Extension: "1001", ServerIP: "10.10.10.15", LocalGMT: "-6", Email: "desk@example.com",
		PhoneContext: "agents", FullName: "Desk One", RegistrationPassword: "NewReg22", Protocol: "SIP", PhonePass: "NewPass22",
		PhoneLogin: "desk1001", VoicemailID: "1001", DialplanNumber: "1001", Active: "N", OutboundCID: "3125551212",
		AdminUserGroup: "AGENTS", OutboundAltCID: "3125551213", PhoneRingTimeout: "30", IsWebphone: "N",
		WebphoneAutoAnswer: "Y", UseExternalServerIP: "N", OnHookAgent: "N", TemplateID: "SIP_generic"}
}

// sentParams returns the parameter names of the simulator's last request,
// sorted.
func sentParams(t *testing.T, srv *vicidialtest.Server) []string {
	t.Helper()
	reqs := srv.Sim.Requests()
	if len(reqs) == 0 {
		t.Fatal("no request reached the simulator")
	}
	var keys []string
	for k := range reqs[len(reqs)-1].Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestPhoneCallsSendExactlyTheirFields: each phone call sends its fields,
// and never a destructive parameter (delete_phone, delete_alias,
// delete_vm_after_email), whatever the request holds.
func TestPhoneCallsSendExactlyTheirFields(t *testing.T) {
	common := []string{"function", "pass", "source", "user"}
	tests := []struct {
		name string
		call func(context.Context, *vicidial.Client) error
		want []string
	}{
		{"add_phone", func(ctx context.Context, c *vicidial.Client) error {
			_, err := c.AddPhone(ctx, fullPhone())
			return err
		},
			[]string{"admin_user_group", "dialplan_number", "email", "extension", "is_webphone", "local_gmt", "on_hook_agent",
				"outbound_cid", "phone_context", "phone_full_name", "phone_login", "phone_pass", "protocol", "registration_password",
				"server_ip", "template_id", "use_external_server_ip", "voicemail_id", "webphone_auto_answer"}},
		{"probe", func(ctx context.Context, c *vicidial.Client) error { return c.ProbePhone(ctx, fullPhone()) },
			[]string{"admin_user_group", "dialplan_number", "email", "extension", "is_webphone", "local_gmt", "on_hook_agent",
				"outbound_cid", "phone_context", "phone_full_name", "phone_login", "phone_pass", "protocol", "registration_password",
				"server_ip", "use_external_server_ip", "voicemail_id", "webphone_auto_answer"}},
		{"update_phone", func(ctx context.Context, c *vicidial.Client) error { return c.UpdatePhone(ctx, fullPhoneUpdate()) },
			[]string{"active", "admin_user_group", "dialplan_number", "email", "extension", "is_webphone", "local_gmt",
				"on_hook_agent", "outbound_alt_cid", "outbound_cid", "phone_context", "phone_full_name", "phone_login", "phone_pass",
				"phone_ring_timeout", "protocol", "registration_password", "server_ip", "template_id", "use_external_server_ip",
				"voicemail_id", "webphone_auto_answer"}},
		{"add_phone_alias", func(ctx context.Context, c *vicidial.Client) error {
			return c.AddPhoneAlias(ctx, vicidial.AddPhoneAliasRequest{AliasID: "ALIAS2", AliasName: "Two", PhoneLogins: []string{"1003", "1004"}})
		}, []string{"alias_id", "alias_name", "phone_logins"}},
		{"update_phone_alias", func(ctx context.Context, c *vicidial.Client) error {
			return c.UpdatePhoneAlias(ctx, vicidial.UpdatePhoneAliasRequest{AliasID: "ALIAS1", AliasName: "One", PhoneLogins: []string{"1005"}})
		}, []string{"alias_id", "alias_name", "phone_logins"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
			if err := tt.call(context.Background(), client(t, srv.URL, "6666", "1234")); err != nil {
				t.Fatalf("call: %v", err)
			}
			want := append(slices.Clone(common), tt.want...)
			sort.Strings(want)
			got := sentParams(t, srv)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("sent %v\nwant %v", got, want)
			}
			for _, k := range got {
				if strings.HasPrefix(k, "delete") {
					t.Errorf("sent %s", k)
				}
			}
		})
	}
}

func TestAddPhoneThroughTheClient(t *testing.T) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	c := client(t, srv.URL, "6666", "1234")
	ctx := context.Background()
	req := fullPhone()
	req.Extension, req.DialplanNumber = "70-01!", "*7001#"
	got, err := c.AddPhone(ctx, req)
	want := vicidial.PhoneAdded{Extension: "70-01", ServerIP: "10.10.10.15", Protocol: "SIP", DialplanNumber: "*7001#"}
	if err != nil || got != want {
		t.Fatalf("AddPhone = %+v, %v; want %+v (as the server echoed it, filtered)", got, err, want)
	}
	p, ok := srv.Sim.Phone("70-01", "10.10.10.15")
	if !ok || p.Pass != "Ph0nePass" || p.ConfSecret != "RegPass1" || p.TemplateID != "SIP_generic" || p.IsWebphone != "Y" {
		t.Errorf("stored %+v", p)
	}
	_, err = c.AddPhone(ctx, req)
	if vicidial.ReasonOf(err) != vicidial.ReasonPhoneExists || vicidial.FieldOf(err) != "extension" || vicidial.IsFatal(err) {
		t.Errorf("second AddPhone: %v (field %q), want PHONE_EXISTS on extension, not fatal", err, vicidial.FieldOf(err))
	}
	_, err = client(t, srv.URL, "noperm", "noperm1").AddPhone(ctx, req)
	if vicidial.ReasonOf(err) != vicidial.ReasonPhoneNoPermission || !vicidial.IsFatal(err) {
		t.Errorf("noperm: %v, want a fatal PHONE_NO_PERMISSION", err)
	}
}

func TestUpdatePhoneThroughTheClient(t *testing.T) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	c := client(t, srv.URL, "6666", "1234")
	ctx := context.Background()
	if err := c.UpdatePhone(ctx, fullPhoneUpdate()); err != nil {
		t.Fatal(err)
	}
	p, _ := srv.Sim.Phone("1001", "10.10.10.15")
	if p.Active != "N" || p.FullName != "Desk One" || p.Login != "desk1001" || p.Pass != "NewPass22" || p.PhoneRingTimeout != "30" {
		t.Errorf("stored %+v", p)
	}
	err := c.UpdatePhone(ctx, vicidial.UpdatePhoneRequest{Extension: "1001", ServerIP: "10.10.10.15", Active: "X", OutboundCID: "1"})
	if vicidial.ReasonOf(err) != vicidial.ReasonPhoneInvalidField || vicidial.FieldOf(err) != "active" {
		t.Errorf("error %v field %q, want PHONE_INVALID_FIELD on active", err, vicidial.FieldOf(err))
	}
	err = c.UpdatePhone(ctx, vicidial.UpdatePhoneRequest{Extension: "1009", ServerIP: "10.10.10.15"})
	if vicidial.ReasonOf(err) != vicidial.ReasonPhoneNotFound {
		t.Errorf("error %v, want PHONE_NOT_FOUND", err)
	}
	err = c.UpdatePhoneAlias(ctx, vicidial.UpdatePhoneAliasRequest{AliasID: "ALIAS1"})
	if vicidial.ReasonOf(err) != vicidial.ReasonPhoneMissingFields {
		t.Errorf("alias with nothing to change: %v, want PHONE_MISSING_FIELDS", err)
	}
}

// TestPhoneSecretsRedacted: the lines that echo a phone's passwords (the
// REQUIRED FIELDS line, update_phone's password errors) reach neither the
// error, its Data, nor the log.
func TestPhoneSecretsRedacted(t *testing.T) {
	const phonePass, regPass = "PhoneSecret77", "RegSecret88"
	var logs strings.Builder
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	c, err := vicidial.New(vicidial.Config{URL: srv.URL, User: "6666", Pass: "1234", Logger: zerolog.New(&logs).Level(zerolog.DebugLevel)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	req := validPhone()
	req.Extension, req.PhonePass, req.RegistrationPassword = "7", phonePass, regPass
	var texts []string
	_, err = c.AddPhone(ctx, req)
	if vicidial.ReasonOf(err) != vicidial.ReasonPhoneMissingFields {
		t.Fatalf("error %v, want PHONE_MISSING_FIELDS", err)
	}
	texts = append(texts, err.Error(), apiErrText(err))
	long := strings.Repeat("S", 31)
	for _, u := range []vicidial.UpdatePhoneRequest{{PhonePass: vicidial.Secret(phonePass + long)}, {RegistrationPassword: vicidial.Secret(regPass + long)}} {
		u.Extension, u.ServerIP = "1001", "10.10.10.15"
		err := c.UpdatePhone(ctx, u)
		if vicidial.ReasonOf(err) != vicidial.ReasonPhoneInvalidField {
			t.Fatalf("error %v, want PHONE_INVALID_FIELD", err)
		}
		texts = append(texts, err.Error(), apiErrText(err))
	}
	// The simulator did echo them: the test would prove nothing otherwise.
	echoed := 0
	for _, r := range srv.Sim.Requests() {
		if strings.Contains(r.Body, phonePass) || strings.Contains(r.Body, regPass) {
			echoed++
		}
	}
	if echoed != 3 {
		t.Fatalf("%d answers echo a password, want 3", echoed)
	}
	text := strings.Join(texts, "\n") + logs.String()
	for _, s := range []string{phonePass, regPass} {
		if strings.Contains(text, s) {
			t.Errorf("%q appears in errors or logs:\n%s", s, text)
		}
	}
	if n := strings.Count(strings.Join(texts, "\n"), "[REDACTED]"); n < 4 {
		t.Errorf("%d [REDACTED], want the passwords replaced in each error:\n%s", n, strings.Join(texts, "\n"))
	}
}

// TestPhoneEchoedSecretsInAnyForm: a server that echoes the phone
// passwords in a 500 page, raw, URL-encoded or HTML-escaped, shows none of
// them.
func TestPhoneEchoedSecretsInAnyForm(t *testing.T) {
	const phonePass, regPass = `Phon&e 7"x`, `Regi<s>ter 8`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "<html>%s phone_pass=%s registration_password=%s</html>", url.QueryEscape(r.PostForm.Get("phone_pass")),
			r.PostForm.Get("phone_pass"), html.EscapeString(r.PostForm.Get("registration_password")))
	}))
	defer srv.Close()
	req := validPhone()
	req.PhonePass, req.RegistrationPassword = phonePass, regPass
	_, err := client(t, srv.URL, "6666", "1234").AddPhone(context.Background(), req)
	if !vicidial.IsUncertain(err) {
		t.Fatalf("error %v, want an uncertain outcome", err)
	}
	for _, m := range []string{"Phon", "Regi", "ter"} {
		if strings.Contains(err.Error(), m) {
			t.Errorf("a phone password (%q) shows in %q", m, err)
		}
	}
}

// TestAddPhoneUncertainThenProbe: an HTTP 500, an empty body or a cut
// connection leaves add_phone's outcome unknown; ProbePhone with the same
// request tells, without writing, whether the phone exists.
func TestAddPhoneUncertainThenProbe(t *testing.T) {
	tests := []struct {
		name    string
		faults  vicidialtest.Faults
		edit    func(*vicidial.AddPhoneRequest)
		created bool
	}{
		{"500 with an empty body", vicidialtest.Faults{vicidialtest.Fault500Empty: 1}, nil, false},
		{"500 after the insert", vicidialtest.Faults{vicidialtest.Fault500Success: 1}, nil, true},
		{"connection cut after the insert", vicidialtest.Faults{vicidialtest.FaultResetAfter: 1}, nil, true},
		{"apostrophe in the email", nil, func(r *vicidial.AddPhoneRequest) { r.Email = "o'neil@example.com" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Faults: tt.faults})
			c := client(t, srv.URL, "6666", "1234")
			ctx := context.Background()
			req := validPhone()
			if tt.edit != nil {
				tt.edit(&req)
			}
			_, err := c.AddPhone(ctx, req)
			if !vicidial.IsUncertain(err) {
				t.Fatalf("error %v, want an uncertain outcome", err)
			}
			srv.Sim.SetFaults(nil)
			before := srv.Sim.Snapshot()
			err = c.ProbePhone(ctx, req)
			if after := srv.Sim.Snapshot(); !reflect.DeepEqual(before, after) {
				t.Errorf("the probe wrote:\nbefore %+v\nafter  %+v", before, after)
			}
			if tt.created && vicidial.ReasonOf(err) != vicidial.ReasonPhoneExists || !tt.created && err != nil {
				t.Errorf("probe: %v; created = %v", err, tt.created)
			}
		})
	}
}

// TestProbePhone: the probe tells the server, the extension and the login
// apart, writes nothing, and ignores an invalid timezone or template in the
// request (it checks neither).
func TestProbePhone(t *testing.T) {
	tests := []struct {
		name string
		edit func(*vicidial.AddPhoneRequest)
		want vicidial.Reason
	}{
		{"free", func(*vicidial.AddPhoneRequest) {}, ""},
		{"free, with a template and a bad timezone", func(r *vicidial.AddPhoneRequest) { r.TemplateID, r.LocalGMT = "NOPE", "-5.50" }, ""},
		{"server missing", func(r *vicidial.AddPhoneRequest) { r.ServerIP = "10.9.9.9" }, vicidial.ReasonServerNotFound},
		{"extension taken", func(r *vicidial.AddPhoneRequest) { r.Extension = "1001" }, vicidial.ReasonPhoneExists},
		{"extension free on the other server", func(r *vicidial.AddPhoneRequest) { r.Extension, r.ServerIP = "1002", "10.10.10.16" }, ""},
		{"login taken on another server", func(r *vicidial.AddPhoneRequest) { r.PhoneLogin = "1001b" }, vicidial.ReasonPhoneLoginExists},
		{"a required field missing", func(r *vicidial.AddPhoneRequest) { r.Protocol = "PJSIP" }, vicidial.ReasonPhoneMissingFields},
	}
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	c := client(t, srv.URL, "6666", "1234")
	before := srv.Sim.Snapshot()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := validPhone()
			tt.edit(&req)
			if err := c.ProbePhone(context.Background(), req); vicidial.ReasonOf(err) != tt.want || tt.want == "" && err != nil {
				t.Errorf("ProbePhone: %v, want %q", err, tt.want)
			}
		})
	}
	if after := srv.Sim.Snapshot(); !reflect.DeepEqual(before, after) {
		t.Errorf("the probes wrote:\nbefore %+v\nafter  %+v", before, after)
	}
	// A server that takes the invalid timezone is not the server of the
	// contract: the probe says so rather than "free".
	odd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "SUCCESS: add_phone PHONE HAS BEEN ADDED - 6666|7001|10.10.10.15|SIP|7001\n")
	}))
	defer odd.Close()
	var respErr *vicidial.ResponseError
	if err := client(t, odd.URL, "6666", "1234").ProbePhone(context.Background(), validPhone()); !errors.As(err, &respErr) {
		t.Errorf("a probe answered SUCCESS: %v, want a *ResponseError", err)
	}
}

func TestPhoneGatewayErrorRetried(t *testing.T) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Faults: vicidialtest.Faults{vicidialtest.Fault502: 1}})
	c, _ := vicidial.New(vicidial.Config{URL: srv.URL, User: "6666", Pass: "1234", Retries: 2,
		Sleep: func(context.Context, time.Duration) error { srv.Sim.SetFaults(nil); return nil }})
	if _, err := c.AddPhone(context.Background(), validPhone()); err != nil {
		t.Errorf("AddPhone after a 502: %v", err)
	}
	if n := len(srv.Sim.Requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}
