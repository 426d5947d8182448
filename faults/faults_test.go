// Package faults runs Greenlight's production topology — a Temporal server, `greenlight
// api` and `greenlight worker` as separate processes on a real PostgreSQL — and breaks it
// on purpose: SIGKILL of the worker and of the API in the middle of in-flight posts, and a
// PostgreSQL restart. Every post must still reach its final state, with exactly one
// publication and one email per idempotency key.
package faults

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/internal/proc"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/store"
)

// stack is the production topology on loopback.
type stack struct {
	t        *testing.T
	dir      string
	cluster  *testdb.Cluster
	dsn      string
	bin      string
	env      []string
	temporal *proc.Process
	api      *proc.Process
	worker   *proc.Process
	url      string
	admin    string
	store    *store.Store
}

func newStack(t *testing.T) *stack {
	t.Helper()
	cluster, err := testdb.StartCluster()
	require.NoError(t, err, "PostgreSQL server binaries are required (initdb, pg_ctl)")
	t.Cleanup(cluster.Stop)
	admin, err := sql.Open("pgx", cluster.URL("postgres"))
	require.NoError(t, err)
	_, err = admin.Exec("CREATE DATABASE greenlight")
	require.NoError(t, err)
	admin.Close()

	s := &stack{t: t, dir: t.TempDir(), cluster: cluster, dsn: cluster.URL("greenlight"), bin: proc.Binary(t, "..")}
	temporalAddr := proc.FreeAddr(t)
	_, port, _ := strings.Cut(temporalAddr, ":")
	s.temporal = proc.Start(t, s.bin, filepath.Join(s.dir, "temporal.log"), nil, "temporal", "--data", s.dir, "--port", port)
	proc.WaitTCP(t, temporalAddr, 60*time.Second, s.temporal)

	addr := proc.FreeAddr(t)
	s.url = "http://" + addr
	s.env = []string{
		"GREENLIGHT_DATABASE_URL=" + s.dsn, "GREENLIGHT_TEMPORAL_ADDRESS=" + temporalAddr, "GREENLIGHT_ADDR=" + addr,
		"GREENLIGHT_PUBLIC_URL=" + s.url, "GREENLIGHT_SMTP_URL=catcher", "GREENLIGHT_APPROVE_RATE_LIMIT=1000000",
		"GREENLIGHT_LOG_LEVEL=warn", "GREENLIGHT_OUTBOUND_ALLOW=127.0.0.1", // the webhook receiver is an httptest server
	}
	s.run("migrate")
	out := s.run("user", "create", "--email", "admin@faults.test", "--name", "Admin", "--role", "admin")
	m := regexp.MustCompile(`API key \(shown once\): (\S+)`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	s.admin = m[1]

	s.api = proc.Start(t, s.bin, filepath.Join(s.dir, "api.log"), s.env, "api")
	s.worker = proc.Start(t, s.bin, filepath.Join(s.dir, "worker.log"), s.env, "worker")
	proc.WaitHTTP(t, s.url+"/readyz", 60*time.Second, s.api)

	ctx := context.Background()
	s.store, err = store.Open(ctx, s.dsn)
	require.NoError(t, err)
	t.Cleanup(func() { s.store.Close() })
	return s
}

// run runs a one-shot greenlight command and returns its output.
func (s *stack) run(args ...string) string {
	s.t.Helper()
	cmd := exec.Command(s.bin, args...)
	cmd.Env = append(os.Environ(), s.env...)
	out, err := cmd.CombinedOutput()
	require.NoError(s.t, err, "greenlight %v: %s", args, out)
	return string(out)
}

type reply struct {
	status int
	body   []byte
}

// call sends one request; a transport error (process down) is status 0.
func (s *stack) call(method, path, key string, body any) reply {
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	if strings.HasPrefix(path, "/") {
		path = s.url + path
	}
	req, _ := http.NewRequest(method, path, rd)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Accept", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	c := &http.Client{Timeout: 45 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return reply{}
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, data}
}

// retry repeats a request while the stack is down (no answer, 5xx) and returns the first
// real answer. 5xx answers must carry a JSON error with a message: failing cleanly.
func (s *stack) retry(method, path, key string, body any) reply {
	s.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		r := s.call(method, path, key, body)
		if r.status >= 500 {
			var e struct {
				Error struct{ Code, Message string }
			}
			require.NoError(s.t, json.Unmarshal(r.body, &e), "a %d is JSON: %s", r.status, r.body)
			require.NotEmpty(s.t, e.Error.Message, "a %d says why", r.status)
		}
		if r.status != 0 && r.status < 500 {
			return r
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s %s: no answer for 3 minutes (last %d %s)", method, path, r.status, r.body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (s *stack) must(method, path, key string, body any, out any, ok ...int) {
	s.t.Helper()
	r := s.retry(method, path, key, body)
	require.Contains(s.t, ok, r.status, "%s %s: %s", method, path, r.body)
	if out != nil {
		require.NoError(s.t, json.Unmarshal(r.body, out))
	}
}

// receiver is the client's publishing webhook: it counts deliveries per idempotency key.
type receiver struct {
	mu   sync.Mutex
	keys map[string]int
}

func newReceiver(t *testing.T) (*receiver, string) {
	r := &receiver{keys: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.keys[req.Header.Get("Idempotency-Key")]++
		r.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	return r, srv.URL
}

func (r *receiver) snapshot() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.keys {
		out[k] = v
	}
	return out
}

type fixture struct {
	client, approver string
	editor, reviewer string
	hook             *receiver
}

func (s *stack) fixture() fixture {
	s.t.Helper()
	hook, hookURL := newReceiver(s.t)
	f := fixture{approver: "approver@brand.test", hook: hook}
	var c struct{ ID string }
	s.must("POST", "/api/v1/clients", s.admin, map[string]any{"name": "Brand", "digest_window": "0s", "webhook_url": hookURL,
		"approvers": []map[string]string{{"name": "Approver", "email": f.approver}}}, &c, 201)
	f.client = c.ID
	for _, u := range []struct {
		role string
		key  *string
	}{{"editor", &f.editor}, {"reviewer", &f.reviewer}} {
		var out struct {
			APIKey string `json:"api_key"`
		}
		s.must("POST", "/api/v1/users", s.admin, map[string]any{"email": u.role + "@agency.test", "name": u.role, "role": u.role}, &out, 201)
		*u.key = out.APIKey
	}
	return f
}

var linkRE = regexp.MustCompile(`https?://\S+/approve/[A-Za-z0-9_\-]+`)

// drive takes one post from draft to scheduled-soon, retrying through outages. A 409
// after a retry means the first attempt went through.
func (s *stack) drive(f fixture, id string) {
	s.t.Helper()
	s.must("POST", "/api/v1/posts/"+id+"/submit", f.editor, nil, nil, 200, 409)
	s.must("POST", "/api/v1/posts/"+id+"/review", f.reviewer, map[string]any{"version": 1, "decision": "approve"}, nil, 200, 409)
	var link string
	deadline := time.Now().Add(3 * time.Minute)
	for link == "" {
		ms, err := s.store.DevMails(context.Background(), f.approver, id, 10)
		if err == nil {
			for _, m := range ms {
				link = linkRE.FindString(m.TextBody)
			}
		}
		require.True(s.t, time.Now().Before(deadline), "the approval email of %s", id)
		time.Sleep(100 * time.Millisecond)
	}
	s.must("POST", link, "", url.Values{"decision": {"approve"}}, nil, 200, 409, 410)
	s.must("PATCH", "/api/v1/posts/"+id, f.editor, map[string]any{"publish_at": time.Now().Add(20 * time.Second).UTC().Format(time.RFC3339Nano)}, nil, 200)
}

func (s *stack) createPosts(f fixture, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		var p struct{ ID string }
		s.must("POST", "/api/v1/posts", f.editor, map[string]any{"client_id": f.client, "title": fmt.Sprintf("Post %d", i),
			"body": "Fault test", "channels": []string{"instagram"}, "publish_at": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)}, &p, 201)
		ids[i] = p.ID
	}
	return ids
}

// driveAll drives every post with 16 at a time; at each fraction of progress in faults,
// it calls the fault once.
func (s *stack) driveAll(f fixture, ids []string, faults map[float64]func()) {
	var next, done atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	fired := map[float64]bool{}
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ids) {
					return
				}
				s.drive(f, ids[i])
				progress := float64(done.Add(1)) / float64(len(ids))
				mu.Lock()
				for at, fault := range faults {
					if progress >= at && !fired[at] {
						fired[at] = true
						go fault()
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// checkOutcome waits for every post to be published, then checks one publication per
// post and one email per idempotency key.
func (s *stack) checkOutcome(f fixture, ids []string) {
	s.t.Helper()
	for _, id := range ids {
		deadline := time.Now().Add(3 * time.Minute)
		for {
			var p struct{ Status string }
			s.must("GET", "/api/v1/posts/"+id, f.editor, nil, &p, 200)
			if p.Status == "published" {
				break
			}
			require.Contains(s.t, []string{"scheduled", "awaiting_client"}, p.Status, "post %s", id)
			require.True(s.t, time.Now().Before(deadline), "post %s still %s", id, p.Status)
			time.Sleep(300 * time.Millisecond)
		}
	}
	got := f.hook.snapshot()
	deliveries := 0
	for _, id := range ids {
		key := "post/" + id + "/v1/publish/instagram"
		require.Positive(s.t, got[key], "post %s was published through the webhook", id)
		deliveries += got[key]
	}
	require.Len(s.t, got, len(ids), "exactly one publication (one idempotency key) per post")
	s.t.Logf("webhook: %d posts, %d deliveries (a delivery repeats only when a worker dies between the webhook's answer and the record)", len(ids), deliveries)

	mails, err := s.store.CountDevMailsByKey(context.Background())
	require.NoError(s.t, err)
	for _, id := range ids {
		require.Equal(s.t, 1, mails["post/"+id+"/v1/r1/client-request/"+f.approver], "one approval email for %s", id)
	}
	for key, n := range mails {
		require.Equal(s.t, 1, n, "email %s", key)
	}
}

func TestKillWorkerThenAPIMidFlight(t *testing.T) {
	s := newStack(t)
	f := s.fixture()
	ids := s.createPosts(f, 200)
	kills := map[float64]func(){
		0.25: func() {
			s.worker.Kill()
			time.Sleep(2 * time.Second)
			s.worker.Restart()
		},
		0.6: func() {
			s.api.Kill()
			time.Sleep(time.Second)
			s.api.Restart()
		},
	}
	s.driveAll(f, ids, kills)
	s.checkOutcome(f, ids)
	require.Equal(t, 2, s.worker.Starts, "the worker was killed and restarted")
	require.Equal(t, 2, s.api.Starts, "the API was killed and restarted")
}

func TestPostgresRestartMidFlight(t *testing.T) {
	s := newStack(t)
	f := s.fixture()
	ids := s.createPosts(f, 60)
	var outage sync.WaitGroup
	outage.Add(1)
	restart := map[float64]func(){0.3: func() {
		defer outage.Done()
		require.NoError(t, s.cluster.StopServer())
		// While the database is down: clean errors, no crash.
		for path, says := range map[string]string{
			"/api/v1/posts/" + ids[0]: `"code":"unavailable"`,
			"/readyz":                 `"database":"fail"`,
		} {
			r := s.call("GET", path, f.editor, nil)
			assert.Equal(t, http.StatusServiceUnavailable, r.status, "%s while PostgreSQL is down: %s", path, r.body)
			assert.Contains(t, string(r.body), says, "%s while PostgreSQL is down", path)
		}
		// assert, not require: this runs in the driver's goroutine, and the database must be
		// started again whatever was seen while it was down.
		r := s.call("POST", "/api/v1/posts/"+ids[len(ids)-1]+"/submit", f.editor, nil)
		assert.Equal(t, http.StatusServiceUnavailable, r.status, "%s", r.body)
		time.Sleep(3 * time.Second)
		assert.True(t, s.api.Alive(), "the API survives the outage")
		assert.True(t, s.worker.Alive(), "the worker survives the outage")
		assert.NoError(t, s.cluster.Start())
	}}
	s.driveAll(f, ids, restart)
	outage.Wait()
	s.checkOutcome(f, ids)
}
