package x_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/internal/xtest"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/publish/x"
)

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// consent follows the authorize URL as a browser whose user consents, and returns the
// callback URL X sends it back to.
func consent(t *testing.T, authorizeURL string) *url.URL {
	t.Helper()
	hc := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(authorizeURL)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	back, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	return back
}

// The provider's authorize URL carries PKCE S256 and the scopes; the callback's code is
// exchanged with the verifier (Basic client authentication) for two-hour tokens with a
// refresh token; the identity is the user from /2/users/me.
func TestProvider(t *testing.T) {
	fake := xtest.Start(t, xtest.Options{})
	c := newConnector(fake)
	app := publish.OAuthApp{ClientID: fake.ClientID, ClientSecret: fake.ClientSecret}
	ctx := context.Background()
	const redirect = "https://greenlight.example/oauth/callback/x"
	verifier := "verifier-0123456789-0123456789-0123456789-abcdef"

	require.Equal(t, "x", c.Network())
	require.True(t, c.PKCE())
	require.Equal(t, []string{"tweet.read", "tweet.write", "users.read", "offline.access", "media.write"}, c.Scopes())

	authURL := c.AuthorizeURL(app, redirect, "state-1", s256(verifier))
	u, err := url.Parse(authURL)
	require.NoError(t, err)
	require.Equal(t, "/i/oauth2/authorize", u.Path)
	q := u.Query()
	require.Equal(t, "code", q.Get("response_type"))
	require.Equal(t, fake.ClientID, q.Get("client_id"))
	require.Equal(t, redirect, q.Get("redirect_uri"))
	require.Equal(t, strings.Join(x.Scopes, " "), q.Get("scope"))
	require.Equal(t, "state-1", q.Get("state"))
	require.Equal(t, "S256", q.Get("code_challenge_method"))
	require.Equal(t, s256(verifier), q.Get("code_challenge"))
	require.True(t, strings.HasPrefix(x.New(nil, app).AuthorizeURL(app, redirect, "s", "c"), "https://x.com/i/oauth2/authorize?"), "the real host by default")

	exchange := func(t *testing.T, verifier string) (publish.OAuthToken, error) {
		back := consent(t, c.AuthorizeURL(app, redirect, "state-2", s256("verifier-0123456789-0123456789-0123456789-abcdef")))
		require.Equal(t, "state-2", back.Query().Get("state"))
		return c.Exchange(ctx, app, redirect, back.Query().Get("code"), verifier)
	}

	t.Run("exchange and identity", func(t *testing.T) {
		tok, err := exchange(t, verifier)
		require.NoError(t, err)
		require.NotEmpty(t, tok.AccessToken)
		require.NotEmpty(t, tok.RefreshToken, "offline.access gives a refresh token")
		require.WithinDuration(t, time.Now().Add(2*time.Hour), tok.ExpiresAt, time.Minute)
		auths := fake.Authorizations()
		require.Equal(t, s256(verifier), auths[len(auths)-1].Challenge)

		ids, err := c.Identities(ctx, app, tok)
		require.NoError(t, err)
		require.Len(t, ids, 1)
		require.Equal(t, publish.Identity{ID: xtest.UserID, Kind: "user", Handle: "@" + xtest.Username, Name: xtest.Name, Credentials: ids[0].Credentials}, ids[0])
		require.True(t, ids[0].ReconnectBy.IsZero())
		cr := credsOf(t, ids[0].Credentials)
		require.Equal(t, tok.AccessToken, cr.AccessToken)
		require.Equal(t, tok.RefreshToken, cr.RefreshToken)
		require.Equal(t, xtest.UserID, cr.UserID)
		require.Equal(t, xtest.Username, cr.Username)

		// The credentials publish.
		res, err := c.Publish(ctx, publish.Account{ID: "acc", Network: "x", Credentials: ids[0].Credentials}, publish.Post{Key: "k", Text: "Connected"})
		require.NoError(t, err)
		require.Contains(t, res.URL, "/"+xtest.Username+"/status/")
	})

	refused := []struct {
		name     string
		app      publish.OAuthApp
		verifier string
		code     string
		message  string
	}{
		{name: "wrong verifier", app: app, verifier: "another-verifier-0123456789-0123456789-012345", message: "code verifier"},
		{name: "wrong secret", app: publish.OAuthApp{ClientID: app.ClientID, ClientSecret: "nope"}, verifier: verifier, message: "Missing valid authorization header"},
		{name: "unknown code", app: app, verifier: verifier, code: "code-forged", message: "authorization code was invalid"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			back := consent(t, c.AuthorizeURL(app, redirect, "st", s256(verifier)))
			code := back.Query().Get("code")
			if tc.code != "" {
				code = tc.code
			}
			_, err := c.Exchange(ctx, tc.app, redirect, code, tc.verifier)
			var pe *publish.Error
			require.ErrorAs(t, err, &pe)
			require.Equal(t, publish.KindAuth, pe.Kind)
			require.Contains(t, pe.Message, tc.message)
			require.NotContains(t, pe.Message, tc.app.ClientSecret)
		})
	}

	t.Run("code is single use", func(t *testing.T) {
		back := consent(t, c.AuthorizeURL(app, redirect, "st", s256(verifier)))
		_, err := c.Exchange(ctx, app, redirect, back.Query().Get("code"), verifier)
		require.NoError(t, err)
		_, err = c.Exchange(ctx, app, redirect, back.Query().Get("code"), verifier)
		require.Equal(t, publish.KindAuth, publish.KindOf(err))
	})
}
