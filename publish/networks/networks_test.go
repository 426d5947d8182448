package networks_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/publish/meta"
	"github.com/greenlight/greenlight/publish/networks"
)

// The OAuth networks publish through Greenlight only when the operator's app is
// configured (their accounts cannot be connected or kept fresh without it); their
// providers are listed either way, so that the service can say what to configure.
func TestOAuthNetworksFollowTheApp(t *testing.T) {
	app := publish.OAuthApp{ClientID: "id", ClientSecret: "secret"}
	all := map[string]publish.OAuthApp{"x": app, "linkedin": app, "instagram": app, "facebook": app}
	oauth := []string{"x", "linkedin", "instagram", "facebook"}
	tests := []struct {
		name  string
		cfg   networks.Config
		conns bool
	}{
		{"not configured", networks.Config{}, false},
		{"half configured", networks.Config{Apps: map[string]publish.OAuthApp{
			"x": {ClientID: "id"}, "linkedin": {ClientID: "id"}, "instagram": {ClientID: "id"}, "facebook": {ClientID: "id"},
		}}, false},
		{"configured", networks.Config{Apps: all, MetaGraphVersion: "v22.0", PublicURL: "http://localhost:8080"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conns := networks.Connectors(http.DefaultClient, tt.cfg)
			providers := networks.Providers(http.DefaultClient, tt.cfg)
			require.Contains(t, conns, "bluesky")
			require.Contains(t, conns, "mastodon")
			for _, n := range oauth {
				_, ok := conns[n]
				require.Equal(t, tt.conns, ok, n)
				require.Equal(t, n, providers[n].Network())
			}
			require.True(t, providers["x"].PKCE(), "X requires PKCE")
			if !tt.conns {
				return
			}
			ig := conns["instagram"].(*meta.Instagram)
			require.Equal(t, "v22.0", ig.Version)
			require.Equal(t, "http://localhost:8080", ig.PublicURL)
			require.Equal(t, meta.DefaultGraphURL, ig.GraphURL)
			require.Equal(t, "secret", ig.AppSecret)
			require.Equal(t, "secret", conns["facebook"].(*meta.Facebook).AppSecret)
		})
	}
}
