package workflows_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/workflows"
)

func TestRetentionPrunesEveryKindWithItsCutoff(t *testing.T) {
	start := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	periods := workflows.RetentionPeriods{
		Sessions: 0, Invites: time.Hour, RateLimits: time.Hour, Links: 90 * 24 * time.Hour,
		IdempotencyKeys: 24 * time.Hour, DevMails: 7 * 24 * time.Hour,
	}
	want := map[string]time.Time{
		activities.PruneSessions:        start,
		activities.PruneInvites:         start.Add(-time.Hour),
		activities.PruneRateLimits:      start.Add(-time.Hour),
		activities.PruneLinks:           start.Add(-90 * 24 * time.Hour),
		activities.PruneIdempotencyKeys: start.Add(-24 * time.Hour),
		activities.PruneDevMails:        start.Add(-7 * 24 * time.Hour),
	}
	tests := []struct {
		name    string
		failing string // a kind whose activity fails every attempt
	}{
		{name: "all succeed"},
		{name: "one kind failing does not stop the others", failing: activities.PruneLinks},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var suite testsuite.WorkflowTestSuite
			suite.SetLogger(quietLogger{})
			env := suite.NewTestWorkflowEnvironment()
			env.SetStartTime(start)
			var acts *activities.Activities
			env.RegisterActivity(acts)
			var mu sync.Mutex
			got := map[string]time.Time{}
			env.OnActivity(acts.Prune, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PruneInput) (activities.PruneResult, error) {
				mu.Lock()
				defer mu.Unlock()
				got[in.Kind] = in.Cutoff.UTC()
				if in.Kind == tt.failing {
					return activities.PruneResult{}, errors.New("database down")
				}
				return activities.PruneResult{Kind: in.Kind, Deleted: 2}, nil
			})
			env.ExecuteWorkflow(workflows.Retention, workflows.RetentionInput{Periods: periods})
			require.True(t, env.IsWorkflowCompleted())
			require.Equal(t, want, got, "every kind is pruned with now minus its period")
			var res workflows.RetentionResult
			if tt.failing == "" {
				require.NoError(t, env.GetWorkflowError())
				require.NoError(t, env.GetWorkflowResult(&res))
				require.Len(t, res.Deleted, 6)
				return
			}
			require.ErrorContains(t, env.GetWorkflowError(), "prune "+tt.failing)
		})
	}
}
