package vicidial_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/vicionboard/vicionboard/vicidial"
)

// phoneEnv is where the phone conformance cases run: a target, its
// servers, and the unique prefix of the phones and aliases they make, all
// deleted when the case ends.
type phoneEnv struct {
	tg              target
	c               *vicidial.Client
	server, server2 string // server2 is "" when the target has one server
	template        string // an existing phone template, or ""
	prefix          string
	n               int
}

// phoneEnvFor returns the environment of tg, or false when the phone
// cases cannot run there: a real server needs VICIDIAL_TEST_WRITE=1 and
// VICIDIAL_TEST_SERVER_IP (VICIDIAL_TEST_SERVER_IP2 and
// VICIDIAL_TEST_PHONE_TEMPLATE are optional), and an API user with "Admin
// Access" and the right to delete phones, for the cleanup.
func phoneEnvFor(t *testing.T, tg target) (*phoneEnv, bool) {
	e := &phoneEnv{tg: tg, c: client(t, tg.url, tg.user, tg.pass), prefix: unique("cp")}
	if tg.sim != nil {
		e.server, e.server2, e.template = "10.10.10.15", "10.10.10.16", "SIP_generic"
		return e, true
	}
	e.server, e.server2, e.template = os.Getenv("VICIDIAL_TEST_SERVER_IP"), os.Getenv("VICIDIAL_TEST_SERVER_IP2"), os.Getenv("VICIDIAL_TEST_PHONE_TEMPLATE")
	return e, tg.writable && e.server != ""
}

// next returns a fresh name: the prefix and a number (13 characters, a
// valid extension, login and alias_id).
func (e *phoneEnv) next() string {
	e.n++
	return fmt.Sprintf("%s%02d", e.prefix, e.n)
}

// phone returns a valid add_phone request for a fresh extension and login.
func (e *phoneEnv) phone() vicidial.AddPhoneRequest {
	name := e.next()
	return vicidial.AddPhoneRequest{Extension: name, DialplanNumber: "8" + name[len(name)-6:], VoicemailID: name[len(name)-8:],
		PhoneLogin: name, PhonePass: "Conf-Phone-1", ServerIP: e.server, Protocol: "SIP", RegistrationPassword: "Conf-Reg-1",
		FullName: "Conformance Phone", LocalGMT: "-5.00", OutboundCID: "3125551212"}
}

// add sends req, and deletes the phone when the case ends, whatever the
// answer (an uncertain outcome may have made it).
func (e *phoneEnv) add(t *testing.T, req vicidial.AddPhoneRequest) (vicidial.PhoneAdded, error) {
	t.Helper()
	e.cleanup(t, "update_phone", "extension", req.Extension, "server_ip", req.ServerIP, "delete_phone", "Y")
	if len(req.Extension) > 100 {
		e.cleanup(t, "update_phone", "extension", req.Extension[:100], "server_ip", req.ServerIP, "delete_phone", "Y")
	}
	return e.c.AddPhone(context.Background(), req)
}

// mustAdd adds req or fails.
func (e *phoneEnv) mustAdd(t *testing.T, req vicidial.AddPhoneRequest) {
	t.Helper()
	if _, err := e.add(t, req); err != nil {
		t.Fatalf("AddPhone(%s): %v", req.Extension, err)
	}
}

// cleanup posts a deleting call when the case ends. It is the only place
// that sends delete_phone or delete_alias, as a raw form: the client never
// does.
func (e *phoneEnv) cleanup(t *testing.T, function string, kv ...string) {
	t.Cleanup(func() {
		ep, err := vicidial.Endpoint(e.tg.url)
		if err != nil {
			t.Error(err)
			return
		}
		form := url.Values{"source": {"conformance"}, "user": {e.tg.user}, "pass": {e.tg.pass}, "function": {function}}
		for i := 0; i+1 < len(kv); i += 2 {
			form.Set(kv[i], kv[i+1])
		}
		resp, err := http.PostForm(ep, form)
		if err != nil {
			t.Errorf("cleanup %s: %v", function, err)
			return
		}
		resp.Body.Close()
	})
}

// exists tells, without writing, whether the phone (extension, server)
// exists: a probe with a fresh login answers PHONE_EXISTS.
func (e *phoneEnv) exists(t *testing.T, extension, server string) bool {
	t.Helper()
	req := e.phone()
	req.Extension, req.ServerIP = extension, server
	err := e.c.ProbePhone(context.Background(), req)
	if err != nil && vicidial.ReasonOf(err) != vicidial.ReasonPhoneExists {
		t.Fatalf("probe of %s: %v", extension, err)
	}
	return err != nil
}

// wantReason fails unless err has reason want (nil for "") and, when field
// is not "", FieldOf(err) is field.
func wantReason(t *testing.T, err error, want vicidial.Reason, field string) {
	t.Helper()
	if vicidial.ReasonOf(err) != want || want == "" && err != nil {
		t.Fatalf("error %v, want reason %q", err, want)
	}
	if field != "" && vicidial.FieldOf(err) != field {
		t.Errorf("FieldOf = %q, want %q", vicidial.FieldOf(err), field)
	}
}

// TestPhoneConformance runs every rule of the phone contract through the
// client against the simulator and, with VICIDIAL_TEST_URL,
// VICIDIAL_TEST_WRITE=1 and VICIDIAL_TEST_SERVER_IP, a real server. The
// phones and aliases it makes carry a unique prefix and are deleted after
// each case.
func TestPhoneConformance(t *testing.T) {
	ctx := context.Background()
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			e, ok := phoneEnvFor(t, tg)
			if !ok {
				t.Skip("phones on a real server need VICIDIAL_TEST_WRITE=1 and VICIDIAL_TEST_SERVER_IP")
			}
			t.Run("add_phone and its duplicate", func(t *testing.T) {
				req := e.phone()
				got, err := e.add(t, req)
				if err != nil || got.Extension != req.Extension || got.ServerIP != req.ServerIP || got.Protocol != "SIP" || got.DialplanNumber != req.DialplanNumber {
					t.Fatalf("AddPhone = %+v, %v", got, err)
				}
				_, err = e.add(t, req)
				wantReason(t, err, vicidial.ReasonPhoneExists, "extension")
				if !e.exists(t, req.Extension, req.ServerIP) || !e.exists(t, strings.ToUpper(req.Extension), req.ServerIP) {
					t.Error("the probe does not see the phone (lookups are case-insensitive)")
				}
			})
			t.Run("the login is free on every server", func(t *testing.T) {
				first := e.phone()
				e.mustAdd(t, first)
				again := e.phone()
				again.PhoneLogin = strings.ToUpper(first.PhoneLogin)
				_, err := e.add(t, again)
				wantReason(t, err, vicidial.ReasonPhoneLoginExists, "phone_login")
				if e.server2 != "" {
					again.ServerIP = e.server2
					_, err = e.add(t, again)
					wantReason(t, err, vicidial.ReasonPhoneLoginExists, "phone_login")
				}
			})
			t.Run("a phone is (extension, server_ip)", func(t *testing.T) {
				if e.server2 == "" {
					t.Skip("needs a second server (VICIDIAL_TEST_SERVER_IP2)")
				}
				req := e.phone()
				e.mustAdd(t, req)
				other := req
				other.ServerIP, other.PhoneLogin = e.server2, e.next()
				if _, err := e.add(t, other); err != nil {
					t.Errorf("the same extension on another server: %v", err)
				}
			})
			// One field against one rule of add_phone.
			for _, tt := range []struct {
				name  string
				edit  func(*vicidial.AddPhoneRequest)
				want  vicidial.Reason
				field string
			}{
				{"server missing", func(r *vicidial.AddPhoneRequest) { r.ServerIP = "192.0.2.1" }, vicidial.ReasonServerNotFound, "server_ip"},
				{"timezone -5", func(r *vicidial.AddPhoneRequest) { r.LocalGMT = "-5" }, "", ""},
				{"timezone +5.50", func(r *vicidial.AddPhoneRequest) { r.LocalGMT = "+5.50" }, "", ""},
				{"timezone 12.75", func(r *vicidial.AddPhoneRequest) { r.LocalGMT = "12.75" }, "", ""},
				{"timezone -3.50", func(r *vicidial.AddPhoneRequest) { r.LocalGMT = "-3.50" }, "", ""},
				{"timezone -5.50", func(r *vicidial.AddPhoneRequest) { r.LocalGMT = "-5.50" }, vicidial.ReasonInvalidTimezone, "local_gmt"},
				{"timezone 99", func(r *vicidial.AddPhoneRequest) { r.LocalGMT = "99" }, vicidial.ReasonInvalidTimezone, "local_gmt"},
				{"protocol PJSIP", func(r *vicidial.AddPhoneRequest) { r.Protocol = "PJSIP" }, vicidial.ReasonPhoneMissingFields, ""},
				{"protocol sip", func(r *vicidial.AddPhoneRequest) { r.Protocol = "sip" }, vicidial.ReasonPhoneMissingFields, ""},
				{"extension of 1", func(r *vicidial.AddPhoneRequest) { r.Extension = "7" }, vicidial.ReasonPhoneMissingFields, ""},
				{"outbound_cid filtered to nothing", func(r *vicidial.AddPhoneRequest) { r.OutboundCID = "none" }, vicidial.ReasonPhoneMissingFields, ""},
			} {
				t.Run(tt.name, func(t *testing.T) {
					req := e.phone()
					tt.edit(&req)
					_, err := e.add(t, req)
					wantReason(t, err, tt.want, tt.field)
					if vicidial.ValidTimezone(req.LocalGMT) != (tt.want != vicidial.ReasonInvalidTimezone) {
						t.Errorf("ValidTimezone(%q) disagrees with the server", req.LocalGMT)
					}
				})
			}
			t.Run("template", func(t *testing.T) {
				req := e.phone()
				req.TemplateID = "nosuchtmpl9z"
				_, err := e.add(t, req)
				wantReason(t, err, vicidial.ReasonPhoneTemplateNotFound, "template_id")
				req.TemplateID = vicidial.Blank
				_, err = e.add(t, req)
				wantReason(t, err, "", "")
				if e.template != "" {
					req := e.phone()
					req.TemplateID = e.template
					_, err = e.add(t, req)
					wantReason(t, err, "", "")
				}
			})
			t.Run("the order of the checks", func(t *testing.T) {
				taken := e.phone()
				e.mustAdd(t, taken)
				tests := []struct {
					name string
					edit func(*vicidial.AddPhoneRequest)
					want vicidial.Reason
				}{
					{"server before extension", func(r *vicidial.AddPhoneRequest) { r.ServerIP, r.Extension = "192.0.2.1", taken.Extension }, vicidial.ReasonServerNotFound},
					{"extension before login", func(r *vicidial.AddPhoneRequest) { r.Extension, r.PhoneLogin = taken.Extension, taken.PhoneLogin }, vicidial.ReasonPhoneExists},
					{"login before timezone", func(r *vicidial.AddPhoneRequest) { r.PhoneLogin, r.LocalGMT = taken.PhoneLogin, "99" }, vicidial.ReasonPhoneLoginExists},
					{"timezone before template", func(r *vicidial.AddPhoneRequest) { r.LocalGMT, r.TemplateID = "99", "nosuchtmpl9z" }, vicidial.ReasonInvalidTimezone},
				}
				for _, tt := range tests {
					req := e.phone()
					tt.edit(&req)
					_, err := e.add(t, req)
					if vicidial.ReasonOf(err) != tt.want {
						t.Errorf("%s: %v, want %s", tt.name, err, tt.want)
					}
				}
			})
			t.Run("an apostrophe in the email: HTTP 500, nothing created", func(t *testing.T) {
				req := e.phone()
				req.Email = "o'neil@example.com"
				_, err := e.add(t, req)
				if !vicidial.IsUncertain(err) {
					t.Fatalf("error %v, want an uncertain outcome", err)
				}
				if err := e.c.ProbePhone(ctx, req); err != nil {
					t.Errorf("probe after the 500: %v, want the phone not created", err)
				}
			})
			t.Run("an extension equal to another in its first 100: HTTP 500", func(t *testing.T) {
				req := e.phone()
				req.Extension += strings.Repeat("x", 100-len(req.Extension))
				e.mustAdd(t, req)
				longer := e.phone()
				longer.Extension = req.Extension + "y"
				_, err := e.add(t, longer)
				if !vicidial.IsUncertain(err) {
					t.Errorf("error %v, want an uncertain outcome (HTTP 500)", err)
				}
			})
			t.Run("a 16-character login is cut to 15 and may duplicate one", func(t *testing.T) {
				first := e.phone()
				first.PhoneLogin = first.PhoneLogin + "ab" // 15
				e.mustAdd(t, first)
				second := e.phone()
				second.PhoneLogin = first.PhoneLogin + "c" // 16: checked uncut, stored cut
				e.mustAdd(t, second)
				// The probe checks the uncut login too: it still finds it free.
				probe := e.phone()
				probe.PhoneLogin = second.PhoneLogin
				if err := e.c.ProbePhone(ctx, probe); err != nil {
					t.Errorf("probe of the 16-character login: %v, want free (the check sees the uncut value)", err)
				}
				probe.PhoneLogin = first.PhoneLogin
				wantReason(t, e.c.ProbePhone(ctx, probe), vicidial.ReasonPhoneLoginExists, "")
				if tg.sim != nil {
					p, _ := tg.sim.Sim.Phone(second.Extension, second.ServerIP)
					if p.Login != first.PhoneLogin {
						t.Errorf("stored login %q, want %q", p.Login, first.PhoneLogin)
					}
				}
			})
			t.Run("the REQUIRED FIELDS line's passwords are redacted", func(t *testing.T) {
				req := e.phone()
				req.Extension, req.PhonePass, req.RegistrationPassword = "7", "Conf-Phone-Secret-7", "Conf-Reg-Secret-8"
				_, err := e.add(t, req)
				wantReason(t, err, vicidial.ReasonPhoneMissingFields, "")
				if text := err.Error() + apiErrText(err); strings.Contains(text, "Secret") || strings.Count(text, "[REDACTED]") < 2 {
					t.Errorf("error %q: want both passwords redacted", text)
				}
			})

			t.Run("update_phone", func(t *testing.T) {
				req := e.phone()
				e.mustAdd(t, req)
				phone := func(u vicidial.UpdatePhoneRequest) vicidial.UpdatePhoneRequest {
					u.Extension, u.ServerIP = req.Extension, req.ServerIP
					return u
				}
				long := strings.Repeat("a", 31)
				tests := []struct {
					name  string
					req   vicidial.UpdatePhoneRequest
					want  vicidial.Reason
					field string
				}{
					{"only the phone (a write)", phone(vicidial.UpdatePhoneRequest{}), "", ""},
					{"deactivate", phone(vicidial.UpdatePhoneRequest{Active: "N"}), "", ""},
					{"reactivate", phone(vicidial.UpdatePhoneRequest{Active: "Y"}), "", ""},
					{"rename", phone(vicidial.UpdatePhoneRequest{FullName: "Renamed Phone", LocalGMT: "+5.50", Email: "x+y@example.com"}), "", ""},
					{"no such phone", vicidial.UpdatePhoneRequest{Extension: e.prefix + "zz", ServerIP: e.server}, vicidial.ReasonPhoneNotFound, ""},
					{"server missing", vicidial.UpdatePhoneRequest{Extension: req.Extension, ServerIP: "192.0.2.1"}, vicidial.ReasonServerNotFound, "server_ip"},
					{"extension of 1", vicidial.UpdatePhoneRequest{Extension: "7", ServerIP: e.server}, vicidial.ReasonPhoneMissingFields, ""},
					{"timezone", phone(vicidial.UpdatePhoneRequest{LocalGMT: "99"}), vicidial.ReasonInvalidTimezone, "local_gmt"},
					{"email", phone(vicidial.UpdatePhoneRequest{Email: "a@bc"}), vicidial.ReasonPhoneInvalidField, "email"},
					{"phone context", phone(vicidial.UpdatePhoneRequest{PhoneContext: "x"}), vicidial.ReasonPhoneInvalidField, "phone_context"},
					{"name", phone(vicidial.UpdatePhoneRequest{FullName: long}), vicidial.ReasonPhoneInvalidField, "phone_full_name"},
					{"registration password", phone(vicidial.UpdatePhoneRequest{RegistrationPassword: "x"}), vicidial.ReasonPhoneInvalidField, "registration_password"},
					{"protocol", phone(vicidial.UpdatePhoneRequest{Protocol: "PJSIP"}), vicidial.ReasonPhoneInvalidField, "protocol"},
					{"phone password", phone(vicidial.UpdatePhoneRequest{PhonePass: vicidial.Secret(long)}), vicidial.ReasonPhoneInvalidField, "phone_pass"},
					{"voicemail", phone(vicidial.UpdatePhoneRequest{VoicemailID: "7"}), vicidial.ReasonPhoneInvalidField, "voicemail_id"},
					{"dialplan", phone(vicidial.UpdatePhoneRequest{DialplanNumber: "12"}), vicidial.ReasonPhoneInvalidField, "dialplan_number"},
					{"active", phone(vicidial.UpdatePhoneRequest{Active: "X"}), vicidial.ReasonPhoneInvalidField, "active"},
					{"caller ID", phone(vicidial.UpdatePhoneRequest{OutboundCID: "12345"}), vicidial.ReasonPhoneInvalidField, "outbound_cid"},
					{"admin group", phone(vicidial.UpdatePhoneRequest{AdminUserGroup: "A"}), vicidial.ReasonPhoneInvalidField, "admin_user_group"},
					{"alt caller ID", phone(vicidial.UpdatePhoneRequest{OutboundAltCID: "12345"}), vicidial.ReasonPhoneInvalidField, "outbound_alt_cid"},
					{"ring timeout", phone(vicidial.UpdatePhoneRequest{PhoneRingTimeout: "1"}), vicidial.ReasonPhoneInvalidField, "phone_ring_timeout"},
					{"template", phone(vicidial.UpdatePhoneRequest{TemplateID: "nosuchtmpl9z"}), vicidial.ReasonPhoneTemplateNotFound, "template_id"},
					{"the first invalid field in the server's order", phone(vicidial.UpdatePhoneRequest{Active: "X", LocalGMT: "99"}), vicidial.ReasonInvalidTimezone, "local_gmt"},
				}
				for _, tt := range tests {
					t.Run(tt.name, func(t *testing.T) {
						wantReason(t, e.c.UpdatePhone(ctx, tt.req), tt.want, tt.field)
					})
				}
				if tg.sim != nil {
					p, _ := tg.sim.Sim.Phone(req.Extension, req.ServerIP)
					if p.Active != "Y" || p.Status != "ACTIVE" || p.FullName != "Renamed Phone" || p.LocalGMT != "5.50" || p.Email != "x y@example.com" || p.InstallDirectory != "" {
						t.Errorf("after the updates: %+v", p)
					}
				}
			})
			t.Run("update_phone's login check sees another extension on another server only", func(t *testing.T) {
				a, b := e.phone(), e.phone()
				e.mustAdd(t, a)
				e.mustAdd(t, b)
				// The login of a phone on the same server is accepted.
				wantReason(t, e.c.UpdatePhone(ctx, vicidial.UpdatePhoneRequest{Extension: b.Extension, ServerIP: b.ServerIP, PhoneLogin: a.PhoneLogin}), "", "")
				if e.server2 == "" {
					return
				}
				c := e.phone()
				c.ServerIP = e.server2
				e.mustAdd(t, c)
				wantReason(t, e.c.UpdatePhone(ctx, vicidial.UpdatePhoneRequest{Extension: b.Extension, ServerIP: b.ServerIP, PhoneLogin: c.PhoneLogin}),
					vicidial.ReasonPhoneLoginExists, "phone_login")
			})
			t.Run("update_phone with an apostrophe in the email: HTTP 500", func(t *testing.T) {
				req := e.phone()
				e.mustAdd(t, req)
				err := e.c.UpdatePhone(ctx, vicidial.UpdatePhoneRequest{Extension: req.Extension, ServerIP: req.ServerIP, Email: "o'neil@example.com", FullName: "Changed"})
				if !vicidial.IsUncertain(err) {
					t.Fatalf("error %v, want an uncertain outcome", err)
				}
				if tg.sim != nil {
					if p, _ := tg.sim.Sim.Phone(req.Extension, req.ServerIP); p.FullName != req.FullName {
						t.Errorf("the failed update wrote the name %q", p.FullName)
					}
				}
			})

			t.Run("aliases", func(t *testing.T) {
				a, b := e.phone(), e.phone()
				e.mustAdd(t, a)
				e.mustAdd(t, b)
				// A deactivated phone's login still counts.
				wantReason(t, e.c.UpdatePhone(ctx, vicidial.UpdatePhoneRequest{Extension: b.Extension, ServerIP: b.ServerIP, Active: "N"}), "", "")
				id := e.next()
				e.cleanup(t, "update_phone_alias", "alias_id", id, "delete_alias", "Y")
				add := vicidial.AddPhoneAliasRequest{AliasID: id, AliasName: "Conformance Alias", PhoneLogins: []string{a.PhoneLogin, b.PhoneLogin}}
				wantReason(t, e.c.AddPhoneAlias(ctx, add), "", "")
				wantReason(t, e.c.AddPhoneAlias(ctx, add), vicidial.ReasonPhoneAliasExists, "alias_id")
				other := add
				other.AliasID = e.next()
				e.cleanup(t, "update_phone_alias", "alias_id", other.AliasID, "delete_alias", "Y")
				other.PhoneLogins = []string{a.PhoneLogin, e.prefix + "none"}
				wantReason(t, e.c.AddPhoneAlias(ctx, other), vicidial.ReasonPhoneLoginNotFound, "phone_logins")
				other.PhoneLogins = []string{a.PhoneLogin, ""}
				wantReason(t, e.c.AddPhoneAlias(ctx, other), vicidial.ReasonPhoneLoginNotFound, "phone_logins")
				other.AliasID = "z"
				wantReason(t, e.c.AddPhoneAlias(ctx, other), vicidial.ReasonPhoneMissingFields, "")

				wantReason(t, e.c.UpdatePhoneAlias(ctx, vicidial.UpdatePhoneAliasRequest{AliasID: id, AliasName: "Renamed Alias"}), "", "")
				wantReason(t, e.c.UpdatePhoneAlias(ctx, vicidial.UpdatePhoneAliasRequest{AliasID: id, PhoneLogins: []string{b.PhoneLogin}}), "", "")
				wantReason(t, e.c.UpdatePhoneAlias(ctx, vicidial.UpdatePhoneAliasRequest{AliasID: id, AliasName: "X"}), vicidial.ReasonPhoneInvalidField, "alias_name")
				wantReason(t, e.c.UpdatePhoneAlias(ctx, vicidial.UpdatePhoneAliasRequest{AliasID: id, PhoneLogins: []string{e.prefix + "none"}}),
					vicidial.ReasonPhoneLoginNotFound, "phone_logins")
				wantReason(t, e.c.UpdatePhoneAlias(ctx, vicidial.UpdatePhoneAliasRequest{AliasID: e.prefix + "none", AliasName: "Xy"}), vicidial.ReasonPhoneAliasNotFound, "")
				wantReason(t, e.c.UpdatePhoneAlias(ctx, vicidial.UpdatePhoneAliasRequest{AliasID: id}), vicidial.ReasonPhoneMissingFields, "")
				if tg.sim != nil {
					var got []string
					for _, al := range tg.sim.Sim.PhoneAliases() {
						if al.AliasID == id {
							got = append(got, al.AliasName, strings.Join(al.Logins, ","))
						}
					}
					if strings.Join(got, "|") != "Renamed Alias|"+b.PhoneLogin {
						t.Errorf("alias %v", got)
					}
				}
			})

			t.Run("users' phone_login", func(t *testing.T) {
				p := e.phone()
				e.mustAdd(t, p)
				inactive := e.phone()
				e.mustAdd(t, inactive)
				wantReason(t, e.c.UpdatePhone(ctx, vicidial.UpdatePhoneRequest{Extension: inactive.Extension, ServerIP: inactive.ServerIP, Active: "N"}), "", "")
				aliasID := e.next()
				e.cleanup(t, "update_phone_alias", "alias_id", aliasID, "delete_alias", "Y")
				wantReason(t, e.c.AddPhoneAlias(ctx, vicidial.AddPhoneAliasRequest{AliasID: aliasID, AliasName: "Conf", PhoneLogins: []string{p.PhoneLogin}}), "", "")

				login := e.next()
				// add_user stores any phone_login, unchecked.
				if _, err := e.c.AddUser(ctx, vicidial.AddUserRequest{Login: login, Pass: "Pw-12345", Level: 1, FullName: "Phone Conf",
					Group: "AGENTS", PhoneLogin: e.prefix + "none", PhonePass: "Conf-Phone-1"}); err != nil {
					t.Fatalf("AddUser with an unknown phone_login: %v", err)
				}
				defer func() { _ = e.c.UpdateUser(ctx, vicidial.UpdateUserRequest{Login: login, Active: "N"}) }()
				// update_user needs a phone login, active or not, or an alias.
				for _, tt := range []struct {
					phoneLogin string
					want       vicidial.Reason
				}{{p.PhoneLogin, ""}, {inactive.PhoneLogin, ""}, {aliasID, ""}, {e.prefix + "none", vicidial.ReasonInvalidPhoneLogin}} {
					err := e.c.UpdateUser(ctx, vicidial.UpdateUserRequest{Login: login, PhoneLogin: tt.phoneLogin, PhonePass: "Conf-Phone-1"})
					if vicidial.ReasonOf(err) != tt.want || tt.want == "" && err != nil {
						t.Errorf("phone_login %s: %v, want %q", tt.phoneLogin, err, tt.want)
					}
				}
			})
			// Every case has ended: its phones and aliases are gone again.
			if tg.sim != nil {
				for _, p := range tg.sim.Sim.Phones() {
					if strings.HasPrefix(p.Extension, e.prefix) {
						t.Errorf("phone %s was not cleaned up", p.Extension)
					}
				}
				for _, a := range tg.sim.Sim.PhoneAliases() {
					if strings.HasPrefix(a.AliasID, e.prefix) {
						t.Errorf("alias %s was not cleaned up", a.AliasID)
					}
				}
			}
		})
	}
}

// TestPhonePermissionConformance: the phone right needs level 8, API access
// and "Admin Access"; it concerns the API user, so it is fatal. It needs
// the simulator's API users.
func TestPhonePermissionConformance(t *testing.T) {
	tg := targets(t)[0]
	ctx := context.Background()
	e, _ := phoneEnvFor(t, tg)
	tests := []struct {
		user, pass string
		want       vicidial.Reason
	}{
		{"noperm", "noperm1", vicidial.ReasonPhoneNoPermission},       // no ast_admin_access
		{"tmplsup", "tmpl-tmplsup", vicidial.ReasonPhoneNoPermission}, // level 7
		{"apilimited", "apilimit1", vicidial.ReasonFunctionNotAllowed},
		{"apiuser8", "apipass8", ""},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			c := client(t, tg.url, tt.user, tt.pass)
			req := e.phone()
			_, err := c.AddPhone(ctx, req)
			wantReason(t, err, tt.want, "")
			if tt.want != "" && !vicidial.IsFatal(err) {
				t.Errorf("%v is not fatal", err)
			}
			for _, err := range []error{
				c.UpdatePhone(ctx, vicidial.UpdatePhoneRequest{Extension: "1001", ServerIP: e.server}),
				c.AddPhoneAlias(ctx, vicidial.AddPhoneAliasRequest{AliasID: e.next(), AliasName: "N", PhoneLogins: []string{"1001"}}),
				c.UpdatePhoneAlias(ctx, vicidial.UpdatePhoneAliasRequest{AliasID: "ALIAS1", AliasName: "Renamed"}),
			} {
				wantReason(t, err, tt.want, "")
			}
		})
	}
}
