package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/store"
)

func newWebhook(t *testing.T, s *store.Store, events ...string) *store.Webhook {
	t.Helper()
	w := &store.Webhook{ID: greenlight.NewID("whk_"), URL: "https://hooks.example/in", Events: events,
		SecretSealed: "sealed", CreatedBy: "usr_admin", CreatedAt: time.Now().UTC()}
	require.NoError(t, s.CreateWebhook(context.Background(), w))
	return w
}

func outboxEvent(id, typ, subject string, at time.Time, seq int) store.Event {
	return store.Event{ID: id, Type: typ, Subject: subject, ClientID: "cli_x", At: at, Seq: seq, Body: `{"type":"` + typ + `"}`}
}

// History writes add their events in the same transaction, once: a retried write adds
// neither events nor deliveries; each enabled subscription asking for a type gets one
// delivery, queued in the order of the subject's events.
func TestOutboxAndDeliveries(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := newClient(t, s, "brand")
		all := newWebhook(t, s, "post.submitted", "post.published")
		onlyPublished := newWebhook(t, s, "post.published")
		gone := newWebhook(t, s, "post.submitted")
		require.NoError(t, s.DisableWebhook(ctx, gone.ID, "410"))

		p := newPost(c.ID, 1, greenlight.StatusInReview)
		subject := "post:" + p.ID
		at := time.Now().UTC().Truncate(time.Millisecond)
		rec := store.PostRecord{Post: p,
			Events: []store.PostEvent{{PostID: p.ID, Seq: 1, At: at, Action: "submitted"}},
			Outbox: []store.Event{outboxEvent("msg_1", "post.submitted", subject, at, 1)}}
		require.NoError(t, s.RecordPost(ctx, rec))
		require.NoError(t, s.RecordPost(ctx, rec), "a retried write")

		evs, err := s.Events(ctx, subject)
		require.NoError(t, err)
		require.Len(t, evs, 1, "one event whatever the retries")
		ds, err := s.Deliveries(ctx, all.ID, 10)
		require.NoError(t, err)
		require.Len(t, ds, 1)
		require.Equal(t, store.DeliveryPending, ds[0].Status)
		for _, w := range []*store.Webhook{onlyPublished, gone} {
			ds, err := s.Deliveries(ctx, w.ID, 10)
			require.NoError(t, err)
			require.Empty(t, ds, "not subscribed, or disabled")
		}

		// A later write at the same time: ordered by seq.
		p.Revision, p.Status = 2, string(greenlight.StatusPublished)
		require.NoError(t, s.RecordPost(ctx, store.PostRecord{Post: p,
			Outbox: []store.Event{outboxEvent("msg_2", "post.published", subject, at, 2)}}))
		next, err := s.NextDelivery(ctx, all.ID, subject)
		require.NoError(t, err)
		require.Equal(t, "msg_1", next.EventID, "the oldest first")

		und, err := s.UndispatchedDeliveries(ctx, "", time.Now().Add(time.Minute), 100)
		require.NoError(t, err)
		require.Len(t, und, 3)
		require.NoError(t, s.MarkDispatched(ctx, []string{und[0].ID}))
		und, err = s.UndispatchedDeliveries(ctx, subject, time.Now().Add(time.Minute), 100)
		require.NoError(t, err)
		require.Len(t, und, 2)
		und, err = s.UndispatchedDeliveries(ctx, "", time.Now().Add(-time.Minute), 100)
		require.NoError(t, err)
		require.Empty(t, und, "the sweep leaves fresh rows to their own dispatch")

		// Attempts: a failure keeps it pending, a success delivers it and the queue moves on.
		require.NoError(t, s.RecordAttempt(ctx, store.WebhookAttempt{DeliveryID: next.ID, At: time.Now(), StatusCode: 500, DurationMS: 12, Error: "HTTP 500"}, false))
		require.NoError(t, s.RecordAttempt(ctx, store.WebhookAttempt{DeliveryID: next.ID, At: time.Now(), StatusCode: 204, DurationMS: 8}, true))
		j, err := s.DeliveryJob(ctx, next.ID)
		require.NoError(t, err)
		require.Equal(t, store.DeliveryDelivered, j.Delivery.Status)
		require.Equal(t, 2, j.Delivery.Attempts)
		require.Equal(t, `{"type":"post.submitted"}`, j.Event.Body)
		require.Equal(t, all.URL, j.Webhook.URL)
		next2, err := s.NextDelivery(ctx, all.ID, subject)
		require.NoError(t, err)
		require.Equal(t, "msg_2", next2.EventID)

		ds, err = s.Deliveries(ctx, all.ID, 10)
		require.NoError(t, err)
		require.Len(t, ds, 2)
		byEvent := map[string]store.WebhookDelivery{}
		for _, d := range ds {
			byEvent[d.EventID] = d
		}
		log := byEvent["msg_1"].AttemptLog
		require.Len(t, log, 2)
		require.Equal(t, 500, log[0].StatusCode)
		require.Equal(t, "HTTP 500", log[0].Error)
		require.Equal(t, 204, log[1].StatusCode)

		// Redelivery: only a finished delivery, pending again, undispatched.
		_, err = s.RequeueDelivery(ctx, all.ID, next2.ID)
		require.Equal(t, greenlight.ECONFLICT, greenlight.ErrorCode(err), "still pending")
		_, err = s.RequeueDelivery(ctx, onlyPublished.ID, next.ID)
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err), "another subscription's delivery")
		d, err := s.RequeueDelivery(ctx, all.ID, next.ID)
		require.NoError(t, err)
		require.Equal(t, store.DeliveryPending, d.Status)
		first, err := s.NextDelivery(ctx, all.ID, subject)
		require.NoError(t, err)
		require.Equal(t, next.ID, first.ID, "a redelivery takes its event's place in the order")

		// Giving up, then disabling: pending deliveries fail, the queue is empty.
		require.NoError(t, s.FailDelivery(ctx, next.ID, "given up"))
		require.NoError(t, s.DisableWebhook(ctx, all.ID, "the receiver answered 410 Gone"))
		none, err := s.NextDelivery(ctx, all.ID, subject)
		require.NoError(t, err)
		require.Nil(t, none)
		_, err = s.RequeueDelivery(ctx, all.ID, next.ID)
		require.Equal(t, greenlight.ECONFLICT, greenlight.ErrorCode(err), "disabled")
		w, err := s.Webhook(ctx, all.ID)
		require.NoError(t, err)
		require.NotNil(t, w.DisabledAt)

		// Deleting a subscription takes its log with it.
		require.NoError(t, s.DeleteWebhook(ctx, all.ID))
		_, err = s.DeliveryJob(ctx, next.ID)
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(s.DeleteWebhook(ctx, all.ID)))
		ws, err := s.Webhooks(ctx)
		require.NoError(t, err)
		require.Len(t, ws, 2)
	})
}

// Crisis and statement writes add their events the same way.
func TestCrisisOutbox(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := newClient(t, s, "brand")
		w := newWebhook(t, s, "crisis.started", "crisis.statement_decided")
		at := time.Now().UTC()
		cr := store.Crisis{ID: greenlight.NewID("crs_"), ClientID: c.ID, PlaybookKey: "bad-buzz", Severity: "low",
			Summary: "x", Status: "active", LeadID: "usr_l", LeadName: "Lea", StartedAt: at}
		require.NoError(t, s.CreateCrisis(ctx, &cr))
		cr.Revision = 1
		subject := "crisis:" + cr.ID
		rec := store.CrisisRecord{Crisis: cr, Outbox: []store.Event{outboxEvent("msg_c1", "crisis.started", subject, at, 1)}}
		require.NoError(t, s.RecordCrisis(ctx, rec))
		require.NoError(t, s.RecordCrisis(ctx, rec))
		st := store.Statement{ID: greenlight.NewID("stm_"), CrisisID: cr.ID, ClientID: c.ID, StepKey: "draft", Version: 1,
			Body: "We are sorry", Channels: store.StringList{}, Status: "approved", Revision: 1, CreatedAt: at, UpdatedAt: at}
		srec := store.StatementRecord{Statement: st, Outbox: []store.Event{outboxEvent("msg_s1", "crisis.statement_decided", subject, at.Add(time.Second), 1)}}
		require.NoError(t, s.RecordStatement(ctx, srec))
		require.NoError(t, s.RecordStatement(ctx, srec))
		ds, err := s.Deliveries(ctx, w.ID, 10)
		require.NoError(t, err)
		require.Len(t, ds, 2)
		next, err := s.NextDelivery(ctx, w.ID, subject)
		require.NoError(t, err)
		require.Equal(t, "msg_c1", next.EventID)
	})
}
