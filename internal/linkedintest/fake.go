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
	"net/url"
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

// memberScopes are what an app with "Share on LinkedIn" and "Sign In with LinkedIn using
// OpenID Connect" may ask for; orgScopes come with the Community Management API.
var (
	memberScopes = []string{"openid", "profile", "email", "w_member_social"}
	orgScopes    = []string{"w_organization_social", "r_organization_admin", "rw_organization_admin", "r_organization_social", "r_basicprofile"}
)

// authorize is the consent page of a member who is signed in and consents: it redirects
// to redirect_uri with a code and the state, or with an error.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect := q.Get("redirect_uri")
	back, err := url.Parse(redirect)
	switch {
	case q.Get("client_id") != ClientID:
		http.Error(w, "invalid client_id", http.StatusBadRequest)
		return
	case err != nil || back.Scheme == "" || (len(s.o.RedirectURIs) > 0 && !slices.Contains(s.o.RedirectURIs, redirect)):
		http.Error(w, "The redirect_uri does not match the registered value", http.StatusBadRequest)
		return
	}
	bq := back.Query()
	fail := func(code, desc string) {
		bq.Set("error", code)
		bq.Set("error_description", desc)
		bq.Set("state", q.Get("state"))
		back.RawQuery = bq.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	}
	if q.Get("response_type") != "code" {
		fail("invalid_request", "response_type must be code")
		return
	}
	scopes := strings.Fields(q.Get("scope"))
	if len(scopes) == 0 {
		fail("invalid_scope_error", "The requested permission scope is not valid")
		return
	}
	for _, sc := range scopes {
		allowed := slices.Contains(memberScopes, sc) || (s.o.CommunityManagement && slices.Contains(orgScopes, sc))
		if !allowed {
			fail("unauthorized_scope_error", fmt.Sprintf("Scope %q is not authorized for your application", sc))
			return
		}
	}
	s.mu.Lock()
	code := "AQT" + s.next()
	s.codes[code] = grant{redirect: redirect, scope: strings.Join(scopes, ","), expires: s.now().Add(CodeTTL)}
	s.mu.Unlock()
	bq.Set("code", code)
	if st := q.Get("state"); st != "" {
		bq.Set("state", st)
	}
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (s *Server) accessToken(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		oauthError(w, 400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
		return
	}
	_ = r.ParseForm()
	f := r.PostForm
	if f.Get("client_id") != ClientID || f.Get("client_secret") != ClientSecret {
		oauthError(w, 401, "invalid_client", "Client authentication failed")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	switch f.Get("grant_type") {
	case "authorization_code":
		g, ok := s.codes[f.Get("code")]
		delete(s.codes, f.Get("code")) // single use
		if !ok || !now.Before(g.expires) || g.redirect != f.Get("redirect_uri") {
			oauthError(w, 400, "invalid_request", "Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired. Or external member binding exists")
			return
		}
		writeJSON(w, 200, tokenJSON(s.issue(g.scope)))
	case "refresh_token":
		tk, ok := s.refresh[f.Get("refresh_token")]
		if !ok || !now.Before(tk.refreshExp) {
			oauthError(w, 400, "invalid_request", "The provided authorization grant or refresh token is invalid, expired or revoked.")
			return
		}
		// A new access token; the refresh token stays the same and keeps its expiry.
		access := "AQV" + s.next() + "-access"
		s.tokens[access] = &token{member: tk.member, scope: tk.scope, expires: now.Add(AccessTTL), refresh: tk.refresh, refreshExp: tk.refreshExp}
		writeJSON(w, 200, tokenJSON(Token{AccessToken: access, ExpiresIn: int(AccessTTL/time.Second) - 1, RefreshToken: tk.refresh,
			RefreshExpiresIn: int(tk.refreshExp.Sub(now) / time.Second), Scope: tk.scope}))
	default:
		oauthError(w, 400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
	}
}

func tokenJSON(t Token) map[string]any {
	out := map[string]any{"access_token": t.AccessToken, "expires_in": t.ExpiresIn, "scope": t.Scope, "token_type": "Bearer"}
	if t.RefreshToken != "" {
		out["refresh_token"], out["refresh_token_expires_in"] = t.RefreshToken, t.RefreshExpiresIn
	}
	if strings.Contains(","+t.Scope+",", ",openid,") {
		out["id_token"] = "eyJ.fake.idtoken"
	}
	return out
}

func (s *Server) userinfo(w http.ResponseWriter, r *http.Request) {
	tk, ok := s.auth(w, r)
	if !ok {
		return
	}
	if !hasScope(tk, "openid") || !hasScope(tk, "profile") {
		denied(w, "userinfo.GET.NO_VERSION")
		return
	}
	given, family, _ := strings.Cut(MemberName, " ")
	writeJSON(w, 200, map[string]any{"sub": tk.member, "name": MemberName, "given_name": given, "family_name": family,
		"picture": "https://media.licdn.com/dms/image/fake", "locale": map[string]string{"country": "FR", "language": "fr"}})
}

func (s *Server) organizationAcls(w http.ResponseWriter, r *http.Request) {
	tk, ok := s.auth(w, r)
	if !ok {
		return
	}
	if !hasScope(tk, "r_organization_admin", "rw_organization_admin") {
		denied(w, "organizationAcls.FINDER-roleAssignee")
		return
	}
	q := r.URL.Query()
	if q.Get("q") != "roleAssignee" {
		apiError(w, 400, 0, "ILLEGAL_ARGUMENT", "Invalid query parameter q")
		return
	}
	start, _ := strconv.Atoi(q.Get("start"))
	count, err := strconv.Atoi(q.Get("count"))
	if err != nil || count <= 0 {
		count = 10
	}
	var all []map[string]any
	for _, o := range s.orgs {
		if (q.Get("role") != "" && q.Get("role") != o.Role) || (q.Get("state") != "" && q.Get("state") != o.State) {
			continue
		}
		all = append(all, map[string]any{"roleAssignee": "urn:li:person:" + tk.member, "role": o.Role, "state": o.State,
			"organization": OrganizationURN(o.ID)})
	}
	page := []map[string]any{}
	if start < len(all) {
		page = all[start:min(len(all), start+count)]
	}
	writeJSON(w, 200, map[string]any{"elements": page, "paging": map[string]any{"start": start, "count": count, "total": len(all), "links": []any{}}})
}

func (s *Server) organization(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.auth(w, r); !ok {
		return
	}
	id := strings.TrimPrefix(r.URL.Path, "/rest/organizations/")
	for _, o := range s.orgs {
		if o.ID == id {
			n, _ := strconv.ParseInt(o.ID, 10, 64)
			writeJSON(w, 200, map[string]any{"id": n, "localizedName": o.Name, "vanityName": o.Vanity,
				"name": map[string]any{"localized": map[string]string{"fr_FR": o.Name}, "preferredLocale": map[string]string{"country": "FR", "language": "fr"}}})
			return
		}
	}
	apiError(w, 404, 0, "NOT_FOUND", "Organization "+id+" not found")
}

// mayAct reports whether tk may create content as author (a person: itself with
// w_member_social; an organization it administers with w_organization_social).
func (s *Server) mayAct(tk *token, author string) bool {
	if author == "urn:li:person:"+tk.member {
		return hasScope(tk, "w_member_social")
	}
	for _, o := range s.orgs {
		if OrganizationURN(o.ID) == author && o.Role == "ADMINISTRATOR" && o.State == "APPROVED" {
			return hasScope(tk, "w_organization_social")
		}
	}
	return false
}

func (s *Server) initializeUpload(w http.ResponseWriter, r *http.Request) {
	tk, ok := s.auth(w, r)
	if !ok {
		return
	}
	if r.URL.Query().Get("action") != "initializeUpload" {
		apiError(w, 400, 0, "ILLEGAL_ARGUMENT", "Unsupported action")
		return
	}
	var in struct {
		Req struct {
			Owner string `json:"owner"`
		} `json:"initializeUploadRequest"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Req.Owner == "" {
		apiError(w, 400, 0, "ILLEGAL_ARGUMENT", "/initializeUploadRequest/owner :: field is required but not found and has no default value")
		return
	}
	if !s.mayAct(tk, in.Req.Owner) {
		denied(w, "images.ACTION-initializeUpload")
		return
	}
	s.mu.Lock()
	id := "D4E10AQ" + s.next()
	urn := "urn:li:image:" + id
	s.images[urn] = &image{Uploaded: Uploaded{URN: urn, Owner: in.Req.Owner}}
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"value": map[string]any{
		"uploadUrlExpiresAt": s.now().Add(24 * time.Hour).UnixMilli(),
		"uploadUrl":          s.URL + "/dms-uploads/" + id + "/uploaded-image/0?ca=vector_feedshare&cn=uploads&m=AQ&v=beta&ut=fake",
		"image":              urn,
	}})
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.auth(w, r); !ok {
		return
	}
	id, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/dms-uploads/"), "/")
	data, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	im, ok := s.images["urn:li:image:"+id]
	if !ok || len(data) == 0 {
		w.WriteHeader(400)
		return
	}
	im.Uploaded.Uploaded, im.Bytes, im.ContentType = true, len(data), http.DetectContentType(data)
	w.WriteHeader(201)
}

func (s *Server) imageStatus(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.auth(w, r); !ok {
		return
	}
	urn, err := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), "/rest/images/"))
	s.mu.Lock()
	defer s.mu.Unlock()
	im, ok := s.images[urn]
	if err != nil || !ok {
		apiError(w, 404, 0, "NOT_FOUND", "Image not found")
		return
	}
	status := "WAITING_UPLOAD"
	if im.Uploaded.Uploaded {
		im.polls++
		status = "AVAILABLE"
		if im.polls <= s.o.ImageProcessing {
			status = "PROCESSING"
		}
	}
	out := map[string]any{"id": urn, "owner": im.Owner, "status": status}
	if status == "AVAILABLE" {
		out["downloadUrl"] = s.URL + "/media/" + urn
	}
	writeJSON(w, 200, out)
}

func (s *Server) initializeVideo(w http.ResponseWriter, r *http.Request) {
	tk, ok := s.auth(w, r)
	if !ok {
		return
	}
	var in struct {
		Req struct {
			Owner string `json:"owner"`
			Size  int    `json:"fileSizeBytes"`
		} `json:"initializeUploadRequest"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Req.Owner == "" || in.Req.Size <= 0 {
		apiError(w, 400, 0, "ILLEGAL_ARGUMENT", "/initializeUploadRequest :: owner and fileSizeBytes are required")
		return
	}
	if !s.mayAct(tk, in.Req.Owner) {
		denied(w, "videos.ACTION-initializeUpload")
		return
	}
	s.mu.Lock()
	id := "D5605AQ" + s.next()
	v := &video{Video: Video{URN: "urn:li:video:" + id, Owner: in.Req.Owner, Size: in.Req.Size}, parts: map[int][]byte{}}
	s.videos[v.URN] = v
	s.mu.Unlock()
	var instr []map[string]any
	for n, first := 0, 0; first < in.Req.Size; n, first = n+1, first+VideoPart {
		last := min(first+VideoPart, in.Req.Size) - 1
		instr = append(instr, map[string]any{"uploadUrl": fmt.Sprintf("%s/dms-uploads/%s/uploadedVideo/%d?ca=vector_feedshare&cn=uploads&ut=fake", s.URL, id, n),
			"firstByte": first, "lastByte": last})
	}
	v.Parts = len(instr)
	writeJSON(w, 200, map[string]any{"value": map[string]any{"uploadUrlsExpireAt": s.now().Add(24 * time.Hour).UnixMilli(),
		"video": v.URN, "uploadInstructions": instr, "uploadToken": "", "thumbnailUploadUrl": ""}})
}

func (s *Server) uploadVideoPart(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.auth(w, r); !ok {
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, "/dms-uploads/")
	id, nstr, _ := strings.Cut(rest, "/uploadedVideo/")
	n, err := strconv.Atoi(nstr)
	data, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.videos["urn:li:video:"+id]
	if !ok || err != nil || n < 0 || n >= v.Parts || len(data) == 0 {
		w.WriteHeader(400)
		return
	}
	v.parts[n] = data
	w.Header().Set("ETag", fmt.Sprintf("/etag-%s-%d-%d", id, n, len(data)))
	w.WriteHeader(200)
}

func (s *Server) finalizeVideo(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.auth(w, r); !ok {
		return
	}
	var in struct {
		Req struct {
			Video string   `json:"video"`
			Parts []string `json:"uploadedPartIds"`
		} `json:"finalizeUploadRequest"`
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.videos[in.Req.Video]
	if !ok {
		apiError(w, 404, 0, "NOT_FOUND", "Video not found")
		return
	}
	want := make([]string, v.Parts)
	total := 0
	for n := range v.Parts {
		want[n] = fmt.Sprintf("/etag-%s-%d-%d", strings.TrimPrefix(v.URN, "urn:li:video:"), n, len(v.parts[n]))
		total += len(v.parts[n])
	}
	if !slices.Equal(want, in.Req.Parts) || total != v.Size {
		apiError(w, 400, 0, "ILLEGAL_ARGUMENT", "uploadedPartIds do not match the uploaded parts")
		return
	}
	v.Finalized, v.Bytes = true, total
	w.WriteHeader(200)
}

func (s *Server) videoStatus(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.auth(w, r); !ok {
		return
	}
	urn, err := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), "/rest/videos/"))
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.videos[urn]
	if err != nil || !ok {
		apiError(w, 404, 0, "NOT_FOUND", "Video not found")
		return
	}
	status := "WAITING_UPLOAD"
	if v.Finalized {
		v.polls++
		status = "AVAILABLE"
		if v.polls <= s.o.VideoProcessing {
			status = "PROCESSING"
		}
	}
	writeJSON(w, 200, map[string]any{"id": urn, "owner": v.Owner, "status": status})
}

type postIn struct {
	Author       string `json:"author"`
	Commentary   string `json:"commentary"`
	Visibility   string `json:"visibility"`
	Distribution *struct {
		FeedDistribution string `json:"feedDistribution"`
	} `json:"distribution"`
	LifecycleState string `json:"lifecycleState"`
	Content        *struct {
		Media *struct {
			ID      string `json:"id"`
			AltText string `json:"altText"`
			Title   string `json:"title"`
		} `json:"media"`
		MultiImage *struct {
			Images []struct {
				ID      string `json:"id"`
				AltText string `json:"altText"`
			} `json:"images"`
		} `json:"multiImage"`
		Article *struct {
			Source string `json:"source"`
			Title  string `json:"title"`
		} `json:"article"`
	} `json:"content"`
}

func (s *Server) createPost(w http.ResponseWriter, r *http.Request) {
	tk, ok := s.auth(w, r)
	if !ok {
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		apiError(w, 415, 0, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json")
		return
	}
	var in postIn
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		apiError(w, 400, 0, "ILLEGAL_ARGUMENT", "Malformed JSON: "+err.Error())
		return
	}
	switch {
	case in.Author == "":
		apiError(w, 422, 0, "FIELD_REQUIRED", "/author :: field is required but not found and has no default value")
		return
	case in.Distribution == nil || in.Distribution.FeedDistribution == "":
		apiError(w, 422, 0, "FIELD_REQUIRED", "/distribution :: field is required but not found and has no default value")
		return
	case !slices.Contains([]string{"PUBLIC", "CONNECTIONS", "LOGGED_IN"}, in.Visibility):
		apiError(w, 422, 0, "INVALID_VALUE", "/visibility :: invalid value "+strconv.Quote(in.Visibility))
		return
	case in.LifecycleState != "PUBLISHED" && in.LifecycleState != "DRAFT":
		apiError(w, 422, 0, "INVALID_VALUE", "/lifecycleState :: invalid value "+strconv.Quote(in.LifecycleState))
		return
	}
	if !s.mayAct(tk, in.Author) {
		denied(w, "partnerApiPostsExternal.CREATE")
		return
	}
	text, tags := Render(in.Commentary)
	if utf16Len(text) > 3000 {
		apiError(w, 422, 0, "INVALID_VALUE", "/commentary :: length of commentary must be at most 3000 characters")
		return
	}
	p := Post{Author: in.Author, Commentary: in.Commentary, Text: text, Hashtags: tags, Visibility: in.Visibility, LifecycleState: in.LifecycleState}
	if c := in.Content; c != nil {
		switch {
		case c.Media != nil && strings.HasPrefix(c.Media.ID, "urn:li:video:"):
			p.Video, p.VideoTitle = c.Media.ID, c.Media.Title
		case c.Media != nil:
			p.Images = []Image{{ID: c.Media.ID, AltText: c.Media.AltText}}
		case c.MultiImage != nil:
			for _, im := range c.MultiImage.Images {
				p.Images = append(p.Images, Image{ID: im.ID, AltText: im.AltText})
			}
			if n := len(p.Images); n < 2 || n > 20 {
				apiError(w, 422, 0, "INVALID_VALUE", fmt.Sprintf("/content/multiImage/images :: a multi-image post has 2 to 20 images, not %d", n))
				return
			}
		case c.Article != nil:
			p.Article = c.Article.Source
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, im := range p.Images {
		u, ok := s.images[im.ID]
		if !ok || !u.Uploaded.Uploaded || u.Owner != in.Author {
			apiError(w, 400, 0, "ILLEGAL_ARGUMENT", "Invalid media id "+im.ID+": it does not exist, is not uploaded or is owned by another author")
			return
		}
		if len(im.AltText) > 4086 {
			apiError(w, 422, 0, "INVALID_VALUE", "/content/media/altText :: length must be at most 4086")
			return
		}
	}
	if p.Video != "" {
		v, ok := s.videos[p.Video]
		if !ok || !v.Finalized || v.Owner != in.Author {
			apiError(w, 400, 0, "ILLEGAL_ARGUMENT", "Invalid media id "+p.Video+": it does not exist, is not uploaded or is owned by another author")
			return
		}
	}
	for _, prev := range s.posts {
		if prev.Author == p.Author && prev.Commentary == p.Commentary && p.Commentary != "" {
			apiError(w, 422, 0, "DUPLICATE_POST", "Content is a duplicate of "+prev.URN)
			return
		}
	}
	p.URN = "urn:li:share:" + s.next()
	s.posts = append(s.posts, p)
	w.Header().Set("x-restli-id", p.URN)
	w.Header().Set("Location", "/rest/posts/"+url.PathEscape(p.URN))
	w.WriteHeader(201)
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// reserved are the characters of the little text format that must be backslash-escaped
// to stand for themselves.
const reserved = `|{}@[]()<>#\*_~`

var (
	hashtagTemplate = regexp.MustCompile(`^\{hashtag\|(?:\\?#|＃)\|([^{}|\\]+)\}`)
	mention         = regexp.MustCompile(`^@\[([^\]]*)\]\((urn:li:(?:person|organization):[A-Za-z0-9_-]+)\)`)
	hashtagElement  = regexp.MustCompile(`^#([\p{L}\p{N}\p{M}]+)`)
)

// Render parses commentary in the little text format as LinkedIn does: an escaped
// reserved character stands for itself, a hashtag template or element shows as #tag, a
// mention shows its name, and the first reserved character that starts no element ends
// the text (LinkedIn cuts the post there). It returns the text as shown and its hashtags.
func Render(commentary string) (string, []string) {
	var b strings.Builder
	var tags []string
	for i := 0; i < len(commentary); {
		rest := commentary[i:]
		c := rest[0]
		if !strings.ContainsRune(reserved, rune(c)) {
			b.WriteByte(c)
			i++
			continue
		}
		if c == '\\' && len(rest) > 1 && strings.ContainsRune(reserved, rune(rest[1])) {
			b.WriteByte(rest[1])
			i += 2
			continue
		}
		if m := hashtagTemplate.FindStringSubmatch(rest); m != nil {
			b.WriteString("#" + m[1])
			tags = append(tags, m[1])
			i += len(m[0])
			continue
		}
		if m := mention.FindStringSubmatch(rest); m != nil {
			b.WriteString(m[1])
			i += len(m[0])
			continue
		}
		if m := hashtagElement.FindStringSubmatch(rest); m != nil {
			b.WriteString(m[0])
			tags = append(tags, m[1])
			i += len(m[0])
			continue
		}
		break // an unescaped reserved character: the rest is lost
	}
	return b.String(), tags
}
