package api_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/api"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/store"
)

// TestIdempotencyKey drives POST /api/v1/clients/{id}/mentions (no Temporal needed) with
// Idempotency-Key headers; POST /api/v1/posts shares the middleware and is covered end to
// end in e2e.
func TestIdempotencyKey(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		app := newApp(t, st, 30)
		c := &store.Client{ID: greenlight.NewID("cli_"), Name: "brand", ApprovalPolicy: greenlight.PolicyAny, CreatedAt: time.Now().UTC()}
		require.NoError(t, st.CreateClient(ctx, c))
		user := func(email, key string) *store.User {
			h := greenlight.HashToken(key)
			u := &store.User{ID: greenlight.NewID("usr_"), Email: email, Name: email, Role: string(greenlight.RoleAdmin), APIKeyHash: &h, CreatedAt: time.Now().UTC()}
			require.NoError(t, st.CreateUser(ctx, u))
			return u
		}
		ana := user("ana@agency.test", "glk_ana")
		user("bob@agency.test", "glk_bob")
		path := "/api/v1/clients/" + c.ID + "/mentions"
		body := func(text string) string {
			return `{"mentions":[{"source":"x","text":"` + text + `","at":"2026-01-02T10:00:00Z","sentiment":-0.5}]}`
		}
		post := func(key, idem, body string) (int, string, idemHeaders) {
			req := httptest.NewRequest("POST", path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+key)
			req.Header.Set("Content-Type", "application/json")
			if idem != "" {
				req.Header.Set("Idempotency-Key", idem)
			}
			resp, err := app.Test(req, -1)
			require.NoError(t, err)
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b), idemHeaders{resp.Header.Get("Idempotent-Replayed"), resp.Header.Get(fiber.HeaderRetryAfter)}
		}
		mentions := func() int64 {
			var n int64
			require.NoError(t, st.DB().Table("mentions").Count(&n).Error)
			return n
		}

		status, first, _ := post("glk_ana", "k-1", body("late delivery"))
		require.Equal(t, 202, status, first)
		require.EqualValues(t, 1, mentions())

		t.Run("same key, same body: the first response again, nothing created", func(t *testing.T) {
			status, again, h := post("glk_ana", "k-1", body("late delivery"))
			require.Equal(t, 202, status)
			require.JSONEq(t, first, again)
			require.Equal(t, "true", h.replayed)
			require.EqualValues(t, 1, mentions())
		})
		t.Run("same key, same JSON spelled differently: replayed", func(t *testing.T) {
			status, again, _ := post("glk_ana", "k-1", "\n"+strings.ReplaceAll(body("late delivery"), ",", " ,\n ")+"\n")
			require.Equal(t, 202, status)
			require.JSONEq(t, first, again)
			require.EqualValues(t, 1, mentions())
		})
		t.Run("same key, other body: 409", func(t *testing.T) {
			status, msg, _ := post("glk_ana", "k-1", body("great service"))
			require.Equal(t, 409, status)
			require.Contains(t, msg, "already used for a different request")
			require.EqualValues(t, 1, mentions())
		})
		t.Run("keys are per user", func(t *testing.T) {
			status, msg, h := post("glk_bob", "k-1", body("late delivery"))
			require.Equal(t, 202, status, msg)
			require.Empty(t, h.replayed)
			require.EqualValues(t, 2, mentions())
		})
		t.Run("a request still in flight: 409 with Retry-After", func(t *testing.T) {
			claimed, _, err := st.ClaimIdempotencyKey(ctx, ana.ID, "k-busy", idemHash(path, body("x")), "", time.Now(), time.Minute)
			require.NoError(t, err)
			require.True(t, claimed)
			status, msg, h := post("glk_ana", "k-busy", body("x"))
			require.Equal(t, 409, status)
			require.Contains(t, msg, "still being processed")
			require.Equal(t, "1", h.retryAfter)
			require.EqualValues(t, 2, mentions())
		})
		t.Run("a failed request forgets its key", func(t *testing.T) {
			status, _, _ := post("glk_ana", "k-fail", `{"mentions":[]}`)
			require.Equal(t, 422, status)
			status, _, _ = post("glk_ana", "k-fail", `{"mentions":[]}`)
			require.Equal(t, 422, status, "not a replay of a stored key: the request ran again")
			status, msg, _ := post("glk_ana", "k-fail", body("fixed"))
			require.Equal(t, 202, status, msg)
			require.EqualValues(t, 3, mentions())
		})
		t.Run("no key: every request creates", func(t *testing.T) {
			post("glk_ana", "", body("late delivery"))
			post("glk_ana", "", body("late delivery"))
			require.EqualValues(t, 5, mentions())
		})
		for _, bad := range []struct{ name, key string }{
			{"too long", strings.Repeat("k", 256)},
			{"space", "two words"},
			{"non-ASCII", "clé"},
			{"control character", "a\tb"},
		} {
			t.Run("garbage key: "+bad.name, func(t *testing.T) {
				status, msg, _ := post("glk_ana", bad.key, body("late delivery"))
				require.Equal(t, 400, status, msg)
				require.Contains(t, msg, "Idempotency-Key")
				require.EqualValues(t, 5, mentions())
			})
		}
	})
}

type idemHeaders struct{ replayed, retryAfter string }

// idemHash mirrors the middleware's request hash for a JSON body without spaces to
// normalise.
func idemHash(path, body string) string { return api.RequestHash("POST", path, []byte(body)) }
