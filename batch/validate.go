package batch

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/vicionboard/vicionboard/batch/cells"
	"github.com/vicionboard/vicionboard/batch/naming"
	"github.com/vicionboard/vicionboard/batch/words"
	"github.com/vicionboard/vicionboard/vicidial"
)

// Options tunes validation.
type Options struct {
	// Strict makes a problem of what would otherwise be changed with a
	// warning: a full name or custom field that would be cleaned, a number
	// a spreadsheet wrote with a decimal part, an optional value VICIdial
	// cannot store (left out of the request otherwise).
	Strict bool
	// PassDigest, when set, gives the plan the digest of the row's
	// password (a keyed hash: the ledger remembers it instead of the
	// password, to tell when HR changed it).
	PassDigest func(password string) string
	// InGroups are the server's in-groups (see FetchInGroups): an
	// in_groups ID not among them, compared without case, is a problem.
	// nil means unknown: in_groups are then not checked against a list.
	InGroups []string
	// Phones are the job's phone settings, for a row that asks for a
	// phone of its own (nil: such a row is INVALID), and Server the name
	// of the row's server (for PhoneSettings.ServerIPs).
	Phones *PhoneSettings
	Server string
}

// Limits of the fields, from VICIdial's database columns.
const (
	maxLogin     = 20
	maxPass      = 100
	maxGroup     = 20
	maxFullName  = 50
	maxCustom    = 100
	maxEmail     = 100
	maxPhone     = 20
	maxVoicemail = 10
)

// The characters VICIdial keeps (with use_non_latin=0). Every row passes
// through these checks, so they are byte loops rather than regular
// expressions (see BenchmarkPrepare).

// isIDByte reports whether c survives in a login, password or group:
// [-_0-9a-zA-Z].
func isIDByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_'
}

// isTextByte reports whether c survives in a full name or custom field:
// [- +.:/@_0-9a-zA-Z].
func isTextByte(c byte) bool {
	return isIDByte(c) || c == ' ' || c == '+' || c == '.' || c == ':' || c == '/' || c == '@'
}

// isSafeID reports whether s is non-empty and only [-_0-9a-zA-Z]: what
// VICIdial keeps of logins, passwords and groups.
func isSafeID(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isIDByte(s[i]) {
			return false
		}
	}
	return s != ""
}

// isDigits reports whether s is non-empty and only [0-9].
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// isCleanText reports whether VICIdial would store s unchanged as a name
// or custom field: only [- +.:/@_0-9a-zA-Z], no double or edge spaces.
func isCleanText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' && (i == 0 || i == len(s)-1 || s[i-1] == ' ') {
			return false
		}
		if !isTextByte(c) {
			return false
		}
	}
	return true
}

// clean returns s as VICIdial would store it, after transliteration, with
// spaces collapsed.
func clean(s string) string {
	if isCleanText(s) {
		return s // the common case: nothing to clean
	}
	s = naming.Transliterate(s)
	kept := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if isTextByte(s[i]) { // a byte of a non-ASCII rune never is
			kept = append(kept, s[i])
		}
	}
	return strings.Join(strings.Fields(string(kept)), " ")
}

// problems collects a row's problems and warnings.
type problems struct {
	list     []Problem
	warnings []string
	strict   bool
	copy     bool     // a copy row: what is left out comes from the template
	inGroups []string // the server's in-groups; nil = unknown
	// leftOut are the columns whose value was left out of the request.
	leftOut []string
	// refused holds the columns whose cell was refused as a whole (a
	// formula, a damaged name or number: see cells): the field's own
	// rules would only repeat it, in other words.
	refused map[string]bool
}

// add records a problem of column col, unless its cell was refused.
func (p *problems) add(col, format string, args ...any) {
	if p.refused[col] {
		return
	}
	p.list = append(p.list, Problem{Column: col, Msg: fmt.Sprintf(format, args...)})
}

// refuse records the problem that refuses column col's cell as a whole.
func (p *problems) refuse(col, format string, args ...any) {
	p.add(col, format, args...)
	if p.refused == nil {
		p.refused = map[string]bool{}
	}
	p.refused[col] = true
}

// warn records a warning about column col, unless its cell was refused.
func (p *problems) warn(col, format string, args ...any) {
	if !p.refused[col] {
		p.warnings = append(p.warnings, fmt.Sprintf(format, args...))
	}
}

// leaveOut records that column col's value, which VICIdial cannot store
// for why, is left out of the request (the caller empties it): a warning,
// or a problem when strict.
func (p *problems) leaveOut(col, why string) {
	if p.strict {
		p.add(col, "%s (with --strict a value VICIdial cannot store refuses the row; without, it is left out)", why)
		return
	}
	then := "the account is created without it"
	if p.copy {
		then = "the account keeps the template's"
	}
	p.warn(col, "%s left out: %s; %s", col, why, then)
	p.leftOut = append(p.leftOut, col)
}

// numberRule is how the checks every cell gets first read a number a
// spreadsheet reformatted (see cells.Number).
type numberRule int

const (
	notNumber numberRule = iota // the field holds no number
	aNumber                     // a number field: "1.0" is 1, "-1.0" is -1
	anID                        // an ID: "1007.0" is 1007 (digits only)
)

// cells applies to every cell of f the checks of what a spreadsheet or
// its export did to it (see cell), and returns f with the numbers it
// repairs.
func (p *problems) cells(f Fields) Fields {
	f.Login = p.cell("agent_user", f.Login, false, anID)
	f.Pass = p.cell("agent_pass", f.Pass, true, notNumber)
	f.FullName = p.cell("agent_full_name", f.FullName, false, notNumber)
	f.Level = p.cell("agent_user_level", f.Level, false, aNumber)
	f.Group = p.cell("agent_user_group", f.Group, false, anID)
	f.Template = p.cell("template", f.Template, false, anID)
	f.PhoneLogin = p.cell("phone_login", f.PhoneLogin, false, anID)
	f.PhonePass = p.cell("phone_pass", f.PhonePass, true, notNumber)
	f.HotkeysActive = p.cell("hotkeys_active", f.HotkeysActive, false, aNumber)
	f.VoicemailID = p.cell("voicemail_id", f.VoicemailID, false, aNumber)
	f.Email = p.cell("email", f.Email, false, notNumber)
	f.CustomOne = p.cell("custom_one", f.CustomOne, false, notNumber)
	f.CustomTwo = p.cell("custom_two", f.CustomTwo, false, notNumber)
	f.CustomThree = p.cell("custom_three", f.CustomThree, false, notNumber)
	f.CustomFour = p.cell("custom_four", f.CustomFour, false, notNumber)
	f.CustomFive = p.cell("custom_five", f.CustomFive, false, notNumber)
	f.WrapupSecondsOverride = p.cell("wrapup_seconds_override", f.WrapupSecondsOverride, false, aNumber)
	f.AgentChooseIngroups = p.cell("agent_choose_ingroups", f.AgentChooseIngroups, false, aNumber)
	f.AgentChooseBlended = p.cell("agent_choose_blended", f.AgentChooseBlended, false, aNumber)
	f.CloserDefaultBlended = p.cell("closer_default_blended", f.CloserDefaultBlended, false, aNumber)
	f.InGroups = p.cell("in_groups", f.InGroups, false, anID)
	f.Active = p.cell("active", f.Active, false, notNumber)
	f.PhoneExtension = p.cell("phone_extension", f.PhoneExtension, false, anID)
	f.PhoneRegistrationPassword = p.cell("phone_registration_password", f.PhoneRegistrationPassword, true, notNumber)
	return f
}

// cell checks column col's cell v for what a spreadsheet or its export
// did to it (see package cells), and returns the value to use: a formula
// is refused (an .xlsx gives its value, never its formula), a full name
// with letters the export lost is refused, a number is read by rule (see
// number). A secret is never quoted.
func (p *problems) cell(col, v string, secret bool, rule numberRule) string {
	switch {
	case v == "":
	case cells.IsFormula(v):
		p.refuse(col, "%s is a spreadsheet formula, not its value: %s", shown(v, secret), cells.FormulaFix)
	case col == "agent_full_name" && cells.LostLetters(v, true):
		p.refuse(col, "%s %s", words.Quote(v), cells.LostLettersProblem(v))
	case rule != notNumber:
		return p.number(col, rule, v)
	}
	return v
}

// wholeLogin returns login as Prepare reads it: a login of digits a
// spreadsheet wrote with a decimal part ("1007.0") is the number. The
// person key of a row without a key column is its login, read so: the
// same person whether the column was formatted as Text or not.
func wholeLogin(login string) string {
	if whole, how := cells.Number(login); how == cells.DecimalPart && isDigits(whole) {
		return whole
	}
	return login
}

// number returns the value of column col, read by rule: a number a
// spreadsheet wrote with a decimal part is repaired, one it damaged is
// refused (see cells.Number).
func (p *problems) number(col string, rule numberRule, v string) string {
	whole, how := cells.Number(v)
	switch {
	case how == cells.AsWritten, how == cells.DecimalPart && rule == anID && !isDigits(whole):
	case how != cells.DecimalPart:
		p.refuse(col, "%s %s", words.Quote(v), how.Problem())
	case p.strict:
		p.refuse(col, "%s is the number %s written with a decimal part by a spreadsheet (with --strict no value is changed): %s",
			words.Quote(v), whole, cells.TextFix)
	default:
		p.warn(col, "%s read as a whole number: %s -> %s (a spreadsheet wrote it with a decimal part; format the column as Text)",
			col, words.Quote(v), words.Quote(whole))
		return whole
	}
	return v
}

// id checks a login, group or similar: only [-_0-9a-zA-Z], within lengths.
// A secret value is never quoted.
func (p *problems) id(col, v string, min, max int, secret bool) {
	switch {
	case len(v) < min && v == "":
		p.add(col, "required")
	case len(v) < min:
		p.add(col, "%s is too short (at least %d characters)", shown(v, secret), min)
	case len(v) > max:
		p.add(col, "%s is too long (%d characters, at most %d)", shown(v, secret), len(v), max)
	case !secret && !isSafeID(v) && cells.LostLetters(v, false):
		p.add(col, "%s %s", words.Quote(v), cells.LostLettersProblem(v))
	case !isSafeID(v):
		p.add(col, "%s has characters VICIdial would delete (%s); use only letters, digits, - and _", shown(v, secret), badChars(v, secret))
	}
}

// shown quotes v for a message, or names it only when it is a secret.
func shown(v string, secret bool) string {
	if secret {
		return "the value"
	}
	return words.Quote(v)
}

// maxBadKinds is how many different bad characters a message lists.
const maxBadKinds = 10

// badChars names the characters outside [-_0-9a-zA-Z], or only their
// count for a secret.
func badChars(v string, secret bool) string {
	var bad []string
	seen := map[rune]bool{}
	for _, r := range v {
		if r < 128 && (r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			continue
		}
		if seen[r] {
			continue
		}
		seen[r] = true
		if len(seen) > maxBadKinds {
			continue // only counted
		}
		switch r {
		case ' ':
			bad = append(bad, "space")
		default:
			bad = append(bad, fmt.Sprintf("%q", r))
		}
	}
	if secret {
		return fmt.Sprintf("%d kind(s) of character", len(seen))
	}
	if more := len(seen) - len(bad); more > 0 {
		bad = append(bad, fmt.Sprintf("and %d more", more))
	}
	return strings.Join(bad, " ")
}

// text cleans a free-text field (NFKC, transliteration, and what VICIdial
// deletes; see clean); a change is a warning, or a problem when strict. A
// "?" where a letter should be (see cells.LostLetters; a full name's is
// refused before) says so, with the fix: a warning besides the cleaning's,
// or the problem when strict. It returns "" for a refused cell.
func (p *problems) text(col, v string) string {
	if p.refused[col] {
		return ""
	}
	c := clean(v)
	if c != v {
		lost := cells.LostLetters(v, false)
		switch {
		case p.strict && lost:
			p.add(col, "%s %s", words.Quote(v), cells.LostLettersProblem(v))
		case p.strict:
			p.add(col, "%s has characters VICIdial would delete or change (it would store %s)", words.Quote(v), words.Quote(c))
		default:
			if lost {
				p.warn(col, "%s %s %s", col, words.Quote(v), cells.LostLettersProblem(v))
			}
			p.warn(col, "%s cleaned: %s -> %s", col, words.Quote(v), words.Quote(c))
		}
	}
	return c
}

// flag checks a 0/1 field.
func (p *problems) flag(col, v string) {
	if v != "" && v != "0" && v != "1" {
		p.add(col, "%s must be 0 or 1", words.Quote(v))
	}
}

// Prepare validates the fields of a row and returns the call to make. The
// error is a *ValidationError listing every problem; the plan's warnings
// are set either way.
//
// Every cell is checked first for what a spreadsheet did to it (see
// package cells): a formula, a full name with letters the export lost, a
// number in scientific notation are INVALID; a whole number written with
// a decimal part ("1004.0") is the number, with a warning. An optional
// value VICIdial cannot store (an email with ' or +, a custom field over
// 100 characters...) is left out of the request, with a warning. With
// Options.Strict each of these warnings is a problem instead.
func Prepare(f Fields, opts Options) (Plan, error) {
	p := &problems{strict: opts.Strict, inGroups: opts.InGroups, copy: f.Template != ""}
	f = p.cells(f)
	p.id("agent_user", f.Login, 2, maxLogin, false)
	p.id("agent_pass", f.Pass, 2, maxPass, true)
	name := ""
	if f.FullName == "" {
		p.add("agent_full_name", "required")
	} else {
		name = p.text("agent_full_name", f.FullName)
		switch {
		case len(name) > maxFullName:
			p.add("agent_full_name", "%s is too long (%d characters, at most %d)", words.Quote(name), len(name), maxFullName)
		case name == "":
			p.add("agent_full_name", "%s has nothing VICIdial would keep: %s", words.Quote(f.FullName), nothingKeptFix)
		}
	}

	var plan Plan
	if f.Template != "" {
		p.id("template", f.Template, 2, maxLogin, false)
		plan = Plan{Action: ActionCopy, Copy: vicidial.CopyUserRequest{
			Login: f.Login, Pass: vicidial.Secret(f.Pass), FullName: name, SourceUser: f.Template},
			Update: p.ownValues(f)}
		if ignored := ignoredByCopy(f); len(ignored) > 0 {
			p.warnings = append(p.warnings, fmt.Sprintf("neither copy_user nor update_user sets %s: they come from template %s",
				strings.Join(ignored, ", "), words.Clip(f.Template)))
		}
	} else {
		plan = Plan{Action: ActionAdd, Add: p.addRequest(f, name)}
	}
	plan.Active = p.active(f.Active)
	plan.Phone = p.phone(f, name, &plan, opts) // phonevalidate.go
	if opts.PassDigest != nil && f.Pass != "" {
		plan.PassDigest = opts.PassDigest(f.Pass)
	}
	plan.Warnings, plan.LeftOut = p.warnings, p.leftOut
	if len(p.list) > 0 {
		return plan, &ValidationError{Problems: p.list}
	}
	return plan, nil
}

// ownValues validates the optional columns of a copy row: its own values,
// which one update_user applies right after the copy_user. It returns nil
// when the row has none. in_groups is refused on a copy row: update_user
// would replace the account's selected in-groups but keep the in-group
// memberships copy_user copied from the template, and the two would
// disagree on the server.
func (p *problems) ownValues(f Fields) *vicidial.UpdateUserRequest {
	if f.InGroups != "" {
		p.add("in_groups", "a copy row takes its in-groups from its template (update_user would change the selected in-groups but not the memberships the copy made, leaving them in disagreement): use a template with these in-groups, or an add row without a template")
	}
	opt := p.optional(f)
	u := &vicidial.UpdateUserRequest{Login: f.Login, PhoneLogin: opt.PhoneLogin, PhonePass: opt.PhonePass,
		HotkeysActive: opt.HotkeysActive, VoicemailID: opt.VoicemailID, Email: opt.Email, CustomOne: opt.CustomOne,
		CustomTwo: opt.CustomTwo, CustomThree: opt.CustomThree, CustomFour: opt.CustomFour, CustomFive: opt.CustomFive,
		WrapupSecondsOverride: opt.WrapupSecondsOverride}
	if f.Level != "" {
		if lvl := p.level(f.Level); lvl > 0 {
			u.Level = strconv.Itoa(lvl)
		}
	}
	if f.Group != "" {
		p.id("agent_user_group", f.Group, 1, maxGroup, false)
		u.Group = f.Group
	}
	// update_user's own limits, narrower than add_user's: a value it
	// cannot store is left out.
	if v := string(u.PhonePass); v != "" && len(v) > maxUpdatePhonePass {
		p.leaveOut("phone_pass", fmt.Sprintf("update_user, which applies a copy row's own values, takes at most %d characters", maxUpdatePhonePass))
		u.PhonePass = ""
	}
	if v := u.VoicemailID; v != "" && len(v) < 2 {
		p.leaveOut("voicemail_id", fmt.Sprintf("%s: update_user, which applies a copy row's own values, takes 2 to %d digits", words.Quote(v), maxVoicemail))
		u.VoicemailID = ""
	}
	if v := u.Email; v != "" && len(v) < 5 {
		p.add("email", "%s: update_user needs at least 5 characters", words.Quote(v))
	}
	if len(updateFields(*u)) == 0 {
		return nil
	}
	return u
}

// active validates the active column: Y or N (also yes/no, any case).
func (p *problems) active(v string) string {
	switch strings.ToUpper(v) {
	case "":
		return ""
	case "Y", "YES":
		return "Y"
	case "N", "NO":
		return "N"
	}
	p.add("active", "%s must be Y or N", words.Quote(v))
	return ""
}

// maxUpdatePhonePass is update_user's limit of a phone password.
const maxUpdatePhonePass = 20

// level validates a user level: 1 to 9, or 0 after a problem.
func (p *problems) level(v string) int {
	lvl, err := strconv.Atoi(v)
	if err != nil || lvl < 1 || lvl > 9 {
		p.add("agent_user_level", "%s must be a whole number from 1 to 9", words.Quote(v))
		return 0
	}
	return lvl
}

// addRequest validates the add_user fields.
func (p *problems) addRequest(f Fields, name string) vicidial.AddUserRequest {
	req := p.optional(f)
	req.Login, req.Pass, req.FullName, req.Group = f.Login, vicidial.Secret(f.Pass), name, f.Group
	if f.Level == "" {
		p.add("agent_user_level", "required (or give a template)")
	} else {
		req.Level = p.level(f.Level)
	}
	if f.Group == "" {
		p.add("agent_user_group", "required (or give a template)")
	} else {
		p.id("agent_user_group", f.Group, 1, maxGroup, false)
	}
	if f.InGroups != "" {
		var bad []string
		for _, id := range strings.FieldsFunc(f.InGroups, func(r rune) bool { return r == '|' || r == ' ' }) {
			if !isSafeID(id) {
				bad = append(bad, id)
				continue
			}
			req.InGroups = append(req.InGroups, id)
		}
		// One problem for the lot, quoting a few: a cell of a million bad
		// IDs must not make a million problems.
		for i, id := range bad {
			if i == maxBadIDs {
				p.add("in_groups", "and %d more that are not in-group IDs", len(bad)-maxBadIDs)
				break
			}
			p.add("in_groups", "%s is not an in-group ID (letters, digits, - and _; separate IDs with |)", words.Quote(id))
		}
		p.knownInGroups(req.InGroups)
	}
	return req
}

// knownInGroups checks in-group IDs against the server's list, when it is
// known: an ID on no in-group of the server (compared without case) is a
// problem that names the server's in-groups and the closest one. The
// server itself would store any ID, and the agent would find no calls.
func (p *problems) knownInGroups(ids []string) {
	if p.inGroups == nil {
		return
	}
	known := func(id string) bool { return containsFold(p.inGroups, id) }
	if len(ids) > 8 { // a long cell: one map rather than a scan per ID
		set := make(map[string]bool, len(p.inGroups))
		for _, g := range p.inGroups {
			set[strings.ToLower(g)] = true
		}
		known = func(id string) bool { return set[strings.ToLower(id)] }
	}
	var unknown []string
	var seen map[string]bool // the unknown IDs, lower-case
	for _, id := range ids {
		if known(id) {
			continue
		}
		if lower := strings.ToLower(id); !seen[lower] {
			if seen == nil {
				seen = map[string]bool{}
			}
			seen[lower] = true
			unknown = append(unknown, id)
		}
	}
	has := "it has none"
	if len(p.inGroups) > 0 {
		has = "it has " + listNames(p.inGroups)
	}
	for i, id := range unknown {
		if i == maxBadIDs {
			p.add("in_groups", "and %d more that are not in-groups on the server", len(unknown)-maxBadIDs)
			break
		}
		p.add("in_groups", "%s is not an in-group on the server (%s)", words.Quote(id), withClosest(has, id, p.inGroups))
	}
}

// containsFold reports whether list holds s, compared without case.
func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// optional validates the optional columns add_user and update_user share.
func (p *problems) optional(f Fields) vicidial.AddUserRequest {
	req := vicidial.AddUserRequest{PhoneLogin: f.PhoneLogin, PhonePass: vicidial.Secret(f.PhonePass),
		HotkeysActive: f.HotkeysActive, VoicemailID: f.VoicemailID, Email: f.Email,
		WrapupSecondsOverride: f.WrapupSecondsOverride, AgentChooseIngroups: f.AgentChooseIngroups,
		AgentChooseBlended: f.AgentChooseBlended, CloserDefaultBlended: f.CloserDefaultBlended}
	if f.PhoneLogin != "" {
		p.id("phone_login", f.PhoneLogin, 1, maxPhone, false)
	}
	if f.PhonePass != "" {
		p.id("phone_pass", f.PhonePass, 2, maxPass, true)
	}
	p.flag("hotkeys_active", f.HotkeysActive)
	p.flag("agent_choose_ingroups", f.AgentChooseIngroups)
	p.flag("agent_choose_blended", f.AgentChooseBlended)
	p.flag("closer_default_blended", f.CloserDefaultBlended)
	if v := f.WrapupSecondsOverride; v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < -1 || n > 9999 {
			p.add("wrapup_seconds_override", "%s must be a whole number from -1 to 9999", words.Quote(v))
		}
	}
	if v := f.VoicemailID; v != "" && (!isDigits(v) || len(v) > maxVoicemail) {
		p.add("voicemail_id", "%s must be digits only, at most %d", words.Quote(v), maxVoicemail)
	}
	// An address that is not one is HR's to correct; one VICIdial cannot
	// store is left out, for HR cannot correct it (it is the person's).
	if v := f.Email; v != "" && !p.refused["email"] {
		cannot := ""
		switch {
		case strings.Count(v, "@") != 1 || strings.ContainsAny(v, " \t"):
			p.add("email", "%s is not an email address", words.Quote(v))
		case strings.Contains(v, "'"):
			cannot = "has an apostrophe, which breaks VICIdial's insert (HTTP 500, and no account)"
		case strings.Contains(v, "+"):
			cannot = "has a +, which VICIdial stores as a space"
		case len(v) > maxEmail:
			cannot = fmt.Sprintf("is %d characters, and VICIdial stores at most %d", len(v), maxEmail)
		}
		if cannot != "" {
			p.leaveOut("email", words.Quote(v)+" "+cannot)
			req.Email = ""
		}
	}
	customs := []*string{&req.CustomOne, &req.CustomTwo, &req.CustomThree, &req.CustomFour, &req.CustomFive}
	for i, v := range []string{f.CustomOne, f.CustomTwo, f.CustomThree, f.CustomFour, f.CustomFive} {
		if v == "" {
			continue
		}
		c := p.text(customNames[i], v)
		if len(c) > maxCustom {
			p.leaveOut(customNames[i], fmt.Sprintf("%s is %d characters (once cleaned), and VICIdial stores at most %d", words.Quote(c), len(c), maxCustom))
			c = ""
		}
		*customs[i] = c
	}
	return req
}

// maxBadIDs is how many bad in-group IDs a row's reason quotes.
const maxBadIDs = 3

var customNames = []string{"custom_one", "custom_two", "custom_three", "custom_four", "custom_five"}

// ignoredByCopy names the non-empty columns of a copy row that neither
// copy_user nor update_user sets: they come from the template.
func ignoredByCopy(f Fields) []string {
	var names []string
	for _, c := range []struct{ name, v string }{
		{"agent_choose_ingroups", f.AgentChooseIngroups}, {"agent_choose_blended", f.AgentChooseBlended},
		{"closer_default_blended", f.CloserDefaultBlended},
	} {
		if c.v != "" {
			names = append(names, c.name)
		}
	}
	return names
}
