package api

import (
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

// accountsForm is what the Bluesky form shows again after an error or for a reconnection.
// The app password is never sent back to the browser.
type accountsForm struct {
	ServiceURL string
	Handle     string
	Instance   string
	Reconnect  string // the account being reconnected
	Error      string // shown inline above the Bluesky form
	MError     string // shown inline above the Mastodon form
	OError     string // shown inline above the OAuth networks' buttons
}

// oauthNetwork is one "Connect …" button of the accounts page.
type oauthNetwork struct {
	Network    string
	Configured bool
	Reason     string // why not, when not configured
}

// accountsPage lists a client's connected accounts with the forms to connect more.
// ?reconnect=<account> fills the Bluesky form with that account's server and handle.
func (p *pages) accountsPage(c *fiber.Ctx) error {
	form := accountsForm{ServiceURL: service.DefaultBlueskyService}
	if id := c.Query("reconnect"); id != "" {
		form.Reconnect = id
	}
	return p.renderAccounts(c, fiber.StatusOK, form)
}

func (p *pages) renderAccounts(c *fiber.Ctx, status int, form accountsForm) error {
	u := currentUser(c)
	cl, err := p.svc.Client(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return err
	}
	accounts, err := p.svc.Accounts(c.UserContext(), u, cl.ID)
	if err != nil {
		return err
	}
	var connected *store.Account
	for i, a := range accounts {
		switch {
		case a.ID == form.Reconnect && a.Network == service.NetworkBluesky:
			form.ServiceURL, form.Handle = a.ServiceURL, a.Handle
		case a.ID == form.Reconnect && a.Network == service.NetworkMastodon:
			form.Instance = a.ServiceURL
		case a.ID == c.Query("connected") && a.Status == store.AccountActive:
			connected = &accounts[i] // back from the network's authorization
		}
	}
	names := map[string]string{}
	for _, a := range accounts {
		if _, ok := names[a.CreatedBy]; ok || a.CreatedBy == "" {
			continue
		}
		names[a.CreatedBy] = a.CreatedBy
		if who, err := p.store.UserByID(c.UserContext(), a.CreatedBy); err == nil {
			names[a.CreatedBy] = who.Name
		}
	}
	lang := language(c)
	nets, err := p.svc.Networks(c.UserContext(), u)
	if err != nil {
		return err
	}
	var oauth []oauthNetwork
	for _, n := range nets {
		if !service.IsOAuthNetwork(n.Network) {
			continue
		}
		o := oauthNetwork{Network: n.Network, Configured: n.Configured, Reason: n.Reason}
		if !n.Configured && len(n.Env) > 0 && n.Reason != "" && strings.Contains(n.Reason, n.Env[0]) {
			o.Reason = fmt.Sprintf(translate(lang, "oauth.not_configured"), strings.Join(n.Env, ", "))
		}
		oauth = append(oauth, o)
	}
	// The date each account must be reconnected by, in the page's language, and whether
	// it is within a week.
	reconnectBy, soon := map[string]string{}, map[string]bool{}
	for _, a := range accounts {
		if a.ReconnectBy != nil {
			reconnectBy[a.ID] = longDate(lang, p.local(*a.ReconnectBy))
			soon[a.ID] = a.ReconnectBy.Before(time.Now().Add(store.ReconnectReminderAhead))
		}
	}
	return p.render(c, status, "accounts", translate(lang, "acct.title")+" · "+cl.Name, fiber.Map{
		"Client": cl, "Accounts": accounts, "Names": names, "Form": form, "Connected": connected,
		"OAuth": oauth, "OAuthNames": service.OAuthNetworks, "ReconnectBy": reconnectBy, "ReconnectSoon": soon,
		"CanConnect": service.Can(u, service.ActAccountConnect), "CanRemove": service.Can(u, service.ActAccountRemove),
	})
}

// accountsAction handles the page's forms: connect (or reconnect) a Bluesky account,
// connect a Mastodon account, remove an account. A refused connection (422) shows the
// page again with the message next to the form and what was typed, but never the
// password.
func (p *pages) accountsAction(c *fiber.Ctx) error {
	u, clientID := currentUser(c), c.Params("id")
	to := "/clients/" + clientID + "/accounts"
	ctx := c.UserContext()
	switch c.Params("action") {
	case "bluesky":
		form := accountsForm{ServiceURL: strings.TrimSpace(c.FormValue("service_url")), Handle: strings.TrimSpace(c.FormValue("handle")),
			Reconnect: c.FormValue("reconnect")}
		_, created, err := p.svc.ConnectAccount(ctx, u, clientID, service.ConnectAccount{
			Network: service.NetworkBluesky, ServiceURL: form.ServiceURL, Handle: form.Handle, AppPassword: c.FormValue("app_password"),
		})
		if err != nil {
			if inline(err) {
				form.Error = greenlight.ErrorMessage(err)
				return p.renderAccounts(c, statusOf[greenlight.ErrorCode(err)], form)
			}
			return err
		}
		msg := translate(language(c), "acct.connected")
		if !created {
			msg = translate(language(c), "acct.reconnected")
		}
		return p.back(c, to, msg)
	case "mastodon":
		instance := strings.TrimSpace(c.FormValue("instance_url"))
		authorize, err := connectMastodon(c, p.svc, u, clientID, instance)
		if err != nil {
			if inline(err) {
				return p.renderAccounts(c, statusOf[greenlight.ErrorCode(err)], accountsForm{ServiceURL: service.DefaultBlueskyService,
					Instance: instance, MError: greenlight.ErrorMessage(err)})
			}
			return err
		}
		return c.Redirect(authorize, fiber.StatusSeeOther)
	case "oauth":
		network := c.FormValue("network")
		conn, err := p.svc.ConnectOAuth(ctx, u, clientID, network)
		if err != nil {
			if inline(err) {
				return p.renderAccounts(c, statusOf[greenlight.ErrorCode(err)], accountsForm{ServiceURL: service.DefaultBlueskyService,
					OError: greenlight.ErrorMessage(err)})
			}
			return err
		}
		return continueTo(c, network, conn.AuthorizeURL)
	case "remove":
		if err := p.svc.DeleteAccount(ctx, u, clientID, c.FormValue("account_id")); err != nil {
			return p.fail(c, to, err)
		}
		return p.back(c, to, translate(language(c), "acct.removed"))
	default:
		return greenlight.Errorf(greenlight.ENOTFOUND, "no such action")
	}
}

// inline reports whether a form error is the user's to fix on the page (bad input, the
// network refusing or limiting, the network or configuration unavailable), rather than a
// refusal or an internal error the error handler answers.
func inline(err error) bool {
	switch greenlight.ErrorCode(err) {
	case greenlight.EINVALID, greenlight.ECONFLICT, greenlight.ETOOMANY, greenlight.EUNAVAILABLE:
		return true
	}
	return false
}

// needsReconnect returns the accounts of clients that need reconnecting.
func (p *pages) needsReconnect(c *fiber.Ctx, clients []store.Client) ([]store.Account, error) {
	var out []store.Account
	for _, cl := range clients {
		as, err := p.svc.Accounts(c.UserContext(), currentUser(c), cl.ID)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			if a.Status == store.AccountNeedsReconnect {
				out = append(out, a)
			}
		}
	}
	return out, nil
}
