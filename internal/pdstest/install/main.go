// Command install installs the Node packages of the test PDS (internal/pdstest/pds) the way
// the test harness does: npm ci --ignore-scripts, then npm rebuild better-sqlite3. CI runs it
// before `make test` (.ci/run) so a failure is reported on its own; tests would otherwise
// run it on first use.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/greenlight/greenlight/internal/pdstest"
)

func main() {
	began := time.Now()
	installed, err := pdstest.Install(pdstest.Dir())
	if err != nil {
		fmt.Fprintln(os.Stderr, "pdstest install:", err)
		os.Exit(1)
	}
	if installed {
		fmt.Printf("pdstest install: Node packages installed in %s\n", time.Since(began).Round(time.Second))
	} else {
		fmt.Println("pdstest install: Node packages already installed")
	}
}
