// Command install installs ical.js for the calendar feed tests (internal/icaltest/js) with
// npm ci --ignore-scripts. CI runs it before `make test` (.ci/run).
package main

import (
	"fmt"
	"os"

	"github.com/greenlight/greenlight/internal/icaltest"
)

func main() {
	installed, err := icaltest.Install(icaltest.Dir())
	if err != nil {
		fmt.Fprintln(os.Stderr, "icaltest install:", err)
		os.Exit(1)
	}
	if installed {
		fmt.Println("icaltest install: ical.js installed")
	} else {
		fmt.Println("icaltest install: ical.js already installed")
	}
}
