package metrics_test

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/metrics"
)

// TestMiddlewareLabelsByRoutePattern: requests are counted under the matched route
// pattern, the status the error handler sent, and "unmatched" for URLs no route serves;
// label values survive Fiber's reuse of its request buffers.
func TestMiddlewareLabelsByRoutePattern(t *testing.T) {
	m := metrics.New()
	app := fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error {
		status := fiber.StatusConflict // a domain error
		var fe *fiber.Error
		if errors.As(err, &fe) {
			status = fe.Code // Fiber's own: no route
		}
		return c.Status(status).SendString(err.Error())
	}})
	app.Use(m.Middleware())
	app.Use(func(c *fiber.Ctx) error { return c.Next() })
	v1 := app.Group("/api/v1", func(c *fiber.Ctx) error { return c.Next() })
	v1.Post("/posts", func(c *fiber.Ctx) error { return c.Next() }, func(c *fiber.Ctx) error { return c.SendStatus(201) })
	v1.Get("/posts/:id", func(c *fiber.Ctx) error { return c.SendStatus(200) })
	v1.Post("/posts/:id/submit", func(c *fiber.Ctx) error { return errors.New("already submitted") })
	v1.Use(func(c *fiber.Ctx) error { return c.SendStatus(404) }) // the API's catch-all

	tests := []struct {
		method, path          string
		wantRoute, wantStatus string
	}{
		{"POST", "/api/v1/posts", "/api/v1/posts", "201"},
		{"GET", "/api/v1/posts/pst_1", "/api/v1/posts/:id", "200"},
		{"GET", "/api/v1/posts/pst_2", "/api/v1/posts/:id", "200"},
		{"POST", "/api/v1/posts/pst_1/submit", "/api/v1/posts/:id/submit", "409"},
		{"GET", "/api/v1/nothing/here", metrics.Unmatched, "404"},
		{"GET", "/wp-login.php", metrics.Unmatched, "404"},
	}
	for _, tt := range tests {
		resp, err := app.Test(httptest.NewRequest(tt.method, tt.path, nil), -1)
		require.NoError(t, err)
		resp.Body.Close()
	}
	fams, err := m.Registry.Gather()
	require.NoError(t, err)
	got := map[[3]string]float64{}
	for _, f := range fams {
		if f.GetName() != "greenlight_http_requests_total" {
			continue
		}
		for _, s := range f.Metric {
			var key [3]string
			for _, l := range s.Label {
				switch l.GetName() {
				case "method":
					key[0] = l.GetValue()
				case "route":
					key[1] = l.GetValue()
				case "status":
					key[2] = l.GetValue()
				}
			}
			got[key] = s.Counter.GetValue()
		}
	}
	want := map[[3]string]float64{}
	for _, tt := range tests {
		want[[3]string{tt.method, tt.wantRoute, tt.wantStatus}]++
	}
	require.Equal(t, want, got)
}

// TestPublicationLabelsAreBounded: results outside the known set count as failed and
// network names that are not plain names as other.
func TestPublicationLabelsAreBounded(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		network string
		want    [2]string
	}{
		{"published", nil, "bluesky", [2]string{"bluesky", "published"}},
		{"plain error", errors.New("boom"), "x", [2]string{"x", "failed"}},
		{"odd network", nil, "https://evil.example/?q=1", [2]string{"other", "published"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metrics.New()
			before := publicationCount(t, m, tt.want)
			metrics.Publication(tt.network, metrics.PublicationResult(tt.err))
			require.Equal(t, before+1, publicationCount(t, m, tt.want))
		})
	}
	t.Run("unknown result", func(t *testing.T) {
		m := metrics.New()
		before := publicationCount(t, m, [2]string{"x", "failed"})
		metrics.Publication("x", "made up")
		require.Equal(t, before+1, publicationCount(t, m, [2]string{"x", "failed"}))
	})
}

func publicationCount(t *testing.T, m *metrics.Metrics, labels [2]string) float64 {
	t.Helper()
	fams, err := m.Registry.Gather()
	require.NoError(t, err)
	for _, f := range fams {
		if f.GetName() != "greenlight_publications_total" {
			continue
		}
		for _, s := range f.Metric {
			var got [2]string
			for _, l := range s.Label {
				if l.GetName() == "network" {
					got[0] = l.GetValue()
				} else if l.GetName() == "result" {
					got[1] = l.GetValue()
				}
			}
			if got == labels {
				return s.Counter.GetValue()
			}
		}
	}
	return 0
}
