package vicidial_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/vicionboard/vicionboard/vicidial"
	"github.com/vicionboard/vicionboard/vicidial/vicidialtest"
)

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// loggedClient is a client of url whose debug log goes into the returned
// buffer.
func loggedClient(t *testing.T, url, user, pass string) (*vicidial.Client, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	c, err := vicidial.New(vicidial.Config{URL: url, User: user, Pass: vicidial.Secret(pass), Timeout: 5 * time.Second,
		Logger: zerolog.New(logs).Level(zerolog.DebugLevel), Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	return c, logs
}

// TestInGroupsFromSimulator lists the simulator's in-groups over HTTP: the
// IDs of its page in order, each once; a page without links is an empty
// list; an ERROR line is the usual *APIError, without the password.
func TestInGroupsFromSimulator(t *testing.T) {
	withInGroups := func(ids ...string) *vicidialtest.Fixture {
		fx := vicidialtest.DefaultFixture()
		fx.InGroups = ids
		return &fx
	}
	tests := []struct {
		name       string
		fixture    *vicidialtest.Fixture
		user, pass string
		want       []string
		reason     vicidial.Reason // the *APIError's reason; "" = no error
	}{
		{"default fixture", nil, "6666", "1234", []string{"SALESLINE", "SUPPORT", "BILLING"}, ""},
		{"page order, repeats dropped", withInGroups("SUPPORT", "BILLING", "SUPPORT", "SALESLINE"), "6666", "1234",
			[]string{"SUPPORT", "BILLING", "SALESLINE"}, ""},
		{"no in-group", withInGroups(), "6666", "1234", []string{}, ""},
		{"level 8 API user", nil, "apiuser8", "apipass8", []string{"SALESLINE", "SUPPORT", "BILLING"}, ""},
		{"function not allowed", nil, "apilimited", "apilimit1", nil, vicidial.ReasonFunctionNotAllowed},
		{"wrong password", nil, "6666", "Wrong-Secret-77", nil, vicidial.ReasonLoginIncorrect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vicidialtest.NewTestServer(t, vicidialtest.Options{Fixture: tt.fixture})
			c, logs := loggedClient(t, srv.URL, tt.user, tt.pass)
			got, err := c.InGroups(context.Background())
			if tt.reason != "" {
				var apiErr *vicidial.APIError
				if !errors.As(err, &apiErr) || apiErr.Reason != tt.reason {
					t.Fatalf("InGroups = %v, %v; want an *APIError %s", got, err, tt.reason)
				}
				if strings.Contains(err.Error(), tt.pass) {
					t.Errorf("error %q shows the password", err)
				}
			} else {
				if err != nil {
					t.Fatalf("InGroups: %v", err)
				}
				if got == nil {
					t.Error("InGroups = nil, want a non-nil list (nil means unknown)")
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("InGroups (-want +got):\n%s", diff)
				}
			}
			if strings.Contains(logs.String(), tt.pass) {
				t.Errorf("the log shows the password: %s", logs)
			}
			reqs := srv.Sim.Requests()
			if len(reqs) != 1 || reqs[0].Method != http.MethodPost || reqs[0].Function != "ingroup_list" {
				t.Fatalf("requests = %+v, want one POST of ingroup_list", reqs)
			}
			if q := reqs[0].Params.Get("pass"); q != tt.pass {
				t.Errorf("pass sent as %q", q)
			}
		})
	}
}

// TestInGroupsPageForms: the client reads the page whatever its markup
// around choose_file, and refuses a body that is no page.
func TestInGroupsPageForms(t *testing.T) {
	const pass = "Api-Pass-Secret9"
	tests := []struct {
		name   string
		status int
		body   string
		want   []string
		kind   vicidial.ResponseErrorKind // a *ResponseError's kind; "" = no such error
		reason vicidial.Reason            // an *APIError's reason
	}{
		{"onclick links with spaces", 200,
			"<html>\n<a href=\"#\" onclick=\"choose_file( 'SALESLINE' , '');return false;\">SALESLINE - Sales</a><br>\n" +
				"<a href=\"#\" onclick=\"choose_file('AGENTDIRECT','');\">AGENTDIRECT</a>\n</html>\n",
			[]string{"SALESLINE", "AGENTDIRECT"}, "", ""},
		{"empty page", 200, "<html><body>\n</body></html>\n", []string{}, "", ""},
		{"page after blank lines", 200, "\n\n<table><tr><td><a href=\"javascript:choose_file('X1','')\">X1</a></td></tr></table>",
			[]string{"X1"}, "", ""},
		{"error line after a blank line", 200, "\nERROR: auth USER DOES NOT HAVE PERMISSION TO USE THIS FUNCTION: |6666|ingroup_list|\n",
			nil, "", vicidial.ReasonFunctionNotAllowed},
		{"login incorrect echoes the password", 200, "ERROR: Login incorrect, please try again: |6666|" + pass + "|BAD|\n",
			nil, "", vicidial.ReasonLoginIncorrect},
		{"plain text", 200, "Service temporarily in maintenance " + pass + "\n", nil, vicidial.KindUnparseable, ""},
		{"a version line", 200, "VERSION: 2.14-202|BUILD: 250720-1841|\n", nil, vicidial.KindUnparseable, ""},
		{"empty body", 200, "", nil, vicidial.KindEmptyBody, ""},
		{"server error", 500, "<html>PHP Fatal error</html>", nil, vicidial.KindHTTPStatus, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.FormValue("function") != "ingroup_list" {
					http.Error(w, "want a POST of ingroup_list", http.StatusBadRequest)
					return
				}
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			c, logs := loggedClient(t, srv.URL, "6666", pass)
			got, err := c.InGroups(context.Background())
			var respErr *vicidial.ResponseError
			var apiErr *vicidial.APIError
			switch {
			case tt.kind != "":
				if !errors.As(err, &respErr) || respErr.Kind != tt.kind {
					t.Fatalf("InGroups = %v, %v; want a *ResponseError %s", got, err, tt.kind)
				}
			case tt.reason != "":
				if !errors.As(err, &apiErr) || apiErr.Reason != tt.reason {
					t.Fatalf("InGroups = %v, %v; want an *APIError %s", got, err, tt.reason)
				}
			default:
				if err != nil {
					t.Fatalf("InGroups: %v", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("InGroups (-want +got):\n%s", diff)
				}
			}
			if err != nil && strings.Contains(err.Error(), pass) {
				t.Errorf("error %q shows the password", err)
			}
			if strings.Contains(logs.String(), pass) {
				t.Errorf("the log shows the password: %s", logs)
			}
		})
	}
}
