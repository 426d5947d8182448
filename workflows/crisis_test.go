package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/playbooks"
	"github.com/greenlight/greenlight/workflows"
)

var lead = greenlight.Actor{Kind: "user", ID: "usr_lead", Name: "Lea Lead"}

type crisisHarness struct {
	t         *testing.T
	env       *testsuite.TestWorkflowEnvironment
	in        workflows.CrisisInput
	records   []activities.CrisisRecord
	notes     []timed[activities.CrisisNotification]
	holds     []time.Time
	releases  []time.Time
	reports   int
	negatives func(now time.Time) int
	children  []workflows.StatementInput
	signalled []string // workflow IDs that got a signal
	held      []string // post ids ReleasePublishing returns
	updates   int
	onRecord  func(activities.CrisisRecord) // called inside the RecordCrisis local activity
}

func loadPlaybook(t *testing.T, key string) playbooks.Playbook {
	c, err := playbooks.Load("")
	require.NoError(t, err)
	p, ok := c.Get(key)
	require.True(t, ok)
	return *p
}

func newCrisisHarness(t *testing.T, playbook string) *crisisHarness {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(quietLogger{})
	h := &crisisHarness{t: t, env: suite.NewTestWorkflowEnvironment(),
		in: workflows.CrisisInput{CrisisID: "crs_1", ClientID: "cli_1", Playbook: loadPlaybook(t, playbook),
			Severity: "high", Summary: "Angry thread about the new recipe", Lead: lead},
		negatives: func(time.Time) int { return 0 },
	}
	env := h.env
	env.SetStartTime(t0)
	env.SetTestTimeout(60 * time.Second)
	var acts *activities.Activities
	env.RegisterActivity(acts)
	env.RegisterWorkflow(workflows.StatementApproval)
	env.OnActivity(acts.RecordCrisis, mock.Anything, mock.Anything).Return(func(_ context.Context, r activities.CrisisRecord) error {
		h.records = append(h.records, r)
		if h.onRecord != nil {
			h.onRecord(r)
		}
		return nil
	})
	env.OnActivity(acts.NotifyCrisis, mock.Anything, mock.Anything).Return(func(_ context.Context, n activities.CrisisNotification) error {
		h.notes = append(h.notes, timed[activities.CrisisNotification]{env.Now().UTC(), n})
		return nil
	})
	env.OnActivity(acts.HoldPublishing, mock.Anything, mock.Anything).Return(func(context.Context, activities.HoldRequest) error {
		h.holds = append(h.holds, env.Now().UTC())
		return nil
	})
	env.OnActivity(acts.ReleasePublishing, mock.Anything, mock.Anything).Return(func(context.Context, activities.HoldRequest) ([]string, error) {
		h.releases = append(h.releases, env.Now().UTC())
		return h.held, nil
	})
	env.OnActivity(acts.BuildReport, mock.Anything, mock.Anything).Return(func(context.Context, string) error {
		h.reports++
		return nil
	})
	env.OnActivity(acts.CountMentions, mock.Anything, mock.Anything).Return(func(_ context.Context, w activities.MentionWindow) (activities.MentionCounts, error) {
		n := h.negatives(env.Now())
		return activities.MentionCounts{Total: n + 20, Negative: n}, nil
	})
	env.OnWorkflow(workflows.StatementApproval, mock.Anything, mock.Anything).Return(func(_ workflow.Context, in workflows.StatementInput) (string, error) {
		h.children = append(h.children, in)
		return workflows.StatementAwaiting, nil
	})
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_, workflowID, _, _ string, _ any) error {
			h.signalled = append(h.signalled, workflowID)
			return nil
		})
	env.OnRequestCancelExternalWorkflow(mock.Anything, mock.Anything, mock.Anything).Return(nil)
	return h
}

func (h *crisisHarness) update(at time.Duration, name string, arg any) *outcome {
	o := &outcome{}
	h.env.RegisterDelayedCallback(func() { h.send(name, arg, o) }, at)
	return o
}

func (h *crisisHarness) send(name string, arg any, o *outcome) {
	h.updates++
	h.env.UpdateWorkflow(name, fmt.Sprintf("u%d", h.updates), &testsuite.TestUpdateCallback{
		OnAccept:   func() {},
		OnReject:   func(err error) { o.done, o.err = true, err },
		OnComplete: func(_ any, err error) { o.done, o.err = true, err },
	}, arg)
}

func (h *crisisHarness) state() workflows.CrisisState {
	v, err := h.env.QueryWorkflow(workflows.StateQuery)
	require.NoError(h.t, err)
	var st workflows.CrisisState
	require.NoError(h.t, v.Get(&st))
	return st
}

func (h *crisisHarness) run(stopAt time.Duration) (workflows.CrisisResult, error) {
	h.update(0, workflows.CreateUpdate, workflows.CreateRequest{})
	if stopAt > 0 {
		h.env.RegisterDelayedCallback(h.env.CancelWorkflow, stopAt)
	}
	h.env.ExecuteWorkflow(workflows.Crisis, h.in)
	require.True(h.t, h.env.IsWorkflowCompleted())
	var res workflows.CrisisResult
	err := h.env.GetWorkflowError()
	if err == nil {
		require.NoError(h.t, h.env.GetWorkflowResult(&res))
	}
	return res, err
}

// drive plays the crisis team every interval of workflow time: it completes tasks,
// drafts statements and (standing in for the statement workflow) reports them published,
// then resolves once every step is finished.
func (h *crisisHarness) drive(every time.Duration) {
	var tick func()
	tick = func() {
		st := h.state()
		if st.Status != workflows.CrisisActive {
			return
		}
		finished := true
		for _, s := range st.Steps {
			spec := h.in.Playbook.StepByKey(s.Key)
			if s.Status != workflows.StepDone && s.Status != workflows.StepSkipped {
				finished = false
			}
			if s.Status != workflows.StepReady && s.Status != workflows.StepInProgress {
				continue
			}
			switch {
			case spec.Kind == playbooks.KindTask:
				h.send(workflows.CompleteStepUpdate, workflows.CompleteStepRequest{Actor: lead, Key: s.Key, Note: "done"}, &outcome{})
			case spec.Kind == playbooks.KindStatement && s.StatementID == "":
				h.send(workflows.SubmitStatementUpdate, workflows.SubmitStatementRequest{Actor: lead, Body: "We hear you."}, &outcome{})
			case spec.Kind == playbooks.KindStatement:
				h.env.SignalWorkflow(workflows.StatementDoneSignal, workflows.StatementDone{
					StepKey: s.Key, StatementID: s.StatementID, Status: workflows.StatementPublished, Version: 1})
			}
		}
		if finished {
			h.send(workflows.ResolveUpdate, workflows.ResolveRequest{Actor: lead, Summary: "Back to normal"}, &outcome{})
			return
		}
		h.env.RegisterDelayedCallback(tick, every)
	}
	h.env.RegisterDelayedCallback(tick, every)
}

func (h *crisisHarness) events() []string {
	var out []string
	for _, r := range h.records {
		for _, e := range r.Events {
			out = append(out, e.Event+":"+e.Step)
		}
	}
	return out
}

func (h *crisisHarness) last() activities.CrisisRecord { return h.records[len(h.records)-1] }

func stepOf(r activities.CrisisRecord, key string) activities.StepSnapshot {
	for _, s := range r.Steps {
		if s.Key == key {
			return s
		}
	}
	panic("no step " + key)
}

func TestEveryShippedPlaybookRunsToCompletion(t *testing.T) {
	c, err := playbooks.Load("")
	require.NoError(t, err)
	for _, p := range c.All() {
		t.Run(p.Key, func(t *testing.T) {
			h := newCrisisHarness(t, p.Key)
			// A spike that calms down: 150 negative mentions an hour at first, 20 fewer each hour.
			h.negatives = func(now time.Time) int { return max(0, 150-20*int(now.Sub(t0).Hours())) }
			h.held = []string{"pst_held"}
			h.drive(10 * time.Minute)
			res, err := h.run(0)
			require.NoError(t, err)
			require.Equal(t, workflows.CrisisResolved, res.Status)

			final := h.last()
			for _, s := range final.Steps {
				require.Equal(t, workflows.StepDone, s.Status, "step %s", s.Key)
				require.NotNil(t, s.CompletedAt)
			}
			var phases []string
			for _, e := range h.events() {
				if e[:len("phase_entered")] == "phase_entered" {
					phases = append(phases, e)
				}
			}
			require.Len(t, phases, 4, "the crisis went through prepare, listen, communicate, act")
			require.Equal(t, "act", final.Crisis.Phase)
			require.Len(t, h.holds, 1, "publishing was paused once")
			require.NotEmpty(t, h.releases, "and resumed")
			require.Contains(t, h.signalled, workflows.PostWorkflowID("pst_held"), "held posts are told")
			require.Len(t, h.children, 1, "one statement went to approval")
			require.GreaterOrEqual(t, h.reports, 2, "the report step and the resolution both build the report")
		})
	}
}

func TestIndependentStepsRunConcurrently(t *testing.T) {
	h := newCrisisHarness(t, "bad-buzz")
	h.negatives = func(time.Time) int { return 50 }
	h.update(5*time.Minute, workflows.CompleteStepUpdate, workflows.CompleteStepRequest{Actor: lead, Key: "assemble"})
	_, err := h.run(30 * time.Minute)
	require.Error(t, err) // cancelled by the test

	at := t0.Add(5 * time.Minute)
	var rec activities.CrisisRecord
	for _, r := range h.records {
		if stepOf(r, "alert-team").Status != workflows.StepPending {
			rec = r
			break
		}
	}
	require.Equal(t, workflows.StepInProgress, stepOf(rec, "alert-team").Status)
	require.Equal(t, at, *stepOf(rec, "alert-team").ReadyAt)
	require.Equal(t, t0, *stepOf(rec, "pause-posts").ReadyAt, "publishing freezes as the crisis starts")
	require.Equal(t, []time.Time{t0}, h.holds)
	require.Equal(t, at, h.notes[0].At)
	require.Equal(t, []string{"community_manager", "legal", "exec", "client"}, h.notes[0].Val.Roles)
	final := h.last()
	require.Equal(t, workflows.StepDone, stepOf(final, "alert-team").Status)
	require.Equal(t, workflows.StepDone, stepOf(final, "pause-posts").Status)
	require.Equal(t, workflows.StepReady, stepOf(final, "qualify").Status)
	require.Equal(t, workflows.StepInProgress, stepOf(final, "watch").Status)
	require.Equal(t, "listen", final.Crisis.Phase)
	require.Equal(t, "crisis_lead", stepOf(final, "assemble").Role)
	require.Equal(t, lead.ID, stepOf(final, "assemble").Assignee.ID, "crisis lead steps are the lead's")
}

func TestSLAEscalationChain(t *testing.T) {
	h := newCrisisHarness(t, "bad-buzz")
	done := h.update(75*time.Minute, workflows.CompleteStepUpdate, workflows.CompleteStepRequest{Actor: lead, Key: "assemble", Note: "cell open"})
	_, err := h.run(2 * time.Hour)
	require.Error(t, err)
	require.NoError(t, done.err)

	require.GreaterOrEqual(t, len(h.notes), 2)
	require.Equal(t, activities.CrisisNotifyLate, h.notes[0].Val.Kind)
	require.Equal(t, t0.Add(30*time.Minute), h.notes[0].At, "the backup and the lead at the SLA")
	require.Equal(t, "crisis_lead", h.notes[0].Val.Role)
	require.Equal(t, activities.CrisisNotifyAdmins, h.notes[1].Val.Kind)
	require.Equal(t, t0.Add(60*time.Minute), h.notes[1].At, "admins one SLA later")
	require.Contains(t, h.events(), "sla_breached:assemble")
	require.Contains(t, h.events(), "escalated_to_admins:assemble")
	s := stepOf(h.last(), "assemble")
	require.Equal(t, 2, s.Escalation)
	require.Contains(t, s.Note, "cell open")
	var doneNote string
	for _, r := range h.records {
		for _, e := range r.Events {
			if e.Event == "step_done" && e.Step == "assemble" {
				doneNote = e.Note
			}
		}
	}
	require.Equal(t, "cell open (45m0s past its SLA)", doneNote)
}

func TestListenStepEscalatesOnASpikeThenCompletes(t *testing.T) {
	h := newCrisisHarness(t, "bad-buzz")
	// 90 at first, 130 from the 20th minute (spike), then 5 after three hours.
	h.negatives = func(now time.Time) int {
		switch d := now.Sub(t0); {
		case d < 20*time.Minute:
			return 90
		case d < 3*time.Hour:
			return 130
		default:
			return 5
		}
	}
	h.update(time.Minute, workflows.CompleteStepUpdate, workflows.CompleteStepRequest{Actor: lead, Key: "assemble"})
	_, err := h.run(5 * time.Hour)
	require.Error(t, err)
	var spikes []timed[activities.CrisisNotification]
	for _, n := range h.notes {
		if n.Val.Kind == activities.CrisisNotifySpike {
			spikes = append(spikes, n)
		}
	}
	require.Len(t, spikes, 1, "one alert per crossing, not one per check")
	require.Equal(t, t0.Add(21*time.Minute), spikes[0].At, "the check every 10 minutes sees it")
	require.Contains(t, spikes[0].Val.Message, "130 negative")
	w := stepOf(h.last(), "watch")
	require.Equal(t, workflows.StepDone, w.Status)
	require.Equal(t, t0.Add(3*time.Hour+time.Minute), *w.CompletedAt)
	require.Contains(t, w.Note, "5 negative of 25 mentions in the last 1h0m0s, below 10")
}

func TestWaitStepIsATimer(t *testing.T) {
	h := newCrisisHarness(t, "bad-buzz")
	h.update(time.Minute, workflows.CompleteStepUpdate, workflows.CompleteStepRequest{Actor: lead, Key: "assemble"})
	h.update(2*time.Minute, workflows.CompleteStepUpdate, workflows.CompleteStepRequest{Actor: lead, Key: "qualify"})
	h.update(3*time.Minute, workflows.SubmitStatementUpdate, workflows.SubmitStatementRequest{Actor: lead, Body: "We hear you."})
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.StatementDoneSignal, workflows.StatementDone{
			StepKey: "holding-statement", StatementID: h.state().Steps[5].StatementID, Status: workflows.StatementPublished, Version: 1})
	}, 10*time.Minute)
	_, err := h.run(3 * time.Hour)
	require.Error(t, err)
	w := stepOf(h.last(), "check-again")
	require.Equal(t, workflows.StepDone, w.Status)
	require.Equal(t, t0.Add(10*time.Minute+2*time.Hour), *w.CompletedAt)
	require.Len(t, h.children, 1)
	require.Equal(t, []string{"x", "facebook", "instagram"}, h.children[0].Channels, "the playbook's channels by default")
	require.Equal(t, []string{"legal", "client"}, h.children[0].Spec.Approvers)
}

func TestCrisisValidators(t *testing.T) {
	tests := []struct {
		name string
		upd  string
		arg  any
		code string
	}{
		{"unknown step", workflows.CompleteStepUpdate, workflows.CompleteStepRequest{Actor: lead, Key: "nope"}, greenlight.ENOTFOUND},
		{"step not ready", workflows.CompleteStepUpdate, workflows.CompleteStepRequest{Actor: lead, Key: "moderate"}, greenlight.ECONFLICT},
		{"automatic step", workflows.CompleteStepUpdate, workflows.CompleteStepRequest{Actor: lead, Key: "pause-posts"}, greenlight.ECONFLICT},
		{"statement before its step", workflows.SubmitStatementUpdate, workflows.SubmitStatementRequest{Actor: lead, Body: "x"}, greenlight.ECONFLICT},
		{"assign nobody", workflows.AssignStepUpdate, workflows.AssignStepRequest{Actor: lead, Key: "qualify"}, greenlight.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newCrisisHarness(t, "bad-buzz")
			h.update(time.Minute, workflows.CompleteStepUpdate, workflows.CompleteStepRequest{Actor: lead, Key: "assemble"})
			bad := h.update(2*time.Minute, tt.upd, tt.arg)
			_, err := h.run(10 * time.Minute)
			require.Error(t, err)
			require.Equal(t, tt.code, errCode(bad.err), "%v", bad.err)
		})
	}
}

func TestResolveSkipsTheRestReleasesAndReports(t *testing.T) {
	h := newCrisisHarness(t, "bad-buzz")
	h.held = []string{"pst_a", "pst_b"}
	h.update(time.Minute, workflows.CompleteStepUpdate, workflows.CompleteStepRequest{Actor: lead, Key: "assemble"})
	h.update(2*time.Minute, workflows.CompleteStepUpdate, workflows.CompleteStepRequest{Actor: lead, Key: "qualify"})
	h.update(3*time.Minute, workflows.SubmitStatementUpdate, workflows.SubmitStatementRequest{Actor: lead, Body: "We hear you."})
	resolve := h.update(time.Hour, workflows.ResolveUpdate, workflows.ResolveRequest{Actor: lead, Summary: "A misunderstanding, cleared up"})
	again := h.update(time.Hour, workflows.ResolveUpdate, workflows.ResolveRequest{Actor: lead})
	res, err := h.run(0)
	require.NoError(t, err)
	require.NoError(t, resolve.err)
	require.Equal(t, greenlight.ECONFLICT, errCode(again.err), "resolving twice")
	require.Equal(t, workflows.CrisisResolved, res.Status)
	final := h.last()
	require.Equal(t, workflows.StepDone, stepOf(final, "assemble").Status)
	require.Equal(t, workflows.StepSkipped, stepOf(final, "moderate").Status)
	require.Equal(t, workflows.StepSkipped, stepOf(final, "holding-statement").Status)
	require.Equal(t, "A misunderstanding, cleared up", final.Crisis.Resolution)
	require.Len(t, h.releases, 1)
	require.Equal(t, t0.Add(time.Hour), h.releases[0])
	require.Subset(t, h.signalled, []string{workflows.PostWorkflowID("pst_a"), workflows.PostWorkflowID("pst_b")})
	require.Equal(t, 1, h.reports)
	require.Contains(t, h.events(), "crisis_resolved:")
}

func TestContinueAsNewCarriesAThirtyDayCrisis(t *testing.T) {
	in := workflows.CrisisInput{CrisisID: "crs_long", ClientID: "cli_1", Playbook: loadPlaybook(t, "bad-buzz"),
		Severity: "critical", Summary: "A month-long boycott", Lead: lead}
	end := t0.Add(30 * 24 * time.Hour)
	now := t0
	runs := 0
	var seqs []int
	for {
		runs++
		require.Less(t, runs, 20, "the crisis keeps continuing as new")
		h := newCrisisHarness(t, "bad-buzz")
		h.in = in
		h.env.SetStartTime(now)
		h.negatives = func(time.Time) int { return 60 } // between complete_below and escalate_above: listening goes on
		if in.State == nil {
			h.update(0, workflows.CreateUpdate, workflows.CreateRequest{})
			h.update(time.Minute, workflows.CompleteStepUpdate, workflows.CompleteStepRequest{Actor: lead, Key: "assemble"})
		}
		// History grows with every ten-minute check: pretend each day adds 1,500 events.
		day := 0
		var grow func()
		grow = func() {
			day++
			h.env.SetCurrentHistoryLength(day * 1500)
			h.env.RegisterDelayedCallback(grow, 24*time.Hour)
		}
		h.env.RegisterDelayedCallback(grow, 24*time.Hour)
		if remaining := end.Sub(now); remaining < 7*24*time.Hour {
			h.update(remaining, workflows.ResolveUpdate, workflows.ResolveRequest{Actor: lead, Summary: "over after 30 days"})
		}
		h.env.ExecuteWorkflow(workflows.Crisis, in)
		require.True(t, h.env.IsWorkflowCompleted())
		for _, r := range h.records {
			for _, e := range r.Events {
				seqs = append(seqs, e.Seq)
			}
		}
		err := h.env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if errors.As(err, &can) {
			var next workflows.CrisisInput
			require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
			require.NotNil(t, next.State)
			require.Equal(t, runs, next.State.Runs)
			require.Equal(t, "listen", next.State.Phase, "the state goes on")
			require.Equal(t, in.Playbook.Version, next.Playbook.Version, "with the same playbook snapshot")
			now = h.env.Now()
			in = next
			continue
		}
		require.NoError(t, err)
		var res workflows.CrisisResult
		require.NoError(t, h.env.GetWorkflowResult(&res))
		require.Equal(t, workflows.CrisisResolved, res.Status)
		require.Equal(t, end, res.ResolvedAt.UTC())
		break
	}
	require.GreaterOrEqual(t, runs, 4, "a 30-day crisis continued as new several times")
	require.True(t, slices.IsSorted(seqs), "timeline numbering continues across runs")
	require.Equal(t, len(seqs), len(slices.Compact(slices.Clone(seqs))), "no timeline event is written twice")
}

func TestShippedPlaybooksFreezePublishingAsTheCrisisStarts(t *testing.T) {
	c, err := playbooks.Load("")
	require.NoError(t, err)
	for _, p := range c.All() {
		t.Run(p.Key, func(t *testing.T) {
			h := newCrisisHarness(t, p.Key)
			_, err := h.run(10 * time.Minute) // nobody acts
			require.Error(t, err)
			require.Equal(t, []time.Time{t0}, h.holds, "the hold is set when the crisis starts, before any human step")
			var pause activities.StepSnapshot
			for _, s := range h.last().Steps {
				if s.Kind == playbooks.KindPausePublishing {
					pause = s
				}
			}
			require.Equal(t, workflows.StepDone, pause.Status)
			require.Equal(t, t0, *pause.CompletedAt)
		})
	}
}

// failedStatement drives bad-buzz to a holding statement whose publication fails.
func failedStatement(t *testing.T) *crisisHarness {
	h := newCrisisHarness(t, "bad-buzz")
	h.update(time.Minute, workflows.CompleteStepUpdate, workflows.CompleteStepRequest{Actor: lead, Key: "assemble"})
	h.update(2*time.Minute, workflows.CompleteStepUpdate, workflows.CompleteStepRequest{Actor: lead, Key: "qualify"})
	h.update(3*time.Minute, workflows.SubmitStatementUpdate, workflows.SubmitStatementRequest{Actor: lead, Body: "We hear you."})
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.StatementDoneSignal, workflows.StatementDone{
			StepKey: "holding-statement", StatementID: h.children[0].StatementID, Status: workflows.StatementFailed, Version: 1, Note: "publishing failed"})
	}, 10*time.Minute)
	return h
}

func TestFailedStatementPublicationNeverBlocksTheCrisis(t *testing.T) {
	t.Run("a new draft starts a new statement run", func(t *testing.T) {
		h := failedStatement(t)
		redraft := h.update(20*time.Minute, workflows.SubmitStatementUpdate, workflows.SubmitStatementRequest{Actor: lead, Body: "We hear you, again."})
		h.env.RegisterDelayedCallback(func() {
			require.Len(t, h.children, 2)
			h.env.SignalWorkflow(workflows.StatementDoneSignal, workflows.StatementDone{
				StepKey: "holding-statement", StatementID: h.children[1].StatementID, Status: workflows.StatementPublished, Version: 1})
		}, 30*time.Minute)
		_, err := h.run(40 * time.Minute)
		require.Error(t, err)
		require.NoError(t, redraft.err)
		require.Len(t, h.children, 2, "a second statement workflow")
		require.NotEqual(t, h.children[0].StatementID, h.children[1].StatementID)
		require.Equal(t, "We hear you, again.", h.children[1].Body)
		s := stepOf(h.last(), "holding-statement")
		require.Equal(t, workflows.StepDone, s.Status)
		require.Equal(t, h.children[1].StatementID, s.StatementID)
		require.Equal(t, workflows.StepInProgress, stepOf(h.last(), "check-again").Status, "the later steps go on")
		require.Contains(t, h.events(), "statement_failed:holding-statement")
	})
	t.Run("the lead completes the step with a note", func(t *testing.T) {
		h := failedStatement(t)
		var failedNote string
		h.env.RegisterDelayedCallback(func() {
			failedNote = stepOf(h.last(), "holding-statement").Note
		}, 15*time.Minute)
		done := h.update(20*time.Minute, workflows.CompleteStepUpdate, workflows.CompleteStepRequest{Actor: lead, Key: "holding-statement", Note: "posted by hand on X"})
		_, err := h.run(40 * time.Minute)
		require.Error(t, err)
		require.NoError(t, done.err)
		require.Contains(t, failedNote, "failed: statement v1 publishing failed", "the war room offers to complete it")
		s := stepOf(h.last(), "holding-statement")
		require.Equal(t, workflows.StepDone, s.Status)
		require.Contains(t, s.Note, "completed without a published statement")
		require.Contains(t, s.Note, "posted by hand on X")
		require.Equal(t, workflows.StepInProgress, stepOf(h.last(), "check-again").Status, "the later steps go on")
	})
	t.Run("a statement still awaiting approval cannot be completed by hand", func(t *testing.T) {
		h := newCrisisHarness(t, "bad-buzz")
		h.update(time.Minute, workflows.CompleteStepUpdate, workflows.CompleteStepRequest{Actor: lead, Key: "assemble"})
		h.update(2*time.Minute, workflows.CompleteStepUpdate, workflows.CompleteStepRequest{Actor: lead, Key: "qualify"})
		h.update(3*time.Minute, workflows.SubmitStatementUpdate, workflows.SubmitStatementRequest{Actor: lead, Body: "We hear you."})
		bad := h.update(4*time.Minute, workflows.CompleteStepUpdate, workflows.CompleteStepRequest{Actor: lead, Key: "holding-statement"})
		_, err := h.run(10 * time.Minute)
		require.Error(t, err)
		require.Equal(t, greenlight.ECONFLICT, errCode(bad.err))
	})
}

// TestContinueAsNewLosesNoStatementDone: a statement_done signal that arrives while the
// crisis is recording a step, just before it continues as new, is applied, not dropped.
func TestContinueAsNewLosesNoStatementDone(t *testing.T) {
	h := newCrisisHarness(t, "bad-buzz")
	h.in.Playbook = playbooks.Playbook{Key: "drill", Version: "v1", Title: "Drill", Steps: []playbooks.Step{
		{Key: "say", Title: "Say something", Phase: "communicate", Role: "crisis_lead", Kind: playbooks.KindStatement,
			Statement: &playbooks.StatementSpec{Approvers: []string{"legal"}, Channels: []string{"x"}, Publish: true}},
		{Key: "pause", Title: "Pause", Phase: "prepare", Role: "crisis_lead", Kind: playbooks.KindWait, Wait: time.Hour},
		{Key: "after", Title: "After", Phase: "act", Role: "crisis_lead", Kind: playbooks.KindTask, DependsOn: []string{"say"}},
	}}
	h.update(time.Minute, workflows.SubmitStatementUpdate, workflows.SubmitStatementRequest{Actor: lead, Body: "We hear you."})
	sent := false
	h.onRecord = func(r activities.CrisisRecord) {
		// The wait ends: while this write is in flight, the history passes its limit and
		// the statement's approval is signalled.
		if !sent && stepOf(r, "pause").Status == workflows.StepDone {
			sent = true
			h.env.SetCurrentHistoryLength(workflows.DefaultMaxHistory + 1)
			h.env.SignalWorkflow(workflows.StatementDoneSignal, workflows.StatementDone{
				StepKey: "say", StatementID: h.children[0].StatementID, Status: workflows.StatementPublished, Version: 1})
		}
	}
	_, err := h.run(0)
	require.True(t, sent)
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, err, &can)
	var next workflows.CrisisInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	byKey := map[string]workflows.StepState{}
	for _, s := range next.State.Steps {
		byKey[s.Key] = s
	}
	require.Equal(t, workflows.StepDone, byKey["say"].Status, "the statement_done signal was applied before continuing as new")
	require.Equal(t, workflows.StepReady, byKey["after"].Status)
}

// TestResolveStopsAPauseStillRetrying: the crisis does not stay open for the pause
// activity's retries after it is resolved (the store writes no hold for a closed crisis).
func TestResolveStopsAPauseStillRetrying(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(quietLogger{})
	h := newCrisisHarness(t, "bad-buzz")
	var acts *activities.Activities
	// Replace the harness's HoldPublishing: the database is down.
	h.env = suite.NewTestWorkflowEnvironment()
	env := h.env
	env.SetStartTime(t0)
	env.RegisterActivity(acts)
	env.RegisterWorkflow(workflows.StatementApproval)
	env.OnActivity(acts.RecordCrisis, mock.Anything, mock.Anything).Return(func(_ context.Context, r activities.CrisisRecord) error {
		h.records = append(h.records, r)
		return nil
	})
	env.OnActivity(acts.NotifyCrisis, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(acts.HoldPublishing, mock.Anything, mock.Anything).Return(func(context.Context, activities.HoldRequest) error {
		h.holds = append(h.holds, env.Now().UTC())
		return errors.New("database is down")
	})
	env.OnActivity(acts.ReleasePublishing, mock.Anything, mock.Anything).Return(func(context.Context, activities.HoldRequest) ([]string, error) {
		h.releases = append(h.releases, env.Now().UTC())
		return nil, nil
	})
	env.OnActivity(acts.BuildReport, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(acts.CountMentions, mock.Anything, mock.Anything).Return(activities.MentionCounts{Total: 70, Negative: 50}, nil)
	env.OnRequestCancelExternalWorkflow(mock.Anything, mock.Anything, mock.Anything).Return(nil)
	resolve := h.update(10*time.Minute, workflows.ResolveUpdate, workflows.ResolveRequest{Actor: lead, Summary: "False alarm"})
	res, err := h.run(0)
	require.NoError(t, err)
	require.NoError(t, resolve.err)
	require.Equal(t, workflows.CrisisResolved, res.Status)
	require.Greater(t, len(h.holds), 1, "the pause was retrying")
	// Resolved at 10m; the pause's next attempt was due at 13m30s (the test environment
	// stops retrying after 10 attempts; a real server goes on for 24 hours).
	require.Less(t, env.Now().Sub(t0), 11*time.Minute, "the crisis closed at its resolve, not after the pause's retries")
	require.Len(t, h.releases, 1)
}
