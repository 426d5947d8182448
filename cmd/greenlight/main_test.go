package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCommandLineHelpAndExitCodes(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string // a substring stdout must hold ("" means stdout must be empty)
		stderr     string // likewise for stderr
		noDispatch bool
	}{
		{name: "no command", args: nil, code: 2, stderr: "Usage:"},
		{name: "--help", args: []string{"--help"}, code: 0, stdout: "Usage:"},
		{name: "-h", args: []string{"-h"}, code: 0, stdout: "Usage:"},
		{name: "help", args: []string{"help"}, code: 0, stdout: "Usage:"},
		{name: "help dev", args: []string{"help", "dev"}, code: 0, stdout: "Usage: greenlight dev"},
		{name: "help unknown", args: []string{"help", "nope"}, code: 2, stderr: "Usage:"},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderr: `unknown command "frobnicate"`},
		{name: "unknown command prints usage", args: []string{"frobnicate"}, code: 2, stderr: "Usage:"},
		{name: "dev --help", args: []string{"dev", "--help"}, code: 0, stdout: "Usage: greenlight dev"},
		{name: "dev -h after a flag", args: []string{"dev", "--addr", "127.0.0.1:0", "-h"}, code: 0, stdout: "--data"},
		{name: "migrate --help", args: []string{"migrate", "--help"}, code: 0, stdout: "Usage: greenlight migrate"},
		{name: "api --help", args: []string{"api", "--help"}, code: 0, stdout: "Usage: greenlight api"},
		{name: "worker --help", args: []string{"worker", "--help"}, code: 0, stdout: "Usage: greenlight worker"},
		{name: "user create --help", args: []string{"user", "create", "--help"}, code: 0, stdout: "--clients"},
		{name: "healthcheck --help", args: []string{"healthcheck", "--help"}, code: 0, stdout: "Usage: greenlight healthcheck"},
		{name: "temporal --help", args: []string{"temporal", "--help"}, code: 0, stdout: "--port"},
		{name: "bench --help", args: []string{"bench", "--help"}, code: 0, stdout: "Usage: greenlight bench"},
		{name: "openapi", args: []string{"openapi"}, code: 0, stdout: "openapi: 3.1.0"},
		{name: "openapi --json", args: []string{"openapi", "--json"}, code: 0, stdout: `"openapi": "3.1.0"`},
		{name: "openapi bad flag", args: []string{"openapi", "--xml"}, code: 2, stderr: "Usage: greenlight openapi"},
		{name: "bad flag", args: []string{"dev", "--nope"}, code: 2, stderr: "Usage: greenlight dev"},
		{name: "user without create", args: []string{"user", "delete"}, code: 2, stderr: "Usage: greenlight user create"},
		{name: "healthcheck without URL", args: []string{"healthcheck"}, code: 2, stderr: "Usage: greenlight healthcheck"},
		{name: "failing command", args: []string{"healthcheck", "http://127.0.0.1:1/readyz"}, code: 1, stderr: "greenlight:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			require.Equal(t, tt.code, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			if tt.stdout == "" {
				require.Empty(t, stdout.String())
			} else {
				require.Contains(t, stdout.String(), tt.stdout)
			}
			if tt.stderr == "" {
				require.Empty(t, stderr.String())
			} else {
				require.Contains(t, stderr.String(), tt.stderr)
			}
		})
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, line := range bytes.Split([]byte(usage), []byte("\n")) {
		f := bytes.Fields(line)
		if bytes.HasPrefix(line, []byte("  greenlight ")) {
			require.Contains(t, commandHelp, string(f[1]), "usage names %q", f[1])
		}
	}
}

func TestRetentionEnvironment(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		err  string // "" when valid
	}{
		{name: "defaults"},
		{name: "custom", env: map[string]string{"GREENLIGHT_RETENTION_LINKS": "720h", "GREENLIGHT_RETENTION_INTERVAL": "15m"}},
		{name: "not a duration", env: map[string]string{"GREENLIGHT_RETENTION_LINKS": "90 days"}, err: "GREENLIGHT_RETENTION_LINKS"},
		{name: "negative", env: map[string]string{"GREENLIGHT_RETENTION_DEV_MAILS": "-1h"}, err: "GREENLIGHT_RETENTION_DEV_MAILS"},
		{name: "interval too short", env: map[string]string{"GREENLIGHT_RETENTION_INTERVAL": "1s"}, err: "at least 1m"},
		{name: "idempotency keys too short", env: map[string]string{"GREENLIGHT_RETENTION_IDEMPOTENCY_KEYS": "1m"}, err: "idempotency keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c := envConfig()
			err := c.check("dev")
			if tt.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.err)
		})
	}
	t.Run("values reach the worker", func(t *testing.T) {
		t.Setenv("GREENLIGHT_RETENTION_LINKS", "720h")
		c := envConfig()
		require.Equal(t, 720*time.Hour, c.retention.Periods.Links)
		require.Equal(t, 24*time.Hour, c.retention.Periods.IdempotencyKeys)
		require.Equal(t, time.Hour, c.retention.Interval)
	})
}
