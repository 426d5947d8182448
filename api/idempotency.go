package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/service"
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
//   - a request refused with a 4xx forgets its key; one that fails with a 5xx or an unknown
//     outcome releases it, so that a retry of the same request runs again under the same
//     reserved id (see service.WithReservedID) and finds what the first attempt created.
//
// A key is 1 to 255 visible ASCII characters; anything else is 400.
func idempotent(st *store.Store, log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) (runErr error) {
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
		claimed, rec, err := st.ClaimIdempotencyKey(ctx, user.ID, key, hash, greenlight.NewID(reservedPrefix(c.Path())), time.Now(), idempotencyStaleAfter)
		if err != nil {
			return err
		}
		if !claimed {
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
		// The request creates what it creates under the reserved id, the same on every retry
		// of this key: a create whose outcome was lost (a timeout, a 5xx) and is retried names
		// the resource the first attempt may have made, instead of making a second one.
		c.SetUserContext(service.WithReservedID(c.UserContext(), rec.ReservedID))
		completed := false
		defer func() {
			if completed {
				return
			}
			var rerr error
			if refused(runErr) {
				// Refused before anything was created: the key may be used again.
				rerr = st.ForgetIdempotencyKey(ctx, user.ID, key)
			} else {
				// A 5xx, an unknown outcome or a panic (re-raised for the recoverer): a retry
				// of the same request runs again under the same reserved id.
				rerr = st.ReleaseIdempotencyKey(ctx, user.ID, key)
			}
			if rerr != nil {
				log.Error("release idempotency key", "user", user.ID, "error", rerr)
			}
		}()
		if runErr = c.Next(); runErr != nil || c.Response().StatusCode() >= 500 {
			return runErr
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

// refused reports whether a request's error is a refusal (a 4xx) that created nothing.
func refused(err error) bool {
	if err == nil {
		return false
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return fe.Code < 500
	}
	status := statusOf[greenlight.ErrorCode(err)]
	return status != 0 && status < 500
}

// reservedPrefix is the id prefix of what a route creates.
func reservedPrefix(path string) string {
	if strings.HasSuffix(path, "/posts") {
		return "pst_"
	}
	return "req_"
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
