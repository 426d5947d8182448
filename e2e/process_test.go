package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary builds cmd/greenlight once per test run: restarts are only real in a new process
// (the embedded Temporal server keeps process-wide state).
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "greenlight-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "greenlight")
		cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", binPath, "./cmd/greenlight")
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("build greenlight: %v: %s", err, out)
		}
	})
	require.NoError(t, binErr)
	return binPath
}

// devProcess is `greenlight dev` running as a child process.
type devProcess struct {
	t     *testing.T
	cmd   *exec.Cmd
	URL   string
	Key   string
	addr  string
	tport string
	dir   string
	dsn   string
	logs  *os.File
}

// startDev runs `greenlight dev` on dir (and PostgreSQL dsn) and waits until it is ready.
// Pass the same addr to a restart so that links in earlier emails keep working.
func startDev(t *testing.T, dir, dsn, addr string) *devProcess {
	t.Helper()
	if addr == "" {
		addr = freeAddr(t)
	}
	tport := portFile(t, dir)
	logs, err := os.OpenFile(filepath.Join(dir, "dev.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	p := &devProcess{t: t, addr: addr, dir: dir, dsn: dsn, URL: "http://" + addr, Key: "glk_e2e-admin", logs: logs}
	p.cmd = exec.Command(binary(t), "dev", "--addr", addr, "--data", dir)
	p.cmd.Env = append(os.Environ(),
		"GREENLIGHT_DATABASE_URL="+dsn, "GREENLIGHT_ADMIN_KEY="+p.Key, "GREENLIGHT_TEMPORAL_PORT="+tport,
		"GREENLIGHT_APPROVE_RATE_LIMIT=10000", "GREENLIGHT_LOG_LEVEL=warn")
	p.cmd.Stdout, p.cmd.Stderr = logs, logs
	require.NoError(t, p.cmd.Start())
	t.Cleanup(func() { p.kill() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(p.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "dev.log"))
			t.Fatalf("greenlight dev did not become ready: %s", log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits: a graceful shutdown.
func (p *devProcess) stop() {
	p.t.Helper()
	if p.cmd.ProcessState != nil {
		return
	}
	require.NoError(p.t, p.cmd.Process.Signal(syscall.SIGTERM))
	_ = p.cmd.Wait()
}

// kill sends SIGKILL: a crash.
func (p *devProcess) kill() {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// portFile keeps one Temporal port per data dir, as a developer's fixed 7233 would be.
func portFile(t *testing.T, dir string) string {
	path := filepath.Join(dir, "test-temporal-port")
	if b, err := os.ReadFile(path); err == nil {
		return string(b)
	}
	_, port, err := net.SplitHostPort(freeAddr(t))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, []byte(port), 0o644))
	return port
}
