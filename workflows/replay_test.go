package workflows_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"

	"github.com/greenlight/greenlight/workflows"
)

// TestReplayCommittedHistories replays every history under testdata (recorded from real
// runs with `go test ./e2e -record`) against the current workflow code: a change to the
// command sequence that is not behind workflow.GetVersion fails here.
func TestReplayCommittedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no committed histories")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(workflows.PostApproval)
			r.RegisterWorkflow(workflows.Crisis)
			r.RegisterWorkflow(workflows.StatementApproval)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(quietLogger{}, f))
		})
	}
}
