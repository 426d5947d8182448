// Package worker registers Greenlight's workflows and activities on a Temporal worker.
package worker

import (
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/workflows"
)

// DefaultTaskQueue is the task queue API and worker agree on unless configured.
const DefaultTaskQueue = "greenlight"

// New returns an unstarted worker polling taskQueue with every workflow and activity.
func New(c client.Client, taskQueue string, acts *activities.Activities, opts worker.Options) worker.Worker {
	w := worker.New(c, taskQueue, opts)
	w.RegisterWorkflow(workflows.PostApproval)
	w.RegisterWorkflow(workflows.Crisis)
	w.RegisterWorkflow(workflows.StatementApproval)
	w.RegisterWorkflow(workflows.Retention)
	w.RegisterWorkflow(workflows.SourcePoll)
	w.RegisterWorkflow(workflows.WebhookDelivery)
	w.RegisterWorkflow(workflows.WebhookSweep)
	w.RegisterActivity(acts)
	return w
}
