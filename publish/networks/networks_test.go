package networks_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/publish/meta"
	"github.com/greenlight/greenlight/publish/networks"
)

// Instagram and Facebook publish through Greenlight only when the Meta app is configured;
// their providers are listed either way (the service says "not configured").
func TestMetaNetworksFollowTheApp(t *testing.T) {
	metaApp := publish.OAuthApp{ClientID: "1", ClientSecret: "s"}
	tests := []struct {
		name  string
		cfg   networks.Config
		conns bool
	}{
		{"not configured", networks.Config{}, false},
		{"configured", networks.Config{Apps: map[string]publish.OAuthApp{"instagram": metaApp, "facebook": metaApp},
			MetaGraphVersion: "v22.0", PublicURL: "http://localhost:8080"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conns := networks.Connectors(http.DefaultClient, tt.cfg)
			providers := networks.Providers(http.DefaultClient, tt.cfg)
			for _, n := range []string{"instagram", "facebook"} {
				_, ok := conns[n]
				require.Equal(t, tt.conns, ok, n)
				require.Equal(t, n, providers[n].Network())
			}
			if !tt.conns {
				return
			}
			ig := conns["instagram"].(*meta.Instagram)
			require.Equal(t, "v22.0", ig.Version)
			require.Equal(t, "http://localhost:8080", ig.PublicURL)
			require.Equal(t, meta.DefaultGraphURL, ig.GraphURL)
			require.Equal(t, "s", ig.AppSecret)
			require.Equal(t, "s", conns["facebook"].(*meta.Facebook).AppSecret)
		})
	}
}
