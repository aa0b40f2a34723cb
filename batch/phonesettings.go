package batch

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vicionboard/vicionboard/vicidial"
)

// This file holds what the phones of a job share (a profile's or a
// mapping's phones:), and how a row's phone request is made from them.

// NewExtension, as a row's phone_extension (any case), asks for the next
// free extension of the job's range (PhoneSettings.Extensions).
const NewExtension = "new"

// The defaults of the phone settings a job does not give: VICIdial's own
// for a new phone in its admin screen.
const (
	DefaultPhoneProtocol    = "SIP"
	DefaultPhoneLocalGMT    = "-5.00"
	DefaultPhoneOutboundCID = "0000000000"
)

// PhoneSettings are the settings every phone of a job shares. A row asks
// for a phone of its own with its phone_extension (an extension, or
// NewExtension); the phone's dialplan_number and voicemail_id are its
// extension, its phone_login the row's phone_login or else the extension,
// its phone_full_name the agent's name (vicidial.PhoneName), and its
// passwords the row's phone_pass and phone_registration_password or else
// generated (Passwords).
type PhoneSettings struct {
	// ServerIP is the server_ip of the phones (required, unless ServerIPs
	// gives one for every server of the job).
	ServerIP string
	// ServerIPs are the phones' server_ip by the name of the job's server
	// (a job with several), compared without case; a server it does not
	// name uses ServerIP.
	ServerIPs map[string]string
	// Extensions is the range NewExtension takes the next free extension
	// from (the zero value: none).
	Extensions ExtensionRange
	// The rest, sent as add_phone's parameters of the same names; empty
	// ones take the defaults above (Protocol, LocalGMT, OutboundCID) or
	// the server's (the others).
	Protocol            string
	LocalGMT            string
	OutboundCID         string
	PhoneContext        string
	TemplateID          string
	AdminUserGroup      string
	IsWebphone          string
	WebphoneAutoAnswer  string
	UseExternalServerIP string
	OnHookAgent         string
	// Passwords returns the phone_pass and registration_password
	// vicionboard generates for a person on a server: the same every
	// time (batch/ledger derives them from its key), so that a run killed
	// after add_phone and started again sends the passwords the phone
	// has. Nil: a row must give them.
	Passwords func(server, personKey string) (phonePass, registration string)
}

// serverIP returns the server_ip of the phones of the job's server name.
func (s *PhoneSettings) serverIP(server string) string {
	for name, ip := range s.ServerIPs {
		if strings.EqualFold(name, server) && ip != "" {
			return ip
		}
	}
	return s.ServerIP
}

// request returns the add_phone of a phone: extension, login, passwords
// and name are the person's, the rest the job's.
func (s *PhoneSettings) request(serverIP, ext, login string, pass, reg vicidial.Secret, name string) vicidial.AddPhoneRequest {
	return vicidial.AddPhoneRequest{Extension: ext, DialplanNumber: ext, VoicemailID: ext, PhoneLogin: login,
		PhonePass: pass, ServerIP: serverIP, Protocol: cmpOr(s.Protocol, DefaultPhoneProtocol),
		RegistrationPassword: reg, FullName: name, LocalGMT: cmpOr(s.LocalGMT, DefaultPhoneLocalGMT),
		OutboundCID: cmpOr(s.OutboundCID, DefaultPhoneOutboundCID), PhoneContext: s.PhoneContext,
		AdminUserGroup: s.AdminUserGroup, IsWebphone: s.IsWebphone, WebphoneAutoAnswer: s.WebphoneAutoAnswer,
		UseExternalServerIP: s.UseExternalServerIP, OnHookAgent: s.OnHookAgent, TemplateID: s.TemplateID}
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// personPhoneFields are the add_phone parameters each person's phone has
// of its own, and the input column each comes from.
var personPhoneFields = map[string]string{"extension": "phone_extension", "dialplan_number": "phone_extension",
	"voicemail_id": "phone_extension", "phone_login": "phone_login", "phone_pass": "phone_pass",
	"registration_password": "phone_registration_password", "phone_full_name": "agent_full_name"}

// Problems checks the settings against every rule of add_phone that needs
// no server (see vicidial.AddPhoneRequest.Validate), for each server_ip
// they give: what a job's phones share, before any row is read. Each
// problem's Field is the setting's name (server_ip, protocol, local_gmt...).
func (s PhoneSettings) Problems() []vicidial.FieldProblem {
	var out []vicidial.FieldProblem
	if s.ServerIP == "" && len(s.ServerIPs) == 0 {
		out = append(out, vicidial.FieldProblem{Field: "server_ip", Message: "required: the server_ip of the server the phones are on (Admin > Servers)"})
	}
	ips := []string{s.ServerIP}
	for _, ip := range s.ServerIPs {
		ips = append(ips, ip)
	}
	seen := map[string]bool{}
	for _, ip := range ips {
		if ip == "" && (s.ServerIP == "" && len(s.ServerIPs) == 0 || len(ips) > 1) {
			continue
		}
		req := s.request(ip, "7000", "7000", "Sample1pass", "Sample2pass", "Sample Name")
		for _, p := range req.Validate() {
			if _, own := personPhoneFields[p.Field]; own || seen[p.String()] {
				continue
			}
			seen[p.String()] = true
			out = append(out, p)
		}
	}
	return out
}

// ExtensionRange is a range of extensions: First to Last, each written
// with at least Width digits (a range written 0100-0199 keeps its zeros).
type ExtensionRange struct {
	First, Last int
	Width       int
}

// maxRangeDigits bounds a range's extensions: they are also the phone's
// voicemail_id, at most 10 characters.
const maxRangeDigits = 10

// ParseExtensionRange reads a range written FIRST-LAST, e.g. 7000-7999:
// digits only, FIRST at most LAST, at most 10 digits each.
func ParseExtensionRange(s string) (ExtensionRange, error) {
	first, last, ok := strings.Cut(strings.TrimSpace(s), "-")
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if !ok || !isDigits(first) || !isDigits(last) {
		return ExtensionRange{}, fmt.Errorf("%q is not a range of extensions: write FIRST-LAST, e.g. 7000-7999", s)
	}
	if len(first) > maxRangeDigits || len(last) > maxRangeDigits {
		return ExtensionRange{}, fmt.Errorf("%q: an extension of the range has more than %d digits (it is also the phone's voicemail_id, at most %d)", s, maxRangeDigits, maxRangeDigits)
	}
	a, _ := strconv.Atoi(first)
	b, _ := strconv.Atoi(last)
	if a > b {
		return ExtensionRange{}, fmt.Errorf("%q: the first extension is after the last", s)
	}
	r := ExtensionRange{First: a, Last: b}
	if strings.HasPrefix(first, "0") {
		r.Width = len(first)
	}
	if len(r.format(a)) < 2 {
		return ExtensionRange{}, fmt.Errorf("%q: an extension has at least 2 digits (write 01-09 for those)", s)
	}
	return r, nil
}

// IsZero reports whether the range is none.
func (r ExtensionRange) IsZero() bool { return r == ExtensionRange{} }

// String writes the range as ParseExtensionRange reads it.
func (r ExtensionRange) String() string {
	if r.IsZero() {
		return ""
	}
	return r.format(r.First) + "-" + r.format(r.Last)
}

// format writes extension n of the range.
func (r ExtensionRange) format(n int) string {
	s := strconv.Itoa(n)
	if len(s) < r.Width {
		s = strings.Repeat("0", r.Width-len(s)) + s
	}
	return s
}

// phoneRequested reports whether a row's phone_extension asks for a phone
// of its own.
func phoneRequested(f Fields) bool { return f.PhoneExtension != "" }

// isNewExtension reports whether ext asks for the next free extension.
func isNewExtension(ext string) bool { return strings.EqualFold(strings.TrimSpace(ext), NewExtension) }

// phoneColumns are the input columns a phone's problems are reported in:
// a row all of whose problems are in them is PHONE_INVALID.
var phoneColumns = []string{"phone_extension", "phone_login", "phone_pass", "phone_registration_password", "phones"}

// phoneProblemsOnly reports whether every problem of a validation error concerns
// the row's phone.
func phoneProblemsOnly(err error) bool {
	ve, ok := err.(*ValidationError)
	if !ok || len(ve.Problems) == 0 {
		return false
	}
	for _, p := range ve.Problems {
		if !slices.Contains(phoneColumns, p.Column) {
			return false
		}
	}
	return true
}
