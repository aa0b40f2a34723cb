package vicidial

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// The phone protocols add_phone and update_phone accept, exactly so
// spelled: any other value (PJSIP, sip) is a missing field for add_phone.
var PhoneProtocols = []string{"SIP", "IAX2", "Zap", "EXTERNAL"}

// AddPhoneRequest is the input of add_phone. A phone is identified by
// (Extension, ServerIP). Optional fields are sent only when non-empty; see
// Validate for what the server would refuse, cut or fail on.
type AddPhoneRequest struct {
	Extension            string // extension, 2 to 100 of [-_0-9a-zA-Z]
	DialplanNumber       string // dialplan_number, 2 to 20 of [*#0-9a-zA-Z]
	VoicemailID          string // voicemail_id, 1 to 10 letters or digits
	PhoneLogin           string // phone_login, up to 15; free on every server
	PhonePass            Secret // phone_pass
	ServerIP             string // server_ip, a server of the cluster
	Protocol             string // protocol, one of PhoneProtocols
	RegistrationPassword Secret // registration_password (conf_secret)
	FullName             string // phone_full_name, up to 50 of [- +._0-9a-zA-Z]
	LocalGMT             string // local_gmt, a timezone of the list (see ValidTimezone)
	OutboundCID          string // outbound_cid, 1 to 20 digits
	// Optional.
	PhoneContext        string // phone_context (server default: default)
	Email               string // email, never checked by add_phone
	AdminUserGroup      string // admin_user_group (server default: ---ALL---), never checked
	IsWebphone          string // is_webphone: Y, N or Y_API_LAUNCH (default N)
	WebphoneAutoAnswer  string // webphone_auto_answer: Y or N (default Y)
	UseExternalServerIP string // use_external_server_ip: Y or N (default N)
	OnHookAgent         string // on_hook_agent: Y or N (default N)
	TemplateID          string // template_id: an existing template, or --BLANK-- for none
}

// PhoneAdded is add_phone's SUCCESS line: the values as the server echoes
// them, filtered but never cut.
type PhoneAdded struct {
	Extension      string
	ServerIP       string
	Protocol       string
	DialplanNumber string
}

// UpdatePhoneRequest is the input of update_phone: Extension and ServerIP
// name the phone, and only the non-empty fields are sent. The server then
// ignores a value that its character filtering empties. Blank ("--BLANK--")
// empties Email, PhoneContext, FullName and RegistrationPassword; it is
// stored as "BLANK" for VoicemailID and literally for PhonePass and
// PhoneLogin. The client never sends delete_phone or delete_vm_after_email.
type UpdatePhoneRequest struct {
	Extension            string // extension (required)
	ServerIP             string // server_ip (required)
	LocalGMT             string // local_gmt, a timezone of the list
	Email                string // email, 5 to 100 characters
	PhoneContext         string // phone_context, 2 to 20
	FullName             string // phone_full_name, 2 to 30
	RegistrationPassword Secret // registration_password, 2 to 30
	Protocol             string // protocol, one of PhoneProtocols
	PhonePass            Secret // phone_pass, 2 to 30
	PhoneLogin           string // phone_login; refused when another extension on another server has it
	VoicemailID          string // voicemail_id, 2 to 10
	DialplanNumber       string // dialplan_number, 3 to 20
	Active               string // active, Y or N: N deactivates the phone, Y reactivates it
	OutboundCID          string // outbound_cid, 6 to 18 digits
	AdminUserGroup       string // admin_user_group, 2 to 20, never checked
	OutboundAltCID       string // outbound_alt_cid, 6 to 18
	PhoneRingTimeout     string // phone_ring_timeout, 2 to 180 seconds
	IsWebphone           string // is_webphone: Y, N or Y_API_LAUNCH
	WebphoneAutoAnswer   string // webphone_auto_answer: Y or N
	UseExternalServerIP  string // use_external_server_ip: Y or N
	OnHookAgent          string // on_hook_agent: Y or N
	TemplateID           string // template_id: an existing template, or --BLANK-- for none
}

// AddPhoneAliasRequest is the input of add_phone_alias: one alias login
// that stands for several phones.
type AddPhoneAliasRequest struct {
	AliasID     string   // alias_id, 2 to 20 of [-_0-9a-zA-Z]; free
	AliasName   string   // alias_name
	PhoneLogins []string // phone_logins, each an existing phone login (active or not)
}

// UpdatePhoneAliasRequest is the input of update_phone_alias: AliasID
// names the alias; a non-empty AliasName renames it and a non-empty
// PhoneLogins replaces its list. The client never sends delete_alias.
type UpdatePhoneAliasRequest struct {
	AliasID     string   // alias_id (required)
	AliasName   string   // alias_name, 2 to 50
	PhoneLogins []string // phone_logins, each an existing phone login
}

// The parameters each phone call may send: never delete_phone,
// delete_alias or delete_vm_after_email (they delete the phone, the alias,
// or voicemail).
var (
	commonParams    = []string{"source", "user", "pass", "function"}
	phoneFlagParams = []string{"is_webphone", "webphone_auto_answer", "use_external_server_ip", "on_hook_agent", "template_id"}
	addPhoneParams  = slices.Concat(commonParams, []string{"extension", "dialplan_number", "voicemail_id", "phone_login",
		"phone_pass", "server_ip", "protocol", "registration_password", "phone_full_name", "local_gmt", "outbound_cid",
		"phone_context", "email", "admin_user_group"}, phoneFlagParams)
	updatePhoneParams = slices.Concat(commonParams, []string{"extension", "server_ip", "local_gmt", "email",
		"phone_context", "phone_full_name", "registration_password", "protocol", "phone_pass", "phone_login",
		"voicemail_id", "dialplan_number", "active", "outbound_cid", "admin_user_group", "outbound_alt_cid",
		"phone_ring_timeout"}, phoneFlagParams)
	aliasParams = slices.Concat(commonParams, []string{"alias_id", "alias_name", "phone_logins"})
)

// AddPhone creates a phone with add_phone. An ERROR line is an *APIError:
// ReasonPhoneExists (the extension is taken on that server),
// ReasonPhoneLoginExists (the login is taken on any server),
// ReasonServerNotFound, ReasonInvalidTimezone, ReasonPhoneTemplateNotFound,
// ReasonPhoneMissingFields, or one of the API user's fatal reasons
// (ReasonPhoneNoPermission among them). An HTTP 500, an empty body or a cut
// connection leaves the outcome unknown (IsUncertain): ProbePhone settles it.
func (c *Client) AddPhone(ctx context.Context, req AddPhoneRequest) (PhoneAdded, error) {
	f := c.addPhoneForm(req)
	line, err := c.guardedCall(ctx, "add_phone", req.PhoneLogin, f, addPhoneParams)
	if err != nil {
		return PhoneAdded{}, err
	}
	if line.Success && line.Function == "add_phone" && line.Message == "PHONE HAS BEEN ADDED" && len(line.Fields) >= 5 {
		return PhoneAdded{Extension: line.Fields[1], ServerIP: line.Fields[2], Protocol: line.Fields[3], DialplanNumber: line.Fields[4]}, nil
	}
	return PhoneAdded{}, &ResponseError{Kind: KindUnparseable, Status: 200, Excerpt: c.describe(line, f)}
}

// probeTimezone is a local_gmt no server accepts: add_phone checks the
// timezone after the server, the extension and the login, and writes
// nothing before its last check.
const probeTimezone = "99"

// ProbePhone asks, without writing anything, what add_phone would answer
// for req up to its timezone check: it sends req with an invalid local_gmt
// and no template_id, so that the server stops before its insert. It
// returns nil when the server exists and both the extension (on that
// server) and the login (on every server) are free; otherwise add_phone's
// error (ReasonServerNotFound, ReasonPhoneExists, ReasonPhoneLoginExists,
// ReasonPhoneMissingFields, the API user's fatal reasons) or a transport
// error. The timezone and the template are not probed: Validate checks the
// first, and only add_phone itself the second. After an uncertain AddPhone,
// the same request's probe settles the outcome: ReasonPhoneExists means the
// phone was created (the extension is checked before the login), nil that
// it was not and AddPhone may be sent again. A probe writes nothing, so it
// may itself be resent after any failure.
func (c *Client) ProbePhone(ctx context.Context, req AddPhoneRequest) error {
	req.LocalGMT, req.TemplateID = probeTimezone, ""
	f := c.addPhoneForm(req)
	line, err := c.guardedCall(ctx, "add_phone", req.PhoneLogin, f, addPhoneParams)
	if ReasonOf(err) == ReasonInvalidTimezone {
		return nil
	}
	if err != nil {
		return err
	}
	// The server accepted a timezone it must refuse: it is not the server
	// of the contract, and it may have created the phone.
	return &ResponseError{Kind: KindUnparseable, Status: 200, Excerpt: c.describe(line, f)}
}

func (c *Client) addPhoneForm(req AddPhoneRequest) *form {
	f := c.newForm("add_phone")
	f.set("extension", req.Extension)
	f.set("dialplan_number", req.DialplanNumber)
	f.set("voicemail_id", req.VoicemailID)
	f.set("phone_login", req.PhoneLogin)
	f.secret("phone_pass", req.PhonePass)
	f.set("server_ip", req.ServerIP)
	f.set("protocol", req.Protocol)
	f.secret("registration_password", req.RegistrationPassword)
	f.set("phone_full_name", req.FullName)
	f.set("local_gmt", req.LocalGMT)
	f.set("outbound_cid", req.OutboundCID)
	f.set("phone_context", req.PhoneContext)
	f.set("email", req.Email)
	f.set("admin_user_group", req.AdminUserGroup)
	f.set("is_webphone", req.IsWebphone)
	f.set("webphone_auto_answer", req.WebphoneAutoAnswer)
	f.set("use_external_server_ip", req.UseExternalServerIP)
	f.set("on_hook_agent", req.OnHookAgent)
	f.set("template_id", req.TemplateID)
	return f
}

// UpdatePhone changes a phone with update_phone, sending only the request's
// non-empty fields. Every success writes, even with no field given: the
// server clears the phone's install directory, flags its server's
// configuration for a rebuild and logs the change (a dry run must not call
// it). An ERROR line is an *APIError: ReasonPhoneNotFound,
// ReasonServerNotFound, ReasonInvalidTimezone, ReasonPhoneLoginExists,
// ReasonPhoneTemplateNotFound, ReasonPhoneInvalidField (FieldOf names the
// field; the three before keep their own reasons and FieldOf names theirs
// too), ReasonPhoneMissingFields, or one of the API user's fatal reasons.
func (c *Client) UpdatePhone(ctx context.Context, req UpdatePhoneRequest) error {
	f := c.newForm("update_phone")
	f.set("extension", req.Extension)
	f.set("server_ip", req.ServerIP)
	f.set("local_gmt", req.LocalGMT)
	f.set("email", req.Email)
	f.set("phone_context", req.PhoneContext)
	f.set("phone_full_name", req.FullName)
	f.secret("registration_password", req.RegistrationPassword)
	f.set("protocol", req.Protocol)
	f.secret("phone_pass", req.PhonePass)
	f.set("phone_login", req.PhoneLogin)
	f.set("voicemail_id", req.VoicemailID)
	f.set("dialplan_number", req.DialplanNumber)
	f.set("active", req.Active)
	f.set("outbound_cid", req.OutboundCID)
	f.set("admin_user_group", req.AdminUserGroup)
	f.set("outbound_alt_cid", req.OutboundAltCID)
	f.set("phone_ring_timeout", req.PhoneRingTimeout)
	f.set("is_webphone", req.IsWebphone)
	f.set("webphone_auto_answer", req.WebphoneAutoAnswer)
	f.set("use_external_server_ip", req.UseExternalServerIP)
	f.set("on_hook_agent", req.OnHookAgent)
	f.set("template_id", req.TemplateID)
	return c.expect(ctx, "update_phone", "PHONE HAS BEEN UPDATED", req.Extension, f, updatePhoneParams)
}

// AddPhoneAlias creates a phone alias with add_phone_alias. An ERROR line
// is an *APIError: ReasonPhoneAliasExists, ReasonPhoneLoginNotFound (a
// login of PhoneLogins is no phone's), ReasonPhoneMissingFields, or one of
// the API user's fatal reasons.
func (c *Client) AddPhoneAlias(ctx context.Context, req AddPhoneAliasRequest) error {
	return c.alias(ctx, "add_phone_alias", "PHONE ALIAS HAS BEEN ADDED", req.AliasID, req.AliasName, req.PhoneLogins)
}

// UpdatePhoneAlias changes a phone alias with update_phone_alias. An ERROR
// or NOTICE line is an *APIError: ReasonPhoneAliasNotFound,
// ReasonPhoneLoginNotFound, ReasonPhoneInvalidField (the alias name, see
// FieldOf), ReasonNoUpdates, ReasonPhoneMissingFields (nothing to change
// given), or one of the API user's fatal reasons.
func (c *Client) UpdatePhoneAlias(ctx context.Context, req UpdatePhoneAliasRequest) error {
	return c.alias(ctx, "update_phone_alias", "PHONE ALIAS HAS BEEN UPDATED", req.AliasID, req.AliasName, req.PhoneLogins)
}

// alias sends an alias function, which both take the same fields, and
// wants its SUCCESS line with message.
func (c *Client) alias(ctx context.Context, function, message, id, name string, logins []string) error {
	f := c.newForm(function)
	f.set("alias_id", id)
	f.set("alias_name", name)
	f.set("phone_logins", strings.Join(logins, ","))
	return c.expect(ctx, function, message, id, f, aliasParams)
}

// guardedCall sends f after checking that it holds only allowed
// parameters: a destructive one must never leave the client, whatever a
// later change to a request type does.
func (c *Client) guardedCall(ctx context.Context, function, subject string, f *form, allowed []string) (Line, error) {
	for k := range f.values {
		if !slices.Contains(allowed, k) {
			return Line{}, fmt.Errorf("%s: parameter %q must never be sent", function, k)
		}
	}
	return c.call(ctx, function, subject, f)
}

// expect sends f and wants function's SUCCESS line with message; any other
// answer is an error.
func (c *Client) expect(ctx context.Context, function, message, subject string, f *form, allowed []string) error {
	line, err := c.guardedCall(ctx, function, subject, f, allowed)
	if err != nil {
		return err
	}
	if !line.Success || line.Function != function || line.Message != message {
		return &ResponseError{Kind: KindUnparseable, Status: 200, Excerpt: c.describe(line, f)}
	}
	return nil
}
