package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/api"
	"github.com/greenlight/greenlight/internal/gtstest"
	"github.com/greenlight/greenlight/internal/mastodontest"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/publish/mastodon"
	"github.com/greenlight/greenlight/secrets"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

const greenlightURL = "http://greenlight.test"

// mastodonEnv is an API with a store, a secrets box and two clients, "mine" and "other".
type mastodonEnv struct {
	t                *testing.T
	st               *store.Store
	svc              *service.Service
	box              *secrets.Box
	app              *fiber.App
	logs             *bytes.Buffer
	mine, other      string
	editor, outsider string
	reviewer         string
	clock            time.Time
	accounts         string
}

func newMastodonEnv(t *testing.T) *mastodonEnv {
	e := &mastodonEnv{t: t, logs: &bytes.Buffer{}, clock: time.Now().UTC()}
	e.st = testdb.Open(t, testdb.SQLitePath(t))
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	policy, err := outbound.ParsePolicy("127.0.0.1")
	require.NoError(t, err)
	e.box, err = secrets.Parse(secrets.NewKey(), "")
	require.NoError(t, err)
	e.svc = &service.Service{Store: e.st, Log: log, Outbound: policy, HTTP: outbound.NewClient(policy, outbound.Options{}), Secrets: e.box,
		PublicURL: greenlightURL, Now: func() time.Time { return e.clock }}
	e.app = api.New(api.Config{Service: e.svc, Store: e.st, Log: log, PublicURL: greenlightURL})
	client := func(name string) string {
		c := &store.Client{ID: greenlight.NewID("cli_"), Name: name, ApprovalPolicy: "any", CreatedAt: time.Now().UTC(),
			Approvers: []store.Approver{{ID: greenlight.NewID("apr_"), Name: "A", Email: name + "@brand.test"}}}
		require.NoError(t, e.st.CreateClient(ctx, c))
		return c.ID
	}
	e.mine, e.other = client("mine"), client("other")
	user := func(name, role string, clients ...string) string {
		key, hash := greenlight.NewToken("glk_")
		require.NoError(t, e.st.CreateUser(ctx, &store.User{ID: greenlight.NewID("usr_"), Email: name + "@agency.test", Name: name,
			Role: role, APIKeyHash: &hash, CreatedAt: time.Now().UTC(), ClientIDs: clients}))
		return key
	}
	e.editor, e.outsider, e.reviewer = user("ed", "editor", e.mine), user("out", "admin", e.other), user("rev", "reviewer")
	e.accounts = "/api/v1/clients/" + e.mine + "/accounts"
	return e
}

// call sends a JSON API request as the user with key.
func (e *mastodonEnv) call(key, method, path string, body any) (int, map[string]any, string) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := e.app.Test(req, -1)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(out, &m)
	return resp.StatusCode, m, string(out)
}

// callback opens Greenlight's callback URL (as the browser the instance redirected) and
// returns the status and the Location.
func (e *mastodonEnv) callback(back string) (int, string) {
	require.True(e.t, strings.HasPrefix(back, greenlightURL+service.MastodonCallbackPath+"?"), back)
	req := httptest.NewRequest("GET", strings.TrimPrefix(back, greenlightURL), nil)
	req.Header.Set("Accept", "text/html")
	resp, err := e.app.Test(req, -1)
	require.NoError(e.t, err)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

// oauthBrowser is an HTTP client with cookies that does not follow redirects.
func oauthBrowser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var hiddenInput = regexp.MustCompile(`<input[^>]*type="hidden"[^>]*>`)
var attr = regexp.MustCompile(`(name|value)="([^"]*)"`)

// formFields reads the hidden inputs of an HTML page.
func formFields(page string) url.Values {
	out := url.Values{}
	for _, in := range hiddenInput.FindAllString(page, -1) {
		var name, value string
		for _, m := range attr.FindAllStringSubmatch(in, -1) {
			if m[1] == "name" {
				name = m[2]
			} else {
				value = htmlUnescape(m[2])
			}
		}
		if name != "" {
			out.Set(name, value)
		}
	}
	return out
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#34;", `"`, "&quot;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&#43;", "+").Replace(s)
}

func get(t *testing.T, b *http.Client, u string) (*http.Response, string) {
	resp, err := b.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// Connecting a Mastodon account by authorization, against the contract fake (which checks
// PKCE): the answer is pending with the instance's authorization URL; the browser approves
// there and comes back to the callback, which makes the account active with its handle and
// a sealed token, then goes to the client's accounts page. The state works once, for ten
// minutes; the app is registered once per instance; a refused authorization leaves nothing.
func TestConnectMastodonByAuthorization(t *testing.T) {
	fake := mastodontest.Start(t, mastodontest.Options{})
	e := newMastodonEnv(t)
	ctx := context.Background()
	connect := map[string]any{"network": "mastodon", "instance_url": fake.URL}

	start := func() (string, string) {
		status, got, body := e.call(e.editor, "POST", e.accounts, connect)
		require.Equal(t, 201, status, body+e.logs.String())
		require.Equal(t, "pending", got["status"])
		require.Equal(t, "", got["handle"])
		u, err := url.Parse(got["authorize_url"].(string))
		require.NoError(t, err)
		require.Equal(t, fake.URL+"/oauth/authorize", u.Scheme+"://"+u.Host+u.Path)
		q := u.Query()
		require.Equal(t, "S256", q.Get("code_challenge_method"))
		require.Len(t, q.Get("code_challenge"), 43)
		require.Equal(t, greenlightURL+"/oauth/callback/mastodon", q.Get("redirect_uri"))
		require.Equal(t, mastodon.Scopes, q.Get("scope"))
		require.GreaterOrEqual(t, len(q.Get("state")), 43)
		return got["id"].(string), u.String()
	}
	approve := func(authorizeURL, decision string) string {
		b := oauthBrowser()
		resp, page := get(t, b, authorizeURL)
		require.Equal(t, 200, resp.StatusCode, page)
		form := formFields(page)
		form.Set("decision", decision)
		resp, err := b.PostForm(fake.URL+"/oauth/authorize", form)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 302, resp.StatusCode)
		return resp.Header.Get("Location")
	}

	pendingID, authorizeURL := start()
	back := approve(authorizeURL, "approve")
	status, loc := e.callback(back)
	require.Equal(t, 303, status)
	require.Equal(t, "/clients/"+e.mine+"/accounts?connected="+pendingID, loc)

	_, list, body := e.call(e.editor, "GET", e.accounts, nil)
	items := list["items"].([]any)
	require.Len(t, items, 1, body)
	acct := items[0].(map[string]any)
	require.Equal(t, pendingID, acct["id"])
	require.Equal(t, "active", acct["status"])
	require.Equal(t, "@brand@127.0.0.1", acct["handle"])
	require.Equal(t, fake.URL, acct["service_url"])

	a, err := e.st.Account(ctx, pendingID)
	require.NoError(t, err)
	plain, err := e.box.Open(a.Credentials, []byte(a.ID))
	require.NoError(t, err)
	var cred mastodon.Credentials
	require.NoError(t, json.Unmarshal(plain, &cred))
	require.NotEmpty(t, cred.AccessToken)
	require.Equal(t, mastodontest.BrandID, cred.AccountID)
	require.NotContains(t, body+e.logs.String()+a.Credentials, cred.AccessToken, "the token is never shown or kept in clear")

	// The same state again: 410, whatever the code.
	status, _ = e.callback(back)
	require.Equal(t, 410, status)
	// An unknown state: 400; none at all: 400.
	status, _ = e.callback(greenlightURL + "/oauth/callback/mastodon?code=x&state=forged")
	require.Equal(t, 400, status)
	status, _ = e.callback(greenlightURL + "/oauth/callback/mastodon?code=x")
	require.Equal(t, 400, status)

	// A second authorization for the same account: a reconnection, with the app already
	// registered; the pending row is folded into the existing account.
	second, authorizeURL := start()
	require.NotEqual(t, pendingID, second)
	status, loc = e.callback(approve(authorizeURL, "approve"))
	require.Equal(t, 303, status)
	require.Equal(t, "/clients/"+e.mine+"/accounts?connected="+pendingID, loc)
	_, list, _ = e.call(e.editor, "GET", e.accounts, nil)
	require.Len(t, list["items"].([]any), 1)
	require.Equal(t, 1, fake.Calls("POST /api/v1/apps"), "registered once per instance")

	// Refused at the instance: 403, and the pending account is gone.
	_, authorizeURL = start()
	status, _ = e.callback(approve(authorizeURL, "deny"))
	require.Equal(t, 403, status)
	_, list, _ = e.call(e.editor, "GET", e.accounts, nil)
	require.Len(t, list["items"].([]any), 1)

	// Expired: eleven minutes later the state no longer works.
	_, authorizeURL = start()
	back = approve(authorizeURL, "approve")
	e.clock = e.clock.Add(11 * time.Minute)
	status, _ = e.callback(back)
	require.Equal(t, 410, status)

	// A code exchanged without the right PKCE verifier is refused by the instance: the
	// callback says so (422) and the account stays pending.
	e.clock = time.Now().UTC().Add(time.Hour)
	pending, authorizeURL := start()
	back = approve(authorizeURL, "approve")
	u, _ := url.Parse(authorizeURL)
	q := u.Query()
	q.Set("code_challenge", mastodon.Challenge("another verifier"))
	u.RawQuery = q.Encode()
	forgedBack := approve(u.String(), "approve") // same state, a challenge we did not make
	_ = back
	status, _ = e.callback(forgedBack)
	require.Equal(t, 422, status)
	p, err := e.st.Account(ctx, pending)
	require.NoError(t, err)
	require.Equal(t, "pending", p.Status)

	// Who may: reviewers cannot connect; another client's admin sees nothing.
	status, _, body = e.call(e.reviewer, "POST", e.accounts, connect)
	require.Equal(t, 403, status, body)
	status, _, body = e.call(e.outsider, "POST", e.accounts, connect)
	require.Equal(t, 404, status, body)
}

// Connecting by access token (scripts): verify_credentials decides; a refused token is 422;
// a bad instance URL is 422 naming the field; without GREENLIGHT_PUBLIC_URL an authorization
// cannot start (503) but a token still works.
func TestConnectMastodonByToken(t *testing.T) {
	fake := mastodontest.Start(t, mastodontest.Options{})
	e := newMastodonEnv(t)
	for _, tc := range []struct {
		name    string
		body    map[string]any
		status  int
		message string
	}{
		{"wrong token", map[string]any{"network": "mastodon", "instance_url": fake.URL, "access_token": "nope"}, 422, "access_token: the instance refused this token"},
		{"no instance", map[string]any{"network": "mastodon"}, 422, "instance_url: required"},
		{"not a base URL", map[string]any{"network": "mastodon", "instance_url": fake.URL + "/about"}, 422, "instance_url: must be the server's base URL, such as https://mastodon.social"},
		{"internal host", map[string]any{"network": "mastodon", "instance_url": "https://10.1.2.3"}, 422, "instance_url: outbound request refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := e.call(e.editor, "POST", e.accounts, tc.body)
			require.Equal(t, tc.status, status, body)
			require.Contains(t, body, tc.message)
		})
	}
	_, list, _ := e.call(e.editor, "GET", e.accounts, nil)
	require.Empty(t, list["items"])

	status, got, body := e.call(e.editor, "POST", e.accounts, map[string]any{"network": "mastodon", "instance_url": fake.URL, "access_token": fake.Token})
	require.Equal(t, 201, status, body)
	require.Equal(t, "active", got["status"])
	require.Equal(t, "@brand@127.0.0.1", got["handle"])
	require.NotContains(t, body, fake.Token)
	require.Nil(t, got["authorize_url"])
	status, again, body := e.call(e.editor, "POST", e.accounts, map[string]any{"network": "mastodon", "instance_url": fake.URL, "access_token": fake.Token})
	require.Equal(t, 200, status, body)
	require.Equal(t, got["id"], again["id"])

	e.svc.PublicURL = ""
	status, _, body = e.call(e.editor, "POST", e.accounts, map[string]any{"network": "mastodon", "instance_url": fake.URL})
	require.Equal(t, 503, status, body)
	require.Contains(t, body, "GREENLIGHT_PUBLIC_URL")
}

// The same connection against a real Mastodon-API server, GoToSocial's test rig: the
// browser signs in as the rig's user, approves, and comes back; the account is active with
// the rig's account. (GoToSocial 0.18 ignores PKCE: the fake test above checks it.)
func TestConnectMastodonOnGoToSocial(t *testing.T) {
	gts := gtstest.Start(t)
	e := newMastodonEnv(t)

	status, got, body := e.call(e.editor, "POST", e.accounts, map[string]any{"network": "mastodon", "instance_url": gts.URL})
	require.Equal(t, 201, status, body)
	authorizeURL := got["authorize_url"].(string)

	b := oauthBrowser()
	resp, page := get(t, b, authorizeURL)
	for resp.StatusCode == 302 || resp.StatusCode == 303 { // to the sign-in page
		resp, page = get(t, b, resolve(t, gts.URL, resp.Header.Get("Location")))
	}
	require.Equal(t, 200, resp.StatusCode, page)
	resp, err := b.PostForm(gts.URL+"/auth/sign_in", url.Values{"username": {gtstest.ZorkEmail}, "password": {gtstest.ZorkPassword}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Contains(t, []int{302, 303}, resp.StatusCode)
	resp, page = get(t, b, resolve(t, gts.URL, resp.Header.Get("Location")))
	require.Equal(t, 200, resp.StatusCode, page) // the consent page
	resp, err = b.PostForm(gts.URL+"/oauth/authorize", formFields(page))
	require.NoError(t, err)
	resp.Body.Close()
	require.Contains(t, []int{302, 303}, resp.StatusCode)
	back := resp.Header.Get("Location")

	status, loc := e.callback(back)
	require.Equal(t, 303, status, e.logs.String())
	require.Equal(t, "/clients/"+e.mine+"/accounts?connected="+got["id"].(string), loc)
	_, list, body := e.call(e.editor, "GET", e.accounts, nil)
	acct := list["items"].([]any)[0].(map[string]any)
	require.Equal(t, "active", acct["status"], body)
	require.Equal(t, "@"+gtstest.ZorkUsername+"@127.0.0.1", acct["handle"])

	status, _, body = e.call(e.editor, "POST", e.accounts, map[string]any{"network": "mastodon", "instance_url": gts.URL, "access_token": "not-a-token"})
	require.Equal(t, 422, status, body)
	status, _, body = e.call(e.editor, "POST", e.accounts, map[string]any{"network": "mastodon", "instance_url": gts.URL, "access_token": gtstest.ZorkToken})
	require.Equal(t, 200, status, "the same account: a reconnection: %s", body)
}

func resolve(t *testing.T, base, loc string) string {
	b, err := url.Parse(base)
	require.NoError(t, err)
	u, err := b.Parse(loc)
	require.NoError(t, err)
	return u.String()
}
