package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

// connectMastodon starts connecting a client's Mastodon account on instance and returns
// the instance's authorize URL the browser is sent to; the OAuth callback finishes it.
//
// The service's Mastodon support (app registration per instance, state and PKCE kept
// server-side) is built on its own branch; until it is merged this answers EUNAVAILABLE
// so the form says so instead of pretending. Wire the service call here.
func connectMastodon(c *fiber.Ctx, svc *service.Service, actor *store.User, clientID, instance string) (string, error) {
	if _, err := svc.Client(c.UserContext(), actor, clientID); err != nil {
		return "", err
	}
	return "", greenlight.Errorf(greenlight.EUNAVAILABLE, "Mastodon accounts cannot be connected by this server yet")
}
