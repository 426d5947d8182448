// Package icaltest parses iCalendar documents in tests with an independent parser, ical.js
// (npm, pinned in js/package-lock.json), run by Node.js: the feed is checked by what a
// calendar application reads, not by Greenlight's own code. Install it once with
// `go run ./internal/icaltest/install` (.ci/run does); a missing install fails the test.
package icaltest

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Event is a VEVENT as ical.js reads it.
type Event struct {
	UID          string     `json:"uid"`
	Start        time.Time  `json:"start"`
	End          time.Time  `json:"end"`
	Summary      string     `json:"summary"`
	Description  string     `json:"description"`
	URL          string     `json:"url"`
	Sequence     int64      `json:"sequence"`
	LastModified *time.Time `json:"lastModified"`
	Status       string     `json:"status"`
	Categories   []string   `json:"categories"`
}

// Calendar is a parsed document; LineOctets are the lengths of its physical lines.
type Calendar struct {
	Name       string  `json:"name"`
	Events     []Event `json:"events"`
	LineOctets []int   `json:"lineOctets"`
}

// Dir is the directory of the Node package (package.json, package-lock.json).
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "js")
}

// Install runs `npm ci --ignore-scripts` in dir unless ical.js is there already; it
// reports whether it installed.
func Install(dir string) (bool, error) {
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "ical.js", "package.json")); err == nil {
		return false, nil
	}
	cmd := exec.Command("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, os.Stderr, os.Stderr
	return true, cmd.Run()
}

// Parse parses ics with ical.js; a document it rejects fails the test.
func Parse(t *testing.T, ics []byte) Calendar {
	t.Helper()
	_, err := os.Stat(filepath.Join(Dir(), "node_modules", "ical.js", "package.json"))
	require.NoError(t, err, "ical.js is not installed: run go run ./internal/icaltest/install")
	cmd := exec.Command("node", filepath.Join(Dir(), "parse.cjs"))
	cmd.Stdin = bytes.NewReader(ics)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "ical.js rejected the feed: %s\n%s", stderr.String(), ics)
	var c Calendar
	require.NoError(t, json.Unmarshal(out, &c))
	return c
}
