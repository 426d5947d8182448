// Package pdstest gives tests a real Bluesky PDS: the reference implementation
// (@atproto/pds, run by Node) with the PLC directory it registers accounts with
// (@did-plc/server on its in-memory database), both on 127.0.0.1, with their data in a
// temporary directory, stopped at cleanup. The Node side lives in ./pds; its packages are
// installed with `npm ci` on first use (or by .ci/run). Without Node ≥ 20 or npm, or when
// the install fails, a test fails with the reason: it never skips.
package pdstest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// EnvLog set to "1" makes the PDS log to the test's stderr.
const EnvLog = "GREENLIGHT_PDSTEST_LOG"

// startTimeout bounds the wait for both servers to listen.
const startTimeout = 2 * time.Minute

// installTimeout bounds npm ci plus the better-sqlite3 build.
const installTimeout = 20 * time.Minute

// PDS is a running test PDS.
type PDS struct {
	// URL is the PDS's base URL, http://127.0.0.1:<port>; XRPC lives under /xrpc/.
	URL string
	// PLC is the PLC directory's base URL.
	PLC string

	// AdminPassword is the PDS's admin password (HTTP basic auth "admin").
	AdminPassword string
	// JWTSecret is the HS256 key of the PDS's session tokens: tests use it to forge an
	// expired access token.
	JWTSecret string

	cmd    *exec.Cmd
	stdin  io.WriteCloser
	done   chan struct{}
	stderr *proc.TailBuffer
}

// Account is an account created on the test PDS.
type Account struct {
	DID      string
	Handle   string // ends in .test
	Password string // the account password; works with createSession like an app password
	Email    string
}

// Dir returns the directory of the Node side (package.json, index.js, node_modules).
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "pds")
}

// Start starts a PDS for this test and stops it at cleanup. It installs the Node packages
// first if they are missing (minutes, once per checkout).
func Start(t testing.TB) *PDS {
	t.Helper()
	began := time.Now()
	installed, err := Install(Dir())
	if err != nil {
		t.Fatalf("pdstest: a real Bluesky PDS is required for this test and could not be installed: %v", err)
	}
	if installed {
		t.Logf("pdstest: installed the Node packages in %s", time.Since(began).Round(time.Second))
	}
	began = time.Now()
	p, err := start(Dir())
	if err != nil {
		t.Fatalf("pdstest: a real Bluesky PDS is required for this test and could not start: %v", err)
	}
	t.Logf("pdstest: PDS %s (PLC %s) listening after %s", p.URL, p.PLC, time.Since(began).Round(time.Millisecond))
	t.Cleanup(p.Stop)
	return p
}

func start(dir string) (*PDS, error) {
	data, err := os.MkdirTemp("", "greenlight-pds-")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cmd := exec.Command("node", "index.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PDSTEST_DATA_DIR="+data)
	if os.Getenv(EnvLog) == "1" {
		cmd.Env = append(cmd.Env, "PDSTEST_LOG=1")
	}
	stderr := &proc.TailBuffer{Max: 16 << 10}
	if os.Getenv(EnvLog) == "1" {
		cmd.Stderr = io.MultiWriter(stderr, os.Stderr)
	} else {
		cmd.Stderr = stderr
	}
	stdin, err := cmd.StdinPipe() // closing it (or our exit) stops the servers
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(data)
		return nil, fmt.Errorf("starting node: %w", err)
	}
	p := &PDS{cmd: cmd, stdin: stdin, done: make(chan struct{}), stderr: stderr}
	go func() {
		_ = cmd.Wait()
		os.RemoveAll(data)
		close(p.done)
	}()

	type ready struct {
		URL           string `json:"url"`
		PLC           string `json:"plc"`
		AdminPassword string `json:"admin_password"`
		JWTSecret     string `json:"jwt_secret"`
	}
	line := make(chan ready, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			var r ready
			if json.Unmarshal(sc.Bytes(), &r) == nil && r.URL != "" {
				line <- r
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case r := <-line:
		p.URL, p.PLC, p.AdminPassword, p.JWTSecret = r.URL, r.PLC, r.AdminPassword, r.JWTSecret
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("the PDS exited before it listened: %s", strings.TrimSpace(stderr.String()))
	case <-ctx.Done():
		p.Stop()
		return nil, fmt.Errorf("the PDS did not listen within %s: %s", startTimeout, strings.TrimSpace(stderr.String()))
	}
}

// Stop stops the servers and removes their data; safe to call twice.
func (p *PDS) Stop() {
	_ = p.stdin.Close()
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// CreateAccount creates an account (com.atproto.server.createAccount; no invite code) with a
// fresh handle "<prefix>-<random>.test" (prefix cut to 9 characters: the PDS allows 18
// before ".test") and password, and returns them.
func (p *PDS) CreateAccount(t testing.TB, prefix string) Account {
	t.Helper()
	a, err := p.createAccount(prefix)
	if err != nil {
		t.Fatalf("pdstest: createAccount: %v", err)
	}
	return a
}

func (p *PDS) createAccount(prefix string) (Account, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Account{}, err
	}
	suffix := hex.EncodeToString(b[:])
	if len(prefix) > 9 {
		prefix = prefix[:9]
	}
	a := Account{
		Handle:   prefix + "-" + suffix + ".test",
		Email:    prefix + "-" + suffix + "@example.com",
		Password: "pw-" + suffix + "-" + suffix,
	}
	body, _ := json.Marshal(map[string]string{"handle": a.Handle, "email": a.Email, "password": a.Password})
	resp, err := http.Post(p.URL+"/xrpc/com.atproto.server.createAccount", "application/json", bytes.NewReader(body))
	if err != nil {
		return Account{}, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return Account{}, fmt.Errorf("HTTP %d: %s", resp.StatusCode, out)
	}
	var r struct {
		DID    string `json:"did"`
		Handle string `json:"handle"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return Account{}, err
	}
	a.DID, a.Handle = r.DID, r.Handle
	return a, nil
}

var installMu sync.Mutex

// Install makes sure the Node packages in dir are installed: `npm ci --ignore-scripts`,
// then the one native build they need, `npm rebuild better-sqlite3` (npm 11 runs no install
// scripts by default, so it is run explicitly). A marker holding the lockfile's content
// skips the work when nothing changed. Concurrent test processes wait on a file lock.
// installed reports whether this call did the install.
func Install(dir string) (installed bool, err error) {
	if err := checkNode(); err != nil {
		return false, err
	}
	lock, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return false, fmt.Errorf("reading the lockfile: %w", err)
	}
	marker := filepath.Join(dir, "node_modules", ".greenlight-installed")
	done := func() bool {
		m, err := os.ReadFile(marker)
		if err != nil || !bytes.Equal(m, lock) {
			return false
		}
		_, err = os.Stat(filepath.Join(dir, "node_modules", "better-sqlite3", "build", "Release", "better_sqlite3.node"))
		return err == nil
	}

	installMu.Lock()
	defer installMu.Unlock()
	if done() {
		return false, nil
	}
	unlock, err := proc.LockFile(filepath.Join(dir, ".install.lock"))
	if err != nil {
		return false, err
	}
	defer unlock()
	if done() { // another process finished while we waited
		return false, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	for _, args := range [][]string{
		{"ci", "--ignore-scripts", "--no-audit", "--no-fund"},
		{"rebuild", "better-sqlite3"},
	} {
		cmd := exec.CommandContext(ctx, "npm", args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			return false, fmt.Errorf("npm %s in %s failed (needs the npm registry, g++, make and python3 for better-sqlite3): %v\n%s",
				strings.Join(args, " "), dir, err, proc.Tail(out, 4000))
		}
	}
	return true, os.WriteFile(marker, lock, 0o644)
}

// checkNode fails unless node ≥ 20 and npm are on PATH.
func checkNode() error {
	out, err := exec.Command("node", "--version").Output()
	if err != nil {
		return fmt.Errorf("Node.js ≥ 20 is required for the Bluesky PDS tests (node not found: %v)", err)
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	major, _ := strconv.Atoi(strings.SplitN(v, ".", 2)[0])
	if major < 20 {
		return fmt.Errorf("Node.js ≥ 20 is required for the Bluesky PDS tests; found %s", strings.TrimSpace(string(out)))
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return errors.New("npm is required for the Bluesky PDS tests (npm not found)")
	}
	return nil
}
