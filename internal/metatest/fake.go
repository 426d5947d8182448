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
	"bufio"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
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

// dialog plays the person's browser on Facebook Login: already logged in, consenting to
// every scope, sent back to redirect_uri with code and state.
func (s *Server) dialog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != AppID {
		http.Error(w, "Invalid App ID: The provided app ID does not look like a valid app ID.", http.StatusBadRequest)
		return
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || !redirect.IsAbs() {
		http.Error(w, "URL blocked: This redirect failed because the redirect URI is not whitelisted in the app's Client OAuth Settings.", http.StatusBadRequest)
		return
	}
	if q.Get("response_type") != "" && q.Get("response_type") != "code" {
		http.Error(w, "response_type must be code", http.StatusBadRequest)
		return
	}
	code := randomToken("AQD")
	s.mu.Lock()
	s.codes[code] = grant{redirect: q.Get("redirect_uri")}
	s.mu.Unlock()
	back := redirect.Query()
	back.Set("code", code)
	if st := q.Get("state"); st != "" {
		back.Set("state", st)
	}
	redirect.RawQuery = back.Encode()
	redirect.Fragment = "_=_" // Facebook appends this fragment to the redirect
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (s *Server) accessToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != AppID {
		graphError(w, 400, 101, 0, "OAuthException", "Error validating application. Invalid application ID.")
		return
	}
	if q.Get("client_secret") != AppSecret {
		graphError(w, 400, 1, 0, "OAuthException", "Error validating client secret.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if q.Get("grant_type") == "fb_exchange_token" {
		if !s.short[q.Get("fb_exchange_token")] && !s.long[q.Get("fb_exchange_token")] {
			graphError(w, 400, 190, 0, "OAuthException", "Invalid OAuth access token - Cannot parse access token")
			return
		}
		tok := randomToken("EAAGlong")
		s.long[tok] = true
		writeJSON(w, 200, map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": 5183944})
		return
	}
	code := q.Get("code")
	g, ok := s.codes[code]
	if !ok {
		graphError(w, 400, 100, 36009, "OAuthException", "This authorization code has been used.")
		return
	}
	if g.redirect != q.Get("redirect_uri") {
		graphError(w, 400, 100, 36008, "OAuthException", "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request")
		return
	}
	delete(s.codes, code)
	tok := randomToken("EAAGshort")
	s.short[tok] = true
	writeJSON(w, 200, map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": 5400})
}

func (s *Server) accounts(w http.ResponseWriter, r *http.Request) {
	page := func(id, name, token string, tasks []string, ig map[string]any) map[string]any {
		p := map[string]any{"id": id, "name": name, "access_token": token, "tasks": tasks, "category": "Brand"}
		if ig != nil {
			p["instagram_business_account"] = ig
		}
		return p
	}
	all := []map[string]any{
		page(PageID, PageName, PageToken, []string{"ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"},
			map[string]any{"id": IGUserID, "username": IGUsername, "name": "Brand"}),
		page(Page2ID, Page2Name, Page2Token, []string{"ANALYZE", "CREATE_CONTENT", "MODERATE"}, nil),
		page(ReaderPage, "Read-only Page", "EAAGpage-token-reader", []string{"ANALYZE"}, nil),
	}
	// Cursor pagination: limit and after (an index), as Graph's cursors behave.
	limit, _ := strconv.Atoi(r.Form.Get("limit"))
	if limit <= 0 {
		limit = 25
	}
	if s.pageSize > 0 && limit > s.pageSize {
		limit = s.pageSize
	}
	start, _ := strconv.Atoi(r.Form.Get("after"))
	if start > len(all) {
		start = len(all)
	}
	end := min(start+limit, len(all))
	paging := map[string]any{"cursors": map[string]any{"before": strconv.Itoa(start), "after": strconv.Itoa(end)}}
	if end < len(all) {
		next := *r.URL
		q := next.Query()
		q.Set("after", strconv.Itoa(end))
		next.RawQuery = q.Encode()
		paging["next"] = s.URL + next.String()
	}
	writeJSON(w, 200, map[string]any{"data": all[start:end], "paging": paging})
}

func (s *Server) igOwner(w http.ResponseWriter, ig, token string) bool {
	if ig != IGUserID {
		graphError(w, 400, 100, 33, "GraphMethodException", "Unsupported post request. Object with ID '"+ig+"' does not exist, cannot be loaded due to missing permissions, or does not support this operation.")
		return false
	}
	if token != PageToken {
		graphError(w, 403, 10, 0, "OAuthException", "(#10) Application does not have permission for this action")
		return false
	}
	return true
}

func (s *Server) pageOwner(w http.ResponseWriter, page, token string) bool {
	if (page == PageID && token == PageToken) || (page == Page2ID && token == Page2Token) {
		return true
	}
	if page != PageID && page != Page2ID {
		graphError(w, 400, 100, 33, "GraphMethodException", "Unsupported post request. Object with ID '"+page+"' does not exist, cannot be loaded due to missing permissions, or does not support this operation.")
		return false
	}
	graphError(w, 403, 200, 0, "OAuthException", "(#200) If posting to a page, requires both pages_read_engagement and pages_manage_posts as an admin with sufficient administrative permission")
	return false
}

// fetchMedia fetches raw as Meta does and returns its content type, or why it failed.
func (s *Server) fetchMedia(raw string) (string, string) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", "The media URI is not valid."
	}
	resp, err := s.fetch.Get(raw)
	if err != nil {
		return "", "Media download has failed. The media URI doesn't meet our requirements."
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Sprintf("Media download has failed. The media URI answered %d.", resp.StatusCode)
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct == "" || ct == "application/octet-stream" {
		ct = http.DetectContentType(head)
	}
	return ct, ""
}

func (s *Server) createContainer(w http.ResponseWriter, r *http.Request, ig string) {
	f := r.Form
	caption := f.Get("caption")
	if len([]rune(caption)) > 2200 {
		graphError(w, 400, 100, 2207010, "OAuthException", "The caption is too long.")
		return
	}
	c := &container{owner: ig, caption: caption, carouselItem: f.Get("is_carousel_item") == "true"}
	mediaType := strings.ToUpper(f.Get("media_type"))
	switch {
	case mediaType == "CAROUSEL":
		if c.carouselItem {
			graphError(w, 400, 100, 0, "OAuthException", "A carousel cannot be a carousel item.")
			return
		}
		ids := strings.Split(f.Get("children"), ",")
		if f.Get("children") == "" || len(ids) < 2 || len(ids) > 10 {
			graphError(w, 400, 100, 2207028, "OAuthException", "The carousel has too little or too many attachments: between 2 and 10 are accepted.")
			return
		}
		s.mu.Lock()
		for _, id := range ids {
			ch, ok := s.containers[id]
			if !ok || !ch.carouselItem || ch.owner != ig {
				s.mu.Unlock()
				graphError(w, 400, 100, 2207028, "OAuthException", "Carousel validation failed: "+id+" is not a carousel item of this account.")
				return
			}
			if s.statusOf(ch) != "FINISHED" {
				s.mu.Unlock()
				graphError(w, 400, 9007, 2207027, "OAuthException", "Media ID is not available: the carousel item is not ready to be used.")
				return
			}
		}
		s.mu.Unlock()
		c.mediaType, c.children = "CAROUSEL", ids
	case mediaType == "REELS" || mediaType == "VIDEO":
		if mediaType == "VIDEO" && !c.carouselItem {
			graphError(w, 400, 100, 2207023, "OAuthException", "The media type VIDEO is no longer supported: use REELS.")
			return
		}
		if mediaType == "REELS" && c.carouselItem {
			graphError(w, 400, 100, 2207023, "OAuthException", "A carousel item video uses media_type VIDEO.")
			return
		}
		ct, why := s.fetchMedia(f.Get("video_url"))
		if why != "" {
			graphError(w, 400, 9004, 2207052, "OAuthException", why)
			return
		}
		if ct != "video/mp4" && ct != "video/quicktime" {
			graphError(w, 400, 100, 2207026, "OAuthException", "The video format is not supported: "+ct)
			return
		}
		c.mediaType, c.url, c.inProgress = mediaType, f.Get("video_url"), s.videoPolls
	case mediaType == "" || mediaType == "IMAGE":
		if f.Get("image_url") == "" {
			graphError(w, 400, 100, 0, "OAuthException", "(#100) The parameter image_url is required")
			return
		}
		ct, why := s.fetchMedia(f.Get("image_url"))
		if why != "" {
			graphError(w, 400, 9004, 2207052, "OAuthException", why)
			return
		}
		if ct != "image/jpeg" {
			graphError(w, 400, 100, 2207005, "OAuthException", "The image format is not supported: "+ct+" (only JPEG).")
			return
		}
		c.mediaType, c.url = "IMAGE", f.Get("image_url")
	default:
		graphError(w, 400, 100, 2207023, "OAuthException", "The media type "+mediaType+" is unknown.")
		return
	}
	s.mu.Lock()
	c.id = strconv.Itoa(17900000000000000 + s.next())
	if st := s.stick; st != nil {
		c.inProgress, c.final, c.finalStatus = st.inProgress, st.final, st.finalStatus
		if c.final == "" {
			c.inProgress = 1 << 30
		}
		s.stick = nil
	}
	s.containers[c.id] = c
	s.mu.Unlock()
	writeJSON(w, 200, map[string]string{"id": c.id})
}

// statusOf is the container's status code now (s.mu held).
func (s *Server) statusOf(c *container) string {
	switch {
	case c.published:
		return "PUBLISHED"
	case c.polls < c.inProgress:
		return "IN_PROGRESS"
	case c.final != "":
		return c.final
	}
	return "FINISHED"
}

func (s *Server) mediaPublish(w http.ResponseWriter, r *http.Request, ig string) {
	id := r.Form.Get("creation_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.containers[id]
	if !ok || c.owner != ig || c.carouselItem {
		graphError(w, 400, 100, 2207006, "OAuthException", "The media with id "+id+" cannot be found.")
		return
	}
	if s.quotaUsed >= QuotaTotal {
		graphError(w, 400, 9, 2207042, "OAuthException", "Application request limit reached: you reached the maximum number of posts that can be published by the Content Publishing API in 24 hours.")
		return
	}
	switch s.statusOf(c) {
	case "PUBLISHED":
		graphError(w, 400, 100, 2207032, "OAuthException", "This media has already been published.")
		return
	case "IN_PROGRESS":
		graphError(w, 400, 9007, 2207027, "OAuthException", "Media ID is not available: the media is not ready for publishing, please wait for a moment.")
		return
	case "ERROR", "EXPIRED":
		graphError(w, 400, 100, 2207020, "OAuthException", "The media container is not publishable: "+s.statusOf(c))
		return
	}
	c.published = true
	s.quotaUsed++
	mid := strconv.Itoa(17800000000000000 + s.next())
	typ, media := "IMAGE", []string{c.url}
	switch c.mediaType {
	case "REELS":
		typ = "VIDEO"
	case "CAROUSEL":
		typ, media = "CAROUSEL_ALBUM", nil
		for _, ch := range c.children {
			media = append(media, s.containers[ch].url)
		}
	}
	s.posts = append(s.posts, Post{Network: "instagram", ID: mid, Account: ig, Text: c.caption, Type: typ, Media: media,
		Permalink: "https://www.instagram.com/p/C" + mid[len(mid)-8:] + "/", Time: time.Now().UTC()})
	writeJSON(w, 200, map[string]string{"id": mid})
}

func (s *Server) listMedia(w http.ResponseWriter, r *http.Request, ig string) {
	s.mu.Lock()
	var data []map[string]any
	for i := len(s.posts) - 1; i >= 0; i-- {
		p := s.posts[i]
		if p.Network != "instagram" || p.Account != ig {
			continue
		}
		data = append(data, map[string]any{"id": p.ID, "caption": p.Text, "permalink": p.Permalink, "media_type": p.Type,
			"timestamp": p.Time.Format("2006-01-02T15:04:05-0700")})
	}
	s.mu.Unlock()
	if limit, _ := strconv.Atoi(r.Form.Get("limit")); limit > 0 && len(data) > limit {
		data = data[:limit]
	}
	if data == nil {
		data = []map[string]any{}
	}
	writeJSON(w, 200, map[string]any{"data": data})
}

// node answers GET /{id}: a container's status, an Instagram media's permalink, a Page
// post's permalink_url.
func (s *Server) node(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.containers[id]; ok {
		code := s.statusOf(c)
		c.polls++
		status := map[string]string{"IN_PROGRESS": "In Progress", "FINISHED": "Finished", "PUBLISHED": "Published"}[code]
		if code == "ERROR" || code == "EXPIRED" {
			status = c.finalStatus
		}
		writeJSON(w, 200, map[string]string{"id": id, "status_code": code, "status": status})
		return
	}
	for _, p := range s.posts {
		if p.ID == id {
			if p.Network == "instagram" {
				writeJSON(w, 200, map[string]string{"id": id, "permalink": p.Permalink})
			} else {
				writeJSON(w, 200, map[string]string{"id": id, "permalink_url": p.Permalink})
			}
			return
		}
	}
	graphError(w, 400, 100, 33, "GraphMethodException", "Unsupported get request. Object with ID '"+id+"' does not exist, cannot be loaded due to missing permissions, or does not support this operation.")
}

func (s *Server) newPagePost(page, text, link, typ string, media []string) Post {
	n := s.next()
	id := fmt.Sprintf("%s_%d", page, 122000000000000000+n)
	p := Post{Network: "facebook", ID: id, Account: page, Text: text, Link: link, Type: typ, Media: media,
		Permalink: fmt.Sprintf("https://www.facebook.com/%s/posts/%d", page, 122000000000000000+n), Time: time.Now().UTC()}
	s.posts = append(s.posts, p)
	return p
}

func (s *Server) feed(w http.ResponseWriter, r *http.Request, page string) {
	f := r.Form
	message, link := f.Get("message"), f.Get("link")
	var media []string
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; ; i++ {
		v := f.Get(fmt.Sprintf("attached_media[%d]", i))
		if v == "" {
			break
		}
		var am struct {
			MediaFBID string `json:"media_fbid"`
		}
		if err := json.Unmarshal([]byte(v), &am); err != nil || am.MediaFBID == "" {
			graphError(w, 400, 100, 0, "OAuthException", "(#100) param attached_media must be an array of objects with media_fbid")
			return
		}
		ph, ok := s.photos[am.MediaFBID]
		if !ok || ph.page != page || ph.published {
			graphError(w, 400, 100, 0, "OAuthException", "(#100) attached_media: "+am.MediaFBID+" is not an unpublished photo of this Page")
			return
		}
		ph.published = true
		media = append(media, am.MediaFBID)
	}
	if message == "" && link == "" && len(media) == 0 {
		graphError(w, 400, 100, 0, "OAuthException", "(#100) Missing message or attachment")
		return
	}
	typ := "status"
	if len(media) > 0 {
		typ = "album"
	}
	p := s.newPagePost(page, message, link, typ, media)
	writeJSON(w, 200, map[string]string{"id": p.ID})
}

func (s *Server) uploadPhoto(w http.ResponseWriter, r *http.Request, page string) {
	var ct string
	if r.MultipartForm != nil && len(r.MultipartForm.File["source"]) > 0 {
		fh := r.MultipartForm.File["source"][0]
		file, err := fh.Open()
		if err != nil {
			graphError(w, 400, 324, 0, "OAuthException", "(#324) Requires upload file")
			return
		}
		head, _ := io.ReadAll(bufio.NewReader(io.LimitReader(file, 512)))
		_ = file.Close()
		ct = http.DetectContentType(head)
	} else if u := r.Form.Get("url"); u != "" {
		var why string
		if ct, why = s.fetchMedia(u); why != "" {
			graphError(w, 400, 324, 0, "OAuthException", "(#324) "+why)
			return
		}
	} else {
		graphError(w, 400, 324, 0, "OAuthException", "(#324) Requires upload file")
		return
	}
	if !strings.HasPrefix(ct, "image/") {
		graphError(w, 400, 324, 2069019, "OAuthException", "(#324) Missing or invalid image file")
		return
	}
	published := r.Form.Get("published") != "false"
	s.mu.Lock()
	defer s.mu.Unlock()
	id := strconv.Itoa(122100000000000000 + s.next())
	s.photos[id] = &photo{id: id, page: page, contentType: ct, published: published}
	if !published {
		writeJSON(w, 200, map[string]string{"id": id})
		return
	}
	p := s.newPagePost(page, r.Form.Get("caption"), "", "photo", []string{id})
	writeJSON(w, 200, map[string]string{"id": id, "post_id": p.ID})
}
