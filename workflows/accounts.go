package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/greenlight/greenlight/activities"
)

// AccountsScheduleID is the one Temporal schedule that runs KeepAccounts; workers create
// it at start, never duplicate it.
const AccountsScheduleID = "greenlight-accounts"

// KeepAccountsInput is the KeepAccounts workflow's input, fixed in the schedule.
type KeepAccountsInput struct {
	// Ahead: credentials expiring within it are refreshed by this run.
	Ahead time.Duration
}

// KeepAccounts refreshes connected accounts' credentials ahead of their expiry, marks the
// ones a network refuses as needing a reconnection and reminds editors of reconnect-by
// dates (activities.KeepAccountsFresh); a schedule runs it every hour, overlaps skipped.
func KeepAccounts(ctx workflow.Context, in KeepAccountsInput) (activities.KeepFreshResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	var res activities.KeepFreshResult
	err := workflow.ExecuteActivity(ctx, a.KeepAccountsFresh, activities.KeepFreshInput{Ahead: in.Ahead}).Get(ctx, &res)
	return res, err
}
