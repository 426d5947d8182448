// Package testdb gives tests real databases: a fresh PostgreSQL database per test (on
// GREENLIGHT_TEST_DATABASE_URL, or on a throwaway cluster started from the local
// PostgreSQL binaries) and SQLite files. Without either PostgreSQL source a test fails:
// it never skips.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" database/sql driver for admin statements

	"github.com/greenlight/greenlight/store"
)

// EnvURL names the variable pointing tests at an existing PostgreSQL server
// (a URL whose user may create databases).
const EnvURL = "GREENLIGHT_TEST_DATABASE_URL"

var (
	shared     *Cluster
	sharedErr  error
	sharedOnce sync.Once
)

// Main runs a package's tests and stops the shared cluster afterwards; call it from
// TestMain: func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }.
func Main(m interface{ Run() int }) int {
	code := m.Run()
	if shared != nil {
		shared.Stop()
	}
	return code
}

// ServerURL returns the URL of a PostgreSQL server for tests, starting the shared
// throwaway cluster on first use.
func ServerURL(t testing.TB) string {
	t.Helper()
	u, err := serverURL()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func serverURL() (string, error) {
	if u := os.Getenv(EnvURL); u != "" {
		return u, nil
	}
	sharedOnce.Do(func() { shared, sharedErr = StartCluster() })
	if sharedErr != nil {
		return "", fmt.Errorf("PostgreSQL is required for this test: set %s or install PostgreSQL server binaries (initdb, pg_ctl): %w", EnvURL, sharedErr)
	}
	return shared.URL("postgres"), nil
}

// PostgresURL creates a fresh, empty database for this test and drops it at cleanup.
func PostgresURL(t testing.TB) string {
	t.Helper()
	dsn, drop, err := NewDatabase()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	return dsn
}

// NewDatabase creates a fresh, empty database and returns its URL and a function that
// drops it; for TestMain, where there is no *testing.T.
func NewDatabase() (string, func(), error) {
	server, err := serverURL()
	if err != nil {
		return "", nil, err
	}
	name := "t_" + randomHex(8)
	admin, err := sql.Open("pgx", server)
	if err != nil {
		return "", nil, fmt.Errorf("connect to test PostgreSQL: %w", err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		return "", nil, fmt.Errorf("create test database: %w", err)
	}
	drop := func() {
		admin, err := sql.Open("pgx", server)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	}
	u, err := url.Parse(server)
	if err != nil {
		return "", nil, fmt.Errorf("test database URL: %w", err)
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}

// Shared returns the shared throwaway cluster, nil when tests use EnvURL instead.
func Shared() *Cluster { return shared }

// SQLitePath returns a path for a fresh SQLite database in the test's temp dir.
func SQLitePath(t testing.TB) string {
	return filepath.Join(t.TempDir(), "greenlight.db")
}

// Open opens and migrates a store on dsn, closing it at cleanup.
func Open(t testing.TB, dsn string) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

// Each runs f once on a fresh PostgreSQL store and once on a fresh SQLite store, as
// subtests named "postgres" and "sqlite".
func Each(t *testing.T, f func(t *testing.T, s *store.Store)) {
	t.Run("postgres", func(t *testing.T) { f(t, Open(t, PostgresURL(t))) })
	t.Run("sqlite", func(t *testing.T) { f(t, Open(t, SQLitePath(t))) })
}

// Cluster is a PostgreSQL server started from the local binaries in a temp directory.
type Cluster struct {
	dir    string
	bin    string
	port   int
	asUser string // run the server as this user when we are root (initdb refuses root)
}

// StartCluster initialises and starts a throwaway cluster on a free loopback port.
func StartCluster() (*Cluster, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "greenlight-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		c.asUser = "postgres"
		u, err := user.Lookup(c.asUser)
		if err != nil {
			return nil, fmt.Errorf("running as root needs the %q system user: %w", c.asUser, err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chmod(dir, 0o755); err != nil {
			return nil, err
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	if out, err := c.run("initdb", "-D", c.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	c.port = port
	if err := c.Start(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// URL returns the URL of a database on this cluster.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// Start starts the server (again) and waits until it accepts connections.
func (c *Cluster) Start() error {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300", c.port, c.dir)
	out, err := c.run("pg_ctl", "start", "-w", "-t", "60", "-D", c.data(), "-l", filepath.Join(c.dir, "server.log"), "-o", opts)
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		return fmt.Errorf("pg_ctl start: %v: %s\n%s", err, out, log)
	}
	return nil
}

// StopServer stops the server but keeps its data, so Start can bring it back.
func (c *Cluster) StopServer() error {
	out, err := c.run("pg_ctl", "stop", "-w", "-m", "fast", "-D", c.data())
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	return nil
}

// Stop stops the server and deletes its files.
func (c *Cluster) Stop() {
	_, _ = c.run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", c.data())
	_ = os.RemoveAll(c.dir)
}

func (c *Cluster) run(tool string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, tool)
	var cmd *exec.Cmd
	if c.asUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

// findBin locates the directory holding initdb and pg_ctl: PATH first, then the newest
// /usr/lib/postgresql/*/bin.
func findBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("no initdb/pg_ctl on PATH or in /usr/lib/postgresql/*/bin")
}

func versionOf(dir string) int {
	v, _ := strconv.Atoi(strings.Split(strings.TrimPrefix(dir, "/usr/lib/postgresql/"), "/")[0])
	return v
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
