package outbound_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/outbound"
)

func TestInternal(t *testing.T) {
	for _, tc := range []struct {
		addr     string
		internal bool
	}{
		{"127.0.0.1", true},
		{"127.8.9.10", true},
		{"::1", true},
		{"0.0.0.0", true},
		{"::", true},
		{"10.1.2.3", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"192.168.1.1", true},
		{"100.64.0.1", true},
		{"100.127.255.254", true},
		{"169.254.169.254", true},
		{"fe80::1", true},
		{"fc00::1", true},
		{"fd12:3456::1", true},
		{"224.0.0.1", true},
		{"239.255.255.250", true},
		{"ff02::1", true},
		{"255.255.255.255", true},
		{"::ffff:127.0.0.1", true},
		{"::ffff:169.254.169.254", true},
		{"::ffff:10.0.0.1", true},
		{"64:ff9b::7f00:1", true},   // NAT64 of 127.0.0.1
		{"2002:a9fe:a9fe::1", true}, // 6to4 of 169.254.169.254
		{"::127.0.0.1", true},       // IPv4-compatible
		{"8.8.8.8", false},
		{"93.184.216.34", false},
		{"172.32.0.1", false},
		{"100.128.0.1", false},
		{"2606:4700::1111", false},
		{"::ffff:8.8.8.8", false},
		{"64:ff9b::808:808", false}, // NAT64 of 8.8.8.8
	} {
		t.Run(tc.addr, func(t *testing.T) {
			require.Equal(t, tc.internal, outbound.Internal(netip.MustParseAddr(tc.addr)))
		})
	}
}

func TestParsePolicy(t *testing.T) {
	for _, tc := range []struct {
		in, err string
	}{
		{"", ""},
		{"127.0.0.1, ::1 ,10.0.0.0/8,,hooks.internal.example,LOCALHOST.", ""},
		{"[::1]", ""},
		{"10.0.0.0/33", `"10.0.0.0/33" is not a host name, an IP address or a CIDR`},
		{"http://hooks.example", `"http://hooks.example" is not a host name`},
		{"hooks.example:8080", `is not a host name`},
		{"*.example.com", `is not a host name`},
		{"bad host", `is not a host name`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := outbound.ParsePolicy(tc.in)
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.err)
		})
	}
	p, err := outbound.ParsePolicy("127.0.0.1, 10.0.0.0/8, LocalHost.")
	require.NoError(t, err)
	require.True(t, p.Permits(netip.MustParseAddr("127.0.0.1")))
	require.True(t, p.Permits(netip.MustParseAddr("::ffff:127.0.0.1")))
	require.False(t, p.Permits(netip.MustParseAddr("127.0.0.2")))
	require.True(t, p.Permits(netip.MustParseAddr("10.200.0.1")))
	require.True(t, p.Permits(netip.MustParseAddr("8.8.8.8")))
	require.False(t, p.Permits(netip.MustParseAddr("192.168.0.1")))
	require.True(t, p.AllowsHost("localhost"))
	require.False(t, (*outbound.Policy)(nil).Permits(netip.MustParseAddr("127.0.0.1")))
}

func receiver(t *testing.T, h http.HandlerFunc) *httptest.Server {
	if h == nil {
		h = func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func post(c *http.Client, url string) error {
	resp, err := c.Post(url, "application/json", strings.NewReader("{}"))
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return errors.New(resp.Status)
	}
	return nil
}

func policy(t *testing.T, allow string) *outbound.Policy {
	p, err := outbound.ParsePolicy(allow)
	require.NoError(t, err)
	return p
}

func TestDialRefusesLoopbackUnlessAllowed(t *testing.T) {
	srv := receiver(t, nil) // listens on 127.0.0.1
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	for _, tc := range []struct {
		name, allow, url string
		refused          bool
	}{
		{"literal, no allow list", "", srv.URL, true},
		{"literal, allowed address", "127.0.0.1", srv.URL, false},
		{"literal, allowed CIDR", "127.0.0.0/8", srv.URL, false},
		{"literal, other CIDR allowed", "10.0.0.0/8", srv.URL, true},
		{"name resolving to loopback", "", "http://localhost" + port, true},
		{"name resolving to loopback, host allowed", "localhost", "http://localhost" + port, false},
		{"IPv4-mapped IPv6 literal", "", "http://[::ffff:127.0.0.1]" + port, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := post(outbound.NewClient(policy(t, tc.allow), outbound.Options{}), tc.url)
			if tc.refused {
				require.ErrorIs(t, err, outbound.ErrRefused)
				require.NotContains(t, outbound.Cause(err), srv.URL, "the URL stays out of recorded errors")
				return
			}
			require.NoError(t, err)
		})
	}
}

func TestRedirects(t *testing.T) {
	final := receiver(t, nil)
	other := receiver(t, func(w http.ResponseWriter, r *http.Request) {
		// "localhost" is another host name for the same machine: a redirect across hosts.
		http.Redirect(w, r, strings.Replace(final.URL, "127.0.0.1", "localhost", 1), http.StatusTemporaryRedirect)
	})
	var same *httptest.Server
	hops := 0
	same = receiver(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/done" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		hops++
		http.Redirect(w, r, same.URL+"/done", http.StatusPermanentRedirect)
	})
	loop := receiver(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/again", http.StatusTemporaryRedirect)
	})
	c := outbound.NewClient(policy(t, "127.0.0.1, localhost"), outbound.Options{})

	err := post(c, other.URL)
	require.ErrorIs(t, err, outbound.ErrRefused)
	require.Contains(t, outbound.Cause(err), "redirect to another host")

	require.NoError(t, post(c, same.URL+"/start"))
	require.Equal(t, 1, hops)

	seeOther := receiver(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.WriteHeader(http.StatusNoContent) // a GET "succeeds": the POST never arrived
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	err = post(c, seeOther.URL)
	require.ErrorIs(t, err, outbound.ErrRefused)
	require.Contains(t, outbound.Cause(err), "redirect would turn POST into GET")

	err = post(c, loop.URL)
	require.ErrorIs(t, err, outbound.ErrRefused)
	require.Contains(t, outbound.Cause(err), "more than 3 redirects")
}

func TestCheckURL(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, allow, url, err string
	}{
		{"public literal", "", "https://8.8.8.8/hook", ""},
		{"loopback literal", "", "http://127.0.0.1:9/hook", "internal address"},
		{"metadata literal", "", "http://169.254.169.254/latest", "internal address"},
		{"mapped literal", "", "http://[::ffff:10.0.0.1]/", "internal address"},
		{"allowed literal", "127.0.0.1", "http://127.0.0.1:9/hook", ""},
		{"name resolving to loopback", "", "http://localhost:9/hook", "resolves to the internal address"},
		{"allowed name", "localhost", "http://localhost:9/hook", ""},
		{"unresolvable name", "", "https://no-such-host.invalid/hook", "could not be resolved"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := policy(t, tc.allow).CheckURL(ctx, tc.url)
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.err)
		})
	}
}

func TestDescribeAndSanitize(t *testing.T) {
	require.Equal(t, "webhook answered 500 Internal Server Error", outbound.Describe("webhook", 500))
	require.Equal(t, "webhook answered 599", outbound.Describe("webhook", 599))
	require.Equal(t, "a b c", outbound.Sanitize("a\r\n\x00b\u202e\tc", 50))
	require.Equal(t, "éé", outbound.Sanitize("ééé", 2))
}

// A burst to one host shares at most MaxConnsPerHost connections: the requests queue for
// them (the server never sees more in flight) and the connections are reused.
func TestBurstSharesConnectionsPerHost(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts outbound.Options
		max  int
	}{
		{"default", outbound.Options{}, 16},
		{"configured", outbound.Options{MaxConnsPerHost: 3}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			inflight, most := 0, 0
			var once sync.Once
			release := make(chan struct{})
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				inflight++
				most = max(most, inflight)
				if inflight == tc.max { // the cap is reached: let every request through
					once.Do(func() { close(release) })
				}
				mu.Unlock()
				<-release
				mu.Lock()
				inflight--
				mu.Unlock()
				w.WriteHeader(http.StatusNoContent)
			}))
			var conns atomic.Int32
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			srv.Start()
			t.Cleanup(srv.Close)
			c := outbound.NewClient(policy(t, "127.0.0.1"), tc.opts)
			burst := func() {
				errs := make(chan error, 5*tc.max)
				var wg sync.WaitGroup
				for range 5 * tc.max {
					wg.Add(1)
					go func() { defer wg.Done(); errs <- post(c, srv.URL) }()
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					require.NoError(t, err)
				}
			}
			burst()
			require.Equal(t, tc.max, most, "requests in flight at once")
			require.LessOrEqual(t, int(conns.Load()), tc.max, "connections opened")
			burst() // the connections stayed open for the next burst
			require.LessOrEqual(t, int(conns.Load()), tc.max, "connections opened")
		})
	}
}
