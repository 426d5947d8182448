package outbound

import "net/netip"

// internalNets are the ranges, beyond what netip's predicates name, that reach the host
// itself, the local network or a provider's internal services.
var internalNets = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT, also used inside clouds
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, broadcast included
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("fec0::/10"),      // deprecated site-local
	netip.MustParsePrefix("100::/64"),       // discard-only
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
	netip.MustParsePrefix("::/96"),          // IPv4-compatible (deprecated), :: and ::1 included
	netip.MustParsePrefix("ff00::/8"),       // multicast (also caught below)
	netip.MustParsePrefix("fc00::/7"),       // unique-local (also caught by IsPrivate)
	netip.MustParsePrefix("169.254.0.0/16"), // link-local, cloud metadata (also caught below)
	netip.MustParsePrefix("fe80::/10"),      // link-local (also caught below)
	netip.MustParsePrefix("127.0.0.0/8"),    // loopback (also caught below)
	netip.MustParsePrefix("224.0.0.0/4"),    // multicast (also caught below)
}

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96") // well-known NAT64: the last 4 bytes are IPv4
	sixToFour = netip.MustParsePrefix("2002::/16")    // 6to4: bytes 2-5 are IPv4
)

// Internal reports whether ip is an address an outbound request must not reach unless
// allowed: loopback, link-local, private (RFC 1918, carrier-grade NAT), unique-local,
// multicast, unspecified or reserved, also when written as an IPv4-mapped IPv6 address or
// embedded in a NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address. The zero Addr is internal.
func Internal(ip netip.Addr) bool {
	if !ip.IsValid() {
		return true
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip):
			return Internal(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
		case sixToFour.Contains(ip):
			return Internal(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
		}
	}
	if ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() ||
		ip.IsMulticast() || ip.IsPrivate() || ip.IsUnspecified() {
		return true
	}
	for _, n := range internalNets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}
