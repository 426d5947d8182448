package service

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/events"
	"github.com/greenlight/greenlight/store"
)

// Event webhooks tell other systems what happened (see package events): an admin
// subscribes a URL to event types and gets its signing secret once; deliveries and their
// attempts can be read and a finished delivery sent again.

// WebhookInput is a new subscription.
type WebhookInput struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description"`
}

// Limits of subscriptions.
const (
	maxWebhookDescription = 500
	maxWebhooks           = 100
	// DeliveriesShown is how many of a subscription's latest deliveries are listed.
	DeliveriesShown = 100
)

// CreateWebhook subscribes a URL to event types. The URL must be http(s) and pass the
// outbound policy (no internal address unless allowed); every event must be one of
// events.Types. It returns the subscription and its signing secret ("whsec_…"), shown only
// here. EINVALID names the faulty field; EFORBIDDEN unless the actor is an admin limited to
// no client.
func (s *Service) CreateWebhook(ctx context.Context, actor *store.User, in WebhookInput) (*store.Webhook, string, error) {
	if err := authorize(actor, ActWebhooksManage, Resource{}); err != nil {
		return nil, "", err
	}
	if strings.TrimSpace(in.URL) == "" {
		return nil, "", greenlight.Errorf(greenlight.EINVALID, "url: required")
	}
	if err := s.validWebhookURL(ctx, "url", in.URL); err != nil {
		return nil, "", err
	}
	if len(in.Events) == 0 {
		return nil, "", greenlight.Errorf(greenlight.EINVALID, "events: at least one of %s", strings.Join(events.Types, ", "))
	}
	var evs store.StringList
	for i, e := range in.Events {
		if !events.Known(e) {
			return nil, "", greenlight.Errorf(greenlight.EINVALID, "events[%d]: unknown event %q", i, e)
		}
		if !containsString(evs, e) {
			evs = append(evs, e)
		}
	}
	desc := strings.TrimSpace(in.Description)
	if utf8.RuneCountInString(desc) > maxWebhookDescription {
		return nil, "", greenlight.Errorf(greenlight.EINVALID, "description: at most %d characters", maxWebhookDescription)
	}
	if s.Secrets == nil {
		return nil, "", greenlight.Errorf(greenlight.EINVALID, "url: event webhooks need GREENLIGHT_SECRET_KEY to keep their signing secret")
	}
	if hooks, err := s.Store.Webhooks(ctx); err != nil {
		return nil, "", err
	} else if len(hooks) >= maxWebhooks {
		return nil, "", greenlight.Errorf(greenlight.EINVALID, "url: at most %d webhooks", maxWebhooks)
	}
	secret := events.NewSecret()
	w := &store.Webhook{ID: greenlight.NewID("whk_"), URL: in.URL, Events: evs, Description: desc,
		CreatedBy: actor.ID, CreatedAt: s.now()}
	w.SecretSealed = s.Secrets.Seal([]byte(secret), []byte(w.ID))
	if err := s.Store.CreateWebhook(ctx, w); err != nil {
		return nil, "", err
	}
	s.Log.Info("webhook created", "webhook", w.ID, "by", actor.ID, "events", len(evs))
	return w, secret, nil
}

func containsString(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// Webhooks lists the subscriptions (never their secrets).
func (s *Service) Webhooks(ctx context.Context, actor *store.User) ([]store.Webhook, error) {
	if err := authorize(actor, ActWebhooksManage, Resource{}); err != nil {
		return nil, err
	}
	return s.Store.Webhooks(ctx)
}

// Webhook returns one subscription, or ENOTFOUND.
func (s *Service) Webhook(ctx context.Context, actor *store.User, id string) (*store.Webhook, error) {
	if err := authorize(actor, ActWebhooksManage, Resource{}); err != nil {
		return nil, err
	}
	return s.Store.Webhook(ctx, id)
}

// DeleteWebhook removes a subscription and its delivery log; its delivery workflows find
// their queues empty and end. ENOTFOUND for an unknown one.
func (s *Service) DeleteWebhook(ctx context.Context, actor *store.User, id string) error {
	if err := authorize(actor, ActWebhooksManage, Resource{}); err != nil {
		return err
	}
	if err := s.Store.DeleteWebhook(ctx, id); err != nil {
		return err
	}
	s.Log.Info("webhook deleted", "webhook", id, "by", actor.ID)
	return nil
}

// WebhookDeliveries returns a subscription's latest deliveries (DeliveriesShown), newest
// first, with their attempts.
func (s *Service) WebhookDeliveries(ctx context.Context, actor *store.User, id string) ([]store.WebhookDelivery, error) {
	if _, err := s.Webhook(ctx, actor, id); err != nil {
		return nil, err
	}
	return s.Store.Deliveries(ctx, id, DeliveriesShown)
}

// Redeliver sends a delivered or failed delivery again, with the same webhook-id (a new
// attempt, and new retries if it fails): it joins its queue's order by its event's time.
// ECONFLICT while it is still pending or when the subscription is disabled.
func (s *Service) Redeliver(ctx context.Context, actor *store.User, id, deliveryID string) (*store.WebhookDelivery, error) {
	if err := authorize(actor, ActWebhooksManage, Resource{}); err != nil {
		return nil, err
	}
	d, err := s.Store.RequeueDelivery(ctx, id, deliveryID)
	if err != nil {
		return nil, err
	}
	// Dispatched now; if this fails the sweep dispatches it within a couple of minutes.
	if _, err := activities.DispatchDeliveries(ctx, s.Temporal, s.Store, s.TaskQueue, d.Subject, time.Now().Add(time.Second)); err != nil {
		s.Log.Warn("redelivery dispatch failed; the sweep will retry", "delivery", d.ID, "error", err)
	}
	s.Log.Info("webhook redelivery", "webhook", id, "delivery", d.ID, "by", actor.ID)
	return d, nil
}
