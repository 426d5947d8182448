// Package faultproxy puts a fault-injecting reverse proxy in front of a real server in tests
// (a Bluesky PDS, a Mastodon instance): every request passes through unchanged unless a
// rule spoils it, once or a given number of times, the way networks fail in production:
// the answer lost after the server acted, a rate limit, a server error, an expired token.
package faultproxy

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fault is what a rule does to a request it matches.
type Fault int

const (
	// DropResponse forwards the request to the server, waits for its whole answer, then
	// closes the connection without answering: the server acted, the caller cannot know.
	DropResponse Fault = iota
	// RateLimit answers 429 with the rate-limit headers the atproto PDS sends
	// (RateLimit-Limit, -Remaining: 0, -Reset: Unix seconds, -Policy) when Rule.ResetIn is
	// set, Retry-After (seconds) when Rule.RetryAfter is set, and the PDS's body
	// {"error":"RateLimitExceeded"}. The server never sees the request.
	RateLimit
	// ServerError answers Rule.Status (default 503) without forwarding.
	ServerError
	// ExpiredToken answers as the PDS does for an expired access token: 400
	// {"error":"ExpiredToken","message":"Token has expired"} (Rule.Message replaces the
	// message: the PDS says "Token has been revoked" for a refused refresh token). The
	// server never sees the request.
	ExpiredToken
)

func (f Fault) String() string {
	switch f {
	case DropResponse:
		return "drop response"
	case RateLimit:
		return "rate limit"
	case ServerError:
		return "server error"
	case ExpiredToken:
		return "expired token"
	}
	return "fault(" + strconv.Itoa(int(f)) + ")"
}

// Rule spoils the requests to one XRPC method or path.
type Rule struct {
	// Match is an XRPC method ("com.atproto.repo.createRecord": the path /xrpc/<method>) or
	// a path starting with "/" ("/api/v1/statuses").
	Match string
	Fault Fault
	// Times is how many matching requests are spoiled (0: once; negative: all of them).
	Times int
	// RetryAfter, for RateLimit, is sent as Retry-After in whole seconds (0: no header).
	RetryAfter time.Duration
	// ResetIn, for RateLimit, sends the RateLimit-* headers with the window resetting this
	// long from now (0: no such headers).
	ResetIn time.Duration
	// Status, for ServerError (default 503).
	Status int
	// Message, for ExpiredToken.
	Message string
}

func (r Rule) path() string {
	if strings.HasPrefix(r.Match, "/") {
		return r.Match
	}
	return "/xrpc/" + r.Match
}

type rule struct {
	Rule
	left int // < 0: forever
}

// Proxy is a running fault-injecting proxy.
type Proxy struct {
	// URL is the proxy's base URL: give it to the code under test instead of the server's.
	URL string

	forward http.Handler
	mu      sync.Mutex
	rules   []*rule
	seen    map[string]int // requests that arrived, by path
	passed  map[string]int // requests the server received, by path
	spoiled map[string]int
}

// New starts a proxy in front of target (a base URL) and closes it at the test's cleanup.
func New(t testing.TB, target string) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		t.Fatalf("faultproxy: target %q is not a base URL", target)
	}
	p := &Proxy{forward: httputil.NewSingleHostReverseProxy(u),
		seen: map[string]int{}, passed: map[string]int{}, spoiled: map[string]int{}}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Inject adds rules; they apply in the order given, each to the next requests it matches
// until it has spoiled Times of them.
func (p *Proxy) Inject(rules ...Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range rules {
		left := r.Times
		if left == 0 {
			left = 1
		}
		p.rules = append(p.rules, &rule{Rule: r, left: left})
	}
}

// Clear removes the rules that have not run out.
func (p *Proxy) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = nil
}

// Seen returns how many requests to match (an XRPC method or a path) arrived at the proxy.
func (p *Proxy) Seen(match string) int { return p.count(p.seen, match) }

// Passed returns how many requests to match reached the server (DropResponse counts: the
// server received it).
func (p *Proxy) Passed(match string) int { return p.count(p.passed, match) }

// Spoiled returns how many requests to match a rule spoiled.
func (p *Proxy) Spoiled(match string) int { return p.count(p.spoiled, match) }

func (p *Proxy) count(m map[string]int, match string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return m[Rule{Match: match}.path()]
}

// take returns the first live rule for path and uses one of its times.
func (p *Proxy) take(path string) *Rule {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen[path]++
	for i, r := range p.rules {
		if r.path() != path || r.left == 0 {
			continue
		}
		if r.left > 0 {
			r.left--
		}
		if r.left == 0 {
			p.rules = append(p.rules[:i:i], p.rules[i+1:]...)
		}
		p.spoiled[path]++
		if r.Fault == DropResponse {
			p.passed[path]++
		}
		return &r.Rule
	}
	p.passed[path]++
	return nil
}

// ServeHTTP forwards the request or spoils it.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r := p.take(req.URL.Path)
	if r == nil {
		p.forward.ServeHTTP(w, req)
		return
	}
	switch r.Fault {
	case DropResponse:
		p.forward.ServeHTTP(httptest.NewRecorder(), req)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(fmt.Sprintf("faultproxy: cannot drop the connection: %v", err))
		}
		conn.Close()
	case RateLimit:
		h := w.Header()
		if r.ResetIn > 0 {
			const limit = 30
			h.Set("RateLimit-Limit", strconv.Itoa(limit))
			h.Set("RateLimit-Remaining", "0")
			h.Set("RateLimit-Reset", strconv.FormatInt(time.Now().Add(r.ResetIn).Unix(), 10))
			h.Set("RateLimit-Policy", fmt.Sprintf("%d;w=%d", limit, int(r.ResetIn.Seconds())))
		}
		if r.RetryAfter > 0 {
			h.Set("Retry-After", strconv.Itoa(int(r.RetryAfter.Seconds())))
		}
		writeJSON(w, http.StatusTooManyRequests, "RateLimitExceeded", "Rate Limit Exceeded")
	case ServerError:
		status := r.Status
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		writeJSON(w, status, "InternalServerError", "Internal Server Error")
	case ExpiredToken:
		msg := r.Message
		if msg == "" {
			msg = "Token has expired"
		}
		writeJSON(w, http.StatusBadRequest, "ExpiredToken", msg)
	}
}

func writeJSON(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"error":%q,"message":%q}`, code, message)
}
