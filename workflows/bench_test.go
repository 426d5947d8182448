package workflows_test

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"

	"github.com/greenlight/greenlight/workflows"
)

// BenchmarkDecisionWorkflowTasks replays a post's whole approval history (create, submit,
// review, client approval, publication: the workflow tasks of its decisions) per op.
func BenchmarkDecisionWorkflowTasks(b *testing.B) {
	file := filepath.Join("testdata", "post_published.json")
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflow(workflows.PostApproval)
	for b.Loop() {
		if err := r.ReplayWorkflowHistoryFromJSONFile(quietLogger{}, file); err != nil {
			b.Fatal(err)
		}
	}
}
