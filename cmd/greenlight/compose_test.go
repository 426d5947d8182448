package main

import (
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// The compose checks read docker-compose.yml the way `docker compose` does (the compose-spec
// loader, with .env.example as the .env file), so what they check is what Docker would run.
const (
	repoRoot    = "../.."
	composeFile = repoRoot + "/docker-compose.yml"
	envExample  = repoRoot + "/.env.example"
)

// ourServices are built from this repository and run the greenlight binary.
var ourServices = []string{"migrate", "api", "worker"}

// imageCommands lists, per image, the health-check commands known to exist inside it (from
// each image's Dockerfile): a health check calling anything else would never turn healthy.
var imageCommands = map[string][]string{
	"postgres":               {"pg_isready"},                    // PostgreSQL's client tools
	"temporalio/server":      {"wget", "nc"},                    // Alpine BusyBox; no temporal CLI, no tctl (v1.32 docker/targets/server.Dockerfile)
	"temporalio/admin-tools": {"temporal", "temporal-sql-tool"}, // v1.32 docker/targets/admin-tools.Dockerfile
	"axllent/mailpit":        {"/mailpit"},                      // HEALTHCHECK /mailpit readyz
	"greenlight:local":       {"/greenlight"},                   // our Dockerfile's ENTRYPOINT
}

// loadCompose loads the project with envFile standing in for .env.
func loadCompose(t *testing.T, envFile string) (*types.Project, error) {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{composeFile},
		cli.WithWorkingDirectory(repoRoot), cli.WithEnvFiles(envFile), cli.WithDotEnv)
	require.NoError(t, err)
	return opts.LoadProject(context.Background())
}

func mustLoadCompose(t *testing.T) *types.Project {
	t.Helper()
	p, err := loadCompose(t, envExample)
	require.NoError(t, err, "docker-compose.yml with .env.example")
	return p
}

// env returns a service's environment after interpolation; unset entries are empty.
func env(s types.ServiceConfig) map[string]string {
	out := map[string]string{}
	for k, v := range s.Environment {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}

// dotEnv reads KEY=VALUE lines of an env file.
func dotEnv(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		require.True(t, ok, "%s: %q is not KEY=VALUE", path, line)
		out[k] = v
	}
	return out
}

// temporalServerVersion is the go.temporal.io/server version in go.mod, without the "v".
func temporalServerVersion(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(repoRoot + "/go.mod")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^\s*go\.temporal\.io/server v(\S+)`).FindStringSubmatch(string(data))
	require.NotNil(t, m, "go.mod requires go.temporal.io/server")
	return m[1]
}

func TestComposeServicesAndDependencies(t *testing.T) {
	p := mustLoadCompose(t)
	require.ElementsMatch(t, []string{"postgres", "temporal-schema", "temporal", "temporal-init", "temporal-ui", "mailpit", "migrate", "api", "worker", "prometheus"}, p.ServiceNames())

	for name, s := range p.Services {
		for dep, d := range s.DependsOn {
			target, ok := p.Services[dep]
			require.True(t, ok, "%s depends on %s, which is not a service", name, dep)
			switch d.Condition {
			case types.ServiceConditionHealthy:
				hc := target.HealthCheck
				require.True(t, hc != nil && !hc.Disable && len(hc.Test) > 1, "%s waits for %s to be healthy, but %s has no health check", name, dep, dep)
				require.Contains(t, []string{"CMD", "CMD-SHELL"}, hc.Test[0], "%s's health check", dep)
			case types.ServiceConditionCompletedSuccessfully:
				require.Equal(t, "no", target.Restart, "%s waits for %s to finish: a one-shot job is never restarted", name, dep)
			case types.ServiceConditionStarted:
			default:
				t.Fatalf("%s: unknown condition %q on %s", name, d.Condition, dep)
			}
		}
	}
	for _, svc := range []string{"api", "worker"} {
		deps := p.Services[svc].DependsOn
		require.Equal(t, types.ServiceConditionCompletedSuccessfully, deps["migrate"].Condition, "%s starts after migrations", svc)
		require.Equal(t, types.ServiceConditionCompletedSuccessfully, deps["temporal-init"].Condition, "%s starts once Temporal is healthy and has its namespace", svc)
	}
	require.Equal(t, types.ServiceConditionHealthy, p.Services["migrate"].DependsOn["postgres"].Condition)
	require.Equal(t, types.ServiceConditionCompletedSuccessfully, p.Services["temporal"].DependsOn["temporal-schema"].Condition, "Temporal starts on an up-to-date schema")
}

func TestComposeHealthChecksExistInTheirImages(t *testing.T) {
	p := mustLoadCompose(t)
	for name, s := range p.Services {
		if s.HealthCheck == nil || s.HealthCheck.Disable {
			continue
		}
		t.Run(name, func(t *testing.T) {
			test := s.HealthCheck.Test
			require.Equal(t, "CMD", test[0], "exec form: no shell is assumed in the image")
			repo, _, _ := strings.Cut(s.Image, ":")
			if s.Image == "greenlight:local" {
				repo = s.Image
			}
			known, ok := imageCommands[repo]
			require.True(t, ok, "%s: no known commands for image %s", name, s.Image)
			require.Contains(t, known, test[1], "%s's health check runs %q, which image %s does not have", name, test[1], s.Image)
		})
	}
}

func TestComposeImagesArePinnedAndSupported(t *testing.T) {
	p := mustLoadCompose(t)
	version := temporalServerVersion(t)
	for name, s := range p.Services {
		if s.Build != nil {
			require.True(t, slices.Contains(ourServices, name), "%s is built here but is not one of ours", name)
			require.Equal(t, "greenlight:local", s.Image)
			continue
		}
		repo, tag, ok := strings.Cut(s.Image, ":")
		require.True(t, ok && tag != "" && tag != "latest", "%s's image %s is pinned to a version", name, s.Image)
		require.NotEqual(t, "temporalio/auto-setup", repo, "auto-setup is deprecated (no images after 1.30)")
		if repo == "temporalio/server" || repo == "temporalio/admin-tools" {
			require.Equal(t, version, tag, "%s runs the Temporal version go.mod builds and tests against", name)
		}
	}
	for _, svc := range ourServices {
		s := p.Services[svc]
		require.NotNil(t, s.Build, "%s is built from this repository", svc)
		abs, err := filepath.Abs(repoRoot)
		require.NoError(t, err)
		require.Equal(t, abs, s.Build.Context)
	}
	// The image those services run: the Dockerfile builds ./cmd/greenlight into /greenlight,
	// the entrypoint the compose commands and health checks rely on.
	dockerfile, err := os.ReadFile(repoRoot + "/Dockerfile")
	require.NoError(t, err)
	require.Regexp(t, `go build .*-o /greenlight \./cmd/greenlight`, string(dockerfile))
	require.Regexp(t, `COPY --from=build /greenlight /greenlight`, string(dockerfile))
	require.Regexp(t, `(?m)^ENTRYPOINT \["/greenlight"\]$`, string(dockerfile))
	require.Regexp(t, `(?m)^USER nonroot`, string(dockerfile))

	// Bind-mounted files exist (the Temporal server's dynamic config).
	for name, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeBind {
				_, err := os.Stat(v.Source)
				require.NoError(t, err, "%s mounts %s", name, v.Source)
			}
		}
	}
}

func TestComposePublishesOnLoopbackOnly(t *testing.T) {
	p := mustLoadCompose(t)
	published := map[string]bool{}
	for name, s := range p.Services {
		for _, port := range s.Ports {
			published[name] = true
			require.Equal(t, "127.0.0.1", port.HostIP, "%s publishes %d on loopback only", name, port.Target)
		}
	}
	require.Equal(t, map[string]bool{"api": true, "temporal-ui": true, "mailpit": true, "prometheus": true}, published,
		"only the api and the web UIs publish ports; PostgreSQL, Temporal, SMTP and /metrics stay inside")
}

func TestComposeSecretsComeFromEnvFile(t *testing.T) {
	example := dotEnv(t, envExample)
	raw, err := os.ReadFile(composeFile)
	require.NoError(t, err)
	// Every .env.example variable is read by the compose file: a variable renamed on one
	// side only would otherwise fall back to a default without a word.
	for k := range example {
		require.True(t, strings.Contains(string(raw), "${"+k), ".env.example sets %s, which docker-compose.yml never reads", k)
	}
	// The example key is a valid key (so a copied .env starts), but never the one in use:
	// the comment says to replace it.
	_, err = secretsConfig(example["GREENLIGHT_SECRET_KEY"], example["GREENLIGHT_SECRET_KEY_OLD"])
	require.NoError(t, err, ".env.example's GREENLIGHT_SECRET_KEY is a valid 32-byte key")
	for _, secret := range []string{"POSTGRES_PASSWORD", "GREENLIGHT_WEBHOOK_SECRET", "GREENLIGHT_SECRET_KEY"} {
		t.Run(secret, func(t *testing.T) {
			require.NotEmpty(t, example[secret])
			require.False(t, strings.Contains(string(raw), example[secret]), "no literal secret in docker-compose.yml")
			// Without it in .env, compose refuses to start rather than use a default.
			dir := t.TempDir()
			var lines []string
			for k, v := range example {
				if k != secret {
					lines = append(lines, k+"="+v)
				}
			}
			path := filepath.Join(dir, ".env")
			require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o600))
			_, err := loadCompose(t, path)
			require.ErrorContains(t, err, secret)
		})
	}
}

func TestComposeConfigurationAgrees(t *testing.T) {
	p := mustLoadCompose(t)
	pg := env(p.Services["postgres"])
	for _, svc := range ourServices {
		e := env(p.Services[svc])
		for _, name := range requiredFor[svc] {
			require.NotEmpty(t, e[name], "%s needs %s", svc, name)
		}
		for name := range e {
			require.True(t, slices.ContainsFunc(envVars, func(v struct{ Name, Default, Help string }) bool { return v.Name == name }),
				"%s sets %s, which greenlight does not read", svc, name)
		}
		db, err := url.Parse(e["GREENLIGHT_DATABASE_URL"])
		require.NoError(t, err)
		pw, _ := db.User.Password()
		require.Equal(t, pg["POSTGRES_USER"], db.User.Username(), "%s's database user", svc)
		require.Equal(t, pg["POSTGRES_PASSWORD"], pw, "%s's database password", svc)
		require.Equal(t, pg["POSTGRES_DB"], strings.TrimPrefix(db.Path, "/"), "%s's database", svc)
	}
	api, worker := env(p.Services["api"]), env(p.Services["worker"])
	for _, name := range []string{"GREENLIGHT_TEMPORAL_ADDRESS", "GREENLIGHT_TEMPORAL_NAMESPACE", "GREENLIGHT_TASK_QUEUE", "GREENLIGHT_PUBLIC_URL"} {
		require.Equal(t, api[name], worker[name], "api and worker agree on %s", name)
	}

	temporal, schema := env(p.Services["temporal"]), env(p.Services["temporal-schema"])
	require.Equal(t, "postgres12", temporal["DB"])
	require.Equal(t, "postgres12", schema["SQL_PLUGIN"])
	require.Equal(t, "postgres", temporal["POSTGRES_SEEDS"], "Temporal keeps its state in the postgres service")
	require.Equal(t, "postgres", schema["SQL_HOST"])
	for _, kv := range [][2]string{
		{temporal["POSTGRES_USER"], pg["POSTGRES_USER"]}, {temporal["POSTGRES_PWD"], pg["POSTGRES_PASSWORD"]},
		{schema["SQL_USER"], pg["POSTGRES_USER"]}, {schema["SQL_PASSWORD"], pg["POSTGRES_PASSWORD"]},
	} {
		require.Equal(t, kv[1], kv[0], "Temporal and its schema job log in as the postgres service's role")
	}
	script := strings.Join(p.Services["temporal-schema"].Command, " ")
	for _, db := range []string{temporal["DBNAME"], temporal["VISIBILITY_DBNAME"]} {
		require.Contains(t, script, "--db "+db+" update-schema", "the schema job upgrades %s, the database Temporal uses", db)
	}

	// Everything that talks to Temporal uses the server's frontend and Greenlight's namespace.
	require.Equal(t, "temporal:7233", api["GREENLIGHT_TEMPORAL_ADDRESS"])
	require.Equal(t, "temporal:7233", env(p.Services["temporal-ui"])["TEMPORAL_ADDRESS"])
	require.Equal(t, "temporal:7233", env(p.Services["temporal-init"])["TEMPORAL_ADDRESS"])
	init := strings.Join(p.Services["temporal-init"].Command, " ")
	require.Contains(t, init, "namespace create --namespace "+api["GREENLIGHT_TEMPORAL_NAMESPACE"]+"\n", "temporal-init registers Greenlight's namespace")
	require.Contains(t, init, "temporal operator cluster health", "temporal-init waits for a healthy cluster")

	smtp, err := url.Parse(worker["GREENLIGHT_SMTP_URL"])
	require.NoError(t, err)
	require.Equal(t, "mailpit:1025", smtp.Host, "with .env.example the worker sends to Mailpit's SMTP port")
}

// TestComposeSecretKeyAndMedia: api and worker open connected accounts with the same key
// (and old key during a rotation), and share one named volume for the media library, at the
// GREENLIGHT_MEDIA_DIR they are given; the image creates that directory owned by the user it
// runs as, which is what a named volume's first mount copies.
func TestComposeSecretKeyAndMedia(t *testing.T) {
	p := mustLoadCompose(t)
	api, worker := env(p.Services["api"]), env(p.Services["worker"])
	for _, name := range []string{"GREENLIGHT_SECRET_KEY", "GREENLIGHT_SECRET_KEY_OLD", "GREENLIGHT_MEDIA_DIR"} {
		_, ok := p.Services["api"].Environment[name]
		require.True(t, ok, "api sets %s", name)
		require.Equal(t, api[name], worker[name], "api and worker agree on %s", name)
	}
	require.NotEmpty(t, api["GREENLIGHT_SECRET_KEY"])
	_, err := secretsConfig(api["GREENLIGHT_SECRET_KEY"], api["GREENLIGHT_SECRET_KEY_OLD"])
	require.NoError(t, err)

	dir := api["GREENLIGHT_MEDIA_DIR"]
	require.True(t, filepath.IsAbs(dir), "GREENLIGHT_MEDIA_DIR is a path inside the container: %q", dir)
	volumeAt := func(svc string) string {
		for _, v := range p.Services[svc].Volumes {
			if v.Target == dir {
				require.Equal(t, types.VolumeTypeVolume, v.Type, "%s: %s is a named volume (it outlives the container)", svc, dir)
				require.False(t, v.ReadOnly, "%s writes to %s", svc, dir)
				return v.Source
			}
		}
		t.Fatalf("%s mounts no volume at GREENLIGHT_MEDIA_DIR %s: uploads would go to the container's own filesystem", svc, dir)
		return ""
	}
	vol := volumeAt("api")
	require.Equal(t, vol, volumeAt("worker"), "api and worker share the media volume")
	_, declared := p.Volumes[vol]
	require.True(t, declared, "volume %s is declared", vol)

	dockerfile, err := os.ReadFile(repoRoot + "/Dockerfile")
	require.NoError(t, err)
	require.Regexp(t, `(?m)^RUN mkdir -p /rootfs`+regexp.QuoteMeta(dir)+`$`, string(dockerfile), "the build stage creates the media directory")
	require.Regexp(t, `(?m)^COPY --from=build --chown=65532:65532 /rootfs(\S*) (\S+)$`, string(dockerfile))
	m := regexp.MustCompile(`(?m)^COPY --from=build --chown=65532:65532 /rootfs(\S*) (\S+)$`).FindStringSubmatch(string(dockerfile))
	require.Equal(t, m[1], m[2], "copied to the same path")
	require.True(t, dir == m[2] || strings.HasPrefix(dir, m[2]+"/"), "the image has %s owned by nonroot (65532)", dir)
}

// TestComposePrometheusScrapesAPIAndWorker: the prometheus service reads the shipped
// scrape config at the image's default path, and that config scrapes the api and the
// worker on the port of their GREENLIGHT_METRICS_ADDR, which no service publishes.
func TestComposePrometheusScrapesAPIAndWorker(t *testing.T) {
	p := mustLoadCompose(t)
	prom := p.Services["prometheus"]
	var config string
	for _, v := range prom.Volumes {
		if v.Type == types.VolumeTypeBind && v.Target == "/etc/prometheus/prometheus.yml" {
			config = v.Source
		}
	}
	require.NotEmpty(t, config, "prometheus mounts its scrape config at /etc/prometheus/prometheus.yml")
	data, err := os.ReadFile(config)
	require.NoError(t, err)
	var cfg struct {
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
			DNSSDConfigs []struct {
				Names []string `yaml:"names"`
				Type  string   `yaml:"type"`
				Port  int      `yaml:"port"`
			} `yaml:"dns_sd_configs"`
			MetricsPath string `yaml:"metrics_path"`
		} `yaml:"scrape_configs"`
	}
	require.NoError(t, yaml.Unmarshal(data, &cfg))
	targets := map[string]bool{}
	for _, sc := range cfg.ScrapeConfigs {
		require.Contains(t, []string{"", "/metrics"}, sc.MetricsPath, "job %s scrapes /metrics", sc.JobName)
		for _, st := range sc.StaticConfigs {
			for _, tg := range st.Targets {
				targets[tg] = true
			}
		}
		for _, d := range sc.DNSSDConfigs {
			require.Equal(t, "A", d.Type, "job %s: compose's DNS answers A records", sc.JobName)
			for _, n := range d.Names {
				targets[net.JoinHostPort(n, strconv.Itoa(d.Port))] = true
			}
		}
	}
	for _, svc := range []string{"api", "worker"} {
		addr := env(p.Services[svc])["GREENLIGHT_METRICS_ADDR"]
		host, port, err := net.SplitHostPort(addr)
		require.NoError(t, err, "%s sets GREENLIGHT_METRICS_ADDR", svc)
		require.Contains(t, []string{"", "0.0.0.0", "::"}, host, "%s's metrics listen on every interface of its container", svc)
		require.True(t, targets[net.JoinHostPort(svc, port)], "prometheus scrapes %s:%s (targets %v)", svc, port, targets)
		for _, pp := range p.Services[svc].Ports {
			require.NotEqual(t, port, strconv.Itoa(int(pp.Target)), "%s's metrics port is not published", svc)
		}
	}
	deps := prom.DependsOn
	require.Contains(t, deps, "api")
	require.Contains(t, deps, "worker")
}

func TestReadmeDocumentsEveryVariable(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	for _, v := range envVars {
		require.Regexp(t, regexp.MustCompile("(?m)^\\|\\s*`"+v.Name+"`"), string(data), "README's configuration table lists %s", v.Name)
	}
}

func TestConfigChecks(t *testing.T) {
	t.Setenv("GREENLIGHT_DATABASE_URL", "")
	t.Setenv("GREENLIGHT_LINK_TTL", "forever")
	t.Setenv("GREENLIGHT_PORTAL_TTL", "-1h")
	c := envConfig()
	err := c.check("worker")
	require.ErrorContains(t, err, "GREENLIGHT_DATABASE_URL is required by greenlight worker")
	require.ErrorContains(t, err, "GREENLIGHT_SMTP_URL is required")
	require.ErrorContains(t, err, "GREENLIGHT_LINK_TTL: must be a positive duration")
	require.ErrorContains(t, err, "GREENLIGHT_PORTAL_TTL: must be a positive duration")
}
