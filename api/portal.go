package api

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/brand"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

// The client portal: GET /portal/{token} (waiting posts with a decision form each, a
// week/month calendar, published posts with live links and certificates, past decisions,
// the calendar feed's URL), POST /portal/{token}/posts/{post}/decision, and GET
// /portal/{token}/posts/{post}/certificate.pdf. The staff side is POST and DELETE
// /api/v1/clients/{id}/approvers/{approver}/portal.

// portalZone is the time zone a client's portal shows times in: the client's.
func portalZone(client *store.Client) *time.Location { return brand.Of(client).Zone }

// portalLanguage is the language of a client's portal: the client's (never the visitor's
// cookie: client pages speak the client's language).
func portalLanguage(_ *fiber.Ctx, client *store.Client) string { return brand.Of(client).Language }

// sendPortal answers POST /api/v1/clients/{id}/approvers/{approver}/portal: 201 {url,
// expires_at}. Each call makes a new portal and revokes the previous one.
func sendPortal(svc *service.Service, publicURL string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := svc.SendPortal(c.UserContext(), currentUser(c), c.Params("id"), c.Params("approver"))
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"url": publicURL + "/portal/" + p.Token, "expires_at": p.ExpiresAt})
	}
}

func revokePortal(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := svc.RevokePortal(c.UserContext(), currentUser(c), c.Params("id"), c.Params("approver")); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

// portalHandlers serve the client's side of portals.
type portalHandlers struct {
	svc       *service.Service
	agency    string
	publicURL string
	tz        *time.Location
}

// open checks the portal's token.
func (h *portalHandlers) open(c *fiber.Ctx) (*service.PortalAccess, error) {
	return h.svc.OpenPortal(c.UserContext(), c.Params("token"))
}

// refuse answers for a portal link that does not open: for browsers a page saying why
// (410 when revoked or expired, 404 when unknown), the JSON error otherwise.
func (h *portalHandlers) refuse(c *fiber.Ctx, err error) error {
	code := greenlight.ErrorCode(err)
	if (code != greenlight.EGONE && code != greenlight.ENOTFOUND) || wantsJSON(c) {
		return err
	}
	lang := language(c)
	key := "portal.unknown"
	if code == greenlight.EGONE {
		key = "portal.gone"
	}
	return c.Status(statusOf[code]).Render("portal_gone", fiber.Map{
		"Title": translate(lang, "portal.gone_title"), "L": lang, "Path": c.Path(), "Message": translate(lang, key),
		"Detail": greenlight.ErrorMessage(err), "Agency": h.agency,
	}, "layout")
}

// portalDay is one day of the portal's calendar, its label in the client's zone.
type portalDay struct {
	Label   string
	Num     int
	InRange bool
	Today   bool
	Posts   []portalEvent
}

type portalEvent struct {
	ID, Title, Time, Status string
}

// page serves GET /portal/{token}. It never writes.
func (h *portalHandlers) page(c *fiber.Ctx) error {
	acc, err := h.open(c)
	if err != nil {
		return h.refuse(c, err)
	}
	return h.render(c, acc, fiber.StatusOK, "", "")
}

func (h *portalHandlers) render(c *fiber.Ctx, acc *service.PortalAccess, status int, errPost, errMsg string) error {
	ctx, lang := c.UserContext(), portalLanguage(c, acc.Client)
	loc := portalZone(acc.Client)
	cal, err := h.calendar(c, acc, loc, lang)
	if err != nil {
		return err
	}
	waiting, err := h.svc.PortalWaiting(ctx, acc)
	if err != nil {
		return err
	}
	published, err := h.svc.PortalPublished(ctx, acc)
	if err != nil {
		return err
	}
	decisions, err := h.svc.PortalDecisions(ctx, acc)
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.Status(status).JSON(portalJSON(acc, waiting, published, decisions, cal))
	}
	base := "/portal/" + c.Params("token")
	fmtTime := func(t time.Time) string { return localDate(lang, t.In(loc), true) }
	return c.Status(status).Render("portal", clientPageData(h.svc.ClientLook(ctx, acc.Client), fiber.Map{
		"Title": acc.Client.Name, "Path": c.Path(), "Agency": h.agency, "Client": acc.Client.Name,
		"Approver": acc.Approver.Name, "Base": base, "Waiting": waiting, "Published": published, "Decisions": decisions,
		"Cal": cal, "Zone": loc.String(), "Expires": fmtTime(acc.Portal.ExpiresAt), "T": fmtTime,
		"TP": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return fmtTime(*t)
		},
		"FeedURL": h.publicURL + "/calendar/" + acc.FeedToken + ".ics", "Done": c.Query("done"),
		"ErrPost": errPost, "Error": errMsg,
	}), "layout")
}

// portalCal is the calendar part of the page: week or month around an anchor date.
type portalCal struct {
	View, Label, Prev, Next, Date string
	Weekdays                      []string
	Days                          []portalDay
	Empty                         bool
}

func (h *portalHandlers) calendar(c *fiber.Ctx, acc *service.PortalAccess, loc *time.Location, lang string) (portalCal, error) {
	view := c.Query("view", "month")
	if view != "week" && view != "month" {
		view = "month"
	}
	now := time.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	anchor := today
	if d := c.Query("date"); d != "" {
		t, err := time.ParseInLocation("2006-01-02", d, loc)
		if err != nil {
			return portalCal{}, greenlight.Errorf(greenlight.EINVALID, "date: use YYYY-MM-DD")
		}
		anchor = t
	}
	monday := func(t time.Time) time.Time { return t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7)) }
	cal := portalCal{View: view, Weekdays: weekdays(lang), Date: anchor.Format("2006-01-02"), Empty: true}
	var from, to time.Time
	if view == "week" {
		from = monday(anchor)
		to = from.AddDate(0, 0, 7)
		cal.Prev, cal.Next = from.AddDate(0, 0, -7).Format("2006-01-02"), to.Format("2006-01-02")
		cal.Label = localDate(lang, from, false) + " – " + localDate(lang, to.AddDate(0, 0, -1), false) + " " + fmt.Sprint(to.AddDate(0, 0, -1).Year())
	} else {
		first := time.Date(anchor.Year(), anchor.Month(), 1, 0, 0, 0, 0, loc)
		from = monday(first)
		last := first.AddDate(0, 1, 0)
		to = monday(last.AddDate(0, 0, 6))
		cal.Prev, cal.Next = first.AddDate(0, -1, 0).Format("2006-01-02"), last.Format("2006-01-02")
		cal.Label = monthName(lang, first.Month()) + " " + fmt.Sprint(first.Year())
	}
	posts, err := h.svc.PortalCalendar(c.UserContext(), acc, from, to)
	if err != nil {
		return portalCal{}, err
	}
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		day := portalDay{Label: localDate(lang, d, false), Num: d.Day(), InRange: view == "week" || d.Month() == anchor.Month(), Today: d.Equal(today)}
		for _, p := range posts {
			lp := p.PublishAt.In(loc)
			if lp.Year() == d.Year() && lp.YearDay() == d.YearDay() {
				day.Posts = append(day.Posts, portalEvent{ID: p.ID, Title: p.Title, Time: lp.Format("15:04"), Status: p.Status})
				cal.Empty = false
			}
		}
		cal.Days = append(cal.Days, day)
	}
	return cal, nil
}

var (
	dayNames = map[string][]string{
		"en": {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"},
		"fr": {"dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."},
	}
	monthNames = map[string][]string{
		"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
		"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
	}
)

func monthName(lang string, m time.Month) string {
	if _, ok := monthNames[lang]; !ok {
		lang = "en"
	}
	return monthNames[lang][m-1]
}

// localDate writes "Mon 23 November" (with ", 15:04" when clock) in the language; t is
// already in the zone to show.
func localDate(lang string, t time.Time, clock bool) string {
	if _, ok := dayNames[lang]; !ok {
		lang = "en"
	}
	s := fmt.Sprintf("%s %d %s", dayNames[lang][t.Weekday()], t.Day(), monthName(lang, t.Month()))
	if clock {
		s += fmt.Sprintf(" %d, %s", t.Year(), t.Format("15:04"))
	}
	return s
}

func portalJSON(acc *service.PortalAccess, waiting, published []service.PortalPost, decisions []store.ApproverDecision, cal portalCal) fiber.Map {
	post := func(p service.PortalPost) fiber.Map {
		live := p.Live
		if live == nil {
			live = []service.PublishedLink{}
		}
		return fiber.Map{"id": p.ID, "title": p.Title, "version": p.Version, "status": p.Status, "publish_at": p.PublishAt,
			"published_at": p.PublishedAt, "channels": p.Channels, "live": live}
	}
	w, pub := []fiber.Map{}, []fiber.Map{}
	for _, p := range waiting {
		w = append(w, post(p))
	}
	for _, p := range published {
		pub = append(pub, post(p))
	}
	ds := []fiber.Map{}
	for _, d := range decisions {
		ds = append(ds, fiber.Map{"post_id": d.PostID, "title": d.Title, "version": d.Version, "decision": d.Decision, "comment": d.Comment, "at": d.At})
	}
	sched := []fiber.Map{}
	for _, d := range cal.Days {
		for _, e := range d.Posts {
			sched = append(sched, fiber.Map{"id": e.ID, "title": e.Title, "status": e.Status, "day": d.Label, "time": e.Time})
		}
	}
	return fiber.Map{"client": acc.Client.Name, "approver": acc.Approver.Name, "expires_at": acc.Portal.ExpiresAt,
		"waiting": w, "published": pub, "decisions": ds, "calendar": fiber.Map{"view": cal.View, "label": cal.Label, "posts": sched}}
}

// decide serves POST /portal/{token}/posts/{post}/decision (form fields decision and
// comment, or JSON): the decision goes through the approver's link for the post's current
// version. A page answer goes back to the portal.
func (h *portalHandlers) decide(c *fiber.Ctx) error {
	acc, err := h.open(c)
	if err != nil {
		return h.refuse(c, err)
	}
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
	postID := c.Params("post")
	d, err := h.svc.PortalDecide(c.UserContext(), acc, postID, in.Decision, in.Comment)
	if wantsJSON(c) {
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"post_id": postID, "status": d.Status, "decision": in.Decision, "version": d.Version})
	}
	if err != nil {
		code := greenlight.ErrorCode(err)
		if code == greenlight.EINTERNAL || code == greenlight.EUNAVAILABLE {
			return err
		}
		msg := greenlight.ErrorMessage(err)
		if code == greenlight.EINVALID && strings.HasPrefix(msg, "comment:") {
			msg = translate(portalLanguage(c, acc.Client), "link.comment_required")
		}
		return h.render(c, acc, statusOf[code], postID, msg)
	}
	return c.Redirect("/portal/"+c.Params("token")+"?done="+url.QueryEscape(in.Decision)+"#waiting", fiber.StatusSeeOther)
}

// certificate serves GET /portal/{token}/posts/{post}/certificate.pdf: the certificate
// staff download, for the portal client's approved posts only.
func (h *portalHandlers) certificate(c *fiber.Ctx) error {
	acc, err := h.open(c)
	if err != nil {
		return h.refuse(c, err)
	}
	cert, err := h.svc.PortalCertificate(c.UserContext(), acc, c.Params("post"))
	if err != nil {
		return err
	}
	return sendCertificatePDF(c, cert)
}
