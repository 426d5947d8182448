package bluesky

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/internal/pdstest"
)

// faultProxy stands in front of the real PDS and spoils the first createRecord the way the
// case says; every other request passes through.
func faultProxy(t *testing.T, target string, fault func(w http.ResponseWriter, r *http.Request, forward http.Handler)) string {
	u, err := url.Parse(target)
	require.NoError(t, err)
	forward := httputil.NewSingleHostReverseProxy(u)
	var spoiled atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/xrpc/com.atproto.repo.createRecord" && spoiled.CompareAndSwap(false, true) {
			fault(w, r, forward)
			return
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// swallow lets the request reach the PDS, then drops the connection without an answer.
func swallow(w http.ResponseWriter, r *http.Request, forward http.Handler) {
	rec := httptest.NewRecorder()
	forward.ServeHTTP(rec, r)
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

func TestCreateFaultsOnRealPDS(t *testing.T) {
	pds := pdstest.Start(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		fault    func(w http.ResponseWriter, r *http.Request, forward http.Handler)
		kind     Kind // of the first Publish; KindRetryable with ok=true means it succeeded
		ok       bool
		existing bool // the first Publish found the record its own lost answer created
		wait     time.Duration
	}{
		{"connection dropped after the PDS created the record", swallow, 0, true, true, 0},
		{"429 with Retry-After", func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}`))
		}, KindRateLimit, false, false, 7 * time.Second},
		{"503 before the PDS saw it", func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}, KindRetryable, false, false, 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acct := pds.CreateAccount(t, "fault")
			c, err := New(&http.Client{Timeout: 30 * time.Second}, faultProxy(t, pds.URL, tt.fault))
			require.NoError(t, err)
			_, err = c.Login(ctx, acct.Handle, acct.Password)
			require.NoError(t, err)
			post := Post{Text: "fault " + tt.name + " https://example.com", Images: []Image{{Data: pngBytes(t, 6, 6, uint8(i))}}}
			rkey := RecordKey("pst_fault", i, "bluesky", time.Now())

			first, err := c.Publish(ctx, rkey, post)
			if tt.ok {
				require.NoError(t, err)
				require.Equal(t, tt.existing, first.Existing)
			} else {
				require.Equal(t, tt.kind, KindOf(err), "%v", err)
				wait, limited := RetryAfter(err)
				require.Equal(t, tt.kind == KindRateLimit, limited)
				require.Equal(t, tt.wait, wait)
			}

			// The retry (the publishing layer's, after its timer) settles on one record.
			again, err := c.Publish(ctx, rkey, post)
			require.NoError(t, err)
			if tt.ok {
				require.Equal(t, first.Ref, again.Ref)
				require.True(t, again.Existing)
			}
			recs, _, err := c.ListRecords(ctx, acct.DID, Collection, 10, "")
			require.NoError(t, err)
			require.Len(t, recs, 1)
			require.Equal(t, again.URI, recs[0].URI)
		})
	}
}
