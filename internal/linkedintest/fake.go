// Package linkedintest is a contract fake of LinkedIn's APIs for tests (unit and e2e),
// written from LinkedIn's documentation on Microsoft Learn: the OAuth 2.0 authorization
// code flow (www.linkedin.com/oauth/v2/authorization and /oauth/v2/accessToken, 60-day
// access tokens, 365-day refresh tokens for partner apps only), Sign In with LinkedIn
// using OpenID Connect (GET /v2/userinfo), Organization Access Control (GET
// /rest/organizationAcls?q=roleAssignee) and Organization Lookup (GET
// /rest/organizations/{id}), the Images API (POST /rest/images?action=initializeUpload, a
// PUT of the bytes to the upload URL, GET /rest/images/{urn}), the Videos API
// (initializeUpload with the size, a PUT per 4 MB part answering an ETag, finalizeUpload
// with the ETags in order, GET /rest/videos/{urn}), and the Posts API (POST
// /rest/posts answering 201 with the post's URN in x-restli-id), with the versioning rules
// (a LinkedIn-Version header on every /rest call: missing → 400 VERSION_MISSING, retired →
// 426 NONEXISTENT_VERSION), the "little" text format of commentary (an unescaped reserved
// character cuts the text there, as LinkedIn does) and LinkedIn's error bodies
// {"status","serviceErrorCode","code","message"}.
//
// Knobs: expire or revoke every access token (401), inject answers on a route (429, 5xx,
// …), lose the answer of a request after processing it, move the fake's clock.
package linkedintest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Defaults of a fake.
const (
	ClientID     = "86li-client-id"
	ClientSecret = "li-client-secret"
	MemberSub    = "yrZCpj2ZYQ"
	MemberName   = "Ana Martin"
	// Token lifetimes, as LinkedIn documents them.
	AccessTTL  = 60 * 24 * time.Hour
	RefreshTTL = 365 * 24 * time.Hour
	CodeTTL    = 30 * time.Minute
)

// Organization is a LinkedIn Page (organization) and the member's role on it.
type Organization struct {
	ID     string // numeric id
	Name   string // localizedName
	Vanity string // vanityName
	Role   string // the member's role: ADMINISTRATOR (default), ANALYST, …
	State  string // APPROVED (default), REQUESTED, REVOKED
}

// Options configure a fake.
type Options struct {
	// RefreshTokens makes the app a partner: token answers carry a refresh token.
	RefreshTokens bool
	// CommunityManagement grants the app the Community Management API's organization
	// scopes (w_organization_social, r_organization_admin, rw_organization_admin);
	// without it asking for them fails the authorization (unauthorized_scope_error).
	CommunityManagement bool
	// Organizations the member has a role on; nil: one Page they administer.
	Organizations []Organization
	// OldestVersion and NewestVersion bound the active LinkedIn-Version values (YYYYMM);
	// defaults 202510 and 202611.
	OldestVersion, NewestVersion string
	// ImageProcessing is how many status reads of an uploaded image answer PROCESSING
	// before AVAILABLE; VideoProcessing the same for a finalized video.
	ImageProcessing, VideoProcessing int
	// RedirectURIs registered on the app; empty: any.
	RedirectURIs []string
}

// DefaultOrganization is the Page the member administers when Options.Organizations is nil.
var DefaultOrganization = Organization{ID: "2414183", Name: "Biscuits Martin", Vanity: "biscuits-martin"}

// Video is a video uploaded through the Videos API.
type Video struct {
	URN       string
	Owner     string
	Size      int // fileSizeBytes announced
	Bytes     int // bytes received
	Parts     int
	Finalized bool
}

// VideoPart is the part size of video uploads (LinkedIn's 4 MB).
const VideoPart = 4 << 20

// Post is a post the fake holds.
type Post struct {
	URN            string
	Author         string
	Commentary     string   // as sent, in the little format
	Text           string   // as LinkedIn shows it: escapes removed, cut at an unescaped reserved character
	Hashtags       []string // hashtags recognised in the commentary
	Visibility     string
	LifecycleState string
	Images         []Image
	Video          string // content.media.id of a video post
	VideoTitle     string
	Article        string // content.article.source
}

// Image is an image of a post.
type Image struct {
	ID      string
	AltText string
}

// Uploaded is an image uploaded through the Images API.
type Uploaded struct {
	URN         string
	Owner       string
	Bytes       int
	ContentType string
	Uploaded    bool
}

// Fault is an injected answer.
type Fault struct {
	Status int
	Header http.Header
	Body   string
}

// Server is a running fake.
type Server struct {
	URL string

	mu         sync.Mutex
	o          Options
	orgs       []Organization
	offset     time.Duration
	codes      map[string]grant
	tokens     map[string]*token
	refresh    map[string]*token
	images     map[string]*image
	videos     map[string]*video
	posts      []Post
	faults     map[string][]Fault
	lose       map[string]int
	calls      map[string]int
	versions   []string
	seq        int
	expiredAll bool
	revokedAll bool
}

type grant struct {
	redirect, scope string
	expires         time.Time
}

type token struct {
	member, scope string
	expires       time.Time
	refresh       string
	refreshExp    time.Time
}

type image struct {
	Uploaded
	polls int
}

type video struct {
	Video
	parts map[int][]byte
	etags []string
	polls int
}

// Start starts a fake on loopback, stopped at cleanup.
func Start(t testing.TB, o Options) *Server {
	if o.OldestVersion == "" {
		o.OldestVersion = "202510"
	}
	if o.NewestVersion == "" {
		o.NewestVersion = "202611"
	}
	s := &Server{o: o, orgs: o.Organizations, codes: map[string]grant{}, tokens: map[string]*token{}, refresh: map[string]*token{},
		images: map[string]*image{}, videos: map[string]*video{}, faults: map[string][]Fault{}, lose: map[string]int{}, calls: map[string]int{}}
	if s.orgs == nil {
		s.orgs = []Organization{DefaultOrganization}
	}
	for i := range s.orgs {
		if s.orgs[i].Role == "" {
			s.orgs[i].Role = "ADMINISTRATOR"
		}
		if s.orgs[i].State == "" {
			s.orgs[i].State = "APPROVED"
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// MemberURN is the member's person URN.
func MemberURN() string { return "urn:li:person:" + MemberSub }

// OrganizationURN is an organization's URN.
func OrganizationURN(id string) string { return "urn:li:organization:" + id }

// Token is what the token endpoint answered.
type Token struct {
	AccessToken      string
	ExpiresIn        int
	RefreshToken     string
	RefreshExpiresIn int
	Scope            string
}

// Issue issues a token for the member with scopes, as the code exchange would (with a
// refresh token when the app is a partner).
func (s *Server) Issue(scopes ...string) Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issue(strings.Join(scopes, ","))
}

func (s *Server) issue(scope string) Token {
	now := s.now()
	tk := &token{member: MemberSub, scope: scope, expires: now.Add(AccessTTL)}
	access := "AQV" + s.next() + "-access"
	out := Token{AccessToken: access, ExpiresIn: int(AccessTTL/time.Second) - 1, Scope: scope}
	if s.o.RefreshTokens {
		tk.refresh = "AQX" + s.next() + "-refresh"
		tk.refreshExp = now.Add(RefreshTTL)
		s.refresh[tk.refresh] = tk
		out.RefreshToken, out.RefreshExpiresIn = tk.refresh, int(RefreshTTL/time.Second)-1
	}
	s.tokens[access] = tk
	return out
}

// ExpireTokens makes every access token issued so far expired (401 EXPIRED_ACCESS_TOKEN);
// refresh tokens keep working and tokens issued later are valid.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, tk := range s.tokens {
		tk.expires = s.now().Add(-time.Second)
	}
}

// RevokeTokens revokes every access and refresh token issued so far (the member removed
// the app: 401 REVOKED_ACCESS_TOKEN, refresh refused).
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.tokens {
		s.tokens[k] = &token{member: "revoked"}
	}
	clear(s.refresh)
}

// Advance moves the fake's clock forward by d (codes and tokens expire by it).
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
}

// Fail makes the next len(f) requests to route ("POST /rest/posts", "GET
// /rest/images/:urn", …) answer the given faults, in order.
func (s *Server) Fail(route string, f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[route] = append(s.faults[route], f...)
}

// LoseAnswer makes the next n requests to route be processed as usual, then the
// connection closed before any answer is written: "request sent, response lost".
func (s *Server) LoseAnswer(route string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lose[route] += n
}

// TooManyRequests is LinkedIn's 429 for a daily application throttle; retryAfter ("" for
// none) goes in Retry-After.
func TooManyRequests(retryAfter string) Fault {
	f := Fault{Status: 429, Body: `{"status":429,"serviceErrorCode":101,"code":"TOO_MANY_REQUESTS","message":"Resource level throttle APPLICATION DAY limit for calls to this resource is reached."}`}
	if retryAfter != "" {
		f.Header = http.Header{"Retry-After": {retryAfter}}
	}
	return f
}

// ServerError is a 5xx answer with LinkedIn's error body.
func ServerError(status int) Fault {
	return Fault{Status: status, Body: fmt.Sprintf(`{"status":%d,"code":"INTERNAL_SERVER_ERROR","message":"Internal Server Error"}`, status)}
}

// Posts returns the posts created so far.
func (s *Server) Posts() []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.posts)
}

// Images returns the images initialized so far.
func (s *Server) Images() []Uploaded {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Uploaded
	for _, im := range s.images {
		out = append(out, im.Uploaded)
	}
	return out
}

// Videos returns the videos initialized so far.
func (s *Server) Videos() []Video {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Video
	for _, v := range s.videos {
		out = append(out, v.Video)
	}
	return out
}

// Calls returns how many requests reached route ("METHOD /path", ids as ":urn" / ":id").
func (s *Server) Calls(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[route]
}

// Versions returns the LinkedIn-Version header of every /rest request, in order.
func (s *Server) Versions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.versions)
}

func (s *Server) now() time.Time { return time.Now().Add(s.offset) }

func (s *Server) next() string {
	s.seq++
	return strconv.Itoa(7100000000000000000 + s.seq)
}

func route(r *http.Request) string {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/rest/images/"):
		p = "/rest/images/:urn"
	case strings.HasPrefix(p, "/rest/videos/"):
		p = "/rest/videos/:urn"
	case strings.HasPrefix(p, "/rest/organizations/"):
		p = "/rest/organizations/:id"
	case strings.HasPrefix(p, "/dms-uploads/"):
		p = "/dms-uploads"
	}
	return r.Method + " " + p
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

// apiError writes LinkedIn's REST error body.
func apiError(w http.ResponseWriter, status, serviceCode int, code, msg string) {
	body := map[string]any{"status": status, "message": msg}
	if serviceCode != 0 {
		body["serviceErrorCode"] = serviceCode
	}
	if code != "" {
		body["code"] = code
	}
	writeJSON(w, status, body)
}

// oauthError writes the token endpoint's error body.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rt := route(r)
	s.mu.Lock()
	s.calls[rt]++
	if fs := s.faults[rt]; len(fs) > 0 {
		f := fs[0]
		s.faults[rt] = fs[1:]
		s.mu.Unlock()
		for k, vs := range f.Header {
			w.Header()[k] = vs
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.Status)
		_, _ = io.WriteString(w, f.Body)
		return
	}
	lose := s.lose[rt] > 0
	if lose {
		s.lose[rt]--
	}
	s.mu.Unlock()
	if lose {
		s.handle(httptest.NewRecorder(), r, rt)
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
		}
		return
	}
	s.handle(w, r, rt)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request, rt string) {
	if strings.HasPrefix(r.URL.Path, "/rest/") && !s.versioned(w, r) {
		return
	}
	switch rt {
	case "GET /oauth/v2/authorization":
		s.authorize(w, r)
	case "POST /oauth/v2/accessToken":
		s.accessToken(w, r)
	case "GET /v2/userinfo":
		s.userinfo(w, r)
	case "GET /rest/organizationAcls":
		s.organizationAcls(w, r)
	case "GET /rest/organizations/:id":
		s.organization(w, r)
	case "POST /rest/images":
		s.initializeUpload(w, r)
	case "PUT /dms-uploads":
		if strings.Contains(r.URL.Path, "/uploadedVideo/") {
			s.uploadVideoPart(w, r)
		} else {
			s.upload(w, r)
		}
	case "POST /rest/videos":
		switch r.URL.Query().Get("action") {
		case "initializeUpload":
			s.initializeVideo(w, r)
		case "finalizeUpload":
			s.finalizeVideo(w, r)
		default:
			apiError(w, 400, 0, "ILLEGAL_ARGUMENT", "Unsupported action")
		}
	case "GET /rest/videos/:urn":
		s.videoStatus(w, r)
	case "GET /rest/images/:urn":
		s.imageStatus(w, r)
	case "POST /rest/posts":
		s.createPost(w, r)
	default:
		apiError(w, 404, 0, "NOT_FOUND", "No virtual resource found")
	}
}

var versionPattern = regexp.MustCompile(`^\d{6}$`)

// versioned checks the headers every versioned (/rest) call needs.
func (s *Server) versioned(w http.ResponseWriter, r *http.Request) bool {
	v := r.Header.Get("LinkedIn-Version")
	s.mu.Lock()
	s.versions = append(s.versions, v)
	s.mu.Unlock()
	switch {
	case v == "":
		apiError(w, 400, 0, "VERSION_MISSING", "A version must be present. Please specify a version by adding the LinkedIn-Version header.")
		return false
	case !versionPattern.MatchString(v) || v < s.o.OldestVersion || v > s.o.NewestVersion:
		apiError(w, 426, 0, "NONEXISTENT_VERSION", fmt.Sprintf("Requested version %s01 is not active", v))
		return false
	case r.Header.Get("X-Restli-Protocol-Version") != "2.0.0":
		apiError(w, 400, 0, "ILLEGAL_ARGUMENT", "Rest.li protocol version 2.0.0 is required: set the X-Restli-Protocol-Version header")
		return false
	}
	return true
}

// auth checks the bearer token: 401 with LinkedIn's service error codes (65600 invalid,
// 65601 revoked, 65602 expired).
func (s *Server) auth(w http.ResponseWriter, r *http.Request) (*token, bool) {
	bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	var tk *token
	found := false
	if cur, ok := s.tokens[bearer]; ok {
		cp := *cur // a copy: ExpireTokens and RevokeTokens change tokens under the lock
		tk, found = &cp, true
	}
	now := s.now()
	s.mu.Unlock()
	switch {
	case !ok || !found:
		apiError(w, 401, 65600, "INVALID_ACCESS_TOKEN", "Invalid access token")
		return nil, false
	case tk.member == "revoked":
		apiError(w, 401, 65601, "REVOKED_ACCESS_TOKEN", "The token used in the request has been revoked by the user")
		return nil, false
	case !now.Before(tk.expires):
		apiError(w, 401, 65602, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired")
		return nil, false
	}
	return tk, true
}

func hasScope(tk *token, scopes ...string) bool {
	granted := strings.FieldsFunc(tk.scope, func(r rune) bool { return r == ',' || r == ' ' })
	for _, sc := range scopes {
		if slices.Contains(granted, sc) {
			return true
		}
	}
	return false
}

func denied(w http.ResponseWriter, what string) {
	apiError(w, 403, 100, "ACCESS_DENIED", "Not enough permissions to access: "+what)
}
