// Tools module pinning GoToSocial for internal/gtstest. It is not part of Greenlight's
// build: GoToSocial (AGPL-3.0) is only compiled into a test binary kept in a cache
// directory, never linked into Greenlight.
module github.com/greenlight/greenlight/internal/gtstest/server

go 1.24

require github.com/superseriousbusiness/gotosocial v0.18.3
