package vicidial

import (
	"errors"
	"fmt"
	"strings"
)

// Reason classifies an API error line. Its value is a stable code that goes
// into result files and logs; Sentence gives the words for a person.
type Reason string

// The reasons an ERROR line can carry.
const (
	ReasonUserExists         Reason = "USER_EXISTS"          // USER ALREADY EXISTS
	ReasonGroupNotFound      Reason = "GROUP_NOT_FOUND"      // USER GROUP DOES NOT EXIST (with a group)
	ReasonTemplateNotFound   Reason = "TEMPLATE_NOT_FOUND"   // copy_user USER GROUP DOES NOT EXIST with an empty group
	ReasonLevelNotPermitted  Reason = "LEVEL_NOT_PERMITTED"  // ... PERMISSION TO ADD/COPY USERS IN THIS USER LEVEL
	ReasonNoPermission       Reason = "NO_PERMISSION"        // ... PERMISSION TO ADD/COPY USERS, or to update this user, or to get user details
	ReasonFunctionNotAllowed Reason = "FUNCTION_NOT_ALLOWED" // auth USER DOES NOT HAVE PERMISSION TO USE THIS FUNCTION
	ReasonMissingFields      Reason = "MISSING_FIELDS"       // YOU MUST USE ALL REQUIRED FIELDS
	ReasonLoginIncorrect     Reason = "LOGIN_INCORRECT"      // Login incorrect, please try again
	ReasonLockedOut          Reason = "LOCKED_OUT"           // Too many login attempts
	ReasonInvalidSource      Reason = "INVALID_SOURCE"       // Invalid Source
	ReasonNoFunction         Reason = "NO_FUNCTION"          // NO FUNCTION SPECIFIED
	ReasonUserNotFound       Reason = "USER_NOT_FOUND"       // update_user USER DOES NOT EXIST, user_details USER NOT FOUND
	ReasonNoUpdates          Reason = "NO_UPDATES"           // update_user NO UPDATES DEFINED
	ReasonInvalidGroup       Reason = "INVALID_GROUP"        // update_user YOU MUST USE A VALID USER GROUP
	ReasonInvalidPhoneLogin  Reason = "INVALID_PHONE_LOGIN"  // update_user YOU MUST USE A VALID PHONE LOGIN
	ReasonUnrecognisedError  Reason = "UNRECOGNISED_ERROR"   // an ERROR line this client does not know
)

var reasonSentences = map[Reason]string{
	ReasonUserExists:         "login already exists on the server",
	ReasonGroupNotFound:      "user group does not exist on the server",
	ReasonTemplateNotFound:   "template account not found",
	ReasonLevelNotPermitted:  "the API user may not create accounts of this user level",
	ReasonNoPermission:       "the API user lacks the permission for this call",
	ReasonFunctionNotAllowed: "the API user may not use this API function",
	ReasonMissingFields:      "a required field is missing or empty after the server's filtering",
	ReasonLoginIncorrect:     "the API user or password is wrong",
	ReasonLockedOut:          "the API user is locked out after too many failed logins; wait 15 minutes",
	ReasonInvalidSource:      "the source label is missing or too short",
	ReasonNoFunction:         "no API function was specified",
	ReasonUserNotFound:       "account not found",
	ReasonNoUpdates:          "nothing to update",
	ReasonInvalidGroup:       "user group is not valid",
	ReasonInvalidPhoneLogin:  "phone login is not valid",
	ReasonUnrecognisedError:  "the server answered an error this tool does not recognise",
}

// Sentence returns a short explanation of r for a person.
func (r Reason) Sentence() string {
	if s, ok := reasonSentences[r]; ok {
		return s
	}
	return strings.ToLower(strings.ReplaceAll(string(r), "_", " "))
}

// Fatal reports whether an error of this reason concerns the API user rather
// than one row, so that a batch must stop sending at once: repeating the call
// cannot help and, for a wrong password, locks the API user out.
func (r Reason) Fatal() bool {
	switch r {
	case ReasonLoginIncorrect, ReasonLockedOut, ReasonFunctionNotAllowed,
		ReasonNoPermission, ReasonInvalidSource, ReasonNoFunction, ReasonPhoneNoPermission:
		return true
	}
	return false
}

// APIError is an ERROR line answered by the server (with HTTP 200), or a
// NOTICE line (Notice set), which the phone functions answer for some
// refusals.
type APIError struct {
	Function string   // the API function named in the line, e.g. add_user ("auth" for permission errors)
	Reason   Reason   // the classification
	Message  string   // the server's words, e.g. "USER ALREADY EXISTS"
	Data     []string // the fields after the message, with any password replaced by [REDACTED]
	Notice   bool     // the line began with NOTICE: rather than ERROR:
}

// Error describes the error without any password.
func (e *APIError) Error() string {
	var b strings.Builder
	if e.Function != "" {
		b.WriteString(e.Function)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if len(e.Data) > 0 {
		b.WriteString(": |")
		b.WriteString(strings.Join(e.Data, "|"))
	}
	fmt.Fprintf(&b, " (%s)", e.Reason)
	return b.String()
}

// ReasonOf returns the Reason of the *APIError in err's chain, or "" if there
// is none.
func ReasonOf(err error) Reason {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.Reason
	}
	return ""
}

// IsFatal reports whether err must stop a batch: an API error whose reason is
// Fatal.
func IsFatal(err error) bool {
	return ReasonOf(err).Fatal()
}

// ResponseErrorKind says what was wrong with a response.
type ResponseErrorKind string

// The kinds of unreadable responses.
const (
	KindHTTPStatus  ResponseErrorKind = "HTTP_STATUS" // a status other than 200
	KindEmptyBody   ResponseErrorKind = "EMPTY_BODY"  // 200 with nothing in the body
	KindUnparseable ResponseErrorKind = "UNPARSEABLE" // 200 with a body that is no known line
)

// ResponseError is a response the client could not take as an answer: a
// status other than 200, an empty body or a body it does not understand. The
// request reached the server, so whether it had an effect is unknown until
// checked (a 500 may follow a completed insert).
type ResponseError struct {
	Kind    ResponseErrorKind
	Status  int    // the HTTP status code
	Excerpt string // the start of the body, passwords removed
	// Created is set when the body, despite the status, holds a complete
	// SUCCESS line of add_user or copy_user: the account was created.
	Created *Created
	// RetryAfter is the server's Retry-After, in seconds, when it sent one.
	RetryAfter int
	// Location is where a 3xx answer points (query removed). The client
	// never follows a redirect: the server URL must be corrected instead.
	Location string
}

// Error describes the response without any password.
func (e *ResponseError) Error() string {
	switch e.Kind {
	case KindEmptyBody:
		return fmt.Sprintf("HTTP %d with an empty body", e.Status)
	case KindUnparseable:
		return fmt.Sprintf("HTTP %d with an unrecognised body %q", e.Status, e.Excerpt)
	default:
		if e.Location != "" {
			return fmt.Sprintf("HTTP %d: the server redirects to %s; use that address as the server URL", e.Status, e.Location)
		}
		if e.Excerpt == "" {
			return fmt.Sprintf("HTTP %d", e.Status)
		}
		return fmt.Sprintf("HTTP %d: %q", e.Status, e.Excerpt)
	}
}

// TransportError is a failed HTTP exchange: connection refused, reset,
// timeout. Sent tells whether the request was completely written before the
// failure; when it was, the server may have acted on it.
type TransportError struct {
	Op   string // the API function
	Sent bool
	Err  error
}

// Error describes the failure.
func (e *TransportError) Error() string {
	when := "before the request was sent"
	if e.Sent {
		when = "after the request was sent"
	}
	return fmt.Sprintf("%s: %v (%s)", e.Op, e.Err, when)
}

// Unwrap returns the underlying network error.
func (e *TransportError) Unwrap() error { return e.Err }

// IsUncertain reports whether err leaves unknown whether the server acted on
// the request: a response it could not read (but a gateway's 429, 502, 503
// or 504), or a transport failure after the request was written. Such a
// call must not be resent blindly.
func IsUncertain(err error) bool {
	var respErr *ResponseError
	if errors.As(err, &respErr) {
		return !respErr.gateway()
	}
	var tErr *TransportError
	if errors.As(err, &tErr) {
		return tErr.Sent
	}
	return false
}

// gateway reports whether the response is a refusal that VICIdial never
// saw: 429, 502, 503 or 504, answered by a proxy or a busy server.
func (e *ResponseError) gateway() bool {
	if e.Kind != KindHTTPStatus {
		return false
	}
	switch e.Status {
	case 429, 502, 503, 504:
		return true
	}
	return false
}

// IsTransport reports whether err is a failure to talk to the server at all
// (a *TransportError, or a *ResponseError from a gateway: 429, 502, 503, 504), as
// opposed to an answer from VICIdial.
func IsTransport(err error) bool {
	var tErr *TransportError
	if errors.As(err, &tErr) {
		return true
	}
	var respErr *ResponseError
	if errors.As(err, &respErr) {
		return respErr.gateway()
	}
	return false
}
