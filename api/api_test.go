package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"

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
			if !strings.HasPrefix(r.Path, "/api/") || r.Method == http.MethodHead {
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
