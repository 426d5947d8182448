package main

import (
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// compose is the part of the compose specification the checks below read.
type compose struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       any               `yaml:"build"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
	} `yaml:"services"`
}

func loadCompose(t *testing.T) compose {
	t.Helper()
	data, err := os.ReadFile("../../docker-compose.yml")
	require.NoError(t, err)
	var c compose
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	require.NoError(t, dec.Decode(&c))
	return c
}

func TestComposeTopology(t *testing.T) {
	c := loadCompose(t)
	for _, name := range []string{"postgres", "temporal", "temporal-ui", "mailpit", "migrate", "api", "worker"} {
		require.Contains(t, c.Services, name)
	}
	tests := []struct {
		service string
		ports   []string
	}{
		{"api", []string{"8080:8080"}},
		{"temporal", []string{"7233:7233"}},
		{"temporal-ui", []string{"8233:8080"}},
		{"mailpit", []string{"8025:8025", "1025:1025"}},
		{"postgres", []string{"5432:5432"}},
	}
	for _, tt := range tests {
		t.Run(tt.service+" ports", func(t *testing.T) {
			require.Equal(t, tt.ports, c.Services[tt.service].Ports)
		})
	}

	for _, svc := range []string{"migrate", "api", "worker"} {
		s := c.Services[svc]
		require.NotNil(t, s.Build, "%s is built from this repository", svc)
		require.Equal(t, []string{svc}, s.Command)
		for _, name := range requiredFor[svc] {
			require.NotEmpty(t, s.Environment[name], "%s needs %s", svc, name)
		}
		db, err := url.Parse(s.Environment["GREENLIGHT_DATABASE_URL"])
		require.NoError(t, err)
		require.Equal(t, "postgres", db.Hostname(), "%s uses the postgres service", svc)
		require.Equal(t, c.Services["postgres"].Environment["POSTGRES_DB"], strings.TrimPrefix(db.Path, "/"))
		require.Equal(t, c.Services["postgres"].Environment["POSTGRES_USER"], db.User.Username())
		if svc == "migrate" {
			require.Equal(t, "service_healthy", s.DependsOn["postgres"].Condition, "migrations wait for the database")
		} else {
			require.Equal(t, "service_completed_successfully", s.DependsOn["migrate"].Condition, "%s starts after migrations", svc)
			require.Equal(t, "temporal:7233", s.Environment["GREENLIGHT_TEMPORAL_ADDRESS"])
			require.Equal(t, c.Services["api"].Environment["GREENLIGHT_TASK_QUEUE"], s.Environment["GREENLIGHT_TASK_QUEUE"], "api and worker share a task queue")
		}
		for name := range s.Environment {
			require.True(t, slices.ContainsFunc(envVars, func(v struct{ Name, Default, Help string }) bool { return v.Name == name }),
				"%s sets %s, which greenlight does not read", svc, name)
		}
	}
	smtp, err := url.Parse(c.Services["worker"].Environment["GREENLIGHT_SMTP_URL"])
	require.NoError(t, err)
	require.Equal(t, "mailpit", smtp.Hostname())
	require.Equal(t, "1025", smtp.Port(), "the worker speaks to mailpit's SMTP port")
	require.Equal(t, "0.0.0.0:8080", c.Services["api"].Environment["GREENLIGHT_ADDR"], "the api listens on the published port")

	temporal := c.Services["temporal"]
	require.Equal(t, "postgres", temporal.Environment["POSTGRES_SEEDS"], "temporal stores its state in the postgres service")
	require.Equal(t, "postgres12", temporal.Environment["DB"])
	require.Equal(t, "temporal:7233", c.Services["temporal-ui"].Environment["TEMPORAL_ADDRESS"])
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
	c := envConfig()
	err := c.check("worker")
	require.ErrorContains(t, err, "GREENLIGHT_DATABASE_URL is required by greenlight worker")
	require.ErrorContains(t, err, "GREENLIGHT_SMTP_URL is required")
	require.ErrorContains(t, err, "GREENLIGHT_LINK_TTL: must be a positive duration")
}
