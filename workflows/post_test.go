package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/store"
	"github.com/greenlight/greenlight/workflows"
)

var (
	t0       = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	author   = greenlight.Actor{Kind: "user", ID: "usr_author", Name: "Eddie Editor"}
	reviewer = greenlight.Actor{Kind: "user", ID: "usr_reviewer", Name: "Rita Reviewer"}
	ana      = activities.Approver{ID: "apr_ana", Name: "Ana", Email: "ana@brand.test"}
	bob      = activities.Approver{ID: "apr_bob", Name: "Bob", Email: "bob@brand.test"}
)

func asActor(ap activities.Approver) greenlight.Actor {
	return greenlight.Actor{Kind: "approver", ID: ap.ID, Name: ap.Name}
}

// harness runs one post workflow in the test environment with mocked activities and
// keeps what each activity was asked to do, with the workflow clock at that moment.
type harness struct {
	t         *testing.T
	env       *testsuite.TestWorkflowEnvironment
	in        workflows.PostInput
	policy    string
	approvers []activities.Approver
	// digestWindow is the client's digest window ClientApprovers answers (0: per post).
	digestWindow time.Duration
	records      []activities.PostRecord
	requests     []timed[activities.ApprovalRequest]
	notes        []timed[activities.Notification]
	published    []timed[activities.PublishRequest]
	publishFn    func(activities.PublishRequest) error
	// channelFn, when set, answers PublishChannel (else publishFn's error, or published).
	channelFn func(activities.PublishRequest) (activities.ChannelOutcome, error)
	failures  []timed[activities.ChannelFailure]
	hold      activities.HoldStatus
	updates   int
	// holdDelay is how long (workflow time) each publishing hold check takes.
	holdDelay time.Duration
	// slowRecords: a projection write started at t0+key takes that long (workflow time).
	slowRecords map[time.Duration]time.Duration
}

type timed[T any] struct {
	At  time.Time
	Val T
}

func newHarness(t *testing.T) *harness {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(quietLogger{})
	h := &harness{
		t: t, env: suite.NewTestWorkflowEnvironment(), policy: greenlight.PolicyAny,
		approvers: []activities.Approver{ana},
		in: workflows.PostInput{
			PostID: "pst_1", ClientID: "cli_1", Author: author,
			Content:       greenlight.Content{Title: "Launch", Body: "Our new drink is here", Channels: []string{"instagram", "x"}},
			PublishAt:     t0.Add(7 * 24 * time.Hour),
			ReminderAfter: greenlight.DefaultReminderAfter, EscalateAfter: greenlight.DefaultEscalateAfter,
		},
	}
	h.env.SetStartTime(t0)
	h.env.SetTestTimeout(30 * time.Second)
	var acts *activities.Activities
	h.env.RegisterActivity(acts)
	h.env.OnActivity(acts.RecordPost, mock.Anything, mock.Anything).Return(func(_ context.Context, r activities.PostRecord) error {
		h.records = append(h.records, r)
		return nil
	}).AfterFn(func() time.Duration { return h.slowRecords[h.env.Now().Sub(t0)] })
	h.env.OnActivity(acts.ClientApprovers, mock.Anything, mock.Anything).Return(func(_ context.Context, _ string) (activities.ClientApprovers, error) {
		return activities.ClientApprovers{Policy: h.policy, Approvers: h.approvers, DigestWindow: h.digestWindow}, nil
	})
	h.env.OnActivity(acts.RequestApproval, mock.Anything, mock.Anything).Return(func(_ context.Context, r activities.ApprovalRequest) error {
		h.requests = append(h.requests, timed[activities.ApprovalRequest]{h.env.Now().UTC(), r})
		return nil
	})
	h.env.OnActivity(acts.Notify, mock.Anything, mock.Anything).Return(func(_ context.Context, n activities.Notification) error {
		h.notes = append(h.notes, timed[activities.Notification]{h.env.Now().UTC(), n})
		return nil
	})
	h.env.OnActivity(acts.PublishingHold, mock.Anything, mock.Anything).Return(func(_ context.Context, _ string) (activities.HoldStatus, error) {
		return h.hold, nil
	}).AfterFn(func() time.Duration { return h.holdDelay })
	h.env.OnActivity(acts.Publish, mock.Anything, mock.Anything).Return(func(_ context.Context, p activities.PublishRequest) (string, error) {
		h.published = append(h.published, timed[activities.PublishRequest]{h.env.Now().UTC(), p})
		if h.publishFn != nil {
			return "", h.publishFn(p)
		}
		return "ref-" + p.Channel, nil
	})
	h.env.OnActivity(acts.PublishChannel, mock.Anything, mock.Anything).Return(func(_ context.Context, p activities.PublishRequest) (activities.ChannelOutcome, error) {
		h.published = append(h.published, timed[activities.PublishRequest]{h.env.Now().UTC(), p})
		if h.channelFn != nil {
			return h.channelFn(p)
		}
		if h.publishFn != nil {
			if err := h.publishFn(p); err != nil {
				return activities.ChannelOutcome{}, err
			}
		}
		return activities.ChannelOutcome{Channel: p.Channel, Status: store.ChannelPublished, RemoteID: "ref-" + p.Channel}, nil
	})
	h.env.OnActivity(acts.RecordChannelFailure, mock.Anything, mock.Anything).Return(func(_ context.Context, f activities.ChannelFailure) error {
		h.failures = append(h.failures, timed[activities.ChannelFailure]{h.env.Now().UTC(), f})
		return nil
	})
	return h
}

type outcome struct {
	done bool
	view workflows.PostView
	err  error
}

// update sends an Update at workflow time t0+at and returns where its outcome will land.
func (h *harness) update(at time.Duration, name string, arg any) *outcome {
	o := &outcome{}
	h.updates++
	id := fmt.Sprintf("u%d", h.updates)
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { o.done, o.err = true, err },
			OnComplete: func(v any, err error) {
				o.done, o.err = true, err
				if vv, ok := v.(workflows.PostView); ok {
					o.view = vv
				}
			},
		}, arg)
	}, at)
	return o
}

// run creates the post at t0, then runs the workflow until it ends (or is cancelled at
// stopAt when not zero).
func (h *harness) run(stopAt time.Duration) workflows.PostResult {
	h.update(0, workflows.CreateUpdate, workflows.CreateRequest{})
	if stopAt > 0 {
		h.env.RegisterDelayedCallback(h.env.CancelWorkflow, stopAt)
	}
	h.env.ExecuteWorkflow(workflows.PostApproval, h.in)
	require.True(h.t, h.env.IsWorkflowCompleted())
	var res workflows.PostResult
	if stopAt == 0 {
		require.NoError(h.t, h.env.GetWorkflowError())
		require.NoError(h.t, h.env.GetWorkflowResult(&res))
	}
	return res
}

// toAwaitingClient submits at +1m and approves internally at +2m.
func (h *harness) toAwaitingClient() {
	h.update(time.Minute, workflows.SubmitUpdate, workflows.SubmitRequest{Actor: author})
	h.update(2*time.Minute, workflows.ReviewUpdate, workflows.ReviewRequest{Actor: reviewer, Version: 1, Decision: greenlight.DecisionApprove})
}

func (h *harness) statuses() []greenlight.PostStatus {
	var out []greenlight.PostStatus
	for _, r := range h.records {
		if len(out) == 0 || out[len(out)-1] != r.Post.Status {
			out = append(out, r.Post.Status)
		}
	}
	return out
}

func (h *harness) actions() []string {
	var out []string
	for _, r := range h.records {
		for _, e := range r.Events {
			out = append(out, e.Action)
		}
	}
	return out
}

func errCode(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	return ""
}

func TestHappyPathPublishesAtPublishTime(t *testing.T) {
	h := newHarness(t)
	h.toAwaitingClient()
	approve := h.update(time.Hour, workflows.ClientDecisionUpdate, workflows.ClientDecisionRequest{Approver: asActor(ana), Version: 1, Decision: greenlight.DecisionApprove})
	res := h.run(0)

	require.Equal(t, greenlight.StatusPublished, res.Status)
	require.NoError(t, approve.err)
	require.Equal(t, greenlight.StatusScheduled, approve.view.Status)
	require.Equal(t, []greenlight.PostStatus{"draft", "in_review", "awaiting_client", "scheduled", "published"}, h.statuses())
	require.Len(t, h.requests, 1)
	require.Equal(t, activities.ApprovalRequest{PostID: "pst_1", ClientID: "cli_1", Version: 1, Round: 1, Approvers: []activities.Approver{ana}}, h.requests[0].Val)
	require.Len(t, h.published, 2)
	for _, p := range h.published {
		require.Equal(t, h.in.PublishAt, p.At, "published exactly at the publish time")
		require.Equal(t, 1, p.Val.Version)
	}
	require.Empty(t, h.notes)
	require.NotNil(t, res.PublishedAt)
	first := h.records[0]
	require.NotNil(t, first.NewVersion)
	require.Equal(t, h.in.Content, first.NewVersion.Content)
	for i, r := range h.records {
		require.Equal(t, int64(i+1), r.Post.Revision, "every write carries the next revision")
	}
}

func TestReminderEscalationThenExpiry(t *testing.T) {
	h := newHarness(t)
	h.approvers = []activities.Approver{ana, bob}
	h.in.PublishAt = t0.Add(100 * time.Hour)
	h.toAwaitingClient()
	res := h.run(0)

	require.Equal(t, greenlight.StatusExpired, res.Status)
	awaiting := t0.Add(2 * time.Minute)
	require.Len(t, h.requests, 2)
	require.False(t, h.requests[0].Val.Reminder)
	require.True(t, h.requests[1].Val.Reminder)
	require.Equal(t, awaiting.Add(24*time.Hour), h.requests[1].At, "reminder after reminder_after")
	require.Equal(t, []activities.Approver{ana, bob}, h.requests[1].Val.Approvers)
	require.Len(t, h.notes, 2)
	require.Equal(t, activities.NotifyEscalation, h.notes[0].Val.Kind)
	require.Equal(t, awaiting.Add(72*time.Hour), h.notes[0].At, "escalation after escalate_after")
	require.Equal(t, activities.NotifyExpired, h.notes[1].Val.Kind)
	require.Equal(t, h.in.PublishAt, h.notes[1].At, "expires at the publish time")
	require.Empty(t, h.published, "an expired post is never published")
	require.Contains(t, h.actions(), "client_reminded")
	require.Contains(t, h.actions(), "escalated")
}

func TestPolicyAllWaitsForEveryApproverAndRemindsOnlyTheSilent(t *testing.T) {
	h := newHarness(t)
	h.policy = greenlight.PolicyAll
	h.approvers = []activities.Approver{ana, bob}
	h.toAwaitingClient()
	first := h.update(time.Hour, workflows.ClientDecisionUpdate, workflows.ClientDecisionRequest{Approver: asActor(ana), Version: 1, Decision: greenlight.DecisionApprove})
	again := h.update(2*time.Hour, workflows.ClientDecisionUpdate, workflows.ClientDecisionRequest{Approver: asActor(ana), Version: 1, Decision: greenlight.DecisionApprove})
	last := h.update(30*time.Hour, workflows.ClientDecisionUpdate, workflows.ClientDecisionRequest{Approver: asActor(bob), Version: 1, Decision: greenlight.DecisionApprove})
	res := h.run(0)

	require.Equal(t, greenlight.StatusPublished, res.Status)
	require.Equal(t, greenlight.StatusAwaitingClient, first.view.Status)
	require.Equal(t, greenlight.EGONE, errCode(again.err), "a second decision by the same approver is refused")
	require.Equal(t, greenlight.StatusScheduled, last.view.Status)
	require.Len(t, h.requests, 2)
	require.Equal(t, []activities.Approver{bob}, h.requests[1].Val.Approvers, "only approvers who have not answered are reminded")
}

func TestRescheduleRearmsTheTimerWithoutReapproval(t *testing.T) {
	h := newHarness(t)
	h.toAwaitingClient()
	h.update(time.Hour, workflows.ClientDecisionUpdate, workflows.ClientDecisionRequest{Approver: asActor(ana), Version: 1, Decision: greenlight.DecisionApprove})
	later := h.in.PublishAt.Add(48 * time.Hour)
	resched := h.update(2*time.Hour, workflows.EditUpdate, workflows.EditRequest{Actor: author, PublishAt: &later})
	res := h.run(0)

	require.NoError(t, resched.err)
	require.Equal(t, greenlight.StatusScheduled, resched.view.Status, "changing only the publish time keeps the approval")
	require.Equal(t, greenlight.StatusPublished, res.Status)
	require.Equal(t, 1, res.Version)
	require.Len(t, h.published, 2)
	require.Equal(t, later, h.published[0].At)
	require.Contains(t, h.actions(), "rescheduled")
}

func TestEditDuringApprovalVoidsTheOldVersion(t *testing.T) {
	h := newHarness(t)
	h.toAwaitingClient()
	body := "Our new drink is here (fixed typo)"
	edit := h.update(time.Hour, workflows.EditUpdate, workflows.EditRequest{Actor: author, Body: &body})
	stale := h.update(2*time.Hour, workflows.ClientDecisionUpdate, workflows.ClientDecisionRequest{Approver: asActor(ana), Version: 1, Decision: greenlight.DecisionApprove})
	h.update(3*time.Hour, workflows.SubmitUpdate, workflows.SubmitRequest{Actor: author})
	h.update(4*time.Hour, workflows.ReviewUpdate, workflows.ReviewRequest{Actor: reviewer, Version: 2, Decision: greenlight.DecisionApprove})
	fresh := h.update(5*time.Hour, workflows.ClientDecisionUpdate, workflows.ClientDecisionRequest{Approver: asActor(ana), Version: 2, Decision: greenlight.DecisionApprove})
	res := h.run(0)

	require.Equal(t, workflows.PostView{Status: greenlight.StatusDraft, Version: 2, Revision: 4}, edit.view)
	require.Equal(t, greenlight.EGONE, errCode(stale.err), "a link for version 1 cannot approve version 2")
	require.NoError(t, fresh.err)
	require.Equal(t, greenlight.StatusPublished, res.Status)
	require.Equal(t, 2, res.Version)
	require.Len(t, h.requests, 2)
	require.Equal(t, 2, h.requests[1].Val.Version)
	require.Equal(t, 2, h.requests[1].Val.Round)
	for _, p := range h.published {
		require.Equal(t, 2, p.Val.Version, "only the approved version is published")
	}
}

func TestCancelBeforePublishing(t *testing.T) {
	h := newHarness(t)
	h.toAwaitingClient()
	h.update(time.Hour, workflows.ClientDecisionUpdate, workflows.ClientDecisionRequest{Approver: asActor(ana), Version: 1, Decision: greenlight.DecisionApprove})
	cancel := h.update(2*time.Hour, workflows.CancelUpdate, workflows.CancelRequest{Actor: author, Reason: "campaign dropped"})
	after := h.update(3*time.Hour, workflows.SubmitUpdate, workflows.SubmitRequest{Actor: author})
	res := h.run(0)

	require.NoError(t, cancel.err)
	require.Equal(t, greenlight.StatusCancelled, res.Status)
	require.Empty(t, h.published)
	require.False(t, after.done && after.err == nil, "nothing is accepted once cancelled")
}

func TestClientRequestsChangesThenAuthorResubmits(t *testing.T) {
	h := newHarness(t)
	h.toAwaitingClient()
	changes := h.update(time.Hour, workflows.ClientDecisionUpdate, workflows.ClientDecisionRequest{Approver: asActor(ana), Version: 1, Decision: greenlight.DecisionRequestChanges, Comment: "Use our new logo"})
	resubmitSame := h.update(2*time.Hour, workflows.SubmitUpdate, workflows.SubmitRequest{Actor: author})
	title := "Launch (new logo)"
	h.update(3*time.Hour, workflows.EditUpdate, workflows.EditRequest{Actor: author, Title: &title})
	resubmit := h.update(4*time.Hour, workflows.SubmitUpdate, workflows.SubmitRequest{Actor: author})
	res := h.run(5 * time.Hour)

	require.Equal(t, greenlight.StatusChangesRequested, changes.view.Status)
	require.Equal(t, greenlight.ECONFLICT, errCode(resubmitSame.err), "a version the client rejected cannot be resubmitted as is")
	require.NoError(t, resubmit.err)
	require.Equal(t, workflows.PostView{Status: greenlight.StatusInReview, Version: 2, Revision: 6}, resubmit.view)
	require.Len(t, h.notes, 1)
	require.Equal(t, activities.NotifyChangesRequested, h.notes[0].Val.Kind)
	require.Equal(t, "Use our new logo", h.notes[0].Val.Comment)
	_ = res
}

func TestValidatorsRejectBeforeHistory(t *testing.T) {
	tests := []struct {
		name string
		at   time.Duration
		upd  string
		arg  any
		code string
	}{
		{"author reviews own post", 90 * time.Second, workflows.ReviewUpdate, workflows.ReviewRequest{Actor: author, Version: 1, Decision: greenlight.DecisionApprove}, greenlight.EFORBIDDEN},
		{"review of a stale version", 90 * time.Second, workflows.ReviewUpdate, workflows.ReviewRequest{Actor: reviewer, Version: 7, Decision: greenlight.DecisionApprove}, greenlight.ECONFLICT},
		{"changes without comment", 90 * time.Second, workflows.ReviewUpdate, workflows.ReviewRequest{Actor: reviewer, Version: 1, Decision: greenlight.DecisionRequestChanges}, greenlight.EINVALID},
		{"unknown decision", 90 * time.Second, workflows.ReviewUpdate, workflows.ReviewRequest{Actor: reviewer, Version: 1, Decision: "maybe"}, greenlight.EINVALID},
		{"client decides before review", 90 * time.Second, workflows.ClientDecisionUpdate, workflows.ClientDecisionRequest{Approver: asActor(ana), Version: 1, Decision: greenlight.DecisionApprove}, greenlight.ECONFLICT},
		{"stranger decides", 3 * time.Minute, workflows.ClientDecisionUpdate, workflows.ClientDecisionRequest{Approver: asActor(bob), Version: 1, Decision: greenlight.DecisionApprove}, greenlight.EFORBIDDEN},
		{"submit twice", 90 * time.Second, workflows.SubmitUpdate, workflows.SubmitRequest{Actor: author}, greenlight.ECONFLICT},
		{"edit on a stale base", 90 * time.Second, workflows.EditUpdate, workflows.EditRequest{Actor: author, BaseVersion: 3}, greenlight.ECONFLICT},
		{"create twice", 90 * time.Second, workflows.CreateUpdate, workflows.CreateRequest{}, greenlight.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.toAwaitingClient()
			bad := h.update(tt.at, tt.upd, tt.arg)
			h.run(time.Hour)
			require.True(t, bad.done)
			require.Equal(t, tt.code, errCode(bad.err), "error: %v", bad.err)
			require.Equal(t, []greenlight.PostStatus{"draft", "in_review", "awaiting_client"}, h.statuses(), "a rejected update changes nothing")
		})
	}
}

func TestPublishFailureIsRecordedAndTheAuthorTold(t *testing.T) {
	h := newHarness(t)
	h.publishFn = func(p activities.PublishRequest) error {
		if p.Channel == "x" {
			return temporal.NewNonRetryableApplicationError("webhook refused the post (400)", greenlight.EINVALID, nil)
		}
		return nil
	}
	h.toAwaitingClient()
	h.update(time.Hour, workflows.ClientDecisionUpdate, workflows.ClientDecisionRequest{Approver: asActor(ana), Version: 1, Decision: greenlight.DecisionApprove})
	res := h.run(0)

	require.Equal(t, greenlight.StatusFailed, res.Status)
	require.Len(t, h.notes, 1)
	require.Equal(t, activities.NotifyFailed, h.notes[0].Val.Kind)
	require.Equal(t, "instagram: published (ref-instagram); x: failed: webhook refused the post (400)", h.notes[0].Val.Comment)
	require.Equal(t, []activities.ChannelFailure{{PostID: "pst_1", Version: 1, Channel: "x", Error: "webhook refused the post (400)"}},
		[]activities.ChannelFailure{h.failures[0].Val}, "the channel's row says why")
}

func TestDraftExpiresWhenNobodySubmits(t *testing.T) {
	h := newHarness(t)
	h.in.PublishAt = t0.Add(3 * time.Hour)
	res := h.run(0)
	require.Equal(t, greenlight.StatusExpired, res.Status)
	require.Len(t, h.notes, 1)
	require.Equal(t, h.in.PublishAt, h.notes[0].At)
}

// quietLogger drops the test environment's debug chatter; failures show in assertions.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}

func TestCrisisHoldReturnsALatePostToItsAuthor(t *testing.T) {
	h := newHarness(t)
	h.hold = activities.HoldStatus{Held: true, CrisisID: "crs_1"}
	h.toAwaitingClient()
	h.update(time.Hour, workflows.ClientDecisionUpdate, workflows.ClientDecisionRequest{Approver: asActor(ana), Version: 1, Decision: greenlight.DecisionApprove})
	afterPublishTime := h.in.PublishAt.Sub(t0) + 3*time.Hour
	h.env.RegisterDelayedCallback(func() {
		h.hold = activities.HoldStatus{}
		h.env.SignalWorkflow(workflows.ReleaseSignal, nil)
	}, afterPublishTime)
	submitTooSoon := h.update(afterPublishTime+time.Minute, workflows.SubmitUpdate, workflows.SubmitRequest{Actor: author})
	later := h.in.PublishAt.Add(48 * time.Hour)
	h.update(afterPublishTime+2*time.Minute, workflows.EditUpdate, workflows.EditRequest{Actor: author, PublishAt: &later})
	resubmit := h.update(afterPublishTime+3*time.Minute, workflows.SubmitUpdate, workflows.SubmitRequest{Actor: author})
	h.run(afterPublishTime + time.Hour)

	require.Empty(t, h.published, "a held post is not published")
	require.Contains(t, h.actions(), "held")
	require.Contains(t, h.actions(), "returned_after_crisis")
	require.Equal(t, greenlight.ECONFLICT, errCode(submitTooSoon.err), "a new publish time comes first")
	require.NoError(t, resubmit.err)
	require.Equal(t, greenlight.StatusInReview, resubmit.view.Status, "it goes through approval again")
	require.Len(t, h.notes, 1)
	require.Equal(t, activities.NotifyReturned, h.notes[0].Val.Kind)
}

func TestCrisisHoldChecksAgainWithoutASignal(t *testing.T) {
	h := newHarness(t)
	h.hold = activities.HoldStatus{Held: true, CrisisID: "crs_1"}
	h.toAwaitingClient()
	h.update(time.Hour, workflows.ClientDecisionUpdate, workflows.ClientDecisionRequest{Approver: asActor(ana), Version: 1, Decision: greenlight.DecisionApprove})
	// Rescheduled during the hold, then the hold ends without any signal reaching the post.
	later := h.in.PublishAt.Add(24 * time.Hour)
	h.update(h.in.PublishAt.Sub(t0)+time.Hour, workflows.EditUpdate, workflows.EditRequest{Actor: author, PublishAt: &later})
	h.env.RegisterDelayedCallback(func() { h.hold = activities.HoldStatus{} }, h.in.PublishAt.Sub(t0)+2*time.Hour)
	res := h.run(0)

	require.Equal(t, greenlight.StatusPublished, res.Status)
	require.Equal(t, later, h.published[0].At, "released by its periodic check, it publishes at its new time")
}

func TestReviewCarriesTheApproversSoNoLookupRuns(t *testing.T) {
	h := newHarness(t)
	h.approvers = nil // the lookup would find nobody: the request's approvers must be used
	h.update(time.Minute, workflows.SubmitUpdate, workflows.SubmitRequest{Actor: author})
	review := h.update(2*time.Minute, workflows.ReviewUpdate, workflows.ReviewRequest{Actor: reviewer, Version: 1, Decision: greenlight.DecisionApprove,
		Client: &activities.ClientApprovers{Policy: greenlight.PolicyAny, Approvers: []activities.Approver{bob}}})
	h.run(time.Hour)
	require.NoError(t, review.err)
	require.Equal(t, greenlight.StatusAwaitingClient, review.view.Status)
	require.Len(t, h.requests, 1)
	require.Equal(t, []activities.Approver{bob}, h.requests[0].Val.Approvers)
}
