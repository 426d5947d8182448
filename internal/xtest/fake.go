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
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
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

// authorize is the consent page as a consenting browser sees it: checks the request,
// records it and redirects back with a code and the state.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	back, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("client_id") != s.ClientID:
		http.Error(w, "Something went wrong: you weren't able to give access to the App.", 400)
		return
	case err != nil || back.Scheme == "" || back.Host == "":
		http.Error(w, "Something went wrong: invalid redirect_uri.", 400)
		return
	case q.Get("response_type") != "code" || q.Get("state") == "" || q.Get("scope") == "" || q.Get("code_challenge") == "":
		http.Error(w, "Something went wrong: response_type=code, scope, state and code_challenge are required.", 400)
		return
	case q.Get("code_challenge_method") != "S256" && q.Get("code_challenge_method") != "plain":
		http.Error(w, "Something went wrong: unsupported code_challenge_method.", 400)
		return
	}
	s.mu.Lock()
	code := s.token("code")
	s.codes[code] = grant{redirect: q.Get("redirect_uri"), scope: q.Get("scope"), challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method")}
	s.auths = append(s.auths, Authorization{ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"), Scope: q.Get("scope"),
		State: q.Get("state"), Challenge: q.Get("code_challenge"), ChallengeMethod: q.Get("code_challenge_method")})
	s.mu.Unlock()
	bq := back.Query()
	bq.Set("state", q.Get("state"))
	bq.Set("code", code)
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func tokenError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func (s *Server) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || id != s.ClientID || secret != s.ClientSecret {
		tokenError(w, 401, "unauthorized_client", "Missing valid authorization header")
		return
	}
	_ = r.ParseForm()
	f := r.PostForm
	s.mu.Lock()
	defer s.mu.Unlock()
	var scope string
	switch f.Get("grant_type") {
	case "authorization_code":
		g, ok := s.codes[f.Get("code")]
		delete(s.codes, f.Get("code")) // single use
		switch {
		case !ok:
			tokenError(w, 400, "invalid_request", "Value passed for the authorization code was invalid.")
			return
		case g.redirect != f.Get("redirect_uri"):
			tokenError(w, 400, "invalid_request", "Value passed for the redirect uri did not match the uri of the authorization code.")
			return
		case !verifies(g, f.Get("code_verifier")):
			tokenError(w, 400, "invalid_request", "Value passed for the code verifier did not match the code challenge.")
			return
		}
		scope = g.scope
	case "refresh_token":
		rt := f.Get("refresh_token")
		sc, ok := s.refresh[rt]
		if !ok {
			tokenError(w, 400, "invalid_request", "Value passed for the token was invalid.")
			return
		}
		delete(s.refresh, rt) // rotates: the old one stops working
		s.used = append(s.used, rt)
		scope = sc
	default:
		tokenError(w, 400, "invalid_request", "Value passed for the grant type was invalid.")
		return
	}
	access := s.token("at")
	s.access[access] = time.Now().Add(s.o.AccessTTL)
	out := map[string]any{"token_type": "bearer", "expires_in": int(s.o.AccessTTL / time.Second), "access_token": access, "scope": scope}
	if strings.Contains(" "+scope+" ", " offline.access ") {
		rt := s.token("rt")
		s.refresh[rt] = scope
		out["refresh_token"] = rt
	}
	writeJSON(w, 200, out)
}

func verifies(g grant, verifier string) bool {
	if verifier == "" {
		return false
	}
	if g.method == "plain" {
		return verifier == g.challenge
	}
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:]) == g.challenge
}

func keyPrefix(category string) string {
	switch category {
	case "tweet_video", "amplify_video":
		return "7_"
	case "tweet_gif":
		return "16_"
	}
	return "3_"
}

// mediaUpload is POST /2/media/upload: the simple upload of an image, or the command form
// (INIT, APPEND, FINALIZE) of the chunked upload.
func (s *Server) mediaUpload(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(64 << 20); err != nil {
		invalid(w, "media", "The media upload must be multipart/form-data.")
		return
	}
	switch cmd := r.FormValue("command"); cmd {
	case "INIT":
		n, _ := strconv.Atoi(r.FormValue("total_bytes"))
		s.initialize(w, r.FormValue("media_type"), n, r.FormValue("media_category"))
		return
	case "APPEND":
		s.appendSegment(w, r, r.FormValue("media_id"))
		return
	case "FINALIZE":
		s.finalize(w, r.FormValue("media_id"))
		return
	case "":
	default:
		invalid(w, "command", "Invalid command.")
		return
	}
	file, hdr, err := r.FormFile("media")
	if err != nil {
		invalid(w, "media", "The media field is required.")
		return
	}
	data, _ := io.ReadAll(file)
	ct := r.FormValue("media_type")
	if ct == "" {
		ct = hdr.Header.Get("Content-Type")
	}
	category := r.FormValue("media_category")
	if category == "" {
		category = "tweet_image"
	}
	switch {
	case !strings.HasPrefix(ct, "image/"):
		invalid(w, "media_type", "The simple upload only takes images: use the chunked upload.")
		return
	case len(data) > 5<<20:
		invalid(w, "media", "File size exceeds 5242880 bytes.")
		return
	}
	s.mu.Lock()
	m := &Media{ID: s.nextID(), Category: category, ContentType: ct, TotalBytes: len(data), Data: data, Segments: 1, Finalized: true, State: "succeeded"}
	m.Key = keyPrefix(category) + m.ID
	s.media[m.ID] = m
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"data": map[string]any{"id": m.ID, "media_key": m.Key, "size": len(data), "expires_after_secs": 86400,
		"image": map[string]any{"image_type": ct}}})
}

func (s *Server) initialize(w http.ResponseWriter, mediaType string, total int, category string) {
	if mediaType == "" || total <= 0 {
		invalid(w, "total_bytes", "media_type and total_bytes are required.")
		return
	}
	s.mu.Lock()
	m := &Media{ID: s.nextID(), Category: category, ContentType: mediaType, TotalBytes: total}
	m.Key = keyPrefix(category) + m.ID
	s.media[m.ID] = m
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"data": map[string]any{"id": m.ID, "media_key": m.Key, "expires_after_secs": 86400}})
}

func (s *Server) appendSegment(w http.ResponseWriter, r *http.Request, id string) {
	if r.MultipartForm == nil {
		if err := r.ParseMultipartForm(64 << 20); err != nil {
			invalid(w, "media", "The append must be multipart/form-data.")
			return
		}
	}
	seg, err := strconv.Atoi(r.FormValue("segment_index"))
	file, _, ferr := r.FormFile("media")
	if err != nil || ferr != nil {
		invalid(w, "segment_index", "segment_index and media are required.")
		return
	}
	data, _ := io.ReadAll(file)
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.media[id]
	switch {
	case !ok:
		invalid(w, "media_id", "Invalid media_id.")
		return
	case m.Finalized || seg != m.Segments:
		invalid(w, "segment_index", "Segment index out of order.")
		return
	case len(data) > 5<<20:
		invalid(w, "media", "Segment size exceeds 5242880 bytes.")
		return
	}
	m.Data = append(m.Data, data...)
	m.Segments++
	writeJSON(w, 200, map[string]any{"data": map[string]any{"expires_at": time.Now().Add(24 * time.Hour).Unix()}})
}

func (s *Server) finalize(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.media[id]
	switch {
	case !ok:
		invalid(w, "media_id", "Invalid media_id.")
		return
	case len(m.Data) != m.TotalBytes:
		invalid(w, "media_id", fmt.Sprintf("Segments do not add up to provided total file size (%d of %d bytes).", len(m.Data), m.TotalBytes))
		return
	}
	m.Finalized = true
	out := map[string]any{"id": m.ID, "media_key": m.Key, "size": m.TotalBytes, "expires_after_secs": 86400}
	async := strings.HasPrefix(m.ContentType, "video/") || m.ContentType == "image/gif"
	if async && (s.o.Processing > 0 || s.o.FailProcessing) {
		m.State = "pending"
		out["processing_info"] = map[string]any{"state": "pending", "check_after_secs": 1}
	} else {
		m.State = "succeeded"
	}
	writeJSON(w, 200, map[string]any{"data": out})
}

func (s *Server) mediaStatus(w http.ResponseWriter, command, id string) {
	if command != "STATUS" {
		invalid(w, "command", "Invalid command.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.media[id]
	if !ok || !m.Finalized {
		invalid(w, "media_id", "Invalid media_id.")
		return
	}
	info := map[string]any{"state": m.State}
	if m.State == "pending" || m.State == "in_progress" {
		m.polls++
		switch {
		case s.o.FailProcessing:
			m.State = "failed"
		case m.polls > s.o.Processing:
			m.State = "succeeded"
		default:
			m.State = "in_progress"
		}
		info["state"] = m.State
		switch m.State {
		case "in_progress":
			info["check_after_secs"] = 1
			info["progress_percent"] = 100 * m.polls / (s.o.Processing + 1)
		case "succeeded":
			info["progress_percent"] = 100
		case "failed":
			info["error"] = map[string]any{"code": 1, "name": "InvalidMedia", "message": "Invalid or Unsupported media, Reason: UnsupportedMedia."}
		}
	}
	writeJSON(w, 200, map[string]any{"data": map[string]any{"id": m.ID, "media_key": m.Key, "processing_info": info}})
}

func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ID       string `json:"id"`
		Metadata struct {
			AltText *struct {
				Text string `json:"text"`
			} `json:"alt_text"`
		} `json:"metadata"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		invalid(w, "id", "Invalid JSON body.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.media[in.ID]
	switch {
	case !ok:
		invalid(w, "id", "Invalid media id.")
		return
	case in.Metadata.AltText == nil:
		invalid(w, "metadata", "No metadata given.")
		return
	case len([]rune(in.Metadata.AltText.Text)) > 1000:
		invalid(w, "metadata.alt_text.text", "Alt text must be at most 1000 characters.")
		return
	case strings.HasPrefix(m.ContentType, "video/"):
		invalid(w, "metadata.alt_text", "Alt text is only supported for images and GIFs.")
		return
	}
	m.Alt = in.Metadata.AltText.Text
	writeJSON(w, 200, map[string]any{"data": map[string]any{"id": m.ID, "associated_metadata": map[string]any{"alt_text": map[string]string{"text": m.Alt}}}})
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
