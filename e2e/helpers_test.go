// Package e2e drives Greenlight over real HTTP: the dev stack (embedded Temporal server,
// worker, Fiber API) on a real PostgreSQL database.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"

	"github.com/greenlight/greenlight/devstack"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/outbound"
)

var record = flag.Bool("record", false, "write the histories of the scenario workflows to workflows/testdata")

var stack *devstack.Stack

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(testdb.Main(&stackMain{m}))
}

// stackMain starts one dev stack on a fresh PostgreSQL database for the package.
type stackMain struct{ m *testing.M }

func (s *stackMain) Run() int {
	if os.Getenv("E2E_NO_SHARED") != "" {
		return contractMain(s.m.Run)
	}
	code, err := withStack(func() int { return contractMain(s.m.Run) })
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	return code
}

func withStack(run func() int) (int, error) {
	dsn, drop, err := testdb.NewDatabase()
	if err != nil {
		return 0, err
	}
	defer drop()
	dir, err := os.MkdirTemp("", "greenlight-e2e-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	stack, err = startStack(dir, dsn)
	if err != nil {
		return 0, err
	}
	defer func() { stack.Stop() }()
	return run(), nil
}

func startStack(dir, dsn string) (*devstack.Stack, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return devstack.Start(ctx, devstack.Config{
		Addr: "127.0.0.1:0", DataDir: dir, DatabaseURL: dsn, AdminKey: "glk_e2e-admin",
		ApproveRateLimit: 10000, Agency: "Agence Lumen",
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Outbound: loopbackReceivers,
	})
}

// loopbackReceivers lets the stack reach the tests' webhook receivers (httptest servers on
// 127.0.0.1), as GREENLIGHT_OUTBOUND_ALLOW=127.0.0.1 does for a process.
var loopbackReceivers = func() *outbound.Policy {
	p, err := outbound.ParsePolicy("127.0.0.1")
	if err != nil {
		panic(err)
	}
	return p
}()

// api is a JSON client for one staff user.
type api struct {
	t    *testing.T
	base string
	key  string
}

func adminAPI(t *testing.T) *api { return &api{t: t, base: stack.URL, key: stack.AdminKey} }

type response struct {
	Status int
	Body   []byte
	Header http.Header
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m), "body: %s", r.Body)
	return m
}

func (r response) errCode(t *testing.T) string {
	t.Helper()
	e, ok := r.json(t)["error"].(map[string]any)
	require.True(t, ok, "no error object in %s", r.Body)
	return e["code"].(string)
}

func (a *api) do(method, path string, body any) response {
	a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(a.t, err)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(contractT(context.Background(), a.t), method, a.base+path, rd)
	require.NoError(a.t, err)
	req.Header.Set("Content-Type", "application/json")
	if a.key != "" {
		req.Header.Set("Authorization", "Bearer "+a.key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(a.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(a.t, err)
	return response{Status: resp.StatusCode, Body: data, Header: resp.Header}
}

// must performs a request and requires the status, returning the JSON body.
func (a *api) must(status int, method, path string, body any) map[string]any {
	a.t.Helper()
	r := a.do(method, path, body)
	require.Equal(a.t, status, r.Status, "%s %s: %s", method, path, r.Body)
	return r.json(a.t)
}

func (a *api) createUser(role string, clientIDs ...string) *api {
	a.t.Helper()
	if clientIDs == nil {
		clientIDs = []string{}
	}
	email := fmt.Sprintf("%s-%d@agency.test", role, time.Now().UnixNano())
	u := a.must(201, "POST", "/api/v1/users", map[string]any{
		"email": email, "name": "Staff " + role, "role": role, "client_ids": clientIDs,
	})
	usersMu.Lock()
	users = append(users, knownUser{key: u["api_key"].(string), email: email})
	usersMu.Unlock()
	return &api{t: a.t, base: a.base, key: u["api_key"].(string)}
}

type brand struct {
	ID        string
	Approvers []string // emails
}

func (a *api) createClient(policy string, approvers ...string) brand {
	a.t.Helper()
	var list []map[string]string
	for i, e := range approvers {
		list = append(list, map[string]string{"name": fmt.Sprintf("Approver %d", i+1), "email": e})
	}
	c := a.must(201, "POST", "/api/v1/clients", map[string]any{"name": "Brand " + approvers[0], "digest_window": "0s", "approval_policy": policy, "approvers": list})
	return brand{ID: c["id"].(string), Approvers: approvers}
}

func (a *api) createPost(clientID string, publishIn time.Duration, extra map[string]any) map[string]any {
	a.t.Helper()
	body := map[string]any{
		"client_id": clientID, "title": "Winter menu", "body": "Notre menu d'hiver arrive ❄️ #bistro",
		"channels": []string{"instagram", "x"}, "publish_at": time.Now().Add(publishIn).UTC().Format(time.RFC3339Nano),
		"media_urls": []string{imageServer().URL + "/menu.jpg"}, // downloaded into the client's library
	}
	for k, v := range extra {
		body[k] = v
	}
	return a.must(201, "POST", "/api/v1/posts", body)
}

// imageServer serves images the stack downloads (media_urls), on loopback, which the
// stack's outbound policy allows: /menu.jpg (a JPEG), /<name>.png (a PNG whose colour
// depends on the name), 404 for anything else.
var imageServer = sync.OnceValue(func() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, isPNG := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/"), ".png")
		switch {
		case r.URL.Path == "/menu.jpg":
			var b bytes.Buffer
			_ = jpeg.Encode(&b, solid(color.RGBA{R: 200, G: 120, B: 40, A: 255}), nil)
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(b.Bytes())
		case isPNG && name != "missing":
			w.Write(pngBytes(color.RGBA{R: uint8(len(name) * 40), G: name[0], B: 90, A: 255}))
		default:
			http.NotFound(w, r)
		}
	}))
})

func solid(c color.RGBA) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, c)
		}
	}
	return img
}

func pngBytes(c color.RGBA) []byte {
	var b bytes.Buffer
	_ = png.Encode(&b, solid(c))
	return b.Bytes()
}

func uniqueEmail(name string) string {
	return fmt.Sprintf("%s-%d@brand.test", name, time.Now().UnixNano())
}

var linkRE = regexp.MustCompile(`https?://\S+/approve/(\S+)`)

type mail struct {
	ID      string `json:"id"`
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html"`
}

// mails returns the caught emails to one address, newest first.
func mails(t *testing.T, to string) []mail { return mailsAt(t, stack.URL, to) }

func mailsAt(t *testing.T, base, to string) []mail {
	t.Helper()
	resp, err := http.Get(base + "/dev/mail.json?to=" + url.QueryEscape(to))
	require.NoError(t, err)
	defer resp.Body.Close()
	var ms []mail
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&ms))
	return ms
}

// waitMail waits until n emails reached to and returns them, newest first.
func waitMail(t *testing.T, to string, n int) []mail {
	t.Helper()
	var ms []mail
	eventually(t, 20*time.Second, func() bool {
		ms = mails(t, to)
		return len(ms) >= n
	}, "%d mail(s) to %s", n, to)
	return ms
}

// linkIn returns the approval URL in an email.
func linkIn(t *testing.T, m mail) string {
	t.Helper()
	match := linkRE.FindString(m.Text)
	require.NotEmpty(t, match, "no link in %q", m.Text)
	return match
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for "+format, append([]any{within}, args...)...)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (a *api) waitStatus(postID, status string, within time.Duration) map[string]any {
	a.t.Helper()
	var p map[string]any
	eventually(a.t, within, func() bool {
		p = a.must(200, "GET", "/api/v1/posts/"+postID, nil)
		return p["status"] == status
	}, "post %s to be %s", postID, status)
	return p
}

// form posts an approval form the way a browser does.
func form(t *testing.T, link string, values url.Values, accept string) response {
	t.Helper()
	req, err := http.NewRequest("POST", link, strings.NewReader(values.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: data, Header: resp.Header}
}

func page(t *testing.T, link string) response {
	t.Helper()
	req, err := http.NewRequest("GET", link, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/html")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: data, Header: resp.Header}
}

var recordMu sync.Mutex

// recordHistory writes a finished workflow's history to workflows/testdata/<name>.json when
// the test runs with -record; the replay test in package workflows reads them.
func recordHistory(t *testing.T, workflowID, name string) {
	t.Helper()
	recordHistoryOf(t, stack, workflowID, name)
}

// recordHistoryOf is recordHistory for a workflow of another stack than the package's.
func recordHistoryOf(t *testing.T, st *devstack.Stack, workflowID, name string) {
	t.Helper()
	if !*record {
		return
	}
	recordMu.Lock()
	defer recordMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	it := st.Temporal.GetWorkflowHistory(ctx, workflowID, "", false, 0)
	hist := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		hist.Events = append(hist.Events, ev)
	}
	data, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
	require.NoError(t, err)
	path := filepath.Join("..", "workflows", "testdata", name+".json")
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, data, 0o644))
}

// containsPost reports whether an approval link is for the given post.
func containsPost(t *testing.T, base, link, postID string) bool {
	t.Helper()
	req, err := http.NewRequest("GET", link, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var v struct {
		PostID string `json:"post_id"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return v.PostID == postID
}
