// Package logging builds the process's slog logger and the quieter one handed to the
// Temporal SDK.
package logging

import (
	"io"
	"log/slog"
	"strings"

	sdklog "go.temporal.io/sdk/log"
)

// New returns a text logger on w at level ("debug", "info", "warn", "error"; info when
// empty or unknown).
func New(w io.Writer, level string) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: parse(level)}))
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
