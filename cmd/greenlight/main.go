// Command greenlight runs Greenlight: `dev` (everything in one process), or in production
// `migrate`, `api`, `worker` and `user create`. This file only wires packages together.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
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
	"github.com/greenlight/greenlight/media"
	"github.com/greenlight/greenlight/metrics"
	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/playbooks"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/publish/networks"
	"github.com/greenlight/greenlight/secrets"
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
  greenlight accounts rekey                                reseal account credentials after a key rotation
  greenlight healthcheck URL                               exit 0 when URL answers 200 (containers)
  greenlight openapi [--json]                              print the API's OpenAPI 3.1 document
  greenlight temporal [--data ./data] [--port 7233]        the embedded Temporal server alone (local setups)
  greenlight bench --url URL --key KEY [flags]             load a running stack; see BENCHMARKS.md

Configuration is read from the environment; see README.md.
`

// commandHelp is what `greenlight <command> --help` and `greenlight help <command>` print.
var commandHelp = map[string]string{
	"dev": `Usage: greenlight dev [--addr 127.0.0.1:8080] [--data ./data]

Runs everything in one process: an embedded Temporal server, the API and web pages, the
worker, a mail catcher and a dev publisher. Records are kept in SQLite under --data unless
GREENLIGHT_DATABASE_URL names a PostgreSQL database. Ctrl+C stops it; timers resume at the
next start.

Flags:
  --addr   HTTP listen address (GREENLIGHT_ADDR, default 127.0.0.1:8080)
  --data   data directory (GREENLIGHT_DATA_DIR, default ./data)
`,
	"migrate": `Usage: greenlight migrate

Applies the database migrations not yet applied to GREENLIGHT_DATABASE_URL. Safe to run
from several processes at once.
`,
	"api": `Usage: greenlight api

Serves the HTTP API and web pages on GREENLIGHT_ADDR. Needs GREENLIGHT_DATABASE_URL and a
Temporal frontend (GREENLIGHT_TEMPORAL_ADDRESS).
`,
	"worker": `Usage: greenlight worker

Runs workflows and activities on GREENLIGHT_TASK_QUEUE and keeps the retention schedule
(GREENLIGHT_RETENTION_*) up to date. Needs GREENLIGHT_DATABASE_URL, GREENLIGHT_SMTP_URL and
GREENLIGHT_PUBLIC_URL.
`,
	"user": `Usage: greenlight user create --email E --name N --role R [--clients id,id]

Creates a staff user and prints its API key (shown once) and a password link.

Flags:
  --email     email address
  --name      display name
  --role      admin, editor, reviewer or crisis_lead
  --clients   comma-separated client ids the user is limited to (empty: all clients)
`,
	"accounts": `Usage: greenlight accounts rekey

Seals again, under GREENLIGHT_SECRET_KEY, every connected account's credentials sealed under
GREENLIGHT_SECRET_KEY_OLD, and prints how many it changed. Run it during a key rotation, after
every api and worker runs with the new key and the old one as GREENLIGHT_SECRET_KEY_OLD;
once it reports success, GREENLIGHT_SECRET_KEY_OLD can be removed. Safe to run again. Needs
GREENLIGHT_DATABASE_URL and GREENLIGHT_SECRET_KEY.
`,
	"openapi": `Usage: greenlight openapi [--json]

Prints the OpenAPI 3.1 document of the /api/v1 API and the event webhooks (YAML, or JSON
with --json): the same document a running server serves at /api/openapi.yaml and .json.
`,
	"healthcheck": `Usage: greenlight healthcheck URL

Exits 0 when URL answers 200 within 5 seconds, 1 otherwise (container health checks).
`,
	"temporal": `Usage: greenlight temporal [--data ./data] [--port 7233]

Runs the embedded Temporal server alone, its state in <data>/temporal.db.

Flags:
  --data   data directory (GREENLIGHT_DATA_DIR, default ./data)
  --port   frontend port (GREENLIGHT_TEMPORAL_PORT, default 7233; 0 picks a free one)
`,
	"bench": `Usage: greenlight bench --url URL --key KEY [flags]

Loads a running stack and reports latencies; see BENCHMARKS.md. Flags:
  --url, --key, --temporal, --namespace, --posts, --concurrency, --publish-in, --crises,
  --pending, --reads, --read-concurrency, --json
  --pds, --pds-handle, --pds-password, --publications: the publishing phase against a
  Bluesky PDS (publications/s through Greenlight ÷ bare createRecord/s)
`,
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// Exit codes: 0 success (help included), 1 the command failed, 2 the command line is wrong.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// usageError is a command line the command cannot run with; it exits 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

// parseFlags parses a command's flags; a bad flag is a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard) // run prints the error and the command's help once
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	return nil
}

// run executes the command named by args and returns the process's exit code. Help goes to
// stdout (exit 0); an unknown or missing command prints the usage to stderr (exit 2).
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd := args[0]
	if isHelpFlag(cmd) || cmd == "help" {
		if len(args) > 1 && cmd == "help" {
			if h, ok := commandHelp[args[1]]; ok {
				fmt.Fprint(stdout, h)
				return exitOK
			}
			fmt.Fprintf(stderr, "greenlight: unknown command %q\n\n%s", args[1], usage)
			return exitUsage
		}
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	help, known := commandHelp[cmd]
	if !known {
		fmt.Fprintf(stderr, "greenlight: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
	if wantsHelp(args[1:]) {
		fmt.Fprint(stdout, help)
		return exitOK
	}
	err := dispatch(cmd, args[1:], stdout, stderr)
	var uerr usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &uerr):
		fmt.Fprintf(stderr, "greenlight %s: %v\n\n%s", cmd, uerr.err, help)
		return exitUsage
	default:
		fmt.Fprintln(stderr, "greenlight:", err)
		return exitFail
	}
}

func isHelpFlag(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// wantsHelp reports whether a help flag comes before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if isHelpFlag(a) {
			return true
		}
	}
	return false
}

func dispatch(cmd string, args []string, stdout, stderr io.Writer) error {
	env := envConfig()
	log := logging.New(stderr, env.logLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch cmd {
	case "dev":
		return runDev(ctx, args, env, log, stdout)
	case "migrate":
		return runMigrate(ctx, env, log)
	case "api":
		return runAPI(ctx, env, log)
	case "worker":
		return runWorker(ctx, env, log, stderr)
	case "user":
		return runUser(ctx, args, env, stdout)
	case "temporal":
		return runTemporal(ctx, args, env, stdout)
	case "bench":
		return runBench(ctx, args, stdout, stderr)
	case "healthcheck":
		return runHealthcheck(args)
	case "openapi":
		return runOpenAPI(args, stdout)
	case "accounts":
		return runAccounts(ctx, args, env, stdout)
	}
	return usageError{fmt.Errorf("unknown command %q", cmd)}
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
	{"GREENLIGHT_PORTAL_TTL", service.DefaultPortalTTL.String(), "api, dev: how long a client approver's portal link works (sending it again starts a new one)"},
	{"GREENLIGHT_APPROVE_RATE_LIMIT", "30", "requests per minute per IP on /approve"},
	{"GREENLIGHT_TRUSTED_PROXIES", "", "comma-separated proxy IPs/CIDRs; behind them the client IP is the right-most X-Forwarded-For address not in the list"},
	{"GREENLIGHT_OUTBOUND_ALLOW", "", "comma-separated hosts, IPs and CIDRs that webhooks and Slack may reach although internal (loopback, private, link-local…)"},
	{"GREENLIGHT_SECRET_KEY", "", "32 random bytes in base64 or hex (openssl rand -base64 32) sealing connected accounts' credentials (api, worker: required once accounts exist; dev: generated in <data>/secret.key when empty)"},
	{"GREENLIGHT_SECRET_KEY_OLD", "", "the previous GREENLIGHT_SECRET_KEY during a rotation: opens credentials it sealed until `greenlight accounts rekey` reseals them"},
	{"GREENLIGHT_WEBHOOK_SECRET", "", "worker: HMAC key signing webhook bodies (X-Greenlight-Signature)"},
	{"GREENLIGHT_PLAYBOOKS_DIR", "", "directory of the agency's own playbooks (YAML), added to the shipped ones (dev, api)"},
	{"GREENLIGHT_SLACK_WEBHOOK_URL", "", "worker: Slack-compatible incoming webhook for crisis notifications of clients without their own"},
	{"GREENLIGHT_TIMEZONE", "UTC", "IANA zone the web interface shows and reads times in, e.g. Europe/Paris"},
	{"GREENLIGHT_MEDIA_DIR", "", "dev, api, worker: directory of uploaded media, content-addressed (empty: media/ in GREENLIGHT_DATA_DIR); API replicas must share it"},
	{"GREENLIGHT_MEDIA_MAX_BYTES", strconv.Itoa(media.DefaultMaxBytes), "largest media upload in bytes; images are also limited to 10 MiB"},
	{"GREENLIGHT_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"GREENLIGHT_META_APP_ID", "", "dev, api, worker: Meta app id, to connect Instagram and Facebook Page accounts (with _SECRET)"},
	{"GREENLIGHT_META_APP_SECRET", "", "dev, api, worker: Meta app secret"},
	{"GREENLIGHT_LINKEDIN_CLIENT_ID", "", "dev, api, worker: LinkedIn app client id, to connect LinkedIn accounts (with _SECRET)"},
	{"GREENLIGHT_LINKEDIN_CLIENT_SECRET", "", "dev, api, worker: LinkedIn app client secret"},
	{"GREENLIGHT_X_CLIENT_ID", "", "dev, api, worker: X app OAuth 2.0 client id, to connect X accounts (with _SECRET)"},
	{"GREENLIGHT_X_CLIENT_SECRET", "", "dev, api, worker: X app OAuth 2.0 client secret"},
	{"GREENLIGHT_META_GRAPH_VERSION", defaultGraphVersion, "Graph API version for Instagram and Facebook (vNN.N); change it when Meta retires the version"},
	{"GREENLIGHT_LINKEDIN_VERSION", defaultLinkedInVersion, "LinkedIn-Version header (YYYYMM); change it when LinkedIn retires the version"},
	{"GREENLIGHT_LINKEDIN_ORGANIZATIONS", "false", "dev, api, worker: true once the LinkedIn app has the Community Management API: Greenlight then asks for the organization scopes and offers the Pages the member administers"},
	{"GREENLIGHT_RETENTION_INTERVAL", "1h", "worker, dev: how often the retention job prunes old records (at least 1m)"},
	{"GREENLIGHT_RETENTION_SESSIONS", "0s", "worker, dev: how long web sessions are kept after they expired"},
	{"GREENLIGHT_RETENTION_INVITES", "0s", "worker, dev: how long password invites are kept after they expired or were used"},
	{"GREENLIGHT_RETENTION_RATE_LIMITS", "0s", "worker, dev: how long rate-limit counters are kept after their window ended"},
	{"GREENLIGHT_RETENTION_LINKS", "2160h", "worker, dev: how long approval links are kept after they expired or were used (valid links are always kept)"},
	{"GREENLIGHT_RETENTION_IDEMPOTENCY_KEYS", "24h", "worker, dev: how long an Idempotency-Key's response is replayed (at least 1h)"},
	{"GREENLIGHT_RETENTION_DEV_MAILS", "168h", "worker, dev: how long the mail catcher keeps emails"},
}

// requiredFor lists the variables each production command cannot run without.
var requiredFor = map[string][]string{
	"migrate":  {"GREENLIGHT_DATABASE_URL"},
	"api":      {"GREENLIGHT_DATABASE_URL"},
	"worker":   {"GREENLIGHT_DATABASE_URL", "GREENLIGHT_SMTP_URL", "GREENLIGHT_PUBLIC_URL"},
	"user":     {"GREENLIGHT_DATABASE_URL"},
	"accounts": {"GREENLIGHT_DATABASE_URL", "GREENLIGHT_SECRET_KEY"},
}

// config is everything read from GREENLIGHT_* variables.
type config struct {
	addr, dataDir, adminKey, databaseURL          string
	temporalAddress, temporalNamespace, taskQueue string
	smtpURL, mailFrom, publicURL, agency          string
	webhookSecret, logLevel                       string
	playbooksDir, slackWebhookURL                 string
	trustedProxies                                []netip.Prefix
	outbound                                      *outbound.Policy
	secrets                                       *secrets.Box // nil when GREENLIGHT_SECRET_KEY is empty
	linkTTL, portalTTL                            time.Duration
	timezone                                      *time.Location
	approveRateLimit, temporalPort                int
	mediaDir                                      string
	mediaMaxBytes                                 int64
	retention                                     worker.RetentionConfig
	networks                                      networks.Config // OAuth apps and API versions
	observe                                       observeConfig   // observe.go
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
	var err error
	if c.trustedProxies, err = api.ParseTrustedProxies(getenv("GREENLIGHT_TRUSTED_PROXIES")); err != nil {
		c.errs = append(c.errs, fmt.Errorf("GREENLIGHT_TRUSTED_PROXIES: %w", err))
	}
	if c.outbound, err = outbound.ParsePolicy(getenv("GREENLIGHT_OUTBOUND_ALLOW")); err != nil {
		c.errs = append(c.errs, fmt.Errorf("GREENLIGHT_OUTBOUND_ALLOW: %w", err))
	}
	c.secrets, err = secretsConfig(getenv("GREENLIGHT_SECRET_KEY"), getenv("GREENLIGHT_SECRET_KEY_OLD"))
	if err != nil {
		c.errs = append(c.errs, err)
	}
	if c.timezone, err = time.LoadLocation(getenv("GREENLIGHT_TIMEZONE")); err != nil {
		c.errs = append(c.errs, fmt.Errorf("GREENLIGHT_TIMEZONE: unknown zone %q", getenv("GREENLIGHT_TIMEZONE")))
	}
	if c.linkTTL, err = time.ParseDuration(getenv("GREENLIGHT_LINK_TTL")); err != nil || c.linkTTL <= 0 {
		c.errs = append(c.errs, fmt.Errorf("GREENLIGHT_LINK_TTL: must be a positive duration such as 336h"))
	}
	if c.portalTTL, err = time.ParseDuration(getenv("GREENLIGHT_PORTAL_TTL")); err != nil || c.portalTTL <= 0 {
		c.errs = append(c.errs, fmt.Errorf("GREENLIGHT_PORTAL_TTL: must be a positive duration such as 2160h"))
	}
	if c.approveRateLimit, err = strconv.Atoi(getenv("GREENLIGHT_APPROVE_RATE_LIMIT")); err != nil || c.approveRateLimit < 1 {
		c.errs = append(c.errs, fmt.Errorf("GREENLIGHT_APPROVE_RATE_LIMIT: must be a positive integer"))
	}
	if c.temporalPort, err = strconv.Atoi(getenv("GREENLIGHT_TEMPORAL_PORT")); err != nil || c.temporalPort < 0 {
		c.errs = append(c.errs, fmt.Errorf("GREENLIGHT_TEMPORAL_PORT: must be a port number"))
	}
	c.mediaDir = getenv("GREENLIGHT_MEDIA_DIR")
	c.observe = readObserveConfig(&c.errs)
	if c.mediaMaxBytes, err = strconv.ParseInt(getenv("GREENLIGHT_MEDIA_MAX_BYTES"), 10, 64); err != nil || c.mediaMaxBytes < 1 {
		c.errs = append(c.errs, fmt.Errorf("GREENLIGHT_MEDIA_MAX_BYTES: must be a positive number of bytes"))
	}
	c.retention = retentionConfig(&c.errs)
	c.networks = networksConfig(&c.errs)
	return c
}

// networksConfig reads the networks' OAuth apps and API versions, adding what is wrong to
// errs: an app needs both its id and its secret.
func networksConfig(errs *[]error) networks.Config {
	cfg := networks.Config{Apps: map[string]publish.OAuthApp{},
		LinkedInVersion: getenv("GREENLIGHT_LINKEDIN_VERSION"), MetaGraphVersion: getenv("GREENLIGHT_META_GRAPH_VERSION"),
		PublicURL: strings.TrimSpace(getenv("GREENLIGHT_PUBLIC_URL"))}
	switch v := strings.TrimSpace(getenv("GREENLIGHT_LINKEDIN_ORGANIZATIONS")); v {
	case "", "false", "0":
	case "true", "1":
		cfg.LinkedInOrganizations = true
	default:
		*errs = append(*errs, fmt.Errorf("GREENLIGHT_LINKEDIN_ORGANIZATIONS: must be true or false, not %q", v))
	}
	for _, app := range []struct {
		prefix   string
		networks []string
	}{
		{"GREENLIGHT_META_APP", []string{service.NetworkInstagram, service.NetworkFacebook}},
		{"GREENLIGHT_LINKEDIN_CLIENT", []string{service.NetworkLinkedIn}},
		{"GREENLIGHT_X_CLIENT", []string{service.NetworkX}},
	} {
		idName, secretName := app.prefix+"_ID", app.prefix+"_SECRET"
		a := publish.OAuthApp{ClientID: strings.TrimSpace(getenv(idName)), ClientSecret: strings.TrimSpace(getenv(secretName))}
		switch {
		case a.ClientID != "" && a.ClientSecret == "":
			*errs = append(*errs, fmt.Errorf("%s: required with %s", secretName, idName))
		case a.ClientID == "" && a.ClientSecret != "":
			*errs = append(*errs, fmt.Errorf("%s: required with %s", idName, secretName))
		case a.Configured():
			for _, n := range app.networks {
				cfg.Apps[n] = a
			}
		}
	}
	if !linkedInVersion.MatchString(cfg.LinkedInVersion) {
		*errs = append(*errs, fmt.Errorf("GREENLIGHT_LINKEDIN_VERSION: must be a version such as %s (YYYYMM)", defaultLinkedInVersion))
	}
	if !graphVersion.MatchString(cfg.MetaGraphVersion) {
		*errs = append(*errs, fmt.Errorf("GREENLIGHT_META_GRAPH_VERSION: must be a version such as %s", defaultGraphVersion))
	}
	return cfg
}

// Versions of the networks' APIs used unless the operator says otherwise. LinkedIn
// supports each monthly version for at least a year (202603: until 16 March 2027; 202510
// was sunset on 15 October 2026), Meta each Graph API version for about two (v25.0: until
// 29 July 2028; v21.0 ends on 21 January 2027), per their versioning pages in November 2026.
const (
	defaultLinkedInVersion = "202603"
	defaultGraphVersion    = "v25.0"
)

var (
	linkedInVersion = regexp.MustCompile(`^20[0-9]{2}(0[1-9]|1[0-2])$`)
	graphVersion    = regexp.MustCompile(`^v[0-9]{1,3}\.[0-9]$`)
)

// mediaDirIn is GREENLIGHT_MEDIA_DIR, or media/ in dataDir when it is not set.
func (c config) mediaDirIn(dataDir string) string {
	if c.mediaDir != "" {
		return c.mediaDir
	}
	return filepath.Join(dataDir, "media")
}

// retentionConfig reads the GREENLIGHT_RETENTION_* variables, adding what is wrong to errs.
func retentionConfig(errs *[]error) worker.RetentionConfig {
	var r worker.RetentionConfig
	p, bad := &r.Periods, false
	for _, v := range []struct {
		name string
		dst  *time.Duration
	}{
		{"GREENLIGHT_RETENTION_INTERVAL", &r.Interval},
		{"GREENLIGHT_RETENTION_SESSIONS", &p.Sessions},
		{"GREENLIGHT_RETENTION_INVITES", &p.Invites},
		{"GREENLIGHT_RETENTION_RATE_LIMITS", &p.RateLimits},
		{"GREENLIGHT_RETENTION_LINKS", &p.Links},
		{"GREENLIGHT_RETENTION_IDEMPOTENCY_KEYS", &p.IdempotencyKeys},
		{"GREENLIGHT_RETENTION_DEV_MAILS", &p.DevMails},
	} {
		d, err := time.ParseDuration(getenv(v.name))
		if err != nil || d < 0 {
			*errs, bad = append(*errs, fmt.Errorf("%s: must be a duration such as 24h or 0s", v.name)), true
			continue
		}
		*v.dst = d
	}
	if !bad {
		if err := r.Validate(); err != nil {
			*errs = append(*errs, fmt.Errorf("GREENLIGHT_RETENTION_*: %w", err))
		}
	}
	return r
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

func dialTemporal(ctx context.Context, c config, stderr io.Writer, obs *observability) (client.Client, error) {
	opts, err := temporalOptions(c, stderr) // TLS and API key: temporal_conn.go
	if err != nil {
		return nil, err
	}
	if err := obs.temporal(&opts); err != nil { // metrics and tracing: observe.go
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
	obs, err := observe(ctx, c, "api", log)
	if err != nil {
		return err
	}
	defer obs.close()
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := obs.store(st); err != nil {
		return err
	}
	tc, err := dialTemporal(ctx, c, os.Stderr, obs)
	if err != nil {
		return err
	}
	defer tc.Close()
	catalog, err := playbooks.Load(c.playbooksDir)
	if err != nil {
		return err
	}
	box, err := secretBox(ctx, c, st)
	if err != nil {
		return err
	}
	lib, err := media.Open(c.mediaDirIn(c.dataDir), c.mediaMaxBytes)
	if err != nil {
		if c.mediaDir != "" {
			return fmt.Errorf("GREENLIGHT_MEDIA_DIR: %w", err)
		}
		// The default under the data directory may not be writable in a container: run
		// without uploads rather than not at all, and say how to turn them on.
		log.Warn("media uploads disabled: set GREENLIGHT_MEDIA_DIR to a writable directory shared by the API replicas", "error", err)
		lib = nil
	}
	svc := &service.Service{Store: st, Temporal: tc, TaskQueue: c.taskQueue, Catalog: catalog, Agency: c.agency, Log: log,
		Outbound: c.outbound, HTTP: outbound.NewClient(c.outbound, outbound.Options{}), Secrets: box, Library: lib,
		Connectors: networks.Connectors(outbound.NewClient(c.outbound, outbound.Options{}), c.networks), PublicURL: c.publicURL,
		Providers: networks.Providers(outbound.NewClient(c.outbound, outbound.Options{}), c.networks), OAuthApps: c.networks.Apps,
		PortalTTL: c.portalTTL}
	var draining atomic.Bool
	app := api.New(api.Config{
		Service: svc, Store: st, Temporal: tc, Log: log, Agency: c.agency,
		ApproveRateLimit: c.approveRateLimit, TrustedProxies: c.trustedProxies, Timezone: c.timezone, PublicURL: c.publicURL,
		Middleware: obs.middleware(), Draining: draining.Load,
	})
	served := make(chan error, 1)
	go func() { served <- app.Listen(c.addr) }()
	log.Info("api listening", "addr", c.addr)
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	// Graceful shutdown: /readyz says 503 while everything else is still served, so that
	// load balancers stop sending requests; then the listener closes and the requests in
	// flight get GREENLIGHT_SHUTDOWN_TIMEOUT to finish.
	draining.Store(true)
	log.Info("shutting down: /readyz answers 503", "delay", c.observe.shutdownDelay)
	select {
	case <-time.After(c.observe.shutdownDelay):
	case err := <-served:
		return err
	}
	log.Info("shutting down: draining requests in flight", "timeout", c.observe.shutdownTimeout)
	shutdown, cancel := context.WithTimeout(context.Background(), c.observe.shutdownTimeout)
	defer cancel()
	if err := app.ShutdownWithContext(shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("api stopped")
	return nil
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
	obs, err := observe(ctx, c, "worker", log)
	if err != nil {
		return err
	}
	defer obs.close()
	if err := obs.store(st); err != nil {
		return err
	}
	box, err := secretBox(ctx, c, st) // opens connected accounts' credentials to publish
	if err != nil {
		return err
	}
	catalog, err := playbooks.Load(c.playbooksDir) // listening sources start crises by rule
	if err != nil {
		return err
	}
	var sender mail.Sender = &mail.Catcher{Store: st}
	if c.smtpURL != "catcher" {
		if sender, err = mail.NewSMTP(c.smtpURL, c.mailFrom, c.agency); err != nil {
			return err
		}
	}
	sender = metrics.CountEmails(sender)
	tc, err := dialTemporal(ctx, c, stderr, obs)
	if err != nil {
		return err
	}
	defer tc.Close()
	// The worker signs the URLs of images in approval emails with the API's key, kept in
	// the shared media directory; without it the emails only link to the approval page.
	lib, err := media.Open(c.mediaDirIn(c.dataDir), c.mediaMaxBytes)
	if err != nil {
		if c.mediaDir != "" {
			return fmt.Errorf("GREENLIGHT_MEDIA_DIR: %w", err)
		}
		log.Warn("media library unavailable: approval emails will not show images and posts with media fail on network channels; set GREENLIGHT_MEDIA_DIR to the directory the API replicas share", "error", err)
		lib = nil
	}
	hc := outbound.NewClient(c.outbound, outbound.Options{})
	acts := &activities.Activities{
		Store: st, Crises: st, Retention: st, Mail: sender, SlackWebhookURL: c.slackWebhookURL, HTTP: hc,
		Publisher: &publish.Router{Webhook: &publish.Webhook{Secret: c.webhookSecret, HTTP: hc}},
		BaseURL:   c.publicURL, LinkTTL: c.linkTTL, Agency: c.agency, Log: log, Library: lib,
		Connectors: networks.Connectors(hc, c.networks), Secrets: box,
		Webhooks: st, Temporal: tc, TaskQueue: c.taskQueue,
	}
	// Listening sources store mentions and apply trigger rules as the API does.
	acts.Sources = &service.Service{Store: st, Temporal: tc, TaskQueue: c.taskQueue, Catalog: catalog, Agency: c.agency, Log: log,
		Outbound: c.outbound, HTTP: hc, Secrets: box}
	// On SIGTERM the worker stops polling and gives running activities
	// GREENLIGHT_SHUTDOWN_TIMEOUT to finish before their contexts are cancelled.
	w := worker.New(tc, c.taskQueue, acts, sdkworker.Options{WorkerStopTimeout: c.observe.shutdownTimeout})
	outcome, err := worker.EnsureRetentionSchedule(ctx, tc, c.taskQueue, c.retention)
	if err != nil {
		return err
	}
	log.Info("retention schedule", "schedule", outcome, "every", c.retention.Interval)
	if outcome, err = worker.EnsureWebhookSweepSchedule(ctx, tc, c.taskQueue); err != nil {
		return err
	}
	log.Info("webhook sweep schedule", "schedule", outcome)
	if outcome, err = worker.EnsureAccountsSchedule(ctx, tc, c.taskQueue); err != nil {
		return err
	}
	log.Info("accounts schedule", "schedule", outcome, "every", worker.AccountsInterval)
	log.Info("worker polling", "task_queue", c.taskQueue, "temporal", c.temporalAddress)
	if err := w.Run(interruptOn(ctx)); err != nil {
		return err
	}
	log.Info("worker stopped")
	return nil
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
		return usageError{errors.New("the only user subcommand is create")}
	}
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	email := fs.String("email", "", "email address")
	name := fs.String("name", "", "display name")
	role := fs.String("role", "", "admin, editor, reviewer or crisis_lead")
	clients := fs.String("clients", "", "comma-separated client ids the user is limited to")
	if err := parseFlags(fs, args[1:]); err != nil {
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
// runOpenAPI prints the API contract (api.OpenAPI) as YAML, or JSON with --json.
func runOpenAPI(args []string, stdout io.Writer) error {
	switch {
	case len(args) == 1 && args[0] == "--json":
		doc, err := api.OpenAPI()
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	case len(args) == 0:
		b, err := api.OpenAPIYAML()
		if err != nil {
			return err
		}
		_, err = stdout.Write(b)
		return err
	}
	return usageError{errors.New("openapi takes no argument but --json")}
}

func runHealthcheck(args []string) error {
	if len(args) != 1 {
		return usageError{errors.New("healthcheck takes one URL")}
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
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	srv, err := devstack.StartTemporal(devstack.TemporalConfig{DatabaseFile: filepath.Join(*data, "temporal.db"), Port: *port})
	if err != nil {
		return err
	}
	defer srv.Stop()
	srv.Started()
	fmt.Fprintf(stdout, "Temporal listening on %s (namespace default, state in %s)\n", srv.HostPort(), filepath.Join(*data, "temporal.db"))
	<-ctx.Done()
	return nil
}
