package api

import (
	"crypto/subtle"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

// Cookie names.
const (
	sessionCookie = "gl_session"
	loginCSRF     = "gl_login_csrf"
	flashCookie   = "gl_flash"
	langCookie    = "lang"
)

// pages holds what the web interface's handlers share.
type pages struct {
	svc       *service.Service
	store     *store.Store
	tz        *time.Location
	secure    bool // cookies only over HTTPS
	dev       bool
	agency    string
	publicURL string
}

const sessionKey = "session"

// requireSession lets signed-in staff through and sends others to the sign-in page. On
// POST it checks the form's CSRF token against the session's.
func (p *pages) requireSession(c *fiber.Ctx) error {
	u, sess, err := p.svc.SessionUser(c.UserContext(), c.Cookies(sessionCookie))
	if greenlight.IsCode(err, greenlight.EUNAUTHORIZED) {
		if c.Method() == fiber.MethodGet {
			return c.Redirect("/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
		}
		return err
	}
	if err != nil {
		return err
	}
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		if subtle.ConstantTimeCompare([]byte(c.FormValue("_csrf")), []byte(sess.CSRF)) != 1 {
			return greenlight.Errorf(greenlight.EFORBIDDEN, "this form has expired: reload the page and try again")
		}
	}
	c.Locals(userKey, u)
	c.Locals(sessionKey, sess)
	return c.Next()
}

func (p *pages) setCookie(c *fiber.Ctx, name, value string, ttl time.Duration) {
	ck := &fiber.Cookie{Name: name, Value: value, Path: "/", HTTPOnly: true, Secure: p.secure, SameSite: fiber.CookieSameSiteLaxMode}
	if ttl < 0 {
		ck.Expires = time.Unix(0, 0)
		ck.MaxAge = -1
	} else if ttl > 0 {
		ck.Expires = time.Now().Add(ttl)
	}
	c.Cookie(ck)
}

// flash shows msg on the next page the browser loads.
func (p *pages) flash(c *fiber.Ctx, msg string) {
	p.setCookie(c, flashCookie, url.QueryEscape(msg), time.Minute)
}

// back redirects to the page that posted a form, with a message for the user.
func (p *pages) back(c *fiber.Ctx, to, msg string) error {
	if msg != "" {
		p.flash(c, msg)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

// fail reports a form error: refusals (403, 404) and internal errors go to the error
// handler, so a forbidden form answers like the JSON API; other domain errors are shown on
// the page the form came from.
func (p *pages) fail(c *fiber.Ctx, to string, err error) error {
	switch greenlight.ErrorCode(err) {
	case greenlight.EINTERNAL, greenlight.EUNAVAILABLE, greenlight.EFORBIDDEN, greenlight.ENOTFOUND:
		return err
	}
	p.flash(c, "⚠ "+greenlight.ErrorMessage(err))
	return c.Redirect(to, fiber.StatusSeeOther)
}

// render fills what every staff page needs and renders name in the app layout.
func (p *pages) render(c *fiber.Ctx, status int, name, title string, data fiber.Map) error {
	if data == nil {
		data = fiber.Map{}
	}
	lang := language(c)
	data["L"] = lang
	data["Title"] = title
	data["Dev"] = p.dev
	data["TZ"] = p.tz.String()
	data["Path"] = c.Path()
	if u := currentUser(c); u != nil {
		data["User"] = u
		data["Admin"] = service.Can(u, service.ActUsersList)
		data["Hooks"] = service.Can(u, service.ActWebhooksManage)
	}
	if s, ok := c.Locals(sessionKey).(*store.Session); ok {
		data["CSRF"] = s.CSRF
	}
	if f := c.Cookies(flashCookie); f != "" {
		msg, _ := url.QueryUnescape(f)
		data["Flash"] = msg
		data["FlashError"] = strings.HasPrefix(msg, "⚠")
		p.setCookie(c, flashCookie, "", -1)
	}
	c.Set("Cache-Control", "no-store")
	return c.Status(status).Render(name, data, "app")
}

// local converts a time to the interface's zone.
func (p *pages) local(t time.Time) time.Time { return t.In(p.tz) }

// parseLocal reads a datetime-local input (2026-12-01T09:30) in the interface's zone.
func (p *pages) parseLocal(field, s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, p.tz); err == nil {
			return &t, nil
		}
	}
	return nil, greenlight.Errorf(greenlight.EINVALID, "%s: not a date and time", field)
}

// --- sign-in, invites, language ---

func (p *pages) loginPage(c *fiber.Ctx) error {
	token := randomToken()
	p.setCookie(c, loginCSRF, token, time.Hour)
	return p.render(c, fiber.StatusOK, "login", translate(language(c), "login.title"), fiber.Map{
		"LoginCSRF": token, "Next": safeNext(c.Query("next")), "Email": c.Query("email"),
	})
}

func (p *pages) login(c *fiber.Ctx) error {
	ck := c.Cookies(loginCSRF)
	if ck == "" || subtle.ConstantTimeCompare([]byte(ck), []byte(c.FormValue("_csrf"))) != 1 {
		return greenlight.Errorf(greenlight.EFORBIDDEN, "this form has expired: reload the page and try again")
	}
	ok, err := p.store.Hit(c.UserContext(), "login:"+clientIP(c), 20, time.Minute)
	if err != nil {
		return err
	}
	if !ok {
		return greenlight.Errorf(greenlight.ETOOMANY, "too many sign-in attempts, try again in a minute")
	}
	_, token, sess, err := p.svc.Login(c.UserContext(), c.FormValue("email"), c.FormValue("password"))
	if err != nil {
		if greenlight.IsCode(err, greenlight.EUNAUTHORIZED) {
			p.flash(c, "⚠ "+greenlight.ErrorMessage(err))
			return c.Redirect("/login?email="+url.QueryEscape(c.FormValue("email"))+"&next="+url.QueryEscape(safeNext(c.FormValue("next"))), fiber.StatusSeeOther)
		}
		return err
	}
	p.setCookie(c, loginCSRF, "", -1)
	p.setCookie(c, sessionCookie, token, time.Until(sess.ExpiresAt))
	return c.Redirect(safeNext(c.FormValue("next")), fiber.StatusSeeOther)
}

func (p *pages) logout(c *fiber.Ctx) error {
	if err := p.svc.Logout(c.UserContext(), c.Cookies(sessionCookie)); err != nil {
		return err
	}
	p.setCookie(c, sessionCookie, "", -1)
	return c.Redirect("/login", fiber.StatusSeeOther)
}

func (p *pages) invitePage(c *fiber.Ctx) error {
	u, err := p.svc.InviteUser(c.UserContext(), c.Params("token"))
	if err != nil {
		return err
	}
	token := randomToken()
	p.setCookie(c, loginCSRF, token, time.Hour)
	return p.render(c, fiber.StatusOK, "invite", translate(language(c), "invite.title"), fiber.Map{
		"Invited": u, "LoginCSRF": token, "Hello": fmt.Sprintf(translate(language(c), "invite.hello"), u.Name),
	})
}

func (p *pages) acceptInvite(c *fiber.Ctx) error {
	ck := c.Cookies(loginCSRF)
	if ck == "" || subtle.ConstantTimeCompare([]byte(ck), []byte(c.FormValue("_csrf"))) != 1 {
		return greenlight.Errorf(greenlight.EFORBIDDEN, "this form has expired: reload the page and try again")
	}
	_, token, sess, err := p.svc.AcceptInvite(c.UserContext(), c.Params("token"), c.FormValue("password"))
	if greenlight.IsCode(err, greenlight.EINVALID) {
		return p.back(c, c.OriginalURL(), "⚠ "+greenlight.ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	p.setCookie(c, loginCSRF, "", -1)
	p.setCookie(c, sessionCookie, token, time.Until(sess.ExpiresAt))
	return c.Redirect("/board", fiber.StatusSeeOther)
}

func (p *pages) setLanguage(c *fiber.Ctx) error {
	lang := c.Params("lang")
	if lang != "en" && lang != "fr" {
		return greenlight.Errorf(greenlight.ENOTFOUND, "unknown language")
	}
	p.setCookie(c, langCookie, lang, 365*24*time.Hour)
	return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
}

// safeNext keeps redirects on this site: only local paths are followed.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/board"
	}
	return next
}

func randomToken() string {
	t, _ := greenlight.NewToken("")
	return t
}
