package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/greenlight/greenlight/api"
	"github.com/greenlight/greenlight/events"
	"github.com/greenlight/greenlight/internal/redoclytest"
	"github.com/greenlight/greenlight/service"
)

// routeApp builds the app without a database: enough to list routes and serve the contract.
func routeApp() *fiber.App {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return api.New(api.Config{Service: &service.Service{Log: log}, Log: log})
}

// TestOpenAPIRoutes fails when a router route under /api/v1 is missing from the document,
// or the document names an operation the router does not have.
func TestOpenAPIRoutes(t *testing.T) {
	app := routeApp()
	param := regexp.MustCompile(`:([A-Za-z_]+)`)
	routes := map[string]bool{}
	for _, r := range app.GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Method == http.MethodHead || r.Method == "USE" {
			continue
		}
		routes[r.Method+" "+param.ReplaceAllString(r.Path, "{$1}")] = true
	}
	doc, err := api.OpenAPI()
	require.NoError(t, err)
	documented := map[string]bool{}
	for path, item := range doc["paths"].(map[string]any) {
		for method := range item.(map[string]any) {
			if method == "parameters" {
				continue
			}
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	var missing, extra []string
	for r := range routes {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for d := range documented {
		if !routes[d] {
			extra = append(extra, d)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	require.Empty(t, missing, "routes missing from the OpenAPI document (add them to apiOperations in api/openapi.go)")
	require.Empty(t, extra, "operations in the OpenAPI document that no route serves")
	require.Greater(t, len(routes), 30, "the routes were enumerated")
}

// TestOpenAPIServed checks /api/openapi.json, /api/openapi.yaml and /api/docs answer
// without a key, the two documents being the same, and the docs page naming every path.
func TestOpenAPIServed(t *testing.T) {
	app := routeApp()
	get := func(path string) (*http.Response, []byte) {
		resp, err := app.Test(httptest.NewRequest("GET", path, nil), -1)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, 200, resp.StatusCode, "%s: %s", path, b)
		return resp, b
	}
	resp, js := get("/api/openapi.json")
	require.Contains(t, resp.Header.Get("Content-Type"), "application/json")
	var fromJSON map[string]any
	require.NoError(t, json.Unmarshal(js, &fromJSON))
	require.Equal(t, "3.1.0", fromJSON["openapi"])

	resp, ym := get("/api/openapi.yaml")
	require.Contains(t, resp.Header.Get("Content-Type"), "yaml")
	var fromYAML map[string]any
	require.NoError(t, yaml.Unmarshal(ym, &fromYAML))
	// Compare through JSON: YAML decodes integers where JSON decodes float64.
	y, err := json.Marshal(fromYAML)
	require.NoError(t, err)
	require.JSONEq(t, string(js), string(y))

	resp, page := get("/api/docs")
	require.Contains(t, resp.Header.Get("Content-Type"), "text/html")
	require.NotContains(t, string(page), "<script", "the docs page needs no script (no CDN)")
	require.NotContains(t, string(page), "<style", "the CSP (style-src 'self') forbids inline styles")
	require.Contains(t, string(page), `href="/static/apidocs.css"`)
	resp, css := get("/static/apidocs.css")
	require.Contains(t, resp.Header.Get("Content-Type"), "text/css")
	require.Contains(t, string(css), "body{")
	for path := range fromJSON["paths"].(map[string]any) {
		require.Contains(t, string(page), path)
	}
	for event := range fromJSON["webhooks"].(map[string]any) {
		require.Contains(t, string(page), "<code>"+event+"</code>")
	}
	require.Len(t, fromJSON["webhooks"], len(events.Types), "every event type is documented")
}

// TestOpenAPILint lints the served document with @redocly/cli (see internal/redoclytest).
func TestOpenAPILint(t *testing.T) {
	b, err := api.OpenAPIYAML()
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "openapi.yaml")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	redoclytest.Lint(t, path)
}
