package vicidial_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/vicionboard/vicionboard/vicidial"
)

// cannedTransport answers every request with the same add_user SUCCESS
// line, without a network: what is measured is the client's own work.
type cannedTransport struct{}

func (cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, req.Body)
	req.Body.Close()
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{},
		Body:    io.NopCloser(strings.NewReader("SUCCESS: add_user USER HAS BEEN ADDED - 6666|bench01|Start-2026x|1|Agent Number 1|AGENTS\n")),
		Request: req}, nil
}

// BenchmarkClientAddUser is the client's request path for one add_user:
// the form, the request, the timeout and "was it written?" hook, reading
// and parsing the answer (the transport is canned: no network).
func BenchmarkClientAddUser(b *testing.B) {
	c, err := vicidial.New(vicidial.Config{URL: "http://127.0.0.1:1", User: "6666", Pass: "1234",
		HTTPClient: &http.Client{Transport: cannedTransport{}}})
	if err != nil {
		b.Fatal(err)
	}
	req := vicidial.AddUserRequest{Login: "bench01", Pass: "Start-2026x", Level: 1, FullName: "Agent Number 1", Group: "AGENTS"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.AddUser(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
