package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/greenlight/greenlight/devstack"
	"github.com/greenlight/greenlight/worker"
	"github.com/greenlight/greenlight/workflows"
)

func TestRetentionConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*worker.RetentionConfig)
		ok   bool
	}{
		{name: "defaults", edit: func(*worker.RetentionConfig) {}, ok: true},
		{name: "interval too short", edit: func(c *worker.RetentionConfig) { c.Interval = time.Second }},
		{name: "negative period", edit: func(c *worker.RetentionConfig) { c.Periods.Links = -time.Hour }},
		{name: "idempotency keys pruned while in flight", edit: func(c *worker.RetentionConfig) { c.Periods.IdempotencyKeys = time.Minute }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := worker.DefaultRetention()
			tt.edit(&c)
			if tt.ok {
				require.NoError(t, c.Validate())
			} else {
				require.Error(t, c.Validate())
			}
		})
	}
}

// TestEnsureRetentionSchedule runs against the embedded Temporal server: the schedule is
// created once (a second create would fail: the ID is fixed), left alone by a second worker
// with the same settings, and updated by one with other settings.
func TestEnsureRetentionSchedule(t *testing.T) {
	srv, err := devstack.StartTemporal(devstack.TemporalConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: srv.HostPort(), Namespace: "default"})
	require.NoError(t, err)
	defer c.Close()

	cfg := worker.DefaultRetention()
	steps := []struct {
		name     string
		interval time.Duration
		links    time.Duration
		want     string
	}{
		{"first worker creates", time.Hour, 90 * 24 * time.Hour, worker.ScheduleCreated},
		{"second worker, same settings, leaves it", time.Hour, 90 * 24 * time.Hour, worker.ScheduleUnchanged},
		{"new interval updates", 30 * time.Minute, 90 * 24 * time.Hour, worker.ScheduleUpdated},
		{"new period updates", 30 * time.Minute, 30 * 24 * time.Hour, worker.ScheduleUpdated},
		{"and is then left alone", 30 * time.Minute, 30 * 24 * time.Hour, worker.ScheduleUnchanged},
	}
	for _, s := range steps {
		cfg.Interval, cfg.Periods.Links = s.interval, s.links
		got, err := worker.EnsureRetentionSchedule(ctx, c, "greenlight-test", cfg)
		require.NoError(t, err, s.name)
		require.Equal(t, s.want, got, s.name)

		desc, err := c.ScheduleClient().GetHandle(ctx, workflows.RetentionScheduleID).Describe(ctx)
		require.NoError(t, err)
		require.Equal(t, s.interval, desc.Schedule.Spec.Intervals[0].Every, s.name)
	}
}
