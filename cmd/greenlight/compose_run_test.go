package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	mathrand "math/rand/v2"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/greenlight/greenlight/internal/proc"
	"github.com/greenlight/greenlight/internal/smtptest"
	"github.com/greenlight/greenlight/internal/testdb"
)

// composeStack runs docker-compose.yml's services as local processes on loopback, with the
// command and environment compose gives them: ours (migrate, api, worker) from the built
// greenlight binary; the Temporal images' from the same Temporal release built from its Go
// module (go.mod's tool directive) — temporal-schema's script with temporal-sql-tool, the
// temporal server as its image starts it (`temporal-server start` on the embedded config
// template, configured by the compose environment); a throwaway PostgreSQL cluster for
// postgres and an SMTP catcher for mailpit. Service addresses are rewritten to loopback, and
// the ports a container would have to itself are moved to free ones.
type composeStack struct {
	t       *testing.T
	project *types.Project
	bin     string
	dir     string
	hosts   map[string]string // compose address (host:port) → loopback address
	vars    map[string]string // NAME=value of a separate host or port setting → loopback value
	apiAddr string
	smtp    *smtptest.Server
	volumes map[string]string // named volume → its directory, shared by the services mounting it
	metrics map[string]string // service → the loopback address standing in for its GREENLIGHT_METRICS_ADDR
}

var (
	toolsOnce sync.Once
	toolsDir  string
	toolsErr  error
)

// temporalTools builds temporal-server and temporal-sql-tool, the binaries of the
// temporalio/server and temporalio/admin-tools images, at go.mod's Temporal version.
func temporalTools(t *testing.T) string {
	t.Helper()
	toolsOnce.Do(func() {
		if toolsDir, toolsErr = os.MkdirTemp("", "greenlight-temporal-tools-"); toolsErr != nil {
			return
		}
		for name, pkg := range map[string]string{"temporal-server": "go.temporal.io/server/cmd/server", "temporal-sql-tool": "go.temporal.io/server/cmd/tools/sql"} {
			cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", filepath.Join(toolsDir, name), pkg)
			cmd.Dir = repoRoot
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				toolsErr = fmt.Errorf("build %s: %v: %s", pkg, err, out)
				return
			}
		}
	})
	require.NoError(t, toolsErr)
	return toolsDir
}

func newComposeStack(t *testing.T) *composeStack {
	t.Helper()
	// Only what compose gives a service reaches it: no GREENLIGHT_* from the test's own
	// environment.
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "GREENLIGHT_") && name != testdb.EnvURL {
			t.Setenv(name, "")
			require.NoError(t, os.Unsetenv(name))
		}
	}
	// The .env is .env.example plus what a user with a webhook receiver on their own network
	// sets: the receiver here is on loopback.
	example, err := os.ReadFile(envExample)
	require.NoError(t, err)
	dotEnv := filepath.Join(t.TempDir(), ".env")
	require.NoError(t, os.WriteFile(dotEnv, append(example, []byte("\nGREENLIGHT_OUTBOUND_ALLOW=127.0.0.1\n")...), 0o600))
	project, err := loadCompose(t, dotEnv)
	require.NoError(t, err, "docker-compose.yml with .env.example and GREENLIGHT_OUTBOUND_ALLOW")
	c := &composeStack{t: t, project: project, bin: proc.Binary(t, repoRoot), dir: t.TempDir()}

	// postgres: the role and database its environment asks the image to create.
	pg := env(c.project.Services["postgres"])
	cluster, err := testdb.StartCluster()
	require.NoError(t, err, "PostgreSQL server binaries are required (initdb, pg_ctl)")
	t.Cleanup(cluster.Stop)
	admin, err := sql.Open("pgx", cluster.URL("postgres"))
	require.NoError(t, err)
	defer admin.Close()
	// The image makes POSTGRES_USER a superuser (Temporal's schema job creates databases).
	_, err = admin.Exec(fmt.Sprintf(`CREATE ROLE %q SUPERUSER LOGIN PASSWORD '%s'`, pg["POSTGRES_USER"], strings.ReplaceAll(pg["POSTGRES_PASSWORD"], "'", "''")))
	require.NoError(t, err)
	_, err = admin.Exec(fmt.Sprintf(`CREATE DATABASE %q OWNER %q`, pg["POSTGRES_DB"], pg["POSTGRES_USER"]))
	require.NoError(t, err)
	pgURL, err := url.Parse(cluster.URL("postgres"))
	require.NoError(t, err)

	// mailpit: an SMTP catcher.
	c.smtp, err = smtptest.Start()
	require.NoError(t, err)
	t.Cleanup(c.smtp.Close)

	c.apiAddr = proc.FreeAddr(t)
	pgHost, pgPort, _ := net.SplitHostPort(pgURL.Host)
	c.vars = map[string]string{
		"POSTGRES_SEEDS=postgres": pgHost, "SQL_HOST=postgres": pgHost, // the postgres image listens on 5432
		"DB_PORT=5432": pgPort, "SQL_PORT=5432": pgPort,
		"BIND_ON_IP=0.0.0.0": "127.0.0.1", // all of a container's interfaces: loopback here
	}
	c.hosts = map[string]string{
		"postgres:5432": pgURL.Host,
		"mailpit:1025":  c.smtp.Addr(),
	}
	// The api inside its container (listen address, health check), and as published on
	// the host (public URL).
	for _, p := range c.project.Services["api"].Ports {
		target := strconv.Itoa(int(p.Target))
		for _, h := range []string{"0.0.0.0:" + target, "127.0.0.1:" + target, "localhost:" + p.Published, p.HostIP + ":" + p.Published} {
			c.hosts[h] = c.apiAddr
		}
	}
	c.startTemporal()
	return c
}

// lowFreePort returns a free loopback port below 32768: Temporal keeps membership ports
// in a smallint column, and the kernel's ephemeral ports start above it.
func lowFreePort(t *testing.T) int {
	t.Helper()
	for range 100 {
		port := 20000 + mathrand.IntN(12000)
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free port below 32768")
	return 0
}

// startTemporal runs what compose runs before api and worker: temporal-schema (twice: every
// `up` runs it again), the temporal server until its health check passes, and temporal-init.
func (c *composeStack) startTemporal() {
	t := c.t
	t.Helper()
	tools := temporalTools(t)
	schema := c.command("temporal-schema")
	for range 2 {
		cmd := exec.Command(schema[0], schema[1:]...)
		cmd.Env = append(append(os.Environ(), c.environ("temporal-schema")...), "PATH="+tools+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "temporal-schema: %s", out)
	}

	// The server's own ports, which a container has to itself, move to free ones.
	ports := map[string]string{}
	var extra []string
	for _, name := range []string{"FRONTEND_GRPC_PORT", "FRONTEND_HTTP_PORT", "FRONTEND_MEMBERSHIP_PORT", "HISTORY_GRPC_PORT",
		"HISTORY_MEMBERSHIP_PORT", "MATCHING_GRPC_PORT", "MATCHING_MEMBERSHIP_PORT", "WORKER_GRPC_PORT", "WORKER_MEMBERSHIP_PORT"} {
		ports[name] = strconv.Itoa(lowFreePort(t))
		extra = append(extra, name+"="+ports[name])
	}
	c.hosts["temporal:7233"] = "127.0.0.1:" + ports["FRONTEND_GRPC_PORT"]
	c.hosts["127.0.0.1:7243"] = "127.0.0.1:" + ports["FRONTEND_HTTP_PORT"] // inside the container: the health check
	server := proc.Start(t, filepath.Join(tools, "temporal-server"), filepath.Join(c.dir, "temporal.log"),
		append(c.environ("temporal"), extra...), "start") // the image's entrypoint: exec temporal-server start

	// The compose health check: BusyBox wget of a URL, here over Go's HTTP client.
	hc := c.project.Services["temporal"].HealthCheck.Test
	require.Equal(t, "wget", hc[1])
	health := c.rewrite(hc[len(hc)-1])
	waitFor(t, 120*time.Second, func() bool {
		require.True(t, server.Alive(), "temporal-server exited:\n%s", server.Logs())
		resp, err := http.Get(health)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, "temporal's health check "+health)

	// temporal-init: the Temporal CLI (not built here) checks the cluster's health and
	// registers the namespace its command names.
	init := env(c.project.Services["temporal-init"])
	m := regexp.MustCompile(`namespace create --namespace (\S+)`).FindStringSubmatch(strings.Join(c.command("temporal-init"), " "))
	require.NotNil(t, m, "temporal-init creates a namespace")
	tc, err := client.Dial(client.Options{HostPort: c.rewrite(init["TEMPORAL_ADDRESS"])})
	require.NoError(t, err)
	defer tc.Close()
	_, err = tc.CheckHealth(context.Background(), &client.CheckHealthRequest{})
	require.NoError(t, err)
	nc, err := client.NewNamespaceClient(client.Options{HostPort: c.rewrite(init["TEMPORAL_ADDRESS"])})
	require.NoError(t, err)
	defer nc.Close()
	require.NoError(t, nc.Register(context.Background(), &workflowservice.RegisterNamespaceRequest{
		Namespace: m[1], WorkflowExecutionRetentionPeriod: durationpb.New(72 * time.Hour)}))
}

// rewrite maps compose addresses in s to their loopback stand-ins.
func (c *composeStack) rewrite(s string) string {
	for from, to := range c.hosts {
		re := regexp.MustCompile(`(^|[/@])` + regexp.QuoteMeta(from) + `($|[^0-9])`)
		s = re.ReplaceAllString(s, "${1}"+to+"${2}")
	}
	return s
}

// environ is a service's compose environment, rewritten; a value still naming a compose
// service means the compose file points at an address nothing listens on.
func (c *composeStack) environ(service string) []string {
	c.t.Helper()
	names := strings.Join(c.project.ServiceNames(), "|")
	unresolved := regexp.MustCompile(`(^|[/@])(` + names + `):\d+([/?]|$)|[/@](` + names + `)([/?:]|$)`)
	var out []string
	svc := c.project.Services[service]
	for k, v := range env(svc) {
		if to, ok := c.vars[k+"="+v]; ok {
			v = to
		}
		if k == "GREENLIGHT_METRICS_ADDR" && v != "" {
			// Every container has the port to itself; here each service gets its own.
			if c.metrics == nil {
				c.metrics = map[string]string{}
			}
			if _, ok := c.metrics[service]; !ok {
				c.metrics[service] = proc.FreeAddr(c.t)
			}
			out = append(out, k+"="+c.metrics[service])
			continue
		}
		for _, vol := range svc.Volumes {
			if vol.Type == types.VolumeTypeBind && v == vol.Target {
				v = vol.Source // a path inside the container: the mounted file
			}
			if vol.Type == types.VolumeTypeVolume && (v == vol.Target || strings.HasPrefix(v, vol.Target+"/")) {
				v = c.volume(vol.Source) + strings.TrimPrefix(v, vol.Target) // inside the named volume
			}
		}
		v = c.rewrite(v)
		require.False(c.t, unresolved.MatchString(v), "%s: %s=%s points at a service address no stand-in serves (wrong host or port?)", service, k, v)
		out = append(out, k+"="+v)
	}
	return out
}

// volume is the directory standing in for a named volume: the same one for every service
// that mounts it, created empty and writable like a new volume on the image's directory.
func (c *composeStack) volume(name string) string {
	c.t.Helper()
	if c.volumes == nil {
		c.volumes = map[string]string{}
	}
	if dir, ok := c.volumes[name]; ok {
		return dir
	}
	_, declared := c.project.Volumes[name]
	require.True(c.t, declared, "volume %s is declared in docker-compose.yml", name)
	dir := filepath.Join(c.dir, "volumes", name)
	require.NoError(c.t, os.MkdirAll(dir, 0o755))
	c.volumes[name] = dir
	return dir
}

// command is a service's compose command, which the image's entrypoint (/greenlight) runs.
func (c *composeStack) command(service string) []string {
	cmd := c.project.Services[service].Command
	require.NotEmpty(c.t, cmd, "%s has a command", service)
	return cmd
}

// run runs a one-shot command the way `docker compose run --rm <service> args…` would.
func (c *composeStack) run(service string, args ...string) string {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Env = append(os.Environ(), c.environ(service)...)
	out, err := cmd.CombinedOutput()
	require.NoError(c.t, err, "%s: greenlight %v: %s", service, args, out)
	return string(out)
}

type httpReply struct {
	status int
	body   []byte
}

func (c *composeStack) call(method, target, key string, body any) httpReply {
	c.t.Helper()
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		data, err := json.Marshal(b)
		require.NoError(c.t, err)
		rd = bytes.NewReader(data)
	}
	if strings.HasPrefix(target, "/") {
		target = "http://" + c.apiAddr + target
	}
	req, err := http.NewRequest(method, target, rd)
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Accept", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	require.NoError(c.t, err, "%s %s", method, target)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return httpReply{resp.StatusCode, data}
}

func (c *composeStack) must(status int, method, target, key string, body, out any) {
	c.t.Helper()
	r := c.call(method, target, key, body)
	require.Equal(c.t, status, r.status, "%s %s: %s", method, target, r.body)
	if out != nil {
		require.NoError(c.t, json.Unmarshal(r.body, out))
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		require.True(t, time.Now().Before(deadline), "timed out after %s waiting for %s", within, what)
		time.Sleep(100 * time.Millisecond)
	}
}

// mailText returns the decoded text of every part of a raw email.
func mailText(t *testing.T, raw string) string {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(raw))
	require.NoError(t, err)
	var sb strings.Builder
	var walk func(h textproto, body io.Reader)
	walk = func(h textproto, body io.Reader) {
		mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
		if err == nil && strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				part, err := mr.NextRawPart()
				if err != nil {
					return
				}
				walk(part.Header, part)
			}
		}
		switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
		case "quoted-printable":
			body = quotedprintable.NewReader(body)
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, body)
		}
		data, _ := io.ReadAll(body)
		sb.Write(data)
	}
	walk(m.Header, m.Body)
	return sb.String()
}

// textproto is what mail and multipart headers have in common.
type textproto interface{ Get(string) string }

// webhookReceiver is a client's publishing endpoint; it keeps each delivery's key and
// whether its signature matched secret.
type webhookReceiver struct {
	mu         sync.Mutex
	deliveries map[string]bool
}

func newWebhookReceiver(t *testing.T, secret string) (*webhookReceiver, string) {
	r := &webhookReceiver{deliveries: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		r.mu.Lock()
		r.deliveries[req.Header.Get("Idempotency-Key")] = req.Header.Get("X-Greenlight-Signature") == "sha256="+hex.EncodeToString(mac.Sum(nil))
		r.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	return r, srv.URL
}

func (r *webhookReceiver) get(key string) (signed, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	signed, ok = r.deliveries[key]
	return signed, ok
}

// TestComposeStackPublishesAPost runs what `docker compose up` would run of ours — migrate,
// then api and worker — and walks one post from draft through the client's approval link
// to `published`.
func TestComposeStackPublishesAPost(t *testing.T) {
	c := newComposeStack(t)

	out := c.run("migrate", c.command("migrate")...)
	require.Contains(t, out, "database migrated")
	api := proc.Start(t, c.bin, filepath.Join(c.dir, "api.log"), c.environ("api"), c.command("api")...)
	worker := proc.Start(t, c.bin, filepath.Join(c.dir, "worker.log"), c.environ("worker"), c.command("worker")...)
	// Ready when /readyz answers 200; a process that exits (bad command or configuration)
	// fails the test at once, with its output.
	waitFor(t, 60*time.Second, func() bool {
		for _, p := range []*proc.Process{api, worker} {
			require.True(t, p.Alive(), "exited:\n%s", p.Logs())
		}
		resp, err := http.Get("http://" + c.apiAddr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, "the api to be ready")

	// The api's compose health check passes (as the image would run it).
	hc := c.project.Services["api"].HealthCheck.Test
	require.Equal(t, "/greenlight", hc[1])
	var args []string
	for _, a := range hc[2:] {
		args = append(args, c.rewrite(a))
	}
	c.run("api", args...)

	// The first admin, as the compose file's header says: docker compose run --rm api user create …
	out = c.run("api", "user", "create", "--email", "admin@compose.test", "--name", "Admin", "--role", "admin")
	m := regexp.MustCompile(`API key \(shown once\): (\S+)`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	adminKey := m[1]

	workerEnv := env(c.project.Services["worker"])
	hook, hookURL := newWebhookReceiver(t, workerEnv["GREENLIGHT_WEBHOOK_SECRET"])
	approver := "approver@brand.test"
	var client struct{ ID string }
	c.must(201, "POST", "/api/v1/clients", adminKey, map[string]any{"name": "Brand", "digest_window": "0s", "webhook_url": hookURL,
		"approvers": []map[string]string{{"name": "Approver", "email": approver}}}, &client)

	// Uploads land in the media volume compose mounts at the api's GREENLIGHT_MEDIA_DIR
	// (uploads are disabled when that directory is not writable), and are served back.
	uploadPNG(t, c, adminKey, client.ID)

	keys := map[string]string{}
	for _, role := range []string{"editor", "reviewer"} {
		var u struct {
			APIKey string `json:"api_key"`
		}
		c.must(201, "POST", "/api/v1/users", adminKey, map[string]any{"email": role + "@agency.test", "name": role, "role": role}, &u)
		keys[role] = u.APIKey
	}
	var post struct{ ID string }
	c.must(201, "POST", "/api/v1/posts", keys["editor"], map[string]any{"client_id": client.ID, "title": "Launch",
		"body": "Compose test", "channels": []string{"instagram"}, "publish_at": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)}, &post)
	c.must(200, "POST", "/api/v1/posts/"+post.ID+"/submit", keys["editor"], nil, nil)
	c.must(200, "POST", "/api/v1/posts/"+post.ID+"/review", keys["reviewer"], map[string]any{"version": 1, "decision": "approve"}, nil)

	// The worker emails the approver through the SMTP server compose names, with a link on
	// the public URL compose gives it.
	var link string
	linkRE := regexp.MustCompile(`https?://[^\s"<>]+/approve/[A-Za-z0-9_\-]+`)
	waitFor(t, 60*time.Second, func() bool {
		for _, msg := range c.smtp.Messages() {
			if slices.Contains(msg.To, approver) {
				link = linkRE.FindString(mailText(t, msg.Raw))
			}
		}
		return link != ""
	}, "the approval email")
	require.True(t, strings.HasPrefix(link, c.rewrite(workerEnv["GREENLIGHT_PUBLIC_URL"])+"/approve/"), "the link is on GREENLIGHT_PUBLIC_URL: %s", link)
	c.must(200, "POST", link, "", url.Values{"decision": {"approve"}}, nil)

	c.must(200, "PATCH", "/api/v1/posts/"+post.ID, keys["editor"], map[string]any{"publish_at": time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano)}, nil)
	waitFor(t, 90*time.Second, func() bool {
		var p struct{ Status string }
		c.must(200, "GET", "/api/v1/posts/"+post.ID, keys["editor"], nil, &p)
		return p.Status == "published"
	}, "the post to be published")
	signed, ok := hook.get("post/" + post.ID + "/v1/publish/instagram")
	require.True(t, ok, "the client's webhook received the publication")
	require.True(t, signed, "signed with GREENLIGHT_WEBHOOK_SECRET from .env")
	require.True(t, api.Alive() && worker.Alive(), "api and worker keep running")

	// What the prometheus service scrapes: the api's and the worker's /metrics.
	scrape := func(svc string) string {
		addr, ok := c.metrics[svc]
		require.True(t, ok, "%s runs with GREENLIGHT_METRICS_ADDR", svc)
		got := c.call("GET", "http://"+addr+"/metrics", "", nil)
		require.Equal(t, http.StatusOK, got.status)
		return string(got.body)
	}
	apiMetrics, workerMetrics := scrape("api"), scrape("worker")
	require.Contains(t, apiMetrics, `greenlight_http_requests_total{method="POST",route="/api/v1/posts",status="201"} 1`)
	require.Contains(t, apiMetrics, "temporal_request_total{")
	require.Contains(t, workerMetrics, `greenlight_publications_total{network="instagram",result="published"} 1`)
	require.Contains(t, workerMetrics, "temporal_workflow_task_execution_latency_seconds_bucket{")
	require.Contains(t, workerMetrics, `greenlight_posts{status="published"} 1`)
}

// uploadPNG uploads a small PNG for client through the api and checks it is stored in the
// directory of the named volume mounted at the api's GREENLIGHT_MEDIA_DIR, and served back
// by its signed URL.
func uploadPNG(t *testing.T, c *composeStack, key, clientID string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{uint8(4 * x), uint8(5 * y), 7, 255})
		}
	}
	var pic bytes.Buffer
	require.NoError(t, png.Encode(&pic, img))
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, err := w.CreateFormFile("file", "logo.png")
	require.NoError(t, err)
	_, err = part.Write(pic.Bytes())
	require.NoError(t, err)
	require.NoError(t, w.Close())
	req, err := http.NewRequest("POST", "http://"+c.apiAddr+"/api/v1/clients/"+clientID+"/media", &body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	require.NoError(t, err)
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, resp.StatusCode, "upload: %s", data)
	var m struct {
		ContentType string `json:"content_type"`
		SHA256      string `json:"sha256"`
		URL         string `json:"url"`
	}
	require.NoError(t, json.Unmarshal(data, &m))
	require.Equal(t, "image/png", m.ContentType)

	// The bytes are in the media volume, next to its URL-signing key.
	var dir string
	for _, v := range c.project.Services["api"].Volumes {
		if v.Type == types.VolumeTypeVolume && v.Target == env(c.project.Services["api"])["GREENLIGHT_MEDIA_DIR"] {
			dir = c.volume(v.Source)
		}
	}
	require.NotEmpty(t, dir, "the api mounts a named volume at GREENLIGHT_MEDIA_DIR")
	_, err = os.Stat(filepath.Join(dir, ".url-signing.key"))
	require.NoError(t, err, "the signing key is in the media volume")
	sum := sha256.Sum256(pic.Bytes())
	var stored bool
	require.NoError(t, filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, rerr := os.ReadFile(path); rerr == nil && sha256.Sum256(b) == sum {
				stored = true
			}
		}
		return err
	}))
	require.True(t, stored, "the uploaded PNG is stored in the media volume %s", dir)

	got := c.call("GET", c.rewrite(m.URL), "", nil)
	require.Equal(t, http.StatusOK, got.status, "GET %s", m.URL)
	require.Equal(t, pic.Bytes(), got.body)
}
