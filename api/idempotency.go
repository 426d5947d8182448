package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/store"
)

// HeaderIdempotencyKey names the header that makes a creating POST safe to retry.
const HeaderIdempotencyKey = "Idempotency-Key"

const (
	// maxIdempotencyKey is the longest key accepted (a UUID is 36 characters).
	maxIdempotencyKey = 255
	// idempotencyStaleAfter is how long a key stays "in flight" before a retry of the same
	// request may take it over (the first request's process died). It is longer than any
	// request can run (the server's write timeout is a minute).
	idempotencyStaleAfter = 5 * time.Minute
)

// idempotent makes a creating route honour the Idempotency-Key header, per user and in the
// database so that every API replica sees the same keys:
//   - no header: the request runs as usual;
//   - a new key: the request runs; a response below 500 is stored with the key;
//   - the same key and the same request (method, path, JSON body): the stored response is
//     sent again (status and body, with Idempotent-Replayed: true) and nothing runs;
//   - the same key and another request: 409;
//   - the same key while its first request is still running: 409 with Retry-After (the
//     client retries; no request waits on another);
//   - a request that fails (an error or a 5xx) forgets its key, so that a retry runs again.
//
// A key is 1 to 255 visible ASCII characters; anything else is 400.
func idempotent(st *store.Store, log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		raw := c.Request().Header.Peek(HeaderIdempotencyKey)
		if raw == nil {
			return c.Next()
		}
		key := string(raw)
		if err := validIdempotencyKey(key); err != nil {
			return err
		}
		user := currentUser(c)
		hash := requestHash(c.Method(), c.Path(), c.Body())
		ctx := context.WithoutCancel(c.UserContext())
		rec, err := st.ClaimIdempotencyKey(ctx, user.ID, key, hash, time.Now(), idempotencyStaleAfter)
		if err != nil {
			return err
		}
		if rec != nil {
			switch {
			case rec.RequestHash != hash:
				return greenlight.Errorf(greenlight.ECONFLICT,
					"Idempotency-Key %q was already used for a different request; send a new key with a new request", key)
			case rec.StatusCode == 0:
				c.Set(fiber.HeaderRetryAfter, "1")
				return greenlight.Errorf(greenlight.ECONFLICT,
					"a request with Idempotency-Key %q is still being processed; retry in a moment", key)
			}
			c.Set("Idempotent-Replayed", "true")
			if rec.ContentType != "" {
				c.Set(fiber.HeaderContentType, rec.ContentType)
			}
			return c.Status(rec.StatusCode).SendString(rec.Body)
		}
		completed := false
		defer func() {
			if completed {
				return
			}
			// An error, a 5xx or a panic (re-raised for the recoverer): a retry runs again.
			if rerr := st.ReleaseIdempotencyKey(ctx, user.ID, key); rerr != nil {
				log.Error("release idempotency key", "user", user.ID, "error", rerr)
			}
		}()
		if err := c.Next(); err != nil || c.Response().StatusCode() >= 500 {
			return err
		}
		completed = true
		resp := c.Response()
		if err := st.CompleteIdempotencyKey(ctx, user.ID, key, resp.StatusCode(), string(resp.Header.ContentType()), resp.Body(), time.Now()); err != nil {
			// The request did its work; its answer stands. A retry meets an in-flight key
			// (409) until the key goes stale.
			log.Error("store idempotent response", "user", user.ID, "error", err)
		}
		return nil
	}
}

func validIdempotencyKey(key string) error {
	if len(key) == 0 || len(key) > maxIdempotencyKey {
		return greenlight.Errorf(greenlight.EMALFORMED, "Idempotency-Key: must be 1 to %d characters", maxIdempotencyKey)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return greenlight.Errorf(greenlight.EMALFORMED, "Idempotency-Key: only visible ASCII characters (no spaces), such as a UUID")
		}
	}
	return nil
}

// requestHash identifies a request for its idempotency key: method, path and body, the body
// in canonical JSON when it is JSON (so that key order and spacing do not matter).
func requestHash(method, path string, body []byte) string {
	canon := bytes.TrimSpace(body)
	dec := json.NewDecoder(bytes.NewReader(canon))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err == nil && !dec.More() {
		if b, err := json.Marshal(v); err == nil {
			canon = b
		}
	}
	h := sha256.New()
	h.Write([]byte(method + " " + path + "\n"))
	h.Write(canon)
	return hex.EncodeToString(h.Sum(nil))
}
