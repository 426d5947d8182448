package api

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/template/html/v2"

	"github.com/greenlight/greenlight/diff"
)

// register adds the web interface's routes. Staff pages need a session; forms posted to
// them need the session's CSRF token.
func (p *pages) register(app *fiber.App) {
	app.Get("/", func(c *fiber.Ctx) error { return c.Redirect("/board", fiber.StatusSeeOther) })
	app.Get("/login", p.loginPage)
	app.Post("/login", p.login)
	app.Get("/invite/:token", linkHeaders, p.invitePage)
	app.Post("/invite/:token", linkHeaders, p.acceptInvite)
	app.Get("/lang/:lang", p.setLanguage)

	staff := func(method, path string, h fiber.Handler) { app.Add(method, path, p.requireSession, h) }
	staff("POST", "/logout", p.logout)
	staff("GET", "/board", p.board)
	staff("GET", "/calendar", p.calendar)
	staff("GET", "/posts/new", p.newPostPage)
	staff("POST", "/posts", p.createPost)
	staff("GET", "/posts/:id", p.postPage)
	staff("GET", "/posts/:id/certificate", p.certificate)
	staff("POST", "/posts/:id/:action", p.postAction)
	staff("GET", "/crises", p.crises)
	staff("POST", "/crises", p.startCrisis)
	staff("GET", "/crises/:id", p.warRoom)
	staff("GET", "/crises/:id/live", p.warRoomLive)
	staff("GET", "/crises/:id/report", p.reportPage)
	staff("POST", "/crises/:id/:action", p.crisisAction)
	staff("GET", "/admin/users", p.users)
	staff("POST", "/admin/users", p.inviteUser)
	staff("POST", "/admin/users/:id/:action", p.userAction)
	staff("GET", "/admin/clients", p.clientsPage)
	staff("POST", "/admin/clients", p.createClient)
	staff("GET", "/admin/clients/:id", p.clientPage)
	staff("GET", "/clients/:id/stats", p.approvalStatsPage)
	staff("POST", "/admin/clients/:id/:action", p.clientAction)
	staff("GET", "/admin/webhooks", p.webhooksPage)
	staff("POST", "/admin/webhooks", p.createWebhookPage)
	staff("GET", "/admin/webhooks/:id", p.webhookPage)
	staff("POST", "/admin/webhooks/:id/:action", p.webhookAction)
	staff("GET", "/clients/:id/accounts", p.accountsPage)
	staff("POST", "/clients/:id/accounts/:action", p.accountsAction)
	staff("POST", "/clients/:id/media", p.uploadPageMedia)
}

// addPageFuncs gives templates translation and time formatting in the interface's zone.
func addPageFuncs(engine *html.Engine, tz *time.Location) {
	local := func(v any) (time.Time, bool) {
		switch t := v.(type) {
		case time.Time:
			return t.In(tz), !t.IsZero()
		case *time.Time:
			if t != nil {
				return t.In(tz), true
			}
		}
		return time.Time{}, false
	}
	format := func(layout string) func(v any) string {
		return func(v any) string {
			if t, ok := local(v); ok {
				return t.Format(layout)
			}
			return ""
		}
	}
	engine.AddFunc("t", translate)
	engine.AddFunc("tf", func(lang, key string, args ...any) string { return fmt.Sprintf(translate(lang, key), args...) })
	engine.AddFunc("at", format("Mon 2 Jan 15:04"))
	engine.AddFunc("hm", format("15:04"))
	engine.AddFunc("day", format("2"))
	engine.AddFunc("iso", func(v any) string {
		if t, ok := local(v); ok {
			return t.UTC().Format(time.RFC3339)
		}
		return ""
	})
	engine.AddFunc("has", func(list []string, v string) bool { return slices.Contains(list, v) })
	engine.AddFunc("diffClass", func(k diff.Kind) string {
		switch k {
		case diff.Insert:
			return "ins"
		case diff.Delete:
			return "del"
		}
		return "eq"
	})
	engine.AddFunc("humanize", func(s string) string { return strings.ReplaceAll(s, "_", " ") })
	// cut splits a text at a channel's limit: what fits, and what the network would cut.
	engine.AddFunc("cut", func(s string, limit int) [2]string {
		r := []rune(s)
		if limit <= 0 || len(r) <= limit {
			return [2]string{s, ""}
		}
		return [2]string{string(r[:limit]), string(r[limit:])}
	})
}
