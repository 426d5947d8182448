package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

type browser struct {
	t       *testing.T
	app     *fiber.App
	cookies map[string]*http.Cookie
}

func (b *browser) do(method, path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html")
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	resp, err := b.app.Test(req, -1)
	require.NoError(b.t, err)
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func TestSignInSessionsAndCSRF(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		app := newApp(t, st, 30)
		svc := &service.Service{Store: st}
		ctx := context.Background()
		u := &store.User{ID: greenlight.NewID("usr_"), Email: "eve@agency.test", Name: "Eve", Role: "editor", CreatedAt: time.Now().UTC()}
		require.NoError(t, st.CreateUser(ctx, u))
		invite, err := svc.BootstrapInvite(ctx, u.ID)
		require.NoError(t, err)
		b := &browser{t: t, app: app, cookies: map[string]*http.Cookie{}}

		resp, _ := b.do("GET", "/board", nil)
		require.Equal(t, 303, resp.StatusCode)
		require.Equal(t, "/login?next=%2Fboard", resp.Header.Get("Location"))

		// Setting the password from the invite signs the user in.
		resp, page := b.do("GET", "/invite/"+invite, nil)
		require.Equal(t, 200, resp.StatusCode)
		require.Equal(t, "no-referrer", resp.Header.Get("Referrer-Policy"))
		csrf := csrfRE.FindStringSubmatch(page)[1]
		resp, _ = b.do("POST", "/invite/"+invite, url.Values{"_csrf": {csrf}, "password": {"short"}})
		require.Equal(t, 303, resp.StatusCode, "too short: back to the form")
		_, page = b.do("GET", "/invite/"+invite, nil)
		csrf = csrfRE.FindStringSubmatch(page)[1]
		resp, _ = b.do("POST", "/invite/"+invite, url.Values{"_csrf": {csrf}, "password": {"correct horse battery"}})
		require.Equal(t, 303, resp.StatusCode)
		require.Equal(t, "/board", resp.Header.Get("Location"))
		sess := b.cookies["gl_session"]
		require.NotNil(t, sess)
		require.True(t, sess.HttpOnly)
		require.Equal(t, http.SameSiteLaxMode, sess.SameSite)
		resp, _ = b.do("GET", "/invite/"+invite, nil)
		require.Equal(t, 410, resp.StatusCode, "an invite works once")

		resp, page = b.do("GET", "/board", nil)
		require.Equal(t, 200, resp.StatusCode)
		csp := resp.Header.Get("Content-Security-Policy")
		require.Contains(t, csp, "script-src 'self'")
		require.Contains(t, csp, "frame-ancestors 'none'")
		require.NotContains(t, csp, "unsafe-inline")
		require.NotContains(t, page, "<script>", "no inline scripts")
		sessCSRF := csrfRE.FindStringSubmatch(page)[1]

		resp, _ = b.do("POST", "/posts", url.Values{"client_id": {"cli_x"}})
		require.Equal(t, 403, resp.StatusCode, "a form without the session's CSRF token is refused")
		resp, _ = b.do("POST", "/posts", url.Values{"client_id": {"cli_x"}, "_csrf": {"forged"}})
		require.Equal(t, 403, resp.StatusCode)

		resp, _ = b.do("POST", "/logout", url.Values{"_csrf": {sessCSRF}})
		require.Equal(t, 303, resp.StatusCode)
		resp, _ = b.do("GET", "/board", nil)
		require.Equal(t, 303, resp.StatusCode, "signed out")

		// Sign in with the password; a wrong one says nothing about which part was wrong.
		_, page = b.do("GET", "/login", nil)
		loginCSRF := csrfRE.FindStringSubmatch(page)[1]
		resp, _ = b.do("POST", "/login", url.Values{"email": {"eve@agency.test"}, "password": {"correct horse battery"}})
		require.Equal(t, 403, resp.StatusCode, "login CSRF")
		resp, _ = b.do("POST", "/login", url.Values{"_csrf": {loginCSRF}, "email": {"eve@agency.test"}, "password": {"wrong password!"}})
		require.Equal(t, 303, resp.StatusCode)
		_, page = b.do("GET", resp.Header.Get("Location"), nil)
		require.Contains(t, page, "email or password is wrong")
		loginCSRF = csrfRE.FindStringSubmatch(page)[1]
		resp, _ = b.do("POST", "/login", url.Values{"_csrf": {loginCSRF}, "email": {"eve@agency.test"}, "password": {"correct horse battery"}, "next": {"//evil.example/"}})
		require.Equal(t, 303, resp.StatusCode)
		require.Equal(t, "/board", resp.Header.Get("Location"), "no open redirect")
		resp, _ = b.do("GET", "/board", nil)
		require.Equal(t, 200, resp.StatusCode)

		// French from Accept-Language or the switch.
		resp, _ = b.do("GET", "/lang/fr?next=/board", nil)
		require.Equal(t, 303, resp.StatusCode)
		_, page = b.do("GET", "/board", nil)
		require.Contains(t, page, "Tableau")
	})
}
