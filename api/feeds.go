package api

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/listening"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

// getCalendarFeed answers GET /api/v1/calendar-feed: {"url", "created_at"}. The first call
// mints the feed and shows its URL; later calls cannot show it again (only its hash is
// kept) and answer "url": null: DELETE the feed, then GET a new URL.
func getCalendarFeed(svc *service.Service, publicURL string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		f, err := svc.CalendarFeed(c.UserContext(), currentUser(c))
		if err != nil {
			return err
		}
		if f.Token == "" {
			return c.JSON(fiber.Map{"url": nil, "created_at": f.CreatedAt,
				"message": "the feed's URL is shown only when it is minted; DELETE /api/v1/calendar-feed, then GET again for a new URL"})
		}
		return c.JSON(fiber.Map{"url": publicURL + "/calendar/" + f.Token + ".ics", "created_at": f.CreatedAt})
	}
}

func deleteCalendarFeed(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := svc.RevokeCalendarFeed(c.UserContext(), currentUser(c)); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

// calendarFile serves GET /calendar/{token}.ics.
func calendarFile(svc *service.Service, publicURL string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		token, ok := strings.CutSuffix(c.Params("file"), ".ics")
		if !ok {
			return greenlight.Errorf(greenlight.ENOTFOUND, "calendar feed not found")
		}
		ics, err := svc.CalendarByToken(c.UserContext(), token, publicURL)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, `inline; filename="greenlight.ics"`)
		return c.Send(ics)
	}
}

// sourceJSON is a listening source in answers; Secret and HookURL only when created.
type sourceJSON struct {
	*store.ListeningSource
	Every   string `json:"every,omitempty"`
	Secret  string `json:"secret,omitempty"`
	HookURL string `json:"hook_url,omitempty"`
}

func sourceOut(src *store.ListeningSource, publicURL string) sourceJSON {
	out := sourceJSON{ListeningSource: src}
	if src.EverySeconds > 0 {
		out.Every = (timeSeconds(src.EverySeconds)).String()
	}
	if src.Kind == store.SourceWebhook {
		out.HookURL = publicURL + "/hooks/mentions/" + src.ID
	}
	return out
}

func createSource(svc *service.Service, publicURL string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in service.SourceInput
		if err := decode(c, &in); err != nil {
			return err
		}
		src, secret, err := svc.CreateSource(c.UserContext(), currentUser(c), c.Params("id"), in)
		if err != nil {
			return err
		}
		out := sourceOut(src, publicURL)
		out.Secret = secret
		return c.Status(fiber.StatusCreated).JSON(out)
	}
}

func listSources(svc *service.Service, publicURL string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		srcs, err := svc.Sources(c.UserContext(), currentUser(c), c.Params("id"))
		if err != nil {
			return err
		}
		out := make([]sourceJSON, len(srcs))
		for i := range srcs {
			out[i] = sourceOut(&srcs[i], publicURL)
		}
		return c.JSON(fiber.Map{"sources": out})
	}
}

func deleteSource(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := svc.DeleteSource(c.UserContext(), currentUser(c), c.Params("id"), c.Params("source")); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

// mentionHook serves POST /hooks/mentions/{source}: a mention batch (as for POST
// /api/v1/clients/{id}/mentions) signed with the source's secret, see listening.Verify.
func mentionHook(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		body := c.Body()
		res, err := svc.IngestSigned(c.UserContext(), c.Params("source"), c.Get(listening.TimestampHeader), c.Get(listening.SignatureHeader),
			body, func() ([]service.MentionInput, error) { return mentionBatch(body) })
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusAccepted).JSON(ingestAnswer(res))
	}
}

func timeSeconds(n int) time.Duration { return time.Duration(n) * time.Second }
