// Package metatest is a contract fake of Meta's Graph API and Facebook Login for tests,
// written from Meta's documentation (Facebook Login's manual flow, long-lived tokens,
// Page access tokens; Instagram content publishing: containers, container status,
// media_publish, content_publishing_limit; Pages feed and photos with attached_media; Graph
// API error handling and rate limiting). Paths carry the version prefix (/v21.0/…),
// errors are Graph error bodies {"error":{"message","type","code","error_subcode",
// "fbtrace_id"}}, and answers carry X-App-Usage. One server plays both hosts: the dialog
// (www.facebook.com) and the Graph API (graph.facebook.com).
//
// Like Meta, it fetches image_url and video_url itself (through Options.Fetch, which may
// reach the test's loopback servers). Knobs: Fail (injected answers, including "processed,
// then the connection dropped"), ExpireToken (code 190), StickNextContainer (IN_PROGRESS,
// then ERROR), SetQuotaUsage, Options.RequireAppSecretProof; inspection: Posts, Calls.
package metatest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// The seeded Meta app, person, Pages and Instagram account.
const (
	AppID     = "1029384756"
	AppSecret = "meta-app-secret-0001"
	UserID    = "10160000000000001"

	PageID      = "101000000000001"
	PageName    = "Brand Page"
	PageToken   = "EAAGpage-token-brand"
	IGUserID    = "17841400000000001"
	IGUsername  = "brand"
	Page2ID     = "101000000000002"
	Page2Name   = "Side Page" // no Instagram account linked
	Page2Token  = "EAAGpage-token-side"
	ReaderPage  = "101000000000003" // the person may only analyse it (no CREATE_CONTENT)
	QuotaTotal  = 100
	QuotaWindow = 86400
)

// Fault is an injected answer for one request of a route.
type Fault struct {
	Status int
	Header http.Header
	Body   string
	// Drop processes the request normally (a create happens) and then closes the
	// connection without answering: "request sent, response lost".
	Drop bool
}

// Options configure a fake.
type Options struct {
	Version string // default "v21.0"
	// Fetch is the client the fake fetches image_url / video_url with, as Meta does
	// (default: a plain client with a 10 s timeout, which may reach loopback).
	Fetch *http.Client
	// VideoPolls is how many status reads of a video container answer IN_PROGRESS
	// before FINISHED (default 1).
	VideoPolls int
	// AccountsPageSize caps how many Pages one answer of /me/accounts holds (default 25, as
	// Graph's default page size), so that tests see the cursors followed.
	AccountsPageSize int
	// RequireAppSecretProof answers every call made with a token but without a valid
	// appsecret_proof with an error, as an app with "Require App Secret" does (a wrong
	// proof is refused either way).
	RequireAppSecretProof bool
}

// Post is something the fake published: an Instagram media or a Facebook Page post.
type Post struct {
	Network   string // "instagram" or "facebook"
	ID        string
	Account   string // IG user id or Page id
	Text      string // caption or message
	Link      string // Facebook link
	Type      string // IMAGE, VIDEO (Reel), CAROUSEL_ALBUM; Facebook: status, photo, album
	Media     []string
	Permalink string
	Time      time.Time
}

type container struct {
	id, owner, mediaType, caption, url string
	carouselItem                       bool
	children                           []string
	polls, inProgress                  int
	final, finalStatus                 string
	published                          bool
	errStatus                          string
}

type photo struct {
	id, page, contentType string
	published             bool
}

type grant struct{ redirect string }

// Server is a running fake.
type Server struct {
	URL     string
	Version string

	fetch      *http.Client
	videoPolls int
	pageSize   int
	needProof  bool

	mu         sync.Mutex
	codes      map[string]grant
	short      map[string]bool // short-lived user tokens
	long       map[string]bool // long-lived user tokens
	expired    map[string]bool
	containers map[string]*container
	photos     map[string]*photo
	posts      []Post
	faults     map[string][]Fault
	calls      map[string]int
	quotaUsed  int
	stick      *container
	seq        int
}

// Start starts a fake on loopback, stopped at cleanup.
func Start(t testing.TB, o Options) *Server {
	s := &Server{Version: o.Version, fetch: o.Fetch, videoPolls: o.VideoPolls, pageSize: o.AccountsPageSize, needProof: o.RequireAppSecretProof,
		codes: map[string]grant{}, short: map[string]bool{}, long: map[string]bool{}, expired: map[string]bool{},
		containers: map[string]*container{}, photos: map[string]*photo{}, faults: map[string][]Fault{}, calls: map[string]int{}}
	if s.Version == "" {
		s.Version = "v21.0"
	}
	if s.fetch == nil {
		s.fetch = &http.Client{Timeout: 10 * time.Second}
	}
	if s.videoPolls == 0 {
		s.videoPolls = 1
	}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Fail makes the next len(f) requests to route answer the given faults, in order. Routes
// are named as in Meta's docs: "GET /dialog/oauth", "GET /oauth/access_token",
// "GET /me/accounts", "POST /{ig-user-id}/media", "GET /{container-id}" (any GET of a node
// by id), "POST /{ig-user-id}/media_publish", "GET /{ig-user-id}/content_publishing_limit",
// "GET /{ig-user-id}/media", "POST /{page-id}/feed", "POST /{page-id}/photos".
func (s *Server) Fail(route string, f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[route] = append(s.faults[route], f...)
}

// ExpireToken makes token answer code 190 (expired) from now on.
func (s *Server) ExpireToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expired[token] = true
}

// StickNextContainer makes the next container created answer IN_PROGRESS for polls status
// reads, then final ("ERROR" or "EXPIRED") with status as its status text; final "" keeps
// it IN_PROGRESS for ever.
func (s *Server) StickNextContainer(polls int, final, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stick = &container{inProgress: polls, final: final, finalStatus: status}
}

// SetQuotaUsage sets how many posts the Instagram account has published through the API
// in the current window (QuotaTotal: the limit is reached).
func (s *Server) SetQuotaUsage(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quotaUsed = n
}

// Posts returns what was published, oldest first.
func (s *Server) Posts() []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Post(nil), s.posts...)
}

// Calls returns how many requests reached route (see Fail).
func (s *Server) Calls(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[route]
}

// GraphError is a Graph API error body.
func GraphError(code, subcode int, typ, message string) string {
	e := map[string]any{"message": message, "type": typ, "code": code, "fbtrace_id": "AbCdEfGhIjK"}
	if subcode != 0 {
		e["error_subcode"] = subcode
	}
	if code == 1 || code == 2 {
		e["is_transient"] = true
	}
	b, _ := json.Marshal(map[string]any{"error": e})
	return string(b)
}

func (s *Server) next() int {
	s.seq++
	return s.seq
}

func randomToken(prefix string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("X-App-Usage", `{"call_count":1,"total_cputime":1,"total_time":1}`)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func graphError(w http.ResponseWriter, status, code, subcode int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	if code == 190 {
		w.Header().Set("WWW-Authenticate", `OAuth "Facebook Platform" "invalid_token" "`+msg+`"`)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, GraphError(code, subcode, typ, msg))
}

// route names the request as the docs do, and returns the path's segments after the version.
func (s *Server) route(r *http.Request) (string, []string) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/"+s.Version+"/")
	if !ok {
		return "", nil
	}
	seg := strings.Split(strings.Trim(rest, "/"), "/")
	switch {
	case len(seg) == 2 && seg[0] == "dialog" && seg[1] == "oauth":
		return r.Method + " /dialog/oauth", seg
	case len(seg) == 2 && seg[0] == "oauth" && seg[1] == "access_token":
		return r.Method + " /oauth/access_token", seg
	case len(seg) == 2 && seg[0] == "me" && seg[1] == "accounts":
		return r.Method + " /me/accounts", seg
	case len(seg) == 1:
		return r.Method + " /{container-id}", seg
	case len(seg) == 2 && (seg[1] == "media" || seg[1] == "media_publish" || seg[1] == "content_publishing_limit"):
		return r.Method + " /{ig-user-id}/" + seg[1], seg
	case len(seg) == 2 && (seg[1] == "feed" || seg[1] == "photos"):
		return r.Method + " /{page-id}/" + seg[1], seg
	}
	return r.Method + " " + r.URL.Path, seg
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	route, seg := s.route(r)
	if route == "" {
		graphError(w, 400, 2500, 0, "OAuthException", "Unknown path components: "+r.URL.Path)
		return
	}
	s.mu.Lock()
	s.calls[route]++
	var fault *Fault
	if fs := s.faults[route]; len(fs) > 0 {
		fault = &fs[0]
		s.faults[route] = fs[1:]
	}
	s.mu.Unlock()
	if fault != nil && !fault.Drop {
		for k, vs := range fault.Header {
			w.Header()[k] = vs
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(fault.Status)
		_, _ = io.WriteString(w, fault.Body)
		return
	}
	if fault != nil && fault.Drop {
		// Process the request, then drop the connection before any answer.
		rec := httptest.NewRecorder()
		s.handle(rec, r, route, seg)
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("metatest: cannot hijack the connection")
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			_ = conn.Close()
		}
		return
	}
	s.handle(w, r, route, seg)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request, route string, seg []string) {
	if route == "GET /dialog/oauth" {
		s.dialog(w, r)
		return
	}
	if route == "GET /oauth/access_token" {
		s.accessToken(w, r)
		return
	}
	if err := r.ParseMultipartForm(32 << 20); err != nil && err != http.ErrNotMultipart {
		graphError(w, 400, 100, 0, "OAuthException", "Invalid request body")
		return
	}
	token := r.Form.Get("access_token")
	if h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		token = h
	}
	if proof := r.Form.Get("appsecret_proof"); token != "" && (proof != "" || s.needProof) {
		m := hmac.New(sha256.New, []byte(AppSecret))
		m.Write([]byte(token))
		if proof == "" {
			graphError(w, 400, 100, 0, "GraphMethodException", "API calls from the server require an appsecret_proof argument")
			return
		}
		if !hmac.Equal([]byte(proof), []byte(hex.EncodeToString(m.Sum(nil)))) {
			graphError(w, 400, 100, 0, "GraphMethodException", "Invalid appsecret_proof provided in the API argument")
			return
		}
	}
	s.mu.Lock()
	expired := s.expired[token]
	user := s.short[token] || s.long[token]
	s.mu.Unlock()
	switch {
	case token == "":
		graphError(w, 400, 2500, 0, "OAuthException", "An active access token must be used to query information about the current user.")
		return
	case expired:
		graphError(w, 400, 190, 463, "OAuthException", "Error validating access token: Session has expired on Sunday, 22-Nov-26 08:00:00 PST. The current time is Sunday, 22-Nov-26 09:00:00 PST.")
		return
	case !user && token != PageToken && token != Page2Token:
		graphError(w, 400, 190, 0, "OAuthException", "Invalid OAuth access token - Cannot parse access token")
		return
	}
	switch route {
	case "GET /me/accounts":
		if !user {
			graphError(w, 400, 100, 0, "OAuthException", "(#100) Tried accessing nonexisting field (accounts) on node type (Page)")
			return
		}
		s.accounts(w, r)
	case "POST /{ig-user-id}/media":
		if s.igOwner(w, seg[0], token) {
			s.createContainer(w, r, seg[0])
		}
	case "POST /{ig-user-id}/media_publish":
		if s.igOwner(w, seg[0], token) {
			s.mediaPublish(w, r, seg[0])
		}
	case "GET /{ig-user-id}/content_publishing_limit":
		if s.igOwner(w, seg[0], token) {
			s.mu.Lock()
			used := s.quotaUsed
			s.mu.Unlock()
			writeJSON(w, 200, map[string]any{"data": []any{map[string]any{"quota_usage": used,
				"config": map[string]any{"quota_total": QuotaTotal, "quota_duration": QuotaWindow}}}})
		}
	case "GET /{ig-user-id}/media":
		if s.igOwner(w, seg[0], token) {
			s.listMedia(w, r, seg[0])
		}
	case "POST /{page-id}/feed":
		if s.pageOwner(w, seg[0], token) {
			s.feed(w, r, seg[0])
		}
	case "POST /{page-id}/photos":
		if s.pageOwner(w, seg[0], token) {
			s.uploadPhoto(w, r, seg[0])
		}
	case "GET /{container-id}":
		s.node(w, r, seg[0])
	default:
		graphError(w, 400, 100, 0, "OAuthException", "Unsupported "+r.Method+" request.")
	}
}
