package vicidial

import (
	"errors"
	"strings"
)

// The reasons only update_user answers.
const (
	// ReasonInvalidField is update_user's refusal of an optional field's
	// value ("YOU MUST USE A VALID ..., THIS IS AN OPTIONAL FIELD", "ACTIVE
	// MUST BE Y OR N", "wrapup_seconds_override MUST BE ..."); FieldOf names
	// the field. The user group and the phone login keep their own reasons,
	// ReasonInvalidGroup and ReasonInvalidPhoneLogin.
	ReasonInvalidField Reason = "INVALID_FIELD"
	// ReasonUpdateNotPermitted is update_user's "USER DOES NOT HAVE
	// PERMISSION TO UPDATE THIS USER": the account's level is above the API
	// user's, or equal to it without "modify same user level". It concerns
	// one account, so unlike ReasonNoPermission it is not fatal.
	ReasonUpdateNotPermitted Reason = "UPDATE_NOT_PERMITTED"
)

func init() {
	reasonSentences[ReasonInvalidField] = "the server refused the value of an optional field"
	reasonSentences[ReasonUpdateNotPermitted] = "the API user may not update this account: its user level is too high for the API user"
}

// updateFieldMessages maps update_user's field errors, without their
// ", THIS IS AN OPTIONAL FIELD", to the parameter they refuse.
var updateFieldMessages = map[string]string{
	"YOU MUST USE A VALID FULL NAME":                                    "agent_full_name",
	"YOU MUST USE A VALID USER LEVEL":                                   "agent_user_level",
	"YOU MUST USE A VALID USER GROUP":                                   "agent_user_group",
	"YOU MUST USE A VALID PHONE LOGIN":                                  "phone_login",
	"YOU MUST USE A VALID PHONE PASSWORD":                               "phone_pass",
	"YOU MUST USE A VALID HOTKEYS SETTING":                              "hotkeys_active",
	"YOU MUST USE A VALID VOICEMAIL ID":                                 "voicemail_id",
	"YOU MUST USE A VALID EMAIL":                                        "email",
	"YOU MUST USE A VALID CUSTOM ONE":                                   "custom_one",
	"YOU MUST USE A VALID CUSTOM TWO":                                   "custom_two",
	"YOU MUST USE A VALID CUSTOM THREE":                                 "custom_three",
	"YOU MUST USE A VALID CUSTOM FOUR":                                  "custom_four",
	"YOU MUST USE A VALID CUSTOM FIVE":                                  "custom_five",
	"ACTIVE MUST BE Y OR N":                                             "active",
	"wrapup_seconds_override MUST BE A VALID DIGIT BETWEEN -1 AND 9999": "wrapup_seconds_override",
}

// updateField returns the parameter an update_user error message refuses,
// or "".
func updateField(message string) string {
	return updateFieldMessages[strings.TrimSuffix(message, ", THIS IS AN OPTIONAL FIELD")]
}

// FieldOf returns the parameter whose value the server refused in err's
// *APIError, or "" when err is no such refusal: update_user's
// (agent_full_name, phone_login, active, ...), and the phone functions'
// (update_phone's fields; add_phone's extension, phone_login, server_ip,
// local_gmt and template_id; the aliases' alias_id, alias_name and
// phone_logins).
func FieldOf(err error) string {
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		return ""
	}
	if apiErr.Function == "update_user" {
		return updateField(apiErr.Message)
	}
	return phoneFieldOf(apiErr)
}

// classifyUpdate gives an update_user ERROR line its reason, which the
// general patterns of ParseLine cannot tell: a refused field is
// ReasonInvalidField (but the group and the phone login, which have their
// own), and a target beyond the API user's level ReasonUpdateNotPermitted
// rather than the fatal ReasonNoPermission. A refused phone password is
// replaced by [REDACTED] in Data, whatever the server echoed.
func classifyUpdate(e *APIError) {
	if e.Function != "update_user" {
		return
	}
	if strings.HasPrefix(e.Message, "USER DOES NOT HAVE PERMISSION TO UPDATE THIS USER") {
		e.Reason = ReasonUpdateNotPermitted
		return
	}
	switch updateField(e.Message) {
	case "":
	case "agent_user_group":
		e.Reason = ReasonInvalidGroup
	case "phone_login":
		e.Reason = ReasonInvalidPhoneLogin
	case "phone_pass":
		e.Reason = ReasonInvalidField
		if len(e.Data) > 1 {
			e.Data = append(e.Data[:1:1], redacted)
		}
	default:
		e.Reason = ReasonInvalidField
	}
}

// updateParams are the parameters UpdateUser may send: update_user's
// fields, never delete_user, ranks, grades or reset_password (they delete
// the account, or write before the fields are checked).
var updateParams = []string{"source", "user", "pass", "function", "agent_user", "agent_pass", "agent_user_level",
	"agent_full_name", "agent_user_group", "phone_login", "phone_pass", "hotkeys_active", "voicemail_id", "email",
	"custom_one", "custom_two", "custom_three", "custom_four", "custom_five", "active", "wrapup_seconds_override", "in_groups"}
