package api

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

// TestIdempotentRetryKeepsItsReservedID: a request whose outcome is unknown (a 5xx, a
// timeout) releases its key for a retry of the same request, which runs under the same
// reserved id (so a create finds what the first attempt made); a request refused with a 4xx
// created nothing and frees its key for any request.
func TestIdempotentRetryKeepsItsReservedID(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		var seen []string
		outcome := []error{
			greenlight.Errorf(greenlight.EUNAVAILABLE, "the workflow engine did not answer in time"),
			nil,
		}
		app := fiber.New(fiber.Config{ErrorHandler: ErrorHandler(slog.New(slog.NewTextHandler(io.Discard, nil)))})
		app.Use(func(c *fiber.Ctx) error {
			c.Locals(userKey, &store.User{ID: "usr_" + c.Get("X-User")})
			return c.Next()
		})
		app.Post("/api/v1/posts", idempotent(st, slog.New(slog.NewTextHandler(io.Discard, nil))), func(c *fiber.Ctx) error {
			id, _ := service.ReservedID(c.UserContext())
			seen = append(seen, id)
			if strings.Contains(string(c.Body()), "bad") {
				return greenlight.Errorf(greenlight.EINVALID, "title: required")
			}
			err := outcome[0]
			outcome = outcome[1:]
			if err != nil {
				return err
			}
			return c.Status(201).JSON(fiber.Map{"id": id})
		})
		post := func(user, key, body string) int {
			req := httptest.NewRequest("POST", "/api/v1/posts", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-User", user)
			req.Header.Set(HeaderIdempotencyKey, key)
			resp, err := app.Test(req, -1)
			require.NoError(t, err)
			return resp.StatusCode
		}

		require.Equal(t, 503, post("a", "k1", `{"title":"x"}`))
		require.Equal(t, 409, post("a", "k1", `{"title":"other"}`), "a released key still belongs to its request")
		require.Equal(t, 201, post("a", "k1", `{"title":"x"}`))
		require.Len(t, seen, 2)
		require.True(t, greenlight.ValidID("pst_", seen[0]), seen[0])
		require.Equal(t, seen[0], seen[1], "the retry runs under the id reserved by the first attempt")

		require.Equal(t, 422, post("a", "k2", `{"bad":true}`))
		require.Equal(t, 422, post("a", "k2", `{"bad":true}`), "a refused request is not replayed: it ran again")
		require.Len(t, seen, 4)
	})
}
