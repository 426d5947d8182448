package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/greenlight/greenlight/activities"
)

// PortalEmailWorkflowID is the ID of the workflow emailing a portal's link: one per portal.
func PortalEmailWorkflowID(portalID string) string { return "portal-email:" + portalID }

// PortalEmail emails a client approver the link of their portal (a portal is sent from
// the API, which has no mail server: the worker does). The activity sends once per portal
// and retries for a day.
func PortalEmail(ctx workflow.Context, in activities.PortalEmailInput) error {
	return workflow.ExecuteActivity(mailCtx(ctx), a.EmailPortal, in).Get(ctx, nil)
}
