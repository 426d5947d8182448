// Package mastodontest is a contract fake of the Mastodon API for tests, written from
// Mastodon's API documentation (docs.joinmastodon.org: methods/apps, methods/oauth,
// methods/accounts, methods/instance, methods/media, methods/statuses, api/rate-limits,
// api/guidelines#idempotency). It covers what the real test server (GoToSocial's test rig,
// internal/gtstest) does not: PKCE verification, the Idempotency-Key header (a repeated
// create with the same key for the same account answers the first status), media
// processed asynchronously (202, then 206 while processing, then 200 with its URL), and
// injected answers (429 with Retry-After / X-RateLimit-Reset, 401, 5xx).
package mastodontest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clipperhouse/uax29/v2/graphemes"
)

// Server is a running fake instance.
type Server struct {
	URL string
	// Token is the access token of the seeded account @brand.
	Token string

	mu          sync.Mutex
	maxChars    int
	maxMedia    int
	noV2        bool
	processing  int // GET /api/v1/media/:id answers 206 this many times before 200
	apps        map[string]app
	codes       map[string]grant
	tokens      map[string]string // token → account id
	media       map[string]*attachment
	statuses    []Status
	idempotency map[string]string // token + key → status id
	faults      map[string][]Fault
	calls       map[string]int
	seq         int
}

type app struct{ secret, redirect, scopes string }

type grant struct{ clientID, redirect, challenge, account string }

type attachment struct {
	id, account, description, contentType string
	size                                  int
	polls                                 int
}

// Status is a status the fake holds.
type Status struct {
	ID             string
	Account        string
	Text           string
	MediaIDs       []string
	IdempotencyKey string
}

// Fault is an injected answer.
type Fault struct {
	Status int
	Header http.Header
	Body   string
}

// Options configure a fake.
type Options struct {
	MaxCharacters int  // 0: 500
	MaxMedia      int  // 0: 4
	NoV2Instance  bool // /api/v2/instance answers 404 (an old server)
	// Processing is how many polls of GET /api/v1/media/:id answer 206 before 200; uploads
	// answer 202 when it is above 0.
	Processing int
}

// Account ids of the seeded accounts.
const (
	BrandID    = "109000000000000001"
	BrandName  = "brand"
	BrandToken = "brand-token-0001"
)

// Start starts a fake on loopback, stopped at cleanup.
func Start(t testing.TB, o Options) *Server {
	s := &Server{Token: BrandToken, maxChars: o.MaxCharacters, maxMedia: o.MaxMedia, noV2: o.NoV2Instance, processing: o.Processing,
		apps: map[string]app{}, codes: map[string]grant{}, tokens: map[string]string{BrandToken: BrandID},
		media: map[string]*attachment{}, idempotency: map[string]string{}, faults: map[string][]Fault{}, calls: map[string]int{}}
	if s.maxChars == 0 {
		s.maxChars = 500
	}
	if s.maxMedia == 0 {
		s.maxMedia = 4
	}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Fail makes the next len(f) requests to "METHOD /path" (the route, e.g.
// "POST /api/v1/statuses") answer the given faults, in order.
func (s *Server) Fail(route string, f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[route] = append(s.faults[route], f...)
}

// Statuses returns the statuses created so far.
func (s *Server) Statuses() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Status(nil), s.statuses...)
}

// Calls returns how many requests reached route ("METHOD /path", media ids as ":id").
func (s *Server) Calls(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[route]
}

// Media returns an uploaded attachment's description and content type.
func (s *Server) Media(id string) (description, contentType string, size int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.media[id]
	if !ok {
		return "", "", 0, false
	}
	return a.description, a.contentType, a.size, true
}

func (s *Server) next() string {
	s.seq++
	return strconv.Itoa(110000000000000000 + s.seq)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	route := r.Method + " " + r.URL.Path
	if strings.HasPrefix(r.URL.Path, "/api/v1/media/") {
		route = r.Method + " /api/v1/media/:id"
	}
	s.mu.Lock()
	s.calls[route]++
	if fs := s.faults[route]; len(fs) > 0 {
		f := fs[0]
		s.faults[route] = fs[1:]
		s.mu.Unlock()
		for k, vs := range f.Header {
			w.Header()[k] = vs
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.Status)
		_, _ = io.WriteString(w, f.Body)
		return
	}
	s.mu.Unlock()
	switch route {
	case "POST /api/v1/apps":
		s.createApp(w, r)
	case "GET /oauth/authorize":
		s.authorizePage(w, r)
	case "POST /oauth/authorize":
		s.authorize(w, r)
	case "POST /oauth/token":
		s.token(w, r)
	case "GET /api/v1/accounts/verify_credentials":
		if acct, ok := s.auth(w, r); ok {
			writeJSON(w, 200, map[string]any{"id": acct, "username": BrandName, "acct": BrandName, "display_name": "Brand", "url": s.URL + "/@" + BrandName})
		}
	case "GET /api/v2/instance":
		if s.noV2 {
			fail(w, 404, "Record not found")
			return
		}
		s.instance(w, true)
	case "GET /api/v1/instance":
		s.instance(w, false)
	case "POST /api/v2/media":
		s.upload(w, r)
	case "GET /api/v1/media/:id":
		s.getMedia(w, r)
	case "POST /api/v1/statuses":
		s.createStatus(w, r)
	default:
		fail(w, 404, "Record not found")
	}
}

// auth answers 401 {"error":"The access token is invalid"} for a missing or unknown token.
func (s *Server) auth(w http.ResponseWriter, r *http.Request) (string, bool) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	acct, ok := s.tokens[tok]
	s.mu.Unlock()
	if !ok {
		fail(w, 401, "The access token is invalid")
	}
	return acct, ok
}

func (s *Server) createApp(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	name, redirect := r.PostForm.Get("client_name"), r.PostForm.Get("redirect_uris")
	if name == "" || redirect == "" {
		fail(w, 422, "Validation failed: Application name can't be blank, Redirect URI can't be blank")
		return
	}
	s.mu.Lock()
	id, secret := "cid-"+s.next(), "secret-"+s.next()
	s.apps[id] = app{secret: secret, redirect: redirect, scopes: r.PostForm.Get("scopes")}
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"id": s.next(), "name": name, "redirect_uri": redirect, "client_id": id, "client_secret": secret})
}

// authorizePage is the consent page a signed-in user sees: a form that posts the same
// parameters back.
func (s *Server) authorizePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	a, ok := s.apps[q.Get("client_id")]
	s.mu.Unlock()
	switch {
	case !ok:
		fail(w, 401, "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.")
		return
	case q.Get("redirect_uri") != a.redirect:
		fail(w, 400, "The redirect uri included is not valid.")
		return
	case q.Get("response_type") != "code":
		fail(w, 400, "The authorization server does not support this response type.")
		return
	case q.Get("code_challenge_method") != "" && q.Get("code_challenge_method") != "S256":
		fail(w, 400, "Code challenge method is not supported")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, `<!doctype html><form method="post" action="/oauth/authorize">`)
	for k := range q {
		fmt.Fprintf(w, `<input type="hidden" name="%s" value="%s">`, html.EscapeString(k), html.EscapeString(q.Get(k)))
	}
	fmt.Fprint(w, `<button name="decision" value="approve">Authorize</button><button name="decision" value="deny">Deny</button></form>`)
}

// authorize records the owner's decision and sends the browser back with a code (or
// error=access_denied) and the state.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f := r.PostForm
	back, err := url.Parse(f.Get("redirect_uri"))
	if err != nil {
		fail(w, 400, "The redirect uri included is not valid.")
		return
	}
	q := back.Query()
	if f.Get("decision") != "approve" {
		q.Set("error", "access_denied")
		q.Set("error_description", "The resource owner or authorization server denied the request.")
	} else {
		s.mu.Lock()
		code := "code-" + s.next()
		s.codes[code] = grant{clientID: f.Get("client_id"), redirect: f.Get("redirect_uri"), challenge: f.Get("code_challenge"), account: BrandID}
		s.mu.Unlock()
		q.Set("code", code)
	}
	if st := f.Get("state"); st != "" {
		q.Set("state", st)
	}
	back.RawQuery = q.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f := r.PostForm
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.apps[f.Get("client_id")]
	if !ok || a.secret != f.Get("client_secret") {
		writeJSON(w, 401, map[string]string{"error": "invalid_client", "error_description": "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method."})
		return
	}
	g, ok := s.codes[f.Get("code")]
	delete(s.codes, f.Get("code")) // single use
	invalid := func(why string) {
		writeJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": why})
	}
	switch {
	case f.Get("grant_type") != "authorization_code":
		writeJSON(w, 400, map[string]string{"error": "unsupported_grant_type"})
	case !ok || g.clientID != f.Get("client_id"):
		invalid("The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.")
	case g.redirect != f.Get("redirect_uri"):
		invalid("The redirect uri included is not valid.")
	case g.challenge != "" && challenge(f.Get("code_verifier")) != g.challenge:
		invalid("The code verifier does not match the code challenge.")
	default:
		tok := "tok-" + s.next()
		s.tokens[tok] = g.account
		writeJSON(w, 200, map[string]any{"access_token": tok, "token_type": "Bearer", "scope": a.scopes, "created_at": time.Now().Unix()})
	}
}

func challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func (s *Server) instance(w http.ResponseWriter, v2 bool) {
	cfg := map[string]any{
		"statuses": map[string]any{"max_characters": s.maxChars, "max_media_attachments": s.maxMedia, "characters_reserved_per_url": 23},
		"media_attachments": map[string]any{
			"supported_mime_types": []string{"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4"},
			"image_size_limit":     16777216, "video_size_limit": 103809024,
		},
	}
	out := map[string]any{"version": "4.3.0", "configuration": cfg}
	if v2 {
		out["domain"], out["source_url"] = "fake.test", "https://github.com/mastodon/mastodon"
	} else {
		out["uri"] = "fake.test"
	}
	writeJSON(w, 200, out)
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	acct, ok := s.auth(w, r)
	if !ok {
		return
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		fail(w, 422, "Validation failed: File can't be blank")
		return
	}
	data, _ := io.ReadAll(file)
	ct := hdr.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "image/") && !strings.HasPrefix(ct, "video/") {
		fail(w, 422, "Validation failed: File content type is invalid, File is invalid")
		return
	}
	s.mu.Lock()
	a := &attachment{id: s.next(), account: acct, description: r.FormValue("description"), contentType: ct, size: len(data)}
	s.media[a.id] = a
	processing := s.processing > 0
	s.mu.Unlock()
	if processing {
		writeJSON(w, 202, map[string]any{"id": a.id, "type": "image", "url": nil, "description": a.description})
		return
	}
	writeJSON(w, 200, map[string]any{"id": a.id, "type": "image", "url": s.URL + "/media/" + a.id, "description": a.description})
}

func (s *Server) getMedia(w http.ResponseWriter, r *http.Request) {
	acct, ok := s.auth(w, r)
	if !ok {
		return
	}
	id := strings.TrimPrefix(r.URL.Path, "/api/v1/media/")
	s.mu.Lock()
	a, ok := s.media[id]
	if ok && a.account != acct {
		ok = false
	}
	var done bool
	if ok {
		a.polls++
		done = a.polls > s.processing
	}
	s.mu.Unlock()
	switch {
	case !ok:
		fail(w, 404, "Record not found")
	case !done:
		writeJSON(w, 206, map[string]any{"id": id, "type": "image", "url": nil})
	default:
		writeJSON(w, 200, map[string]any{"id": id, "type": "image", "url": s.URL + "/media/" + id})
	}
}

func (s *Server) createStatus(w http.ResponseWriter, r *http.Request) {
	acct, ok := s.auth(w, r)
	if !ok {
		return
	}
	var in struct {
		Status   string   `json:"status"`
		MediaIDs []string `json:"media_ids"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, 400, "Invalid JSON")
		return
	}
	key := r.Header.Get("Idempotency-Key")
	s.mu.Lock()
	defer s.mu.Unlock()
	if key != "" {
		if id, ok := s.idempotency[acct+"\x00"+key]; ok {
			writeJSON(w, 200, s.statusJSON(id))
			return
		}
	}
	n := 0
	for it := graphemes.FromString(in.Status); it.Next(); {
		n++
	}
	switch {
	case n > s.maxChars:
		fail(w, 422, fmt.Sprintf("Validation failed: Text character limit of %d exceeded", s.maxChars))
		return
	case len(in.MediaIDs) > s.maxMedia:
		fail(w, 422, "Validation failed: Media attachments too many")
		return
	case strings.TrimSpace(in.Status) == "" && len(in.MediaIDs) == 0:
		fail(w, 422, "Validation failed: Text can't be blank")
		return
	}
	for _, id := range in.MediaIDs {
		a, ok := s.media[id]
		if !ok || a.account != acct {
			fail(w, 422, "Validation failed: Media attachments are invalid")
			return
		}
		if s.processing > 0 && a.polls <= s.processing {
			fail(w, 422, "Cannot attach files that have not finished processing. Try again in a moment!")
			return
		}
	}
	st := Status{ID: s.next(), Account: acct, Text: in.Status, MediaIDs: in.MediaIDs, IdempotencyKey: key}
	s.statuses = append(s.statuses, st)
	if key != "" {
		s.idempotency[acct+"\x00"+key] = st.ID
	}
	writeJSON(w, 200, s.statusJSON(st.ID))
}

func (s *Server) statusJSON(id string) map[string]any {
	return map[string]any{"id": id, "uri": s.URL + "/users/" + BrandName + "/statuses/" + id, "url": s.URL + "/@" + BrandName + "/" + id, "visibility": "public"}
}
