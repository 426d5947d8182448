package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/greenlight/greenlight/activities"
)

// RetentionScheduleID is the one Temporal schedule that runs Retention; workers create it
// at start or update it to their configuration, never duplicate it.
const RetentionScheduleID = "greenlight-retention"

// RetentionPeriods says how long records are kept after they stopped being useful. Zero
// means "prune as soon as expired".
type RetentionPeriods struct {
	// Sessions: after the session expired.
	Sessions time.Duration
	// Invites: after the invite expired or was used.
	Invites time.Duration
	// RateLimits: after the rate-limit window started. It must be at least the longest
	// rate-limit window (store.RateLimitMaxWindow), which the worker adds to the setting.
	RateLimits time.Duration
	// Links: after the approval link expired or was used. A valid link is never pruned.
	Links time.Duration
	// IdempotencyKeys: after the key's first request; a retry after that runs again.
	IdempotencyKeys time.Duration
	// DevMails: after the dev mail catcher received the email.
	DevMails time.Duration
}

// RetentionInput is the retention workflow's input, fixed in the schedule by the worker.
type RetentionInput struct {
	Periods RetentionPeriods
}

// RetentionResult counts deleted records per kind.
type RetentionResult struct {
	Deleted map[string]int64
}

// Retention prunes every kind of short-lived record once, each kind in its own activity so
// that one failing kind does not keep the others: the run fails (and the schedule's next
// run tries again) only after every kind was tried. Cutoffs are computed from the
// workflow's clock: now minus each period.
func Retention(ctx workflow.Context, in RetentionInput) (RetentionResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	now := workflow.Now(ctx)
	p := in.Periods
	kinds := []struct {
		kind   string
		period time.Duration
	}{
		{activities.PruneSessions, p.Sessions},
		{activities.PruneInvites, p.Invites},
		{activities.PruneRateLimits, p.RateLimits},
		{activities.PruneLinks, p.Links},
		{activities.PruneIdempotencyKeys, p.IdempotencyKeys},
		{activities.PruneDevMails, p.DevMails},
	}
	futures := make([]workflow.Future, len(kinds))
	for i, k := range kinds {
		futures[i] = workflow.ExecuteActivity(ctx, a.Prune, activities.PruneInput{Kind: k.kind, Cutoff: now.Add(-max(k.period, 0))})
	}
	res := RetentionResult{Deleted: map[string]int64{}}
	var errs []error
	for i, f := range futures {
		var r activities.PruneResult
		if err := f.Get(ctx, &r); err != nil {
			errs = append(errs, fmt.Errorf("prune %s: %w", kinds[i].kind, err))
			continue
		}
		res.Deleted[kinds[i].kind] = r.Deleted
	}
	return res, errors.Join(errs...)
}
