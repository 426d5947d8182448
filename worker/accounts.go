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

// AccountsInterval is how often connected accounts are kept fresh, and AccountsAhead how
// far ahead of their expiry credentials are refreshed (more than the interval, so that
// credentials never expire between two runs).
const (
	AccountsInterval = time.Hour
	AccountsAhead    = 90 * time.Minute
)

// EnsureAccountsSchedule makes the schedule workflows.AccountsScheduleID run the
// KeepAccounts workflow on taskQueue every AccountsInterval: it creates the schedule when
// missing, points it at taskQueue when it runs elsewhere, and otherwise leaves it alone.
// Every worker calls it at start; concurrent calls end with one schedule.
func EnsureAccountsSchedule(ctx context.Context, c client.Client, taskQueue string) (string, error) {
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: AccountsInterval}}}
	action := &client.ScheduleWorkflowAction{
		ID: workflows.AccountsScheduleID, Workflow: workflows.KeepAccounts,
		Args:      []any{workflows.KeepAccountsInput{Ahead: AccountsAhead}},
		TaskQueue: taskQueue, WorkflowRunTimeout: time.Hour,
	}
	schedules := c.ScheduleClient()
	_, err := schedules.Create(ctx, client.ScheduleOptions{
		ID: workflows.AccountsScheduleID, Spec: spec, Action: action,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		Note:    "greenlight accounts: refreshes connected accounts' credentials ahead of expiry, reminds editors of reconnect-by dates",
	})
	if err == nil {
		return ScheduleCreated, nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return "", fmt.Errorf("create accounts schedule: %w", err)
	}
	outcome := ScheduleUnchanged
	err = schedules.GetHandle(ctx, workflows.AccountsScheduleID).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(u client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := u.Description.Schedule
			act, ok := s.Action.(*client.ScheduleWorkflowAction)
			if ok && act.TaskQueue == taskQueue && s.Spec != nil && len(s.Spec.Intervals) == 1 && s.Spec.Intervals[0].Every == AccountsInterval {
				return nil, temporal.ErrSkipScheduleUpdate
			}
			s.Spec, s.Action = &spec, action
			outcome = ScheduleUpdated
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	if err != nil {
		return "", fmt.Errorf("update accounts schedule: %w", err)
	}
	return outcome, nil
}
