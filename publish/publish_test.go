package publish_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/publish"
)

func TestWebhook(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantRef  string
		wantCode string // "" success, greenlight.EINVALID permanent, "retry" retryable
		wantErr  string // the whole message: nothing the receiver wrote
	}{
		{"ok with id", 201, `{"id":"ig-42"}`, "ig-42", "", ""},
		{"ok with a hostile id", 201, `{"id":"ig-\u001b[31m42\n` + strings.Repeat("x", 300) + `"}`, "ig- [31m42 " + strings.Repeat("x", 189), "", ""},
		{"ok without id", 200, `ok`, "post/p/v1/publish/x", "", ""},
		{"refused", 400, `bad caption <script>secret-token-123</script>`, "", greenlight.EINVALID, "webhook answered 400 Bad Request: the post was refused"},
		{"gone", 410, ``, "", greenlight.EINVALID, "webhook answered 410 Gone: the post was refused"},
		{"rate limited", 429, ``, "", "retry", "webhook answered 429 Too Many Requests"},
		{"server error", 503, "stack trace\n\x1b[0mpassword=hunter2", "", "retry", "webhook answered 503 Service Unavailable"},
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
			wh := &publish.Webhook{Secret: "s3cret", HTTP: outbound.NewClient(allowLoopback(t), outbound.Options{})}
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
				require.Equal(t, tt.wantErr, err.Error())
			default:
				require.Equal(t, tt.wantCode, greenlight.ErrorCode(err))
				require.Equal(t, tt.wantErr, greenlight.ErrorMessage(err))
			}
		})
	}
}

func allowLoopback(t *testing.T) *outbound.Policy {
	p, err := outbound.ParsePolicy("127.0.0.1")
	require.NoError(t, err)
	return p
}

// Without an allow list the webhook never reaches a loopback receiver, and the refusal is
// permanent and does not repeat the URL (a webhook URL may carry a secret).
func TestWebhookRefusesInternalAddresses(t *testing.T) {
	called := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = true }))
	defer srv.Close()
	for name, wh := range map[string]*publish.Webhook{
		"default client": {},
		"shared client":  {HTTP: outbound.NewClient(nil, outbound.Options{})},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := wh.Publish(context.Background(), publish.Publication{Key: "k", WebhookURL: srv.URL + "/hook?token=s3cret"})
			require.Equal(t, greenlight.EINVALID, greenlight.ErrorCode(err))
			require.Contains(t, greenlight.ErrorMessage(err), "internal address")
			require.NotContains(t, greenlight.ErrorMessage(err), "s3cret")
			require.False(t, called)
		})
	}
}

func TestRouterWithoutFallbackRefusesClientsWithoutWebhook(t *testing.T) {
	r := &publish.Router{Webhook: &publish.Webhook{}}
	_, err := r.Publish(context.Background(), publish.Publication{ClientID: "cli_1"})
	require.Equal(t, greenlight.EINVALID, greenlight.ErrorCode(err))
}
