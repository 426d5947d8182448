package e2e

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/internal/proc"
)

// devProcess is `greenlight dev` running as a child process: restarts are only real in a
// new process (the embedded Temporal server keeps process-wide state).
type devProcess struct {
	*proc.Process
	URL  string
	Key  string
	addr string
}

// startDev runs `greenlight dev` on dir (and PostgreSQL dsn) and waits until it is ready.
// Pass the same addr to a restart so that links in earlier emails keep working.
func startDev(t *testing.T, dir, dsn, addr string) *devProcess {
	t.Helper()
	if addr == "" {
		addr = proc.FreeAddr(t)
	}
	p := &devProcess{addr: addr, URL: "http://" + addr, Key: "glk_e2e-admin"}
	p.Process = proc.Start(t, proc.Binary(t, ".."), filepath.Join(dir, "dev.log"), []string{
		"GREENLIGHT_DATABASE_URL=" + dsn, "GREENLIGHT_ADMIN_KEY=" + p.Key, "GREENLIGHT_TEMPORAL_PORT=" + portFile(t, dir),
		"GREENLIGHT_APPROVE_RATE_LIMIT=10000", "GREENLIGHT_LOG_LEVEL=warn",
		"GREENLIGHT_OUTBOUND_ALLOW=127.0.0.1", // posts' media_urls come from the tests' loopback image server
	}, "dev", "--addr", addr, "--data", dir)
	proc.WaitHTTP(t, p.URL+"/readyz", 60*time.Second, p.Process)
	return p
}

func (p *devProcess) stop() { p.Stop() }
func (p *devProcess) kill() { p.Kill() }

// portFile keeps one Temporal port per data dir, as a developer's fixed 7233 would be.
func portFile(t *testing.T, dir string) string {
	path := filepath.Join(dir, "test-temporal-port")
	if b, err := os.ReadFile(path); err == nil {
		return string(b)
	}
	_, port, err := net.SplitHostPort(proc.FreeAddr(t))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, []byte(port), 0o644))
	return port
}
