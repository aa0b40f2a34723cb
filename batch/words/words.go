// Package words holds what vicionboard's messages need to name a fix: how
// close two names are (to suggest the column, field, flag or in-group a
// misspelt one probably means), and short excerpts of long values (a 50 MB
// cell is never copied whole into a message).
package words

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Distance is the optimal string alignment distance between a and b, in
// characters: insertions, deletions, substitutions, and transpositions of
// two neighbours ("emial" is 1 from "email") each count one.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rows: the one before the previous, for transpositions.
	pp := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], pp[j-2]+1)
			}
		}
		pp, prev, cur = prev, cur, pp
	}
	return prev[len(rb)]
}

// Canonical lowercases s and joins its words (runs of letters and digits)
// with single underscores: "Agent User", "agent-user" and "AGENT__USER"
// are all "agent_user".
func Canonical(s string) string {
	var b strings.Builder
	gap := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if gap && b.Len() > 0 {
				b.WriteByte('_')
			}
			gap = false
			b.WriteRune(r)
			continue
		}
		gap = true
	}
	return b.String()
}

// MaxQuoted is how many characters of a value a message quotes.
const MaxQuoted = 40

// Clip returns v, or its first MaxQuoted characters followed by
// "...(N more characters)". Every message that repeats a cell goes through
// it (or Quote).
func Clip(v string) string {
	head, more := cut(v)
	if more == 0 {
		return v
	}
	return fmt.Sprintf("%s...(%d more characters)", head, more)
}

// Quote is Clip for a quoted value: the quotes close after the excerpt.
func Quote(v string) string {
	head, more := cut(v)
	if more == 0 {
		return strconv.Quote(v)
	}
	return fmt.Sprintf("%s...(%d more characters)", strconv.Quote(head), more)
}

// cut splits v after MaxQuoted characters; more counts the rest.
func cut(v string) (head string, more int) {
	if len(v) <= MaxQuoted {
		return v, 0 // fewer bytes than the limit: fewer characters too
	}
	n := 0
	for i := range v {
		if n == MaxQuoted {
			return v[:i], utf8.RuneCountInString(v[i:])
		}
		n++
	}
	return v, 0
}
