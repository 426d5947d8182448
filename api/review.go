package api

import (
	"encoding/json"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/service"
)

// reviewPage renders a batch review link: every post version of the batch with its state,
// and a form for those still waiting. It never changes anything. A link where nothing
// waits any more answers 410 with a page saying why.
func reviewPage(svc *service.Service, agency string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		rv, err := svc.OpenReview(c.UserContext(), c.Params("token"))
		if rv == nil {
			return err
		}
		if wantsJSON(c) {
			if err != nil {
				return err
			}
			items := make([]fiber.Map, 0, len(rv.Items))
			for _, it := range rv.Items {
				items = append(items, fiber.Map{"post_id": it.PostID, "version": it.View.Version, "state": it.View.State,
					"title": it.View.Title, "body": it.View.Body, "channels": it.View.Channels, "digest": it.View.Digest,
					"publish_at": it.View.PublishAt})
			}
			return c.JSON(fiber.Map{"approver": rv.Approver, "client": rv.Client, "open": rv.Open, "items": items})
		}
		return renderReview(c, rv, agency, nil, nil, err)
	}
}

// reviewDecision takes the batch form: decision_<post_id>=approve|request_changes and
// comment_<post_id> per post, all=approve for "approve all remaining" (form fields, or the
// same names in a JSON object). It answers with a result page, or {"results": [{post_id,
// status}]} for Accept: application/json. An invalid form shows the page again with what
// was typed (422).
func reviewDecision(svc *service.Service, agency string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		fields := map[string]string{}
		var order []string
		if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON) {
			if err := json.Unmarshal(c.Body(), &fields); err != nil {
				return greenlight.Errorf(greenlight.EINVALID, "body: a JSON object of decision_<post_id> and comment_<post_id> strings")
			}
			for k := range fields {
				order = append(order, k)
			}
		} else {
			c.Request().PostArgs().VisitAll(func(k, v []byte) {
				fields[string(k)] = string(v)
				order = append(order, string(k))
			})
		}
		var decisions []service.ReviewDecision
		for _, k := range order {
			id, ok := strings.CutPrefix(k, "decision_")
			if !ok || fields[k] == "" {
				continue
			}
			decisions = append(decisions, service.ReviewDecision{PostID: id, Decision: fields[k], Comment: fields["comment_"+id]})
		}
		results, err := svc.DecideReview(c.UserContext(), c.Params("token"), decisions, fields["all"] == "approve")
		if wantsJSON(c) {
			if err != nil {
				return err
			}
			return c.JSON(fiber.Map{"results": results})
		}
		rv, verr := svc.OpenReview(c.UserContext(), c.Params("token"))
		if rv == nil {
			if err != nil {
				return err
			}
			return verr
		}
		if err != nil {
			return renderReview(c, rv, agency, fields, decisions, err)
		}
		lang := rv.Look.Language
		titles := map[string]string{}
		for _, it := range rv.Items {
			titles[it.PostID] = it.View.Title
		}
		return c.Render("review_done", clientPageData(rv.Look, fiber.Map{
			"Title": translate(lang, "done.thanks"), "Agency": agency, "Review": rv, "Results": results, "Titles": titles,
			"Path": c.Path(),
		}), "layout")
	}
}

func renderReview(c *fiber.Ctx, rv *service.ReviewView, agency string, fields map[string]string, decisions []service.ReviewDecision, err error) error {
	lang := rv.Look.Language // client pages speak the client's language
	status, msg := fiber.StatusOK, ""
	switch {
	case err == nil:
	case greenlight.IsCode(err, greenlight.EGONE):
		status, msg = fiber.StatusGone, translate(lang, "review.gone")
		if rv.Expired {
			msg = translate(lang, "link.expired")
		}
	case greenlight.IsCode(err, greenlight.EINVALID) && strings.HasPrefix(greenlight.ErrorMessage(err), "comment_"):
		status, msg = fiber.StatusUnprocessableEntity, translate(lang, "review.comment_required")
	case greenlight.IsCode(err, greenlight.EINVALID):
		status, msg = fiber.StatusUnprocessableEntity, translate(lang, "review.invalid")
	default:
		status, msg = statusOf[greenlight.ErrorCode(err)], greenlight.ErrorMessage(err)
	}
	chosen, comments := map[string]string{}, map[string]string{}
	for _, d := range decisions {
		chosen[d.PostID] = d.Decision
	}
	for k, v := range fields {
		if id, ok := strings.CutPrefix(k, "comment_"); ok {
			comments[id] = v
		}
	}
	return c.Status(status).Render("review", clientPageData(rv.Look, fiber.Map{
		"Title": translate(lang, "review.heading"), "Agency": agency, "Review": rv, "Path": c.Path(),
		"Error": msg, "Gone": status == fiber.StatusGone, "Chosen": chosen, "Comments": comments,
	}), "layout")
}
