// Command install builds GoToSocial's test rig for internal/gtstest the way the harness
// does (module pinned in internal/gtstest/server, built with the debugenv tag into the
// cache directory). CI runs it before the tests (.ci/run) so a failure is reported on its
// own, with its timing; tests would otherwise build it on first use.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/greenlight/greenlight/internal/gtstest"
)

func main() {
	began := time.Now()
	dir, built, err := gtstest.Build(context.Background(), os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gtstest install:", err)
		os.Exit(1)
	}
	if built {
		fmt.Printf("gtstest install: GoToSocial %s built in %s (%s)\n", gtstest.Version, time.Since(began).Round(time.Second), dir)
	} else {
		fmt.Printf("gtstest install: GoToSocial %s already built (%s)\n", gtstest.Version, dir)
	}
}
