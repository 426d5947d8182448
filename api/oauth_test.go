package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/oauthtest"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/store"
)

// oauthAPI is the publishing fixture with two OAuth networks on a test authorization
// server, "x" (PKCE) and "facebook", and an editor's API key.
type oauthAPI struct {
	*publishFixture
	srv *oauthtest.Server
	fb  *oauthtest.Provider
	key string
}

func newOAuthAPI(t *testing.T, st *store.Store) *oauthAPI {
	f := &oauthAPI{publishFixture: newPublishFixture(t, st), srv: oauthtest.Start(t)}
	f.fb = &oauthtest.Provider{Name: "facebook", Server: f.srv}
	f.svc.Providers = map[string]publish.OAuthProvider{"x": &oauthtest.Provider{Name: "x", Server: f.srv, UsePKCE: true}, "facebook": f.fb}
	f.svc.OAuthApps = map[string]publish.OAuthApp{"x": oauthtest.App, "facebook": oauthtest.App}
	key, hash := greenlight.NewToken("glk_")
	require.NoError(t, st.CreateUser(context.Background(), &store.User{ID: greenlight.NewID("usr_"), Email: "api@agency.test", Name: "Api",
		Role: "editor", APIKeyHash: &hash, CreatedAt: time.Now().UTC()}))
	f.key = key
	return f
}

func (f *oauthAPI) json(method, path string, body any) (int, map[string]any) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+f.key)
	resp, err := f.app.Test(req, -1)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	var m map[string]any
	require.NoError(f.t, json.NewDecoder(resp.Body).Decode(&m))
	return resp.StatusCode, m
}

// page opens a public page as a browser (no session) and returns the answer and its body.
func (f *oauthAPI) page(method, path string, form url.Values) (*http.Response, string) {
	b := &browser{t: f.t, app: f.app, cookies: map[string]*http.Cookie{}}
	return b.do(method, path, form)
}

// connect starts a connection through the API and consents at the network: it returns the
// callback path and query the network sends the browser to.
func (f *oauthAPI) connect(network string, deny bool) (string, map[string]any) {
	status, out := f.json("POST", "/api/v1/clients/"+f.client.ID+"/accounts", map[string]any{"network": network})
	require.Equal(f.t, 201, status, out)
	back := f.srv.Consent(f.t, out["authorize_url"].(string), deny)
	return "/oauth/callback/" + network + "?" + back.Encode(), out
}

// The JSON API: 201 with the consent page for a configured network, 422 naming the
// variables for one that is not, the listing of networks; the callback connects and goes
// back to the accounts page, once; a refusal is a page saying nothing was connected.
func TestOAuthConnectAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := newOAuthAPI(t, st)
		status, out := f.json("POST", "/api/v1/clients/"+f.client.ID+"/accounts", map[string]any{"network": "instagram"})
		require.Equal(t, 422, status)
		require.Contains(t, out["error"].(map[string]any)["message"], "GREENLIGHT_META_APP_ID and GREENLIGHT_META_APP_SECRET")

		status, out = f.json("GET", "/api/v1/networks", nil)
		require.Equal(t, 200, status)
		byName := map[string]map[string]any{}
		for _, n := range out["items"].([]any) {
			byName[n.(map[string]any)["network"].(string)] = n.(map[string]any)
		}
		require.Equal(t, true, byName["x"]["configured"])
		require.Equal(t, "http://greenlight.test/oauth/callback/x", byName["x"]["callback_url"])
		require.Equal(t, false, byName["linkedin"]["configured"])
		require.Equal(t, []any{"GREENLIGHT_LINKEDIN_CLIENT_ID", "GREENLIGHT_LINKEDIN_CLIENT_SECRET"}, byName["linkedin"]["env"])

		callback, started := f.connect("x", false)
		require.Equal(t, "pending", started["status"])
		require.Empty(t, started["handle"], "not known until the authorization is finished")
		require.True(t, strings.HasPrefix(started["authorize_url"].(string), f.srv.URL+"/authorize?"))
		resp, _ := f.page("GET", callback, nil)
		require.Equal(t, 303, resp.StatusCode)
		require.Equal(t, "/clients/"+f.client.ID+"/accounts?connected="+started["id"].(string), resp.Header.Get("Location"))
		require.Equal(t, "no-referrer", resp.Header.Get("Referrer-Policy"))

		resp, body := f.page("GET", callback, nil)
		require.Equal(t, 410, resp.StatusCode, "the state works once")
		require.Contains(t, body, "already used")

		status, out = f.json("GET", "/api/v1/clients/"+f.client.ID+"/accounts", nil)
		require.Equal(t, 200, status)
		items := out["items"].([]any)
		require.Len(t, items, 1)
		acct := items[0].(map[string]any)
		require.Equal(t, "active", acct["status"])
		require.Equal(t, "brand", acct["handle"])
		require.NotContains(t, acct, "reconnect_by")
		require.NotContains(t, acct, "credentials")

		refused, started := f.connect("x", true)
		resp, body = f.page("GET", refused, nil)
		require.Equal(t, 403, resp.StatusCode)
		require.Contains(t, body, "nothing was connected")
		_, err := st.Account(context.Background(), started["id"].(string))
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))
	})
}

var pickToken = regexp.MustCompile(`name="pick" value="([^"]+)"`)

// Several identities: the callback shows a page to pick one (the pick token in the form,
// never in a URL); the POST connects the one picked, once. None: a page saying why.
func TestOAuthPickPage(t *testing.T) {
	f := newOAuthAPI(t, testdb.Open(t, testdb.SQLitePath(t)))
	by := time.Date(2027, 1, 21, 12, 0, 0, 0, time.UTC)
	f.fb.IdentitiesFor = func(publish.OAuthToken) ([]publish.Identity, error) {
		return []publish.Identity{
			{ID: "p1", Kind: "page", Handle: "Fromagerie Lumen", Name: "Fromagerie Lumen", Credentials: []byte(`{"t":"1"}`)},
			{ID: "p2", Kind: "page", Handle: "Lumen Shop", Name: "Lumen Shop", Credentials: []byte(`{"t":"2"}`), ReconnectBy: by},
		}, nil
	}
	callback, started := f.connect("facebook", false)
	resp, body := f.page("GET", callback, nil)
	require.Equal(t, 200, resp.StatusCode, body)
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	require.Contains(t, body, `action="/oauth/callback/facebook"`)
	require.Contains(t, body, `value="p1"`)
	require.Contains(t, body, "Lumen Shop")
	require.Contains(t, body, "Facebook Page")
	m := pickToken.FindStringSubmatch(body)
	require.NotNil(t, m, body)
	token := m[1]
	require.NotContains(t, callback, token)

	resp, body = f.page("POST", "/oauth/callback/facebook", url.Values{"pick": {"forged"}, "identity": {"p2"}})
	require.Equal(t, 400, resp.StatusCode, body)
	resp, _ = f.page("POST", "/oauth/callback/facebook", url.Values{"pick": {token}, "identity": {"p2"}})
	require.Equal(t, 303, resp.StatusCode)
	back := resp.Header.Get("Location")
	require.Equal(t, "/clients/"+f.client.ID+"/accounts?connected="+started["id"].(string), back)
	resp, body = f.page("POST", "/oauth/callback/facebook", url.Values{"pick": {token}, "identity": {"p1"}})
	require.Equal(t, 410, resp.StatusCode, "a pick works once: %s", body)

	ed, _, _ := f.signIn("eddie", "editor")
	_, page := ed.do("GET", back, nil)
	require.Contains(t, page, `id="connected">Account connected. facebook Lumen Shop</p>`, "back on the accounts page, it says so")
	a, err := f.st.Account(context.Background(), started["id"].(string))
	require.NoError(t, err)
	require.Equal(t, "Lumen Shop", a.Handle)
	require.Equal(t, store.AccountActive, a.Status)
	status, out := f.json("GET", "/api/v1/clients/"+f.client.ID+"/accounts", nil)
	require.Equal(t, 200, status)
	require.Equal(t, "2027-01-21T12:00:00Z", out["items"].([]any)[0].(map[string]any)["reconnect_by"])

	f.fb.IdentitiesFor = func(publish.OAuthToken) ([]publish.Identity, error) { return nil, nil }
	callback, _ = f.connect("facebook", false)
	resp, body = f.page("GET", callback, nil)
	require.Equal(t, 422, resp.StatusCode)
	require.Contains(t, body, "manages no Page")
}

// The accounts page: a Connect button per OAuth network, disabled with the variables to
// set when not configured; connecting hands the browser on to the consent page (not by a
// redirect of the form's POST); an unconfigured network is refused next to the buttons;
// an account's reconnect-by date shows in the page's language, with a Reconnect button.
func TestAccountsPageOAuth(t *testing.T) {
	f := newOAuthAPI(t, testdb.Open(t, testdb.SQLitePath(t)))
	ed, editor, csrf := f.signIn("eddie", "editor")
	path := "/clients/" + f.client.ID + "/accounts"
	by := time.Now().UTC().Add(3 * 24 * time.Hour)
	later := time.Date(2099, 1, 21, 12, 0, 0, 0, time.UTC)
	now := time.Now().UTC()
	mk := func(network, handle, status string, reconnectBy *time.Time) *store.Account {
		a := &store.Account{ID: greenlight.NewID("acc_"), ClientID: f.client.ID, Network: network, Handle: handle, Status: status,
			Credentials: "sealed", CreatedBy: editor.ID, CreatedAt: now, UpdatedAt: now, ReconnectBy: reconnectBy}
		require.NoError(t, f.st.CreateAccount(context.Background(), a))
		return a
	}
	soon := mk("linkedin", "Lumen", store.AccountActive, &by)
	far := mk("facebook", "Lumen Page", store.AccountActive, &later)
	broken := mk("x", "lumen", store.AccountNeedsReconnect, nil)

	resp, page := ed.do("GET", path, nil)
	require.Equal(t, 200, resp.StatusCode, page)
	require.Regexp(t, `<button type="submit" id="connect-x">Connect X</button>`, page)
	require.Regexp(t, `<button type="submit" id="connect-instagram" disabled[^>]*>Connect Instagram</button>\s*<p class="hint" id="why-instagram">Not configured: the operator must set GREENLIGHT_META_APP_ID, GREENLIGHT_META_APP_SECRET.</p>`, page)
	require.Regexp(t, `data-account="`+far.ID+`"[\s\S]*?Reconnect before 21 January 2099\.`, page)
	require.Regexp(t, `data-account="`+soon.ID+`"[\s\S]*?notice notice-error reconnect-by[\s\S]*?Reconnect before [0-9]+ [A-Z][a-z]+ [0-9]{4}, or posts to it will fail`, page)
	require.Contains(t, page, `data-reconnect="`+broken.ID+`"`, "a Reconnect button for the account needing it")
	require.Contains(t, page, `data-reconnect="`+soon.ID+`"`, "and for one with a reconnect-by date")
	require.NotContains(t, page, "?reconnect="+broken.ID, "not the Bluesky form")
	require.Contains(t, page, "<strong class=\"handle\">Lumen Page</strong>", "no @ before a Page's name")

	resp, page = ed.do("POST", path+"/oauth", url.Values{"_csrf": {csrf}, "network": {"x"}})
	require.Equal(t, 200, resp.StatusCode, page)
	refresh := resp.Header.Get("Refresh")
	require.True(t, strings.HasPrefix(refresh, "0; url="+f.srv.URL+"/authorize?"), refresh)
	require.Contains(t, page, `id="oauth-continue" href="`+f.srv.URL+`/authorize?`)

	resp, page = ed.do("POST", path+"/oauth", url.Values{"_csrf": {csrf}, "network": {"instagram"}})
	require.Equal(t, 422, resp.StatusCode)
	require.Regexp(t, `id="oauth-error">network: Instagram is not configured`, page)

	resp, _ = ed.do("POST", path+"/oauth", url.Values{"network": {"x"}})
	require.Equal(t, 403, resp.StatusCode, "the session's CSRF token is required")

	ed.cookies["lang"] = &http.Cookie{Name: "lang", Value: "fr"}
	_, page = ed.do("GET", path, nil)
	require.Contains(t, page, "À reconnecter avant le 21 janvier 2099.")
	require.Contains(t, page, "Connecter une Page Facebook")
}
