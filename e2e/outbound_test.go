package e2e

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A client's webhooks may not aim inside the network: the stack allows only its test
// receivers' 127.0.0.1, so everything else internal answers 422 naming the field.
func TestClientWebhooksMayNotReachInternalAddresses(t *testing.T) {
	admin := adminAPI(t)
	for _, tc := range []struct{ field, url string }{
		{"webhook_url", "http://169.254.169.254/latest/meta-data/"},
		{"webhook_url", "http://192.168.1.10:5432/"},
		{"slack_webhook_url", "http://10.0.0.1/hooks/x"},
		{"slack_webhook_url", "http://[::1]:8080/"},
	} {
		t.Run(tc.field+" "+tc.url, func(t *testing.T) {
			r := admin.do("POST", "/api/v1/clients", map[string]any{
				"digest_window": "0s", "name": "Internal", tc.field: tc.url, "approvers": []map[string]string{{"name": "Ana", "email": "ana@brand.test"}},
			})
			require.Equal(t, 422, r.Status, "%s", r.Body)
			require.Contains(t, string(r.Body), tc.field+":")
		})
	}
}
