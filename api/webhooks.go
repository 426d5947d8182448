package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

// WebhookJSON is an event webhook subscription in answers. Secret is set only in the
// answer to its creation: it is never shown again.
type WebhookJSON struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	Events      []string  `json:"events"`
	Description string    `json:"description"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	// Enabled is false once the receiver answered 410 Gone (DisabledReason says so).
	Enabled        bool       `json:"enabled"`
	DisabledAt     *time.Time `json:"disabled_at,omitempty"`
	DisabledReason string     `json:"disabled_reason,omitempty"`
	// Secret is the signing secret ("whsec_…"), in the creation answer only.
	Secret string `json:"secret,omitempty"`
}

func webhookOut(w *store.Webhook) WebhookJSON {
	return WebhookJSON{ID: w.ID, URL: w.URL, Events: []string(w.Events), Description: w.Description,
		CreatedBy: w.CreatedBy, CreatedAt: w.CreatedAt, Enabled: w.DisabledAt == nil, DisabledAt: w.DisabledAt,
		DisabledReason: w.DisabledReason}
}

// DeliveryJSON is one event sent (or to send) to a subscription, with its attempts.
type DeliveryJSON struct {
	ID string `json:"id"`
	// EventID is the webhook-id header of every attempt.
	EventID   string    `json:"event_id"`
	EventType string    `json:"event_type"`
	Subject   string    `json:"subject"`
	EventAt   time.Time `json:"event_at"`
	// Status is pending, delivered or failed (given up after 24 hours of retries, or the
	// subscription was disabled).
	Status         string        `json:"status"`
	Attempts       []AttemptJSON `json:"attempts"`
	LastStatusCode int           `json:"last_status_code,omitempty"`
	LastError      string        `json:"last_error,omitempty"`
	DeliveredAt    *time.Time    `json:"delivered_at,omitempty"`
	CreatedAt      time.Time     `json:"created_at"`
}

// AttemptJSON is one HTTP request of a delivery: never the receiver's response body.
type AttemptJSON struct {
	At time.Time `json:"at"`
	// StatusCode is the receiver's answer, 0 when none came (Error says why).
	StatusCode int    `json:"status_code"`
	DurationMS int64  `json:"duration_ms"`
	Error      string `json:"error,omitempty"`
}

func deliveryOut(d *store.WebhookDelivery) DeliveryJSON {
	out := DeliveryJSON{ID: d.ID, EventID: d.EventID, EventType: d.EventType, Subject: d.Subject, EventAt: d.At,
		Status: d.Status, Attempts: []AttemptJSON{}, LastStatusCode: d.LastStatusCode, LastError: d.LastError,
		DeliveredAt: d.DeliveredAt, CreatedAt: d.CreatedAt}
	for _, a := range d.AttemptLog {
		out.Attempts = append(out.Attempts, AttemptJSON{At: a.At, StatusCode: a.StatusCode, DurationMS: a.DurationMS, Error: a.Error})
	}
	return out
}

// createWebhook answers POST /api/v1/webhooks {url, events[], description}: 201 with the
// subscription and its signing secret, shown once.
func createWebhook(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in service.WebhookInput
		if err := decode(c, &in); err != nil {
			return err
		}
		w, secret, err := svc.CreateWebhook(c.UserContext(), currentUser(c), in)
		if err != nil {
			return err
		}
		out := webhookOut(w)
		out.Secret = secret
		return c.Status(fiber.StatusCreated).JSON(out)
	}
}

// listWebhooks answers GET /api/v1/webhooks: {"webhooks": [...]}.
func listWebhooks(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ws, err := svc.Webhooks(c.UserContext(), currentUser(c))
		if err != nil {
			return err
		}
		out := make([]WebhookJSON, len(ws))
		for i := range ws {
			out[i] = webhookOut(&ws[i])
		}
		return c.JSON(fiber.Map{"webhooks": out})
	}
}

func getWebhook(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		w, err := svc.Webhook(c.UserContext(), currentUser(c), c.Params("id"))
		if err != nil {
			return err
		}
		return c.JSON(webhookOut(w))
	}
}

func deleteWebhook(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := svc.DeleteWebhook(c.UserContext(), currentUser(c), c.Params("id")); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

// listDeliveries answers GET /api/v1/webhooks/{id}/deliveries: {"deliveries": [...]},
// the latest first.
func listDeliveries(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ds, err := svc.WebhookDeliveries(c.UserContext(), currentUser(c), c.Params("id"))
		if err != nil {
			return err
		}
		out := make([]DeliveryJSON, len(ds))
		for i := range ds {
			out[i] = deliveryOut(&ds[i])
		}
		return c.JSON(fiber.Map{"deliveries": out})
	}
}

// redeliver answers POST /api/v1/webhooks/{id}/deliveries/{delivery}/redeliver: 202 with
// the delivery, pending again.
func redeliver(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		d, err := svc.Redeliver(c.UserContext(), currentUser(c), c.Params("id"), c.Params("delivery"))
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusAccepted).JSON(deliveryOut(d))
	}
}
