package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/greenlight/greenlight"
)

// Event webhooks: events is the outbox. A post's or a crisis's history write adds, in the
// same transaction, the events it stands for (ids derived from the history line, so that a
// retried write adds nothing) and one delivery per enabled subscription asking for the
// event's type. Deliveries are then worked through by one delivery workflow per
// (subscription, subject), in the order the subject's events happened.

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Webhook is a subscription to events. The signing secret is kept sealed with the
// webhook id as associated data; it is shown once, when the subscription is created.
type Webhook struct {
	ID             string
	URL            string
	Events         StringList
	Description    string
	SecretSealed   string
	CreatedBy      string
	CreatedAt      time.Time
	DisabledAt     *time.Time
	DisabledReason string
}

// Event is one outbox row: an event and the exact body sent for it.
type Event struct {
	ID        string
	Type      string
	Subject   string
	ClientID  string
	At        time.Time
	Seq       int
	Body      string
	CreatedAt time.Time
}

// WebhookDelivery is one event to send to one subscription.
type WebhookDelivery struct {
	ID             string
	WebhookID      string
	EventID        string
	EventType      string
	Subject        string
	At             time.Time
	Seq            int
	Status         string
	Attempts       int
	LastStatusCode int
	LastError      string
	// DispatchedAt is when its delivery workflow was told about it; the sweep dispatches
	// pending deliveries left without (a crash between the commit and the signal).
	DispatchedAt *time.Time
	DeliveredAt  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// AttemptLog is filled by Deliveries.
	AttemptLog []WebhookAttempt `gorm:"-"`
}

// WebhookAttempt is one HTTP request of a delivery: never the receiver's body.
type WebhookAttempt struct {
	ID         string
	DeliveryID string
	At         time.Time
	StatusCode int // 0 when no response came
	DurationMS int64
	Error      string
}

func (Event) TableName() string           { return "events" }
func (WebhookDelivery) TableName() string { return "webhook_deliveries" }
func (WebhookAttempt) TableName() string  { return "webhook_attempts" }

// emit adds events to the outbox inside tx, and a delivery of each new one to every
// enabled subscription asking for its type. Events already there are left alone.
func emit(tx *gorm.DB, evs []Event) error {
	if len(evs) == 0 {
		return nil
	}
	var hooks []Webhook
	if err := tx.Where("disabled_at IS NULL").Order("id").Find(&hooks).Error; err != nil {
		return err
	}
	now := time.Now().UTC()
	for i := range evs {
		e := evs[i]
		e.CreatedAt = now
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&e)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			continue // written before: its deliveries were created then
		}
		for _, h := range hooks {
			if !containsString(h.Events, e.Type) {
				continue
			}
			d := WebhookDelivery{ID: greenlight.NewID("dlv_"), WebhookID: h.ID, EventID: e.ID, EventType: e.Type,
				Subject: e.Subject, At: e.At, Seq: e.Seq, Status: DeliveryPending, CreatedAt: now, UpdatedAt: now}
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&d).Error; err != nil {
				return err
			}
		}
	}
	return nil
}

func containsString(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// CreateWebhook stores a new subscription.
func (s *Store) CreateWebhook(ctx context.Context, w *Webhook) error {
	return wrap(s.ctx(ctx).Create(w).Error, "create webhook")
}

// Webhooks lists every subscription, newest first.
func (s *Store) Webhooks(ctx context.Context) ([]Webhook, error) {
	var ws []Webhook
	return ws, wrap(s.ctx(ctx).Order("created_at DESC, id DESC").Find(&ws).Error, "webhooks")
}

// Webhook returns one subscription, or ENOTFOUND.
func (s *Store) Webhook(ctx context.Context, id string) (*Webhook, error) {
	var w Webhook
	if err := s.ctx(ctx).Where("id = ?", id).Take(&w).Error; err != nil {
		return nil, wrap(err, "webhook")
	}
	return &w, nil
}

// DeleteWebhook removes a subscription with its deliveries and attempts, or ENOTFOUND.
func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	return wrap(s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		sub := tx.Model(&WebhookDelivery{}).Select("id").Where("webhook_id = ?", id)
		if err := tx.Where("delivery_id IN (?)", sub).Delete(&WebhookAttempt{}).Error; err != nil {
			return err
		}
		if err := tx.Where("webhook_id = ?", id).Delete(&WebhookDelivery{}).Error; err != nil {
			return err
		}
		res := tx.Where("id = ?", id).Delete(&Webhook{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return gorm.ErrRecordNotFound
		}
		return nil
	}), "webhook")
}

// DisableWebhook stops a subscription (its receiver answered 410 Gone): no new
// deliveries, and its pending ones fail with reason.
func (s *Store) DisableWebhook(ctx context.Context, id, reason string) error {
	now := time.Now().UTC()
	return wrap(s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&Webhook{}).Where("id = ? AND disabled_at IS NULL", id).
			Updates(map[string]any{"disabled_at": now, "disabled_reason": reason}).Error; err != nil {
			return err
		}
		return tx.Model(&WebhookDelivery{}).Where("webhook_id = ? AND status = ?", id, DeliveryPending).
			Updates(map[string]any{"status": DeliveryFailed, "last_error": reason, "updated_at": now}).Error
	}), "disable webhook")
}

// Events returns a subject's events in order (tests and tools).
func (s *Store) Events(ctx context.Context, subject string) ([]Event, error) {
	var es []Event
	return es, wrap(s.ctx(ctx).Where("subject = ?", subject).Order("at, seq, id").Find(&es).Error, "events")
}

// UndispatchedDeliveries returns pending deliveries no delivery workflow was told about,
// created before the given time: of one subject, or of all when subject is "" (the sweep),
// at most limit.
func (s *Store) UndispatchedDeliveries(ctx context.Context, subject string, before time.Time, limit int) ([]WebhookDelivery, error) {
	q := s.ctx(ctx).Where("status = ? AND dispatched_at IS NULL AND created_at <= ?", DeliveryPending, before.UTC()).
		Order("at, seq, id").Limit(limit)
	if subject != "" {
		q = q.Where("subject = ?", subject)
	}
	var ds []WebhookDelivery
	return ds, wrap(q.Find(&ds).Error, "undispatched deliveries")
}

// MarkDispatched records that the deliveries' workflows were signalled.
func (s *Store) MarkDispatched(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return wrap(s.ctx(ctx).Model(&WebhookDelivery{}).Where("id IN ? AND dispatched_at IS NULL", ids).
		Update("dispatched_at", time.Now().UTC()).Error, "mark dispatched")
}

// NextDelivery returns the subscription's oldest pending delivery of a subject, or nil
// when there is none (or the subscription is gone or disabled).
func (s *Store) NextDelivery(ctx context.Context, webhookID, subject string) (*WebhookDelivery, error) {
	var ds []WebhookDelivery
	err := s.ctx(ctx).Where("webhook_id = ? AND subject = ? AND status = ?", webhookID, subject, DeliveryPending).
		Where("webhook_id IN (?)", s.ctx(ctx).Model(&Webhook{}).Select("id").Where("disabled_at IS NULL")).
		Order("at, seq, id").Limit(1).Find(&ds).Error
	if err != nil || len(ds) == 0 {
		return nil, wrap(err, "next delivery")
	}
	return &ds[0], nil
}

// DeliveryJob is what an attempt needs: the delivery, its subscription and its event.
type DeliveryJob struct {
	Delivery WebhookDelivery
	Webhook  Webhook
	Event    Event
}

// DeliveryJob loads a delivery with its subscription and event, or ENOTFOUND.
func (s *Store) DeliveryJob(ctx context.Context, deliveryID string) (*DeliveryJob, error) {
	var j DeliveryJob
	if err := s.ctx(ctx).Where("id = ?", deliveryID).Take(&j.Delivery).Error; err != nil {
		return nil, wrap(err, "delivery")
	}
	if err := s.ctx(ctx).Where("id = ?", j.Delivery.WebhookID).Take(&j.Webhook).Error; err != nil {
		return nil, wrap(err, "webhook")
	}
	if err := s.ctx(ctx).Where("id = ?", j.Delivery.EventID).Take(&j.Event).Error; err != nil {
		return nil, wrap(err, "event")
	}
	return &j, nil
}

// RecordAttempt adds an attempt to a delivery and updates the delivery: delivered when
// delivered is true, else still pending with the attempt's outcome.
func (s *Store) RecordAttempt(ctx context.Context, a WebhookAttempt, delivered bool) error {
	return wrap(s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		a.ID = greenlight.NewID("att_")
		a.At = a.At.UTC()
		if err := tx.Create(&a).Error; err != nil {
			return err
		}
		set := map[string]any{"attempts": gorm.Expr("attempts + 1"), "last_status_code": a.StatusCode,
			"last_error": a.Error, "updated_at": time.Now().UTC()}
		if delivered {
			set["status"], set["delivered_at"] = DeliveryDelivered, a.At
		}
		return tx.Model(&WebhookDelivery{}).Where("id = ?", a.DeliveryID).Updates(set).Error
	}), "record attempt")
}

// FailDelivery gives a pending delivery up with the reason.
func (s *Store) FailDelivery(ctx context.Context, id, reason string) error {
	return wrap(s.ctx(ctx).Model(&WebhookDelivery{}).Where("id = ? AND status = ?", id, DeliveryPending).
		Updates(map[string]any{"status": DeliveryFailed, "last_error": reason, "updated_at": time.Now().UTC()}).Error,
		"fail delivery")
}

// Deliveries returns a subscription's latest deliveries (at most limit), newest first,
// each with its attempts.
func (s *Store) Deliveries(ctx context.Context, webhookID string, limit int) ([]WebhookDelivery, error) {
	var ds []WebhookDelivery
	if err := s.ctx(ctx).Where("webhook_id = ?", webhookID).Order("created_at DESC, at DESC, seq DESC, id DESC").
		Limit(limit).Find(&ds).Error; err != nil {
		return nil, wrap(err, "deliveries")
	}
	if len(ds) == 0 {
		return ds, nil
	}
	ids := make([]string, len(ds))
	idx := map[string]int{}
	for i, d := range ds {
		ids[i], idx[d.ID] = d.ID, i
	}
	var as []WebhookAttempt
	if err := s.ctx(ctx).Where("delivery_id IN ?", ids).Order("at, id").Find(&as).Error; err != nil {
		return nil, wrap(err, "delivery attempts")
	}
	for _, a := range as {
		i := idx[a.DeliveryID]
		ds[i].AttemptLog = append(ds[i].AttemptLog, a)
	}
	return ds, nil
}

// RequeueDelivery makes a delivery of the subscription pending again for a new attempt
// (a redelivery, with the same event id): ENOTFOUND when it is not the subscription's,
// ECONFLICT when it is still pending or the subscription is disabled.
func (s *Store) RequeueDelivery(ctx context.Context, webhookID, deliveryID string) (*WebhookDelivery, error) {
	var d WebhookDelivery
	err := s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		var w Webhook
		if err := tx.Where("id = ?", webhookID).Take(&w).Error; err != nil {
			return wrap(err, "webhook")
		}
		if w.DisabledAt != nil {
			return greenlight.Errorf(greenlight.ECONFLICT, "the webhook is disabled (%s); create a new one", w.DisabledReason)
		}
		if err := tx.Where("id = ? AND webhook_id = ?", deliveryID, webhookID).Take(&d).Error; err != nil {
			return wrap(err, "delivery")
		}
		if d.Status == DeliveryPending {
			return greenlight.Errorf(greenlight.ECONFLICT, "the delivery is still pending")
		}
		d.Status, d.DispatchedAt, d.UpdatedAt = DeliveryPending, nil, time.Now().UTC()
		return tx.Model(&WebhookDelivery{}).Where("id = ?", d.ID).
			Updates(map[string]any{"status": d.Status, "dispatched_at": nil, "updated_at": d.UpdatedAt}).Error
	})
	if err != nil {
		return nil, wrap(err, "redeliver")
	}
	return &d, nil
}
