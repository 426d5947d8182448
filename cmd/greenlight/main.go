// Command greenlight runs Greenlight: `dev` (everything in one process), or in production
// `migrate`, `api`, `worker` and `user create`. This file only wires packages together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/api"
	"github.com/greenlight/greenlight/devstack"
	"github.com/greenlight/greenlight/internal/logging"
	"github.com/greenlight/greenlight/mail"
	"github.com/greenlight/greenlight/playbooks"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
	"github.com/greenlight/greenlight/worker"

	_ "time/tzdata" // zones for GREENLIGHT_TIMEZONE on machines without a zone database
)

const usage = `greenlight — content approval and crisis playbooks for social-media agencies

Usage:
  greenlight dev [--addr 127.0.0.1:8080] [--data ./data]   everything in one process
  greenlight migrate                                       apply database migrations
  greenlight api                                           serve the HTTP API
  greenlight worker                                        run workflows and activities
  greenlight user create --email E --name N --role R [--clients id,id]
                                                           create a staff user, print its API key
  greenlight healthcheck URL                               exit 0 when URL answers 200 (containers)
  greenlight temporal [--data ./data] [--port 7233]        the embedded Temporal server alone (local setups)
  greenlight bench --url URL --key KEY [flags]             load a running stack; see BENCHMARKS.md

Configuration is read from the environment; see README.md.
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "greenlight:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("missing command")
	}
	env := envConfig()
	log := logging.New(stderr, env.logLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "dev":
		return runDev(ctx, args[1:], env, log, stdout)
	case "migrate":
		return runMigrate(ctx, env, log)
	case "api":
		return runAPI(ctx, env, log)
	case "worker":
		return runWorker(ctx, env, log, stderr)
	case "user":
		return runUser(ctx, args[1:], env, stdout)
	case "temporal":
		return runTemporal(ctx, args[1:], env, stdout)
	case "bench":
		return runBench(ctx, args[1:], stdout, stderr)
	case "healthcheck":
		return runHealthcheck(args[1:])
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

// envVars documents every variable the command reads: name, default, and meaning. The
// README's configuration table and docker-compose.yml are checked against it in tests.
var envVars = []struct{ Name, Default, Help string }{
	{"GREENLIGHT_ADDR", "127.0.0.1:8080", "HTTP listen address (dev, api)"},
	{"GREENLIGHT_DATA_DIR", "./data", "dev: Temporal's and the app's SQLite files and admin.key"},
	{"GREENLIGHT_ADMIN_KEY", "", "dev: API key of the bootstrap admin; generated once when empty"},
	{"GREENLIGHT_DATABASE_URL", "", "PostgreSQL URL; required by api, worker, migrate, user; dev uses SQLite when empty"},
	{"GREENLIGHT_TEMPORAL_ADDRESS", "localhost:7233", "Temporal frontend (api, worker)"},
	{"GREENLIGHT_TEMPORAL_NAMESPACE", "default", "Temporal namespace (api, worker)"},
	{"GREENLIGHT_TASK_QUEUE", worker.DefaultTaskQueue, "Temporal task queue shared by api and worker"},
	{"GREENLIGHT_TEMPORAL_PORT", "7233", "dev: port of the embedded Temporal server (0 picks a free one)"},
	{"GREENLIGHT_SMTP_URL", "", "worker: smtp://user:pass@host:port?tls=none|starttls|opportunistic or smtps://…; catcher keeps emails in the database (local testing)"},
	{"GREENLIGHT_MAIL_FROM", "greenlight@localhost", "sender address of emails"},
	{"GREENLIGHT_PUBLIC_URL", "", "base URL of links in emails (worker: required; dev: the listen address); never taken from requests"},
	{"GREENLIGHT_AGENCY_NAME", "Greenlight", "agency name shown to clients"},
	{"GREENLIGHT_LINK_TTL", greenlight.DefaultLinkTTL.String(), "how long an approval link works"},
	{"GREENLIGHT_APPROVE_RATE_LIMIT", "30", "requests per minute per IP on /approve"},
	{"GREENLIGHT_TRUSTED_PROXIES", "", "comma-separated proxy IPs whose X-Forwarded-For is trusted"},
	{"GREENLIGHT_WEBHOOK_SECRET", "", "worker: HMAC key signing webhook bodies (X-Greenlight-Signature)"},
	{"GREENLIGHT_PLAYBOOKS_DIR", "", "directory of the agency's own playbooks (YAML), added to the shipped ones (dev, api)"},
	{"GREENLIGHT_SLACK_WEBHOOK_URL", "", "worker: Slack-compatible incoming webhook for crisis notifications of clients without their own"},
	{"GREENLIGHT_TIMEZONE", "UTC", "IANA zone the web interface shows and reads times in, e.g. Europe/Paris"},
	{"GREENLIGHT_LOG_LEVEL", "info", "debug, info, warn or error"},
}

// requiredFor lists the variables each production command cannot run without.
var requiredFor = map[string][]string{
	"migrate": {"GREENLIGHT_DATABASE_URL"},
	"api":     {"GREENLIGHT_DATABASE_URL"},
	"worker":  {"GREENLIGHT_DATABASE_URL", "GREENLIGHT_SMTP_URL", "GREENLIGHT_PUBLIC_URL"},
	"user":    {"GREENLIGHT_DATABASE_URL"},
}

// config is everything read from GREENLIGHT_* variables.
type config struct {
	addr, dataDir, adminKey, databaseURL          string
	temporalAddress, temporalNamespace, taskQueue string
	smtpURL, mailFrom, publicURL, agency          string
	webhookSecret, logLevel                       string
	playbooksDir, slackWebhookURL                 string
	trustedProxies                                []string
	linkTTL                                       time.Duration
	timezone                                      *time.Location
	approveRateLimit, temporalPort                int
	errs                                          []error
}

func envConfig() config {
	c := config{
		addr:              getenv("GREENLIGHT_ADDR"),
		dataDir:           getenv("GREENLIGHT_DATA_DIR"),
		adminKey:          getenv("GREENLIGHT_ADMIN_KEY"),
		databaseURL:       getenv("GREENLIGHT_DATABASE_URL"),
		temporalAddress:   getenv("GREENLIGHT_TEMPORAL_ADDRESS"),
		temporalNamespace: getenv("GREENLIGHT_TEMPORAL_NAMESPACE"),
		taskQueue:         getenv("GREENLIGHT_TASK_QUEUE"),
		smtpURL:           getenv("GREENLIGHT_SMTP_URL"),
		mailFrom:          getenv("GREENLIGHT_MAIL_FROM"),
		publicURL:         strings.TrimRight(getenv("GREENLIGHT_PUBLIC_URL"), "/"),
		agency:            getenv("GREENLIGHT_AGENCY_NAME"),
		webhookSecret:     getenv("GREENLIGHT_WEBHOOK_SECRET"),
		logLevel:          getenv("GREENLIGHT_LOG_LEVEL"),
		playbooksDir:      getenv("GREENLIGHT_PLAYBOOKS_DIR"),
		slackWebhookURL:   getenv("GREENLIGHT_SLACK_WEBHOOK_URL"),
	}
	if p := getenv("GREENLIGHT_TRUSTED_PROXIES"); p != "" {
		for _, s := range strings.Split(p, ",") {
			c.trustedProxies = append(c.trustedProxies, strings.TrimSpace(s))
		}
	}
	var err error
	if c.timezone, err = time.LoadLocation(getenv("GREENLIGHT_TIMEZONE")); err != nil {
		c.errs = append(c.errs, fmt.Errorf("GREENLIGHT_TIMEZONE: unknown zone %q", getenv("GREENLIGHT_TIMEZONE")))
	}
	if c.linkTTL, err = time.ParseDuration(getenv("GREENLIGHT_LINK_TTL")); err != nil || c.linkTTL <= 0 {
		c.errs = append(c.errs, fmt.Errorf("GREENLIGHT_LINK_TTL: must be a positive duration such as 336h"))
	}
	if c.approveRateLimit, err = strconv.Atoi(getenv("GREENLIGHT_APPROVE_RATE_LIMIT")); err != nil || c.approveRateLimit < 1 {
		c.errs = append(c.errs, fmt.Errorf("GREENLIGHT_APPROVE_RATE_LIMIT: must be a positive integer"))
	}
	if c.temporalPort, err = strconv.Atoi(getenv("GREENLIGHT_TEMPORAL_PORT")); err != nil || c.temporalPort < 0 {
		c.errs = append(c.errs, fmt.Errorf("GREENLIGHT_TEMPORAL_PORT: must be a port number"))
	}
	return c
}

// getenv returns a documented variable's value or its default; reading an undocumented
// name is a bug.
func getenv(name string) string {
	for _, v := range envVars {
		if v.Name == name {
			if s := os.Getenv(name); s != "" {
				return s
			}
			return v.Default
		}
	}
	panic("undocumented environment variable " + name)
}

// check reports bad values and the missing variables a command requires.
func (c config) check(command string) error {
	errs := c.errs
	for _, name := range requiredFor[command] {
		if os.Getenv(name) == "" {
			errs = append(errs, fmt.Errorf("%s is required by greenlight %s", name, command))
		}
	}
	return errors.Join(errs...)
}

func openStore(ctx context.Context, c config) (*store.Store, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return store.Open(ctx, c.databaseURL)
}

func dialTemporal(ctx context.Context, c config, stderr io.Writer) (client.Client, error) {
	opts, err := temporalOptions(c, stderr) // TLS and API key: temporal_conn.go
	if err != nil {
		return nil, err
	}
	tc, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w", c.temporalAddress, err)
	}
	return tc, nil
}

func runMigrate(ctx context.Context, c config, log *slog.Logger) error {
	if err := c.check("migrate"); err != nil {
		return err
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	log.Info("database migrated", "schema_version", v)
	return nil
}

func runAPI(ctx context.Context, c config, log *slog.Logger) error {
	if err := c.check("api"); err != nil {
		return err
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	tc, err := dialTemporal(ctx, c, os.Stderr)
	if err != nil {
		return err
	}
	defer tc.Close()
	catalog, err := playbooks.Load(c.playbooksDir)
	if err != nil {
		return err
	}
	svc := &service.Service{Store: st, Temporal: tc, TaskQueue: c.taskQueue, Catalog: catalog, Agency: c.agency, Log: log}
	app := api.New(api.Config{
		Service: svc, Store: st, Temporal: tc, Log: log, Agency: c.agency,
		ApproveRateLimit: c.approveRateLimit, TrustedProxies: c.trustedProxies, Timezone: c.timezone, PublicURL: c.publicURL,
	})
	served := make(chan error, 1)
	go func() { served <- app.Listen(c.addr) }()
	log.Info("api listening", "addr", c.addr)
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return app.ShutdownWithContext(shutdown)
}

func runWorker(ctx context.Context, c config, log *slog.Logger, stderr io.Writer) error {
	if err := c.check("worker"); err != nil {
		return err
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	var sender mail.Sender = &mail.Catcher{Store: st}
	if c.smtpURL != "catcher" {
		if sender, err = mail.NewSMTP(c.smtpURL, c.mailFrom, c.agency); err != nil {
			return err
		}
	}
	tc, err := dialTemporal(ctx, c, stderr)
	if err != nil {
		return err
	}
	defer tc.Close()
	acts := &activities.Activities{
		Store: st, Crises: st, Mail: sender, SlackWebhookURL: c.slackWebhookURL, Publisher: &publish.Router{Webhook: &publish.Webhook{Secret: c.webhookSecret}},
		BaseURL: c.publicURL, LinkTTL: c.linkTTL, Agency: c.agency, Log: log,
	}
	w := worker.New(tc, c.taskQueue, acts, sdkworker.Options{})
	log.Info("worker polling", "task_queue", c.taskQueue, "temporal", c.temporalAddress)
	return w.Run(interruptOn(ctx))
}

// interruptOn adapts a context to the worker's interrupt channel.
func interruptOn(ctx context.Context) <-chan any {
	ch := make(chan any)
	go func() {
		<-ctx.Done()
		close(ch)
	}()
	return ch
}

func runUser(ctx context.Context, args []string, c config, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: greenlight user create --email E --name N --role R [--clients id,id]")
	}
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	email := fs.String("email", "", "email address")
	name := fs.String("name", "", "display name")
	role := fs.String("role", "", "admin, editor, reviewer or crisis_lead")
	clients := fs.String("clients", "", "comma-separated client ids the user is limited to")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if err := c.check("user"); err != nil {
		return err
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	var ids []string
	if *clients != "" {
		ids = strings.Split(*clients, ",")
	}
	// The command line is trusted like an admin: it is how the first admin is made.
	svc := &service.Service{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	root := &store.User{ID: "cli", Role: string(greenlight.RoleAdmin)}
	u, key, err := svc.CreateUser(ctx, root, service.NewUser{Email: *email, Name: *name, Role: *role, ClientIDs: ids})
	if err != nil {
		return errors.New(greenlight.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "created %s %s (%s)\nAPI key (shown once): %s\n", u.Role, u.Email, u.ID, key)
	token, err := svc.BootstrapInvite(ctx, u.ID)
	if err != nil {
		return err
	}
	base := c.publicURL
	if base == "" {
		base = "http://" + c.addr
	}
	fmt.Fprintf(stdout, "Password link for the web interface (valid 7 days): %s/invite/%s\n", base, token)
	return nil
}

// runHealthcheck lets container health checks probe /readyz without curl in the image.
func runHealthcheck(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: greenlight healthcheck URL")
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Get(args[0])
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %d", args[0], resp.StatusCode)
	}
	return nil
}

func runTemporal(ctx context.Context, args []string, c config, stdout io.Writer) error {
	fs := flag.NewFlagSet("temporal", flag.ContinueOnError)
	data := fs.String("data", c.dataDir, "data directory (GREENLIGHT_DATA_DIR)")
	port := fs.Int("port", c.temporalPort, "frontend port (GREENLIGHT_TEMPORAL_PORT)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	srv, err := devstack.StartTemporal(devstack.TemporalConfig{DatabaseFile: filepath.Join(*data, "temporal.db"), Port: *port})
	if err != nil {
		return err
	}
	defer srv.Stop()
	fmt.Fprintf(stdout, "Temporal listening on %s (namespace default, state in %s)\n", srv.HostPort(), filepath.Join(*data, "temporal.db"))
	<-ctx.Done()
	return nil
}
