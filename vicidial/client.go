package vicidial

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/vicionboard/vicionboard/vicidial/pacing"
)

// EndpointPath is where VICIdial serves the non-agent API.
const EndpointPath = "/vicidial/non_agent_api.php"

// Defaults of Config.
const (
	DefaultSource  = "vicionboard"
	DefaultTimeout = 30 * time.Second
	maxBody        = 1 << 20
	maxRetryAfter  = 60 * time.Second
)

// Config configures a Client.
type Config struct {
	URL     string        // server base URL (http://host[:port]) or the full endpoint URL
	User    string        // API user
	Pass    Secret        // API password
	Source  string        // the source label, 2-20 characters; default "vicionboard"
	Timeout time.Duration // per HTTP attempt; default 30s
	Retries int           // extra attempts for failures that are safe to resend
	Limiter *rate.Limiter // paces every HTTP attempt, retries included; nil = unlimited
	// Pacer bounds the HTTP attempts in flight at once, retries included:
	// each waits for its turn after the Limiter's, and tells it its
	// latency. nil = as many as the callers send.
	Pacer pacing.Limiter
	// HTTPClient is optional: its Transport carries the requests (its
	// redirect policy, jar and timeout are not used: see Client.send).
	HTTPClient *http.Client
	CAFile     string // extra PEM CA for HTTPS
	Insecure   bool   // skip TLS verification
	Logger     zerolog.Logger
	// Sleep waits between retries; default a ctx-aware timer (tests replace it).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client calls VICIdial's non-agent API. It is safe for concurrent use.
type Client struct {
	cfg      Config
	endpoint string
	rt       http.RoundTripper // carries each attempt: see send
	log      zerolog.Logger
	attempts atomic.Int64
}

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.Source == "" {
		cfg.Source = DefaultSource
	}
	if n := len(cfg.Source); n < 2 || n > 20 {
		return nil, fmt.Errorf("source %q: must be 2 to 20 characters", cfg.Source)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	endpoint, err := endpointURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	var rt http.RoundTripper
	if hc := cfg.HTTPClient; hc != nil {
		rt = hc.Transport
		if rt == nil {
			rt = http.DefaultTransport
		}
	} else {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns = 128
		tr.MaxIdleConnsPerHost = 64
		tr.ForceAttemptHTTP2 = true
		if cfg.CAFile != "" || cfg.Insecure {
			tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.Insecure} //nolint:gosec // an explicit, loudly warned flag
			if cfg.CAFile != "" {
				pem, err := os.ReadFile(cfg.CAFile)
				if err != nil {
					return nil, fmt.Errorf("CA file: %w", err)
				}
				pool, err := x509.SystemCertPool()
				if err != nil || pool == nil {
					pool = x509.NewCertPool()
				}
				if !pool.AppendCertsFromPEM(pem) {
					return nil, fmt.Errorf("CA file %s: no PEM certificate in it", cfg.CAFile)
				}
				tc.RootCAs = pool
			}
			tr.TLSClientConfig = tc
		}
		rt = tr
	}
	return &Client{cfg: cfg, endpoint: endpoint, rt: rt, log: cfg.Logger}, nil
}

// endpointURL completes a base URL with EndpointPath: "https://host",
// "https://host/vicidial/" and the full endpoint URL all name the same API.
// A URL is named in an error only through RedactURL, so that a password in
// it never shows, even in a URL too malformed to parse.
func endpointURL(raw string) (string, error) {
	const want = "want http(s)://host[:port][/vicidial/non_agent_api.php]"
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("server URL %q: cannot be parsed; %s", RedactURL(raw), want)
	}
	if u.User != nil {
		return "", fmt.Errorf("server URL %q: %w", RedactURL(raw), ErrURLCredentials)
	}
	if u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("server URL %q: %s", RedactURL(raw), want)
	}
	if !strings.HasSuffix(u.Path, ".php") {
		base := strings.TrimRight(u.Path, "/")
		if strings.HasSuffix(base, "/vicidial") {
			u.Path = base + "/non_agent_api.php"
		} else {
			u.Path = base + EndpointPath
		}
	}
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

// APIUser returns the API user's login.
func (c *Client) APIUser() string { return c.cfg.User }

// Attempts returns how many HTTP requests the client has sent.
func (c *Client) Attempts() int64 { return c.attempts.Load() }

// Limit returns how many HTTP attempts the Pacer lets be in flight now, or
// 0 without a Pacer.
func (c *Client) Limit() int {
	if c.cfg.Pacer == nil {
		return 0
	}
	return c.cfg.Pacer.Limit()
}

// form holds a request's fields; secrets are kept apart to redact what the
// server sends back.
type form struct {
	values  url.Values
	secrets []string
	red     *redactor // built on first use: once per request
}

// redactor returns the redactor of the request's secrets.
func (f *form) redactor() *redactor {
	if f.red == nil {
		f.red = newRedactor(f.secrets...)
	}
	return f.red
}

// parse parses an answer. A line that may be shown (an ERROR line, a body
// the client does not understand) is parsed from the body with the
// request's secrets removed; the others keep their values (a SUCCESS line's
// login and full name, user_details' data), and are never shown raw.
func (f *form) parse(body []byte) (Line, error) {
	line, err := ParseLine(body)
	if err == nil && line.Err == nil {
		return line, nil
	}
	return ParseLine([]byte(f.redactor().redact(string(body))))
}

// encode is f.values.Encode() (the same bytes: keys sorted, escaped as
// url.QueryEscape does), made with one allocation for the keys' order and
// one for the result.
func (f *form) encode() []byte {
	keys := make([]string, 0, formFields)
	size := 0
	for k, vs := range f.values {
		keys = append(keys, k)
		for _, v := range vs {
			size += len(k) + len(v) + 2
		}
	}
	slices.Sort(keys)
	buf := make([]byte, 0, size+size/4)
	for _, k := range keys {
		for _, v := range f.values[k] {
			if len(buf) > 0 {
				buf = append(buf, '&')
			}
			buf = appendQueryEscape(buf, k)
			buf = append(buf, '=')
			buf = appendQueryEscape(buf, v)
		}
	}
	return buf
}

// appendQueryEscape appends s escaped as url.QueryEscape does: letters,
// digits and -_.~ as they are, a space as +, every other byte as %XX.
func appendQueryEscape(buf []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			buf = append(buf, c)
		case c == ' ':
			buf = append(buf, '+')
		default:
			buf = append(buf, '%', hex[c>>4], hex[c&15])
		}
	}
	return buf
}

func (f *form) set(k, v string) {
	if v != "" {
		f.values.Set(k, v)
	}
}

func (f *form) secret(k string, s Secret) {
	if s != "" {
		f.values.Set(k, s.Reveal())
		f.secrets = append(f.secrets, s.Reveal())
	}
}

// formFields is room for the fields of most requests (add_user sends up to 14),
// so that their form's map does not grow.
const formFields = 16

func (c *Client) newForm(function string) *form {
	f := &form{values: make(url.Values, formFields)}
	f.values.Set("source", c.cfg.Source)
	f.values.Set("user", c.cfg.User)
	f.secret("pass", c.cfg.Pass)
	f.values.Set("function", function)
	return f
}

// AddUser creates an account with add_user.
func (c *Client) AddUser(ctx context.Context, req AddUserRequest) (Created, error) {
	f := c.newForm("add_user")
	f.set("agent_user", req.Login)
	f.secret("agent_pass", req.Pass)
	f.set("agent_user_level", strconv.Itoa(req.Level))
	f.set("agent_full_name", req.FullName)
	f.set("agent_user_group", req.Group)
	f.set("phone_login", req.PhoneLogin)
	f.secret("phone_pass", req.PhonePass)
	f.set("hotkeys_active", req.HotkeysActive)
	f.set("voicemail_id", req.VoicemailID)
	f.set("email", req.Email)
	f.set("custom_one", req.CustomOne)
	f.set("custom_two", req.CustomTwo)
	f.set("custom_three", req.CustomThree)
	f.set("custom_four", req.CustomFour)
	f.set("custom_five", req.CustomFive)
	f.set("wrapup_seconds_override", req.WrapupSecondsOverride)
	f.set("agent_choose_ingroups", req.AgentChooseIngroups)
	f.set("agent_choose_blended", req.AgentChooseBlended)
	f.set("closer_default_blended", req.CloserDefaultBlended)
	f.set("in_groups", strings.Join(req.InGroups, "|"))
	return c.create(ctx, "add_user", req.Login, f)
}

// CopyUser creates an account from a template with copy_user.
func (c *Client) CopyUser(ctx context.Context, req CopyUserRequest) (Created, error) {
	f := c.newForm("copy_user")
	f.set("agent_user", req.Login)
	f.secret("agent_pass", req.Pass)
	f.set("agent_full_name", req.FullName)
	f.set("source_user", req.SourceUser)
	return c.create(ctx, "copy_user", req.Login, f)
}

func (c *Client) create(ctx context.Context, function, login string, f *form) (Created, error) {
	line, err := c.call(ctx, function, login, f)
	if err != nil {
		return Created{}, err
	}
	if cr, ok := created(line); ok && line.Success && line.Function == function {
		return cr, nil
	}
	return Created{}, &ResponseError{Kind: KindUnparseable, Status: 200, Excerpt: c.describe(line, f)}
}

// UpdateUser changes an account with update_user, sending only the
// request's non-empty fields (see UpdateUserRequest); it never sends
// delete_user, ranks, grades or reset_password. An ERROR line is an
// *APIError: ReasonInvalidField (FieldOf names the field),
// ReasonInvalidGroup, ReasonInvalidPhoneLogin, ReasonUpdateNotPermitted,
// ReasonUserNotFound, ReasonNoUpdates, ReasonMissingFields, or one of the
// API user's fatal reasons. Any answer but update_user's SUCCESS line is an
// error.
func (c *Client) UpdateUser(ctx context.Context, req UpdateUserRequest) error {
	f := c.newForm("update_user")
	f.set("agent_user", req.Login)
	f.secret("agent_pass", req.Pass)
	f.set("agent_user_level", req.Level)
	f.set("agent_full_name", req.FullName)
	f.set("agent_user_group", req.Group)
	f.set("phone_login", req.PhoneLogin)
	f.secret("phone_pass", req.PhonePass)
	f.set("hotkeys_active", req.HotkeysActive)
	f.set("voicemail_id", req.VoicemailID)
	f.set("email", req.Email)
	f.set("custom_one", req.CustomOne)
	f.set("custom_two", req.CustomTwo)
	f.set("custom_three", req.CustomThree)
	f.set("custom_four", req.CustomFour)
	f.set("custom_five", req.CustomFive)
	f.set("active", req.Active)
	f.set("wrapup_seconds_override", req.WrapupSecondsOverride)
	f.set("in_groups", strings.Join(req.InGroups, "|"))
	for k := range f.values {
		if !slices.Contains(updateParams, k) {
			return fmt.Errorf("update_user: parameter %q must never be sent", k)
		}
	}
	line, err := c.call(ctx, "update_user", req.Login, f)
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		classifyUpdate(apiErr)
	}
	if err != nil {
		return err
	}
	if !line.Success || line.Function != "update_user" || line.Message != "USER HAS BEEN UPDATED" {
		return &ResponseError{Kind: KindUnparseable, Status: 200, Excerpt: c.describe(line, f)}
	}
	return nil
}

// UserDetails looks an account up. A missing account is an *APIError with
// ReasonUserNotFound.
func (c *Client) UserDetails(ctx context.Context, login string) (UserDetails, error) {
	f := c.newForm("user_details")
	f.set("agent_user", login)
	line, err := c.call(ctx, "user_details", login, f)
	if err != nil {
		return UserDetails{}, err
	}
	if d, ok := parseUserDetails(line.Raw); ok {
		return d, nil
	}
	return UserDetails{}, &ResponseError{Kind: KindUnparseable, Status: 200, Excerpt: c.describe(line, f)}
}

// Version asks the server's version. It does not check credentials: it
// proves only that the server is up.
func (c *Client) Version(ctx context.Context) (VersionInfo, error) {
	f := c.newForm("version")
	line, err := c.call(ctx, "version", "", f)
	if err != nil {
		return VersionInfo{}, err
	}
	if v, ok := parseVersion(line.Raw); ok {
		return v, nil
	}
	return VersionInfo{}, &ResponseError{Kind: KindUnparseable, Status: 200, Excerpt: c.describe(line, f)}
}

func (c *Client) describe(line Line, f *form) string {
	s := line.Raw
	if line.Success {
		s = "SUCCESS: " + line.Function + " " + line.Message
	}
	return excerpt(f.redactor().redact(s))
}

// call sends a request and parses its one-line answer.
func (c *Client) call(ctx context.Context, function, login string, f *form) (Line, error) {
	body, err := c.roundTrip(ctx, function, login, f)
	if err != nil {
		return Line{}, err
	}
	return f.parse(body)
}

// roundTrip sends the form, retrying what is safe to resend, and returns the
// body of a 200 answer.
func (c *Client) roundTrip(ctx context.Context, function, login string, f *form) ([]byte, error) {
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = 250 * time.Millisecond
	bo.MaxInterval = 10 * time.Second
	bo.RandomizationFactor = 0.5
	for attempt := 0; ; attempt++ {
		body, err := c.attempt(ctx, function, login, f)
		if err == nil {
			return body, nil
		}
		retry, wait := shouldRetry(err)
		if !retry || attempt >= c.cfg.Retries || ctx.Err() != nil {
			return nil, err
		}
		if next := bo.NextBackOff(); wait < next {
			wait = next
		}
		c.log.Debug().Str("function", function).Str("login", login).Err(err).Dur("wait", wait).Msg("retrying")
		if serr := c.cfg.Sleep(ctx, wait); serr != nil {
			return nil, err
		}
	}
}

// shouldRetry decides, for every call, whether a failure is safe to resend:
// only when the request certainly had no effect (not written, refused) or a
// gateway says so (429, 502, 503, 504, honouring Retry-After).
func shouldRetry(err error) (bool, time.Duration) {
	var tErr *TransportError
	if errors.As(err, &tErr) {
		// Not written: the server cannot have acted on it.
		return !tErr.Sent, 0
	}
	var rErr *ResponseError
	if errors.As(err, &rErr) && rErr.Kind == KindHTTPStatus {
		switch rErr.Status {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			wait := time.Duration(rErr.RetryAfter) * time.Second
			if wait > maxRetryAfter {
				wait = maxRetryAfter
			}
			return true, wait
		}
	}
	return false, 0
}

var errAttemptTimeout = errors.New("request timed out")

// attempt makes one HTTP request, in its turn: the rate limiter's, then
// the pacer's, which learns its latency and outcome.
func (c *Client) attempt(ctx context.Context, function, login string, f *form) (body []byte, err error) {
	if c.cfg.Limiter != nil {
		if err := c.cfg.Limiter.Wait(ctx); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%s: waiting for the rate limiter: %w", function, ctx.Err())
			}
			return nil, fmt.Errorf("%s: rate limiter: %w", function, err)
		}
	}
	if p := c.cfg.Pacer; p != nil {
		if err := p.Acquire(ctx); err != nil {
			return nil, fmt.Errorf("%s: waiting for a turn to send: %w", function, err)
		}
		start := time.Now()
		defer func() { p.Release(time.Since(start), pacingResult(ctx, err)) }()
	}
	return c.send(ctx, function, login, f)
}

// pacingResult says what an attempt's outcome tells the pacer: an answer
// (an API error included) is a latency sample; a timeout, a transport
// failure or a status of an overloaded server (429, 5xx) is a failure;
// an attempt the caller gave up says nothing.
func pacingResult(ctx context.Context, err error) pacing.Result {
	if err == nil {
		return pacing.Answered
	}
	if ctx.Err() != nil {
		return pacing.Ignored
	}
	var tErr *TransportError
	if errors.As(err, &tErr) {
		return pacing.Failed
	}
	var rErr *ResponseError
	if errors.As(err, &rErr) && rErr.Kind == KindHTTPStatus &&
		(rErr.Status == http.StatusTooManyRequests || rErr.Status >= http.StatusInternalServerError) {
		return pacing.Failed
	}
	return pacing.Answered
}

// send makes one HTTP request.
func (c *Client) send(ctx context.Context, function, login string, f *form) ([]byte, error) {
	actx, cancel := context.WithTimeoutCause(ctx, c.cfg.Timeout, errAttemptTimeout)
	defer cancel()
	tr := &wroteTrace{}
	tr.trace.WroteRequest = tr.wroteRequest
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(actx, &tr.trace), http.MethodPost, c.endpoint,
		bytes.NewReader(f.encode()))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", function, err)
	}
	// Shared, never changed: the transport only reads a request's header.
	req.Header["Content-Type"] = formContentType
	req.Header["User-Agent"] = userAgent
	start := time.Now()
	c.attempts.Add(1)
	// Straight to the transport, not through an http.Client: a redirect is
	// never followed (Go turns a redirected POST into a GET without its
	// form, so VICIdial would answer "Login incorrect" for an empty user, a
	// misleading error, and a 307 or 308 would send the API password on to
	// wherever the server points, https or not: the 3xx answer becomes a
	// *ResponseError that names the new location), the context times the
	// attempt out, and no header is copied for redirects that never come.
	resp, err := c.rt.RoundTrip(req)
	if err != nil {
		c.log.Debug().Str("function", function).Str("login", login).Bool("sent", tr.wrote.Load()).Dur("took", time.Since(start)).Msg("request failed")
		cause := err
		if errors.Is(err, context.DeadlineExceeded) && context.Cause(actx) == errAttemptTimeout && ctx.Err() == nil {
			cause = fmt.Errorf("%w after %s", errAttemptTimeout, c.cfg.Timeout)
		}
		return nil, &TransportError{Op: function, Sent: tr.wrote.Load(), Err: f.redactor().redactErr(stripURL(cause))}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	c.log.Debug().Str("function", function).Str("login", login).Int("http_status", resp.StatusCode).
		Dur("took", time.Since(start)).Msg("response")
	if err != nil {
		return nil, &TransportError{Op: function, Sent: true, Err: f.redactor().redactErr(stripURL(err))}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, c.statusError(resp, body, f)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &ResponseError{Kind: KindEmptyBody, Status: resp.StatusCode}
	}
	return body, nil
}

// The header values of every request.
var (
	formContentType = []string{"application/x-www-form-urlencoded"}
	userAgent       = []string{"vicionboard"}
)

// wroteTrace records whether a request was written, all of it: a failure
// after that may have reached the server and is not resent. One
// allocation holds the flag and the hook.
type wroteTrace struct {
	wrote atomic.Bool
	trace httptrace.ClientTrace
}

func (t *wroteTrace) wroteRequest(httptrace.WroteRequestInfo) { t.wrote.Store(true) }

// statusError describes a non-200 answer; a complete SUCCESS line in it
// means the account was created anyway.
func (c *Client) statusError(resp *http.Response, body []byte, f *form) error {
	e := &ResponseError{Kind: KindHTTPStatus, Status: resp.StatusCode}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		if loc, err := resp.Location(); err == nil {
			loc.RawQuery, loc.Fragment, loc.User = "", "", nil
			e.Location = f.redactor().redact(loc.String())
		}
	}
	if ra, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && ra > 0 {
		e.RetryAfter = ra
	}
	text := strings.TrimSpace(string(body))
	if line, err := ParseLine(body); err == nil && line.Success {
		if cr, ok := created(line); ok {
			e.Created = &cr
		}
		text = "SUCCESS: " + line.Function + " " + line.Message
	}
	first, _, _ := strings.Cut(text, "\n")
	// Redact before cutting: a cut through a password would leave its
	// start, which no longer matches.
	e.Excerpt = excerpt(f.redactor().redact(first))
	return e
}

// stripURL keeps a *url.Error's cause without the URL (it names the
// endpoint only, but the message is shorter without it).
func stripURL(err error) error {
	var uErr *url.Error
	if errors.As(err, &uErr) {
		return uErr.Err
	}
	return err
}

// sleep waits for d or until ctx is done, with a little jitter.
func sleep(ctx context.Context, d time.Duration) error {
	d += time.Duration(rand.Int64N(int64(d/10) + 1))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
