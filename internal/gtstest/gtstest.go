// Package gtstest gives tests a real Mastodon-API server: GoToSocial's test rig
// (`gotosocial testrig start`, build tag debugenv), on 127.0.0.1, with its in-memory
// database and storage seeded with the rig's accounts and tokens, stopped at cleanup.
//
// GoToSocial (AGPL) is built from its module, pinned in the separate tools module
// ./server (go.mod, go.sum), so that neither its licence nor its dependencies enter
// Greenlight's go.mod: Build copies the module source into a cache directory and builds
// the binary there (minutes, once per machine; .ci/run does it with
// `go run ./internal/gtstest/install`). When it cannot be built or started, a test fails
// with the reason: it never skips.
package gtstest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/greenlight/greenlight/internal/proc"
)

// Version is the GoToSocial release the harness builds.
const Version = "v0.18.3"

// Module is GoToSocial's module path.
const Module = "github.com/superseriousbusiness/gotosocial"

// EnvDir overrides where the source copy and the binary are kept.
const EnvDir = "GREENLIGHT_GTS_DIR"

// EnvLog set to "1" makes the server log to the test's stderr.
const EnvLog = "GREENLIGHT_GTSTEST_LOG"

const (
	startTimeout = 3 * time.Minute
	buildTimeout = 30 * time.Minute
)

// Seeded test rig data: the local account "the_mighty_zork" (user zork@example.org,
// password "password") and its access token (scopes read write follow push).
const (
	ZorkEmail    = "zork@example.org"
	ZorkPassword = "password"
	ZorkUsername = "the_mighty_zork"
	ZorkToken    = "NZAZOTC0OWITMDU0NC0ZODG4LWE4NJITMWUXM2M4MTRHZDEX"
)

// Server is a running test rig.
type Server struct {
	// URL is the base URL, http://127.0.0.1:<port>.
	URL string

	cmd    *exec.Cmd
	done   chan struct{}
	stderr *proc.TailBuffer
}

// CacheDir is where the source copy (src/) and the binary are kept: $GREENLIGHT_GTS_DIR,
// or <user cache dir>/greenlight/gotosocial-<version>.
func CacheDir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return filepath.Abs(d)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("gtstest: no cache directory (set %s): %w", EnvDir, err)
	}
	return filepath.Join(base, "greenlight", "gotosocial-"+Version), nil
}

// toolsModule is the directory of the tools module pinning GoToSocial.
func toolsModule() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "server")
}

func binary(dir string) string { return filepath.Join(dir, "gotosocial") }

var buildMu sync.Mutex

// Build makes sure the binary exists in CacheDir, building it if not, and returns the
// directory and whether it built it. Progress goes to log.
func Build(ctx context.Context, log io.Writer) (dir string, built bool, err error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	dir, err = CacheDir()
	if err != nil {
		return "", false, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", false, err
	}
	unlock, err := proc.LockFile(filepath.Join(dir, ".lock"))
	if err != nil {
		return "", false, err
	}
	defer unlock()
	if _, err := os.Stat(binary(dir)); err == nil {
		return dir, false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()

	// 1. Download the pinned module (verified against the tools module's go.sum).
	began := time.Now()
	out, err := goCmd(ctx, toolsModule(), "mod", "download", "-json", Module+"@"+Version)
	if err != nil {
		return "", false, fmt.Errorf("gtstest: go mod download %s@%s: %w\n%s", Module, Version, err, proc.Tail(out, 2000))
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		return "", false, fmt.Errorf("gtstest: go mod download: no module directory (%s)", mod.Error)
	}
	fmt.Fprintf(log, "gtstest: module downloaded in %s\n", time.Since(began).Round(time.Second))

	// 2. Copy it (the module cache is read-only; GoToSocial's own go.mod, with its replace
	// directives, must be the main module) and build the test rig.
	src := filepath.Join(dir, "src")
	_ = os.RemoveAll(src)
	if err := copyTree(mod.Dir, src); err != nil {
		return "", false, fmt.Errorf("gtstest: copy source: %w", err)
	}
	_ = os.RemoveAll(filepath.Join(src, "vendor")) // only modules.txt survives in module zips
	began = time.Now()
	tmp := binary(dir) + ".tmp"
	out, err = goCmd(ctx, src, "build", "-trimpath", "-tags", "debugenv netgo osusergo", "-o", tmp, "./cmd/gotosocial")
	if err != nil {
		return "", false, fmt.Errorf("gtstest: go build: %w\n%s", err, proc.Tail(out, 4000))
	}
	if err := os.Rename(tmp, binary(dir)); err != nil {
		return "", false, err
	}
	fmt.Fprintf(log, "gtstest: GoToSocial %s built in %s\n", Version, time.Since(began).Round(time.Second))
	return dir, true, nil
}

// goCmd runs the go command in dir: CGO off (GoToSocial's SQLite and ffmpeg are WASM),
// module mode (its vendor directory is not in the module zip), and no checksum database
// for the two modules sum.golang.org does not list (go.sum still verifies them).
func goCmd(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOWORK=off",
		"GONOSUMDB=github.com/superseriousbusiness,gitlab.com/NyaaaWhatsUpDoc")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

func copyTree(from, to string) error {
	return filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		target := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// Start starts a test rig for this test and stops it at cleanup, building GoToSocial
// first if needed. It fails the test, never skips, when it cannot.
func Start(t testing.TB) *Server {
	t.Helper()
	began := time.Now()
	dir, built, err := Build(context.Background(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if built {
		t.Logf("gtstest: built GoToSocial %s in %s", Version, time.Since(began).Round(time.Second))
	}
	var s *Server
	for attempt := 0; ; attempt++ {
		s, err = start(dir, os.Getenv(EnvLog) == "1")
		if err == nil || attempt == 2 || !errors.Is(err, errPortTaken) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

var errPortTaken = errors.New("port taken")

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func start(dir string, verbose bool) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(binary(dir), "testrig", "start")
	cmd.Dir = filepath.Join(dir, "src") // the rig reads ./testrig/media and ./web/template
	cmd.Env = append(os.Environ(),
		"GTS_PORT="+strconv.Itoa(port),
		"GTS_BIND_ADDRESS=127.0.0.1",
		"GTS_WAZERO_COMPILATION_CACHE="+filepath.Join(dir, "wazero"),
	)
	stderr := &proc.TailBuffer{Max: 16 << 10}
	var w io.Writer = stderr
	if verbose {
		w = io.MultiWriter(stderr, os.Stderr)
	}
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("gtstest: start %s: %w", binary(dir), err)
	}
	s := &Server{URL: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, done: make(chan struct{}), stderr: stderr}
	go func() { _ = cmd.Wait(); close(s.done) }()

	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(startTimeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-s.done:
			out := stderr.String()
			if strings.Contains(out, "address already in use") {
				return nil, fmt.Errorf("gtstest: %w: %s", errPortTaken, proc.Tail([]byte(out), 500))
			}
			return nil, fmt.Errorf("gtstest: the test rig exited before it was ready: %s\n%s", cmd.ProcessState, proc.Tail([]byte(out), 4000))
		case <-tick.C:
		}
		resp, err := hc.Get(s.URL + "/api/v1/instance")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("gtstest: the test rig was not ready after %s\n%s", startTimeout, proc.Tail([]byte(stderr.String()), 4000))
		}
	}
}

// Stop stops the server (SIGTERM, then SIGKILL after 10 s) and waits for it.
func (s *Server) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// Log returns the end of the server's output.
func (s *Server) Log() string { return s.stderr.String() }

// Status is a status as the Mastodon API returns it, with what tests check.
type Status struct {
	ID      string `json:"id"`
	URL     string `json:"url"`
	Content string `json:"content"`
	Media   []struct {
		Type        string `json:"type"`
		Description string `json:"description"`
	} `json:"media_attachments"`
}

// Statuses reads the latest statuses (at most 40) of the token's account through the
// Mastodon API of the server at base.
func Statuses(t testing.TB, base, token string) []Status {
	t.Helper()
	get := func(path string, out any) {
		req, err := http.NewRequest("GET", base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	var me struct {
		ID string `json:"id"`
	}
	get("/api/v1/accounts/verify_credentials", &me)
	var out []Status
	get("/api/v1/accounts/"+me.ID+"/statuses?limit=40", &out)
	return out
}
