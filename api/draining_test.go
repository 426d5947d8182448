package api

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"
)

// Once the process drains, /readyz answers 503 {"status":"draining"} although its
// dependencies are fine.
func TestReadyzAnswers503WhileDraining(t *testing.T) {
	var state atomic.Bool
	app := fiber.New()
	app.Get("/readyz", draining(state.Load), readyz(fakePinger{}, fakeTemporal{}, slog.New(slog.NewTextHandler(io.Discard, nil))))
	for _, tc := range []struct {
		name     string
		draining bool
		status   int
		body     string
	}{
		{"serving", false, 200, `{"status":"ok","checks":{"database":"ok","temporal":"ok"}}`},
		{"draining", true, 503, `{"status":"draining"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state.Store(tc.draining)
			resp, err := app.Test(httptest.NewRequest("GET", "/readyz", nil), -1)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			require.Equal(t, tc.status, resp.StatusCode)
			require.JSONEq(t, tc.body, string(body))
		})
	}
}
