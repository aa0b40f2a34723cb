// Package naming makes the logins and passwords vicionboard generates for
// people whose spreadsheet row has none: logins from a pattern such as
// {f}{last}, passwords from a random or derived stream. Everything it
// makes uses only the characters VICIdial keeps in logins and passwords,
// [-_0-9a-zA-Z], so the server stores what was sent.
package naming

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vicionboard/vicionboard/batch/cells"
	"github.com/vicionboard/vicionboard/batch/words"
)

// MaxLogin is the longest login VICIdial stores (its database cuts the
// rest).
const MaxLogin = 20

// minLogin is the shortest login VICIdial accepts.
const minLogin = 2

// part is what a placeholder of a pattern stands for.
type part int

const (
	literal      part = iota // text written in the pattern
	firstName                // {first}: the whole first name
	lastName                 // {last}: the whole last name
	firstInitial             // {f}: the first letter of the first name
	lastInitial              // {l}: the first letter of the last name
)

// placeholders maps a placeholder's name to what it stands for.
var placeholders = map[string]part{"first": firstName, "last": lastName, "f": firstInitial, "l": lastInitial}

// placeholderList names the placeholders for messages.
const placeholderList = "{first}, {last}, {f} (first letter of the first name) and {l} (first letter of the last name)"

// token is a piece of a pattern: literal text or a placeholder.
type token struct {
	part part
	text string // the literal text, lower-cased; empty for a placeholder
}

// Pattern makes logins from people's names. Make one with ParsePattern;
// the zero Pattern makes no login.
type Pattern struct {
	src    string
	tokens []token
}

// ParsePattern parses a login pattern: literal text and the placeholders
// {first} and {last} (the whole first or last name) and {f} and {l} (their
// first letter), e.g. {f}{last} or {first}_{last}. Literal text may use
// only the characters VICIdial keeps in a login, [-_0-9a-zA-Z]; it is
// lower-cased in the logins made, as the names are (VICIdial's database
// compares logins ignoring case). A pattern needs at least one
// placeholder, or every person would get the same login.
func ParsePattern(s string) (Pattern, error) {
	if s == "" {
		return Pattern{}, errors.New("the login pattern is empty: write one such as {f}{last} or {first}_{last}")
	}
	p := Pattern{src: s}
	var bad []rune
	placeholder, prefix := false, 0
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return Pattern{}, fmt.Errorf("login pattern %s: %s has no closing }: the placeholders are %s",
					words.Quote(s), words.Quote(s[i:]), placeholderList)
			}
			name := s[i+1 : i+end]
			pt, ok := placeholders[name]
			if !ok {
				return Pattern{}, fmt.Errorf("login pattern %s: unknown placeholder %s: the placeholders are %s",
					words.Quote(s), words.Quote(s[i:i+end+1]), placeholderList)
			}
			if !placeholder {
				prefix = loginLen(p.tokens)
			}
			placeholder = true
			p.tokens = append(p.tokens, token{part: pt})
			i += end + 1
		case c == '}':
			return Pattern{}, fmt.Errorf("login pattern %s: a } without its {: write placeholders as %s",
				words.Quote(s), placeholderList)
		case isLoginByte(c):
			j := i
			for j < len(s) && isLoginByte(s[j]) {
				j++
			}
			p.tokens = append(p.tokens, token{part: literal, text: strings.ToLower(s[i:j])})
			i = j
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if !containsRune(bad, r) {
				bad = append(bad, r)
			}
			i += n
		}
	}
	if len(bad) > 0 {
		return Pattern{}, badCharsError(s, bad)
	}
	if !placeholder {
		return Pattern{}, fmt.Errorf("login pattern %s has no placeholder, so every person would get the same login: use %s, e.g. {f}{last}",
			words.Quote(s), placeholderList)
	}
	if len(p.tokens) == 1 && (p.tokens[0].part == firstInitial || p.tokens[0].part == lastInitial) {
		return Pattern{}, fmt.Errorf("login pattern %s makes 1-character logins, and VICIdial needs at least %d: add to it, e.g. {f}{last}",
			words.Quote(s), minLogin)
	}
	if prefix >= MaxLogin {
		return Pattern{}, fmt.Errorf("login pattern %s: the text before the first placeholder fills all %d characters of a login, so every person would get the same login: shorten it",
			words.Quote(s), MaxLogin)
	}
	return p, nil
}

// loginLen returns the length of the literal text of tokens.
func loginLen(tokens []token) int {
	n := 0
	for _, t := range tokens {
		n += len(t.text)
	}
	return n
}

// maxBadKinds is how many different refused characters a message names.
const maxBadKinds = 10

// badCharsError explains which characters of pattern s VICIdial would
// delete, and suggests the pattern with them replaced by _ or removed.
func badCharsError(s string, bad []rune) error {
	names := make([]string, 0, min(len(bad), maxBadKinds)+1)
	for i, r := range bad {
		if i == maxBadKinds {
			names = append(names, fmt.Sprintf("and %d more", len(bad)-maxBadKinds))
			break
		}
		if r == ' ' {
			names = append(names, `" " (space)`)
		} else {
			names = append(names, strconv.Quote(string(r)))
		}
	}
	verb := "is"
	if len(bad) > 1 {
		verb = "are"
	}
	msg := fmt.Sprintf("%s %s deleted from logins by VICIdial (it keeps letters, digits, - and _)",
		strings.Join(names, ", "), verb)
	underscore, removed := replaceBad(s, "_"), replaceBad(s, "")
	_, err1 := ParsePattern(underscore)
	_, err2 := ParsePattern(removed)
	switch {
	case err1 == nil && err2 == nil && underscore != removed:
		return fmt.Errorf("login pattern %s: %s: write %s or %s", words.Quote(s), msg, words.Clip(underscore), words.Clip(removed))
	case err2 == nil:
		return fmt.Errorf("login pattern %s: %s: write %s", words.Quote(s), msg, words.Clip(removed))
	}
	return fmt.Errorf("login pattern %s: %s: write a pattern such as {f}{last} or {first}_{last}", words.Quote(s), msg)
}

// replaceBad replaces each run of characters of s that a login cannot
// have, outside placeholders, with with.
func replaceBad(s, with string) string {
	var b strings.Builder
	inBad := false
	for i, r := range s {
		if r < utf8.RuneSelf && (isLoginByte(s[i]) || r == '{' || r == '}') {
			b.WriteRune(r)
			inBad = false
			continue
		}
		if !inBad {
			b.WriteString(with)
		}
		inBad = true
	}
	return b.String()
}

func containsRune(rs []rune, r rune) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// String returns the pattern as written.
func (p Pattern) String() string { return p.src }

// Login makes the login of a person named first and last. Each name part
// is transliterated (José -> jose, Søren -> soren, Łukasz -> lukasz,
// ß -> ss, fullwidth Ｊose -> jose), lower-cased, and stripped of
// everything but a-z and 0-9 (O'Brien -> obrien, Anne-Marie -> annemarie,
// van der Berg -> vanderberg); the pattern's literal text is kept; the
// result is cut to MaxLogin characters. The error is a *NameError when a
// name part the pattern uses is damaged (letters an export lost: "Jos?",
// U+FFFD; or a spreadsheet formula: a login, once made, is never changed)
// or has nothing left (李雷, محمد), or the login would be shorter than 2
// characters. Two people may get the same login: see WithSuffix.
func (p Pattern) Login(first, last string) (string, error) {
	if len(p.tokens) == 0 {
		return "", errors.New("the login pattern is empty: make it with ParsePattern")
	}
	var f, l string
	var needF, needL bool
	for _, t := range p.tokens {
		switch t.part {
		case firstName, firstInitial:
			needF = true
		case lastName, lastInitial:
			needL = true
		}
	}
	part := func(column, v string) (string, error) {
		e := &NameError{Column: column, First: first, Last: last, Pattern: p.src}
		switch {
		case cells.IsFormula(v):
			e.Formula = true
		case cells.LostLetters(v, true):
			e.Lost = true
		default:
			if kept := loginPart(v); kept != "" {
				return kept, nil
			}
		}
		return "", e
	}
	var err error
	if needF {
		if f, err = part("first_name", first); err != nil {
			return "", err
		}
	}
	if needL {
		if l, err = part("last_name", last); err != nil {
			return "", err
		}
	}
	b := make([]byte, 0, 2*MaxLogin)
	for _, t := range p.tokens {
		switch t.part {
		case literal:
			b = append(b, t.text...)
		case firstName:
			b = append(b, f...)
		case lastName:
			b = append(b, l...)
		case firstInitial:
			b = append(b, f[0])
		case lastInitial:
			b = append(b, l[0])
		}
	}
	if len(b) > MaxLogin {
		b = b[:MaxLogin]
	}
	if len(b) < minLogin {
		return "", &NameError{First: first, Last: last, Pattern: p.src, Login: string(b)}
	}
	return string(b), nil
}

// loginPart returns what a login keeps of a name part: its transliterated
// letters and digits, lower-cased, at most MaxLogin of them (a login has
// no room for more).
func loginPart(s string) string {
	s = Transliterate(s)
	b := make([]byte, 0, MaxLogin)
	for i := 0; i < len(s) && len(b) < MaxLogin; i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b = append(b, c)
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		}
	}
	return string(b)
}

// isLoginByte reports whether c survives in a VICIdial login:
// [-_0-9a-zA-Z].
func isLoginByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_'
}

// NameError reports a person whose name gives no login: a name part the
// pattern uses is damaged (Lost, Formula: the fix is a new export), or has
// no letter or digit VICIdial keeps (a name in a non-Latin script, say),
// or the login made is shorter than 2 characters. For the last two the
// fix is in the spreadsheet's mapping, not the name: a romanised or
// preferred-name column mapped as first_name or last_name.
type NameError struct {
	// Column is "first_name" or "last_name", the name part at fault; empty
	// when the login as a whole is too short.
	Column string
	// Lost: the name part has letters the export could not encode ("?"
	// where a letter should be, or U+FFFD; see cells.LostLetters).
	Lost bool
	// Formula: the name part is a spreadsheet formula (cells.IsFormula).
	Formula bool
	// First and Last are the name parts as given.
	First, Last string
	// Pattern is the login pattern, as written.
	Pattern string
	// Login is the login made, when it is too short.
	Login string
}

// Error explains the problem and what to map instead. It quotes at most
// 40 characters of a name.
func (e *NameError) Error() string {
	if e.Column != "" {
		v := e.First
		if e.Column == "last_name" {
			v = e.Last
		}
		switch {
		case e.Formula:
			return fmt.Sprintf("%s %s is a spreadsheet formula, not a name: %s", e.Column, words.Quote(v), cells.FormulaFix)
		case e.Lost:
			return fmt.Sprintf("%s %s %s", e.Column, words.Quote(v), cells.LostLettersProblem(v))
		}
		if strings.TrimSpace(v) == "" {
			return fmt.Sprintf("%s is empty and login pattern %s needs it: map a column with the %s as %s, or use a pattern without it",
				e.Column, words.Quote(e.Pattern), strings.ReplaceAll(e.Column, "_", " "), e.Column)
		}
		return fmt.Sprintf("%s %s has no letter VICIdial keeps in a login (a-z and 0-9, once accents are dropped): map a romanised or preferred-name column as %s",
			e.Column, words.Quote(v), e.Column)
	}
	return fmt.Sprintf("login %s made from first_name %s and last_name %s with pattern %s is shorter than %d characters: the name has too few letters VICIdial keeps; map a romanised or preferred-name column as first_name/last_name, or use a pattern with more of the name, e.g. {first}{last}",
		strconv.Quote(e.Login), words.Quote(e.First), words.Quote(e.Last), words.Quote(e.Pattern), minLogin)
}

// WithSuffix returns login base numbered n, to tell apart people who get
// the same login: base itself for n <= 1, else base followed by n, with
// base cut so the whole fits in MaxLogin characters ("jsmith", 2 ->
// "jsmith2"). base is a login, so ASCII.
func WithSuffix(base string, n int) string {
	if n <= 1 {
		return base
	}
	suffix := strconv.Itoa(n)
	if keep := MaxLogin - len(suffix); len(base) > keep {
		base = base[:max(keep, 0)]
	}
	return base + suffix
}
