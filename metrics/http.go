package metrics

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Unmatched is the route label of requests no route answered (a 404 from a middleware's
// catch-all), so that scanning for random URLs cannot create series.
const Unmatched = "unmatched"

// Middleware counts and times every request by method, route pattern (Fiber's matched
// route, such as /api/v1/posts/:id, never the raw URL) and status. Install it first: it
// runs the app's error handler itself for errors the handlers return, so that the status
// it records is the one sent.
func (m *Metrics) Middleware() fiber.Handler {
	var (
		once   sync.Once
		routes map[string]bool // method + " " + path of every route a handler serves
	)
	return func(c *fiber.Ctx) error {
		start := time.Now()
		m.inFlight.Inc()
		defer m.inFlight.Dec()
		if err := c.Next(); err != nil {
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		status := c.Response().StatusCode()
		// Fiber's strings point into buffers it reuses for the next request: copy what
		// outlives this one (label values are kept).
		method := strings.Clone(c.Method())
		route := strings.Clone(c.Route().Path)
		if status == fiber.StatusNotFound || status == fiber.StatusMethodNotAllowed {
			// A prefix middleware (app.Use) answered: name it only if it serves that
			// prefix itself (static files), else the URL matched no route.
			once.Do(func() {
				routes = map[string]bool{}
				for _, r := range c.App().GetRoutes(true) {
					routes[r.Method+" "+r.Path] = true
				}
			})
			if !routes[method+" "+route] {
				route = Unmatched
			}
		}
		if !knownMethod(method) {
			method = "OTHER"
		}
		m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
		m.latency.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
		return nil
	}
}

func knownMethod(m string) bool {
	switch m {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch,
		fiber.MethodDelete, fiber.MethodOptions:
		return true
	}
	return false
}
