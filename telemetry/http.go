package telemetry

import (
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Middleware starts a server span per request, continuing a caller's W3C trace context,
// and puts it in the request's user context so that the service, store and Temporal calls
// below are its children. The span is named after the method and the matched route
// pattern (GET /api/v1/posts/:id); the raw path is not recorded, since approval and
// invite URLs carry tokens. Health probes (/healthz, /readyz) are not traced. Like
// metrics.Middleware it runs the error handler itself, so the recorded status is the one
// sent. With log, each request is logged at debug level with its trace id. Nil t: a
// pass-through.
func (t *Tracing) Middleware(log *slog.Logger) fiber.Handler {
	if t == nil {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	return func(c *fiber.Ctx) error {
		if p := c.Path(); p == "/healthz" || p == "/readyz" {
			return c.Next() // probes every few seconds: no trace worth keeping
		}
		start := time.Now()
		// Fiber's strings point into buffers it reuses for the next request: copy what
		// the span keeps (it is exported later).
		method := strings.Clone(c.Method())
		ctx := t.propagator.Extract(c.UserContext(), fasthttpCarrier{c})
		ctx, span := t.tracer.Start(ctx, method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", method), attribute.String("url.scheme", strings.Clone(c.Protocol()))))
		defer span.End()
		c.SetUserContext(ctx)
		if err := c.Next(); err != nil {
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		status := c.Response().StatusCode()
		route := strings.Clone(c.Route().Path)
		span.SetName(method + " " + route)
		span.SetAttributes(attribute.String("http.route", route), attribute.Int("http.response.status_code", status))
		if status >= 500 {
			span.SetStatus(codes.Error, "")
		}
		if log != nil {
			log.DebugContext(ctx, "request", "method", method, "route", route, "status", status, "duration", time.Since(start))
		}
		return nil
	}
}

// fasthttpCarrier reads propagation headers from a Fiber request.
type fasthttpCarrier struct{ c *fiber.Ctx }

var _ propagation.TextMapCarrier = fasthttpCarrier{}

func (f fasthttpCarrier) Get(key string) string { return f.c.Get(key) }
func (f fasthttpCarrier) Set(key, value string) { f.c.Request().Header.Set(key, value) }
func (f fasthttpCarrier) Keys() []string {
	var keys []string
	for k := range f.c.Request().Header.All() {
		keys = append(keys, string(k))
	}
	return keys
}
