package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestObserveConfig(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want observeConfig
		err  string // "" when valid
	}{
		{name: "defaults", want: observeConfig{shutdownDelay: 5 * time.Second, shutdownTimeout: 20 * time.Second}},
		{name: "set", env: map[string]string{"GREENLIGHT_METRICS_ADDR": "0.0.0.0:9464", "GREENLIGHT_SHUTDOWN_DELAY": "0s", "GREENLIGHT_SHUTDOWN_TIMEOUT": "1m"},
			want: observeConfig{metricsAddr: "0.0.0.0:9464", shutdownTimeout: time.Minute}},
		{name: "address without port", env: map[string]string{"GREENLIGHT_METRICS_ADDR": "9464"}, err: "GREENLIGHT_METRICS_ADDR"},
		{name: "delay not a duration", env: map[string]string{"GREENLIGHT_SHUTDOWN_DELAY": "soon"}, err: "GREENLIGHT_SHUTDOWN_DELAY"},
		{name: "negative timeout", env: map[string]string{"GREENLIGHT_SHUTDOWN_TIMEOUT": "-1s"}, err: "GREENLIGHT_SHUTDOWN_TIMEOUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"GREENLIGHT_METRICS_ADDR", "GREENLIGHT_SHUTDOWN_DELAY", "GREENLIGHT_SHUTDOWN_TIMEOUT"} {
				t.Setenv(k, tt.env[k])
			}
			c := envConfig()
			err := c.check("api")
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NotContains(t, errString(err), "GREENLIGHT_METRICS_ADDR")
			require.NotContains(t, errString(err), "GREENLIGHT_SHUTDOWN")
			require.Equal(t, tt.want, c.observe)
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
