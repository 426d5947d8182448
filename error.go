// Package greenlight holds the domain vocabulary shared by every layer: error codes,
// roles, post states and identifiers. It imports nothing from the adapters.
package greenlight

import (
	"errors"
	"fmt"
)

// Error codes. The API maps each to one HTTP status in a single place (api.ErrorHandler);
// workflows carry them as the type of an application error.
const (
	EMALFORMED    = "malformed"    // request cannot be parsed (400)
	EUNAUTHORIZED = "unauthorized" // no or bad credentials (401)
	EFORBIDDEN    = "forbidden"    // role or client scope forbids it (403)
	ENOTFOUND     = "not_found"    // unknown or invisible resource (404)
	ECONFLICT     = "conflict"     // wrong state or stale version (409)
	EGONE         = "gone"         // link used, expired or replaced (410)
	ETOOLARGE     = "too_large"    // request body too large (413)
	EINVALID      = "invalid"      // a field is invalid; the message names it (422)
	ETOOMANY      = "rate_limited" // rate limit hit (429)
	EINTERNAL     = "internal"     // a bug or an unexpected failure (500)
	EUNAVAILABLE  = "unavailable"  // a dependency is down; retry later (503)
)

// Error is a domain error: a code for machines and a message for people.
type Error struct {
	Code    string
	Message string
}

// Error implements error.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any other
// non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the message of the first *Error in err's chain; other errors are
// internal and get a generic message so that no detail leaks to callers.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	default:
		return "internal error"
	}
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code string) bool { return ErrorCode(err) == code }
