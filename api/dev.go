package api

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight/store"
)

// registerDev adds the dev mail catcher and publication log (dev mode only).
func registerDev(app *fiber.App, st *store.Store) {
	app.Get("/dev/mail.json", func(c *fiber.Ctx) error {
		ms, err := st.DevMails(c.UserContext(), c.Query("to"), c.Query("subject"), 500)
		if err != nil {
			return err
		}
		if ms == nil {
			ms = []store.DevMail{}
		}
		return c.JSON(ms)
	})
	app.Get("/dev/mail", func(c *fiber.Ctx) error {
		ms, err := st.DevMails(c.UserContext(), c.Query("to"), c.Query("subject"), 200)
		if err != nil {
			return err
		}
		return c.Render("dev_mail", fiber.Map{"Title": "Caught mail", "Mails": ms}, "layout")
	})
	app.Get("/dev/mail/:id", func(c *fiber.Ctx) error {
		m, err := st.DevMail(c.UserContext(), c.Params("id"))
		if err != nil {
			return err
		}
		return c.Render("dev_mail_one", fiber.Map{"Title": m.Subject, "Mail": m}, "layout")
	})
	app.Get("/dev/mail/:id/html", func(c *fiber.Ctx) error {
		m, err := st.DevMail(c.UserContext(), c.Params("id"))
		if err != nil {
			return err
		}
		// The email as sent, framed by /dev/mail/:id: inline styles allowed, no scripts.
		c.Set("Content-Security-Policy", "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; frame-ancestors 'self'")
		c.Set("X-Frame-Options", "SAMEORIGIN")
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.SendString(m.HTMLBody)
	})
	app.Get("/dev/stats", func(c *fiber.Ctx) error {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return c.JSON(fiber.Map{"rss_bytes": rss(), "heap_alloc_bytes": m.HeapAlloc, "sys_bytes": m.Sys,
			"goroutines": runtime.NumGoroutine(), "gc_cycles": m.NumGC})
	})
	app.Get("/dev/publications.json", func(c *fiber.Ctx) error {
		ps, err := st.DevPublications(c.UserContext(), 500)
		if err != nil {
			return err
		}
		if ps == nil {
			ps = []store.DevPublication{}
		}
		return c.JSON(ps)
	})
}

// rss is the process's resident memory from /proc (0 where there is none).
func rss() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
