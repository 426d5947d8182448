package faultproxy_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/internal/faultproxy"
)

func TestProxy(t *testing.T) {
	var served atomic.Int32
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		_, _ = io.WriteString(w, "ok "+r.URL.Path)
	}))
	t.Cleanup(backend.Close)
	const method = "com.atproto.repo.createRecord"

	post := func(t *testing.T, p *faultproxy.Proxy, path string) (*http.Response, string, error) {
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
		resp, err := c.Post(p.URL+path, "application/json", strings.NewReader("{}"))
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(b), nil
	}

	tests := []struct {
		name   string
		rule   faultproxy.Rule
		status int    // of the spoiled answer; 0: no answer at all
		body   string // contained in the spoiled answer
		header map[string]string
		passed int // requests the backend received for the spoiled ones
	}{
		{"drop after forwarding", faultproxy.Rule{Match: method, Fault: faultproxy.DropResponse, Times: 2}, 0, "", nil, 2},
		{"429 with Retry-After", faultproxy.Rule{Match: method, Fault: faultproxy.RateLimit, RetryAfter: 7 * time.Second}, 429, `"error":"RateLimitExceeded"`, map[string]string{"Retry-After": "7"}, 0},
		{"429 as the PDS sends it", faultproxy.Rule{Match: method, Fault: faultproxy.RateLimit, ResetIn: time.Minute}, 429, `"error":"RateLimitExceeded"`, map[string]string{"RateLimit-Remaining": "0", "RateLimit-Policy": "30;w=60"}, 0},
		{"502", faultproxy.Rule{Match: method, Fault: faultproxy.ServerError, Status: 502, Times: 3}, 502, "InternalServerError", nil, 0},
		{"expired token", faultproxy.Rule{Match: method, Fault: faultproxy.ExpiredToken}, 400, `{"error":"ExpiredToken","message":"Token has expired"}`, nil, 0},
		{"by path", faultproxy.Rule{Match: "/api/v1/statuses", Fault: faultproxy.ServerError}, 503, "", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := faultproxy.New(t, backend.URL)
			path := tt.rule.Match
			if !strings.HasPrefix(path, "/") {
				path = "/xrpc/" + path
			}
			// Another path is not touched.
			resp, body, err := post(t, p, "/xrpc/other")
			require.NoError(t, err)
			require.Equal(t, "ok /xrpc/other", body)
			require.Equal(t, 200, resp.StatusCode)

			times := max(tt.rule.Times, 1)
			before := served.Load()
			p.Inject(tt.rule)
			for range times {
				resp, body, err := post(t, p, path)
				if tt.status == 0 {
					require.Error(t, err)
					continue
				}
				require.NoError(t, err)
				require.Equal(t, tt.status, resp.StatusCode)
				require.Contains(t, body, tt.body)
				for k, v := range tt.header {
					require.Equal(t, v, resp.Header.Get(k), k)
				}
				if tt.rule.ResetIn > 0 {
					reset, err := strconv.ParseInt(resp.Header.Get("RateLimit-Reset"), 10, 64)
					require.NoError(t, err)
					require.InDelta(t, time.Now().Add(tt.rule.ResetIn).Unix(), reset, 2)
				}
			}
			require.EqualValues(t, tt.passed, served.Load()-before, "requests the server received")
			// Then the rule has run out: the next request passes.
			resp, body, err = post(t, p, path)
			require.NoError(t, err)
			require.Equal(t, 200, resp.StatusCode)
			require.Equal(t, "ok "+path, body)
			require.Equal(t, times+1, p.Seen(tt.rule.Match))
			require.Equal(t, times, p.Spoiled(tt.rule.Match))
			require.Equal(t, tt.passed+1, p.Passed(tt.rule.Match))
		})
	}

	t.Run("forever until cleared", func(t *testing.T) {
		p := faultproxy.New(t, backend.URL)
		p.Inject(faultproxy.Rule{Match: method, Fault: faultproxy.ServerError, Times: -1})
		for range 3 {
			resp, _, err := post(t, p, "/xrpc/"+method)
			require.NoError(t, err)
			require.Equal(t, 503, resp.StatusCode)
		}
		p.Clear()
		resp, _, err := post(t, p, "/xrpc/"+method)
		require.NoError(t, err)
		require.Equal(t, 200, resp.StatusCode)
	})
}
