package mapping

import (
	"fmt"
	"github.com/vicionboard/vicionboard/batch/words"
	"strings"
	"unicode"
	"unicode/utf8"
)

// parseTemplate splits a template into literal text and {A|B} parts, or
// returns what is wrong with it.
func parseTemplate(s string) ([]part, string) {
	var parts []part
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, part{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '{' && i+1 < len(s) && s[i+1] == '{':
			lit.WriteByte('{')
			i += 2
		case c == '}' && i+1 < len(s) && s[i+1] == '}':
			lit.WriteByte('}')
			i += 2
		case c == '}':
			return nil, fmt.Sprintf("the } at character %d closes no { (write }} for a literal })", utf8.RuneCountInString(s[:i])+1)
		case c == '{':
			j := strings.IndexAny(s[i+1:], "{}")
			if j < 0 || s[i+1+j] == '{' {
				return nil, fmt.Sprintf("the { at character %d is not closed (write {{ for a literal {)", utf8.RuneCountInString(s[:i])+1)
			}
			inner := s[i+1 : i+1+j]
			var cols []string
			for _, alt := range strings.Split(inner, "|") {
				alt = strings.TrimSpace(alt)
				if alt == "" {
					return nil, fmt.Sprintf("{%s} names an empty column: write {Column} or {Column A|Column B}", inner)
				}
				cols = append(cols, alt)
			}
			flush()
			parts = append(parts, part{cols: cols})
			i += j + 2
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	if len(parts) == 0 {
		parts = append(parts, part{})
	}
	return parts, ""
}

// The placeholders of a login pattern.
var placeholders = []string{"first", "last", "f", "l"}

// checkPattern checks a login pattern: placeholders {first}, {last}, {f},
// {l} (any case) and, around them, only the characters VICIdial keeps in a
// login. It returns the pattern with its placeholders in lower case, or
// what is wrong.
func checkPattern(s string) (string, string) {
	var out strings.Builder
	var bad []rune
	found := false
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '{':
			j := strings.IndexAny(s[i+1:], "{}")
			if j < 0 || s[i+1+j] == '{' {
				return "", "a { is not closed: placeholders are {first}, {last}, {f} and {l}"
			}
			inner := strings.ToLower(strings.TrimSpace(s[i+1 : i+1+j]))
			if !containsString(placeholders, inner) {
				return "", fmt.Sprintf("{%s} is not a placeholder: a login pattern has {first}, {last}, {f} (the first letter of first) and {l} (the first letter of last); first_name and last_name choose the columns they come from", s[i+1:i+1+j])
			}
			found = true
			out.WriteString("{" + inner + "}")
			i += j + 2
		case c == '}':
			return "", "a } closes no {: placeholders are {first}, {last}, {f} and {l}"
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if !loginChar(r) && !containsRune(bad, r) {
				bad = append(bad, r)
			}
			out.WriteString(s[i : i+n])
			i += n
		}
	}
	if len(bad) > 0 {
		quoted := make([]string, len(bad))
		for i, r := range bad {
			quoted[i] = fmt.Sprintf("%q", string(r))
		}
		verb := "is"
		if len(bad) > 1 {
			verb = "are"
		}
		return "", fmt.Sprintf("%s %s deleted from logins by VICIdial (it keeps letters, digits, - and _): write %s or %s",
			strings.Join(quoted, ", "), verb, replaceBad(out.String(), "_"), replaceBad(out.String(), ""))
	}
	if !found {
		return "", "a login pattern needs {first}, {last}, {f} or {l}: without one every row gets the same login"
	}
	return out.String(), ""
}

// loginChar reports whether VICIdial keeps r in a login.
func loginChar(r rune) bool {
	return r < utf8.RuneSelf && (r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
}

// replaceBad replaces each run of characters VICIdial deletes from a login,
// outside the placeholders of the checked pattern s, with with.
func replaceBad(s, with string) string {
	var b strings.Builder
	inRun, inBrace := false, false
	for _, r := range s {
		switch {
		case r == '{':
			inBrace = true
		case r == '}':
			inBrace = false
			b.WriteRune(r)
			inRun = false
			continue
		}
		if !inBrace && !loginChar(r) {
			if !inRun {
				b.WriteString(with)
			}
			inRun = true
			continue
		}
		inRun = false
		b.WriteRune(r)
	}
	return b.String()
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsRune(list []rune, r rune) bool {
	for _, x := range list {
		if x == r {
			return true
		}
	}
	return false
}

// appendCollapsed appends s to dst with every run of white space made one
// space, and none at the start; *space says a space is pending from what
// was appended before (it is written only before what follows it, so the
// result is trimmed at the end too).
func appendCollapsed(dst []byte, s string, space *bool) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' {
				*space = len(dst) > 0
				i++
				continue
			}
			if *space {
				dst = append(dst, ' ')
				*space = false
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			*space = len(dst) > 0
			i += n
			continue
		}
		if *space {
			dst = append(dst, ' ')
			*space = false
		}
		dst = append(dst, s[i:i+n]...)
		i += n
	}
	return dst
}

// closest returns the candidate that name probably means, or "": the same
// but for case, spaces and punctuation; a few edits away (more for longer
// names); or one containing the other when the shorter has 4 letters or
// more.
func closest(name string, candidates []string) string {
	c := words.Canonical(name)
	if c == "" {
		return ""
	}
	best, bestScore := "", 1<<30
	for _, cand := range candidates {
		w := words.Canonical(cand)
		if w == "" {
			continue
		}
		score := -1
		d := words.Distance(c, w)
		limit := 1
		switch n := min(len([]rune(c)), len([]rune(w))); {
		case n >= 10:
			limit = 3
		case n >= 5:
			limit = 2
		}
		if d <= limit {
			score = d
		} else {
			short, long := c, w
			if len(short) > len(long) {
				short, long = long, short
			}
			if len(short) >= 4 && strings.Contains(long, short) {
				score = 10 + len(long) - len(short)
			}
		}
		if score >= 0 && score < bestScore {
			best, bestScore = cand, score
		}
	}
	return best
}
