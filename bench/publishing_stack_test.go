package bench_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/bench"
	"github.com/greenlight/greenlight/devstack"
	"github.com/greenlight/greenlight/internal/pdstest"
	"github.com/greenlight/greenlight/outbound"
)

// The publishing phase, small, against the dev stack and the real PDS: every post is
// published once on the account's repo, and both rates are measured.
func TestPublishingPhaseOnDevStackAndPDS(t *testing.T) {
	pds := pdstest.Start(t)
	acct := pds.CreateAccount(t, "benchpub")
	policy, err := outbound.ParsePolicy("127.0.0.1")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	stack, err := devstack.Start(ctx, devstack.Config{
		Addr: "127.0.0.1:0", DataDir: t.TempDir(), ApproveRateLimit: 1_000_000, Agency: "Bench",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Outbound: policy, // the shipped connectors
	})
	require.NoError(t, err)
	t.Cleanup(stack.Stop)

	const n = 6
	rep, err := bench.Run(ctx, bench.Config{
		URL: stack.URL, Key: stack.AdminKey, Concurrency: 3, PublishIn: 8 * time.Second,
		PDS: pds.URL, PDSHandle: acct.Handle, PDSPassword: acct.Password, Publications: n,
	})
	require.NoError(t, err)
	p := rep.Publishing
	require.NotNil(t, p)
	require.Equal(t, n, p.Published)
	require.Equal(t, n, p.Records, "one record per post")
	require.Greater(t, p.PerSec, 0.0)
	require.Greater(t, p.BarePerSec, 0.0)
	require.InDelta(t, p.PerSec/p.BarePerSec, p.Ratio, 1e-9)
	require.GreaterOrEqual(t, p.LastStart, p.FirstStart)
	require.Positive(t, p.FirstStart, "no publication before its time")
}
