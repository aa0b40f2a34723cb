package vicidial

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestRedactorForms(t *testing.T) {
	long := strings.Repeat("Ab1-", 30) + "!" // 121 characters, filters to 120, stored cut to 100
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{"raw", []string{"hunter22"}, "x hunter22 y", "x [REDACTED] y"},
		{"every occurrence", []string{"hunter22"}, "hunter22|hunter22", "[REDACTED]|[REDACTED]"},
		{"a | in the password", []string{"Api|Secret-Tail-42"}, "|6666|Api|Secret-Tail-42|BAD|", "|6666|[REDACTED]|BAD|"},
		{"query escaped", []string{"Api&Pw 9#x"}, "pass=Api%26Pw+9%23x&u=1", "pass=[REDACTED]&u=1"},
		{"lower-case hex", []string{"Api&Pw 9#x"}, "pass=Api%26Pw+9%23x Api%26Pw%209%23x api", "pass=[REDACTED] [REDACTED] api"},
		{"space as %20", []string{"Api&Pw 9#x"}, "/Api%26Pw%209%23x/", "/[REDACTED]/"},
		{"path escaped", []string{"Api&Pw 9#x"}, "/Api&Pw%209%23x/", "/[REDACTED]/"},
		{"HTML, Go's entities", []string{`O'Ne"il<>`}, "v=O&#39;Ne&#34;il&lt;&gt;;", "v=[REDACTED];"},
		{"HTML, PHP's entities", []string{`O'Ne"il<>`}, "v=O&#039;Ne&quot;il&lt;&gt;;", "v=[REDACTED];"},
		{"HTML, HTML5's entities", []string{`O'Ne"il`}, "v=O&apos;Ne&quot;il;", "v=[REDACTED];"},
		{"filtered by the server", []string{"p@ss|w0rd!"}, "|6666|1000|pssw0rd|1|", "|6666|1000|[REDACTED]|1|"},
		{"stored cut at 100", []string{long}, "|" + filterID(long)[:100] + "|", "|[REDACTED]|"},
		{"Go-quoted", []string{"ta\tb\"cd"}, `"ta\tb\"cd"`, `"[REDACTED]"`},
		{"several secrets", []string{"ApiPass1", "Agent-Pw-2", "Phone-Pw-3"}, "Agent-Pw-2 ApiPass1 Phone-Pw-3", "[REDACTED] [REDACTED] [REDACTED]"},
		{"overlapping secrets become one", []string{"xxSe", "Secret"}, "a xxSecret b", "a [REDACTED] b"},
		{"a secret within a longer one", []string{"Tail", "Secret-Tail-42"}, "1 Secret-Tail-42 2", "1 [REDACTED] 2"},
		{"the marker is never redacted again", []string{"ACTED", "pass1234"}, "pass1234", "[REDACTED]"},
		// Short secrets: only as a whole field, so that the text keeps its sense.
		{"short secret as a field", []string{"ab"}, "ERROR: x: |6666|ab|BAD|", "ERROR: x: |6666|[REDACTED]|BAD|"},
		{"short secret at a line's end", []string{"ab"}, "|6666|ab\nnext", "|6666|[REDACTED]\nnext"},
		{"short secret within words", []string{"ab"}, "table cab |abc|", "table cab |abc|"},
		{"short secret with a |", []string{"x|y"}, "|6666|x|y|BAD|", "|6666|[REDACTED]|BAD|"},
		{"short filtered form", []string{"@@1!"}, "|6666|1|BAD| 100", "|6666|[REDACTED]|BAD| 100"},
		{"no secrets", nil, "nothing|to|hide", "nothing|to|hide"},
		{"empty secret ignored", []string{""}, "a|b", "a|b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newRedactor(tt.secrets...).redact(tt.in); got != tt.want {
				t.Errorf("redact(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactErrKeepsTheCause(t *testing.T) {
	r := newRedactor("S3cret-99")
	err := r.redactErr(fmt.Errorf("bad answer %q: %w", "S3cret-99", context.DeadlineExceeded))
	if strings.Contains(err.Error(), "S3cret") || !strings.Contains(err.Error(), redacted) {
		t.Errorf("error %q: want the password redacted", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is lost the cause of %v", err)
	}
	plain := errors.New("connection refused")
	if got := r.redactErr(plain); got != plain {
		t.Errorf("an error without a secret was changed: %v", got)
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://dialer.example.com", "https://dialer.example.com"},
		{"https://6666:S3cret@dialer.example.com:8443/vicidial/", "https://dialer.example.com:8443/vicidial/"},
		{"https://6666@dialer.example.com", "https://dialer.example.com"},
		{"https://dialer.example.com/x?pass=S3cret#f", "https://dialer.example.com/x"},
		{"http//6666:S3cret@host", "http//host"},
		{"http:/6666:S3cret@host", "http:/host"},
		{"6666:S3cret@host", "host"},
		{"http://6666:S3c ret@host/p", "http://host/p"},
		{"http://6666:S3c@ret@host", "http://host"},
		{"http://u:p?ss#w@host", "http://host"},
		{" https://host ", "https://host"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzRedact: once redacted, a text holds no occurrence of a secret of 4
// characters or more, wherever it stood.
func FuzzRedact(f *testing.F) {
	f.Add("Api|Secret-Tail-42", "ERROR: Login incorrect: |6666|", "|BAD|")
	f.Add("abab", "ab", "ab")
	f.Add("D]zz", "", "zzzz")
	f.Fuzz(func(t *testing.T, secret, before, after string) {
		if utf8.RuneCountInString(secret) < minAnywhere || strings.Contains(secret, "\x00") {
			t.Skip()
		}
		out := newRedactor(secret).redact(before + secret + after)
		// The marker's own characters could spell part of a secret: take
		// it out before looking.
		if strings.Contains(strings.ReplaceAll(out, redacted, "\x00"), secret) {
			t.Fatalf("secret %q left in %q", secret, out)
		}
	})
}
