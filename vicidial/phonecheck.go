package vicidial

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// FieldProblem is one value of a phone request that the server would
// refuse, change silently (delete characters, cut), or fail on with an
// HTTP 500. Field is the API parameter, for the caller to name its own
// file, line and column; Message never quotes the value, so that a
// password cannot show.
type FieldProblem struct {
	Field   string // the API parameter, e.g. extension
	Message string // what is wrong, and how to write it instead
}

// String returns "field: message".
func (p FieldProblem) String() string { return p.Field + ": " + p.Message }

// The lengths at which the database cuts a phone's values silently (the
// duplicate checks see the uncut value, so a cut one can collide).
const (
	maxPhoneExtension = 100
	maxPhoneDialplan  = 20
	maxPhoneVoicemail = 10
	maxPhoneLogin     = 15
	maxPhoneFullName  = 50
	maxPhoneCID       = 20
	maxPhoneContext   = 20
	maxPhoneEmail     = 100
	maxAliasID        = 20
	// MaxAccountPhonePass is the longest phone_pass an account holds: the
	// phone's password is copied onto the account that logs in on it
	// (update_user refuses a longer one, add_user cuts it).
	MaxAccountPhonePass = 20
)

// timezones are the local_gmt values add_phone and update_phone accept:
// the whole hours from -12 to 12 and eight others.
var timezones = func() []float64 {
	tz := []float64{12.75, 9.50, 6.50, 5.75, 5.50, 4.50, 3.50, -3.50}
	for h := -12; h <= 12; h++ {
		tz = append(tz, float64(h))
	}
	return tz
}()

// timezoneList describes timezones for a message.
const timezoneList = "whole hours from -12 to 12, and 12.75, 9.50, 6.50, 5.75, 5.50, 4.50, 3.50, -3.50"

// ValidTimezone reports whether the server accepts local_gmt v. Like the
// server, it keeps only [-.0-9] and compares numerically: "-5" and "+5.50"
// pass (stored as -5 and 5.50), "-5.50" and "99" do not.
func ValidTimezone(v string) bool {
	f, err := strconv.ParseFloat(keep(v, isGMTByte), 64)
	return err == nil && slices.Contains(timezones, f)
}

// PhoneName returns name made fit for phone_full_name: only the characters
// the server keeps there ([- +._0-9a-zA-Z]: fewer than an account's full
// name keeps, no : / or @), with spaces collapsed. It does not cut: a name
// longer than 50 characters stays a problem for Validate.
func PhoneName(name string) string {
	return strings.Join(strings.Fields(keep(name, isPhoneNameByte)), " ")
}

// A charClass is what the server keeps of one kind of field.
type charClass struct {
	keep func(byte) bool
	use  string // the characters, for a message
}

func isAlnumByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
func isDigitByte(c byte) bool       { return c >= '0' && c <= '9' }
func isIDCharByte(c byte) bool      { return isAlnumByte(c) || c == '-' || c == '_' }
func isDialplanByte(c byte) bool    { return isAlnumByte(c) || c == '*' || c == '#' }
func isServerIPByte(c byte) bool    { return isIDCharByte(c) || c == '.' || c == ':' }
func isGMTByte(c byte) bool         { return isDigitByte(c) || c == '-' || c == '.' }
func isPhoneNameByte(c byte) bool   { return isIDCharByte(c) || c == ' ' || c == '+' || c == '.' }
func isAliasNameByte(c byte) bool   { return isPhoneNameByte(c) || c == ':' || c == '/' || c == '@' }
func isPhoneEmailByte(c byte) bool  { return isAliasNameByte(c) || c == '\'' || c == '%' }
func isPhoneLoginsByte(c byte) bool { return isIDCharByte(c) || c == ',' }

var (
	idClass        = charClass{isIDCharByte, "letters, digits, - and _"}
	dialplanClass  = charClass{isDialplanByte, "letters, digits, * and #"}
	alnumClass     = charClass{isAlnumByte, "letters and digits"}
	digitClass     = charClass{isDigitByte, "digits"}
	serverIPClass  = charClass{isServerIPByte, "letters, digits, ., :, - and _"}
	phoneNameClass = charClass{isPhoneNameByte, "letters, digits, spaces, ., +, - and _ (PhoneName makes a name fit)"}
	aliasNameClass = charClass{isAliasNameByte, "letters, digits, spaces and . : / @ + - _"}
	emailClass     = charClass{isPhoneEmailByte, "letters, digits and . @ - _ : / %"}
)

// keep returns the bytes of s that keepByte accepts (a byte of a non-ASCII
// character never is).
func keep(s string, keepByte func(byte) bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if keepByte(s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// Why a length is refused.
const (
	whyCut          = "the database would cut the rest"
	whyUpdatePhone  = "update_phone refuses more"
	whyAccountPass  = "an account's phone_pass holds 20 characters: update_user refuses more, add_user cuts it"
	whyDuplicateCut = "the database would cut the rest, and the server checks the uncut value for duplicates"
)

// rule is what one field must be.
type rule struct {
	class    charClass
	min, max int    // lengths; 0 = no bound
	why      string // why max
	secret   bool   // never describe the characters
}

// problems collects a request's problems.
type problems []FieldProblem

func (ps *problems) add(field, format string, args ...any) {
	*ps = append(*ps, FieldProblem{Field: field, Message: fmt.Sprintf(format, args...)})
}

// check checks v against r; an empty v is "required" when required, else
// nothing. It reports one problem at most: the first of characters the
// server would delete, too short, too long.
func (ps *problems) check(field, v string, r rule, required bool) {
	if v == "" {
		if required {
			ps.add(field, "required")
		}
		return
	}
	if bad := badBytes(v, r.class.keep, r.secret); bad != "" {
		ps.add(field, "has characters VICIdial would delete (%s); use only %s", bad, r.class.use)
		return
	}
	n := utf8.RuneCountInString(v)
	switch {
	case r.min > 0 && n < r.min:
		ps.add(field, "is too short: %d character(s), at least %d", n, r.min)
	case r.max > 0 && n > r.max:
		ps.add(field, "is too long: %d characters, at most %d (%s)", n, r.max, r.why)
	}
}

// maxBadKinds is how many different characters badBytes names.
const maxBadKinds = 8

// badBytes names the characters of v that keepByte rejects ("" when none),
// or only counts them for a secret.
func badBytes(v string, keepByte func(byte) bool, secret bool) string {
	var names []string
	seen := map[rune]bool{}
	for _, r := range v {
		if r < utf8.RuneSelf && keepByte(byte(r)) || seen[r] {
			continue
		}
		seen[r] = true
		if len(seen) > maxBadKinds {
			continue
		}
		if r == ' ' {
			names = append(names, "space")
		} else {
			names = append(names, strconv.QuoteRune(r))
		}
	}
	switch {
	case len(seen) == 0:
		return ""
	case secret:
		return fmt.Sprintf("%d kind(s) of character", len(seen))
	case len(seen) > len(names):
		names = append(names, fmt.Sprintf("and %d more", len(seen)-len(names)))
	}
	return strings.Join(names, " ")
}

func (ps *problems) protocol(v string, required bool) {
	switch {
	case v == "":
		if required {
			ps.add("protocol", "required: SIP, IAX2, Zap or EXTERNAL")
		}
	case slices.Contains(PhoneProtocols, v):
	default:
		for _, p := range PhoneProtocols {
			if strings.EqualFold(p, v) {
				ps.add("protocol", "must be written exactly %s (the server takes any other spelling as a missing field)", p)
				return
			}
		}
		ps.add("protocol", "must be SIP, IAX2, Zap or EXTERNAL (the server takes any other value, PJSIP included, as a missing field)")
	}
}

func (ps *problems) timezone(v string, required bool) {
	if v == "" {
		if required {
			ps.add("local_gmt", "required: an offset from GMT such as -5 or 5.50")
		}
		return
	}
	if bad := badBytes(strings.TrimPrefix(v, "+"), isGMTByte, false); bad != "" {
		ps.add("local_gmt", "has characters VICIdial would delete (%s); write an offset from GMT such as -5 or 5.50", bad)
		return
	}
	if !ValidTimezone(v) {
		ps.add("local_gmt", "is not one of VICIdial's timezones (%s)", timezoneList)
	}
}

// email checks an email; min is update_phone's lower bound (0 for
// add_phone, which checks nothing).
func (ps *problems) email(v string, min int) {
	switch {
	case v == "":
	case strings.Contains(v, "'"):
		ps.add("email", "has an apostrophe, which makes the server fail (HTTP 500)")
	case strings.Contains(v, "+"):
		ps.add("email", "has a +, which VICIdial stores as a space")
	case strings.Count(v, "@") != 1 || strings.Contains(v, " "):
		ps.add("email", "is not an email address (one @, no space)")
	default:
		ps.check("email", v, rule{class: emailClass, min: min, max: maxPhoneEmail, why: whyCut}, false)
	}
}

// flags checks the four Y/N flags and the template, which add_phone and
// update_phone share.
func (ps *problems) flags(webphone, autoAnswer, externalIP, onHook, template string) {
	yesNo := func(field, v string, also ...string) {
		if v == "" || strings.EqualFold(v, "Y") || strings.EqualFold(v, "N") {
			return
		}
		for _, a := range also {
			if strings.EqualFold(v, a) {
				return
			}
		}
		if len(also) > 0 {
			ps.add(field, "must be Y, N or %s (the server ignores any other value)", strings.Join(also, ", "))
			return
		}
		ps.add(field, "must be Y or N (the server ignores any other value)")
	}
	yesNo("is_webphone", webphone, "Y_API_LAUNCH")
	yesNo("webphone_auto_answer", autoAnswer)
	yesNo("use_external_server_ip", externalIP)
	yesNo("on_hook_agent", onHook)
	if template != Blank {
		ps.check("template_id", template, rule{class: idClass}, false)
	}
}

// Validate checks req against every rule of add_phone that needs no
// server: the required fields (non-empty after the server's filtering;
// 2 characters for the extension and the dialplan number), the characters
// the server would delete, the lengths the database would cut silently
// (the server's duplicate checks see the uncut value), the protocol's
// exact spelling, the timezone list, the Y/N flags, and an apostrophe in
// the email (HTTP 500). The phone password must also fit an account
// (MaxAccountPhonePass). It returns nil when there is no problem.
func (req AddPhoneRequest) Validate() []FieldProblem {
	var ps problems
	ps.check("extension", req.Extension, rule{class: idClass, min: 2, max: maxPhoneExtension, why: whyDuplicateCut}, true)
	ps.check("dialplan_number", req.DialplanNumber, rule{class: dialplanClass, min: 2, max: maxPhoneDialplan, why: whyCut}, true)
	ps.check("voicemail_id", req.VoicemailID, rule{class: alnumClass, max: maxPhoneVoicemail, why: whyCut}, true)
	ps.check("phone_login", req.PhoneLogin, rule{class: idClass, max: maxPhoneLogin, why: whyDuplicateCut}, true)
	ps.check("phone_pass", req.PhonePass.Reveal(), rule{class: idClass, max: MaxAccountPhonePass, why: whyAccountPass, secret: true}, true)
	ps.check("server_ip", req.ServerIP, rule{class: serverIPClass}, true)
	ps.protocol(req.Protocol, true)
	ps.check("registration_password", req.RegistrationPassword.Reveal(), rule{class: idClass, secret: true}, true)
	ps.check("phone_full_name", req.FullName, rule{class: phoneNameClass, max: maxPhoneFullName, why: whyCut}, true)
	ps.timezone(req.LocalGMT, true)
	ps.check("outbound_cid", req.OutboundCID, rule{class: digitClass, max: maxPhoneCID, why: whyCut}, true)
	ps.check("phone_context", req.PhoneContext, rule{class: idClass, max: maxPhoneContext, why: whyCut}, false)
	ps.email(req.Email, 0)
	ps.check("admin_user_group", req.AdminUserGroup, rule{class: idClass, min: 2, max: 20, why: "a user group has at most 20"}, false)
	ps.flags(req.IsWebphone, req.WebphoneAutoAnswer, req.UseExternalServerIP, req.OnHookAgent, req.TemplateID)
	return ps
}

// Validate checks req against every rule of update_phone that needs no
// server: the extension and server_ip (required), and each given field:
// the characters the server would delete, update_phone's lengths and
// values (the first invalid field answers an error and nothing is
// written), the lengths the database would cut, Blank where the server
// cannot empty the field (it would store "BLANK" or "--BLANK--"), and an
// apostrophe in the email (HTTP 500). It returns nil when there is no
// problem.
func (req UpdatePhoneRequest) Validate() []FieldProblem {
	var ps problems
	ps.check("extension", req.Extension, rule{class: idClass, min: 2, max: maxPhoneExtension, why: whyCut}, true)
	ps.check("server_ip", req.ServerIP, rule{class: serverIPClass}, true)
	ps.timezone(req.LocalGMT, false)
	if req.Email != Blank {
		ps.email(req.Email, 5)
	}
	blankable := func(field, v string, r rule) {
		if v != Blank {
			ps.check(field, v, r, false)
		}
	}
	blankable("phone_context", req.PhoneContext, rule{class: idClass, min: 2, max: maxPhoneContext, why: whyCut})
	blankable("phone_full_name", req.FullName, rule{class: phoneNameClass, min: 2, max: 30, why: whyUpdatePhone})
	blankable("registration_password", req.RegistrationPassword.Reveal(), rule{class: idClass, min: 2, max: 30, why: whyUpdatePhone, secret: true})
	ps.protocol(req.Protocol, false)
	notBlank := func(field, v, stored string, r rule) {
		if v == Blank {
			ps.add(field, "update_phone cannot empty it: the empty marker would be stored as %s", stored)
			return
		}
		ps.check(field, v, r, false)
	}
	notBlank("phone_pass", req.PhonePass.Reveal(), "the password itself", rule{class: idClass, min: 2, max: MaxAccountPhonePass, why: whyAccountPass, secret: true})
	notBlank("phone_login", req.PhoneLogin, "the login itself", rule{class: idClass, max: maxPhoneLogin, why: whyCut})
	notBlank("voicemail_id", req.VoicemailID, "BLANK", rule{class: alnumClass, min: 2, max: maxPhoneVoicemail, why: whyCut})
	ps.check("dialplan_number", req.DialplanNumber, rule{class: dialplanClass, min: 3, max: maxPhoneDialplan, why: whyCut}, false)
	if v := req.Active; v != "" && v != "Y" && v != "N" {
		ps.add("active", "must be Y or N")
	}
	ps.check("outbound_cid", req.OutboundCID, rule{class: digitClass, min: 6, max: 18, why: whyUpdatePhone}, false)
	ps.check("admin_user_group", req.AdminUserGroup, rule{class: idClass, min: 2, max: 20, why: whyUpdatePhone}, false)
	ps.check("outbound_alt_cid", req.OutboundAltCID, rule{class: alnumClass, min: 6, max: 18, why: whyUpdatePhone}, false)
	if v := req.PhoneRingTimeout; v != "" {
		if n, err := strconv.Atoi(v); err != nil || !isDigits(v) || n < 2 || n > 180 {
			ps.add("phone_ring_timeout", "must be a whole number of seconds from 2 to 180")
		}
	}
	ps.flags(req.IsWebphone, req.WebphoneAutoAnswer, req.UseExternalServerIP, req.OnHookAgent, req.TemplateID)
	return ps
}

// isDigits reports whether s is only [0-9].
func isDigits(s string) bool { return keep(s, isDigitByte) == s }

// logins checks an alias's phone_logins: each an existing phone's login
// can be (not empty, at most 15 of [-_0-9a-zA-Z]), and 2 characters in all
// once joined with commas.
func (ps *problems) logins(logins []string, required bool) {
	if len(logins) == 0 {
		if required {
			ps.add("phone_logins", "required: the phone logins the alias stands for")
		}
		return
	}
	for i, l := range logins {
		if l == "" {
			ps.add("phone_logins", "login %d of %d is empty (the server answers that it is no phone's)", i+1, len(logins))
			continue
		}
		ps.check("phone_logins", l, rule{class: idClass, max: maxPhoneLogin, why: "no phone login is longer"}, false)
	}
	if joined := strings.Join(logins, ","); len(joined) < 2 {
		ps.add("phone_logins", "is too short: at least 2 characters in all")
	}
}

// Validate checks req against every rule of add_phone_alias that needs no
// server: alias_id (2 to 20 of [-_0-9a-zA-Z]: the server checks the uncut
// value for duplicates), alias_name, and each phone login. It returns nil
// when there is no problem.
func (req AddPhoneAliasRequest) Validate() []FieldProblem {
	var ps problems
	ps.check("alias_id", req.AliasID, rule{class: idClass, min: 2, max: maxAliasID, why: whyDuplicateCut}, true)
	ps.check("alias_name", req.AliasName, rule{class: aliasNameClass}, true)
	ps.logins(req.PhoneLogins, true)
	return ps
}

// Validate checks req against every rule of update_phone_alias that needs
// no server: alias_id, something to change, alias_name (2 to 50) and each
// phone login. It returns nil when there is no problem.
func (req UpdatePhoneAliasRequest) Validate() []FieldProblem {
	var ps problems
	ps.check("alias_id", req.AliasID, rule{class: idClass, min: 2, max: maxAliasID, why: whyCut}, true)
	if req.AliasName == "" && len(req.PhoneLogins) == 0 {
		ps.add("alias_name", "nothing to change: give alias_name or phone_logins")
	}
	ps.check("alias_name", req.AliasName, rule{class: aliasNameClass, min: 2, max: 50, why: "update_phone_alias refuses more"}, false)
	ps.logins(req.PhoneLogins, false)
	return ps
}
