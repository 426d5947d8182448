package publish_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/publish"
)

func TestWebhook(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantRef  string
		wantCode string // "" success, greenlight.EINVALID permanent, "retry" retryable
	}{
		{"ok with id", 201, `{"id":"ig-42"}`, "ig-42", ""},
		{"ok without id", 200, `ok`, "post/p/v1/publish/x", ""},
		{"refused", 400, `bad caption`, "", greenlight.EINVALID},
		{"gone", 410, ``, "", greenlight.EINVALID},
		{"rate limited", 429, ``, "", "retry"},
		{"server error", 503, ``, "", "retry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotKey, gotSig string
			var gotBody []byte
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotKey, gotSig = r.Header.Get("Idempotency-Key"), r.Header.Get("X-Greenlight-Signature")
				gotBody, _ = io.ReadAll(r.Body)
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			wh := &publish.Webhook{Secret: "s3cret"}
			ref, err := wh.Publish(context.Background(), publish.Publication{
				Key: "post/p/v1/publish/x", PostID: "p", Version: 1, Channel: "x", Body: "hello", WebhookURL: srv.URL,
			})
			require.Equal(t, "post/p/v1/publish/x", gotKey)
			mac := hmac.New(sha256.New, []byte("s3cret"))
			mac.Write(gotBody)
			require.Equal(t, "sha256="+hex.EncodeToString(mac.Sum(nil)), gotSig)
			switch tt.wantCode {
			case "":
				require.NoError(t, err)
				require.Equal(t, tt.wantRef, ref)
			case "retry":
				require.Error(t, err)
				require.Equal(t, greenlight.EINTERNAL, greenlight.ErrorCode(err), "retryable errors are not domain errors")
			default:
				require.Equal(t, tt.wantCode, greenlight.ErrorCode(err))
			}
		})
	}
}

func TestRouterWithoutFallbackRefusesClientsWithoutWebhook(t *testing.T) {
	r := &publish.Router{Webhook: &publish.Webhook{}}
	_, err := r.Publish(context.Background(), publish.Publication{ClientID: "cli_1"})
	require.Equal(t, greenlight.EINVALID, greenlight.ErrorCode(err))
}
