package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/internal/proc"
)

// waitUntil polls cond until it holds or the deadline passes.
func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAPIShutsDownGracefully runs `greenlight api` as a process (with `greenlight
// temporal` and a SQLite database) and sends it SIGTERM while a request is in flight
// (its body half sent): /readyz turns 503 first while the listener still serves, then the
// listener closes, and the request in flight still completes (201) before the process
// exits 0. Its /metrics listener answers meanwhile.
func TestAPIShutsDownGracefully(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes")
	}
	bin := proc.Binary(t, repoRoot)
	dir := t.TempDir()
	_, port, err := net.SplitHostPort(proc.FreeAddr(t))
	require.NoError(t, err)
	temporal := proc.Start(t, bin, filepath.Join(dir, "temporal.log"), nil, "temporal", "--data", dir, "--port", port)
	proc.WaitTCP(t, "127.0.0.1:"+port, 90*time.Second, temporal)

	addr, metricsAddr := proc.FreeAddr(t), proc.FreeAddr(t)
	env := []string{
		"GREENLIGHT_DATABASE_URL=" + filepath.Join(dir, "greenlight.db"),
		"GREENLIGHT_TEMPORAL_ADDRESS=127.0.0.1:" + port,
		"GREENLIGHT_ADDR=" + addr, "GREENLIGHT_METRICS_ADDR=" + metricsAddr,
		"GREENLIGHT_MEDIA_DIR=" + filepath.Join(dir, "media"),
		"GREENLIGHT_SHUTDOWN_DELAY=1s", "GREENLIGHT_SHUTDOWN_TIMEOUT=30s",
		"GREENLIGHT_SECRET_KEY=", "GREENLIGHT_LOG_LEVEL=info", "OTEL_EXPORTER_OTLP_ENDPOINT=",
	}
	run := func(args ...string) string {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%v: %s", args, out)
		return string(out)
	}
	run("migrate")
	m := regexp.MustCompile(`API key \(shown once\): (\S+)`).FindStringSubmatch(run("user", "create", "--email", "a@shutdown.test", "--name", "A", "--role", "admin"))
	require.NotNil(t, m)
	key := m[1]

	api := proc.Start(t, bin, filepath.Join(dir, "api.log"), env, "api")
	proc.WaitHTTP(t, "http://"+addr+"/readyz", 90*time.Second, api)

	// A request in flight: headers and half of the body sent.
	body := `{"name":"Brasserie Lumière","approvers":[{"name":"Ana","email":"ana@brand.test"}]}`
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST /api/v1/clients HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		addr, key, len(body), body[:len(body)/2])
	require.NoError(t, err)

	api.Signal(syscall.SIGTERM)
	noKeepAlive := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	waitUntil(t, 10*time.Second, "/readyz answers 503 after SIGTERM", func() bool {
		resp, err := noKeepAlive.Get("http://" + addr + "/readyz")
		require.NoError(t, err, "the listener stays open while /readyz says 503")
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == http.StatusServiceUnavailable {
			require.Contains(t, string(b), "draining")
			return true
		}
		return false
	})
	resp, err := noKeepAlive.Get("http://" + metricsAddr + "/metrics")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(b), `greenlight_http_requests_total{method="GET",route="/readyz",status="503"}`)

	waitUntil(t, 15*time.Second, "the listener closes after the delay", func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return true
		}
		c.Close()
		return false
	})
	require.True(t, api.Alive(), "the process waits for the request in flight")

	_, err = io.WriteString(conn, body[len(body)/2:])
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(20*time.Second)))
	answer, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "the request in flight gets its response\n%s", api.Logs())
	defer answer.Body.Close()
	require.Equal(t, http.StatusCreated, answer.StatusCode)
	var client struct{ ID, Name string }
	require.NoError(t, json.NewDecoder(answer.Body).Decode(&client))
	require.Equal(t, "Brasserie Lumière", client.Name)

	require.Equal(t, 0, api.ExitCode(), api.Logs())
	logs := api.Logs()
	require.Less(t, strings.Index(logs, "/readyz answers 503"), strings.Index(logs, "draining requests in flight"))
	require.Contains(t, logs, "api stopped")
}
