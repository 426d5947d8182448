package service_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

// A client's webhooks may not aim at internal addresses (literal, or a name resolving to
// one) unless GREENLIGHT_OUTBOUND_ALLOW lists them; a name that does not resolve is refused
// too. The error names the field.
func TestCreateClientRefusesInternalWebhooks(t *testing.T) {
	st := testdb.Open(t, testdb.SQLitePath(t))
	admin := &store.User{ID: "usr_admin", Role: string(greenlight.RoleAdmin)}
	allowLocal, err := outbound.ParsePolicy("127.0.0.1, localhost")
	require.NoError(t, err)
	for _, tc := range []struct {
		name, field, url string
		allow            *outbound.Policy
		err              string
	}{
		{"public address", "webhook_url", "https://8.8.8.8/hook", nil, ""},
		{"loopback literal", "webhook_url", "http://127.0.0.1:9000/hook", nil, "webhook_url: outbound request refused: 127.0.0.1 is an internal address"},
		{"cloud metadata", "webhook_url", "http://169.254.169.254/latest/meta-data", nil, "webhook_url: outbound request refused"},
		{"private literal in slack", "slack_webhook_url", "https://10.0.0.7/services/x", nil, "slack_webhook_url: outbound request refused"},
		{"IPv4-mapped IPv6", "webhook_url", "http://[::ffff:192.168.1.1]/", nil, "webhook_url: outbound request refused"},
		{"unique-local IPv6", "slack_webhook_url", "http://[fd00::1]/", nil, "slack_webhook_url: outbound request refused"},
		{"name resolving to loopback", "webhook_url", "http://localhost:9000/hook", nil, "webhook_url: outbound request refused: localhost resolves to the internal address"},
		{"name that does not resolve", "slack_webhook_url", "https://hooks.no-such-host.invalid/x", nil, "slack_webhook_url: host hooks.no-such-host.invalid could not be resolved"},
		{"allowed literal", "webhook_url", "http://127.0.0.1:9000/hook", allowLocal, ""},
		{"allowed name", "slack_webhook_url", "http://localhost:9000/hook", allowLocal, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := &service.Service{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Outbound: tc.allow}
			in := service.NewClient{Name: "Brand", Approvers: []service.NewApprover{{Name: "Ana", Email: "ana@brand.test"}}}
			if tc.field == "webhook_url" {
				in.WebhookURL = tc.url
			} else {
				in.SlackWebhookURL = tc.url
			}
			_, err := svc.CreateClient(context.Background(), admin, in)
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.Equal(t, greenlight.EINVALID, greenlight.ErrorCode(err), "answered 422")
			require.Contains(t, greenlight.ErrorMessage(err), tc.err)
		})
	}
}
