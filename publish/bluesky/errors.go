package bluesky

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Kind says what a caller may do about a failed call.
type Kind int

const (
	// KindRetryable: a 5xx answer or a network failure. The same call may succeed later;
	// for a create, retry only through Client.Create, whose record key makes it idempotent.
	KindRetryable Kind = iota
	// KindRateLimit: the PDS answered 429. Wait Error.RetryAfter (on a durable timer), then
	// retry.
	KindRateLimit
	// KindAuth: the credentials no longer work, even after one session refresh. The account
	// needs reconnecting; retrying cannot help.
	KindAuth
	// KindPermanent: the PDS refused the request itself (400 InvalidRequest and the like),
	// or the input broke a network rule before it was sent. Retrying cannot help.
	KindPermanent
)

func (k Kind) String() string {
	switch k {
	case KindRetryable:
		return "retryable"
	case KindRateLimit:
		return "rate_limited"
	case KindAuth:
		return "auth"
	case KindPermanent:
		return "permanent"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is every failure this package returns from a call to the PDS.
type Error struct {
	Kind       Kind
	Method     string        // XRPC method, e.g. "com.atproto.repo.createRecord"
	Status     int           // HTTP status; 0 when no answer arrived
	Code       string        // XRPC error name from the body, e.g. "InvalidRequest", "ExpiredToken"
	Message    string        // the PDS's message, or what went wrong locally
	RetryAfter time.Duration // for KindRateLimit: how long to wait (0 when the PDS did not say)
	Err        error         // the underlying transport error, if any
}

func (e *Error) Error() string {
	s := "bluesky " + e.Method + ": " + e.Kind.String()
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d", e.Status)
		if e.Code != "" {
			s += " " + e.Code
		}
		s += ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Kind == KindRateLimit && e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of err: an *Error's own kind, KindRetryable for anything else
// (a context deadline, a transport failure not yet wrapped).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindRetryable
}

// RetryAfter reports whether err is a rate limit and, if so, how long the PDS asked to wait.
func RetryAfter(err error) (time.Duration, bool) {
	var e *Error
	if errors.As(err, &e) && e.Kind == KindRateLimit {
		return e.RetryAfter, true
	}
	return 0, false
}

// authCodes are the XRPC error names the PDS uses for an access token it will not accept.
var authCodes = map[string]bool{
	"ExpiredToken":           true,
	"InvalidToken":           true,
	"AuthMissing":            true,
	"AuthenticationRequired": true,
	"AuthRequired":           true,
}

// isAuthFailure reports whether an answer means "this token is not good", which a session
// refresh may fix.
func isAuthFailure(status int, code string) bool {
	return status == http.StatusUnauthorized || authCodes[code]
}

// classify turns a non-2xx answer into an *Error.
func classify(method string, resp *http.Response, code, message string, now time.Time) *Error {
	e := &Error{Method: method, Status: resp.StatusCode, Code: code, Message: message}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || code == "RateLimitExceeded":
		e.Kind = KindRateLimit
		e.RetryAfter = retryAfter(resp.Header, now)
	case isAuthFailure(resp.StatusCode, code):
		e.Kind = KindAuth
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		e.Kind = KindRetryable
	default:
		e.Kind = KindPermanent
	}
	return e
}

// retryAfter reads how long to wait from Retry-After (seconds or an HTTP date) or, failing
// that, from the atproto rate-limit headers (ratelimit-reset: Unix seconds when the window
// resets). Never negative.
func retryAfter(h http.Header, now time.Time) time.Duration {
	var d time.Duration
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(v); err == nil {
			d = time.Duration(s) * time.Second
		} else if t, err := http.ParseTime(v); err == nil {
			d = t.Sub(now)
		}
	} else if v := h.Get("RateLimit-Reset"); v != "" {
		if s, err := strconv.ParseInt(v, 10, 64); err == nil {
			d = time.Unix(s, 0).Sub(now)
		}
	}
	if d < 0 {
		d = 0
	}
	return d
}
