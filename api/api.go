// Package api is Greenlight's HTTP surface, one Fiber app: the JSON API under /api/v1
// (API-key auth), the client approval pages under /approve, health checks, and in dev mode
// the mail catcher. Domain errors become HTTP statuses in one place, ErrorHandler.
package api

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/gofiber/template/html/v2"
	"go.temporal.io/sdk/client"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

//go:embed templates
var templates embed.FS

// Config holds the app's dependencies and settings.
type Config struct {
	Service  *service.Service
	Store    *store.Store
	Temporal client.Client
	Log      *slog.Logger
	// Agency is the agency's name on client pages.
	Agency string
	// ApproveRateLimit is how many /approve requests one IP may make per minute.
	ApproveRateLimit int
	// TrustedProxies are the proxies whose X-Forwarded-For entries are believed (see
	// clientAddr); without any, the client IP is the socket peer.
	TrustedProxies []netip.Prefix
	// Dev enables the mail catcher and publication pages.
	Dev bool
	// Timezone is the zone staff pages show and read times in (UTC when nil).
	Timezone *time.Location
	// PublicURL is the site's base URL (invite links); cookies are Secure when it is https.
	PublicURL string
	// Middleware runs before everything else on every request (metrics, tracing).
	Middleware []fiber.Handler
	// Draining, when it returns true, makes /readyz answer 503 (the process is shutting
	// down: load balancers stop sending requests while the ones in flight finish).
	Draining func() bool
}

// New builds the Fiber app with every route.
func New(cfg Config) *fiber.App {
	if cfg.ApproveRateLimit <= 0 {
		cfg.ApproveRateLimit = 30
	}
	if cfg.Agency == "" {
		cfg.Agency = "Greenlight"
	}
	views, err := fs.Sub(templates, "templates")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	engine := html.NewFileSystem(http.FS(views), ".html")
	tz := cfg.Timezone
	if tz == nil {
		tz = time.UTC
	}
	engine.AddFunc("when", when)
	addPageFuncs(engine, tz)
	addBrandFuncs(engine)
	engine.AddFunc("isImage", isImage)
	engine.AddFunc("charLimit", func(ch string) int { return greenlight.Channels[ch] })
	engine.AddFunc("runes", func(s string) int { return len([]rune(s)) })
	fcfg := fiber.Config{
		AppName:               "greenlight",
		ErrorHandler:          ErrorHandler(cfg.Log),
		BodyLimit:             jsonBodyLimit,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
		DisableStartupMessage: true,
		Views:                 engine,
	}
	// No ProxyHeader: c.IP() stays the socket peer and clientIP reads X-Forwarded-For. The
	// check stays on so that Fiber believes X-Forwarded-Host/-Proto (c.BaseURL) only from
	// the trusted proxies, never from anyone when there are none.
	fcfg.EnableTrustedProxyCheck = true
	for _, p := range cfg.TrustedProxies {
		fcfg.TrustedProxies = append(fcfg.TrustedProxies, p.String())
	}
	app := fiber.New(fcfg)
	if cfg.Service != nil && cfg.Service.Library != nil {
		app.Server().HeaderReceived = bodyLimits(cfg.Service.Library.MaxBytes())
	}
	for _, h := range cfg.Middleware {
		app.Use(h)
	}
	app.Use(clientIPs(cfg.TrustedProxies), recoverer(cfg.Log), securityHeaders)

	app.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(static), PathPrefix: "static", MaxAge: 3600}))
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Get("/readyz", draining(cfg.Draining), readyz(cfg.Store, cfg.Temporal, cfg.Log))

	svc := cfg.Service
	publicURL := strings.TrimRight(cfg.PublicURL, "/")
	app.Get("/api/openapi.json", openapiJSON)
	app.Get("/api/openapi.yaml", openapiYAML)
	app.Get("/api/docs", apiDocs)
	v1 := app.Group("/api/v1", authenticate(svc))
	v1.Post("/users", createUser(svc))
	v1.Post("/clients", createClient(svc))
	v1.Get("/clients", listClients(svc))
	v1.Get("/clients/:id", getClient(svc))
	v1.Patch("/clients/:id", patchClient(svc))
	v1.Get("/clients/:id/approval-stats", approvalStats(svc))
	v1.Post("/posts", idempotent(cfg.Store, cfg.Log), createPost(svc, publicURL))
	v1.Get("/posts", listPosts(svc, publicURL))
	v1.Get("/posts/:id", getPost(svc, publicURL))
	v1.Patch("/posts/:id", editPost(svc, publicURL))
	v1.Post("/posts/:id/submit", submitPost(svc, publicURL))
	v1.Post("/posts/:id/review", reviewPost(svc, publicURL))
	v1.Post("/posts/:id/cancel", cancelPost(svc, publicURL))
	v1.Post("/posts/:id/channels/:channel/settle", settleChannel(svc, publicURL))
	v1.Post("/posts/:id/comments", addComment(svc))
	v1.Get("/posts/:id/comments", listComments(svc))
	v1.Get("/posts/:id/certificate", getCertificate(svc))
	v1.Get("/playbooks", listPlaybooks(svc))
	v1.Get("/playbooks/:key", getPlaybook(svc))
	v1.Post("/crises", startCrisis(svc))
	v1.Get("/crises", listCrises(svc))
	v1.Get("/crises/:id", getCrisis(svc))
	v1.Post("/crises/:id/steps/:key/complete", completeStep(svc))
	v1.Post("/crises/:id/steps/:key/assign", assignStep(svc))
	v1.Post("/crises/:id/statements", submitStatement(svc))
	v1.Post("/crises/:id/resolve", resolveCrisis(svc))
	v1.Get("/crises/:id/report", crisisReport(svc))
	v1.Post("/clients/:id/mentions", idempotent(cfg.Store, cfg.Log), ingestMentions(svc))
	v1.Get("/clients/:id/mentions/stats", mentionStats(svc))
	v1.Get("/clients/:id/rules", listRules(svc))
	v1.Post("/clients/:id/rules", createRule(svc))
	v1.Delete("/clients/:id/rules/:rule", deleteRule(svc))
	v1.Get("/networks", listNetworks(svc))
	v1.Get("/clients/:id/accounts", listAccounts(svc))
	v1.Post("/clients/:id/accounts", connectAccount(svc))
	v1.Delete("/clients/:id/accounts/:account", deleteAccount(svc))
	v1.Get("/clients/:id/contacts", listContacts(svc))
	v1.Put("/clients/:id/contacts", setContacts(svc))
	v1.Post("/clients/:id/media", uploadMedia(svc, publicURL))
	v1.Get("/media/:id", getMedia(svc, publicURL))
	v1.Get("/calendar-feed", getCalendarFeed(svc, publicURL))
	v1.Delete("/calendar-feed", deleteCalendarFeed(svc))
	v1.Post("/clients/:id/sources", createSource(svc, publicURL))
	v1.Get("/clients/:id/sources", listSources(svc, publicURL))
	v1.Delete("/clients/:id/sources/:source", deleteSource(svc))
	v1.Post("/webhooks", createWebhook(svc))
	v1.Get("/webhooks", listWebhooks(svc))
	v1.Get("/webhooks/:id", getWebhook(svc))
	v1.Delete("/webhooks/:id", deleteWebhook(svc))
	v1.Get("/webhooks/:id/deliveries", listDeliveries(svc))
	v1.Post("/webhooks/:id/deliveries/:delivery/redeliver", redeliver(svc))
	v1.Post("/clients/:id/approvers/:approver/portal", sendPortal(svc, publicURL))
	v1.Delete("/clients/:id/approvers/:approver/portal", revokePortal(svc))
	v1.Use(func(c *fiber.Ctx) error {
		return greenlight.Errorf(greenlight.ENOTFOUND, "no route %s %s", c.Method(), c.Path())
	})

	app.Get("/media/:id/file", serveMedia(svc, "file"))
	app.Get("/media/:id/thumb", serveMedia(svc, "thumb"))

	app.Get(service.MastodonCallbackPath, rateLimit(cfg.Store, "oauth", cfg.ApproveRateLimit, time.Minute), mastodonCallback(svc))
	app.Get("/oauth/callback/:network", rateLimit(cfg.Store, "oauth", cfg.ApproveRateLimit, time.Minute), oauthCallback(svc))
	app.Post("/oauth/callback/:network", rateLimit(cfg.Store, "oauth", cfg.ApproveRateLimit, time.Minute), oauthPick(svc))
	app.Get("/calendar/:file", rateLimit(cfg.Store, "calendar", 120, time.Minute), linkHeaders, calendarFile(svc, publicURL))
	app.Post("/hooks/mentions/:source", mentionHook(svc))

	ph := &portalHandlers{svc: svc, agency: cfg.Agency, publicURL: publicURL, tz: tz}
	portal := app.Group("/portal", rateLimit(cfg.Store, "portal", cfg.ApproveRateLimit, time.Minute), linkHeaders)
	portal.Get("/:token", ph.page)
	portal.Post("/:token/posts/:post/decision", ph.decide)
	portal.Get("/:token/posts/:post/certificate.pdf", ph.certificate)

	approve := app.Group("/approve", rateLimit(cfg.Store, "approve", cfg.ApproveRateLimit, time.Minute), linkHeaders)
	approve.Get("/:token", approvalPage(svc, cfg.Agency))
	approve.Post("/:token", approvalDecision(svc, cfg.Agency))
	approve.Post("/:token/comment", linkComment(svc, cfg.Agency))
	review := app.Group("/review", rateLimit(cfg.Store, "review", cfg.ApproveRateLimit, time.Minute), linkHeaders)
	review.Get("/:token", reviewPage(svc, cfg.Agency))
	review.Post("/:token", reviewDecision(svc, cfg.Agency))

	p := &pages{svc: svc, store: cfg.Store, tz: tz, dev: cfg.Dev, agency: cfg.Agency, publicURL: strings.TrimRight(cfg.PublicURL, "/"),
		secure: strings.HasPrefix(cfg.PublicURL, "https://")}
	p.register(app)
	if cfg.Dev {
		registerDev(app, cfg.Store)
	}
	return app
}

// statusOf maps each domain error code to its HTTP status.
var statusOf = map[string]int{
	greenlight.EMALFORMED:    fiber.StatusBadRequest,
	greenlight.EUNAUTHORIZED: fiber.StatusUnauthorized,
	greenlight.EFORBIDDEN:    fiber.StatusForbidden,
	greenlight.ENOTFOUND:     fiber.StatusNotFound,
	greenlight.ECONFLICT:     fiber.StatusConflict,
	greenlight.EGONE:         fiber.StatusGone,
	greenlight.ETOOLARGE:     fiber.StatusRequestEntityTooLarge,
	greenlight.EINVALID:      fiber.StatusUnprocessableEntity,
	greenlight.ETOOMANY:      fiber.StatusTooManyRequests,
	greenlight.EINTERNAL:     fiber.StatusInternalServerError,
	greenlight.EUNAVAILABLE:  fiber.StatusServiceUnavailable,
}

// codeOf is the inverse of statusOf, for errors Fiber raises itself (unknown route, body
// too large, bad method).
func codeOf(status int) string {
	for code, s := range statusOf {
		if s == status {
			return code
		}
	}
	if status >= 500 {
		return greenlight.EINTERNAL
	}
	return greenlight.EMALFORMED
}

// ErrorHandler writes every error as {"error":{"code","message"}} with the status of its
// code, or as an HTML page for browsers on page routes. Only internal errors are logged.
func ErrorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		code, msg := greenlight.ErrorCode(err), greenlight.ErrorMessage(err)
		var fe *fiber.Error
		if errors.As(err, &fe) {
			code, msg = codeOf(fe.Code), fe.Message
			if fe.Code == fiber.StatusMethodNotAllowed {
				code = greenlight.EMALFORMED
			}
		}
		status := statusOf[code]
		if fe != nil {
			status = fe.Code
		}
		if status == 0 {
			status = fiber.StatusInternalServerError
		}
		if code == greenlight.EINTERNAL {
			log.ErrorContext(c.UserContext(), "request failed", "method", c.Method(), "path", logPath(c), "ip", clientIP(c), "error", err)
		}
		if wantsHTML(c) {
			c.Status(status)
			return c.Render("error", fiber.Map{"Title": http.StatusText(status), "Message": msg, "Status": status}, "layout")
		}
		return c.Status(status).JSON(fiber.Map{"error": fiber.Map{"code": code, "message": msg}})
	}
}

// wantsHTML reports whether an error should be a page: browser requests outside /api.
func wantsHTML(c *fiber.Ctx) bool {
	if strings.HasPrefix(c.Path(), "/api/") {
		return false
	}
	return c.Accepts(fiber.MIMEApplicationJSON, fiber.MIMETextHTML) == fiber.MIMETextHTML &&
		strings.Contains(c.Get(fiber.HeaderAccept), "html")
}

func recoverer(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) (err error) {
		defer func() {
			if r := recover(); r != nil {
				log.ErrorContext(c.UserContext(), "panic in handler", "method", c.Method(), "path", logPath(c), "panic", r)
				err = greenlight.Errorf(greenlight.EINTERNAL, "internal error")
			}
		}()
		return c.Next()
	}
}

func securityHeaders(c *fiber.Ctx) error {
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	return c.Next()
}

// linkHeaders keeps tokens in approval URLs out of referrers and caches.
func linkHeaders(c *fiber.Ctx) error {
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("Cache-Control", "no-store")
	c.Set("X-Robots-Tag", "noindex")
	return c.Next()
}

const userKey = "user"

func authenticate(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		auth := c.Get(fiber.HeaderAuthorization)
		key, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			key = ""
		}
		u, err := svc.Authenticate(c.UserContext(), strings.TrimSpace(key))
		if err != nil {
			return err
		}
		c.Locals(userKey, u)
		return c.Next()
	}
}

func currentUser(c *fiber.Ctx) *store.User {
	u, _ := c.Locals(userKey).(*store.User)
	return u
}

// rateLimit allows max requests per window per client IP, counted in the database so
// that every API replica shares the budget.
func rateLimit(st *store.Store, name string, max int, window time.Duration) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ok, err := st.Hit(c.UserContext(), name+":"+clientIP(c), max, window)
		if err != nil {
			return err
		}
		if !ok {
			c.Set(fiber.HeaderRetryAfter, "60")
			return greenlight.Errorf(greenlight.ETOOMANY, "too many requests, try again in a minute")
		}
		return c.Next()
	}
}

// draining answers /readyz with 503 {"status":"draining"} once the process is shutting
// down, before any dependency is checked.
func draining(isDraining func() bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if isDraining != nil && isDraining() {
			return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "draining"})
		}
		return c.Next()
	}
}

// pinger and healthChecker are what /readyz needs of the store and of Temporal.
type (
	pinger        interface{ Ping(context.Context) error }
	healthChecker interface {
		CheckHealth(context.Context, *client.CheckHealthRequest) (*client.CheckHealthResponse, error)
	}
)

// readyz answers {"status":"ok"|"fail","checks":{"database":"ok"|"fail","temporal":…}},
// 503 when any check fails. Why a check failed goes to the log only: driver messages name
// hosts, users and versions that an anonymous caller has no business reading.
func readyz(db pinger, tc healthChecker, log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
		defer cancel()
		checks := fiber.Map{"database": "ok", "temporal": "ok"}
		ready := true
		if err := db.Ping(ctx); err != nil {
			log.Warn("readiness check failed", "check", "database", "error", err)
			checks["database"], ready = "fail", false
		}
		if _, err := tc.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
			log.Warn("readiness check failed", "check", "temporal", "error", err)
			checks["temporal"], ready = "fail", false
		}
		if !ready {
			return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "fail", "checks": checks})
		}
		return c.JSON(fiber.Map{"status": "ok", "checks": checks})
	}
}

func isImage(u string) bool {
	u = strings.ToLower(u)
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	for _, ext := range []string{".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif"} {
		if strings.HasSuffix(u, ext) {
			return true
		}
	}
	return false
}

//go:embed static
var static embed.FS

// logPath is the request path with secrets masked, since a token in a log is a key: the
// token of approval and invite links, and any segment shaped like one of Greenlight's
// tokens (gl_, glk_, gls_, gli_), whatever the route.
func logPath(c *fiber.Ctx) string { return maskPath(c.Path()) }

func maskPath(path string) string {
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if seg == "" {
			continue
		}
		secretRoute := i == 2 && (segs[1] == "approve" || segs[1] == "review" || segs[1] == "invite" || segs[1] == "calendar" || segs[1] == "portal")
		if secretRoute || looksLikeToken(seg) {
			segs[i] = "<token>"
		}
	}
	return strings.Join(segs, "/")
}

func looksLikeToken(s string) bool {
	for _, prefix := range []string{"gl_", "glk_", "gls_", "gli_", "glc_", "glw_", "glp_"} {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// when formats a time (or a non-nil *time.Time) for people; empty otherwise.
func when(v any) string {
	switch t := v.(type) {
	case time.Time:
		return t.UTC().Format("Mon 2 Jan 2006, 15:04 MST")
	case *time.Time:
		if t != nil {
			return t.UTC().Format("Mon 2 Jan 2006, 15:04 MST")
		}
	}
	return ""
}
