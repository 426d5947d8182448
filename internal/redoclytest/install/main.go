// Command install installs @redocly/cli for the OpenAPI lint test (internal/redoclytest/js)
// with npm ci --ignore-scripts. CI runs it before `make test` (.ci/run).
package main

import (
	"fmt"
	"os"

	"github.com/greenlight/greenlight/internal/redoclytest"
)

func main() {
	installed, err := redoclytest.Install(redoclytest.Dir())
	if err != nil {
		fmt.Fprintln(os.Stderr, "redoclytest install:", err)
		os.Exit(1)
	}
	if installed {
		fmt.Println("redoclytest install: @redocly/cli installed")
	} else {
		fmt.Println("redoclytest install: @redocly/cli already installed")
	}
}
