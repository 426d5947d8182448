// Package redoclytest lints the OpenAPI document in tests with @redocly/cli (npm, pinned
// in js/package-lock.json), run by Node.js. Install it once with
// `go run ./internal/redoclytest/install` (.ci/run does); under CI=true a missing install
// fails the test, elsewhere it skips it saying how to install.
package redoclytest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// Dir is the directory of the Node package (package.json, package-lock.json).
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "js")
}

// Config is the committed linter configuration (redocly.yaml at the repository root).
func Config() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "redocly.yaml")
}

func cli(dir string) string {
	return filepath.Join(dir, "node_modules", "@redocly", "cli", "bin", "cli.js")
}

// Install runs `npm ci --ignore-scripts` in dir unless @redocly/cli is there already; it
// reports whether it installed.
func Install(dir string) (bool, error) {
	if _, err := os.Stat(cli(dir)); err == nil {
		return false, nil
	}
	cmd := exec.Command("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, os.Stderr, os.Stderr
	return true, cmd.Run()
}

// Lint runs `redocly lint` over the document at path with the committed configuration;
// any error or warning fails the test.
func Lint(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(cli(Dir())); err != nil {
		if os.Getenv("CI") == "true" {
			require.NoError(t, err, "@redocly/cli is not installed: run go run ./internal/redoclytest/install")
		}
		t.Skip("@redocly/cli is not installed: run go run ./internal/redoclytest/install to lint the OpenAPI document")
	}
	cmd := exec.Command("node", cli(Dir()), "lint", "--config", Config(), "--format", "stylish", "--max-problems", "1000", path)
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "redocly lint failed:\n%s", out)
	require.NotRegexp(t, `(?m)^\s+\d+:\d+\s+warning`, string(out), "redocly lint warned:\n%s", out)
}
