package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/playbooks"
)

// Statement workflow messages (client decisions reuse ClientDecisionUpdate).
const ReviseSignal = "revise"

// Statement states.
const (
	StatementAwaiting         = "awaiting_approval"
	StatementApproved         = "approved"
	StatementChangesRequested = "changes_requested"
	StatementNoApprovers      = "no_approvers"
	StatementPublished        = "published"
	StatementReady            = "ready"
	StatementFailed           = "failed"
	StatementWithdrawn        = "withdrawn"
)

// StatementWorkflowID is the workflow ID of a holding statement's approval.
func StatementWorkflowID(statementID string) string { return "statement:" + statementID }

// StatementInput starts a statement's approval with its first draft.
type StatementInput struct {
	StatementID string
	CrisisID    string
	ClientID    string
	StepKey     string
	Spec        playbooks.StatementSpec
	Author      greenlight.Actor
	Body        string
	Channels    []string
}

// Revision is a new draft of a statement.
type Revision struct {
	Actor    greenlight.Actor
	Body     string
	Channels []string
}

// StatementState is the statement workflow's state.
type StatementState struct {
	Status      string
	Version     int
	Body        string
	Channels    []string
	Approvers   []activities.RoleApprover
	Decided     []string
	Approved    []string // approver ids
	Seq         int
	Revision    int64
	Created     time.Time
	ApprovedAt  *time.Time
	PublishedAt *time.Time
}

// StatementApproval gets a holding statement approved by one approver of each role the
// playbook names, through the same emailed links as posts, then publishes it (or marks it
// ready) and tells the crisis. A new draft replaces the version being approved.
func StatementApproval(ctx workflow.Context, in StatementInput) (string, error) {
	r := &statementRun{in: in}
	r.lateRedraft = workflow.GetVersion(ctx, versionLateRedraft, workflow.DefaultVersion, 1) == 1
	r.st = StatementState{Body: in.Body, Channels: in.Channels, Created: workflow.Now(ctx)}
	revisions := workflow.GetSignalChannel(ctx, ReviseSignal)
	var pending []Revision
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var rev Revision
			revisions.Receive(ctx, &rev)
			pending = append(pending, rev)
		}
	})
	if err := workflow.SetQueryHandler(ctx, StateQuery, func() (StatementState, error) { return r.st, nil }); err != nil {
		return "", err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, ClientDecisionUpdate, r.decide,
		workflow.UpdateHandlerOptions{Validator: r.checkDecision}); err != nil {
		return "", err
	}

	status, err := r.loop(ctx, &pending)
	if temporal.IsCanceledError(err) || errors.Is(ctx.Err(), workflow.ErrCanceled) {
		// The crisis was resolved: withdraw, on a context that still runs.
		dctx, _ := workflow.NewDisconnectedContext(ctx)
		r.st.Status = StatementWithdrawn
		_ = r.record(dctx, nil)
		return StatementWithdrawn, nil
	}
	if err != nil {
		return "", err
	}
	done := StatementDone{StepKey: in.StepKey, StatementID: in.StatementID, Status: status, Version: r.st.Version}
	if status == StatementFailed {
		done.Note = "publishing failed"
	}
	if err := workflow.SignalExternalWorkflow(ctx, CrisisWorkflowID(in.CrisisID), "", StatementDoneSignal, done).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("crisis not told about its statement", "error", err)
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return "", err
	}
	return status, nil
}

type statementRun struct {
	in          StatementInput
	st          StatementState
	lateRedraft bool // versionLateRedraft's branch
}

func (r *statementRun) loop(ctx workflow.Context, pending *[]Revision) (string, error) {
	for {
		r.st.Version++
		r.st.Decided, r.st.Approved = nil, nil
		var approvers []activities.RoleApprover
		err := workflow.ExecuteLocalActivity(localCtx(ctx), a.StatementApprovers,
			activities.StatementApproversRequest{ClientID: r.in.ClientID, Roles: r.in.Spec.Approvers}).Get(ctx, &approvers)
		if err != nil {
			return "", err
		}
		r.st.Approvers = approvers
		if missing := r.missingRoles(); len(missing) > 0 {
			r.st.Status = StatementNoApprovers
		} else {
			r.st.Status = StatementAwaiting
		}
		if err := r.record(ctx, nil); err != nil {
			return "", err
		}
		if r.st.Status == StatementAwaiting {
			req := activities.StatementApprovalRequest{StatementID: r.in.StatementID, CrisisID: r.in.CrisisID,
				ClientID: r.in.ClientID, Version: r.st.Version, Approvers: approvers}
			if err := workflow.ExecuteActivity(mailCtx(ctx), a.RequestStatementApproval, req).Get(ctx, nil); err != nil {
				return "", err
			}
		} else {
			r.tellLead(ctx, fmt.Sprintf("no contact holds the role(s) %s for this client: add crisis contacts, then submit the statement again", roleList(r.missingRoles())))
		}
		// Wait for approval, a request for changes, or a new draft.
		if err := workflow.Await(ctx, func() bool {
			return len(*pending) > 0 || r.st.Status == StatementApproved || r.st.Status == StatementChangesRequested
		}); err != nil {
			return "", err
		}
		if r.st.Status == StatementApproved {
			status, err := r.publish(ctx)
			if err != nil || !r.lateRedraft || len(*pending) == 0 {
				return status, err
			}
			// A new draft sent while the approved version went out is not dropped: it goes
			// through a new approval round, and is published in turn.
			r.tellLead(ctx, fmt.Sprintf("a new draft arrived while the approved version %d was being published (%s): it goes through approval as version %d",
				r.st.Version, status, r.st.Version+1))
			r.st.ApprovedAt = nil
		}
		if r.st.Status == StatementChangesRequested && len(*pending) == 0 {
			r.tellLead(ctx, "changes were requested on the holding statement: submit a new draft")
			if err := workflow.Await(ctx, func() bool { return len(*pending) > 0 }); err != nil {
				return "", err
			}
		}
		rev := (*pending)[len(*pending)-1]
		*pending = nil
		r.st.Body, r.st.Channels = rev.Body, rev.Channels
	}
}

// missingRoles are the roles no approver holds.
func (r *statementRun) missingRoles() []string {
	var out []string
	for _, role := range r.in.Spec.Approvers {
		if !slices.ContainsFunc(r.st.Approvers, func(ap activities.RoleApprover) bool { return ap.Role == role }) {
			out = append(out, role)
		}
	}
	return out
}

// approved reports whether every role has at least one approval of this version.
func (r *statementRun) approved() bool {
	if r.st.Status != StatementAwaiting && r.st.Status != StatementApproved {
		return false
	}
	for _, role := range r.in.Spec.Approvers {
		if !slices.ContainsFunc(r.st.Approvers, func(ap activities.RoleApprover) bool {
			return ap.Role == role && slices.Contains(r.st.Approved, ap.ID)
		}) {
			return false
		}
	}
	return true
}

func (r *statementRun) checkDecision(ctx workflow.Context, req ClientDecisionRequest) error {
	if req.Version != r.st.Version {
		return fail(greenlight.EGONE, "version %d was replaced by version %d", req.Version, r.st.Version)
	}
	if r.st.Status != StatementAwaiting {
		return fail(greenlight.ECONFLICT, "the statement is %s, not awaiting approval", r.st.Status)
	}
	if !slices.ContainsFunc(r.st.Approvers, func(ap activities.RoleApprover) bool { return ap.ID == req.Approver.ID }) {
		return fail(greenlight.EFORBIDDEN, "not an approver of this version")
	}
	if slices.Contains(r.st.Decided, req.Approver.ID) {
		return fail(greenlight.EGONE, "a decision was already recorded for this approver")
	}
	return checkDecision(req.Decision, req.Comment)
}

func (r *statementRun) decide(ctx workflow.Context, req ClientDecisionRequest) (PostView, error) {
	if err := r.checkDecision(ctx, req); err != nil {
		return PostView{}, err
	}
	role := ""
	for _, ap := range r.st.Approvers {
		if ap.ID == req.Approver.ID {
			role = ap.Role
		}
	}
	r.st.Decided = append(r.st.Decided, req.Approver.ID)
	if req.Decision == greenlight.DecisionApprove {
		r.st.Approved = append(r.st.Approved, req.Approver.ID)
	} else {
		r.st.Status = StatementChangesRequested
	}
	r.st.Seq++
	d := activities.StatementDecisionRecord{Seq: r.st.Seq, Version: r.st.Version, Actor: req.Approver, Role: role,
		Decision: req.Decision, Comment: req.Comment, At: workflow.Now(ctx)}
	if r.approved() {
		now := workflow.Now(ctx)
		r.st.ApprovedAt = &now
		r.st.Status = StatementApproved // no further decisions while it goes out
	}
	if err := r.record(ctx, []activities.StatementDecisionRecord{d}); err != nil {
		return PostView{}, err
	}
	return PostView{Status: greenlight.PostStatus(r.st.Status), Version: r.st.Version, Revision: r.st.Revision}, nil
}

func (r *statementRun) publish(ctx workflow.Context) (string, error) {
	if !r.in.Spec.Publish || len(r.st.Channels) == 0 {
		r.st.Status = StatementReady
		return StatementReady, r.record(ctx, nil)
	}
	status := StatementPublished
	for _, ch := range r.st.Channels {
		err := workflow.ExecuteActivity(publishCtx(ctx), a.PublishStatement, activities.StatementPublishRequest{
			StatementID: r.in.StatementID, CrisisID: r.in.CrisisID, ClientID: r.in.ClientID, Version: r.st.Version, Channel: ch,
		}).Get(ctx, nil)
		if err != nil {
			status = StatementFailed
			r.tellLead(ctx, fmt.Sprintf("publishing the approved statement on %s failed: %s", ch, errorMessage(err)))
		}
	}
	now := workflow.Now(ctx)
	r.st.Status = status
	if status == StatementPublished {
		r.st.PublishedAt = &now
	}
	return status, r.record(ctx, nil)
}

func (r *statementRun) tellLead(ctx workflow.Context, msg string) {
	n := activities.CrisisNotification{
		Kind: activities.CrisisNotifyStatement, CrisisID: r.in.CrisisID, ClientID: r.in.ClientID, Step: r.in.StepKey,
		Roles: []string{"crisis_lead"}, Message: msg,
		Key: fmt.Sprintf("crisis/%s/statement/%s/v%d/%s", r.in.CrisisID, r.in.StatementID, r.st.Version, r.st.Status),
	}
	if err := workflow.ExecuteActivity(mailCtx(ctx), a.NotifyCrisis, n).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("statement notification failed", "error", err)
	}
}

func (r *statementRun) record(ctx workflow.Context, ds []activities.StatementDecisionRecord) error {
	r.st.Revision++
	rec := activities.StatementRecord{
		Statement: activities.StatementSnapshot{
			ID: r.in.StatementID, CrisisID: r.in.CrisisID, ClientID: r.in.ClientID, StepKey: r.in.StepKey,
			Version: r.st.Version, Body: r.st.Body, Channels: r.st.Channels, Status: r.st.Status, Publish: r.in.Spec.Publish,
			ApprovedAt: r.st.ApprovedAt, PublishedAt: r.st.PublishedAt, Revision: r.st.Revision,
			CreatedAt: r.st.Created, UpdatedAt: workflow.Now(ctx),
		},
		Decisions: ds,
	}
	return workflow.ExecuteLocalActivity(localCtx(ctx), a.RecordStatement, rec).Get(ctx, nil)
}
