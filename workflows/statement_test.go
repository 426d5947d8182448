package workflows_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/playbooks"
	"github.com/greenlight/greenlight/workflows"
)

var (
	legalAp  = activities.RoleApprover{Approver: activities.Approver{ID: "cnt_legal", Name: "Louise Legal", Email: "louise@brand.test"}, Role: "legal"}
	clientA  = activities.RoleApprover{Approver: activities.Approver{ID: "apr_ana", Name: "Ana", Email: "ana@brand.test"}, Role: "client"}
	clientB  = activities.RoleApprover{Approver: activities.Approver{ID: "apr_bob", Name: "Bob", Email: "bob@brand.test"}, Role: "client"}
	stmtSpec = playbooks.StatementSpec{Approvers: []string{"legal", "client"}, Channels: []string{"x", "facebook"}, Publish: true}
)

type statementHarness struct {
	t         *testing.T
	env       *testsuite.TestWorkflowEnvironment
	approvers []activities.RoleApprover
	requests  []activities.StatementApprovalRequest
	records   []activities.StatementRecord
	published []activities.StatementPublishRequest
	notes     []activities.CrisisNotification
	done      []workflows.StatementDone
	updates   int
	publish   *testsuite.MockCallWrapper
}

func newStatementHarness(t *testing.T) *statementHarness {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(quietLogger{})
	h := &statementHarness{t: t, env: suite.NewTestWorkflowEnvironment(), approvers: []activities.RoleApprover{legalAp, clientA, clientB}}
	env := h.env
	env.SetStartTime(t0)
	var acts *activities.Activities
	env.RegisterActivity(acts)
	env.OnActivity(acts.StatementApprovers, mock.Anything, mock.Anything).Return(func(context.Context, activities.StatementApproversRequest) ([]activities.RoleApprover, error) {
		return h.approvers, nil
	})
	env.OnActivity(acts.RequestStatementApproval, mock.Anything, mock.Anything).Return(func(_ context.Context, r activities.StatementApprovalRequest) error {
		h.requests = append(h.requests, r)
		return nil
	})
	env.OnActivity(acts.RecordStatement, mock.Anything, mock.Anything).Return(func(_ context.Context, r activities.StatementRecord) error {
		h.records = append(h.records, r)
		return nil
	})
	h.publish = env.OnActivity(acts.PublishStatement, mock.Anything, mock.Anything).Return(func(_ context.Context, r activities.StatementPublishRequest) (string, error) {
		h.published = append(h.published, r)
		return "ref", nil
	})
	env.OnActivity(acts.NotifyCrisis, mock.Anything, mock.Anything).Return(func(_ context.Context, n activities.CrisisNotification) error {
		h.notes = append(h.notes, n)
		return nil
	})
	env.OnSignalExternalWorkflow(mock.Anything, workflows.CrisisWorkflowID("crs_1"), mock.Anything, workflows.StatementDoneSignal, mock.Anything).Return(
		func(_, _, _, _ string, arg any) error {
			h.done = append(h.done, arg.(workflows.StatementDone))
			return nil
		})
	return h
}

func (h *statementHarness) decide(at time.Duration, ap activities.RoleApprover, version int, decision, comment string) *outcome {
	o := &outcome{}
	h.env.RegisterDelayedCallback(func() {
		h.updates++
		h.env.UpdateWorkflow(workflows.ClientDecisionUpdate, fmt.Sprintf("d%d", h.updates), &testsuite.TestUpdateCallback{
			OnAccept:   func() {},
			OnReject:   func(err error) { o.done, o.err = true, err },
			OnComplete: func(_ any, err error) { o.done, o.err = true, err },
		}, workflows.ClientDecisionRequest{Approver: greenlight.Actor{Kind: "approver", ID: ap.ID, Name: ap.Name}, Version: version, Decision: decision, Comment: comment})
	}, at)
	return o
}

func (h *statementHarness) run(stopAt time.Duration) (string, error) {
	if stopAt > 0 {
		h.env.RegisterDelayedCallback(h.env.CancelWorkflow, stopAt)
	}
	h.env.ExecuteWorkflow(workflows.StatementApproval, workflows.StatementInput{
		StatementID: "stm_1", CrisisID: "crs_1", ClientID: "cli_1", StepKey: "holding-statement", Spec: stmtSpec,
		Author: lead, Body: "We hear you.", Channels: []string{"x", "facebook"},
	})
	require.True(h.t, h.env.IsWorkflowCompleted())
	var res string
	err := h.env.GetWorkflowError()
	if err == nil {
		require.NoError(h.t, h.env.GetWorkflowResult(&res))
	}
	return res, err
}

func TestStatementNeedsOneApprovalPerRoleThenPublishes(t *testing.T) {
	h := newStatementHarness(t)
	first := h.decide(time.Minute, clientA, 1, greenlight.DecisionApprove, "")
	second := h.decide(2*time.Minute, legalAp, 1, greenlight.DecisionApprove, "ok for legal")
	late := h.decide(2*time.Minute, clientB, 1, greenlight.DecisionRequestChanges, "too late")
	res, err := h.run(0)
	require.NoError(t, err)
	require.NoError(t, first.err)
	require.NoError(t, second.err)
	require.Equal(t, greenlight.ECONFLICT, errCode(late.err), "once approved, no more decisions")
	require.Equal(t, workflows.StatementPublished, res)
	require.Len(t, h.requests, 1)
	require.Equal(t, []activities.RoleApprover{legalAp, clientA, clientB}, h.requests[0].Approvers)
	require.Len(t, h.published, 2)
	require.Equal(t, []workflows.StatementDone{{StepKey: "holding-statement", StatementID: "stm_1", Status: workflows.StatementPublished, Version: 1}}, h.done)
	last := h.records[len(h.records)-1].Statement
	require.Equal(t, workflows.StatementPublished, last.Status)
	require.NotNil(t, last.ApprovedAt)
	require.NotNil(t, last.PublishedAt)
}

func TestStatementRedraftReplacesTheVersion(t *testing.T) {
	h := newStatementHarness(t)
	h.decide(time.Minute, legalAp, 1, greenlight.DecisionRequestChanges, "Remove the word 'sorry'")
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.ReviseSignal, workflows.Revision{Actor: lead, Body: "We hear you, and we are on it.", Channels: []string{"x"}})
	}, time.Hour)
	stale := h.decide(2*time.Hour, clientA, 1, greenlight.DecisionApprove, "")
	h.decide(3*time.Hour, clientA, 2, greenlight.DecisionApprove, "")
	h.decide(3*time.Hour, legalAp, 2, greenlight.DecisionApprove, "")
	res, err := h.run(0)
	require.NoError(t, err)
	require.Equal(t, workflows.StatementPublished, res)
	require.Equal(t, greenlight.EGONE, errCode(stale.err), "a link to version 1 cannot approve version 2")
	require.Len(t, h.requests, 2)
	require.Equal(t, 2, h.requests[1].Version)
	require.Equal(t, []activities.StatementPublishRequest{{StatementID: "stm_1", CrisisID: "crs_1", ClientID: "cli_1", Version: 2, Channel: "x"}}, h.published)
	require.Len(t, h.notes, 1)
	require.Contains(t, h.notes[0].Message, "changes were requested")
}

func TestStatementWithoutApproversWaitsForContacts(t *testing.T) {
	h := newStatementHarness(t)
	h.approvers = []activities.RoleApprover{clientA}
	h.env.RegisterDelayedCallback(func() {
		h.approvers = []activities.RoleApprover{legalAp, clientA}
		h.env.SignalWorkflow(workflows.ReviseSignal, workflows.Revision{Actor: lead, Body: "We hear you.", Channels: []string{"x"}})
	}, time.Hour)
	h.decide(2*time.Hour, clientA, 2, greenlight.DecisionApprove, "")
	h.decide(2*time.Hour, legalAp, 2, greenlight.DecisionApprove, "")
	res, err := h.run(0)
	require.NoError(t, err)
	require.Equal(t, workflows.StatementPublished, res)
	require.Equal(t, workflows.StatementNoApprovers, h.records[0].Statement.Status)
	require.Contains(t, h.notes[0].Message, "no contact holds the role(s) legal")
	require.Len(t, h.requests, 1, "nobody is asked until every role has someone")
}

func TestStatementWithdrawnWhenTheCrisisEnds(t *testing.T) {
	h := newStatementHarness(t)
	res, err := h.run(time.Hour)
	require.NoError(t, err)
	require.Equal(t, workflows.StatementWithdrawn, res)
	require.Equal(t, workflows.StatementWithdrawn, h.records[len(h.records)-1].Statement.Status)
	require.Empty(t, h.published)
}

// TestStatementRedraftDuringPublicationIsApplied: a new draft that reaches the statement
// after its approval, while the approved version is being published, is not dropped: it
// goes through a new approval round and is published in turn.
func TestStatementRedraftDuringPublicationIsApplied(t *testing.T) {
	h := newStatementHarness(t)
	h.publish.After(10 * time.Minute) // a slow publisher
	h.decide(time.Minute, clientA, 1, greenlight.DecisionApprove, "")
	h.decide(2*time.Minute, legalAp, 1, greenlight.DecisionApprove, "")
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.ReviseSignal, workflows.Revision{Actor: lead, Body: "Update: the video was staged.", Channels: []string{"x"}})
	}, 5*time.Minute)
	second := h.decide(time.Hour, clientA, 2, greenlight.DecisionApprove, "")
	h.decide(time.Hour, legalAp, 2, greenlight.DecisionApprove, "")
	res, err := h.run(0)
	require.NoError(t, err)
	require.NoError(t, second.err)
	require.Equal(t, workflows.StatementPublished, res)
	require.Len(t, h.requests, 2, "the new draft went to approval")
	require.Equal(t, 2, h.requests[1].Version)
	var versions []int
	for _, p := range h.published {
		versions = append(versions, p.Version)
	}
	require.Equal(t, []int{1, 1, 2}, versions, "version 1 on x and facebook, then version 2 on x")
	require.Equal(t, 2, h.done[0].Version)
	require.Contains(t, h.notes[0].Message, "a new draft arrived while the approved version 1 was being published")
	require.Equal(t, "Update: the video was staged.", h.records[len(h.records)-1].Statement.Body)
}
