package bluesky

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/internal/faultproxy"
	"github.com/greenlight/greenlight/internal/pdstest"
)

func TestCreateFaultsOnRealPDS(t *testing.T) {
	pds := pdstest.Start(t)
	ctx := context.Background()
	const create = "com.atproto.repo.createRecord"
	tests := []struct {
		name     string
		fault    faultproxy.Rule
		kind     Kind // of the first Publish; KindRetryable with ok=true means it succeeded
		ok       bool
		existing bool // the first Publish found the record its own lost answer created
		wait     time.Duration
	}{
		{"connection dropped after the PDS created the record", faultproxy.Rule{Match: create, Fault: faultproxy.DropResponse}, 0, true, true, 0},
		{"429 with Retry-After", faultproxy.Rule{Match: create, Fault: faultproxy.RateLimit, RetryAfter: 7 * time.Second}, KindRateLimit, false, false, 7 * time.Second},
		{"503 before the PDS saw it", faultproxy.Rule{Match: create, Fault: faultproxy.ServerError}, KindRetryable, false, false, 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acct := pds.CreateAccount(t, "fault")
			proxy := faultproxy.New(t, pds.URL)
			proxy.Inject(tt.fault)
			c, err := New(&http.Client{Timeout: 30 * time.Second}, proxy.URL)
			require.NoError(t, err)
			_, err = c.Login(ctx, acct.Handle, acct.Password)
			require.NoError(t, err)
			post := Post{Text: "fault " + tt.name + " https://example.com", Images: []Image{{Data: pngBytes(t, 6, 6, uint8(i))}}}
			rkey := RecordKey("pst_fault", i, "bluesky", time.Now())

			first, err := c.Publish(ctx, rkey, post)
			if tt.ok {
				require.NoError(t, err)
				require.Equal(t, tt.existing, first.Existing)
			} else {
				require.Equal(t, tt.kind, KindOf(err), "%v", err)
				wait, limited := RetryAfter(err)
				require.Equal(t, tt.kind == KindRateLimit, limited)
				require.Equal(t, tt.wait, wait)
			}

			// The retry (the publishing layer's, after its timer) settles on one record.
			again, err := c.Publish(ctx, rkey, post)
			require.NoError(t, err)
			if tt.ok {
				require.Equal(t, first.Ref, again.Ref)
				require.True(t, again.Existing)
			}
			recs, _, err := c.ListRecords(ctx, acct.DID, Collection, 10, "")
			require.NoError(t, err)
			require.Len(t, recs, 1)
			require.Equal(t, again.URI, recs[0].URI)
		})
	}
}
