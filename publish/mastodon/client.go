// Package mastodon publishes posts to a Mastodon-API server (Mastodon, GoToSocial, …). It is
// written from Mastodon's API documentation: POST /api/v1/apps and the OAuth 2 authorization
// code flow with PKCE (S256) to connect an account, GET /api/v1/accounts/verify_credentials,
// GET /api/v2/instance (falling back to /api/v1/instance) for the instance's limits,
// POST /api/v2/media (polling GET /api/v1/media/:id while the server processes it) and
// POST /api/v1/statuses with an Idempotency-Key header for the one visible create.
//
// Mastodon access tokens do not expire and cannot be refreshed: a token the server refuses
// (401, 403) means the account needs reconnecting (publish.KindAuth).
package mastodon

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/greenlight/greenlight/publish"
)

// Network is the account network this package serves.
const Network = "mastodon"

// Scopes are the OAuth scopes Greenlight asks for: enough to read the connected account and
// to post statuses with media, nothing more.
const Scopes = "read:accounts write:statuses write:media"

// maxResponse bounds how much of an answer is read.
const maxResponse = 4 << 20

// Client talks to one Mastodon-API instance. It is safe for concurrent use.
type Client struct {
	http *http.Client
	base string // scheme://host[:port], no trailing slash

	// PollInterval and PollTimeout bound the wait for a media attachment the server is
	// still processing (202): every PollInterval until PollTimeout, then KindRetryable.
	PollInterval time.Duration
	PollTimeout  time.Duration

	now func() time.Time
}

// New returns a client for the instance at instanceURL (e.g. "https://mastodon.social")
// using hc for every request; hc carries the timeouts and the outbound policy.
func New(hc *http.Client, instanceURL string) (*Client, error) {
	u, err := url.Parse(instanceURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("mastodon: instance URL %q must be an absolute http(s) URL", instanceURL)
	}
	if hc == nil {
		return nil, errors.New("mastodon: an *http.Client is required")
	}
	return &Client{
		http: hc, base: u.Scheme + "://" + u.Host,
		PollInterval: time.Second, PollTimeout: 60 * time.Second, now: time.Now,
	}, nil
}

// Base returns the instance's base URL (scheme://host[:port]).
func (c *Client) Base() string { return c.base }

// Error is every failure this package returns from a call to the instance.
type Error struct {
	Kind       publish.Kind
	Op         string        // e.g. "POST /api/v1/statuses"
	Status     int           // HTTP status; 0 when no answer arrived
	Message    string        // the server's "error" (and "error_description"), or what went wrong locally
	RetryAfter time.Duration // KindRateLimit: how long to wait (0 when the server did not say)
	Err        error         // the underlying transport error, if any
}

func (e *Error) Error() string {
	s := "mastodon " + e.Op + ": " + e.Kind.String()
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Kind == publish.KindRateLimit && e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns err's kind: an *Error's own, KindRetryable for anything else.
func KindOf(err error) publish.Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return publish.KindRetryable
}

// classify turns a non-2xx answer into an *Error: 429 is a rate limit (Retry-After, or
// Mastodon's X-RateLimit-Reset); 401 and 403 a token the server refuses; 408 and 5xx
// retryable; anything else (422 validation, 404) permanent.
func classify(op string, resp *http.Response, message string, now time.Time) *Error {
	e := &Error{Op: op, Status: resp.StatusCode, Message: message}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Kind = publish.KindRateLimit
		e.RetryAfter = retryAfter(resp.Header, now)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		e.Kind = publish.KindAuth
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		e.Kind = publish.KindRetryable
	default:
		e.Kind = publish.KindPermanent
	}
	return e
}

// retryAfter reads how long to wait from Retry-After (seconds or an HTTP date) or, failing
// that, from X-RateLimit-Reset (an ISO 8601 time on Mastodon, Unix seconds elsewhere).
// Never negative.
func retryAfter(h http.Header, now time.Time) time.Duration {
	var d time.Duration
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.Atoi(v); err == nil {
			d = time.Duration(s) * time.Second
		} else if t, err := http.ParseTime(v); err == nil {
			d = t.Sub(now)
		}
	} else if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); v != "" {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			d = t.Sub(now)
		} else if s, err := strconv.ParseInt(v, 10, 64); err == nil {
			d = time.Unix(s, 0).Sub(now)
		}
	}
	return max(d, 0)
}

// request is one call: a JSON, form or multipart body (or none), an optional bearer token
// and extra headers.
type request struct {
	method, path string
	query        url.Values
	body         []byte
	contentType  string
	token        string
	header       http.Header
}

// do performs one call and decodes a 2xx JSON answer into out (when not nil); it returns
// the status code of a 2xx answer.
func (c *Client) do(ctx context.Context, r request, out any) (int, error) {
	op := r.method + " " + r.path
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return 0, &Error{Kind: publish.KindPermanent, Op: op, Message: "building the request", Err: err}
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "Greenlight")
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, &Error{Kind: publish.KindRetryable, Op: op, Message: "no answer", Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return 0, &Error{Kind: publish.KindRetryable, Op: op, Status: resp.StatusCode, Message: "reading the answer", Err: err}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return 0, classify(op, resp, errorMessage(data), c.now())
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return 0, &Error{Kind: publish.KindRetryable, Op: op, Status: resp.StatusCode, Message: "unreadable answer", Err: err}
		}
	}
	return resp.StatusCode, nil
}

// errorMessage reads Mastodon's error body {"error": "…", "error_description": "…"}, or
// the start of whatever else came (a proxy's page), cleaned for showing to staff.
func errorMessage(data []byte) string {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(data, &e)
	msg := e.Error
	if e.Description != "" && e.Description != e.Error {
		msg = strings.TrimSpace(msg + ": " + e.Description)
	}
	if msg == "" && !bytes.HasPrefix(bytes.TrimSpace(data), []byte("<")) {
		msg = string(data)
	}
	msg = strings.Join(strings.Fields(strings.ToValidUTF8(msg, "")), " ")
	if len(msg) > 300 {
		msg = msg[:300]
	}
	return msg
}

// App is an OAuth application registered on an instance.
type App struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// RegisterApp registers Greenlight as an OAuth application (POST /api/v1/apps) with one
// redirect URI and the scopes it will ask for.
func (c *Client) RegisterApp(ctx context.Context, name, redirectURI, scopes, website string) (App, error) {
	form := url.Values{"client_name": {name}, "redirect_uris": {redirectURI}, "scopes": {scopes}}
	if website != "" {
		form.Set("website", website)
	}
	var app App
	_, err := c.do(ctx, request{method: "POST", path: "/api/v1/apps", body: []byte(form.Encode()), contentType: "application/x-www-form-urlencoded"}, &app)
	if err == nil && (app.ClientID == "" || app.ClientSecret == "") {
		err = &Error{Kind: publish.KindRetryable, Op: "POST /api/v1/apps", Message: "the answer has no client_id or client_secret"}
	}
	return app, err
}

// NewPKCE returns a fresh PKCE code verifier (43 characters, 256 random bits) and its S256
// challenge.
func NewPKCE() (verifier, challenge string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	verifier = base64.RawURLEncoding.EncodeToString(b)
	return verifier, Challenge(verifier)
}

// Challenge returns the S256 code challenge of a PKCE verifier.
func Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// AuthorizeURL returns the page where the account's owner authorizes the app: the
// authorization code flow with a PKCE S256 challenge and state.
func (c *Client) AuthorizeURL(app App, redirectURI, scopes, state, challenge string) string {
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {app.ClientID},
		"redirect_uri":          {redirectURI},
		"scope":                 {scopes},
		"state":                 {state},
		"code_challenge":        {challenge},
		"code_challenge_method": {"S256"},
	}
	return c.base + "/oauth/authorize?" + q.Encode()
}

// Token is an access token the instance issued.
type Token struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	Scope       string `json:"scope"`
	CreatedAt   int64  `json:"created_at"`
}

// ExchangeCode trades an authorization code for an access token (POST /oauth/token,
// grant_type authorization_code with the PKCE verifier). A code the server refuses is
// KindPermanent (OAuth answers 400 invalid_grant).
func (c *Client) ExchangeCode(ctx context.Context, app App, redirectURI, code, verifier string) (Token, error) {
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"client_id":     {app.ClientID},
		"client_secret": {app.ClientSecret},
		"redirect_uri":  {redirectURI},
		"code_verifier": {verifier},
	}
	var t Token
	_, err := c.do(ctx, request{method: "POST", path: "/oauth/token", body: []byte(form.Encode()), contentType: "application/x-www-form-urlencoded"}, &t)
	if err == nil && t.AccessToken == "" {
		err = &Error{Kind: publish.KindPermanent, Op: "POST /oauth/token", Message: "the answer has no access_token"}
	}
	return t, err
}

// Account is the account a token belongs to.
type Account struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	Acct        string `json:"acct"`
	DisplayName string `json:"display_name"`
	URL         string `json:"url"`
}

// VerifyCredentials returns the token's account (GET /api/v1/accounts/verify_credentials);
// a refused token is KindAuth.
func (c *Client) VerifyCredentials(ctx context.Context, token string) (Account, error) {
	var a Account
	_, err := c.do(ctx, request{method: "GET", path: "/api/v1/accounts/verify_credentials", token: token}, &a)
	if err == nil && a.ID == "" {
		err = &Error{Kind: publish.KindRetryable, Op: "GET /api/v1/accounts/verify_credentials", Message: "the answer has no account id"}
	}
	return a, err
}

// Handle returns the account's full handle, "@user@instance host".
func (c *Client) Handle(a Account) string {
	user := a.Username
	if user == "" {
		user, _, _ = strings.Cut(a.Acct, "@")
	}
	u, _ := url.Parse(c.base)
	return "@" + user + "@" + u.Hostname()
}

// Mastodon's defaults, for an instance that does not say.
const (
	DefaultMaxCharacters = 500
	DefaultMaxMedia      = 4
	DefaultURLCharacters = 23
)

// Limits are an instance's rules for a status.
type Limits struct {
	MaxCharacters  int      `json:"max_characters"`
	MaxMedia       int      `json:"max_media_attachments"`
	URLCharacters  int      `json:"characters_reserved_per_url"`
	MimeTypes      []string `json:"supported_mime_types,omitempty"` // empty: not stated
	ImageSizeLimit int64    `json:"image_size_limit,omitempty"`     // bytes; 0: not stated
	VideoSizeLimit int64    `json:"video_size_limit,omitempty"`
	// HonorsIdempotencyKey is false for servers known to ignore the Idempotency-Key header
	// (GoToSocial): an unanswered create there cannot be retried safely.
	HonorsIdempotencyKey bool `json:"honors_idempotency_key"`
}

// instanceConfig is the part of /api/v2/instance (and /api/v1/instance, which has the same
// "configuration" object since Mastodon 3.4) that holds the limits.
type instanceConfig struct {
	Version   string `json:"version"`
	SourceURL string `json:"source_url"`
	MaxChars  int    `json:"max_toot_chars"` // Pleroma/Akkoma and old forks, v1 only
	Config    struct {
		Statuses struct {
			MaxCharacters         int `json:"max_characters"`
			MaxMediaAttachments   int `json:"max_media_attachments"`
			CharactersReservedURL int `json:"characters_reserved_per_url"`
		} `json:"statuses"`
		Media struct {
			SupportedMimeTypes []string `json:"supported_mime_types"`
			ImageSizeLimit     int64    `json:"image_size_limit"`
			VideoSizeLimit     int64    `json:"video_size_limit"`
		} `json:"media_attachments"`
	} `json:"configuration"`
}

// Instance reads the instance's limits from GET /api/v2/instance, then /api/v1/instance
// when v2 is missing (404/410); limits the server does not state take Mastodon's defaults
// (500 characters, 4 attachments, 23 characters per URL).
func (c *Client) Instance(ctx context.Context) (Limits, error) {
	var ic instanceConfig
	_, err := c.do(ctx, request{method: "GET", path: "/api/v2/instance"}, &ic)
	var e *Error
	if errors.As(err, &e) && (e.Status == http.StatusNotFound || e.Status == http.StatusGone) {
		ic = instanceConfig{}
		_, err = c.do(ctx, request{method: "GET", path: "/api/v1/instance"}, &ic)
	}
	if err != nil {
		return Limits{}, err
	}
	st, md := ic.Config.Statuses, ic.Config.Media
	l := Limits{
		MaxCharacters: st.MaxCharacters, MaxMedia: st.MaxMediaAttachments, URLCharacters: st.CharactersReservedURL,
		MimeTypes: md.SupportedMimeTypes, ImageSizeLimit: md.ImageSizeLimit, VideoSizeLimit: md.VideoSizeLimit,
		HonorsIdempotencyKey: !strings.Contains(strings.ToLower(ic.SourceURL+" "+ic.Version), "gotosocial"),
	}
	if l.MaxCharacters <= 0 {
		l.MaxCharacters = ic.MaxChars
	}
	if l.MaxCharacters <= 0 {
		l.MaxCharacters = DefaultMaxCharacters
	}
	if l.MaxMedia <= 0 {
		l.MaxMedia = DefaultMaxMedia
	}
	if l.URLCharacters <= 0 {
		l.URLCharacters = DefaultURLCharacters
	}
	return l, nil
}

// Attachment is an uploaded media attachment.
type Attachment struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	URL  string `json:"url"` // empty while the server is still processing it
}

// UploadMedia uploads one file (POST /api/v2/media, multipart "file" and "description" =
// alt text). When the server answers 202 (still processing) it polls GET /api/v1/media/:id
// until the attachment has a URL, every PollInterval for at most PollTimeout
// (KindRetryable after that). Nothing is visible until a status references it.
func (c *Client) UploadMedia(ctx context.Context, token string, data []byte, filename, contentType, alt string) (Attachment, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, filename))
	h.Set("Content-Type", contentType)
	part, err := mw.CreatePart(h)
	if err == nil {
		_, err = part.Write(data)
	}
	if err == nil && alt != "" {
		err = mw.WriteField("description", alt)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return Attachment{}, &Error{Kind: publish.KindPermanent, Op: "POST /api/v2/media", Message: "building the upload", Err: err}
	}
	var a Attachment
	status, err := c.do(ctx, request{method: "POST", path: "/api/v2/media", body: buf.Bytes(), contentType: mw.FormDataContentType(), token: token}, &a)
	if err != nil {
		return Attachment{}, err
	}
	if a.ID == "" {
		return Attachment{}, &Error{Kind: publish.KindRetryable, Op: "POST /api/v2/media", Message: "the answer has no attachment id"}
	}
	if status != http.StatusAccepted && a.URL != "" {
		return a, nil
	}
	return c.waitMedia(ctx, token, a)
}

// waitMedia polls an attachment until the server has processed it.
func (c *Client) waitMedia(ctx context.Context, token string, a Attachment) (Attachment, error) {
	op := "GET /api/v1/media/:id"
	deadline := c.now().Add(c.PollTimeout)
	t := time.NewTimer(c.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return Attachment{}, &Error{Kind: publish.KindRetryable, Op: op, Message: "stopped while the server processed the media", Err: ctx.Err()}
		case <-t.C:
		}
		var got Attachment
		status, err := c.do(ctx, request{method: "GET", path: "/api/v1/media/" + url.PathEscape(a.ID), token: token}, &got)
		if err != nil {
			return Attachment{}, err
		}
		if status == http.StatusOK && got.URL != "" {
			return got, nil
		}
		if !c.now().Before(deadline) {
			return Attachment{}, &Error{Kind: publish.KindRetryable, Op: op, Message: fmt.Sprintf("media %s still processing after %s", a.ID, c.PollTimeout)}
		}
		t.Reset(c.PollInterval)
	}
}

// Status is a created status.
type Status struct {
	ID  string `json:"id"`
	URL string `json:"url"`
	URI string `json:"uri"`
}

// NewStatus is what CreateStatus posts.
type NewStatus struct {
	Status     string   `json:"status"`
	MediaIDs   []string `json:"media_ids,omitempty"`
	Visibility string   `json:"visibility,omitempty"`
	Language   string   `json:"language,omitempty"`
}

// CreateStatus posts a status (POST /api/v1/statuses) with the Idempotency-Key header set
// to key: Mastodon answers a repeated call with the same key (for the same account, within
// an hour) with the status it already created, so retrying after a lost answer never posts
// twice there. An empty key sends no header: for servers that ignore it, since Go's HTTP
// transport replays a request carrying an Idempotency-Key by itself when a reused
// connection drops, which on such a server would post twice.
func (c *Client) CreateStatus(ctx context.Context, token, key string, s NewStatus) (Status, error) {
	body, err := json.Marshal(s)
	if err != nil {
		return Status{}, &Error{Kind: publish.KindPermanent, Op: "POST /api/v1/statuses", Message: "encoding the status", Err: err}
	}
	var header http.Header
	if key != "" {
		header = http.Header{"Idempotency-Key": {key}}
	}
	var st Status
	_, err = c.do(ctx, request{
		method: "POST", path: "/api/v1/statuses", body: body, contentType: "application/json", token: token,
		header: header,
	}, &st)
	if err == nil && st.ID == "" {
		err = &Error{Kind: publish.KindRetryable, Op: "POST /api/v1/statuses", Message: "the answer has no status id"}
	}
	return st, err
}
