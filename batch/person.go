package batch

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/vicionboard/vicionboard/batch/words"
	"github.com/vicionboard/vicionboard/vicidial"
)

// Applied returns the values the plan gives the account, by column name,
// as the ledger remembers them: never a password, and only what the call
// really applies (copy_user takes everything but the name from the
// template). Empty values are left out.
func (p Plan) Applied() map[string]string {
	var m map[string]string
	if p.Action == ActionCopy {
		m = map[string]string{}
		if p.Update != nil {
			m = updateFields(*p.Update)
		}
		setNonEmpty(m, "template", p.Copy.SourceUser)
	} else {
		a := p.Add
		level := ""
		if a.Level != 0 {
			level = strconv.Itoa(a.Level)
		}
		m = updateFields(vicidial.UpdateUserRequest{Level: level, Group: a.Group, PhoneLogin: a.PhoneLogin,
			HotkeysActive: a.HotkeysActive, VoicemailID: a.VoicemailID, Email: a.Email, CustomOne: a.CustomOne,
			CustomTwo: a.CustomTwo, CustomThree: a.CustomThree, CustomFour: a.CustomFour, CustomFive: a.CustomFive,
			WrapupSecondsOverride: a.WrapupSecondsOverride})
		setNonEmpty(m, "agent_choose_ingroups", a.AgentChooseIngroups)
		setNonEmpty(m, "agent_choose_blended", a.AgentChooseBlended)
		setNonEmpty(m, "closer_default_blended", a.CloserDefaultBlended)
		setNonEmpty(m, "in_groups", strings.Join(a.InGroups, "|"))
	}
	setNonEmpty(m, "agent_full_name", p.FullName())
	setNonEmpty(m, "agent_pass", p.PassDigest)
	return m
}

// setNonEmpty sets m[k] to v unless v is empty.
func setNonEmpty(m map[string]string, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// ownValuesPending marks, in a person's applied values, an account copied
// from its template whose row's own values (the update_user after the
// copy_user) are not applied yet: the next run sends that update_user, and
// never the copy again.
const ownValuesPending = "_own_values_pending"

// adopted marks, in a person's applied values, an account vicionboard did
// not create but found on the server with the row's full name
// (ALREADY_EXISTS): it is never updated nor deactivated.
const adopted = "_adopted"

// KeyConflictMark marks, in a person's applied values, a record whose HR id
// is another record's written another way (E0005 and e0005, from before
// person keys had one form): the ledger left its key as it was, and it is
// never taken for a leaver until a person resolves it (rekey). Its value
// is the id's canonical form.
const KeyConflictMark = "_key_conflict"

// Adopted reports whether p's account existed before vicionboard found it.
func Adopted(p Person) bool { return p.Applied[adopted] != "" }

// activeChange is the change of a known person's active flag that a row
// asks for (want: "Y", "N" or "" for active), if any.
func activeChange(p Person, want string) (Change, bool) {
	cur := p.Applied["active"]
	if cur == "" {
		cur = "Y"
	}
	if want == "" {
		want = "Y"
	}
	return Change{Field: "active", Old: cur, New: want}, cur != want
}

// leaving reports whether a person the ledger knows for the input is a
// leaver to deactivate: absent from the export (present holds every row's
// key), created by vicionboard, and still active.
func leaving(p Person, present *LoginIndex) bool {
	return !present.Seen(p.Key) && !Adopted(p) && p.Applied["active"] != "N" && p.Applied[KeyConflictMark] == ""
}

// OwnValuesPending reports whether p's account was copied from its
// template and its own values still have to be applied.
func OwnValuesPending(p Person) bool { return p.Applied[ownValuesPending] != "" }

// Change is one value that differs between what was applied to an account
// and what a row asks for now.
type Change struct {
	Field    string
	Old, New string
}

// String says the change as a warning does: "agent_user_group: SUPPORT ->
// SALES"; a password change never shows a value: "agent_pass changed".
func (c Change) String() string {
	if c.Field == "agent_pass" {
		return "agent_pass changed"
	}
	return fmt.Sprintf("%s: %s -> %s", c.Field, quoteValue(c.Old), quoteValue(c.New))
}

func quoteValue(v string) string {
	if v == "" {
		return "(empty)"
	}
	return words.Clip(v)
}

// Changes compares the values applied to a person's account with the
// values plan asks for, and the login the account has with the one the
// row names. Full names are compared as the server stores them. The
// result is sorted by field.
func Changes(p Person, plan Plan) []Change {
	var out []Change
	want := plan.Applied()
	for f := range union(p.Applied, want) {
		if strings.HasPrefix(f, "_") || f == "active" {
			continue // bookkeeping (ownValuesPending, adopted), or --deactivate-missing's
		}
		old, now := p.Applied[f], want[f]
		switch {
		case slices.Contains(plan.LeftOut, f):
			continue // a value the server cannot store: the account keeps its own
		case f == "agent_full_name" && sameName(old, now):
			continue
		case f == "agent_pass" && (old == "" || now == "" || plan.GeneratedPass):
			continue // unknown on one side (no digest), or generated: not a change
		case old == now:
			continue
		}
		out = append(out, Change{Field: f, Old: old, New: now})
	}
	if !plan.Autogenerated() && !plan.GeneratedLogin && p.Login != "" && !strings.EqualFold(p.Login, plan.Login()) {
		out = append(out, Change{Field: "agent_user", Old: p.Login, New: plan.Login()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func union(a, b map[string]string) map[string]bool {
	u := make(map[string]bool, len(a)+len(b))
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}

// updateFields returns the values an update_user request sets, by column
// name, as the ledger remembers them (never a password: a phone password
// is named with an empty value).
func updateFields(u vicidial.UpdateUserRequest) map[string]string {
	m := map[string]string{}
	setNonEmpty(m, "agent_user_level", u.Level)
	setNonEmpty(m, "agent_user_group", u.Group)
	setNonEmpty(m, "phone_login", u.PhoneLogin)
	if u.PhonePass != "" {
		m["phone_pass"] = ""
	}
	setNonEmpty(m, "hotkeys_active", u.HotkeysActive)
	setNonEmpty(m, "voicemail_id", u.VoicemailID)
	setNonEmpty(m, "email", u.Email)
	for i, v := range []string{u.CustomOne, u.CustomTwo, u.CustomThree, u.CustomFour, u.CustomFive} {
		setNonEmpty(m, customNames[i], v)
	}
	setNonEmpty(m, "wrapup_seconds_override", u.WrapupSecondsOverride)
	setNonEmpty(m, "active", u.Active)
	return m
}

// setUpdateField sets the column field of u to v; it reports false for a
// column update_user cannot change on an existing account.
func setUpdateField(u *vicidial.UpdateUserRequest, field, v string) bool {
	dst := map[string]*string{
		"agent_full_name": &u.FullName, "agent_user_level": &u.Level, "agent_user_group": &u.Group,
		"phone_login": &u.PhoneLogin, "hotkeys_active": &u.HotkeysActive, "voicemail_id": &u.VoicemailID,
		"email": &u.Email, "custom_one": &u.CustomOne, "custom_two": &u.CustomTwo, "custom_three": &u.CustomThree,
		"custom_four": &u.CustomFour, "custom_five": &u.CustomFive, "wrapup_seconds_override": &u.WrapupSecondsOverride,
		"active": &u.Active,
	}[field]
	if dst == nil {
		return false
	}
	*dst = v
	return true
}

// blankable are the columns update_user can empty, with "--BLANK--".
var blankable = map[string]bool{"phone_login": true, "email": true, "custom_one": true, "custom_two": true,
	"custom_three": true, "custom_four": true, "custom_five": true}

// hrUpdate builds the update_user that applies changes (what HR changed
// since the values were last applied) to the account login: only those
// fields, so that a field an admin changed on the server and HR did not
// touch is left alone. It returns the changes it applies, and a warning
// for each it cannot (a template or login of an existing account, a value
// update_user cannot empty).
func hrUpdate(login string, changes []Change, plan Plan) (vicidial.UpdateUserRequest, []Change, []string) {
	u := vicidial.UpdateUserRequest{Login: login}
	var sent []Change
	var warnings []string
	for _, c := range changes {
		if c.Field == "agent_pass" {
			u.Pass = plan.password()
			sent = append(sent, c)
			continue
		}
		v := c.New
		if v == "" {
			if !blankable[c.Field] {
				warnings = append(warnings, c.String()+" not applied: update_user cannot empty "+c.Field)
				continue
			}
			v = vicidial.Blank
		}
		if !setUpdateField(&u, c.Field, v) {
			warnings = append(warnings, c.String()+" not applied: an existing account's "+c.Field+" cannot be changed")
			continue
		}
		sent = append(sent, c)
	}
	return u, sent, warnings
}

// password is the password the plan sends.
func (p Plan) password() vicidial.Secret {
	if p.Action == ActionCopy {
		return p.Copy.Pass
	}
	return p.Add.Pass
}
