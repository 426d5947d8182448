package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/internal/pdstest"
	"github.com/greenlight/greenlight/publish/bluesky"
)

// The publishing phase's baseline against the real PDS: n bare creates make n records (the
// count pages past 100), each with its link facet, and a throughput.
func TestBareCreatesOnPDS(t *testing.T) {
	pds := pdstest.Start(t)
	acct := pds.CreateAccount(t, "bench")
	ctx := context.Background()
	c, err := bluesky.New(&http.Client{Timeout: 30 * time.Second}, pds.URL)
	require.NoError(t, err)
	sess, err := c.Login(ctx, acct.Handle, acct.Password)
	require.NoError(t, err)

	r := &runner{cfg: Config{Concurrency: 4}, stats: map[string]*Stat{}, report: &Report{Publishing: &PublishingReport{}}}
	const n = 105
	before, err := countRecords(ctx, c, sess.DID)
	require.NoError(t, err)
	require.Zero(t, before)
	require.NoError(t, r.bareCreates(ctx, c, n, func(i int) string { return fmt.Sprintf("bare #%d — https://example.com/%d", i, i) }))

	after, err := countRecords(ctx, c, sess.DID)
	require.NoError(t, err)
	require.Equal(t, n, after)
	require.Equal(t, n, r.stats["bare createRecord"].Count)
	require.Zero(t, r.report.Publishing.BareFailures)
	require.Greater(t, r.report.Publishing.BarePerSec, 0.0)
	recs, _, err := c.ListRecords(ctx, sess.DID, bluesky.Collection, 1, "")
	require.NoError(t, err)
	var rec bluesky.PostRecord
	require.NoError(t, json.Unmarshal(recs[0].Value, &rec))
	require.Len(t, rec.Facets, 1, "the same record as a publication: text and link facet")
}
