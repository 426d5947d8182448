package main

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

// The allow list and the trusted proxies are parsed once at start; a bad entry stops every
// command instead of being ignored.
func TestOutboundAndProxyConfig(t *testing.T) {
	t.Setenv("GREENLIGHT_OUTBOUND_ALLOW", "127.0.0.1, hooks.internal, 10.0.0.0/8")
	t.Setenv("GREENLIGHT_TRUSTED_PROXIES", "10.0.0.1, 172.16.0.0/12")
	c := envConfig()
	require.Empty(t, c.errs)
	require.True(t, c.outbound.Permits(netip.MustParseAddr("10.1.1.1")))
	require.True(t, c.outbound.AllowsHost("hooks.internal"))
	require.Len(t, c.trustedProxies, 2)

	t.Setenv("GREENLIGHT_OUTBOUND_ALLOW", "127.0.0.1, http://hooks.internal")
	t.Setenv("GREENLIGHT_TRUSTED_PROXIES", "10.0.0.1, proxy.internal")
	err := envConfig().check("api")
	require.ErrorContains(t, err, `GREENLIGHT_OUTBOUND_ALLOW: outbound allow list: "http://hooks.internal" is not a host name`)
	require.ErrorContains(t, err, `GREENLIGHT_TRUSTED_PROXIES: trusted proxies: "proxy.internal" is not an IP address`)
}
