package vicidial

import (
	"errors"
	"html"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// redactor removes a request's secrets (the API password, the agent's and
// the phone's passwords) from whatever text of the server the client shows:
// API error lines, excerpts of bodies it cannot read, transport errors. It
// works by value, never by position: a password holding the server's field
// separator | must not split into a redacted field and a shown one.
//
// A server can echo a password in other forms than the one sent, so every
// form is looked for: raw, URL-encoded (+ or %20 for a space, upper or
// lower-case hex), HTML-escaped (Go's and PHP's entities), Go-quoted (Go's
// HTTP client quotes a malformed answer), and as VICIdial filters a password
// (only [-_0-9a-zA-Z] survive, then cut at 100 characters).
type redactor struct {
	long  []string // forms of 4 characters or more, longest first
	short []string // forms of 1 to 3 characters
}

// minAnywhere is the length from which a form is redacted wherever it
// appears. A shorter one would match inside ordinary words and numbers (a
// password "1" would turn every 1 of a message into [REDACTED], and the
// message into nonsense), so it is redacted only where it stands alone as a
// whole |-delimited field, which is how the API echoes a value.
const minAnywhere = 4

// maxStoredPass is where VICIdial cuts a stored password.
const maxStoredPass = 100

// newRedactor builds the redactor of a request's secrets; empty ones are
// ignored.
func newRedactor(secrets ...string) *redactor {
	seen := map[string]bool{}
	r := &redactor{}
	for _, s := range secrets {
		for _, f := range secretForms(s) {
			if f == "" || seen[f] {
				continue
			}
			seen[f] = true
			if utf8.RuneCountInString(f) < minAnywhere {
				r.short = append(r.short, f)
			} else {
				r.long = append(r.long, f)
			}
		}
	}
	// Longest first: where two forms overlap, the longer decides (see
	// redact, which also merges overlapping matches).
	sort.SliceStable(r.long, func(i, j int) bool { return len(r.long[i]) > len(r.long[j]) })
	return r
}

// htmlEscapers are the ways servers write HTML's special characters: Go's
// html.EscapeString, PHP's htmlspecialchars, and HTML5's named entities.
var htmlEscapers = []func(string) string{
	html.EscapeString, // &#39; &#34;
	strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&#039;", `"`, "&quot;").Replace,
	strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&apos;", `"`, "&quot;").Replace,
	strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&#x27;", `"`, "&#x22;").Replace,
}

// secretForms lists the forms in which a server may echo s.
func secretForms(s string) []string {
	if s == "" {
		return nil
	}
	query := url.QueryEscape(s) // space as +
	forms := []string{s,
		query, lowerHex(query),
		strings.ReplaceAll(query, "+", "%20"), lowerHex(strings.ReplaceAll(query, "+", "%20")),
		url.PathEscape(s), lowerHex(url.PathEscape(s)),
	}
	for _, esc := range htmlEscapers {
		forms = append(forms, esc(s))
	}
	if q := strconv.Quote(s); len(q) >= 2 {
		forms = append(forms, q[1:len(q)-1])
	}
	filtered := filterID(s)
	forms = append(forms, filtered)
	if len(filtered) > maxStoredPass {
		forms = append(forms, filtered[:maxStoredPass])
	}
	return forms
}

// filterID keeps what VICIdial keeps of a password: [-_0-9a-zA-Z].
func filterID(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// lowerHex writes the hex digits of the %XX escapes of s in lower case.
func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			for j := i + 1; j <= i+2; j++ {
				if b[j] >= 'A' && b[j] <= 'F' {
					b[j] += 'a' - 'A'
				}
			}
		}
	}
	return string(b)
}

// span is a part of a text to redact, [start, end).
type span struct{ start, end int }

// redact returns s with every form of every secret replaced by [REDACTED].
// Every occurrence of every form is marked first, overlapping ones
// included, and each run of marked text becomes one [REDACTED]: replacing
// the forms one after the other could leave the tail of a secret that
// overlaps another, or match a form inside an earlier [REDACTED].
func (r *redactor) redact(s string) string {
	if r == nil || s == "" {
		return s
	}
	var spans []span
	for _, f := range r.long {
		for from := 0; ; {
			i := strings.Index(s[from:], f)
			if i < 0 {
				break
			}
			spans = append(spans, span{from + i, from + i + len(f)})
			from += i + 1
		}
	}
	for _, f := range r.short {
		for from := 0; ; {
			i := strings.Index(s[from:], f)
			if i < 0 {
				break
			}
			start, end := from+i, from+i+len(f)
			if isFieldEdge(s, start-1) && isFieldEdge(s, end) {
				spans = append(spans, span{start, end})
			}
			from += i + 1
		}
	}
	if len(spans) == 0 {
		return s
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for i := 0; i < len(spans); {
		start, end := spans[i].start, spans[i].end
		for i++; i < len(spans) && spans[i].start <= end; i++ {
			end = max(end, spans[i].end)
		}
		b.WriteString(s[last:start])
		b.WriteString(redacted)
		last = end
	}
	b.WriteString(s[last:])
	return b.String()
}

// isFieldEdge reports whether position i of s is outside s or a field
// separator: | or a line break.
func isFieldEdge(s string, i int) bool {
	return i < 0 || i >= len(s) || s[i] == '|' || s[i] == '\n' || s[i] == '\r'
}

// redactErr returns err with its text redacted. The result unwraps to err,
// so that errors.Is and errors.As still see the cause (a timeout, a reset):
// print the result, never what it unwraps to.
func (r *redactor) redactErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if red := r.redact(msg); red != msg {
		return &redactedError{msg: red, err: err}
	}
	return err
}

// redactedError is an error whose text had a secret removed.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// ErrURLCredentials is the error of a server URL that holds a user or a
// password (http://user:pass@host): the password would show in ps, shell
// history and logs, so it is refused.
var ErrURLCredentials = errors.New("credentials in the server URL are not accepted")

// RedactURL returns raw fit to be shown in a message or a help text: without
// anything that looks like userinfo (user:password@), nor a query or a
// fragment. It works on what url.Parse refuses or misreads too: there the
// userinfo is cut by hand, from the scheme's // (or the start) up to the
// last @.
func RedactURL(raw string) string {
	raw = strings.TrimSpace(raw)
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
		return u.String()
	}
	start := 0
	if i := strings.Index(raw, "//"); i >= 0 {
		start = i + 2
	} else {
		start = schemePrefix(raw)
	}
	if at := strings.LastIndex(raw[start:], "@"); at >= 0 {
		raw = raw[:start] + raw[start+at+1:]
	}
	if i := strings.IndexAny(raw[start:], "?#"); i >= 0 {
		raw = raw[:start+i]
	}
	return raw
}

// schemePrefix returns the length of a leading "scheme:" and the slashes
// after it, or 0.
func schemePrefix(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			i++
			for i < len(s) && s[i] == '/' {
				i++
			}
			return i
		default:
			return 0
		}
	}
	return 0
}
