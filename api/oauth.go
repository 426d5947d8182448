package api

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/service"
)

// listNetworks shows each network accounts can be connected on and whether it is
// configured (when not, the variables the operator must set).
func listNetworks(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ns, err := svc.Networks(c.UserContext(), currentUser(c))
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"items": ns})
	}
}

// oauthCallback is where Instagram, Facebook, LinkedIn and X send the browser back after
// the person authorized (or refused) Greenlight. It needs no session: the single-use
// state authenticates it. One identity: the account is connected and the browser goes
// to the client's accounts page. Several: a page to pick the one to publish as, whose
// form carries a pick token (never in a URL) to oauthPick. Errors are pages (400 unknown
// state, 410 used or expired, 403 refused, 422 nothing to publish as).
func oauthCallback(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set("Referrer-Policy", "no-referrer")
		c.Set("Cache-Control", "no-store")
		refusal := c.Query("error")
		if d := c.Query("error_description"); d != "" {
			refusal = d
		}
		network := c.Params("network")
		out, err := svc.OAuthCallback(c.UserContext(), network, c.Query("code"), c.Query("state"), refusal)
		if err != nil {
			return err
		}
		if out.Account != nil {
			return c.Redirect("/clients/"+url.PathEscape(out.Account.ClientID)+"/accounts?connected="+url.QueryEscape(out.Account.ID), fiber.StatusSeeOther)
		}
		return renderPick(c, out.Pick)
	}
}

// oauthPick connects the identity chosen on the picking page; the form's pick token
// (single use, 10 minutes, bound to the authorization) authenticates it.
func oauthPick(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set("Referrer-Policy", "no-referrer")
		c.Set("Cache-Control", "no-store")
		a, err := svc.PickIdentity(c.UserContext(), c.Params("network"), c.FormValue("pick"), c.FormValue("identity"))
		if err != nil {
			return err
		}
		return c.Redirect("/clients/"+url.PathEscape(a.ClientID)+"/accounts?connected="+url.QueryEscape(a.ID), fiber.StatusSeeOther)
	}
}

func renderPick(c *fiber.Ctx, pick *service.IdentityPick) error {
	lang := language(c)
	return c.Render("oauth_pick", fiber.Map{
		"L": lang, "Path": c.Path(), "Title": translate(lang, "oauth.pick_title"),
		"Pick": pick, "NetworkName": service.NetworkName(pick.Network),
		"Action": service.OAuthCallbackPath(pick.Network),
	}, "layout")
}

// continueTo answers a connection started from a page with a page that sends the browser
// on to the network's consent page: by the Refresh header and a link, not a redirect of
// the form's POST, which the pages' Content-Security-Policy (form-action 'self') would
// block in browsers that check it on redirects.
func continueTo(c *fiber.Ctx, network, authorize string) error {
	u, err := url.Parse(authorize)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return greenlight.Errorf(greenlight.EINTERNAL, "bad authorize URL")
	}
	lang := language(c)
	c.Set("Cache-Control", "no-store")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("Refresh", "0; url="+authorize)
	return c.Render("oauth_continue", fiber.Map{
		"L": lang, "Path": c.Path(), "Title": translate(lang, "oauth.continue_title"),
		"URL": authorize, "NetworkName": service.NetworkName(network),
	}, "layout")
}
