// Package xtest is a contract fake of the X API v2 for tests, shared by unit and end-to-end
// tests, written from X's documentation (docs.x.com: OAuth 2.0 Authorization Code Flow with
// PKCE, POST /2/oauth2/token, GET /2/users/me, media upload v2, POST /2/media/metadata,
// POST /2/tweets, rate limits, error responses). X cannot be reached from here and has no
// test server, so the fake answers as the docs say:
//
//   - GET /i/oauth2/authorize behaves as a consenting browser: it records the PKCE challenge
//     and redirects to redirect_uri with code and state.
//   - POST /2/oauth2/token checks HTTP Basic client authentication and the code_verifier
//     against the challenge, issues access tokens lasting two hours and, with offline.access,
//     a refresh token that works once: a used one is refused with invalid_request.
//   - Media: the simple upload (images), the chunked initialize / append / finalize (and the
//     command=INIT|APPEND|FINALIZE form of POST /2/media/upload), STATUS with pending →
//     in_progress → succeeded (or failed), alt text through /2/media/metadata.
//   - POST /2/tweets answers 201 {data:{id,text}}; the same text twice for a user is 403
//     "You are not allowed to create a Tweet with duplicate content.".
//   - Errors are problem+json ({title, detail, type, status}, or {errors:[…]} for invalid
//     requests); every API answer carries x-rate-limit-limit/-remaining/-reset.
//
// Knobs: ExpireAccessTokens (every token answers 401), Fail (injected answers: RateLimited,
// Problem), LoseResponse (the request is processed, then the connection is closed without an
// answer). Inspection: Tweets, Media, UsedRefreshTokens, Authorizations, Calls.
package xtest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The seeded user every authorization and Grant belongs to.
const (
	UserID   = "1600000000000000001"
	Username = "brandhq"
	Name     = "Brand HQ"
)

// Default app credentials (Options can change them).
const (
	DefaultClientID     = "x-client-id"
	DefaultClientSecret = "x-client-secret"
)

// Options configure a fake.
type Options struct {
	ClientID, ClientSecret string        // "": the defaults
	AccessTTL              time.Duration // 0: two hours, as X
	// Processing is how many STATUS reads of a GIF or video answer in_progress before
	// succeeded; 0 finalizes without processing_info.
	Processing int
	// FailProcessing makes every GIF or video end in state failed.
	FailProcessing bool
}

// Server is a running fake.
type Server struct {
	URL          string
	ClientID     string
	ClientSecret string

	mu       sync.Mutex
	o        Options
	codes    map[string]grant
	access   map[string]time.Time // access token → expiry
	refresh  map[string]string    // refresh token → scope, while unused
	used     []string
	auths    []Authorization
	media    map[string]*Media
	tweets   []Tweet
	faults   map[string][]Fault
	lose     map[string]int
	calls    map[string]int
	seq      int
	resetsAt time.Time
}

type grant struct{ redirect, scope, challenge, method string }

// Authorization is a recorded visit to the authorize page.
type Authorization struct {
	ClientID, RedirectURI, Scope, State, Challenge, ChallengeMethod string
}

// Media is an uploaded file.
type Media struct {
	ID, Key, Category, ContentType, Alt string
	TotalBytes                          int
	Data                                []byte
	Segments                            int
	Finalized                           bool
	State                               string // "", pending, in_progress, succeeded, failed
	polls                               int
}

// Tweet is a created post.
type Tweet struct {
	ID, UserID, Text string
	MediaIDs         []string
}

// Fault is an injected answer.
type Fault struct {
	Status int
	Header http.Header
	Body   string
}

// Problem is an X problem+json answer with status, title and detail.
func Problem(status int, title, detail string) Fault {
	b, _ := json.Marshal(map[string]any{"title": title, "detail": detail, "type": "about:blank", "status": status})
	return Fault{Status: status, Header: http.Header{"Content-Type": {"application/problem+json"}}, Body: string(b)}
}

// RateLimited is X's 429 with the rate-limit headers, the window resetting at reset.
func RateLimited(reset time.Time) Fault {
	f := Problem(429, "Too Many Requests", "Too Many Requests")
	f.Header.Set("x-rate-limit-limit", "100")
	f.Header.Set("x-rate-limit-remaining", "0")
	f.Header.Set("x-rate-limit-reset", strconv.FormatInt(reset.Unix(), 10))
	return f
}

// Start starts a fake on loopback, stopped at cleanup.
func Start(t testing.TB, o Options) *Server {
	if o.ClientID == "" {
		o.ClientID = DefaultClientID
	}
	if o.ClientSecret == "" {
		o.ClientSecret = DefaultClientSecret
	}
	if o.AccessTTL == 0 {
		o.AccessTTL = 2 * time.Hour
	}
	s := &Server{ClientID: o.ClientID, ClientSecret: o.ClientSecret, o: o,
		codes: map[string]grant{}, access: map[string]time.Time{}, refresh: map[string]string{},
		media: map[string]*Media{}, faults: map[string][]Fault{}, lose: map[string]int{}, calls: map[string]int{},
		resetsAt: time.Now().Add(15 * time.Minute)}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Grant issues tokens for the seeded user as a finished authorization with scope would
// (a refresh token only with offline.access), with the access token expiring at expires.
func (s *Server) Grant(scope string, expires time.Time) (access, refresh string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	access = s.token("at")
	s.access[access] = expires
	if strings.Contains(" "+scope+" ", " offline.access ") {
		refresh = s.token("rt")
		s.refresh[refresh] = scope
	}
	return access, refresh
}

// ExpireAccessTokens makes every access token issued so far answer 401.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := time.Now().Add(-time.Second)
	for k := range s.access {
		s.access[k] = past
	}
}

// Fail makes the next len(f) requests to route ("POST /2/tweets", media ids as ":id")
// answer the given faults, in order, without doing anything.
func (s *Server) Fail(route string, f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[route] = append(s.faults[route], f...)
}

// LoseResponse makes the next n requests to route be processed as usual, after which the
// connection is closed without an answer ("request sent, response lost").
func (s *Server) LoseResponse(route string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lose[route] += n
}

// Tweets returns the tweets created so far.
func (s *Server) Tweets() []Tweet {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Tweet(nil), s.tweets...)
}

// MediaByID returns a copy of an uploaded file.
func (s *Server) MediaByID(id string) (Media, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.media[id]
	if !ok {
		return Media{}, false
	}
	return *m, true
}

// UsedRefreshTokens returns the refresh tokens spent so far, in order.
func (s *Server) UsedRefreshTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.used...)
}

// Authorizations returns the visits to the authorize page.
func (s *Server) Authorizations() []Authorization {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Authorization(nil), s.auths...)
}

// Calls returns how many requests reached route.
func (s *Server) Calls(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[route]
}

func (s *Server) token(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

func (s *Server) nextID() string {
	s.seq++
	return strconv.FormatInt(1870000000000000000+int64(s.seq), 10)
}

func route(r *http.Request) string {
	p := r.URL.Path
	if rest, ok := strings.CutPrefix(p, "/2/media/upload/"); ok && rest != "initialize" {
		if _, op, ok := strings.Cut(rest, "/"); ok {
			return r.Method + " /2/media/upload/:id/" + op
		}
	}
	return r.Method + " " + p
}

// discard is a ResponseWriter whose answer is never sent (LoseResponse).
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rt := route(r)
	s.mu.Lock()
	s.calls[rt]++
	var fault *Fault
	if fs := s.faults[rt]; len(fs) > 0 {
		fault = &fs[0]
		s.faults[rt] = fs[1:]
	}
	lose := s.lose[rt] > 0
	if lose {
		s.lose[rt]--
	}
	s.mu.Unlock()
	if fault != nil {
		for k, vs := range fault.Header {
			w.Header()[k] = vs
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(fault.Status)
		_, _ = io.WriteString(w, fault.Body)
		return
	}
	out := w
	if lose {
		out = &discard{h: http.Header{}}
	}
	s.handle(out, r, rt)
	if lose {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
			}
		}
	}
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request, rt string) {
	switch rt {
	case "GET /i/oauth2/authorize":
		s.authorize(w, r)
		return
	case "POST /2/oauth2/token":
		s.tokenEndpoint(w, r)
		return
	}
	s.rateHeaders(w, rt)
	if !s.authorized(w, r) {
		return
	}
	switch rt {
	case "GET /2/users/me":
		writeJSON(w, 200, map[string]any{"data": map[string]string{"id": UserID, "name": Name, "username": Username}})
	case "POST /2/media/upload":
		s.mediaUpload(w, r)
	case "GET /2/media/upload":
		s.mediaStatus(w, r.URL.Query().Get("command"), r.URL.Query().Get("media_id"))
	case "POST /2/media/upload/initialize":
		var in struct {
			MediaType     string `json:"media_type"`
			TotalBytes    int    `json:"total_bytes"`
			MediaCategory string `json:"media_category"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			invalid(w, "media_type", "Invalid JSON body.")
			return
		}
		s.initialize(w, in.MediaType, in.TotalBytes, in.MediaCategory)
	case "POST /2/media/upload/:id/append":
		s.appendSegment(w, r, mediaIDFromPath(r.URL.Path))
	case "POST /2/media/upload/:id/finalize":
		s.finalize(w, mediaIDFromPath(r.URL.Path))
	case "POST /2/media/metadata":
		s.metadata(w, r)
	case "POST /2/tweets":
		s.createTweet(w, r)
	default:
		writeProblem(w, 404, "Not Found Error", "Sorry, that page does not exist.")
	}
}

func mediaIDFromPath(p string) string {
	rest := strings.TrimPrefix(p, "/2/media/upload/")
	id, _, _ := strings.Cut(rest, "/")
	return id
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeProblem(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"title": title, "detail": detail, "type": "about:blank", "status": status})
}

// invalid is X's 400 for a bad parameter.
func invalid(w http.ResponseWriter, param, msg string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(400)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"parameters": map[string]any{param: []string{}}, "message": msg}},
		"title":  "Invalid Request", "detail": "One or more parameters to your request was invalid.",
		"type": "https://api.twitter.com/2/problems/invalid-request",
	})
}

func (s *Server) rateHeaders(w http.ResponseWriter, rt string) {
	s.mu.Lock()
	n := s.calls[rt]
	reset := s.resetsAt
	s.mu.Unlock()
	w.Header().Set("x-rate-limit-limit", "100")
	w.Header().Set("x-rate-limit-remaining", strconv.Itoa(max(100-n, 0)))
	w.Header().Set("x-rate-limit-reset", strconv.FormatInt(reset.Unix(), 10))
}

// authorized answers 401 (problem+json) for a missing, unknown or expired bearer token.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	exp, ok := s.access[tok]
	s.mu.Unlock()
	if !ok || !time.Now().Before(exp) {
		writeProblem(w, 401, "Unauthorized", "Unauthorized")
		return false
	}
	return true
}

func (s *Server) createTweet(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Text  string `json:"text"`
		Media *struct {
			MediaIDs []string `json:"media_ids"`
		} `json:"media"`
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&in); err != nil {
		invalid(w, "text", "Invalid JSON body.")
		return
	}
	var ids []string
	if in.Media != nil {
		ids = in.Media.MediaIDs
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.TrimSpace(in.Text) == "" && len(ids) == 0 {
		invalid(w, "text", "Post text or media is required.")
		return
	}
	if len(ids) > 4 {
		invalid(w, "media.media_ids", "Your media IDs are invalid: at most 4.")
		return
	}
	for _, id := range ids {
		m, ok := s.media[id]
		if !ok || !m.Finalized || m.State != "succeeded" {
			invalid(w, "media.media_ids", "Your media IDs are invalid.")
			return
		}
		if (strings.HasPrefix(m.ContentType, "video/") || m.ContentType == "image/gif") && len(ids) > 1 {
			invalid(w, "media.media_ids", "Your media IDs are invalid: a GIF or video must be alone.")
			return
		}
	}
	for _, t := range s.tweets {
		if t.UserID == UserID && t.Text == in.Text && in.Text != "" {
			writeProblem(w, 403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.")
			return
		}
	}
	t := Tweet{ID: s.nextID(), UserID: UserID, Text: in.Text, MediaIDs: ids}
	s.tweets = append(s.tweets, t)
	writeJSON(w, 201, map[string]any{"data": map[string]any{"id": t.ID, "text": t.Text, "edit_history_tweet_ids": []string{t.ID}}})
}
