package worker

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/greenlight/greenlight/store"
	"github.com/greenlight/greenlight/workflows"
)

// RetentionConfig is how often the retention workflow runs and what it keeps.
type RetentionConfig struct {
	// Interval between runs.
	Interval time.Duration
	// Periods per kind of record; RateLimits is the grace after a window ended.
	Periods workflows.RetentionPeriods
}

// DefaultRetention is the retention used when nothing is configured: expired sessions,
// invites and rate-limit windows go at once, links 90 days after they expired or were
// used, idempotency keys after a day and dev mails after a week, checked every hour.
func DefaultRetention() RetentionConfig {
	return RetentionConfig{Interval: time.Hour, Periods: workflows.RetentionPeriods{
		Links: 90 * 24 * time.Hour, IdempotencyKeys: 24 * time.Hour, DevMails: 7 * 24 * time.Hour,
	}}
}

// MinIdempotencyRetention is the shortest time idempotency keys may be kept: longer than a
// request can be in flight, so that a running request's key is never pruned.
const MinIdempotencyRetention = time.Hour

// Validate reports settings the retention job cannot run with.
func (c RetentionConfig) Validate() error {
	var errs []error
	if c.Interval < time.Minute {
		errs = append(errs, errors.New("retention interval must be at least 1m"))
	}
	p := c.Periods
	for _, d := range []time.Duration{p.Sessions, p.Invites, p.RateLimits, p.Links, p.IdempotencyKeys, p.DevMails} {
		if d < 0 {
			errs = append(errs, errors.New("retention periods must not be negative"))
			break
		}
	}
	if p.IdempotencyKeys < MinIdempotencyRetention {
		errs = append(errs, fmt.Errorf("idempotency keys must be kept at least %s", MinIdempotencyRetention))
	}
	return errors.Join(errs...)
}

// input is the workflow input the schedule carries: the rate-limit period counts from the
// end of the longest window, so it is pushed back by that window.
func (c RetentionConfig) input() workflows.RetentionInput {
	in := workflows.RetentionInput{Periods: c.Periods}
	in.Periods.RateLimits += store.RateLimitMaxWindow
	return in
}

// Schedule outcomes reported by EnsureRetentionSchedule.
const (
	ScheduleCreated   = "created"
	ScheduleUpdated   = "updated"
	ScheduleUnchanged = "unchanged"
)

// EnsureRetentionSchedule makes the schedule workflows.RetentionScheduleID run the
// retention workflow on taskQueue as cfg says: it creates the schedule when missing,
// updates its interval, task queue and input when they differ, and otherwise leaves it
// alone. Every worker calls it at start; concurrent calls end with one schedule.
func EnsureRetentionSchedule(ctx context.Context, c client.Client, taskQueue string, cfg RetentionConfig) (string, error) {
	if err := cfg.Validate(); err != nil {
		return "", err
	}
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: cfg.Interval}}}
	action := &client.ScheduleWorkflowAction{
		ID: workflows.RetentionScheduleID, Workflow: workflows.Retention, Args: []any{cfg.input()},
		TaskQueue: taskQueue, WorkflowRunTimeout: 30 * time.Minute,
	}
	schedules := c.ScheduleClient()
	_, err := schedules.Create(ctx, client.ScheduleOptions{
		ID: workflows.RetentionScheduleID, Spec: spec, Action: action,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		Note:    "greenlight retention: prunes expired sessions, rate limits, links, idempotency keys, dev mails",
	})
	if err == nil {
		return ScheduleCreated, nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return "", fmt.Errorf("create retention schedule: %w", err)
	}
	outcome := ScheduleUnchanged
	err = schedules.GetHandle(ctx, workflows.RetentionScheduleID).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(u client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := u.Description.Schedule
			if sameRetention(s, cfg.Interval, taskQueue, cfg.input()) {
				return nil, temporal.ErrSkipScheduleUpdate
			}
			s.Spec, s.Action = &spec, action
			if s.Policy == nil {
				s.Policy = &client.SchedulePolicies{}
			}
			s.Policy.Overlap = enumspb.SCHEDULE_OVERLAP_POLICY_SKIP
			outcome = ScheduleUpdated
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	if err != nil {
		return "", fmt.Errorf("update retention schedule: %w", err)
	}
	return outcome, nil
}

// sameRetention reports whether an existing schedule already runs the retention workflow
// every interval on taskQueue with input in.
func sameRetention(s client.Schedule, interval time.Duration, taskQueue string, in workflows.RetentionInput) bool {
	if s.Spec == nil || len(s.Spec.Intervals) != 1 || s.Spec.Intervals[0].Every != interval || s.Spec.Intervals[0].Offset != 0 ||
		len(s.Spec.Calendars) != 0 || len(s.Spec.CronExpressions) != 0 {
		return false
	}
	act, ok := s.Action.(*client.ScheduleWorkflowAction)
	if !ok || act.TaskQueue != taskQueue || act.ID != workflows.RetentionScheduleID || len(act.Args) != 1 {
		return false
	}
	if name, ok := act.Workflow.(string); !ok || name != "Retention" {
		return false
	}
	p, ok := act.Args[0].(*commonpb.Payload)
	if !ok {
		return false
	}
	var got workflows.RetentionInput
	if err := converter.GetDefaultDataConverter().FromPayload(p, &got); err != nil {
		return false
	}
	return reflect.DeepEqual(got, in)
}
