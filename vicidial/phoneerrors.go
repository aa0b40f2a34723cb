package vicidial

import "strings"

// The reasons of the phone functions (add_phone, update_phone,
// add_phone_alias, update_phone_alias).
const (
	// ReasonPhoneNoPermission is "USER DOES NOT HAVE PERMISSION TO ADD
	// PHONES" (UPDATE PHONES, ADD or UPDATE PHONE ALIASES, DELETE ...): the
	// API user is inactive, below level 8, or lacks API access or "Admin
	// Access" (ast_admin_access). It concerns the API user: fatal.
	ReasonPhoneNoPermission Reason = "PHONE_NO_PERMISSION"
	// ReasonPhoneMissingFields is a phone function's "YOU MUST USE ALL
	// REQUIRED FIELDS": a required field empty or too short after the
	// server's filtering, or a protocol other than SIP, IAX2, Zap, EXTERNAL.
	ReasonPhoneMissingFields Reason = "PHONE_MISSING_FIELDS"
	// ReasonServerNotFound is "SERVER DOES NOT EXIST": no server of the
	// cluster has the server_ip.
	ReasonServerNotFound Reason = "SERVER_NOT_FOUND"
	// ReasonPhoneExists is add_phone's "PHONE ALREADY EXISTS ON THIS
	// SERVER": the extension is taken on that server.
	ReasonPhoneExists Reason = "PHONE_EXISTS"
	// ReasonPhoneLoginExists is add_phone's "PHONE LOGIN ALREADY EXISTS"
	// (on any server) or update_phone's "LOGIN ALREADY EXISTS" (on another
	// extension of another server).
	ReasonPhoneLoginExists Reason = "PHONE_LOGIN_EXISTS"
	// ReasonInvalidTimezone is "YOU MUST USE A VALID TIMEZONE".
	ReasonInvalidTimezone Reason = "INVALID_TIMEZONE"
	// ReasonPhoneTemplateNotFound is "TEMPLATE ID DOES NOT EXIST".
	ReasonPhoneTemplateNotFound Reason = "PHONE_TEMPLATE_NOT_FOUND"
	// ReasonPhoneNotFound is update_phone's "PHONE DOES NOT EXIST ON THIS
	// SERVER": no such extension on that server, or one in a user group the
	// API user may not see.
	ReasonPhoneNotFound Reason = "PHONE_NOT_FOUND"
	// ReasonPhoneInvalidField is update_phone's (and update_phone_alias's)
	// refusal of one field's value; FieldOf names the field.
	ReasonPhoneInvalidField Reason = "PHONE_INVALID_FIELD"
	// ReasonPhoneAliasExists is "PHONE ALIAS ALREADY EXISTS".
	ReasonPhoneAliasExists Reason = "PHONE_ALIAS_EXISTS"
	// ReasonPhoneAliasNotFound is "PHONE ALIAS DOES NOT EXIST".
	ReasonPhoneAliasNotFound Reason = "PHONE_ALIAS_NOT_FOUND"
	// ReasonPhoneLoginNotFound is an alias function's "PHONE DOES NOT
	// EXIST": a login of phone_logins is no phone's (Data names it).
	ReasonPhoneLoginNotFound Reason = "PHONE_LOGIN_NOT_FOUND"
)

func init() {
	reasonSentences[ReasonPhoneNoPermission] = "the API user may not add or change phones: it needs level 8 or more, API access and \"Admin Access\" (ast_admin_access)"
	reasonSentences[ReasonPhoneMissingFields] = "a required phone field is missing or too short after the server's filtering, or the protocol is not SIP, IAX2, Zap or EXTERNAL"
	reasonSentences[ReasonServerNotFound] = "no server of the cluster has this server_ip"
	reasonSentences[ReasonPhoneExists] = "this extension already exists on this server"
	reasonSentences[ReasonPhoneLoginExists] = "another phone already has this phone login"
	reasonSentences[ReasonInvalidTimezone] = "the phone's local_gmt is not one of VICIdial's timezones"
	reasonSentences[ReasonPhoneTemplateNotFound] = "the phone template (template_id) does not exist on the server"
	reasonSentences[ReasonPhoneNotFound] = "no phone with this extension on this server (or none the API user may see)"
	reasonSentences[ReasonPhoneInvalidField] = "the server refused the value of one phone field"
	reasonSentences[ReasonPhoneAliasExists] = "a phone alias with this alias_id already exists"
	reasonSentences[ReasonPhoneAliasNotFound] = "no phone alias with this alias_id"
	reasonSentences[ReasonPhoneLoginNotFound] = "a phone login of the alias is no phone's login"
}

// phoneMessage is what one message of a phone function means: its reason,
// and the parameter it refuses ("" for none).
type phoneMessage struct {
	reason Reason
	field  string
}

// phoneMessages maps each phone function's messages, without ", THIS IS AN
// OPTIONAL FIELD", to what they mean. Matching is exact: "PHONE DOES NOT
// EXIST" and "PHONE DOES NOT EXIST ON THIS SERVER" mean different things.
var phoneMessages = map[string]map[string]phoneMessage{
	"add_phone": {
		"USER DOES NOT HAVE PERMISSION TO ADD PHONES":    {ReasonPhoneNoPermission, ""},
		"YOU MUST USE ALL REQUIRED FIELDS":               {ReasonPhoneMissingFields, ""},
		"SERVER DOES NOT EXIST":                          {ReasonServerNotFound, "server_ip"},
		"PHONE ALREADY EXISTS ON THIS SERVER":            {ReasonPhoneExists, "extension"},
		"PHONE LOGIN ALREADY EXISTS":                     {ReasonPhoneLoginExists, "phone_login"},
		"YOU MUST USE A VALID TIMEZONE":                  {ReasonInvalidTimezone, "local_gmt"},
		"TEMPLATE ID DOES NOT EXIST":                     {ReasonPhoneTemplateNotFound, "template_id"},
		"USER DOES NOT HAVE PERMISSION TO DELETE PHONES": {ReasonPhoneNoPermission, ""},
	},
	"update_phone": {
		"USER DOES NOT HAVE PERMISSION TO UPDATE PHONES":   {ReasonPhoneNoPermission, ""},
		"USER DOES NOT HAVE PERMISSION TO DELETE PHONES":   {ReasonPhoneNoPermission, ""},
		"YOU MUST USE ALL REQUIRED FIELDS":                 {ReasonPhoneMissingFields, ""},
		"SERVER DOES NOT EXIST":                            {ReasonServerNotFound, "server_ip"},
		"PHONE DOES NOT EXIST ON THIS SERVER":              {ReasonPhoneNotFound, ""},
		"YOU MUST USE A VALID TIMEZONE":                    {ReasonInvalidTimezone, "local_gmt"},
		"YOU MUST USE A VALID EMAIL":                       {ReasonPhoneInvalidField, "email"},
		"YOU MUST USE A VALID PHONE CONTEXT":               {ReasonPhoneInvalidField, "phone_context"},
		"YOU MUST USE A VALID PHONE NAME":                  {ReasonPhoneInvalidField, "phone_full_name"},
		"YOU MUST USE A VALID REGISTRATION PASSWORD":       {ReasonPhoneInvalidField, "registration_password"},
		"YOU MUST USE A VALID PROTOCOL":                    {ReasonPhoneInvalidField, "protocol"},
		"YOU MUST USE A VALID PHONE PASSWORD":              {ReasonPhoneInvalidField, "phone_pass"},
		"LOGIN ALREADY EXISTS":                             {ReasonPhoneLoginExists, "phone_login"},
		"YOU MUST USE A VALID VOICEMAIL NUMBER":            {ReasonPhoneInvalidField, "voicemail_id"},
		"YOU MUST USE A VALID DIALPLAN NUMBER":             {ReasonPhoneInvalidField, "dialplan_number"},
		"ACTIVE MUST BE Y OR N":                            {ReasonPhoneInvalidField, "active"},
		"OUTBOUND CID MUST BE FROM 6 TO 18 DIGITS":         {ReasonPhoneInvalidField, "outbound_cid"},
		"USER GROUP MUST BE FROM 2 TO 20 CHARACTERS":       {ReasonPhoneInvalidField, "admin_user_group"},
		"OUTBOUND ALT CID MUST BE FROM 6 TO 18 DIGITS":     {ReasonPhoneInvalidField, "outbound_alt_cid"},
		"PHONE RING TIMEOUT MUST BE FROM 2 TO 180 SECONDS": {ReasonPhoneInvalidField, "phone_ring_timeout"},
		"DELETE VOICEMAIL AFTER EMAIL MUST BE Y OR N":      {ReasonPhoneInvalidField, "delete_vm_after_email"},
		"TEMPLATE ID DOES NOT EXIST":                       {ReasonPhoneTemplateNotFound, "template_id"},
	},
	"add_phone_alias": {
		"USER DOES NOT HAVE PERMISSION TO ADD PHONE ALIASES": {ReasonPhoneNoPermission, ""},
		"YOU MUST USE ALL REQUIRED FIELDS":                   {ReasonPhoneMissingFields, ""},
		"PHONE ALIAS ALREADY EXISTS":                         {ReasonPhoneAliasExists, "alias_id"},
		"PHONE DOES NOT EXIST":                               {ReasonPhoneLoginNotFound, "phone_logins"},
	},
	"update_phone_alias": {
		"USER DOES NOT HAVE PERMISSION TO UPDATE PHONE ALIASES": {ReasonPhoneNoPermission, ""},
		"USER DOES NOT HAVE PERMISSION TO DELETE PHONE ALIASES": {ReasonPhoneNoPermission, ""},
		"YOU MUST USE ALL REQUIRED FIELDS":                      {ReasonPhoneMissingFields, ""},
		"PHONE ALIAS DOES NOT EXIST":                            {ReasonPhoneAliasNotFound, ""},
		"YOU MUST USE A VALID ALIAS NAME":                       {ReasonPhoneInvalidField, "alias_name"},
		"PHONE DOES NOT EXIST":                                  {ReasonPhoneLoginNotFound, "phone_logins"},
		"NO UPDATES DEFINED":                                    {ReasonNoUpdates, ""},
	},
}

// isPhoneFunction reports whether function is one of the phone functions.
func isPhoneFunction(function string) bool {
	_, ok := phoneMessages[function]
	return ok
}

// phoneMeaning returns what a phone function's message means.
func phoneMeaning(function, message string) (phoneMessage, bool) {
	m, ok := phoneMessages[function][strings.TrimSuffix(message, ", THIS IS AN OPTIONAL FIELD")]
	return m, ok
}

// The positions, in Data, of the passwords that add_phone's YOU MUST USE
// ALL REQUIRED FIELDS echoes:
// APIUSER|EXT|DIALPLAN|VM|LOGIN|PHONE_PASS|SERVER_IP|PROTOCOL|REG_PASS|...
const (
	requiredPhonePass = 5
	requiredRegPass   = 8
)

// classifyPhone gives a phone function's ERROR or NOTICE line its reason
// (an unknown message keeps what ParseLine's general patterns gave), and replaces the
// passwords the line echoes by [REDACTED] in Data, by position, whatever
// the server echoed (the client also removes them by value).
func classifyPhone(e *APIError) {
	m, ok := phoneMeaning(e.Function, e.Message)
	if !ok {
		return // the general patterns' reason, or ReasonUnrecognisedError
	}
	e.Reason = m.reason
	redactAt := func(i int) {
		if i < len(e.Data) && e.Data[i] != "" {
			e.Data[i] = redacted
		}
	}
	switch {
	case e.Function == "add_phone" && m.reason == ReasonPhoneMissingFields:
		redactAt(requiredPhonePass)
		redactAt(requiredRegPass)
	case m.field == "phone_pass" || m.field == "registration_password":
		redactAt(1)
	}
}

// phoneFieldOf returns the parameter a phone function's message refuses.
func phoneFieldOf(e *APIError) string {
	m, _ := phoneMeaning(e.Function, e.Message)
	return m.field
}
