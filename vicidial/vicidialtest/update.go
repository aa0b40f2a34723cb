package vicidialtest

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// EarlyWrite is a write that update_user makes before it validates the
// account's fields (campaign_rank, ingroup_rank, reset_password): it stays
// even when the call then answers an error, or NO UPDATES DEFINED.
type EarlyWrite struct {
	Login string // the account, as stored
	Param string // the parameter, e.g. campaign_rank
	Value string // its value, as received
}

// EarlyWrites returns the early writes of update_user, in order.
func (s *Simulator) EarlyWrites() []EarlyWrite {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.early)
}

// earlyParams are the parameters update_user writes before step 8.
var earlyParams = []string{"campaign_rank", "ingroup_rank", "reset_password"}

var (
	nonUpper    = regexp.MustCompile(`[^A-Z]`)
	nonAlnum    = regexp.MustCompile(`[^0-9a-zA-Z]`)
	nonSigned   = regexp.MustCompile(`[^-0-9]`)
	nonInGroups = regexp.MustCompile(`[^-|,_0-9a-zA-Z]`)
)

func filterUpper(s string) string    { return nonUpper.ReplaceAllString(s, "") }
func filterAlnum(s string) string    { return nonAlnum.ReplaceAllString(s, "") }
func filterSigned(s string) string   { return nonSigned.ReplaceAllString(s, "") }
func filterInGroups(s string) string { return nonInGroups.ReplaceAllString(s, "") }
func filterEmail(s string) string    { return strings.ReplaceAll(s, "+", " ") }

// blank is the value that empties a field, for the fields that know it.
const blank = "--BLANK--"

// updateField is one row of the contract's update_user field table.
type updateField struct {
	param  string
	filter func(string) string
	blank  bool // --BLANK-- empties the field (checked after filtering)
	// check returns the DATA of the error line and false when v is not
	// valid; nil accepts everything.
	check  func(s *Simulator, api *Account, v string) (string, bool)
	reason string // the REASON of the error line
	apply  func(a *Account, v string)
}

// maxLen accepts a value of at most n bytes; the error's DATA is the value.
func maxLen(n int) func(*Simulator, *Account, string) (string, bool) {
	return func(_ *Simulator, _ *Account, v string) (string, bool) { return v, len(v) <= n }
}

// lenRange accepts a value of lo to hi bytes; the error's DATA is the value.
func lenRange(lo, hi int) func(*Simulator, *Account, string) (string, bool) {
	return func(_ *Simulator, _ *Account, v string) (string, bool) { return v, len(v) >= lo && len(v) <= hi }
}

// updateFields are update_user's fields, in the order the server validates
// them (the contract's step 8).
var updateFields = []updateField{
	{param: "agent_pass", filter: filterID,
		apply: func(a *Account, v string) { a.Pass = cut(v, 100) }},
	{param: "agent_full_name", filter: filterText, blank: true, check: maxLen(50),
		reason: "YOU MUST USE A VALID FULL NAME", apply: func(a *Account, v string) { a.FullName = v }},
	{param: "agent_user_level", filter: filterNum, check: checkLevel,
		reason: "YOU MUST USE A VALID USER LEVEL", apply: func(a *Account, v string) { a.Level, _ = strconv.Atoi(v) }},
	{param: "agent_user_group", filter: filterID, check: checkGroup,
		reason: "YOU MUST USE A VALID USER GROUP", apply: func(a *Account, v string) { a.Group = v }},
	{param: "phone_login", filter: filterID, blank: true, check: checkPhoneLogin,
		reason: "YOU MUST USE A VALID PHONE LOGIN", apply: func(a *Account, v string) { a.PhoneLogin = v }},
	{param: "phone_pass", filter: filterID, blank: true, check: maxLen(20),
		reason: "YOU MUST USE A VALID PHONE PASSWORD", apply: func(a *Account, v string) { a.PhonePass = v }},
	{param: "hotkeys_active", filter: filterNum,
		check:  func(_ *Simulator, _ *Account, v string) (string, bool) { return v, v == "0" || v == "1" },
		reason: "YOU MUST USE A VALID HOTKEYS SETTING", apply: func(a *Account, v string) { a.HotkeysActive = v }},
	{param: "voicemail_id", filter: filterAlnum, check: lenRange(2, 10),
		reason: "YOU MUST USE A VALID VOICEMAIL ID", apply: func(a *Account, v string) { a.VoicemailID = v }},
	{param: "email", filter: filterEmail, blank: true, check: lenRange(5, 100),
		reason: "YOU MUST USE A VALID EMAIL", apply: func(a *Account, v string) { a.Email = v }},
	{param: "custom_one", filter: filterText, blank: true, check: maxLen(100),
		reason: "YOU MUST USE A VALID CUSTOM ONE", apply: func(a *Account, v string) { a.CustomOne = v }},
	{param: "custom_two", filter: filterText, blank: true, check: maxLen(100),
		reason: "YOU MUST USE A VALID CUSTOM TWO", apply: func(a *Account, v string) { a.CustomTwo = v }},
	{param: "custom_three", filter: filterText, blank: true, check: maxLen(100),
		reason: "YOU MUST USE A VALID CUSTOM THREE", apply: func(a *Account, v string) { a.CustomThree = v }},
	{param: "custom_four", filter: filterText, blank: true, check: maxLen(100),
		reason: "YOU MUST USE A VALID CUSTOM FOUR", apply: func(a *Account, v string) { a.CustomFour = v }},
	{param: "custom_five", filter: filterText, blank: true, check: maxLen(100),
		reason: "YOU MUST USE A VALID CUSTOM FIVE", apply: func(a *Account, v string) { a.CustomFive = v }},
	{param: "active", filter: filterUpper,
		check:  func(_ *Simulator, _ *Account, v string) (string, bool) { return v, v == "Y" || v == "N" },
		reason: "ACTIVE MUST BE Y OR N", apply: func(a *Account, v string) { a.Active = v }},
	{param: "wrapup_seconds_override", filter: filterSigned, check: checkWrapup,
		reason: "wrapup_seconds_override MUST BE A VALID DIGIT BETWEEN -1 AND 9999",
		apply: func(a *Account, v string) {
			n, _ := strconv.Atoi(v)
			a.WrapupSecondsOverride = strconv.Itoa(n)
		}},
	{param: "in_groups", filter: filterInGroups,
		apply: func(a *Account, v string) {
			// The server stores " " + the pipes turned into spaces + " -";
			// the selected in-groups are that column's words.
			a.CloserCampaigns = strings.Fields(strings.ReplaceAll(v, "|", " "))
		}},
}

// checkLevel: 1 to 9, below the API user's level, or equal to it with
// "modify same user level". DATA: LEVEL|APILEVEL|0or1.
func checkLevel(_ *Simulator, api *Account, v string) (string, bool) {
	same := 0
	if api.ModifySameLevel {
		same = 1
	}
	data := fmt.Sprintf("%s|%d|%d", v, api.Level, same)
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 9 {
		return data, false
	}
	return data, n < api.Level || n == api.Level && api.ModifySameLevel
}

// checkGroup: the group exists (case-insensitive). DATA: GROUP|0.
func checkGroup(s *Simulator, _ *Account, v string) (string, bool) {
	return v + "|0", s.groupExists(v)
}

// checkPhoneLogin: at most 20 characters, and the login of a phone
// (active or not) or the alias_id of a phone alias. DATA:
// VALUE|nPhones|nAliases.
func checkPhoneLogin(s *Simulator, _ *Account, v string) (string, bool) {
	phones, aliases := s.book.loginCount(v, nil), 0
	if _, ok := s.book.aliases[strings.ToLower(v)]; ok {
		aliases = 1
	}
	return fmt.Sprintf("%s|%d|%d", v, phones, aliases), len(v) <= 20 && phones+aliases > 0
}

// checkWrapup: a whole number from -1 to 9999.
func checkWrapup(_ *Simulator, _ *Account, v string) (string, bool) {
	n, err := strconv.Atoi(v)
	return v, err == nil && n >= -1 && n <= 9999
}

// updateUser runs update_user's steps 3 to 10 (the caller ran 1 and 2), as
// the contract numbers them.
func (s *Simulator) updateUser(api *Account, p url.Values) answer {
	// 3. The API user's rights.
	if !api.APIAccess || !api.ModifyUsers || api.Level < 8 || api.Active != "Y" {
		return ok("ERROR: update_user USER DOES NOT HAVE PERMISSION TO UPDATE USERS: |%s|0", api.User)
	}
	// 4. The login, filtered, 2 to 20 characters.
	login := filterID(p.Get("agent_user"))
	if len(login) < 2 || len(login) > 20 {
		return ok("ERROR: update_user YOU MUST USE ALL REQUIRED FIELDS: |%s|%s|", api.User, login)
	}
	// 5. The account exists (case-insensitive); LOGIN is echoed as sent
	// from here on.
	key := strings.ToLower(login)
	target, found := s.accounts[key]
	if !found {
		return ok("ERROR: update_user USER DOES NOT EXIST: |%s|", api.User)
	}
	// 6. The account's level is within the API user's reach.
	if target.Level > api.Level || target.Level == api.Level && !api.ModifySameLevel {
		op := "<"
		if api.ModifySameLevel {
			op = "<="
		}
		return answer{http.StatusOK, fmt.Sprintf("ERROR: update_user USER DOES NOT HAVE PERMISSION TO UPDATE THIS USER: |%s|%s|%s|%d\n\n",
			api.User, login, op, api.Level)}
	}
	// 7. delete_user deletes, whatever else the request holds.
	if filterUpper(p.Get("delete_user")) == "Y" {
		delete(s.accounts, key)
		delete(s.failures, key)
		return ok("SUCCESS: update_user USER HAS BEEN DELETED - %s|%s|", api.User, login)
	}
	// Ranks and password resets are written before the fields are checked.
	for _, param := range earlyParams {
		if v := p.Get(param); v != "" {
			s.early = append(s.early, EarlyWrite{Login: target.User, Param: param, Value: v})
		}
	}
	// 8. The fields, in order; the first invalid one answers and nothing is
	// written.
	updated := target.clone()
	n := 0
	emailApostrophe := false
	for _, f := range updateFields {
		v := f.filter(p.Get(f.param))
		if v == "" {
			continue // not given, or filtered to nothing
		}
		n++
		if f.blank && v == blank {
			f.apply(&updated, "")
			continue
		}
		if f.check != nil {
			if data, valid := f.check(s, api, v); !valid {
				return ok("ERROR: update_user %s, THIS IS AN OPTIONAL FIELD: |%s|%s", f.reason, api.User, data)
			}
		}
		if f.param == "email" && strings.Contains(v, "'") {
			emailApostrophe = true
		}
		f.apply(&updated, v)
	}
	// 9. Nothing to set.
	if n == 0 {
		return ok("ERROR: update_user NO UPDATES DEFINED: |%s|", api.User)
	}
	// The single UPDATE: an apostrophe in the email breaks its SQL.
	if emailApostrophe {
		return answer{status: http.StatusInternalServerError}
	}
	*target = updated
	delete(s.failures, key) // a successful update resets the failed-login count
	// 10.
	return ok("SUCCESS: update_user USER HAS BEEN UPDATED - %s|%s|", api.User, login)
}
