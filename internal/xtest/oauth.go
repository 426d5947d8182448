package xtest

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"
)

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
