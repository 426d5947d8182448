// Package linkedin publishes posts to LinkedIn as a member or an organization (a LinkedIn
// Page) and connects those accounts by OAuth 2.0. It is written from LinkedIn's
// documentation on Microsoft Learn: the authorization code flow
// (www.linkedin.com/oauth/v2/authorization, /oauth/v2/accessToken), Sign In with LinkedIn
// using OpenID Connect (GET api.linkedin.com/v2/userinfo), Organization Access Control
// (GET /rest/organizationAcls?q=roleAssignee) and Organization Lookup (GET
// /rest/organizations/{id}), the Images API (initializeUpload, PUT of the bytes, status)
// and the Posts API (POST /rest/posts). Every /rest call carries the LinkedIn-Version
// header (GREENLIGHT_LINKEDIN_VERSION, YYYYMM) and X-Restli-Protocol-Version: 2.0.0.
//
// LinkedIn access tokens last 60 days. Only partner apps get refresh tokens (365 days,
// not extended by refreshing); without one, the account must be reconnected before its
// token expires (publish.Identity.ReconnectBy). The Posts API has no idempotency key: a
// create whose answer is lost is never retried (publish.KindAmbiguous).
package linkedin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/greenlight/greenlight/publish"
)

// Network is the account network this package serves.
const Network = "linkedin"

// Defaults of the hosts and API version.
const (
	// DefaultAuthURL is where members authorize apps and tokens are issued.
	DefaultAuthURL = "https://www.linkedin.com"
	// DefaultAPIURL serves /v2/userinfo and the versioned /rest APIs.
	DefaultAPIURL = "https://api.linkedin.com"
	// DefaultVersion is the LinkedIn-Version used when none is configured. LinkedIn serves
	// each monthly version for about a year, then answers 426 NONEXISTENT_VERSION: set
	// GREENLIGHT_LINKEDIN_VERSION to a current one.
	DefaultVersion = "202609"
)

// maxResponse bounds how much of an answer is read.
const maxResponse = 1 << 20

// DefaultRateLimitWait is how long to wait after a 429 that says neither Retry-After nor
// that a daily limit was reached.
const DefaultRateLimitWait = time.Minute

// apiError is the detail of a non-2xx answer, kept under the *publish.Error.
type apiError struct {
	Op               string
	Status           int
	Code             string // LinkedIn's "code" (EXPIRED_ACCESS_TOKEN, …) or OAuth's "error"
	ServiceErrorCode int
	Message          string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s answered %d %s: %s", e.Op, e.Status, e.Code, e.Message)
}

// statusOf returns the HTTP status of err's answer (0: no answer).
func statusOf(err error) int {
	var e *apiError
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// client makes calls to LinkedIn for one operation.
type client struct {
	hc      *http.Client
	authURL string
	apiURL  string
	version string
	now     func() time.Time
}

func newClient(hc *http.Client, authURL, apiURL, version string) *client {
	if hc == nil {
		hc = http.DefaultClient
	}
	if authURL == "" {
		authURL = DefaultAuthURL
	}
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	if version == "" {
		version = DefaultVersion
	}
	return &client{hc: hc, authURL: strings.TrimSuffix(authURL, "/"), apiURL: strings.TrimSuffix(apiURL, "/"), version: version, now: time.Now}
}

// request is one call.
type request struct {
	method      string
	url         string // absolute
	op          string // for messages: "POST /rest/posts"
	body        []byte
	contentType string
	token       string
	rest        bool // a versioned /rest call: LinkedIn-Version and Rest.li headers
}

// answer is a 2xx answer.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// errTransport marks a call that got no answer; sent says whether the request may have
// reached LinkedIn (anything but a failed dial).
type errTransport struct {
	sent bool
	err  error
}

func (e *errTransport) Error() string { return e.err.Error() }
func (e *errTransport) Unwrap() error { return e.err }

// do performs one call. A non-2xx answer is a *publish.Error wrapping an *apiError; no
// answer is a KindRetryable *publish.Error wrapping an *errTransport.
func (c *client) do(ctx context.Context, r request) (answer, error) {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, body)
	if err != nil {
		return answer{}, &publish.Error{Kind: publish.KindPermanent, Network: Network, Message: r.op + ": building the request", Err: err}
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "Greenlight")
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.rest {
		req.Header.Set("LinkedIn-Version", c.version)
		req.Header.Set("X-Restli-Protocol-Version", "2.0.0")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var op *net.OpError
		sent := !(errors.As(err, &op) && op.Op == "dial")
		return answer{}, &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: r.op + ": no answer from LinkedIn",
			Err: &errTransport{sent: sent, err: err}}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return answer{}, &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: r.op + ": reading LinkedIn's answer",
			Err: &errTransport{sent: true, err: err}}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return answer{}, c.classify(r.op, resp, data)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// classify turns a non-2xx answer into a *publish.Error: 401 and 403 KindAuth (the caller
// refreshes once on a 401 when it can), 426 a retired LinkedIn-Version (KindPermanent,
// saying which setting to change), 429 KindRateLimit, 408 and 5xx KindRetryable, anything
// else (400, 404, 422 duplicate or invalid content) KindPermanent. The message is
// LinkedIn's own.
func (c *client) classify(op string, resp *http.Response, data []byte) *publish.Error {
	ae := parseError(op, resp.StatusCode, data)
	pe := &publish.Error{Network: Network, Err: ae}
	detail := ae.Message
	if ae.Code != "" {
		detail = ae.Code + ": " + ae.Message
	}
	pe.Message = fmt.Sprintf("%s answered %d (%s)", op, ae.Status, strings.TrimSuffix(detail, ": "))
	switch s := resp.StatusCode; {
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		pe.Kind = publish.KindAuth
	case s == http.StatusUpgradeRequired:
		pe.Kind = publish.KindPermanent
		pe.Message = fmt.Sprintf("LinkedIn no longer serves API version %s (%s): set GREENLIGHT_LINKEDIN_VERSION to a current version (YYYYMM, see LinkedIn's API versioning page)",
			c.version, strings.TrimSuffix(detail, ": "))
	case s == http.StatusTooManyRequests:
		pe.Kind = publish.KindRateLimit
		pe.RetryAfter = rateLimitWait(resp.Header, ae.Message, c.now())
	case s == http.StatusRequestTimeout || s >= 500:
		pe.Kind = publish.KindRetryable
	default:
		pe.Kind = publish.KindPermanent
	}
	return pe
}

// parseError reads LinkedIn's error bodies: the REST one {"status", "serviceErrorCode",
// "code", "message"} and the OAuth one {"error", "error_description"}; anything else (a
// proxy's page) gives its start, cleaned.
func parseError(op string, status int, data []byte) *apiError {
	var b struct {
		Status           int    `json:"status"`
		ServiceErrorCode int    `json:"serviceErrorCode"`
		Code             string `json:"code"`
		Message          string `json:"message"`
		Error            string `json:"error"`
		Description      string `json:"error_description"`
	}
	_ = json.Unmarshal(data, &b)
	e := &apiError{Op: op, Status: status, Code: b.Code, ServiceErrorCode: b.ServiceErrorCode, Message: b.Message}
	if e.Code == "" {
		e.Code = b.Error
	}
	if e.Message == "" {
		e.Message = b.Description
	}
	if e.Message == "" && !bytes.HasPrefix(bytes.TrimSpace(data), []byte("<")) {
		e.Message = string(data)
	}
	e.Message = strings.Join(strings.Fields(strings.ToValidUTF8(e.Message, "")), " ")
	if len(e.Message) > 300 {
		e.Message = e.Message[:300]
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// rateLimitWait is how long to wait after a 429: Retry-After (seconds or an HTTP date)
// when LinkedIn sends it; else, for a daily throttle ("… DAY limit …"; LinkedIn's daily
// limits reset at midnight UTC), until the next midnight UTC; else DefaultRateLimitWait.
func rateLimitWait(h http.Header, message string, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0)
		}
	}
	if strings.Contains(strings.ToUpper(message), " DAY ") {
		u := now.UTC()
		midnight := time.Date(u.Year(), u.Month(), u.Day()+1, 0, 0, 0, 0, time.UTC)
		return midnight.Sub(now)
	}
	return DefaultRateLimitWait
}

// postForm posts an OAuth form to the token endpoint and reads the token answer.
func (c *client) token(ctx context.Context, form url.Values) (publish.OAuthToken, error) {
	const op = "POST /oauth/v2/accessToken"
	a, err := c.do(ctx, request{method: "POST", url: c.authURL + "/oauth/v2/accessToken", op: op,
		body: []byte(form.Encode()), contentType: "application/x-www-form-urlencoded"})
	if err != nil {
		var pe *publish.Error
		if errors.As(err, &pe) && (statusOf(err) == http.StatusBadRequest || statusOf(err) == http.StatusUnauthorized) {
			pe.Kind = publish.KindAuth // a refused code, refresh token or app
		}
		return publish.OAuthToken{}, err
	}
	var t struct {
		AccessToken           string `json:"access_token"`
		ExpiresIn             int64  `json:"expires_in"`
		RefreshToken          string `json:"refresh_token"`
		RefreshTokenExpiresIn int64  `json:"refresh_token_expires_in"`
		Scope                 string `json:"scope"`
	}
	if err := json.Unmarshal(a.body, &t); err != nil || t.AccessToken == "" {
		return publish.OAuthToken{}, &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: op + ": the answer has no access_token", Err: err}
	}
	now := c.now()
	tok := publish.OAuthToken{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, Scope: t.Scope}
	if t.ExpiresIn > 0 {
		tok.ExpiresAt = now.Add(time.Duration(t.ExpiresIn) * time.Second)
	}
	if t.RefreshToken != "" && t.RefreshTokenExpiresIn > 0 {
		tok.RefreshExpiresAt = now.Add(time.Duration(t.RefreshTokenExpiresIn) * time.Second)
	}
	return tok, nil
}

// getJSON makes an authenticated GET and decodes the answer into out.
func (c *client) getJSON(ctx context.Context, token, path, op string, rest bool, out any) error {
	a, err := c.do(ctx, request{method: "GET", url: c.apiURL + path, op: op, token: token, rest: rest})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(a.body, out); err != nil {
		return &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: op + ": unreadable answer", Err: err}
	}
	return nil
}
