package api

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/template/html/v2"

	"github.com/greenlight/greenlight/brand"
)

// Client pages (the approval link, batch review, portal) are written in the client's
// look: its language (never the visitor's cookie: staff pages keep theirs), its time zone,
// its colours with accessible contrast and its logo. A client page handler builds its
// template data with clientPageData and renders in the "layout" layout; the templates use
// the "client_header" and "client_deadline" partials and the ctime function.

// clientPageData adds the client's look to a client page's template data: L (the client's
// language), Look (brand.Look, used by the layout for the colours) and Brand (the inline
// style setting them, empty for the default look).
func clientPageData(look brand.Look, data fiber.Map) fiber.Map {
	if data == nil {
		data = fiber.Map{}
	}
	data["L"] = look.Language
	data["Look"] = look
	return data
}

// deadlineView is what a client page says about a post's deadline: the time to approve
// by (in the client's zone and language) and what happens after it.
type deadlineView struct {
	Approve    string // "Approve before Tuesday 3 March 2026, 14:00 (Europe/Paris) to publish on time."
	After      string // the post is not published: it expires, the agency is told
	Escalation string // when the agency's team is alerted if nobody decides ("" when not before the deadline)
}

// clientDeadline says, in the client's language and zone, by when a post waiting for the
// client must be approved (its publish time: the workflow expires it then, unpublished)
// and, when escalateAt is set, when the agency's team is alerted.
func clientDeadline(look brand.Look, publishAt time.Time, escalateAt *time.Time) *deadlineView {
	d := &deadlineView{
		Approve: sprintf(look.Language, "deadline.approve", look.Time(publishAt)),
		After:   translate(look.Language, "deadline.after"),
	}
	if escalateAt != nil && escalateAt.Before(publishAt) {
		d.Escalation = sprintf(look.Language, "deadline.escalation", look.Time(*escalateAt))
	}
	return d
}

// addBrandFuncs gives templates ctime: a time in a client's zone and language.
func addBrandFuncs(engine *html.Engine) {
	engine.AddFunc("ctime", func(look brand.Look, v any) string {
		switch t := v.(type) {
		case time.Time:
			return look.Time(t)
		case *time.Time:
			if t != nil {
				return look.Time(*t)
			}
		}
		return ""
	})
}
