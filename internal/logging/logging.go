// Package logging builds the process's slog logger and the quieter one handed to the
// Temporal SDK.
package logging

import (
	"context"
	"io"
	"log/slog"
	"strings"

	"go.opentelemetry.io/otel/trace"
	sdklog "go.temporal.io/sdk/log"
)

// New returns a text logger on w at level ("debug", "info", "warn", "error"; info when
// empty or unknown). A line logged with a context holding a trace span (log.InfoContext)
// carries its trace_id and span_id.
func New(w io.Writer, level string) *slog.Logger {
	return slog.New(WithTraceIDs(slog.NewTextHandler(w, &slog.HandlerOptions{Level: parse(level)})))
}

// WithTraceIDs wraps h so that records logged with a context holding a valid
// OpenTelemetry span get trace_id and span_id attributes.
func WithTraceIDs(h slog.Handler) slog.Handler { return traceHandler{h} }

type traceHandler struct{ slog.Handler }

func (h traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r = r.Clone()
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h traceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceHandler{h.Handler.WithAttrs(attrs)}
}

func (h traceHandler) WithGroup(name string) slog.Handler {
	return traceHandler{h.Handler.WithGroup(name)}
}

// SDK returns a logger for the Temporal SDK that keeps only warnings and errors: its info
// lines (worker started, poller details) drown the application's.
func SDK(w io.Writer) sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn})))
}

func parse(level string) slog.Level {
	switch strings.ToLower(level) {
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}
