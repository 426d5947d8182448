// Package meta publishes to Instagram business accounts and Facebook Pages through Meta's
// Graph API, and connects them with Facebook Login. It is written from Meta's documentation:
// Instagram content publishing (POST /{ig-user-id}/media containers, GET /{container-id}
// ?fields=status_code,status, POST /{ig-user-id}/media_publish, GET /{ig-user-id}
// /content_publishing_limit), Pages (POST /{page-id}/feed, POST /{page-id}/photos,
// attached_media), Facebook Login (dialog/oauth, oauth/access_token, fb_exchange_token,
// /me/accounts), Graph API error bodies and codes, and the rate-limit headers X-App-Usage,
// X-Page-Usage and X-Business-Use-Case-Usage.
//
// Every call carries the Page access token in an Authorization: Bearer header (never in a
// URL, so that no error or log can show it). Page tokens obtained from a long-lived user
// token do not expire: a token Meta refuses (code 190) means the account needs
// reconnecting (publish.KindAuth).
package meta

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/publish"
)

// Network names this package serves.
const (
	InstagramNetwork = "instagram"
	FacebookNetwork  = "facebook"
)

// Defaults for the exported base URLs and the Graph API version.
const (
	DefaultGraphURL  = "https://graph.facebook.com"
	DefaultDialogURL = "https://www.facebook.com"
	DefaultVersion   = "v21.0"
)

// maxResponse bounds how much of an answer is read.
const maxResponse = 4 << 20

// graph is one Graph API client: base URL, version, the outbound client, and the network
// its errors are reported for.
type graph struct {
	hc      *http.Client
	base    string // e.g. https://graph.facebook.com
	version string // e.g. v21.0
	network string
	// appSecret, when known, signs every call made with a token (appsecret_proof), as apps
	// with "Require App Secret" demand: a token leaked alone cannot be used.
	appSecret string
}

// withProof returns params with appsecret_proof for token: hex HMAC-SHA256 of the token
// keyed by the app secret.
func (g graph) withProof(token string, params url.Values) url.Values {
	if token == "" || g.appSecret == "" {
		return params
	}
	out := url.Values{}
	for k, v := range params {
		out[k] = v
	}
	out.Set("appsecret_proof", AppSecretProof(g.appSecret, token))
	return out
}

// AppSecretProof is Graph's appsecret_proof for token: hex(HMAC-SHA256(appSecret, token)).
func AppSecretProof(appSecret, token string) string {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write([]byte(token))
	return hex.EncodeToString(m.Sum(nil))
}

func newGraph(hc *http.Client, base, version, network string) graph {
	if base == "" {
		base = DefaultGraphURL
	}
	if version == "" {
		version = DefaultVersion
	}
	return graph{hc: hc, base: strings.TrimRight(base, "/"), version: version, network: network}
}

// apiError is a failed Graph call.
type apiError struct {
	op         string // "POST /{ig-user-id}/media_publish": the route, never ids or tokens
	status     int    // HTTP status; 0 when no answer arrived
	code       int    // Graph error code
	subcode    int
	message    string // Meta's message (user-facing text when Meta gives one), or what went wrong here
	kind       publish.Kind
	retryAfter time.Duration
	// sent: when no answer arrived, whether the request may have reached Meta (false only
	// when the connection could not be opened or the request was refused before sending).
	sent bool
	err  error
}

func (e *apiError) Error() string {
	s := e.op
	if e.status != 0 {
		s += fmt.Sprintf(" answered %d", e.status)
	}
	if e.code != 0 {
		s += fmt.Sprintf(" (code %d", e.code)
		if e.subcode != 0 {
			s += fmt.Sprintf("/%d", e.subcode)
		}
		s += ")"
	}
	if e.message != "" {
		s += ": " + e.message
	}
	return s
}

func (e *apiError) Unwrap() error { return e.err }

// lost reports whether the request may have arrived although no answer came back.
func (e *apiError) lost() bool { return e.status == 0 && e.sent }

// publishError turns any error of this package into the publishing layer's *publish.Error,
// keeping Meta's message (safe to show to staff: it never holds the token).
func publishError(network string, err error) *publish.Error {
	var pe *publish.Error
	if errors.As(err, &pe) {
		return pe
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return &publish.Error{Kind: ae.kind, Network: network, Message: ae.Error(), RetryAfter: ae.retryAfter, Err: err}
	}
	return &publish.Error{Kind: publish.KindRetryable, Network: network, Message: outbound.Cause(err), Err: err}
}

// graphErrorBody is Meta's error answer: {"error":{"message","type","code","error_subcode",
// "error_user_title","error_user_msg","is_transient","fbtrace_id"}}.
type graphErrorBody struct {
	Error *struct {
		Message     string `json:"message"`
		Type        string `json:"type"`
		Code        int    `json:"code"`
		Subcode     int    `json:"error_subcode"`
		UserTitle   string `json:"error_user_title"`
		UserMsg     string `json:"error_user_msg"`
		IsTransient bool   `json:"is_transient"`
		FBTraceID   string `json:"fbtrace_id"`
	} `json:"error"`
}

// Kind of a Graph error by code (developers.facebook.com/docs/graph-api/guides/error-handling,
// .../overview/rate-limiting, Instagram's error codes).
func classify(status, code, subcode int, transient bool) publish.Kind {
	switch {
	case code == 190 || code == 102 || code == 2500 || code == 467:
		// Expired, revoked or invalid token: a person must connect the account again.
		return publish.KindAuth
	case code == 10 || (code >= 200 && code <= 299):
		// A permission the token lacks (pages_manage_posts, instagram_content_publish) or a
		// Page role the person lost: only a new connection granting it can help.
		return publish.KindAuth
	case code == 4 || code == 17 || code == 32 || code == 613 || code == 9 || code == 341 ||
		(code >= 80000 && code <= 80014):
		// Application, user, Page, Instagram and business-use-case rate limits.
		return publish.KindRateLimit
	case code == 1 || code == 2 || transient:
		return publish.KindRetryable
	case code == 9007 || subcode == 2207027:
		// The container is not ready to publish yet.
		return publish.KindRetryable
	case status == http.StatusTooManyRequests:
		return publish.KindRateLimit
	case status == http.StatusUnauthorized:
		return publish.KindAuth
	case status >= 500:
		return publish.KindRetryable
	}
	// Invalid parameters (100), duplicates (506), policy blocks (368), Instagram's media
	// errors (2207xxx subcodes): Meta refused this post.
	return publish.KindPermanent
}

// usage is one entry of X-App-Usage, X-Page-Usage or X-Business-Use-Case-Usage.
type usage struct {
	Type         string  `json:"type"`
	CallCount    float64 `json:"call_count"`
	TotalCPUTime float64 `json:"total_cputime"`
	TotalTime    float64 `json:"total_time"`
	// EstimatedTimeToRegainAccess is in minutes.
	EstimatedTimeToRegainAccess float64 `json:"estimated_time_to_regain_access"`
}

// retryAfter reads how long Meta asks to wait: Retry-After (seconds), else the largest
// estimated_time_to_regain_access (minutes) of X-Business-Use-Case-Usage or X-Page-Usage;
// 0 when Meta does not say (application-level limits free up over a rolling hour).
func retryAfter(h http.Header) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s > 0 {
			return time.Duration(s) * time.Second
		}
	}
	minutes := 0.0
	if v := h.Get("X-Business-Use-Case-Usage"); v != "" {
		var buc map[string][]usage
		if json.Unmarshal([]byte(v), &buc) == nil {
			for _, list := range buc {
				for _, u := range list {
					minutes = math.Max(minutes, u.EstimatedTimeToRegainAccess)
				}
			}
		}
	}
	for _, name := range []string{"X-Page-Usage", "X-App-Usage"} {
		if v := h.Get(name); v != "" {
			var u usage
			if json.Unmarshal([]byte(v), &u) == nil {
				minutes = math.Max(minutes, u.EstimatedTimeToRegainAccess)
			}
		}
	}
	if minutes <= 0 {
		return 0
	}
	return time.Duration(minutes * float64(time.Minute))
}

// exhausted reports whether a usage header says a limit is reached (a percentage ≥ 100),
// for answers that carry no error code of their own (a bare 429).
func exhausted(h http.Header) bool {
	for _, name := range []string{"X-App-Usage", "X-Page-Usage"} {
		var u usage
		if v := h.Get(name); v != "" && json.Unmarshal([]byte(v), &u) == nil &&
			(u.CallCount >= 100 || u.TotalCPUTime >= 100 || u.TotalTime >= 100) {
			return true
		}
	}
	var buc map[string][]usage
	if v := h.Get("X-Business-Use-Case-Usage"); v != "" && json.Unmarshal([]byte(v), &buc) == nil {
		for _, list := range buc {
			for _, u := range list {
				if u.CallCount >= 100 || u.TotalCPUTime >= 100 || u.TotalTime >= 100 || u.EstimatedTimeToRegainAccess > 0 {
					return true
				}
			}
		}
	}
	return false
}

// get calls GET /{version}/{path}?params with token and decodes the answer into out.
func (g graph) get(ctx context.Context, op, path, token string, params url.Values, out any) error {
	params = g.withProof(token, params)
	u := g.base + "/" + g.version + "/" + strings.TrimLeft(path, "/")
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return &apiError{op: op, kind: publish.KindPermanent, message: "bad request", err: err}
	}
	return g.do(req, op, token, out)
}

// post calls POST /{version}/{path} with params as a form body.
func (g graph) post(ctx context.Context, op, path, token string, params url.Values, out any) error {
	params = g.withProof(token, params)
	u := g.base + "/" + g.version + "/" + strings.TrimLeft(path, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(params.Encode()))
	if err != nil {
		return &apiError{op: op, kind: publish.KindPermanent, message: "bad request", err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return g.do(req, op, token, out)
}

// postFile calls POST /{version}/{path} as multipart/form-data with params and the file
// under field "source" (Graph's upload of a photo's bytes).
func (g graph) postFile(ctx context.Context, op, path, token string, params url.Values, name, contentType string, data []byte, out any) error {
	params = g.withProof(token, params)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range params {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{fmt.Sprintf(`form-data; name="source"; filename=%q`, name)}
	h["Content-Type"] = []string{contentType}
	part, err := mw.CreatePart(h)
	if err != nil {
		return &apiError{op: op, kind: publish.KindPermanent, message: "bad request", err: err}
	}
	_, _ = part.Write(data)
	_ = mw.Close()
	u := g.base + "/" + g.version + "/" + strings.TrimLeft(path, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body.Bytes()))
	if err != nil {
		return &apiError{op: op, kind: publish.KindPermanent, message: "bad request", err: err}
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return g.do(req, op, token, out)
}

func (g graph) do(req *http.Request, op, token string, out any) error {
	if g.hc == nil {
		return &apiError{op: op, kind: publish.KindPermanent, message: "no HTTP client"}
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := g.hc.Do(req)
	if err != nil {
		e := &apiError{op: op, kind: publish.KindRetryable, message: outbound.Cause(err), sent: true, err: err}
		var opErr *net.OpError
		if errors.Is(err, outbound.ErrRefused) {
			e.kind, e.sent = publish.KindPermanent, false
		} else if errors.As(err, &opErr) && opErr.Op == "dial" {
			e.sent = false
		}
		return e
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		// The answer started but did not arrive whole: as good as lost.
		return &apiError{op: op, status: 0, kind: publish.KindRetryable, message: "answer cut off: " + outbound.Cause(err), sent: true, err: err}
	}
	if resp.StatusCode >= 400 {
		e := &apiError{op: op, status: resp.StatusCode}
		var eb graphErrorBody
		if json.Unmarshal(body, &eb) == nil && eb.Error != nil {
			e.code, e.subcode = eb.Error.Code, eb.Error.Subcode
			e.message = eb.Error.Message
			if eb.Error.UserMsg != "" {
				e.message = strings.TrimSpace(eb.Error.Message + " — " + eb.Error.UserMsg)
			}
			e.kind = classify(resp.StatusCode, e.code, e.subcode, eb.Error.IsTransient)
		} else {
			e.message = http.StatusText(resp.StatusCode)
			e.kind = classify(resp.StatusCode, 0, 0, false)
		}
		if (e.kind == publish.KindPermanent || e.kind == publish.KindRetryable) && exhausted(resp.Header) {
			// An answer without a rate-limit code while a usage header says 100%.
			e.kind = publish.KindRateLimit
		}
		e.message = outbound.Sanitize(e.message, 400)
		if e.kind == publish.KindRateLimit {
			e.retryAfter = retryAfter(resp.Header)
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return &apiError{op: op, status: resp.StatusCode, kind: publish.KindRetryable, message: "unreadable answer", err: err}
	}
	return nil
}
