package vicidial

import (
	"net/url"
	"strings"
)

// Endpoint returns the canonical form of a server URL: the full endpoint
// URL, as New completes it, with the scheme and host lower-cased. It names
// a server in vicionboard's ledger, so that "https://Dialer.example.com"
// and "https://dialer.example.com/vicidial/" are one server.
func Endpoint(raw string) (string, error) {
	ep, err := endpointURL(raw)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(ep)
	if err != nil {
		return "", err
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	return u.String(), nil
}
