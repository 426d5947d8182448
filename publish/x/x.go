// Package x publishes posts to X (formerly Twitter) through the X API v2 and connects X
// accounts with OAuth 2.0 (authorization code with PKCE, confidential client). It is written
// from X's developer documentation (docs.x.com): the authorize page x.com/i/oauth2/authorize,
// POST /2/oauth2/token (authorization_code with code_verifier; refresh_token, whose refresh
// token rotates on every use), GET /2/users/me, media upload v2 (POST /2/media/upload for
// images; POST /2/media/upload/initialize, /{id}/append, /{id}/finalize and
// GET /2/media/upload?command=STATUS for GIFs and videos), POST /2/media/metadata for alt
// text, and POST /2/tweets for the one visible create.
//
// X access tokens last two hours; with offline.access a refresh token comes along that works
// exactly once. Every refresh goes through publish.RefreshWith (one at a time per account,
// stored before use). X has no idempotency key for POST /2/tweets: a create whose answer is
// lost is publish.KindAmbiguous and never retried blindly.
package x

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/greenlight/greenlight/publish"
)

// Network is the account network this package serves.
const Network = "x"

// Default base URLs of X's hosts.
const (
	DefaultAuthURL   = "https://x.com"     // serves /i/oauth2/authorize
	DefaultAPIURL    = "https://api.x.com" // serves /2/oauth2/token, /2/users/me, /2/tweets, /2/media/metadata
	DefaultUploadURL = "https://api.x.com" // serves /2/media/upload…
)

// Scopes are the OAuth 2.0 scopes Greenlight asks for: read the user, post with media, and
// offline.access for a refresh token (without it the connection dies after two hours).
var Scopes = []string{"tweet.read", "tweet.write", "users.read", "offline.access", "media.write"}

// RefreshAhead is how long before its expiry an access token is refreshed before use.
const RefreshAhead = 5 * time.Minute

// maxResponse bounds how much of an answer is read.
const maxResponse = 1 << 20

// Credentials is what a connected X account keeps, sealed: the user's tokens, when they
// expire, and who the user is.
type Credentials struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	ExpiresAt    time.Time `json:"expires_at,omitempty"` // the access token's expiry; zero: unknown
	// RefreshExpiresAt is when the refresh token stops working, when X says (it does not
	// today: zero).
	RefreshExpiresAt time.Time `json:"refresh_expires_at,omitempty"`
	Scope            string    `json:"scope,omitempty"`
	UserID           string    `json:"user_id"`
	Username         string    `json:"username,omitempty"`
}

// Connector publishes to X (publish.Connector), keeps tokens fresh
// (publish.TokenRefresher) and connects accounts (publish.OAuthProvider): one type, because
// all three share the hosts, the HTTP client and the token endpoint. All HTTP goes through
// the *http.Client it was built with.
type Connector struct {
	http *http.Client
	// App is the operator's X app (GREENLIGHT_X_CLIENT_ID/_SECRET), used to refresh tokens
	// (a confidential client authenticates with HTTP Basic).
	App publish.OAuthApp
	// AuthURL, APIURL and UploadURL are the base URLs of X's hosts (tests point them at
	// internal/xtest).
	AuthURL, APIURL, UploadURL string
	// ChunkSize is the size of each APPEND segment of a chunked upload (X accepts up to 5 MB).
	ChunkSize int
	// PollInterval, when above zero, replaces X's check_after_secs between STATUS reads of
	// media being processed; PollTimeout bounds the whole wait (then KindRetryable), kept
	// under the publishing activity's five minutes.
	PollInterval, PollTimeout time.Duration

	now func() time.Time
}

// New returns a connector for the operator's app, reaching X through hc (the outbound
// client).
func New(hc *http.Client, app publish.OAuthApp) *Connector {
	return &Connector{http: hc, App: app, AuthURL: DefaultAuthURL, APIURL: DefaultAPIURL, UploadURL: DefaultUploadURL,
		ChunkSize: 4 << 20, PollTimeout: 3 * time.Minute, now: time.Now}
}

// Network returns "x".
func (c *Connector) Network() string { return Network }

func (c *Connector) clock() time.Time {
	if c.now == nil {
		return time.Now()
	}
	return c.now()
}

// apiError is a failed call to X before it becomes a *publish.Error.
type apiError struct {
	op         string // "POST /2/tweets"
	status     int    // 0: no answer
	message    string // X's message
	code       string // token endpoint "error", or problem "type"
	retryAfter time.Duration
	err        error // transport error
}

func (e *apiError) Error() string {
	if e.status == 0 {
		return fmt.Sprintf("%s: %s", e.op, e.message)
	}
	return fmt.Sprintf("%s answered %d: %s", e.op, e.status, e.message)
}

func (e *apiError) Unwrap() error { return e.err }

// kind classifies a failed call that is not the create (see createKind).
func (e *apiError) kind() publish.Kind {
	switch {
	case e.status == 0 || e.status >= 500 || e.status == 408:
		return publish.KindRetryable
	case e.status == 429:
		return publish.KindRateLimit
	case e.status == 401:
		return publish.KindAuth
	case e.status == 403 && strings.Contains(strings.ToLower(e.message), "unsupported authentication"):
		return publish.KindAuth
	}
	return publish.KindPermanent
}

func (e *apiError) publish(kind publish.Kind) *publish.Error {
	return &publish.Error{Kind: kind, Network: Network, Message: e.Error(), RetryAfter: e.retryAfter, Err: e}
}

// notSent reports whether a transport error happened before the request could reach X.
func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// request is one call to X.
type request struct {
	method, url, op string
	token           string // bearer token; empty for the token endpoint
	basic           *publish.OAuthApp
	contentType     string
	body            []byte
}

// do sends r and decodes a 2xx JSON answer into out (nil: ignore the body). A non-2xx answer
// or a transport failure is an *apiError.
func (c *Connector) do(ctx context.Context, r request, out any) error {
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, bytes.NewReader(r.body))
	if err != nil {
		return &apiError{op: r.op, message: "bad request", err: err}
	}
	if r.body == nil {
		req.Body, req.GetBody, req.ContentLength = nil, nil, 0
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.basic != nil {
		req.SetBasicAuth(r.basic.ClientID, r.basic.ClientSecret)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		msg := "no answer"
		if ctx.Err() != nil {
			msg = "cancelled"
		}
		return &apiError{op: r.op, message: msg, err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return &apiError{op: r.op, message: "answer cut short", err: err}
	}
	if resp.StatusCode/100 != 2 {
		e := &apiError{op: r.op, status: resp.StatusCode}
		e.message, e.code = errorMessage(resp.StatusCode, body)
		if resp.StatusCode == 429 {
			e.retryAfter = c.retryAfter(resp.Header)
		}
		return e
	}
	if out == nil || len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return &apiError{op: r.op, status: resp.StatusCode, message: "unreadable answer", err: err}
	}
	return nil
}

// errorMessage reads X's error bodies: problem+json {title, detail, type, status}, the
// {errors:[{message}]} form, and the token endpoint's {error, error_description}.
func errorMessage(status int, body []byte) (msg, code string) {
	var b struct {
		Title       string `json:"title"`
		Detail      string `json:"detail"`
		Type        string `json:"type"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Errors      []struct {
			Message string `json:"message"`
			Detail  string `json:"detail"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &b) == nil {
		var parts []string
		for _, e := range b.Errors {
			switch {
			case e.Message != "":
				parts = append(parts, e.Message)
			case e.Detail != "":
				parts = append(parts, e.Detail)
			}
		}
		switch {
		case b.Description != "":
			return b.Description, b.Error
		case b.Error != "":
			return b.Error, b.Error
		case len(parts) > 0 && (b.Detail == "" || strings.HasPrefix(b.Detail, "One or more parameters")):
			return strings.Join(parts, "; "), b.Type
		case b.Detail != "":
			return b.Detail, b.Type
		case b.Title != "":
			return b.Title, b.Type
		case len(parts) > 0:
			return strings.Join(parts, "; "), b.Type
		}
	}
	if t := http.StatusText(status); t != "" {
		return t, ""
	}
	return "unexpected answer", ""
}

// retryAfter reads how long X asks to wait: x-rate-limit-reset (epoch seconds), else
// Retry-After (seconds); at least one second, zero when neither is given.
func (c *Connector) retryAfter(h http.Header) time.Duration {
	if v := h.Get("X-Rate-Limit-Reset"); v != "" {
		if sec, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			return max(time.Unix(sec, 0).Sub(c.clock()), time.Second)
		}
	}
	if v := h.Get("Retry-After"); v != "" {
		if sec, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			return max(time.Duration(sec)*time.Second, time.Second)
		}
	}
	return 0
}

var (
	_ publish.Connector      = (*Connector)(nil)
	_ publish.TokenRefresher = (*Connector)(nil)
	_ publish.OAuthProvider  = (*Connector)(nil)
)
