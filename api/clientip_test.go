package api

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/stretchr/testify/require"
)

func TestClientAddr(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, proxy.example")
	require.Error(t, err, "a bad entry is refused")
	trusted, err = ParseTrustedProxies(" 10.0.0.0/8, 192.0.2.7 ,, 2001:db8:aa::/48, ::ffff:172.16.0.0/108")
	require.NoError(t, err)
	proxy := netip.MustParseAddr("10.1.2.3")
	for _, tc := range []struct {
		name    string
		peer    string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"no proxies configured: the peer, header ignored", "203.0.113.9", []string{"1.1.1.1"}, nil, "203.0.113.9"},
		{"untrusted peer sending the header", "203.0.113.9", []string{"1.1.1.1"}, trusted, "203.0.113.9"},
		{"one trusted proxy", proxy.String(), []string{"198.51.100.4"}, trusted, "198.51.100.4"},
		{"spoofed left-most entries are ignored", proxy.String(), []string{"1.1.1.1, 8.8.8.8, 198.51.100.4"}, trusted, "198.51.100.4"},
		{"chain of trusted proxies", proxy.String(), []string{"6.6.6.6, 198.51.100.4, 192.0.2.7, 10.9.9.9"}, trusted, "198.51.100.4"},
		{"header repeated", proxy.String(), []string{"6.6.6.6", "198.51.100.4, 10.9.9.9"}, trusted, "198.51.100.4"},
		{"garbage right-most: the peer", proxy.String(), []string{"198.51.100.4, not-an-ip"}, trusted, proxy.String()},
		{"garbage behind a trusted hop: that hop", proxy.String(), []string{"<script>, 192.0.2.7"}, trusted, "192.0.2.7"},
		{"garbage left of the client: ignored", proxy.String(), []string{"'; DROP TABLE x, 198.51.100.4"}, trusted, "198.51.100.4"},
		{"empty header: the peer", proxy.String(), []string{""}, trusted, proxy.String()},
		{"no header: the peer", proxy.String(), nil, trusted, proxy.String()},
		{"all trusted: the left-most", proxy.String(), []string{"10.5.5.5, 192.0.2.7"}, trusted, "10.5.5.5"},
		{"IPv6 client", proxy.String(), []string{"2001:db8:cafe::17"}, trusted, "2001:db8:cafe::17"},
		{"IPv6 client with port", proxy.String(), []string{"[2001:db8:cafe::17]:4711"}, trusted, "2001:db8:cafe::17"},
		{"IPv4 client with port", proxy.String(), []string{"198.51.100.4:4711"}, trusted, "198.51.100.4"},
		{"IPv6 trusted proxy", "2001:db8:aa::1", []string{"198.51.100.4"}, trusted, "198.51.100.4"},
		{"IPv4-mapped peer", "::ffff:10.1.2.3", []string{"::ffff:198.51.100.4"}, trusted, "198.51.100.4"},
		{"mapped trusted CIDR", "172.16.0.9", []string{"198.51.100.4"}, trusted, "198.51.100.4"},
		{"zone is garbage", proxy.String(), []string{"fe80::1%eth0"}, trusted, proxy.String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := clientAddr(netip.MustParseAddr(tc.peer), tc.xff, tc.trusted)
			require.Equal(t, tc.want, got.String())
		})
	}
}

// Forwarded host and scheme (used for links when no public URL is set) are believed only
// from trusted proxies.
func TestForwardedHostOnlyFromTrustedProxies(t *testing.T) {
	trusted, err := ParseTrustedProxies("0.0.0.0") // app.Test connects from 0.0.0.0
	require.NoError(t, err)
	for _, tc := range []struct {
		name    string
		trusted []netip.Prefix
		want    string
	}{
		{"no trusted proxy", nil, "http://example.com"},
		{"from a trusted proxy", trusted, "https://greenlight.agency.test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := New(Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), TrustedProxies: tc.trusted})
			app.Get("/probe", func(c *fiber.Ctx) error { return c.SendString(c.BaseURL() + " " + clientIP(c)) })
			req := httptest.NewRequest("GET", "/probe", nil)
			req.Header.Set("X-Forwarded-Host", "greenlight.agency.test")
			req.Header.Set("X-Forwarded-Proto", "https")
			req.Header.Set("X-Forwarded-For", "198.51.100.4")
			resp, err := app.Test(req, -1)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			ip := "0.0.0.0"
			if tc.trusted != nil {
				ip = "198.51.100.4"
			}
			require.Equal(t, tc.want+" "+ip, string(body))
		})
	}
}
