package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/greenlight/greenlight/activities"
)

// Event webhooks: one WebhookDelivery workflow per (subscription, subject) works through
// that queue in order, so a subject's later event waits for the earlier one. It is started
// or woken by signal-with-start when a history write adds deliveries (and by the sweep for
// dispatches a crash lost); the queue itself lives in the store, so a wake-up carries no
// data and a repeated one is harmless.

// WebhookDeliveryInput names the queue a delivery workflow works on.
type WebhookDeliveryInput = activities.WebhookQueue

// WebhookRetryWindow is how long one delivery is retried before it is given up.
const WebhookRetryWindow = 24 * time.Hour

// WebhookRetryPolicy retries a delivery with exponential backoff: 10 s, 30 s, 1.5 min,
// 4.5 min, 13.5 min, 40 min, 2 h, then every 2 h until WebhookRetryWindow has passed (a
// receiver down for an hour gets the event about 1 h 1 min after it first failed).
var WebhookRetryPolicy = &temporal.RetryPolicy{
	InitialInterval:    10 * time.Second,
	BackoffCoefficient: 3,
	MaximumInterval:    2 * time.Hour,
	// A backstop only: WebhookRetryWindow ends retries long before (about 18 attempts).
	MaximumAttempts:        100,
	NonRetryableErrorTypes: []string{activities.ErrWebhookGone, activities.ErrWebhookRefused, activities.ErrWebhookDisabled},
}

// webhookRunDeliveries bounds one run's history: after that many deliveries the workflow
// continues as new.
const webhookRunDeliveries = 200

// WebhookSweepScheduleID is the schedule running WebhookSweep every minute.
const WebhookSweepScheduleID = "greenlight-webhook-sweep"

// WebhookDelivery delivers the queue's pending deliveries one at a time, oldest event
// first, each retried as WebhookRetryPolicy says for WebhookRetryWindow and then given up;
// 410 Gone disables the subscription. It returns when the queue is empty and no wake-up
// is waiting.
func WebhookDelivery(ctx workflow.Context, in WebhookDeliveryInput) error {
	var a *activities.Activities
	wake := workflow.GetSignalChannel(ctx, activities.WebhookWakeSignal)
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 15 * time.Second})
	dctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    time.Minute,
		ScheduleToCloseTimeout: WebhookRetryWindow,
		RetryPolicy:            WebhookRetryPolicy,
	})
	drain := func() bool {
		woken := false
		for wake.ReceiveAsync(nil) {
			woken = true
		}
		return woken
	}
	for n := 0; n < webhookRunDeliveries; {
		var id string
		if err := workflow.ExecuteLocalActivity(lctx, a.NextWebhookDelivery, in).Get(ctx, &id); err != nil {
			return err
		}
		if id == "" {
			if drain() {
				continue
			}
			return nil
		}
		n++
		err := workflow.ExecuteActivity(dctx, a.DeliverWebhook, id).Get(ctx, nil)
		if err == nil {
			continue
		}
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) && appErr.Type() == activities.ErrWebhookGone {
			f := activities.WebhookFailure{WebhookID: in.WebhookID, Reason: "disabled: the receiver answered 410 Gone"}
			return workflow.ExecuteLocalActivity(lctx, a.DisableWebhook, f).Get(ctx, nil)
		}
		f := activities.WebhookFailure{DeliveryID: id, Reason: "given up: " + failureReason(err)}
		if err := workflow.ExecuteLocalActivity(lctx, a.FailWebhookDelivery, f).Get(ctx, nil); err != nil {
			return err
		}
	}
	drain()
	return workflow.NewContinueAsNewError(ctx, WebhookDelivery, in)
}

// failureReason says why a delivery ended: retries ran out (a timeout, or a retryable
// error that was not retried again because the window had passed), with the last
// attempt's error; or a final error.
func failureReason(err error) string {
	var timeout *temporal.TimeoutError
	var appErr *temporal.ApplicationError
	isApp := errors.As(err, &appErr)
	last := err.Error()
	if isApp {
		last = appErr.Message()
	}
	if errors.As(err, &timeout) || (isApp && !appErr.NonRetryable()) {
		return "no success within 24h; last: " + last
	}
	return last
}

// WebhookSweep dispatches the deliveries whose dispatch was missed (run every minute by
// the WebhookSweepScheduleID schedule).
func WebhookSweep(ctx workflow.Context) (int, error) {
	var a *activities.Activities
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	var n int
	err := workflow.ExecuteActivity(ctx, a.SweepWebhooks).Get(ctx, &n)
	return n, err
}
