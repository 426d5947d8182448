package api

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/service"
)

func wantsJSON(c *fiber.Ctx) bool {
	return c.Accepts(fiber.MIMETextHTML, fiber.MIMEApplicationJSON) == fiber.MIMEApplicationJSON
}

// approvalPage renders the version a link is for. It never changes anything.
func approvalPage(svc *service.Service, agency string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v, err := svc.OpenLink(c.UserContext(), c.Params("token"))
		if err != nil {
			return err
		}
		if wantsJSON(c) {
			if err := v.Err(); err != nil {
				return err
			}
			out := fiber.Map{"state": v.State, "kind": v.Kind, "subject_id": v.Link.SubjectID, "version": v.Version, "title": v.Title}
			if v.Kind == "post" {
				out["post_id"] = v.Link.SubjectID
				out["digest"] = v.Digest
				media := make([]fiber.Map, 0, len(v.Media))
				for _, m := range v.Media {
					media = append(media, fiber.Map{"id": m.ID, "content_type": m.ContentType, "sha256": m.SHA256, "alt": m.Alt,
						"width": m.Width, "height": m.Height, "url": m.URL, "thumb_url": m.ThumbURL})
				}
				out["media"] = media
				published := v.Published
				if published == nil {
					published = []service.PublishedLink{}
				}
				out["published"] = published
			}
			return c.JSON(out)
		}
		return renderLink(c, svc, v, agency, "", v.Err())
	}
}

// approvalDecision takes the form's decision (or a JSON body) and answers with a result
// page, or {"status": <post or statement status>} for Accept: application/json.
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
		d, err := svc.DecideLink(c.UserContext(), c.Params("token"), in.Decision, in.Comment)
		if wantsJSON(c) {
			if err != nil {
				return err
			}
			return c.JSON(fiber.Map{"status": d.Status, "decision": in.Decision, "version": d.Version, "kind": d.Kind})
		}
		// A page: show what the link is for, with the outcome.
		v, verr := svc.OpenLink(c.UserContext(), c.Params("token"))
		if verr != nil {
			if err != nil {
				return err
			}
			return verr
		}
		if err != nil {
			comment := ""
			if greenlight.IsCode(err, greenlight.EINVALID) {
				comment = in.Comment // show the form again with what was typed
			}
			return renderLink(c, svc, v, agency, comment, err)
		}
		lang := v.Look.Language // client pages speak the client's language
		return c.Render("approve_done", clientPageData(v.Look, fiber.Map{
			"Title": translate(lang, "done.thanks"), "Agency": agency, "View": v, "Decision": in.Decision, "Path": c.Path(),
			"Scheduled": d.Status == string(greenlight.StatusScheduled),
		}), "layout")
	}
}

func renderLink(c *fiber.Ctx, svc *service.Service, v *service.LinkView, agency, comment string, err error) error {
	lang := v.Look.Language                                                // client pages speak the client's language
	comments, cerr := svc.LinkComments(c.UserContext(), c.Params("token")) // client-visible only
	if cerr != nil {
		return cerr
	}
	status := fiber.StatusOK
	msg := ""
	switch {
	case err == nil:
	case v.State != service.LinkOpen:
		status, msg = statusOf[greenlight.ErrorCode(err)], translate(lang, "link."+v.State)
	case greenlight.IsCode(err, greenlight.EINVALID) && strings.HasPrefix(greenlight.ErrorMessage(err), "comment:"):
		status, msg = fiber.StatusUnprocessableEntity, translate(lang, "link.comment_required")
	default:
		status, msg = statusOf[greenlight.ErrorCode(err)], greenlight.ErrorMessage(err)
	}
	data := clientPageData(v.Look, fiber.Map{
		"Title": v.Title, "Agency": agency, "View": v, "Open": v.State == service.LinkOpen, "Path": c.Path(),
		"Error": msg, "Comment": comment, "Approver": v.Link.ApproverName, "Comments": comments,
		"LinkPath": "/approve/" + c.Params("token"),
	})
	if v.Kind == "post" && v.State == service.LinkOpen && v.PublishAt != nil {
		data["Deadline"] = clientDeadline(v.Look, *v.PublishAt, v.EscalateAt)
	}
	return c.Status(status).Render("approve", data, "layout")
}
