package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

// connectMastodon starts connecting a client's Mastodon account on instance and returns
// the instance's authorize URL the browser is sent to; the OAuth callback
// (/oauth/callback/mastodon) finishes it and comes back to the accounts page.
func connectMastodon(c *fiber.Ctx, svc *service.Service, actor *store.User, clientID, instance string) (string, error) {
	conn, err := svc.ConnectMastodon(c.UserContext(), actor, clientID, service.ConnectMastodon{InstanceURL: instance})
	if err != nil {
		return "", err
	}
	if conn.AuthorizeURL == "" { // already authorized (a token): nothing to do at the instance
		return "/clients/" + clientID + "/accounts?connected=" + conn.Account.ID, nil
	}
	return conn.AuthorizeURL, nil
}
