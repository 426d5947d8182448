// Package oauthtest is a small OAuth 2.0 network for tests of the generic connection flow
// (service/oauth.go): an httptest authorization server (consent page, token endpoint with
// PKCE S256 checks and single-use codes) and a publish.OAuthProvider speaking to it, whose
// identities the test decides. It stands for no real network: each network's contract
// fake lives beside its package.
package oauthtest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/greenlight/greenlight/publish"
)

// App is the app the server knows.
var App = publish.OAuthApp{ClientID: "test-client", ClientSecret: "test-secret"}

// Server is the network's authorization server.
type Server struct {
	*httptest.Server
	mu    sync.Mutex
	codes map[string]grant // code → what it was issued for
	// Verifiers are the PKCE verifiers the token endpoint received, in order.
	Verifiers []string
	// Exchanges counts token requests.
	Exchanges int
	n         int
}

type grant struct {
	redirect, challenge string
	used                bool
}

// Start runs a server until the test ends.
func Start(t testing.TB) *Server {
	s := &Server{codes: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", s.authorize)
	mux.HandleFunc("POST /token", s.token)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// authorize is the consent page: ?deny=1 refuses (error=access_denied), otherwise it
// sends the browser back with a code bound to the redirect URI and the PKCE challenge.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != App.ClientID || q.Get("response_type") != "code" {
		http.Error(w, "bad client or response type", http.StatusBadRequest)
		return
	}
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || back.Host == "" {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	v := url.Values{"state": {q.Get("state")}}
	if q.Get("deny") == "1" {
		v.Set("error", "access_denied")
		v.Set("error_description", "The user denied the request")
	} else {
		if m := q.Get("code_challenge_method"); q.Get("code_challenge") != "" && m != "S256" {
			http.Error(w, "only S256", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.n++
		code := fmt.Sprintf("code-%d", s.n)
		s.codes[code] = grant{redirect: q.Get("redirect_uri"), challenge: q.Get("code_challenge")}
		s.mu.Unlock()
		v.Set("code", code)
	}
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token exchanges a code once, checking the client, the redirect URI and the PKCE
// verifier; errors are RFC 6749 JSON bodies.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	fail := func(code string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
	}
	id, secret, ok := r.BasicAuth()
	if !ok || id != App.ClientID || secret != App.ClientSecret {
		fail("invalid_client")
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "authorization_code" {
		fail("unsupported_grant_type")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Exchanges++
	verifier := r.PostForm.Get("code_verifier")
	s.Verifiers = append(s.Verifiers, verifier)
	code := r.PostForm.Get("code")
	g, ok := s.codes[code]
	if !ok || g.used || g.redirect != r.PostForm.Get("redirect_uri") {
		fail("invalid_grant")
		return
	}
	if g.challenge != "" {
		sum := sha256.Sum256([]byte(verifier))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			fail("invalid_grant")
			return
		}
	}
	g.used = true
	s.codes[code] = g
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "token-for-" + code, "token_type": "bearer", "expires_in": 7200})
}

// Provider is a publish.OAuthProvider on a Server, for network Name. Identities returns
// what IdentitiesFor gives for the token (one "user" identity by default).
type Provider struct {
	Name      string
	Server    *Server
	UsePKCE   bool
	ScopeList []string
	// IdentitiesFor decides the identities of a token.
	IdentitiesFor func(tok publish.OAuthToken) ([]publish.Identity, error)
}

// Network is the provider's network.
func (p *Provider) Network() string { return p.Name }

// Scopes are the scopes asked for.
func (p *Provider) Scopes() []string { return p.ScopeList }

// PKCE reports whether the provider sends a challenge.
func (p *Provider) PKCE() bool { return p.UsePKCE }

// AuthorizeURL is the server's consent page.
func (p *Provider) AuthorizeURL(app publish.OAuthApp, redirectURI, state, challenge string) string {
	v := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {redirectURI}, "state": {state},
		"scope": {strings.Join(p.ScopeList, " ")}}
	if challenge != "" {
		v.Set("code_challenge", challenge)
		v.Set("code_challenge_method", "S256")
	}
	return p.Server.URL + "/authorize?" + v.Encode()
}

// Exchange posts the code to the token endpoint; a refusal is a KindAuth error.
func (p *Provider) Exchange(ctx context.Context, app publish.OAuthApp, redirectURI, code, verifier string) (publish.OAuthToken, error) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.Server.URL+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		return publish.OAuthToken{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(app.ClientID, app.ClientSecret)
	resp, err := p.Server.Client().Do(req)
	if err != nil {
		return publish.OAuthToken{}, &publish.Error{Kind: publish.KindRetryable, Network: p.Name, Message: "no answer", Err: err}
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		Error       string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return publish.OAuthToken{}, &publish.Error{Kind: publish.KindRetryable, Network: p.Name, Message: "bad answer", Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		return publish.OAuthToken{}, &publish.Error{Kind: publish.KindAuth, Network: p.Name, Message: body.Error}
	}
	return publish.OAuthToken{AccessToken: body.AccessToken, ExpiresAt: time.Now().Add(time.Duration(body.ExpiresIn) * time.Second)}, nil
}

// Identities returns IdentitiesFor(tok), or one user identity named after the token.
func (p *Provider) Identities(_ context.Context, _ publish.OAuthApp, tok publish.OAuthToken) ([]publish.Identity, error) {
	if p.IdentitiesFor != nil {
		return p.IdentitiesFor(tok)
	}
	return []publish.Identity{{ID: "u1", Kind: "user", Handle: "brand", Name: "Brand", Credentials: []byte(`{"access_token":"` + tok.AccessToken + `"}`)}}, nil
}

// Consent follows authorizeURL as a browser whose person agrees (or, with deny, refuses)
// and returns the query the network sends back to the callback (code, state, error).
func (s *Server) Consent(t testing.TB, authorizeURL string, deny bool) url.Values {
	t.Helper()
	if deny {
		authorizeURL += "&deny=1"
	}
	c := *s.Client() // the test server's client, not following the redirect back
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(authorizeURL)
	if err != nil {
		t.Fatalf("consent: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("consent: status %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatalf("consent: %v", err)
	}
	return loc.Query()
}
