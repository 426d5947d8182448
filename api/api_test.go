package api_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/api"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

func newApp(t *testing.T, st *store.Store, limit int) *fiber.App {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return api.New(api.Config{
		Service: &service.Service{Store: st, Log: log}, Store: st, Log: log, ApproveRateLimit: limit,
	})
}

func do(t *testing.T, app *fiber.App, method, path string, hdr map[string]string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := app.Test(req, -1)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestEveryAPIRouteNeedsAKey(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		app := newApp(t, st, 30)
		n := 0
		for _, r := range app.GetRoutes(true) {
			if !strings.HasPrefix(r.Path, "/api/v1") || r.Method == http.MethodHead {
				continue
			}
			path := strings.NewReplacer(":id", "x").Replace(r.Path)
			for _, hdr := range []map[string]string{nil, {"Authorization": "Bearer glk_not-a-key"}, {"Authorization": "Basic abc"}} {
				status, body := do(t, app, r.Method, path, hdr)
				require.Equal(t, 401, status, "%s %s with %v: %s", r.Method, path, hdr, body)
				require.Contains(t, body, `"code":"unauthorized"`)
			}
			n++
		}
		require.Greater(t, n, 8, "the routes were enumerated")
	})
}

func TestApproveIsRateLimitedPerIP(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		app := newApp(t, st, 3)
		for i := range 3 {
			status, _ := do(t, app, "GET", "/approve/gl_forged", map[string]string{"Accept": "application/json"})
			require.Equal(t, 404, status, "request %d", i)
		}
		status, body := do(t, app, "GET", "/approve/gl_forged", map[string]string{"Accept": "application/json"})
		require.Equal(t, 429, status)
		require.Contains(t, body, `"code":"rate_limited"`)
		status, _ = do(t, app, "POST", "/approve/gl_forged", nil)
		require.Equal(t, 429, status, "POST shares the budget")
	})
}

func TestErrorsAreJSONOrPages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		app := newApp(t, st, 30)
		status, body := do(t, app, "GET", "/nowhere", map[string]string{"Accept": "application/json"})
		require.Equal(t, 404, status)
		require.JSONEq(t, `{"error":{"code":"not_found","message":"Cannot GET /nowhere"}}`, body)

		status, body = do(t, app, "GET", "/approve/gl_forged", map[string]string{"Accept": "text/html,application/xhtml+xml"})
		require.Equal(t, 404, status)
		require.Contains(t, body, "<!doctype html>")
		require.Contains(t, body, "This approval link is not valid")

		status, _ = do(t, app, "GET", "/healthz", nil)
		require.Equal(t, 200, status)
	})
}

// TestOversizedBodiesAreRefused announces a body over the 1 MiB limit: the server answers
// 413 with the JSON error before reading it.
func TestOversizedBodiesAreRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		app := newApp(t, st, 30)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		go func() { _ = app.Listener(ln) }()
		t.Cleanup(func() { _ = app.Shutdown() })
		conn, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		defer conn.Close()
		_, err = fmt.Fprintf(conn, "POST /api/v1/posts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", 2<<20)
		require.NoError(t, err)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		require.Equal(t, 413, resp.StatusCode)
		require.Contains(t, string(body), `"code":"too_large"`)
	})
}

func TestBadBodiesAreRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		app := newApp(t, st, 30)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		go func() { _ = app.Listener(ln) }()
		t.Cleanup(func() { _ = app.Shutdown() })
		base := "http://" + ln.Addr().String()
		key, hash := greenlight.NewToken("glk_")
		require.NoError(t, st.CreateUser(context.Background(), &store.User{ID: greenlight.NewID("usr_"), Email: "a@x.test", Name: "A",
			Role: "admin", APIKeyHash: &hash, CreatedAt: time.Now().UTC()}))
		tests := []struct {
			name   string
			body   []byte
			status int
			code   string
		}{
			{"bad UTF-8", []byte("{\"title\":\"caf\xe9\"}"), 400, "malformed"},
			{"not JSON", []byte("title=x"), 400, "malformed"},
			{"two objects", []byte(`{} {}`), 400, "malformed"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// Over a real connection (the body limit is enforced while reading it).
				req, err := http.NewRequest("POST", base+"/api/v1/posts", bytes.NewReader(tt.body))
				require.NoError(t, err)
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				require.Equal(t, tt.status, resp.StatusCode, "%s", body)
				require.Contains(t, string(body), `"code":"`+tt.code+`"`)
			})
		}
	})
}
