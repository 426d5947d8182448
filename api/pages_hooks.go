package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/events"
	"github.com/greenlight/greenlight/service"
)

// The event webhooks admin pages: subscriptions (create, shown secret once, delete) and a
// subscription's deliveries with a redeliver button. Both call the service as the JSON
// API does.

func (p *pages) webhooksPage(c *fiber.Ctx) error {
	ws, err := p.svc.Webhooks(c.UserContext(), currentUser(c))
	if err != nil {
		return err
	}
	return p.render(c, fiber.StatusOK, "admin_webhooks", translate(language(c), "hooks.title"), fiber.Map{
		"Webhooks": ws, "Types": events.Types,
	})
}

// createWebhookPage creates a subscription and shows its signing secret, once.
func (p *pages) createWebhookPage(c *fiber.Ctx) error {
	w, secret, err := p.svc.CreateWebhook(c.UserContext(), currentUser(c), service.WebhookInput{
		URL: c.FormValue("url"), Events: formValues(c, "events"), Description: c.FormValue("description"),
	})
	if err != nil {
		return p.fail(c, "/admin/webhooks", err)
	}
	return p.render(c, fiber.StatusCreated, "admin_webhook", translate(language(c), "hooks.title"), fiber.Map{
		"Webhook": w, "Secret": secret,
	})
}

func (p *pages) webhookPage(c *fiber.Ctx) error {
	u, id := currentUser(c), c.Params("id")
	w, err := p.svc.Webhook(c.UserContext(), u, id)
	if err != nil {
		return err
	}
	ds, err := p.svc.WebhookDeliveries(c.UserContext(), u, id)
	if err != nil {
		return err
	}
	return p.render(c, fiber.StatusOK, "admin_webhook", translate(language(c), "hooks.title"), fiber.Map{
		"Webhook": w, "Deliveries": ds,
	})
}

// webhookAction serves POST /admin/webhooks/{id}/delete and …/redeliver (form: delivery).
func (p *pages) webhookAction(c *fiber.Ctx) error {
	u, id, lang := currentUser(c), c.Params("id"), language(c)
	switch c.Params("action") {
	case "delete":
		if err := p.svc.DeleteWebhook(c.UserContext(), u, id); err != nil {
			return p.fail(c, "/admin/webhooks", err)
		}
		return p.back(c, "/admin/webhooks", translate(lang, "hooks.deleted"))
	case "redeliver":
		if _, err := p.svc.Redeliver(c.UserContext(), u, id, c.FormValue("delivery")); err != nil {
			return p.fail(c, "/admin/webhooks/"+id, err)
		}
		return p.back(c, "/admin/webhooks/"+id, translate(lang, "hooks.redelivering"))
	}
	return greenlight.Errorf(greenlight.ENOTFOUND, "no action %s", c.Params("action"))
}
