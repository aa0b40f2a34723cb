package vicidial

import (
	"bytes"
	"strconv"
	"strings"
)

// Line is one parsed response line.
type Line struct {
	// Success is true for a SUCCESS line; Function and Message are then
	// set, and Fields holds the data after " - ".
	Success  bool
	Function string
	Message  string
	Fields   []string
	// Err is the *APIError of an ERROR (or NOTICE) line.
	Err *APIError
	// Raw is set for lines that are neither (user_details' data, VERSION).
	Raw string
}

// errorPatterns classify ERROR lines by their message.
var errorPatterns = []struct {
	message string
	reason  Reason
}{
	{"USER ALREADY EXISTS", ReasonUserExists},
	{"USER GROUP DOES NOT EXIST", ReasonGroupNotFound},
	{"IN THIS USER LEVEL", ReasonLevelNotPermitted},
	{"USER DOES NOT HAVE PERMISSION TO USE THIS FUNCTION", ReasonFunctionNotAllowed},
	{"USER DOES NOT HAVE PERMISSION", ReasonNoPermission},
	{"YOU MUST USE ALL REQUIRED FIELDS", ReasonMissingFields},
	{"USER DOES NOT EXIST", ReasonUserNotFound},
	{"USER NOT FOUND", ReasonUserNotFound},
	{"NO UPDATES DEFINED", ReasonNoUpdates},
	{"YOU MUST USE A VALID USER GROUP", ReasonInvalidGroup},
	{"YOU MUST USE A VALID PHONE LOGIN", ReasonInvalidPhoneLogin},
}

// ParseLine parses a response body of the non-agent API. It returns the
// parsed line; an ERROR line is returned as a *APIError error as well
// (Line.Err); a body that is none of the known forms is a *ResponseError
// of kind KindUnparseable. Not knowing the request's passwords, it can
// only blank the password field of a Login incorrect line by position, which
// a | in the password defeats: the Client's calls first remove the request's
// passwords by value (see redactor) from any line they may show.
func ParseLine(body []byte) (Line, error) {
	text := string(bytes.TrimRight(body, "\r\n"))
	if strings.TrimSpace(text) == "" {
		return Line{}, &ResponseError{Kind: KindEmptyBody, Status: 200}
	}
	first, _, _ := strings.Cut(text, "\n")
	first = strings.TrimRight(first, "\r")
	switch {
	case strings.HasPrefix(first, "SUCCESS: "):
		return parseSuccess(first)
	case strings.HasPrefix(first, "ERROR: "):
		e := parseError(first)
		return Line{Err: e}, e
	case strings.HasPrefix(first, "NOTICE: "):
		// A NOTICE is an ERROR line by another name (update_phone_alias's
		// NO UPDATES DEFINED, the refusals to delete).
		e := parseError("ERROR: " + strings.TrimPrefix(first, "NOTICE: "))
		e.Notice = true
		return Line{Err: e}, e
	case strings.HasPrefix(first, "VERSION: "):
		return Line{Raw: first}, nil
	case strings.Count(first, "|") >= 4 && !strings.ContainsAny(first, "<>"):
		return Line{Raw: first}, nil
	}
	return Line{}, &ResponseError{Kind: KindUnparseable, Status: 200, Excerpt: excerpt(first)}
}

func parseSuccess(line string) (Line, error) {
	rest := strings.TrimPrefix(line, "SUCCESS: ")
	fn, msg, _ := strings.Cut(rest, " ")
	l := Line{Success: true, Function: fn}
	if m, data, ok := strings.Cut(msg, " - "); ok {
		l.Message = m
		l.Fields = strings.Split(data, "|")
	} else {
		l.Message = msg
	}
	return l, nil
}

func parseError(line string) *APIError {
	rest := strings.TrimPrefix(line, "ERROR: ")
	e := &APIError{Reason: ReasonUnrecognisedError}
	switch {
	case strings.HasPrefix(rest, "Login incorrect"):
		e.Reason, e.Message = ReasonLoginIncorrect, "Login incorrect, please try again"
		_, data, _ := strings.Cut(rest, ": |")
		f := strings.Split(data, "|")
		if len(f) > 1 {
			f[1] = redacted
		}
		e.Data = trimEmptyTail(f)
		return e
	case strings.HasPrefix(rest, "Too many login attempts"):
		e.Reason = ReasonLockedOut
	case strings.HasPrefix(rest, "Invalid Source"):
		e.Reason = ReasonInvalidSource
	case strings.HasPrefix(rest, "NO FUNCTION SPECIFIED"):
		e.Reason = ReasonNoFunction
	}
	msg, data, found := strings.Cut(rest, ": |")
	if !found {
		msg, data, found = strings.Cut(rest, ": ")
	}
	if e.Reason == ReasonUnrecognisedError || e.Reason == "" {
		fn, m, ok := strings.Cut(msg, " ")
		if ok && strings.Contains(fn, "_") || fn == "auth" {
			e.Function, msg = fn, m
		}
		for _, p := range errorPatterns {
			if strings.Contains(msg, p.message) {
				e.Reason = p.reason
				break
			}
		}
	}
	e.Message = msg
	if found {
		e.Data = trimEmptyTail(strings.Split(data, "|"))
	}
	if e.Reason == ReasonGroupNotFound && e.Function == "copy_user" && (len(e.Data) < 2 || e.Data[1] == "") {
		e.Reason = ReasonTemplateNotFound
	}
	if isPhoneFunction(e.Function) {
		classifyPhone(e)
	}
	return e
}

func trimEmptyTail(f []string) []string {
	for len(f) > 0 && f[len(f)-1] == "" {
		f = f[:len(f)-1]
	}
	return f
}

// excerpt shortens a body for an error message.
func excerpt(s string) string {
	const max = 120
	s = strings.ToValidUTF8(s, "?")
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

// created reads the Created of an add_user or copy_user SUCCESS line.
// add_user: APIUSER|LOGIN|PASS|LEVEL|FULL_NAME|GROUP;
// copy_user: APIUSER|LOGIN|PASS|FULL_NAME|SOURCE_USER.
func created(l Line) (Created, bool) {
	f := l.Fields
	switch {
	case l.Function == "add_user" && len(f) >= 6:
		return Created{Login: f[1], Level: f[3], FullName: f[4], Group: f[5]}, true
	case l.Function == "copy_user" && len(f) >= 5:
		return Created{Login: f[1], FullName: f[3], SourceUser: f[4]}, true
	}
	return Created{}, false
}

// parseUserDetails reads LOGIN|FULL_NAME|GROUP|LEVEL|ACTIVE.
func parseUserDetails(raw string) (UserDetails, bool) {
	f := strings.Split(raw, "|")
	if len(f) < 5 {
		return UserDetails{}, false
	}
	lvl, err := strconv.Atoi(f[3])
	if err != nil {
		return UserDetails{}, false
	}
	return UserDetails{Login: f[0], FullName: f[1], Group: f[2], Level: lvl, Active: f[4] == "Y"}, true
}

// parseVersion reads VERSION: V|BUILD: B|...
func parseVersion(raw string) (VersionInfo, bool) {
	var v VersionInfo
	for _, part := range strings.Split(raw, "|") {
		k, val, ok := strings.Cut(part, ": ")
		if !ok {
			continue
		}
		switch k {
		case "VERSION":
			v.Version = val
		case "BUILD":
			v.Build = val
		}
	}
	return v, v.Version != ""
}
