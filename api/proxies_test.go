package api_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/api"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

// Rate limits count the client behind trusted proxies by the right-most untrusted
// X-Forwarded-For address: a client rotating made-up left-most entries gets no new budget,
// and without trusted proxies the header is ignored altogether.
func TestRateLimitUsesTheClientBehindTrustedProxies(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		// app.Test connects from 0.0.0.0: here that is the proxy.
		proxy, err := api.ParseTrustedProxies("0.0.0.0/32")
		require.NoError(t, err)
		for _, tc := range []struct {
			name    string
			trusted []netip.Prefix
			client  string // "" when every request counts as the peer's
		}{
			{"behind a trusted proxy", proxy, "198.51.100.4"},
			{"no trusted proxy: header ignored", nil, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				app := api.New(api.Config{Service: &service.Service{Store: st, Log: log}, Store: st, Log: log,
					ApproveRateLimit: 3, TrustedProxies: tc.trusted})
				hit := func(xff string) int {
					status, _ := do(t, app, "GET", "/approve/gl_forged", map[string]string{"Accept": "application/json", "X-Forwarded-For": xff})
					return status
				}
				client := tc.client
				if client == "" {
					client = "203.0.113.50"
				}
				for i := range 3 {
					require.Equal(t, 404, hit(fmt.Sprintf("10.0.0.%d, %s", i, client)), "request %d", i)
				}
				require.Equal(t, 429, hit("10.0.0.99, "+client), "spoofed left-most entries give no new budget")
				require.Equal(t, 429, hit("garbage, "+client))
				if tc.client != "" {
					require.Equal(t, 404, hit("2001:db8::77"), "another client has its own budget")
				} else {
					require.Equal(t, 429, hit("2001:db8::77"), "the header is ignored: one peer, one budget")
				}
			})
		}
	})
}
