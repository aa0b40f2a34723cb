package words_test

import (
	"strings"
	"testing"

	"github.com/vicionboard/vicionboard/batch/words"
)

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"email", "email", 0}, {"emial", "email", 1}, {"agent_usr", "agent_user", 1},
		{"SALSE", "SALES", 1}, {"kitten", "sitting", 3}, {"", "abc", 3}, {"José", "Jose", 1}, {"ab", "xy", 2},
	} {
		if got := words.Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := words.Distance(c.b, c.a); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (symmetric)", c.b, c.a, got, c.want)
		}
	}
}

func TestCanonical(t *testing.T) {
	for in, want := range map[string]string{
		"Agent User": "agent_user", "agent-user": "agent_user", "  AGENT__USER ": "agent_user",
		"Hire Date": "hire_date", "E-mail (work)": "e_mail_work", "": "", "--": "", "Préféré": "préféré",
	} {
		if got := words.Canonical(in); got != want {
			t.Errorf("Canonical(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClipAndQuote(t *testing.T) {
	long := strings.Repeat("é", 45)
	for _, c := range []struct {
		in, clip, quote string
	}{
		{"short", "short", `"short"`},
		{strings.Repeat("a", 40), strings.Repeat("a", 40), `"` + strings.Repeat("a", 40) + `"`},
		{long, strings.Repeat("é", 40) + "...(5 more characters)", `"` + strings.Repeat("é", 40) + `"...(5 more characters)`},
	} {
		if got := words.Clip(c.in); got != c.clip {
			t.Errorf("Clip(%q) = %q, want %q", c.in, got, c.clip)
		}
		if got := words.Quote(c.in); got != c.quote {
			t.Errorf("Quote(%q) = %q, want %q", c.in, got, c.quote)
		}
	}
}
