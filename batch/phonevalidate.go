package batch

import (
	"fmt"
	"slices"

	"github.com/vicionboard/vicionboard/batch/words"
	"github.com/vicionboard/vicionboard/vicidial"
)

// This file validates a row's phone of its own: every rule of add_phone
// that needs no server (vicidial.AddPhoneRequest.Validate), reported in
// the row's columns.

// PhonePlan is the phone of the agent's own that a row asks for: its
// add_phone, sent before the account's call.
type PhonePlan struct {
	// Add is the add_phone (its passwords are secrets: never logged).
	Add vicidial.AddPhoneRequest
	// Generated: the extension is the next free one of the job's range
	// (or the one the ledger remembers for the person).
	Generated bool
	// GeneratedPass and GeneratedRegistration: vicionboard generated the
	// phone_pass and the registration_password; the result file shows
	// them.
	GeneratedPass, GeneratedRegistration bool
}

// phone validates the phone a row asks for (its phone_extension), and
// makes the account the plan creates log in on it: its phone_login and
// phone_pass are the phone's. It returns nil when the row asks for none,
// or when its extension could not be chosen (the generator says why).
func (p *problems) phone(f Fields, name string, plan *Plan, opts Options) *PhonePlan {
	switch {
	case !phoneRequested(f):
		return nil
	case opts.Phones == nil:
		p.add("phone_extension", "asks for a phone of the agent's own, and this job has no phone settings: "+
			"give them under phones: in the profile or the mapping (server_ip: at least)")
		return nil
	case isNewExtension(f.PhoneExtension):
		return nil // not chosen: validate reports why
	}
	s := opts.Phones
	login := f.PhoneLogin
	if login == "" {
		login = f.PhoneExtension
	}
	req := s.request(s.serverIP(opts.Server), f.PhoneExtension, login, vicidial.Secret(f.PhonePass),
		vicidial.Secret(f.PhoneRegistrationPassword), vicidial.PhoneName(name))
	had := slices.Clone(p.list)
	extSaid := false
	for _, fp := range req.Validate() {
		col, own := personPhoneFields[fp.Field]
		if !own {
			col = "phones"
		}
		if slices.ContainsFunc(had, func(q Problem) bool { return q.Column == col }) {
			continue // the column's own rule said it already
		}
		switch {
		case col == "phone_extension" && fp.Field != "phone_login":
			// One problem for the extension, which is also the phone's
			// dialplan_number and voicemail_id: the strictest rule.
			if !extSaid {
				p.add(col, "%s", extensionProblem(f.PhoneExtension, fp))
				extSaid = true
			}
		case !own:
			p.add(col, "%s: %s (a setting of the job's phones)", fp.Field, fp.Message)
		case fp.Field == "phone_pass" && f.PhonePass == "", fp.Field == "registration_password" && f.PhoneRegistrationPassword == "":
			p.add(col, "required for the agent's own phone: give one, or let vicionboard generate it "+
				"(it needs the ledger and the person's key)")
		case fp.Field == "phone_login" && f.PhoneLogin == "":
			p.add("phone_extension", "as the phone's login, the extension %s", fp.Message)
		default:
			p.add(col, "%s", fp.Message)
		}
	}
	// The account logs in on its phone.
	if plan.Action == ActionCopy {
		if plan.Update == nil {
			plan.Update = &vicidial.UpdateUserRequest{Login: f.Login}
		}
		plan.Update.PhoneLogin, plan.Update.PhonePass = req.PhoneLogin, req.PhonePass
	} else {
		plan.Add.PhoneLogin, plan.Add.PhonePass = req.PhoneLogin, req.PhonePass
	}
	return &PhonePlan{Add: req}
}

// extensionProblem says what is wrong with an extension, which is also
// its phone's dialplan_number and voicemail_id (letters and digits, 2 to
// 10): fp is the first rule it breaks.
func extensionProblem(ext string, fp vicidial.FieldProblem) string {
	const also = "(it is also the phone's dialplan_number and voicemail_id)"
	switch {
	case !isAlnum(ext):
		return fmt.Sprintf("%s: an extension is letters and digits only %s", words.Quote(ext), also)
	case len(ext) > maxRangeDigits:
		return fmt.Sprintf("%s is too long: an extension has at most %d characters %s", words.Quote(ext), maxRangeDigits, also)
	case len(ext) < 2:
		return fmt.Sprintf("%s is too short: an extension has at least 2 characters", words.Quote(ext))
	}
	return fp.Message
}

// isAlnum reports whether s is only [0-9a-zA-Z].
func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
