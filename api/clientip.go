package api

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// ParseTrustedProxies reads GREENLIGHT_TRUSTED_PROXIES: comma-separated IP addresses and
// CIDRs. Empty entries are skipped; anything else that is not an address or a prefix is an
// error.
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, e := range strings.Split(list, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if p, err := netip.ParsePrefix(e); err == nil {
			if p.Addr().Is4In6() && p.Bits() >= 96 { // ::ffff:10.0.0.0/104 is 10.0.0.0/8
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			out = append(out, p.Masked())
			continue
		}
		ip, err := netip.ParseAddr(e)
		if err != nil {
			return nil, fmt.Errorf("trusted proxies: %q is not an IP address or a CIDR", e)
		}
		ip = ip.Unmap()
		out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
	}
	return out, nil
}

const clientIPKey = "client_ip"

// clientIPs works out each request's client address once (see clientAddr) for rate limits
// and logs, which read it with clientIP.
func clientIPs(trusted []netip.Prefix) fiber.Handler {
	return func(c *fiber.Ctx) error {
		peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
		var xff []string
		if len(trusted) > 0 {
			for _, v := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
				xff = append(xff, string(v))
			}
		}
		c.Locals(clientIPKey, clientAddr(peer, xff, trusted).String())
		return c.Next()
	}
}

// clientIP is the request's client address as clientIPs found it.
func clientIP(c *fiber.Ctx) string {
	if ip, ok := c.Locals(clientIPKey).(string); ok {
		return ip
	}
	return c.IP()
}

// clientAddr returns the socket peer, unless the peer is a trusted proxy: then the
// right-most X-Forwarded-For address that is not a trusted proxy, walking leftwards only
// through trusted ones. Entries left of that address were written by the client and are
// ignored, whatever they say. An entry that is not an IP address stops the walk at the last
// trusted hop, which is then the best address known. xff holds the header's values in
// order (a request may carry it more than once).
func clientAddr(peer netip.Addr, xff []string, trusted []netip.Prefix) netip.Addr {
	peer = peer.Unmap()
	if !isTrusted(peer, trusted) {
		return peer
	}
	var hops []string
	for _, v := range xff {
		hops = append(hops, strings.Split(v, ",")...)
	}
	last := peer
	for i := len(hops) - 1; i >= 0; i-- {
		ip, ok := parseHop(hops[i])
		if !ok {
			return last
		}
		if !isTrusted(ip, trusted) {
			return ip
		}
		last = ip
	}
	return last
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a port ("1.2.3.4:5",
// "[2001:db8::1]:5"), never with a zone.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	ip, err := netip.ParseAddr(s)
	if err != nil {
		ap, perr := netip.ParseAddrPort(s)
		if perr != nil {
			return netip.Addr{}, false
		}
		ip = ap.Addr()
	}
	if ip.Zone() != "" || !ip.IsValid() {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}

func isTrusted(ip netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
