package vicidialtest

import (
	"net/http/httptest"
	"testing"
)

// Server is a Simulator served over HTTP on a loopback port (127.0.0.1),
// like httptest.Server. URL is the server's base URL.
type Server struct {
	*httptest.Server
	Sim *Simulator
}

// NewServer starts a simulator for opts on a loopback port.
func NewServer(opts Options) (*Server, error) {
	sim, err := New(opts)
	if err != nil {
		return nil, err
	}
	return &Server{Server: httptest.NewServer(sim), Sim: sim}, nil
}

// NewTestServer starts a simulator for a test and closes it when the test
// ends.
func NewTestServer(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := NewServer(opts)
	if err != nil {
		tb.Fatalf("simulator: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Endpoint returns the API's full URL.
func (s *Server) Endpoint() string { return s.URL + EndpointPath }
