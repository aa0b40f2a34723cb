package naming_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/vicionboard/vicionboard/batch/naming"
)

func TestTransliterate(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Smith", "Smith"},
		{"José Müller", "Jose Muller"},
		{"Jose\u0301", "Jose"}, // decomposed accent
		{"Søren Ørsted", "Soren Orsted"},
		{"Łukasz Brzęczyszczykiewicz", "Lukasz Brzeczyszczykiewicz"},
		{"Straße GROẞ", "Strasse GROSS"},
		{"Ægir Œuvre þór", "AEgir OEuvre thor"},
		{"İlker Işık", "Ilker Isik"},
		{"Đorđe", "Dorde"},
		{"李雷", "李雷"}, // other scripts are left for the caller to delete
		{"O'Brien", "O'Brien"},
		// NFKC first: compatibility forms are their letters and digits.
		{"Ｊose Ｇarcía", "Jose Garcia"}, // fullwidth
		{"Ｊｏｓｅ", "Jose"},
		{"ﬁona", "fiona"},    // a ligature
		{"Agent²", "Agent2"}, // a superscript
		{"½ day", "1/2 day"},
		{"Ａ\u3000Ｂ", "A B"}, // an ideographic space
	} {
		if got := naming.Transliterate(c.in); got != c.want {
			t.Errorf("Transliterate(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParsePattern(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string // substrings of the error; none for a valid pattern
	}{
		{"{f}{last}", nil},
		{"{first}_{last}", nil},
		{"{first}-{l}", nil},
		{"AG_{f}{last}99", nil},
		{"{l}{f}", nil},
		{"{first}.{last}", []string{`login pattern "{first}.{last}": "." is deleted from logins by VICIdial (it keeps letters, digits, - and _): write {first}_{last} or {first}{last}`}},
		{"{first}..{last}", []string{`"." is deleted`, "write {first}_{last} or {first}{last}"}},
		{"{first} {last}", []string{`" " (space) is deleted`, "write {first}_{last} or {first}{last}"}},
		{"{f}.{last}@x", []string{`".", "@" are deleted`, "write {f}_{last}_x or {f}{last}x"}},
		{"é{last}", []string{`"é" is deleted`, "write _{last} or {last}"}},
		{"a.b", []string{`"." is deleted`, "write a pattern such as {f}{last}"}},
		{"{first}{middle}", []string{`unknown placeholder "{middle}"`, "{first}, {last}, {f}", "{l}"}},
		{"{First}{last}", []string{`unknown placeholder "{First}"`}},
		{"{}{last}", []string{`unknown placeholder "{}"`}},
		{"{first", []string{`"{first" has no closing }`, "{first}, {last}, {f}"}},
		{"first}", []string{"a } without its {"}},
		{"agent", []string{"has no placeholder", "every person would get the same login", "{f}{last}"}},
		{"", []string{"empty", "{f}{last}"}},
		{"{f}", []string{"1-character logins", "{f}{last}"}},
		{"{l}", []string{"1-character logins"}},
		{strings.Repeat("a", 20) + "{f}", []string{"every person would get the same login", "shorten it"}},
		{strings.Repeat("a", 19) + "{f}", nil},
		{strings.Repeat(".", 100) + "{f}", []string{`"." is deleted`, "...(", "more characters)"}},
	} {
		p, err := naming.ParsePattern(c.in)
		if c.want == nil {
			if err != nil {
				t.Errorf("ParsePattern(%q): %v", c.in, err)
			} else if p.String() != c.in {
				t.Errorf("ParsePattern(%q).String() = %q", c.in, p.String())
			}
			continue
		}
		if err == nil {
			t.Errorf("ParsePattern(%q) = %v, want an error", c.in, p)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("ParsePattern(%q) error:\n%s\nwant it to contain\n%s", c.in, err, w)
			}
		}
	}
}

func TestLogin(t *testing.T) {
	for _, c := range []struct {
		pattern, first, last, want string
	}{
		{"{f}{last}", "John", "Smith", "jsmith"},
		{"{f}{last}", "José", "Müller", "jmuller"},
		{"{first}_{last}", "Søren", "Kierkegaard", "soren_kierkegaard"},
		{"{first}{last}", "Łukasz", "Brzęczyszczykiewicz", "lukaszbrzeczyszczyki"}, // cut to 20
		{"{first}", "Łukasz", "", "lukasz"},                                        // {last} unused: may be empty
		{"{f}{last}", "Conor", "O'Brien", "cobrien"},
		{"{first}{l}", "Anne-Marie", "Smith", "annemaries"},
		{"{f}{last}", "Jan", "van der Berg", "jvanderberg"},
		{"{last}{f}", "Gustav", "Straße", "strasseg"},
		{"{first}.{last}x", "", "", ""}, // refused by ParsePattern: skipped
		{"{f}{last}", "İlker", "GROẞ", "igross"},
		{"{f}{last}", "Jose\u0301", "Nuñez", "jnunez"},
		{"{first}{last}", "R2", "D2", "r2d2"},
		{"{f}{l}", "  ángel ", " ñ", "an"},
		{"{f}{last}", "'Ana", "Lee", "alee"}, // initial is the first kept letter
		{"AG-{f}{last}", "John", "Smith", "ag-jsmith"},
		{"{last}_{first}", "Maximilian", "Schwarzenberger", "schwarzenberger_maxi"},
		{"{first}{last}", strings.Repeat("é", 1000), "x", strings.Repeat("e", 20)},
		{"{f}{last}", "Ｊose", "Ｇarcía", "jgarcia"}, // fullwidth, NFKC
		{"{last}_{l}", "Ana?", "Lee", "lee_l"},     // {first} unused: its "?" is not the login's
		{"{first}", "Ann", "=A1", "ann"},           // {last} unused
		{"{f}{last}", "+44", "Lee", "4lee"},        // a number, not a formula
	} {
		p, err := naming.ParsePattern(c.pattern)
		if err != nil {
			if c.want != "" {
				t.Errorf("ParsePattern(%q): %v", c.pattern, err)
			}
			continue
		}
		got, err := p.Login(c.first, c.last)
		if err != nil || got != c.want {
			t.Errorf("%s.Login(%q, %q) = %q, %v; want %q", c.pattern, c.first, c.last, got, err, c.want)
		}
	}
}

func TestLoginNameError(t *testing.T) {
	long := strings.Repeat("李", 100)
	for _, c := range []struct {
		pattern, first, last string
		column, login        string
		want                 []string
	}{
		{"{f}{last}", "李雷", "Smith", "first_name", "",
			[]string{`first_name "李雷" has no letter VICIdial keeps`, "map a romanised or preferred-name column as first_name"}},
		{"{first}{last}", "Ahmed", "محمد", "last_name", "",
			[]string{`last_name "محمد" has no letter VICIdial keeps`, "as last_name"}},
		{"{f}{l}", "Cher", "", "last_name", "",
			[]string{"last_name is empty", `"{f}{l}" needs it`}},
		{"{f}{last}", "  ", "Lee", "first_name", "",
			[]string{"first_name is empty"}},
		{"{f}{last}", "'-", "Lee", "first_name", "", []string{`first_name "'-" has no letter`}},
		{"{first}", "J", "", "", "j",
			[]string{`login "j"`, "shorter than 2 characters", "first_name/last_name", "{first}{last}"}},
		{"{first}{last}", long, "Lee", "first_name", "",
			[]string{`"` + strings.Repeat("李", 40) + `"...(60 more characters)`}},
		// Damaged by the export: the login would be made of what is left.
		{"{f}{last}", "Jos?", "M?ller", "first_name", "",
			[]string{`first_name "Jos?" has "?" where a letter should be`, `export as "CSV UTF-8" or .xlsx`}},
		{"{f}{last}", "?lvaro", "Smith", "first_name", "", []string{`first_name "?lvaro" has "?"`}},
		{"{first}_{last}", "Ana", "Garc?a", "last_name", "", []string{`last_name "Garc?a" has "?"`}},
		{"{f}{last}", "Zo\uFFFD", "Adams", "first_name", "", []string{"replacement character", `export as "CSV UTF-8"`}},
		{"{f}{last}", "Li", "??", "last_name", "", []string{`last_name "??" has "?"`}},
		{"{first}{last}", "=A1", "Lee", "first_name", "", []string{`first_name "=A1" is a spreadsheet formula`, "export the values"}},
		{"{f}{last}", "Ann", `=HYPERLINK("x","Lee")`, "last_name", "", []string{"is a spreadsheet formula", "Paste Special"}},
	} {
		p, err := naming.ParsePattern(c.pattern)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.Login(c.first, c.last)
		var ne *naming.NameError
		if !errors.As(err, &ne) {
			t.Errorf("%s.Login(%q, %q) = %q, %v; want a *NameError", c.pattern, c.first, c.last, got, err)
			continue
		}
		if ne.Column != c.column || ne.Login != c.login || ne.First != c.first || ne.Last != c.last || ne.Pattern != c.pattern {
			t.Errorf("%s.Login(%q, %q): %+v, want column %q login %q", c.pattern, c.first, c.last, *ne, c.column, c.login)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s.Login(%q, %q) error:\n%s\nwant it to contain\n%s", c.pattern, c.first, c.last, err, w)
			}
		}
		if strings.Contains(err.Error(), strings.Repeat("李", 41)) {
			t.Errorf("error quotes more than 40 characters of a name: %s", err)
		}
	}
}

func TestZeroPattern(t *testing.T) {
	var p naming.Pattern
	if got, err := p.Login("John", "Smith"); err == nil || !strings.Contains(err.Error(), "ParsePattern") {
		t.Errorf("zero Pattern: Login = %q, %v; want an error naming ParsePattern", got, err)
	}
}

func TestWithSuffix(t *testing.T) {
	twenty := "abcdefghijklmnopqrst"
	for _, c := range []struct {
		base string
		n    int
		want string
	}{
		{"jsmith", 0, "jsmith"},
		{"jsmith", 1, "jsmith"},
		{"jsmith", -5, "jsmith"},
		{"jsmith", 2, "jsmith2"},
		{"jsmith", 10, "jsmith10"},
		{twenty, 2, "abcdefghijklmnopqrs2"},
		{twenty, 12, "abcdefghijklmnopqr12"},
		{twenty[:18], 12, "abcdefghijklmnopqr12"},
		{twenty[:19], 123, "abcdefghijklmnopq123"},
		{"ab", 9223372036854775807, "a9223372036854775807"},
	} {
		got := naming.WithSuffix(c.base, c.n)
		if got != c.want {
			t.Errorf("WithSuffix(%q, %d) = %q, want %q", c.base, c.n, got, c.want)
		}
		if c.n > 1 && len(got) > naming.MaxLogin {
			t.Errorf("WithSuffix(%q, %d) = %q: longer than %d", c.base, c.n, got, naming.MaxLogin)
		}
	}
}

// validLogin is what every login made must be.
var validLogin = regexp.MustCompile(`^[-_0-9a-z]{2,20}$`)

func FuzzLogin(f *testing.F) {
	for _, s := range [][3]string{
		{"{f}{last}", "José", "Müller"},
		{"{first}_{last}", "Søren", "O'Brien"},
		{"{first}{l}", "李雷", "محمد"},
		{"AG-{f}{l}", "", ""},
		{"{first}", "J", ""},
		{"{last}{first}", "Jose\u0301\xff", "ẞß"},
		{"{f}.{last}", "a", "b"},
		{"{first", "a", "b"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, pattern, first, last string) {
		p, err := naming.ParsePattern(pattern)
		if err != nil {
			return
		}
		if p.String() != pattern {
			t.Fatalf("ParsePattern(%q).String() = %q", pattern, p.String())
		}
		login, err := p.Login(first, last)
		if err != nil {
			var ne *naming.NameError
			if !errors.As(err, &ne) {
				t.Fatalf("Login(%q, %q) with %q: %v is not a *NameError", first, last, pattern, err)
			}
			return
		}
		if !validLogin.MatchString(login) {
			t.Fatalf("Login(%q, %q) with %q = %q: not 2-20 characters of [-_0-9a-z]", first, last, pattern, login)
		}
		if again, _ := p.Login(first, last); again != login {
			t.Fatalf("Login(%q, %q) with %q gave %q then %q", first, last, pattern, login, again)
		}
	})
}
