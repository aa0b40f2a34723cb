package vicidial_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/vicionboard/vicionboard/vicidial"
)

// pathRecorder is a server that answers every request with a VERSION line
// and remembers the paths it was asked for.
type pathRecorder struct {
	mu    sync.Mutex
	paths []string
}

func (p *pathRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.paths = append(p.paths, r.URL.Path)
	p.mu.Unlock()
	_, _ = w.Write([]byte("VERSION: 2.14-202|BUILD: 250720-1841|DATE: 2026-11-22 09:57:27|EPOCH: 1795341447|DST: 0|TZ: -5.00|TZNOW: -5.00|\n"))
}

func (p *pathRecorder) got() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.paths...)
}

func TestEndpointURLForms(t *testing.T) {
	tests := []struct {
		suffix string // appended to the server's base URL
		want   string // the path the request must reach
	}{
		{"", "/vicidial/non_agent_api.php"},
		{"/", "/vicidial/non_agent_api.php"},
		{"/vicidial", "/vicidial/non_agent_api.php"},
		{"/vicidial/", "/vicidial/non_agent_api.php"},
		{"/vicidial/non_agent_api.php", "/vicidial/non_agent_api.php"},
		{"/dialer/vicidial/", "/dialer/vicidial/non_agent_api.php"},
		{"/dialer", "/dialer/vicidial/non_agent_api.php"},
		{"/vicidial/non_agent_api.php?user=x#frag", "/vicidial/non_agent_api.php"},
	}
	for _, tt := range tests {
		t.Run(tt.suffix, func(t *testing.T) {
			rec := &pathRecorder{}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			c, err := vicidial.New(vicidial.Config{URL: srv.URL + tt.suffix, User: "6666", Pass: "1234"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Version(context.Background()); err != nil {
				t.Fatalf("Version: %v", err)
			}
			if got := rec.got(); len(got) != 1 || got[0] != tt.want {
				t.Errorf("requests reached %q, want [%q]", got, tt.want)
			}
		})
	}
}

// TestRedirectIsNotFollowed: a server that redirects (typically http ->
// https) must not receive a body-less GET (which VICIdial would answer with
// a misleading "Login incorrect"), and a 307/308 must not carry the API
// password to the new location. The error names the location to use.
func TestRedirectIsNotFollowed(t *testing.T) {
	const apiPass = "Redirect-Secret-77"
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			target := &pathRecorder{}
			targetSrv := httptest.NewServer(target)
			defer targetSrv.Close()
			redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, targetSrv.URL+vicidial.EndpointPath+"?from=redirect", status)
			}))
			defer redirector.Close()

			c, err := vicidial.New(vicidial.Config{URL: redirector.URL, User: "6666", Pass: apiPass})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.UserDetails(context.Background(), "6666")
			var respErr *vicidial.ResponseError
			if !errors.As(err, &respErr) {
				t.Fatalf("err = %v (%T), want a *vicidial.ResponseError", err, err)
			}
			if respErr.Status != status {
				t.Errorf("Status = %d, want %d", respErr.Status, status)
			}
			wantLoc := targetSrv.URL + vicidial.EndpointPath
			if respErr.Location != wantLoc {
				t.Errorf("Location = %q, want %q (query removed)", respErr.Location, wantLoc)
			}
			if msg := err.Error(); !strings.Contains(msg, "redirects to "+wantLoc) || strings.Contains(msg, apiPass) {
				t.Errorf("error %q: want the location named and no password", msg)
			}
			if got := target.got(); len(got) != 0 {
				t.Errorf("the redirect was followed: the target received %d request(s)", len(got))
			}
			if vicidial.IsTransport(err) {
				t.Errorf("a redirect is not a transport failure (it must not be retried)")
			}
		})
	}
}
