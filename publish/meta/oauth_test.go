package meta_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/internal/metatest"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/publish/meta"
)

var app = publish.OAuthApp{ClientID: metatest.AppID, ClientSecret: metatest.AppSecret}

const redirectURI = "https://greenlight.agency.fr/oauth/callback/instagram"

func providers(t *testing.T, f *metatest.Server) map[string]*meta.Provider {
	out := map[string]*meta.Provider{"instagram": meta.NewInstagramProvider(client(t), f.Version), "facebook": meta.NewFacebookProvider(client(t), f.Version)}
	for _, p := range out {
		p.GraphURL, p.DialogURL = f.URL, f.URL
	}
	return out
}

// consent follows the authorize URL as the person's browser would and returns the
// callback's query.
func consent(t *testing.T, authorizeURL string) url.Values {
	hc := client(t)
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Get(authorizeURL)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, redirectURI, loc.Scheme+"://"+loc.Host+loc.Path)
	return loc.Query()
}

func TestProviderAuthorizeURL(t *testing.T) {
	tests := []struct {
		network string
		scopes  []string
	}{
		{"instagram", []string{"pages_show_list", "pages_read_engagement", "instagram_basic", "instagram_content_publish"}},
		{"facebook", []string{"pages_show_list", "pages_read_engagement", "pages_manage_posts"}},
	}
	for _, tt := range tests {
		t.Run(tt.network, func(t *testing.T) {
			p := meta.NewInstagramProvider(nil, "v21.0")
			if tt.network == "facebook" {
				p = meta.NewFacebookProvider(nil, "v21.0")
			}
			require.Equal(t, tt.network, p.Network())
			require.False(t, p.PKCE())
			require.Equal(t, tt.scopes, p.Scopes())
			u, err := url.Parse(p.AuthorizeURL(app, redirectURI, "st4te", ""))
			require.NoError(t, err)
			require.Equal(t, "https://www.facebook.com/v21.0/dialog/oauth", u.Scheme+"://"+u.Host+u.Path)
			q := u.Query()
			require.Equal(t, metatest.AppID, q.Get("client_id"))
			require.Equal(t, redirectURI, q.Get("redirect_uri"))
			require.Equal(t, "st4te", q.Get("state"))
			require.Equal(t, "code", q.Get("response_type"))
			require.Equal(t, strings.Join(tt.scopes, ","), q.Get("scope"))
			require.NotContains(t, u.String(), metatest.AppSecret)
		})
	}
}

func TestProviderConnects(t *testing.T) {
	type want struct{ id, kind, handle, pageID, pageToken, igUser string }
	tests := []struct {
		network string
		want    []want
	}{
		{"instagram", []want{{metatest.IGUserID, "instagram", "@" + metatest.IGUsername, metatest.PageID, metatest.PageToken, metatest.IGUserID}}},
		{"facebook", []want{
			{metatest.PageID, "page", metatest.PageName, metatest.PageID, metatest.PageToken, ""},
			{metatest.Page2ID, "page", metatest.Page2Name, metatest.Page2ID, metatest.Page2Token, ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.network, func(t *testing.T) {
			f := metatest.Start(t, metatest.Options{Version: "v22.0", AccountsPageSize: 1})
			p := providers(t, f)[tt.network]
			q := consent(t, p.AuthorizeURL(app, redirectURI, "st4te", ""))
			require.Equal(t, "st4te", q.Get("state"))
			require.NotEmpty(t, q.Get("code"))

			tok, err := p.Exchange(context.Background(), app, redirectURI, q.Get("code"), "")
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(tok.AccessToken, "EAAGlong"), "the long-lived token, not the short one")
			require.WithinDuration(t, time.Now().Add(60*24*time.Hour), tok.ExpiresAt, 24*time.Hour)
			require.Equal(t, 2, f.Calls("GET /oauth/access_token"), "code exchange then fb_exchange_token")

			ids, err := p.Identities(context.Background(), app, tok)
			require.NoError(t, err)
			require.Len(t, ids, len(tt.want))
			require.Equal(t, 3, f.Calls("GET /me/accounts"), "one Page per answer: the cursors are followed")
			for i, w := range tt.want {
				require.Equal(t, w.id, ids[i].ID)
				require.Equal(t, w.kind, ids[i].Kind)
				require.Equal(t, w.handle, ids[i].Handle)
				require.True(t, ids[i].ReconnectBy.IsZero(), "Page tokens do not expire")
				var cred meta.Credentials
				require.NoError(t, json.Unmarshal(ids[i].Credentials, &cred))
				require.Equal(t, w.pageID, cred.PageID)
				require.Equal(t, w.pageToken, cred.PageToken)
				require.Equal(t, w.igUser, cred.IGUserID)
			}
		})
	}
}

func TestProviderRefusals(t *testing.T) {
	tests := []struct {
		name    string
		run     func(t *testing.T, f *metatest.Server, p *meta.Provider) error
		kind    publish.Kind
		message string
	}{
		{"code used twice", func(t *testing.T, f *metatest.Server, p *meta.Provider) error {
			q := consent(t, p.AuthorizeURL(app, redirectURI, "s", ""))
			_, err := p.Exchange(context.Background(), app, redirectURI, q.Get("code"), "")
			require.NoError(t, err)
			_, err = p.Exchange(context.Background(), app, redirectURI, q.Get("code"), "")
			return err
		}, publish.KindAuth, "authorization code has been used"},
		{"wrong secret", func(t *testing.T, f *metatest.Server, p *meta.Provider) error {
			q := consent(t, p.AuthorizeURL(app, redirectURI, "s", ""))
			_, err := p.Exchange(context.Background(), publish.OAuthApp{ClientID: app.ClientID, ClientSecret: "nope"}, redirectURI, q.Get("code"), "")
			return err
		}, publish.KindAuth, "Error validating client secret"},
		{"other redirect URI", func(t *testing.T, f *metatest.Server, p *meta.Provider) error {
			q := consent(t, p.AuthorizeURL(app, redirectURI, "s", ""))
			_, err := p.Exchange(context.Background(), app, "https://evil.example.net/cb", q.Get("code"), "")
			return err
		}, publish.KindAuth, "redirect_uri is identical"},
		{"token endpoint down", func(t *testing.T, f *metatest.Server, p *meta.Provider) error {
			f.Fail("GET /oauth/access_token", metatest.Fault{Status: 500, Body: metatest.GraphError(2, 0, "OAuthException", "Service temporarily unavailable")})
			_, err := p.Exchange(context.Background(), app, redirectURI, "whatever", "")
			return err
		}, publish.KindRetryable, "temporarily unavailable"},
		{"expired user token", func(t *testing.T, f *metatest.Server, p *meta.Provider) error {
			q := consent(t, p.AuthorizeURL(app, redirectURI, "s", ""))
			tok, err := p.Exchange(context.Background(), app, redirectURI, q.Get("code"), "")
			require.NoError(t, err)
			f.ExpireToken(tok.AccessToken)
			_, err = p.Identities(context.Background(), app, tok)
			return err
		}, publish.KindAuth, "Session has expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := metatest.Start(t, metatest.Options{})
			err := tt.run(t, f, providers(t, f)["instagram"])
			pe := requireKind(t, err, tt.kind)
			require.Contains(t, pe.Message, tt.message)
			require.NotContains(t, pe.Error(), metatest.AppSecret)
		})
	}
}
