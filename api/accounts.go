package api

import (
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
}

// toAccountJSON lists the fields shown one by one, so that a field added to store.Account
// later is not shown until someone decides it may be.
func toAccountJSON(a *store.Account) accountJSON {
	return accountJSON{
		ID: a.ID, ClientID: a.ClientID, Network: a.Network, Handle: a.Handle, ServiceURL: a.ServiceURL,
		Status: a.Status, LastError: a.LastError, CreatedBy: a.CreatedBy, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
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
		}
		if err := decode(c, &req); err != nil {
			return err
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
