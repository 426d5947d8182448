package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/greenlight/greenlight/workflows"
)

// WebhookSweepInterval is how often the sweep looks for event deliveries whose dispatch a
// crash lost.
const WebhookSweepInterval = time.Minute

// EnsureWebhookSweepSchedule creates the schedule workflows.WebhookSweepScheduleID running
// the webhook sweep every WebhookSweepInterval on taskQueue, unless it exists. Every
// worker calls it at start; concurrent calls end with one schedule.
func EnsureWebhookSweepSchedule(ctx context.Context, c client.Client, taskQueue string) (string, error) {
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:   workflows.WebhookSweepScheduleID,
		Spec: client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: WebhookSweepInterval}}},
		Action: &client.ScheduleWorkflowAction{
			ID: workflows.WebhookSweepScheduleID, Workflow: workflows.WebhookSweep,
			TaskQueue: taskQueue, WorkflowRunTimeout: 10 * time.Minute,
		},
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		Note:    "greenlight event webhooks: dispatches deliveries a crash left undispatched",
	})
	switch {
	case err == nil:
		return ScheduleCreated, nil
	case errors.Is(err, temporal.ErrScheduleAlreadyRunning):
		return ScheduleUnchanged, nil
	}
	return "", fmt.Errorf("create webhook sweep schedule: %w", err)
}
