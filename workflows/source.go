package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/greenlight/greenlight/activities"
)

// SourceScheduleID is the ID of the Temporal schedule that polls a listening source; the
// workflow runs it starts share the ID as prefix.
func SourceScheduleID(sourceID string) string { return "source:" + sourceID }

// SourcePollInput names the listening source a run polls.
type SourcePollInput struct {
	SourceID string
}

// SourcePoll polls a listening source once; a schedule per source runs it every interval
// (overlaps skipped). Fetch and parse failures are recorded on the source by the activity,
// so the run fails only when the poll could not be recorded at all.
func SourcePoll(ctx workflow.Context, in SourcePollInput) (activities.PollSourceResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	var res activities.PollSourceResult
	err := workflow.ExecuteActivity(ctx, a.PollSource, activities.PollSourceInput{SourceID: in.SourceID}).Get(ctx, &res)
	return res, err
}
