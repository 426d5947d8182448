package linkedintest

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

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
