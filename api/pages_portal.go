package api

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight/store"
)

// portalRow is one approver on the client's staff page, with their portal's expiry ("" when
// none is active).
type portalRow struct {
	ID, Name, Email, Expires string
}

func (p *pages) portalRows(c *fiber.Ctx, cl *store.Client) ([]portalRow, error) {
	portals, err := p.svc.ClientPortals(c.UserContext(), currentUser(c), cl.ID)
	if err != nil {
		return nil, err
	}
	rows := make([]portalRow, 0, len(cl.Approvers))
	for _, a := range cl.Approvers {
		r := portalRow{ID: a.ID, Name: a.Name, Email: a.Email}
		for _, pt := range portals {
			if pt.ApproverID == a.ID {
				r.Expires = p.local(pt.ExpiresAt).Format("Mon 2 Jan 2006 15:04")
			}
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// portalAction sends (or sends again) or revokes an approver's portal from the client's
// staff page. The link goes to the approver by email only: staff who need it use the API.
func (p *pages) portalAction(c *fiber.Ctx, u *store.User, clientID, to string) error {
	ctx, lang, approver := c.UserContext(), language(c), c.FormValue("approver")
	if c.Params("action") == "portal-revoke" {
		if err := p.svc.RevokePortal(ctx, u, clientID, approver); err != nil {
			return p.fail(c, to, err)
		}
		return p.back(c, to, translate(lang, "portal.staff_revoked"))
	}
	if _, err := p.svc.SendPortal(ctx, u, clientID, approver); err != nil {
		return p.fail(c, to, err)
	}
	cl, err := p.svc.Client(ctx, u, clientID)
	if err != nil {
		return err
	}
	name := approver
	for _, a := range cl.Approvers {
		if a.ID == approver {
			name = a.Email
		}
	}
	return p.back(c, to, fmt.Sprintf(translate(lang, "portal.staff_sent"), name))
}
