package api

import (
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

// accountJSON is a connected account as the API shows it: never its credentials.
type accountJSON struct {
	ID         string    `json:"id"`
	ClientID   string    `json:"client_id"`
	Network    string    `json:"network"`
	Handle     string    `json:"handle"`
	ServiceURL string    `json:"service_url"`
	Status     string    `json:"status"`
	LastError  string    `json:"last_error,omitempty"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	// ReconnectBy is when a person must connect the account again at the latest (absent:
	// never, or unknown).
	ReconnectBy *time.Time `json:"reconnect_by,omitempty"`
	// AuthorizeURL is where the account's owner authorizes Greenlight (pending accounts,
	// in the answer to the connection only).
	AuthorizeURL string `json:"authorize_url,omitempty"`
}

// toAccountJSON lists the fields shown one by one, so that a field added to store.Account
// later is not shown until someone decides it may be.
func toAccountJSON(a *store.Account) accountJSON {
	handle := a.Handle
	if handle == store.PendingHandle(a.ID) {
		handle = "" // not known until the authorization is finished
	}
	return accountJSON{
		ID: a.ID, ClientID: a.ClientID, Network: a.Network, Handle: handle, ServiceURL: a.ServiceURL,
		Status: a.Status, LastError: a.LastError, CreatedBy: a.CreatedBy, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
		ReconnectBy: a.ReconnectBy,
	}
}

func listAccounts(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		as, err := svc.Accounts(c.UserContext(), currentUser(c), c.Params("id"))
		if err != nil {
			return err
		}
		out := make([]accountJSON, 0, len(as))
		for i := range as {
			a := &as[i]
			out = append(out, toAccountJSON(a))
		}
		return c.JSON(fiber.Map{"items": out})
	}
}

func connectAccount(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req struct {
			Network     string `json:"network"`
			ServiceURL  string `json:"service_url"`
			Handle      string `json:"handle"`
			AppPassword string `json:"app_password"`
			InstanceURL string `json:"instance_url"`
			AccessToken string `json:"access_token"`
		}
		if err := decode(c, &req); err != nil {
			return err
		}
		if service.IsOAuthNetwork(req.Network) {
			conn, err := svc.ConnectOAuth(c.UserContext(), currentUser(c), c.Params("id"), req.Network)
			if err != nil {
				return err
			}
			out := toAccountJSON(conn.Account)
			out.AuthorizeURL = conn.AuthorizeURL
			return c.Status(fiber.StatusCreated).JSON(out)
		}
		if req.Network == service.NetworkMastodon {
			conn, err := svc.ConnectMastodon(c.UserContext(), currentUser(c), c.Params("id"), service.ConnectMastodon{
				InstanceURL: req.InstanceURL, AccessToken: req.AccessToken,
			})
			if err != nil {
				return err
			}
			out := toAccountJSON(conn.Account)
			out.AuthorizeURL = conn.AuthorizeURL
			status := fiber.StatusOK // a reconnection
			if conn.Created {
				status = fiber.StatusCreated
			}
			return c.Status(status).JSON(out)
		}
		a, created, err := svc.ConnectAccount(c.UserContext(), currentUser(c), c.Params("id"), service.ConnectAccount{
			Network: req.Network, ServiceURL: req.ServiceURL, Handle: req.Handle, AppPassword: req.AppPassword,
		})
		if err != nil {
			return err
		}
		status := fiber.StatusOK // a reconnection
		if created {
			status = fiber.StatusCreated
		}
		return c.Status(status).JSON(toAccountJSON(a))
	}
}

func deleteAccount(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := svc.DeleteAccount(c.UserContext(), currentUser(c), c.Params("id"), c.Params("account")); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

// mastodonCallback is where an instance sends the browser back after its owner authorized
// (or refused) Greenlight. It needs no session: the single-use state authenticates it. On
// success it goes to the client's accounts page; errors are pages (400 unknown state, 410
// used or expired).
func mastodonCallback(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set("Referrer-Policy", "no-referrer")
		c.Set("Cache-Control", "no-store")
		refusal := c.Query("error")
		if d := c.Query("error_description"); d != "" {
			refusal = d
		}
		a, err := svc.MastodonCallback(c.UserContext(), c.Query("code"), c.Query("state"), refusal)
		if err != nil {
			return err
		}
		return c.Redirect("/clients/"+url.PathEscape(a.ClientID)+"/accounts?connected="+url.QueryEscape(a.ID), fiber.StatusSeeOther)
	}
}
