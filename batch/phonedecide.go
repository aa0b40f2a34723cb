package batch

import (
	"fmt"
	"strings"

	"github.com/vicionboard/vicionboard/vicidial"
)

// This file is the decision's part of the agents' own phones: what a row
// does with the phone it asks for (made before the account, or reused),
// and with a person's phone when their account changes (deactivated and
// reactivated with it, renamed with it). Decide calls it; like Decide, it
// is pure.

// The reason codes of a row's phone, decided before anything is sent.
const (
	CodePhoneInvalid       = "PHONE_INVALID"       // the row's phone breaks a local rule of add_phone
	CodeDuplicateExtension = "DUPLICATE_EXTENSION" // the same extension or phone login earlier in the file
	CodeExtensionTaken     = "EXTENSION_TAKEN"     // the extension or phone login is another person's phone in the ledger
	CodeNoFreeExtension    = "NO_FREE_EXTENSION"   // every extension of the job's range is taken
)

// PhoneStep is what a decision does with the agent's own phone, before
// the account's call.
type PhoneStep struct {
	// Record is the ledger's record of the person's phone; Known says
	// there is one.
	Record Phone
	Known  bool
	// Add is the add_phone sent before the account's call: the person has
	// no phone yet (its claim is made first, and an earlier run's claim
	// settled with ProbePhone). Nil when none is made.
	Add *vicidial.AddPhoneRequest
	// Reused: the person's phone exists (vicionboard created it, for an
	// account whose creation failed): the account logs in on it, and no
	// add_phone is sent.
	Reused bool
	// Update is the update_phone sent before the account's update_user
	// (its active flag, its name); Changes what it applies.
	Update  *vicidial.UpdatePhoneRequest
	Changes []Change
}

// Sends reports whether the step calls the server.
func (s *PhoneStep) Sends() bool { return s != nil && (s.Add != nil || s.Update != nil) }

// phoneStep returns the row's plan with the person's phone, and the step
// that starts from it (nil when the row asks for no phone and the person
// has none). The ledger's phone of a person wins over the row's: a
// phone's extension is never changed (the row's other extension is
// named in a warning), and a known account keeps logging in on its phone
// when a row no longer names it.
func phoneStep(f Facts) (Plan, *PhoneStep) {
	plan := f.Plan
	if plan.Phone == nil && !f.HasPhone {
		return plan, nil
	}
	st := &PhoneStep{Record: f.Phone, Known: f.HasPhone}
	rec := f.Phone
	switch {
	case !f.HasPhone:
	case plan.Phone != nil:
		want := plan.Phone.Add
		if !strings.EqualFold(want.Extension, rec.Extension) || !strings.EqualFold(want.PhoneLogin, rec.Login) ||
			!strings.EqualFold(want.ServerIP, rec.ServerIP) {
			if !plan.Phone.Generated {
				plan.Warnings = append(append([]string(nil), plan.Warnings...), fmt.Sprintf("phone_extension %s not applied: this person's phone is %s "+
					"(login %s, on %s); a phone's extension is never changed", want.Extension, rec.Extension, rec.Login, rec.ServerIP))
			}
			plan = withPhoneOf(plan, rec)
		}
	case f.Known && f.Person.State == PersonCreated && plan.Action != 0 && accountPhoneLogin(plan) == "" && rec.State == PhoneCreated:
		plan = withAccountPhone(plan, rec.Login, "")
	}
	return plan, st
}

// withPhoneOf returns plan asking for the person's phone rec instead of
// the row's.
func withPhoneOf(plan Plan, rec Phone) Plan {
	ph := *plan.Phone
	ph.Add.Extension, ph.Add.DialplanNumber, ph.Add.VoicemailID = rec.Extension, rec.Extension, rec.Extension
	ph.Add.PhoneLogin, ph.Add.ServerIP, ph.Generated = rec.Login, rec.ServerIP, rec.Generated
	plan.Phone = &ph
	return withAccountPhone(plan, rec.Login, ph.Add.PhonePass)
}

// accountPhoneLogin is the phone_login the plan gives the account.
func accountPhoneLogin(plan Plan) string {
	if plan.Action == ActionCopy {
		if plan.Update == nil {
			return ""
		}
		return plan.Update.PhoneLogin
	}
	return plan.Add.PhoneLogin
}

// withAccountPhone returns plan giving the account phone_login login (and
// phone_pass pass, unless empty).
func withAccountPhone(plan Plan, login string, pass vicidial.Secret) Plan {
	if plan.Action == ActionCopy {
		u := vicidial.UpdateUserRequest{Login: plan.Copy.Login}
		if plan.Update != nil {
			u = *plan.Update
		}
		u.PhoneLogin = login
		if pass != "" {
			u.PhonePass = pass
		}
		plan.Update = &u
		return plan
	}
	plan.Add.PhoneLogin = login
	if pass != "" {
		plan.Add.PhonePass = pass
	}
	return plan
}

// phoneRefused is the outcome of a row whose extension or phone login an
// earlier row of the file has, or another person's phone in the ledger.
func phoneRefused(f Facts) Outcome {
	add := f.Plan.Phone.Add
	what := fmt.Sprintf("extension %s (phone login %s)", add.Extension, add.PhoneLogin)
	if f.DupExtension > 0 {
		return invalidOutcome(fmt.Sprintf("phone_extension: %s is already asked for on line %d of this file", what, f.DupExtension),
			CodeDuplicateExtension, f.Plan)
	}
	return invalidOutcome(fmt.Sprintf("phone_extension: %s is the phone of another person in the ledger (key %s): "+
		"give this row another extension, or %s for the next free one", what, keyShown(f.PhoneHolder), NewExtension), CodeExtensionTaken, f.Plan)
}

// invalidCode is the reason code of a row that breaks local rules: its
// phone's own code when every problem concerns its phone.
func invalidCode(err error) string {
	if !phoneProblemsOnly(err) {
		return CodeInvalidInput
	}
	for _, p := range err.(*ValidationError).Problems {
		if p.Code != "" {
			return p.Code
		}
	}
	return CodePhoneInvalid
}

// phoneGenProblem is the problem of a row whose extension could not be
// chosen.
func phoneGenProblem(g phoneGen) Problem {
	p := Problem{Column: "phone_extension", Msg: g.problem}
	if g.full {
		p.Code = CodeNoFreeExtension
	}
	return p
}

// withNewPhone completes the decision to create a person's account with
// the phone its row asks for: made first, or reused when vicionboard
// made it already (an earlier run's account failed).
func withNewPhone(d Decision) Decision {
	st := d.Phone
	if st == nil || d.Plan.Phone == nil {
		return d
	}
	if st.Known && st.Record.State == PhoneCreated {
		st.Reused = true
		return d
	}
	add := d.Plan.Phone.Add
	st.Add = &add
	return d
}

// withPhoneChanges completes the decision to change a known person's
// account with what its phone does first: a phone the row asks for, made
// and linked (--update), and the changes of the person's phone (see
// phoneChanges). A phone vicionboard did not create is never changed.
func withPhoneChanges(d Decision, rules Rules) Decision {
	st := d.Phone
	if st == nil || Adopted(d.Person) {
		return d
	}
	created := st.Known && st.Record.State == PhoneCreated
	if rules.Update && !created && d.Plan.Phone != nil && d.Update != nil && d.Update.PhoneLogin != "" {
		add := d.Plan.Phone.Add
		st.Add = &add
		d.Update.PhonePass = add.PhonePass // the account logs in on its new phone
	}
	st.Update, st.Changes = phoneChanges(d, rules)
	return d
}

// phoneOnly decides a known person's row whose account has nothing to
// change but whose phone has (an update_phone that failed before, say):
// a step with the phone's update alone.
func phoneOnly(d Decision, changes []Change, rules Rules) (Decision, bool) {
	if len(changes) > 0 || d.Phone == nil || Adopted(d.Person) {
		return d, false
	}
	u, ch := phoneChanges(d, rules)
	if u == nil {
		return d, false
	}
	d.Phone.Update, d.Phone.Changes = u, ch
	d.Differs = Changes(d.Person, comparable(d.Person, d.Plan, d.Key))
	d.Step = StepUpdate
	if len(ch) == 1 && ch[0].Field == phoneActive {
		d.Step = map[string]Step{"N": StepDeactivate, "Y": StepReactivate}[ch[0].New]
	}
	return d, true
}

// phoneActive names the change of a phone's active flag.
const phoneActive = "phone active"

// maxUpdatePhoneName is the longest phone_full_name update_phone takes.
const maxUpdatePhoneName = 30

// phoneChanges is the update_phone that brings a person's phone (one
// vicionboard created) in line with their account: active as the account
// is to be (with --deactivate-missing), and named as the agent
// (vicidial.PhoneName, with --update). Nil when nothing differs.
func phoneChanges(d Decision, rules Rules) (*vicidial.UpdatePhoneRequest, []Change) {
	st := d.Phone
	if st == nil || !st.Known || st.Record.State != PhoneCreated {
		return nil, nil
	}
	rec := st.Record
	u := vicidial.UpdatePhoneRequest{Extension: rec.Extension, ServerIP: rec.ServerIP}
	var ch []Change
	if rules.DeactivateMissing {
		if want := accountActive(d); rec.Active != want {
			u.Active = want
			ch = append(ch, Change{Field: phoneActive, Old: rec.Active, New: want})
		}
	}
	if name := vicidial.PhoneName(d.Plan.FullName()); rules.Update && d.Plan.Action != 0 && name != rec.FullName &&
		len(name) >= 2 && len(name) <= maxUpdatePhoneName {
		u.FullName = name
		ch = append(ch, Change{Field: "phone_full_name", Old: rec.FullName, New: name})
	}
	if len(ch) == 0 {
		return nil, nil
	}
	return &u, ch
}

// accountActive is the active flag the person's account has once the
// decision is carried out: Y or N.
func accountActive(d Decision) string {
	for _, c := range d.Changes {
		if c.Field == "active" {
			return c.New
		}
	}
	if a := d.Person.Applied["active"]; a != "" {
		return a
	}
	return "Y"
}
