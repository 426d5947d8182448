package worker_test

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/devstack"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/secrets"
	"github.com/greenlight/greenlight/store"
	"github.com/greenlight/greenlight/worker"
	"github.com/greenlight/greenlight/workflows"
)

var record = flag.Bool("record", false, "write the KeepAccounts history to workflows/testdata")

// revokedConnector is a TokenRefresher whose refresh tokens were all revoked.
type revokedConnector struct{}

func (revokedConnector) Network() string                                               { return "x" }
func (revokedConnector) Validate(context.Context, publish.Account, publish.Post) error { return nil }
func (revokedConnector) Publish(context.Context, publish.Account, publish.Post) (publish.Result, error) {
	return publish.Result{}, &publish.Error{Kind: publish.KindAuth, Network: "x", Message: "revoked"}
}
func (revokedConnector) KeepFresh(context.Context, publish.Account, time.Duration) (time.Time, error) {
	return time.Time{}, &publish.Error{Kind: publish.KindAuth, Network: "x", Message: "invalid_grant: refresh token revoked"}
}

// The accounts schedule is created once by the first worker, left alone by the next, moved
// to another task queue when a worker says so; a run it starts refreshes accounts through
// the worker's activities (here: a revoked X account becomes needs_reconnect).
func TestAccountsSchedule(t *testing.T) {
	srv, err := devstack.StartTemporal(devstack.TemporalConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: srv.HostPort(), Namespace: "default"})
	require.NoError(t, err)
	defer c.Close()

	for _, s := range []struct{ queue, want string }{
		{"elsewhere", worker.ScheduleCreated},
		{"elsewhere", worker.ScheduleUnchanged},
		{"greenlight-test", worker.ScheduleUpdated},
		{"greenlight-test", worker.ScheduleUnchanged},
	} {
		got, err := worker.EnsureAccountsSchedule(ctx, c, s.queue)
		require.NoError(t, err)
		require.Equal(t, s.want, got)
	}
	h := c.ScheduleClient().GetHandle(ctx, workflows.AccountsScheduleID)
	desc, err := h.Describe(ctx)
	require.NoError(t, err)
	require.Equal(t, worker.AccountsInterval, desc.Schedule.Spec.Intervals[0].Every)

	// A worker with a store holding one active X account, and a run of the schedule.
	st := testdb.Open(t, testdb.SQLitePath(t))
	box, err := secrets.Parse(secrets.NewKey(), "")
	require.NoError(t, err)
	now := time.Now().UTC()
	cl := &store.Client{ID: greenlight.NewID("cli_"), Name: "Brand", ApprovalPolicy: "any", CreatedAt: now,
		Approvers: []store.Approver{{ID: greenlight.NewID("apr_"), Name: "Ana", Email: "ana@brand.test"}}}
	require.NoError(t, st.CreateClient(ctx, cl))
	acct := &store.Account{ID: greenlight.NewID("acc_"), ClientID: cl.ID, Network: "x", Handle: "brand", Status: store.AccountActive,
		CreatedBy: "usr_1", CreatedAt: now, UpdatedAt: now}
	acct.Credentials = box.Seal([]byte(`{}`), []byte(acct.ID))
	require.NoError(t, st.CreateAccount(ctx, acct))
	acts := &activities.Activities{Store: st, Secrets: box, Connectors: map[string]publish.Connector{"x": revokedConnector{}},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), BaseURL: "https://gl.example"}
	w := worker.New(c, "greenlight-test", acts, sdkworker.Options{})
	require.NoError(t, w.Start())
	defer w.Stop()

	require.NoError(t, h.Trigger(ctx, client.ScheduleTriggerOptions{}))
	var run *client.ScheduleActionResult
	for run == nil {
		require.NoError(t, ctx.Err(), "the schedule never started a run")
		desc, err := h.Describe(ctx)
		require.NoError(t, err)
		if n := len(desc.Info.RecentActions); n > 0 {
			run = &desc.Info.RecentActions[n-1]
		}
	}
	var res activities.KeepFreshResult
	require.NoError(t, c.GetWorkflow(ctx, run.StartWorkflowResult.WorkflowID, run.StartWorkflowResult.FirstExecutionRunID).Get(ctx, &res))
	require.Equal(t, activities.KeepFreshResult{Checked: 1, NeedsReconnect: 1}, res)
	got, err := st.Account(ctx, acct.ID)
	require.NoError(t, err)
	require.Equal(t, store.AccountNeedsReconnect, got.Status)
	require.Contains(t, got.LastError, "refresh token revoked")

	if *record {
		it := c.GetWorkflowHistory(ctx, run.StartWorkflowResult.WorkflowID, run.StartWorkflowResult.FirstExecutionRunID, false, 0)
		hist := &historypb.History{}
		for it.HasNext() {
			ev, err := it.Next()
			require.NoError(t, err)
			hist.Events = append(hist.Events, ev)
		}
		data, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join("..", "workflows", "testdata", "keep_accounts.json"), data, 0o644))
	}
}
