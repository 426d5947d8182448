package workflows_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"

	"github.com/greenlight/greenlight/workflows"
)

// TestReplayCommittedHistories replays every history under testdata (recorded from real
// runs with `go test ./e2e -record`) against the current workflow code: a change to the
// command sequence that is not behind workflow.GetVersion fails here.
func TestReplayCommittedHistories(t *testing.T) {
	// testdata/*.json are the newest recordings; each testdata/N-before-<change>/ keeps
	// histories recorded before a versioned change, which must still replay.
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	older, err := filepath.Glob(filepath.Join("testdata", "*", "*.json"))
	require.NoError(t, err)
	files = append(files, older...)
	require.NotEmpty(t, files, "no committed histories")
	for _, f := range files {
		t.Run(strings.TrimPrefix(f, "testdata/"), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(workflows.PostApproval)
			r.RegisterWorkflow(workflows.Crisis)
			r.RegisterWorkflow(workflows.StatementApproval)
			r.RegisterWorkflow(workflows.Retention)
			r.RegisterWorkflow(workflows.SourcePoll)
			r.RegisterWorkflow(workflows.WebhookDelivery)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(quietLogger{}, f))
		})
	}
}
