// Package outbound owns every HTTP request that leaves the process (webhooks, Slack, network
// publishers): one client with timeouts, no redirects to other hosts, and a refusal, at dial
// time, of internal addresses that the operator has not allowed.
package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
	"unicode"
)

// ErrRefused is wrapped by every error about a destination this package will not reach: an
// internal address that is not allowed, or a redirect to another host. Retrying cannot help.
var ErrRefused = errors.New("outbound request refused")

// Policy says which internal destinations are allowed anyway. The zero value (and nil)
// allows none: every public address is reachable, no internal one is.
type Policy struct {
	hosts map[string]bool
	nets  []netip.Prefix
	// Resolver looks host names up; net.DefaultResolver when nil.
	Resolver interface {
		LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	}
}

// ParsePolicy reads a comma-separated list of host names, IP addresses and CIDRs (the
// GREENLIGHT_OUTBOUND_ALLOW syntax). Empty entries are skipped; any other entry that is not
// a host name, an address or a prefix is an error.
func ParsePolicy(allow string) (*Policy, error) {
	p := &Policy{hosts: map[string]bool{}}
	for _, e := range strings.Split(allow, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if strings.Contains(e, "/") {
			pfx, err := netip.ParsePrefix(e)
			if err != nil {
				return nil, fmt.Errorf("outbound allow list: %q is not a host name, an IP address or a CIDR", e)
			}
			p.nets = append(p.nets, pfx.Masked())
			continue
		}
		if ip, err := netip.ParseAddr(strings.Trim(e, "[]")); err == nil {
			p.nets = append(p.nets, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
			continue
		}
		host := normalHost(e)
		if !validHostname(host) {
			return nil, fmt.Errorf("outbound allow list: %q is not a host name, an IP address or a CIDR", e)
		}
		p.hosts[host] = true
	}
	return p, nil
}

// AllowsHost reports whether requests to this host name skip the address check.
func (p *Policy) AllowsHost(host string) bool {
	return p != nil && p.hosts[normalHost(host)]
}

// Permits reports whether ip may be dialled: any public address, or an internal one inside
// an allowed prefix.
func (p *Policy) Permits(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !Internal(ip) {
		return true
	}
	if p != nil {
		for _, n := range p.nets {
			if n.Contains(ip) {
				return true
			}
		}
	}
	return false
}

// CheckURL resolves the URL's host and returns an error wrapping ErrRefused when it is, or
// resolves to, an address the client would refuse; an error (not ErrRefused) when the name
// does not resolve. Saving a webhook uses it so that a mistake shows at once rather than at
// the first delivery; the dial-time check still decides, since DNS answers change.
func (p *Policy) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return fmt.Errorf("not a URL with a host")
	}
	host := u.Hostname()
	if p.AllowsHost(host) {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if !p.Permits(ip) {
			return fmt.Errorf("%w: %s is an internal address", ErrRefused, ip)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ips, err := p.resolver().LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return fmt.Errorf("host %s could not be resolved", host)
	}
	for _, ip := range ips {
		if !p.Permits(ip) {
			return fmt.Errorf("%w: %s resolves to the internal address %s", ErrRefused, host, ip.Unmap())
		}
	}
	return nil
}

func (p *Policy) resolver() interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
} {
	if p != nil && p.Resolver != nil {
		return p.Resolver
	}
	return net.DefaultResolver
}

// Options are the client's limits; zero fields take the defaults in parentheses.
type Options struct {
	DialTimeout           time.Duration // connect (5s)
	TLSHandshakeTimeout   time.Duration // (5s)
	ResponseHeaderTimeout time.Duration // from request sent to response headers (15s)
	Timeout               time.Duration // whole request, body included (30s)
	MaxRedirects          int           // same-host redirects followed (3); a negative value follows none
	// MaxConnsPerHost caps the connections open to one host at a time (16); a burst (every
	// post scheduled for the same minute) queues for them instead of opening one connection
	// per request: a server that serializes writes (a Bluesky PDS writes one repo at a
	// time) answers a few callers faster than hundreds, and the connections are reused.
	// HTTP/2 hosts multiplex requests on their connections and are not slowed.
	MaxConnsPerHost int
}

// NewClient returns the one HTTP client for outbound requests. It dials only addresses p
// permits (checked on the address actually dialled, after DNS resolution), ignores proxy
// environment variables (a proxy would hide the destination), and follows at most
// MaxRedirects redirects, each to the same host, never from https to http, and only those
// that keep the method and body (307, 308).
func NewClient(p *Policy, o Options) *http.Client {
	if o.DialTimeout <= 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.TLSHandshakeTimeout <= 0 {
		o.TLSHandshakeTimeout = 5 * time.Second
	}
	if o.ResponseHeaderTimeout <= 0 {
		o.ResponseHeaderTimeout = 15 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxRedirects == 0 {
		o.MaxRedirects = 3
	}
	if o.MaxConnsPerHost <= 0 {
		o.MaxConnsPerHost = 16
	}
	open := &net.Dialer{Timeout: o.DialTimeout, KeepAlive: 30 * time.Second}
	guarded := &net.Dialer{Timeout: o.DialTimeout, KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: cannot check address %q", ErrRefused, address)
			}
			if !p.Permits(ap.Addr()) {
				return fmt.Errorf("%w: %s is an internal address (allow it in GREENLIGHT_OUTBOUND_ALLOW)", ErrRefused, ap.Addr().Unmap())
			}
			return nil
		}}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if p.AllowsHost(host) {
				return open.DialContext(ctx, network, addr)
			}
			return guarded.DialContext(ctx, network, addr)
		},
		TLSHandshakeTimeout:   o.TLSHandshakeTimeout,
		ResponseHeaderTimeout: o.ResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          100,
		MaxConnsPerHost:       o.MaxConnsPerHost,
		MaxIdleConnsPerHost:   o.MaxConnsPerHost, // a burst's connections stay for the next one
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   o.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			first := via[0].URL
			switch {
			case len(via) > o.MaxRedirects:
				return fmt.Errorf("%w: more than %d redirects", ErrRefused, max(o.MaxRedirects, 0))
			case !strings.EqualFold(req.URL.Host, first.Host):
				return fmt.Errorf("%w: redirect to another host (%s)", ErrRefused, Sanitize(req.URL.Hostname(), 100))
			case first.Scheme == "https" && req.URL.Scheme != "https":
				return fmt.Errorf("%w: redirect from https to http", ErrRefused)
			case req.Method != via[0].Method:
				// 301/302/303 turn a POST into a GET: its 200 would pass for a delivery.
				return fmt.Errorf("%w: redirect would turn %s into %s (only 307 and 308 are followed)", ErrRefused, via[0].Method, req.Method)
			}
			return nil
		},
	}
}

// Describe says how a receiver answered, for histories and errors: the status code and its
// standard text only, never anything the receiver wrote (its body or reason phrase).
func Describe(what string, status int) string {
	if t := http.StatusText(status); t != "" {
		return fmt.Sprintf("%s answered %d %s", what, status, t)
	}
	return fmt.Sprintf("%s answered %d", what, status)
}

// Cause is a request error without the URL (which may hold a secret, as Slack webhook URLs
// do) and without anything the receiver sent: fit for histories and logs.
func Cause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case errors.Is(err, ErrRefused):
		return Sanitize(err.Error(), 200)
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "host not found"
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return Sanitize(opErr.Op+": "+opErr.Err.Error(), 200)
	}
	return Sanitize(err.Error(), 200)
}

// Sanitize makes text from elsewhere safe to record: control and format characters and
// runs of white space become one space, and the result is cut to at most max runes.
func Sanitize(s string, max int) string {
	words := strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) || r == unicode.ReplacementChar
	})
	r := []rune(strings.Join(words, " "))
	if len(r) > max {
		r = r[:max]
	}
	return string(r)
}

func normalHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
}

func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}
