package networks_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/publish/networks"
)

// X publishes only with the operator's app (its tokens cannot be refreshed without it);
// its provider is listed either way, so the service can say what to configure.
func TestXNeedsTheApp(t *testing.T) {
	cases := []struct {
		name      string
		cfg       networks.Config
		connector bool
	}{
		{name: "not configured", cfg: networks.Config{}},
		{name: "half configured", cfg: networks.Config{Apps: map[string]publish.OAuthApp{"x": {ClientID: "id"}}}},
		{name: "configured", cfg: networks.Config{Apps: map[string]publish.OAuthApp{"x": {ClientID: "id", ClientSecret: "secret"}}}, connector: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conns := networks.Connectors(http.DefaultClient, tc.cfg)
			_, ok := conns["x"]
			require.Equal(t, tc.connector, ok)
			require.Contains(t, conns, "bluesky")
			p, ok := networks.Providers(http.DefaultClient, tc.cfg)["x"]
			require.True(t, ok)
			require.True(t, p.PKCE())
			require.Equal(t, "x", p.Network())
		})
	}
}
