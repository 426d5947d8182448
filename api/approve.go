package api

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/service"
)

// approvalPage renders the version a link is for. It never changes anything.
func approvalPage(svc *service.Service, agency string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v, err := svc.OpenLink(c.UserContext(), c.Params("token"))
		if err != nil {
			return err
		}
		if c.Accepts(fiber.MIMETextHTML, fiber.MIMEApplicationJSON) == fiber.MIMEApplicationJSON {
			if err := v.Err(); err != nil {
				return err
			}
			return c.JSON(fiber.Map{"state": v.State, "post_id": v.Post.ID, "version": v.Link.Version, "title": v.Version.Title})
		}
		return renderLink(c, v, agency, "", v.Err())
	}
}

// approvalDecision takes the form's decision (or a JSON body) and answers with a result
// page, or {"status": <post status>} for Accept: application/json.
func approvalDecision(svc *service.Service, agency string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in struct {
			Decision string `json:"decision"`
			Comment  string `json:"comment"`
		}
		if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON) {
			if err := decode(c, &in); err != nil {
				return err
			}
		} else {
			in.Decision, in.Comment = c.FormValue("decision"), c.FormValue("comment")
		}
		v, err := svc.DecideLink(c.UserContext(), c.Params("token"), in.Decision, in.Comment)
		jsonOut := c.Accepts(fiber.MIMETextHTML, fiber.MIMEApplicationJSON) == fiber.MIMEApplicationJSON
		if jsonOut || v == nil {
			if err != nil {
				return err
			}
			return c.JSON(fiber.Map{"status": v.Post.Status, "decision": in.Decision, "version": v.Link.Version})
		}
		if err != nil && greenlight.IsCode(err, greenlight.EINVALID) {
			// Show the form again with what was typed and what is missing.
			return renderLink(c, v, agency, in.Comment, err)
		}
		if err != nil {
			return renderLink(c, v, agency, "", err)
		}
		return c.Render("approve_done", fiber.Map{
			"Title": "Thank you", "Agency": agency, "Client": v.Client.Name, "Post": v.Post,
			"Version": v.Version, "Decision": in.Decision,
		}, "layout")
	}
}

func renderLink(c *fiber.Ctx, v *service.LinkView, agency, comment string, err error) error {
	status := fiber.StatusOK
	msg := ""
	if err != nil {
		status, msg = statusOf[greenlight.ErrorCode(err)], greenlight.ErrorMessage(err)
	}
	return c.Status(status).Render("approve", fiber.Map{
		"Title": "Approve: " + v.Version.Title, "Agency": agency, "Client": v.Client.Name, "View": v,
		"Version": v.Version, "PublishAt": v.Post.PublishAt, "Open": v.State == service.LinkOpen,
		"Error": msg, "Comment": comment, "Approver": v.Link.ApproverName,
	}, "layout")
}
