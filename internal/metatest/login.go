package metatest

import (
	"net/http"
	"net/url"
	"strconv"
)

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
