package naming

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// specialLetters are letters that Unicode decomposition does not reduce to
// ASCII.
var specialLetters = strings.NewReplacer(
	"ß", "ss", "ẞ", "SS", "æ", "ae", "Æ", "AE", "ø", "o", "Ø", "O", "œ", "oe", "Œ", "OE",
	"ł", "l", "Ł", "L", "đ", "d", "Đ", "D", "ð", "d", "Ð", "D", "þ", "th", "Þ", "Th", "ı", "i",
	"\u2044", "/", // NFKC's fraction slash: ½ -> 1⁄2 -> 1/2
)

// Transliterate turns accented letters into their ASCII base letters
// (José -> Jose, Müller -> Muller) and spells out the few Latin letters
// that have no accent to drop (ß -> ss, Ø -> O, Ł -> L, æ -> ae). It
// first normalises s to NFKC, so that the compatibility forms of letters
// and digits are the letters and digits (fullwidth Ｊose -> Jose, ﬁ -> fi,
// ² -> 2, ½ -> 1/2). Other characters, including letters of other scripts
// (李, م), are left as they are: callers delete what VICIdial would not
// keep. An ASCII string is returned unchanged without allocating.
func Transliterate(s string) string {
	if isASCII(s) {
		return s
	}
	s = specialLetters.Replace(norm.NFKC.String(s))
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		return s
	}
	return out
}

// isASCII reports whether s has only bytes below 0x80.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
