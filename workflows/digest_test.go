package workflows_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/workflows"
)

// digestHarness runs one approver's Digest workflow with SendDigest mocked: waiting(item,
// kind) says whether an item still waits when an email of that kind is sent.
type digestHarness struct {
	t       *testing.T
	env     *testsuite.TestWorkflowEnvironment
	sends   []timed[activities.DigestSend]
	waiting func(it activities.DigestItem, kind string) bool
}

func newDigestHarness(t *testing.T) *digestHarness {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(quietLogger{})
	h := &digestHarness{t: t, env: suite.NewTestWorkflowEnvironment()}
	h.env.SetStartTime(t0)
	h.env.SetTestTimeout(30 * time.Second)
	var acts *activities.Activities
	h.env.RegisterActivity(acts)
	h.env.OnActivity(acts.SendDigest, mock.Anything, mock.Anything).Return(func(_ context.Context, req activities.DigestSend) ([]activities.DigestItem, error) {
		h.sends = append(h.sends, timed[activities.DigestSend]{h.env.Now().UTC(), req})
		var out []activities.DigestItem
		for _, it := range req.Items {
			if h.waiting == nil || h.waiting(it, req.Kind) {
				out = append(out, it)
			}
		}
		return out, nil
	})
	return h
}

func digestItem(post string) activities.DigestItem {
	return activities.DigestItem{
		PostID: post, ClientID: "cli_1", AuthorID: author.ID, Version: 1, Round: 1, Approver: ana,
		Window: 10 * time.Minute, ReminderAfter: 24 * time.Hour, EscalateAfter: 72 * time.Hour,
	}
}

// signal delivers an item at t0+at.
func (h *digestHarness) signal(at time.Duration, it activities.DigestItem) {
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(activities.DigestSignal, it) }, at)
}

// run starts the digest as signal-with-start does, with first already delivered.
func (h *digestHarness) run(first activities.DigestItem) {
	h.env.ExecuteWorkflow(workflows.Digest, activities.DigestInput{
		ClientID: "cli_1", ApproverID: ana.ID, Pending: []activities.DigestItem{first}, PendingSince: t0,
	})
	require.True(h.t, h.env.IsWorkflowCompleted())
	require.NoError(h.t, h.env.GetWorkflowError())
}

func (h *digestHarness) kinds() []string {
	var out []string
	for _, s := range h.sends {
		out = append(out, s.Val.Kind)
	}
	return out
}

func posts(items []activities.DigestItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.PostID)
	}
	return out
}

func TestDigestSendsOneEmailPerWindow(t *testing.T) {
	h := newDigestHarness(t)
	h.signal(time.Minute, digestItem("pst_2"))
	h.signal(9*time.Minute, digestItem("pst_3"))
	h.signal(9*time.Minute, digestItem("pst_2")) // a retried enqueue adds nothing
	h.signal(15*time.Minute, digestItem("pst_4"))
	// Everything is decided before the reminders: no reminder, no escalation.
	h.waiting = func(_ activities.DigestItem, kind string) bool { return kind == activities.DigestRequest }
	h.run(digestItem("pst_1"))

	require.Equal(t, []string{activities.DigestRequest, activities.DigestRequest, activities.DigestReminder, activities.DigestReminder}, h.kinds())
	require.Equal(t, t0.Add(10*time.Minute), h.sends[0].At, "one email when the window of the first item ends")
	require.Equal(t, []string{"pst_1", "pst_2", "pst_3"}, posts(h.sends[0].Val.Items))
	require.Equal(t, "pst_1/v1/r1", h.sends[0].Val.Batch)
	require.Equal(t, t0.Add(25*time.Minute), h.sends[1].At, "an item after the window starts the next one")
	require.Equal(t, []string{"pst_4"}, posts(h.sends[1].Val.Items))
	require.Equal(t, t0.Add(10*time.Minute+24*time.Hour), h.sends[2].At, "each batch gets its reminder")
	require.Equal(t, "pst_1/v1/r1", h.sends[2].Val.Batch)
	require.Equal(t, t0.Add(25*time.Minute+24*time.Hour), h.sends[3].At)
}

func TestDigestRemindsAndEscalatesPerBatch(t *testing.T) {
	h := newDigestHarness(t)
	h.signal(2*time.Minute, digestItem("pst_2"))
	h.signal(3*time.Minute, digestItem("pst_3"))
	// pst_2 is decided after the first email; pst_3 after the reminder.
	h.waiting = func(it activities.DigestItem, kind string) bool {
		switch it.PostID {
		case "pst_2":
			return kind == activities.DigestRequest
		case "pst_3":
			return kind != activities.DigestEscalation
		}
		return true
	}
	h.run(digestItem("pst_1"))

	require.Equal(t, []string{activities.DigestRequest, activities.DigestReminder, activities.DigestEscalation}, h.kinds())
	sent := t0.Add(10 * time.Minute)
	require.Equal(t, sent.Add(24*time.Hour), h.sends[1].At)
	require.Equal(t, []string{"pst_1", "pst_2", "pst_3"}, posts(h.sends[1].Val.Items), "the reminder asks about what the email listed")
	require.Equal(t, sent.Add(72*time.Hour), h.sends[2].At, "one escalation per batch")
	require.Equal(t, []string{"pst_1", "pst_3"}, posts(h.sends[2].Val.Items), "only what still waited at the reminder")
	for _, s := range h.sends {
		require.Equal(t, "pst_1/v1/r1", s.Val.Batch, "one batch: its key names every email")
	}
}

func TestDigestEndsWhenNothingWaits(t *testing.T) {
	h := newDigestHarness(t)
	h.waiting = func(activities.DigestItem, string) bool { return false } // decided before the email
	h.run(digestItem("pst_1"))
	require.Equal(t, []string{activities.DigestRequest}, h.kinds(), "no email listed nothing: no reminder, the run ends")
	require.Equal(t, t0.Add(10*time.Minute), h.sends[0].At)
}

// A client with a digest window: the post hands each approver's request to the digest
// (under GetVersion "digest") and sends no per-post email, reminder or escalation; its
// history still records each step.
func TestPostWithDigestWindowGoesThroughTheDigest(t *testing.T) {
	h := newHarness(t)
	h.approvers = []activities.Approver{ana, bob}
	h.in.PublishAt = t0.Add(100 * time.Hour)
	h.digestWindow = 10 * time.Minute
	var acts *activities.Activities
	var queued []timed[activities.DigestItem]
	var mu sync.Mutex // the approvers' activities run side by side
	h.env.OnActivity(acts.EnqueueDigest, mock.Anything, mock.Anything).Return(func(_ context.Context, it activities.DigestItem) error {
		mu.Lock()
		defer mu.Unlock()
		queued = append(queued, timed[activities.DigestItem]{h.env.Now().UTC(), it})
		return nil
	})
	h.toAwaitingClient()
	res := h.run(0)

	require.Equal(t, greenlight.StatusExpired, res.Status)
	require.Empty(t, h.requests, "no per-post approval email or reminder")
	require.Len(t, queued, 2, "one item per approver")
	slices.SortFunc(queued, func(a, b timed[activities.DigestItem]) int {
		return strings.Compare(a.Val.Approver.ID, b.Val.Approver.ID)
	})
	for i, ap := range []activities.Approver{ana, bob} {
		require.Equal(t, activities.DigestItem{PostID: "pst_1", ClientID: "cli_1", AuthorID: author.ID, Version: 1, Round: 1,
			Approver: ap, Window: 10 * time.Minute, ReminderAfter: h.in.ReminderAfter, EscalateAfter: h.in.EscalateAfter}, queued[i].Val)
		require.Equal(t, t0.Add(2*time.Minute), queued[i].At)
	}
	require.Len(t, h.notes, 1, "the escalation goes with the batches; only the expiry is per post")
	require.Equal(t, activities.NotifyExpired, h.notes[0].Val.Kind)
	require.Contains(t, h.actions(), "client_reminded")
	require.Contains(t, h.actions(), "escalated")
}

// Without a window (0s) the round keeps today's per-post emails and asks no GetVersion.
func TestPostWithoutDigestWindowEmailsPerPost(t *testing.T) {
	h := newHarness(t)
	var acts *activities.Activities
	enqueued := 0
	h.env.OnActivity(acts.EnqueueDigest, mock.Anything, mock.Anything).Return(func(context.Context, activities.DigestItem) error {
		enqueued++
		return nil
	})
	h.toAwaitingClient()
	h.update(time.Hour, workflows.ClientDecisionUpdate, workflows.ClientDecisionRequest{Approver: asActor(ana), Version: 1, Decision: greenlight.DecisionApprove})
	res := h.run(0)
	require.Equal(t, greenlight.StatusPublished, res.Status)
	require.Len(t, h.requests, 1)
	require.Zero(t, enqueued)
}

// A cancelled digest stops at once (it does not spin on its cancelled timer).
func TestDigestStopsWhenCancelled(t *testing.T) {
	h := newDigestHarness(t)
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, time.Hour)
	h.env.ExecuteWorkflow(workflows.Digest, activities.DigestInput{
		ClientID: "cli_1", ApproverID: ana.ID, Pending: []activities.DigestItem{digestItem("pst_1")}, PendingSince: t0,
	})
	require.True(t, h.env.IsWorkflowCompleted())
	require.Error(t, h.env.GetWorkflowError())
	require.Equal(t, []string{activities.DigestRequest}, h.kinds(), "the batch went at 10m; the reminder never")
}
