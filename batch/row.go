package batch

import (
	"fmt"
	"reflect"

	"github.com/vicionboard/vicionboard/vicidial"
)

// Fields are the input columns vicionboard understands, named as the API
// names them. gocsv fills them from the header (matched case-insensitively,
// trimmed; "source_user" is an alias of "template"). Values are trimmed.
type Fields struct {
	Login                 string `csv:"agent_user"`
	Pass                  string `csv:"agent_pass"`
	FullName              string `csv:"agent_full_name"`
	Level                 string `csv:"agent_user_level"`
	Group                 string `csv:"agent_user_group"`
	Template              string `csv:"template"`
	PhoneLogin            string `csv:"phone_login"`
	PhonePass             string `csv:"phone_pass"`
	HotkeysActive         string `csv:"hotkeys_active"`
	VoicemailID           string `csv:"voicemail_id"`
	Email                 string `csv:"email"`
	CustomOne             string `csv:"custom_one"`
	CustomTwo             string `csv:"custom_two"`
	CustomThree           string `csv:"custom_three"`
	CustomFour            string `csv:"custom_four"`
	CustomFive            string `csv:"custom_five"`
	WrapupSecondsOverride string `csv:"wrapup_seconds_override"`
	AgentChooseIngroups   string `csv:"agent_choose_ingroups"`
	AgentChooseBlended    string `csv:"agent_choose_blended"`
	CloserDefaultBlended  string `csv:"closer_default_blended"`
	InGroups              string `csv:"in_groups"`
	// Active is Y or N for HR systems that export leavers with a status:
	// N deactivates a known person's account (with --deactivate-missing)
	// and never creates one.
	Active string `csv:"active"`
	// Server names the row's server, for a job with several (a profile's
	// servers:); empty for a job with one.
	Server string `csv:"server"`
	// PhoneExtension asks for a phone of the agent's own (phonesettings.go):
	// its extension, or NewExtension for the next free one of the job's
	// range. PhoneLogin and PhonePass are then the phone's (the login
	// defaults to the extension, the password is generated).
	PhoneExtension string `csv:"phone_extension"`
	// PhoneRegistrationPassword is the registration_password of the
	// agent's own phone; generated when empty.
	PhoneRegistrationPassword string `csv:"phone_registration_password"`
}

// Prior is the outcome a row already had, when the input is a result file
// of an earlier run (it has a result_status column).
type Prior struct {
	Status   string // result_status
	Login    string // result_login
	Reason   string // result_reason
	Warnings string // result_warnings
	Row      string // result_row
	At       string // result_at
	Server   string // result_server (a job with several servers)
	// Phone is the result_phone_* columns (a job with phones).
	Phone PhoneResult
}

// Row is one data record of the input.
type Row struct {
	Seq   int      // 0-based position among the data rows (blank lines are not rows)
	Line  int      // the file line where the record starts (the header is line 1)
	Cells []string // the record as read, aligned with Reader.Columns (result_* columns removed); never nil
	// Fields holds the understood columns, trimmed. Empty when Err is set.
	Fields Fields
	// Prior is set when the input is a result file.
	Prior *Prior
	// Err is set when the record could not be read (wrong number of fields,
	// bad quoting); such a row is INVALID and is never sent.
	Err *InputError
	// Gen says what a mapping (--map) asks vicionboard to generate for the
	// row, and with which name parts.
	Gen Generation
}

// Generation is what vicionboard is asked to generate for a row: a login
// from a pattern over the person's name parts. (A password is generated
// for every row whose agent_pass is empty; see Generating.)
type Generation struct {
	// LoginPattern, when set, is the pattern of the row's login (its
	// agent_user is empty): "{f}{last}", "{first}_{last}"...
	LoginPattern string
	// First and Last are the person's name parts for the pattern.
	First, Last string

	password bool     // the pipeline generated the row's password
	warnings []string // what choosing the login skipped
	problem  string   // why no login could be generated: the row is INVALID
	phone    phoneGen // what the pipeline generated for the row's phone
}

// InputError is a problem with the input file at a position: it names the
// file, the line and the column (1-based; 0 when the whole line is at fault).
type InputError struct {
	File   string
	Line   int
	Column int
	Msg    string
	// Mapped says that the record was read as it is, and only a mapping
	// could not map one of its values: its other cells (its person key)
	// are right.
	Mapped bool
}

// Error returns "FILE:LINE:COLUMN: MSG".
func (e *InputError) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// Action is what a row asks of the server.
type Action int

// The actions.
const (
	ActionAdd  Action = iota + 1 // add_user
	ActionCopy                   // copy_user, from a template
)

// String returns the API function name.
func (a Action) String() string {
	switch a {
	case ActionAdd:
		return "add_user"
	case ActionCopy:
		return "copy_user"
	}
	return "none"
}

// Plan is a validated row, ready to send.
type Plan struct {
	Action Action
	Add    vicidial.AddUserRequest  // when Action is ActionAdd
	Copy   vicidial.CopyUserRequest // when Action is ActionCopy
	// Update, for a copy row with values of its own (phone, email, custom
	// fields...), is the update_user that applies them right after the
	// copy_user; nil when the row leaves everything to the template.
	Update *vicidial.UpdateUserRequest
	// Active is the row's active column: "Y", "N", or "" (active).
	Active string
	// PassDigest is the keyed digest of the row's password (see
	// Options.PassDigest), or "".
	PassDigest string
	// GeneratedLogin: vicionboard chose the login (from the row's login
	// pattern, or the login the ledger holds for the person).
	GeneratedLogin bool
	// GeneratedPass: the password is the one vicionboard generates for
	// the person. It is set only when an account is created: a generated
	// password is never a change of HR's (--update).
	GeneratedPass bool
	Warnings      []string // values cleaned, fields neither call sets
	// LeftOut are the columns whose value the row gives but VICIdial
	// cannot store, left out of the request: never a change for --update
	// (the account keeps what it has).
	LeftOut []string
	// Phone is the agent's own phone the row asks for (its phone_extension),
	// made by add_phone before the account; the account's phone_login
	// and phone_pass are the phone's. Nil: none.
	Phone *PhonePlan
}

// Login returns the login the plan asks for (may be AUTOGENERATED).
func (p Plan) Login() string {
	if p.Action == ActionCopy {
		return p.Copy.Login
	}
	return p.Add.Login
}

// FullName returns the full name the plan sends.
func (p Plan) FullName() string {
	if p.Action == ActionCopy {
		return p.Copy.FullName
	}
	return p.Add.FullName
}

// Autogenerated reports whether the server will pick the login.
func (p Plan) Autogenerated() bool { return vicidial.IsAutogenerated(p.Login()) }

// Problem is one reason a row is INVALID.
type Problem struct {
	Column string // the input column at fault, e.g. agent_user
	Msg    string // what is wrong, never quoting a password
	// Code is the problem's own reason code, for the row when it is the
	// row's only kind of problem ("": INVALID_INPUT, or PHONE_INVALID for
	// a phone's).
	Code string
}

// ValidationError lists every problem of a row.
type ValidationError struct {
	Problems []Problem
}

// Error joins the problems as "column: msg; column: msg".
func (e *ValidationError) Error() string {
	s := ""
	for i, p := range e.Problems {
		if i > 0 {
			s += "; "
		}
		s += p.Column + ": " + p.Msg
	}
	return s
}

// FieldNames returns the names of the fields a row has (the input columns
// vicionboard understands, as the API names them), for a mapping.
func FieldNames() []string {
	t := reflect.TypeFor[Fields]()
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		names = append(names, t.Field(i).Tag.Get("csv"))
	}
	return names
}
