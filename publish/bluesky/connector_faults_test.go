package bluesky

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/internal/faultproxy"
	"github.com/greenlight/greenlight/internal/pdstest"
	"github.com/greenlight/greenlight/publish"
)

// TestConnectorFaultsOnRealPDS publishes through a fault-injecting proxy in front of the
// real PDS. Each case spoils some calls, checks what the first Publish answers, then
// publishes again as the publishing layer does after its (durable) wait: the repo must end
// with exactly one record, the one the second Publish names.
func TestConnectorFaultsOnRealPDS(t *testing.T) {
	pds := pdstest.Start(t)
	ctx := context.Background()
	const (
		create  = "com.atproto.repo.createRecord"
		upload  = "com.atproto.repo.uploadBlob"
		get     = "com.atproto.repo.getRecord"
		refresh = "com.atproto.server.refreshSession"
	)
	created := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

	tests := []struct {
		name    string
		expired bool // the stored access token has expired
		rules   []faultproxy.Rule
		// The first Publish: ok, or the kind of its error (and RetryAfter for a rate limit).
		ok         bool
		kind       publish.Kind
		retryAfter time.Duration // checked to the second
		// What the PDS received from the first Publish.
		creates   int // createRecord requests that reached the PDS
		records   int // records after the first Publish
		refreshes int // refreshSession requests that reached the PDS
		saved     int // sessions stored through Account.Save
	}{
		{name: "answer lost after createRecord: settled by reading the key back",
			rules: []faultproxy.Rule{{Match: create, Fault: faultproxy.DropResponse}},
			ok:    true, creates: 1, records: 1},
		{name: "answer lost and the key cannot be read: retryable, then one record",
			rules: []faultproxy.Rule{{Match: create, Fault: faultproxy.DropResponse, Times: -1}, {Match: get, Fault: faultproxy.ServerError, Times: -1}},
			kind:  publish.KindRetryable, creates: maxCreateAttempts, records: 1},
		{name: "429 with Retry-After on createRecord",
			rules: []faultproxy.Rule{{Match: create, Fault: faultproxy.RateLimit, RetryAfter: 7 * time.Second}},
			kind:  publish.KindRateLimit, retryAfter: 7 * time.Second, creates: 0, records: 0},
		{name: "429 with the PDS's RateLimit-Reset on uploadBlob",
			rules: []faultproxy.Rule{{Match: upload, Fault: faultproxy.RateLimit, ResetIn: 90 * time.Second}},
			kind:  publish.KindRateLimit, retryAfter: 90 * time.Second, creates: 0, records: 0},
		{name: "503 on createRecord once: retried in the same call",
			rules: []faultproxy.Rule{{Match: create, Fault: faultproxy.ServerError}},
			ok:    true, creates: 1, records: 1},
		{name: "5xx on every createRecord: retryable, then one record",
			rules: []faultproxy.Rule{{Match: create, Fault: faultproxy.ServerError, Status: 502, Times: -1}},
			kind:  publish.KindRetryable, creates: 0, records: 0},
		{name: "expired session: refreshed, stored, published once", expired: true,
			ok: true, creates: 1, records: 1, refreshes: 1, saved: 1},
		{name: "ExpiredToken answered on createRecord: refreshed, stored, published once",
			rules: []faultproxy.Rule{{Match: create, Fault: faultproxy.ExpiredToken}},
			ok:    true, creates: 1, records: 1, refreshes: 1, saved: 1},
		{name: "expired session and the refresh refused too: auth, no record", expired: true,
			rules: []faultproxy.Rule{{Match: refresh, Fault: faultproxy.ExpiredToken, Message: "Token has been revoked"}},
			kind:  publish.KindAuth, creates: 0, records: 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acct := pds.CreateAccount(t, "faults")
			proxy := faultproxy.New(t, pds.URL)
			saved := &savedSessions{}
			a := connectAccount(t, pds.URL, acct, saved, func(s *Session) {
				if tt.expired {
					s.AccessJwt = resign(t, s.AccessJwt, pds.JWTSecret, -time.Hour)
				}
			})
			a.ServiceURL = proxy.URL
			conn := Connector{HTTP: &http.Client{Timeout: 30 * time.Second}}
			p := publish.Post{PostID: "pst_fault", Version: i + 1, Channel: "bluesky", CreatedAt: created,
				Text:  "Fault " + tt.name + " https://example.com/faults",
				Media: []publish.Media{mediaOf(pngBytes(t, 10, 10, uint8(i)), "image/png", "une image", 10, 10)}}

			proxy.Inject(tt.rules...)
			first, err := conn.Publish(ctx, a, p)
			if tt.ok {
				require.NoError(t, err)
			} else {
				var pe *publish.Error
				require.ErrorAs(t, err, &pe)
				require.Equal(t, tt.kind, pe.Kind, "%v", err)
				require.InDelta(t, tt.retryAfter.Seconds(), pe.RetryAfter.Seconds(), 2, "%v", err)
			}
			require.Equal(t, tt.creates, proxy.Passed(create), "createRecord calls the PDS received")
			require.Equal(t, tt.refreshes, proxy.Passed(refresh), "refreshSession calls the PDS received")
			require.Len(t, saved.all(), tt.saved, "sessions stored")
			require.Len(t, records(t, pds.URL, acct.DID), tt.records, "records after the first Publish")
			if tt.kind == publish.KindAuth {
				return // a person reconnects the account: nothing to retry
			}

			// The retry, once the faults are over (the timer ran out, the network is back).
			proxy.Clear()
			if stored := saved.all(); len(stored) > 0 {
				b, err := json.Marshal(stored[len(stored)-1])
				require.NoError(t, err)
				a.Credentials = b
			}
			again, err := conn.Publish(ctx, a, p)
			require.NoError(t, err)
			if tt.ok {
				require.Equal(t, first, again)
			}
			recs := records(t, pds.URL, acct.DID)
			require.Len(t, recs, 1, "exactly one post")
			require.Equal(t, again.RemoteID, recs[0].URI)
			require.Equal(t, "at://"+acct.DID+"/"+Collection+"/"+RecordKey("pst_fault", i+1, "bluesky", created), recs[0].URI)
			var got PostRecord
			require.NoError(t, json.Unmarshal(recs[0].Value, &got))
			require.Equal(t, p.Text, got.Text)
			require.Len(t, got.Embed.Images, 1)
			require.Len(t, got.Facets, 1)
		})
	}
}
