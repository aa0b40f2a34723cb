package vicidial_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/vicionboard/vicionboard/vicidial"
	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// The secrets of the echo tests. Each holds a marker that survives every
// form the server can echo it in (raw, URL-encoded, HTML-escaped, filtered
// to [-_0-9a-zA-Z]), so that a test can look for the marker alone.
const (
	echoAPIPass   = `Api&Pw 9#x'Tail"End<>` // marker Tail
	echoAgentPass = `p@ss|Agnt w0rd!'`      // marker Agnt
	echoPhonePass = `Phon&e 7"`             // marker Phon
)

var echoMarkers = []string{"Tail", "Agnt", "Phon"}

// lowerHex writes the hex digits of %XX escapes in lower case.
func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = toLower(b[i+1]), toLower(b[i+2])
		}
	}
	return string(b)
}

func toLower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// filterID keeps what VICIdial keeps of a password: [-_0-9a-zA-Z].
func filterID(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return -1
	}, s)
}

var phpEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&#039;", `"`, "&quot;")

// TestEchoedSecretsAreRedacted: whatever form a server echoes the request's
// passwords in (an error page quoting the form, a PHP notice, an ERROR
// line), no part of them reaches the error, and each is replaced by
// [REDACTED]. Redaction is by value: a | in a password changes nothing.
func TestEchoedSecretsAreRedacted(t *testing.T) {
	forms := []struct {
		name string
		enc  func(string) string
	}{
		{"raw", func(s string) string { return s }},
		{"query escaped", url.QueryEscape},
		{"query escaped, lower-case hex", func(s string) string { return lowerHex(url.QueryEscape(s)) }},
		{"space as %20", func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }},
		{"path escaped", url.PathEscape},
		{"path escaped, lower-case hex", func(s string) string { return lowerHex(url.PathEscape(s)) }},
		{"HTML-escaped", html.EscapeString},
		{"HTML-escaped the PHP way", phpEscaper.Replace},
		{"filtered by the server", filterID},
	}
	// An answer echoes the three passwords, each in the form under test.
	type answer func(pass, agentPass, phonePass string) (status int, body string)
	answers := []struct {
		name string
		ans  answer
	}{
		{"HTML 500 page", func(p, a, ph string) (int, string) {
			return http.StatusInternalServerError,
				fmt.Sprintf("<html><body>Error in query: pass=%s agent_pass=%s phone_pass=%s</body></html>\n", p, a, ph)
		}},
		{"unreadable 200", func(p, a, ph string) (int, string) {
			return http.StatusOK, fmt.Sprintf("Notice: pass=%s agent_pass=%s phone_pass=%s\n", p, a, ph)
		}},
		{"ERROR line", func(p, a, ph string) (int, string) {
			return http.StatusOK, fmt.Sprintf("ERROR: add_user SOMETHING NEW: |6666|%s|%s|%s|\n", p, a, ph)
		}},
	}
	for _, a := range answers {
		for _, form := range forms {
			t.Run(a.name+"/"+form.name, func(t *testing.T) {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					_ = r.ParseForm()
					status, body := a.ans(form.enc(r.PostForm.Get("pass")),
						form.enc(r.PostForm.Get("agent_pass")), form.enc(r.PostForm.Get("phone_pass")))
					w.WriteHeader(status)
					_, _ = io.WriteString(w, body)
				}))
				defer srv.Close()
				var logs strings.Builder
				c, err := vicidial.New(vicidial.Config{URL: srv.URL, User: "6666", Pass: echoAPIPass,
					Logger: zerolog.New(&logs).Level(zerolog.DebugLevel)})
				if err != nil {
					t.Fatal(err)
				}
				_, err = c.AddUser(context.Background(), vicidial.AddUserRequest{Login: "1000", Pass: echoAgentPass,
					Level: 1, FullName: "Echo Test", Group: "AGENTS", PhonePass: echoPhonePass})
				if err == nil {
					t.Fatal("AddUser succeeded; want the server's error")
				}
				text := err.Error() + "\n" + fmtErr(err) + "\n" + apiErrText(err) + "\n" + logs.String()
				for _, m := range echoMarkers {
					if strings.Contains(text, m) {
						t.Errorf("a password (marker %q) leaks:\n%s", m, text)
					}
				}
				if n := strings.Count(err.Error(), "[REDACTED]"); n < 3 {
					t.Errorf("error %q: want the three passwords shown as [REDACTED], found %d", err, n)
				}
			})
		}
	}
}

// apiErrText is everything an *APIError holds, field by field.
func apiErrText(err error) string {
	var apiErr *vicidial.APIError
	if !errors.As(err, &apiErr) {
		return ""
	}
	return apiErr.Message + "|" + strings.Join(apiErr.Data, "|")
}

// TestLoginIncorrectEchoRedacted: the simulator echoes a wrong API
// password as sent; a | in it must not let any part through.
func TestLoginIncorrectEchoRedacted(t *testing.T) {
	srv := vicidialtest.NewTestServer(t, vicidialtest.Options{})
	tests := []struct {
		pass  string
		parts []string // what must not appear
	}{
		{"Wrong|Secret-Tail-42", []string{"Wrong", "Secret-Tail-42"}},
		{"a|Secret-Tail-42|b", []string{"|a|", "Secret-Tail-42", "|b|"}},
		{"x|y", []string{"|x|", "|y|"}}, // short: still redacted as whole fields
		{"wr0ng", []string{"wr0ng"}},
	}
	for _, tt := range tests {
		t.Run(tt.pass, func(t *testing.T) {
			c := client(t, srv.URL, "6666", tt.pass)
			_, err := c.UserDetails(context.Background(), "5555")
			if vicidial.ReasonOf(err) != vicidial.ReasonLoginIncorrect {
				t.Fatalf("err = %v, want LOGIN_INCORRECT", err)
			}
			text := err.Error() + "\n" + apiErrText(err)
			for _, p := range tt.parts {
				if strings.Contains(text, p) {
					t.Errorf("%q appears in %q", p, text)
				}
			}
			if want := "|6666|[REDACTED]|BAD"; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q, want it to contain %q", err, want)
			}
		})
	}
}

// TestTransportErrorRedacted: a server that answers garbage makes Go's
// HTTP client quote it in the error; the passwords it echoes are removed.
func TestTransportErrorRedacted(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				req, err := http.ReadRequest(bufio.NewReader(conn))
				if err != nil {
					return
				}
				body, _ := io.ReadAll(req.Body)
				// A header line without a colon: "malformed MIME header line: ..."
				_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nEcho "+string(body)+"\r\n\r\n")
			}()
		}
	}()
	c, err := vicidial.New(vicidial.Config{URL: "http://" + ln.Addr().String(), User: "6666", Pass: echoAPIPass})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.AddUser(context.Background(), vicidial.AddUserRequest{Login: "1000", Pass: echoAgentPass,
		Level: 1, FullName: "Echo Test", Group: "AGENTS", PhonePass: echoPhonePass})
	var tErr *vicidial.TransportError
	if !errors.As(err, &tErr) {
		t.Fatalf("err = %v (%T), want a *vicidial.TransportError", err, err)
	}
	for _, m := range echoMarkers {
		if strings.Contains(err.Error(), m) {
			t.Errorf("a password (marker %q) leaks: %v", m, err)
		}
	}
	if !strings.Contains(err.Error(), "[REDACTED]") {
		t.Errorf("error %q: the echo did not reach it, the test proves nothing", err)
	}
}

// TestURLCredentialsNeverShown: a URL with userinfo is refused, and a
// malformed one is named without anything that looks like userinfo.
func TestURLCredentialsNeverShown(t *testing.T) {
	for _, raw := range []string{
		"http://6666:S3cret@127.0.0.1:1",
		"http//6666:S3cret@127.0.0.1",
		"http:/6666:S3cret@127.0.0.1",
		"6666:S3cret@127.0.0.1",
		"http://6666:S3c ret@127.0.0.1",
		"http://6666:S3c@ret@127.0.0.1",
		"ftp://6666:S3cret@127.0.0.1",
	} {
		t.Run(raw, func(t *testing.T) {
			_, err := vicidial.New(vicidial.Config{URL: raw, User: "6666", Pass: "1234"})
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), "S3c") || strings.Contains(err.Error(), "ret@") {
				t.Errorf("error %q shows the credentials", err)
			}
		})
	}
	_, err := vicidial.New(vicidial.Config{URL: "http://6666:S3cret@127.0.0.1:1", User: "6666", Pass: "1234"})
	if !errors.Is(err, vicidial.ErrURLCredentials) {
		t.Errorf("err = %v, want ErrURLCredentials", err)
	}
}
