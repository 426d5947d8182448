package activities

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/greenlight/greenlight/events"
	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/store"
)

// WebhookStore is what event webhooks need from the database.
type WebhookStore interface {
	UndispatchedDeliveries(ctx context.Context, subject string, before time.Time, limit int) ([]store.WebhookDelivery, error)
	MarkDispatched(ctx context.Context, ids []string) error
	NextDelivery(ctx context.Context, webhookID, subject string) (*store.WebhookDelivery, error)
	DeliveryJob(ctx context.Context, deliveryID string) (*store.DeliveryJob, error)
	RecordAttempt(ctx context.Context, a store.WebhookAttempt, delivered bool) error
	FailDelivery(ctx context.Context, id, reason string) error
	DisableWebhook(ctx context.Context, id, reason string) error
}

// Webhook delivery: names shared by the workflow, the dispatch and the API.
const (
	// WebhookDeliveryWorkflow is the workflow type delivering one subscription's events of
	// one subject, in order (workflows.WebhookDelivery).
	WebhookDeliveryWorkflow = "WebhookDelivery"
	// WebhookWakeSignal tells a delivery workflow that its queue has new deliveries.
	WebhookWakeSignal = "wake"
	// Error types of DeliverWebhook that end a delivery at once.
	ErrWebhookGone     = "webhook_gone"     // the receiver answered 410 Gone
	ErrWebhookRefused  = "webhook_refused"  // the URL reaches an address the outbound policy refuses
	ErrWebhookDisabled = "webhook_disabled" // the subscription was disabled meanwhile
	// webhookTimeout bounds one request, as the specification recommends (15 to 30 s).
	webhookTimeout = 20 * time.Second
	// dispatchTimeout bounds the dispatch after a history write.
	dispatchTimeout = 5 * time.Second
	// maxRetryAfter caps a receiver's Retry-After.
	maxRetryAfter = time.Hour
)

// WebhookQueue names one delivery workflow: a subscription and a subject.
type WebhookQueue struct {
	WebhookID string
	Subject   string
}

// WebhookDeliveryWorkflowID is the id of the delivery workflow of a queue.
func WebhookDeliveryWorkflowID(q WebhookQueue) string {
	return "webhook-delivery:" + q.WebhookID + ":" + q.Subject
}

// WebhookFailure ends a delivery (DeliveryID) or a subscription (WebhookID) with a reason.
type WebhookFailure struct {
	DeliveryID string
	WebhookID  string
	Reason     string
}

// DispatchDeliveries signals (starting it when needed) the delivery workflow of every
// queue holding pending deliveries that no workflow was told about, created before the
// given time, of one subject ("" for all), then marks those deliveries dispatched. A
// signal sent twice is harmless: workflows read their queue from the store.
func DispatchDeliveries(ctx context.Context, c client.Client, st WebhookStore, taskQueue, subject string, before time.Time) (int, error) {
	ds, err := st.UndispatchedDeliveries(ctx, subject, before, 1000)
	if err != nil || len(ds) == 0 {
		return 0, err
	}
	byQueue := map[WebhookQueue][]string{}
	var order []WebhookQueue
	for _, d := range ds {
		q := WebhookQueue{WebhookID: d.WebhookID, Subject: d.Subject}
		if _, ok := byQueue[q]; !ok {
			order = append(order, q)
		}
		byQueue[q] = append(byQueue[q], d.ID)
	}
	n := 0
	var errs []error
	for _, q := range order {
		_, err := c.SignalWithStartWorkflow(ctx, WebhookDeliveryWorkflowID(q), WebhookWakeSignal, nil,
			client.StartWorkflowOptions{TaskQueue: taskQueue}, WebhookDeliveryWorkflow, q)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := st.MarkDispatched(ctx, byQueue[q]); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// dispatch starts the delivery of a subject's new events after its history was written.
// A failure is only logged: the sweep dispatches what is left.
func (a *Activities) dispatch(ctx context.Context, subject string) {
	if a.Temporal == nil || a.Webhooks == nil {
		return
	}
	// Bounded: the history write is done, and a slow Temporal must not hold the step up.
	ctx, cancel := context.WithTimeout(ctx, dispatchTimeout)
	defer cancel()
	if _, err := DispatchDeliveries(ctx, a.Temporal, a.Webhooks, a.taskQueue(ctx), subject, time.Now().Add(time.Second)); err != nil && a.Log != nil {
		a.Log.Warn("webhook dispatch failed; the sweep will retry", "subject", subject, "error", err)
	}
}

func (a *Activities) taskQueue(ctx context.Context) string {
	if a.TaskQueue != "" {
		return a.TaskQueue
	}
	return activity.GetInfo(ctx).TaskQueue
}

// SweepWebhooks dispatches pending deliveries that were never dispatched a minute after
// they were written (the process died between the commit and the signal).
func (a *Activities) SweepWebhooks(ctx context.Context) (int, error) {
	if a.Temporal == nil {
		return 0, temporal.NewNonRetryableApplicationError("no Temporal client to dispatch with", "config", nil)
	}
	return DispatchDeliveries(ctx, a.Temporal, a.Webhooks, a.taskQueue(ctx), "", time.Now().Add(-time.Minute))
}

// NextWebhookDelivery returns the id of the queue's oldest pending delivery, "" when the
// queue is empty (local activity).
func (a *Activities) NextWebhookDelivery(ctx context.Context, q WebhookQueue) (string, error) {
	d, err := a.Webhooks.NextDelivery(ctx, q.WebhookID, q.Subject)
	if err != nil || d == nil {
		return "", asTemporal(err)
	}
	return d.ID, nil
}

// DeliverWebhook makes one attempt at a delivery: a POST of the event's body signed as
// Standard Webhooks says, through the outbound client, recorded as an attempt (status code,
// duration, error; never the response body). A 2xx answer delivers it; 410 Gone fails with
// ErrWebhookGone and a refused address with ErrWebhookRefused, both final; any other
// answer or error is retryable (Retry-After is honoured up to an hour). A delivery no
// longer pending (done by an earlier attempt whose answer was lost) is left alone.
func (a *Activities) DeliverWebhook(ctx context.Context, deliveryID string) error {
	j, err := a.Webhooks.DeliveryJob(ctx, deliveryID)
	if err != nil {
		return asTemporal(err)
	}
	if j.Delivery.Status != store.DeliveryPending {
		return nil
	}
	if j.Webhook.DisabledAt != nil {
		return temporal.NewNonRetryableApplicationError("the webhook is disabled", ErrWebhookDisabled, nil)
	}
	if a.Secrets == nil {
		return errors.New("no secret key to open the webhook's signing secret")
	}
	secret, err := a.Secrets.Open(j.Webhook.SecretSealed, []byte(j.Webhook.ID))
	if err != nil {
		return fmt.Errorf("open signing secret: %w", err)
	}
	body := []byte(j.Event.Body)
	now := time.Now()
	sig, err := events.Sign(string(secret), j.Event.ID, now, body)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), "secret", err)
	}
	rctx, cancel := context.WithTimeout(ctx, webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, j.Webhook.URL, bytes.NewReader(body))
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrWebhookRefused, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Greenlight-Webhooks/1")
	req.Header.Set(events.HeaderID, j.Event.ID)
	req.Header.Set(events.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(events.HeaderSignature, sig)
	resp, doErr := a.http().Do(req)
	att := store.WebhookAttempt{DeliveryID: deliveryID, At: now, DurationMS: time.Since(now).Milliseconds()}
	var retryAfter time.Duration
	if doErr != nil {
		att.Error = truncate(doErr.Error(), 500)
	} else {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		att.StatusCode = resp.StatusCode
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			att.Error = "HTTP " + strconv.Itoa(resp.StatusCode)
			retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now)
		}
	}
	ok := att.Error == ""
	if err := a.Webhooks.RecordAttempt(ctx, att, ok); err != nil {
		return err // retried: the receiver may get the event again, with the same webhook-id
	}
	switch {
	case ok:
		return nil
	case att.StatusCode == http.StatusGone:
		return temporal.NewNonRetryableApplicationError("the receiver answered 410 Gone", ErrWebhookGone, nil)
	case errors.Is(doErr, outbound.ErrRefused):
		return temporal.NewNonRetryableApplicationError(att.Error, ErrWebhookRefused, nil)
	case retryAfter > 0:
		return temporal.NewApplicationErrorWithOptions(att.Error, "delivery_failed", temporal.ApplicationErrorOptions{NextRetryDelay: retryAfter})
	default:
		return temporal.NewApplicationError(att.Error, "delivery_failed")
	}
}

// parseRetryAfter reads a Retry-After header (seconds or an HTTP date), capped at
// maxRetryAfter; 0 when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if s, err := strconv.Atoi(v); err == nil {
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	if d <= 0 {
		return 0
	}
	return min(d, maxRetryAfter)
}

// FailWebhookDelivery gives a delivery up (local activity).
func (a *Activities) FailWebhookDelivery(ctx context.Context, f WebhookFailure) error {
	return asTemporal(a.Webhooks.FailDelivery(ctx, f.DeliveryID, truncate(f.Reason, 500)))
}

// DisableWebhook disables a subscription whose receiver answered 410 Gone (local activity).
func (a *Activities) DisableWebhook(ctx context.Context, f WebhookFailure) error {
	if a.Log != nil {
		a.Log.Warn("webhook disabled", "webhook", f.WebhookID, "reason", f.Reason)
	}
	return asTemporal(a.Webhooks.DisableWebhook(ctx, f.WebhookID, f.Reason))
}

func (a *Activities) http() *http.Client {
	if a.HTTP != nil {
		return a.HTTP
	}
	return outbound.NewClient(nil, outbound.Options{})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// postOutbox returns the webhook events of a post record's history lines.
func postOutbox(p PostSnapshot, evs []EventRecord) []store.Event {
	var out []store.Event
	for _, e := range evs {
		m, ok := events.FromPost(events.PostChange{PostID: p.ID, ClientID: p.ClientID, Title: p.Content.Title,
			Channels: p.Content.Channels, PublishAt: p.PublishAt, Seq: e.Seq, At: e.At, Actor: eventActor(e.Actor.Kind, e.Actor.ID, e.Actor.Name),
			Action: e.Action, Version: e.Version, Comment: e.Comment})
		if ok {
			out = append(out, outboxRow(m))
		}
	}
	return out
}

// crisisOutbox returns the webhook events of a crisis record's timeline lines.
func crisisOutbox(c CrisisSnapshot, evs []CrisisEventRecord) []store.Event {
	var out []store.Event
	for _, e := range evs {
		m, ok := events.FromCrisis(events.CrisisChange{CrisisID: c.ID, ClientID: c.ClientID, Seq: e.Seq, At: e.At,
			Actor: eventActor(e.Actor.Kind, e.Actor.ID, e.Actor.Name), Event: e.Event, Step: e.Step, Note: e.Note})
		if ok {
			out = append(out, outboxRow(m))
		}
	}
	return out
}

// statementOutbox returns the crisis.statement_decided events of a statement's decisions.
func statementOutbox(s StatementSnapshot, ds []StatementDecisionRecord) []store.Event {
	var out []store.Event
	for _, d := range ds {
		out = append(out, outboxRow(events.FromStatementDecision(events.StatementDecision{
			CrisisID: s.CrisisID, ClientID: s.ClientID, StatementID: s.ID, Step: s.StepKey, Seq: d.Seq, At: d.At,
			Version: d.Version, Approver: eventActor(d.Actor.Kind, d.Actor.ID, d.Actor.Name), Role: d.Role,
			Decision: d.Decision, Comment: d.Comment,
		})))
	}
	return out
}

func eventActor(kind, id, name string) events.Actor {
	return events.Actor{Kind: kind, ID: id, Name: name}
}

func outboxRow(m events.Message) store.Event {
	return store.Event{ID: m.ID, Type: m.Type, Subject: m.Subject, ClientID: m.ClientID, At: m.At, Seq: m.Seq, Body: string(m.Body)}
}
