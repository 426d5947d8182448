package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/workflow"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/playbooks"
)

// Message names of the crisis workflow (it also answers CreateUpdate and StateQuery).
const (
	CompleteStepUpdate    = "complete_step"
	AssignStepUpdate      = "assign_step"
	SubmitStatementUpdate = "submit_statement"
	ResolveUpdate         = "resolve"
	StatementDoneSignal   = "statement_done"
	// PlaybookQuery answers the playbook snapshot the crisis runs.
	PlaybookQuery = "playbook"
)

// Crisis and step states.
const (
	CrisisActive   = "active"
	CrisisResolved = "resolved"

	StepPending    = "pending"
	StepReady      = "ready"
	StepInProgress = "in_progress"
	StepDone       = "done"
	StepSkipped    = "skipped"
)

// DefaultMaxHistory is the history length at which a crisis continues as new.
const DefaultMaxHistory = 8000

// CrisisWorkflowID is the workflow ID of a crisis.
func CrisisWorkflowID(crisisID string) string { return "crisis:" + crisisID }

// CrisisInput starts (or, with State, continues) a crisis. Playbook is a snapshot: a running
// crisis keeps it even if the file changes.
type CrisisInput struct {
	CrisisID   string
	ClientID   string
	Playbook   playbooks.Playbook
	Severity   string
	Summary    string
	Lead       greenlight.Actor
	MaxHistory int
	State      *CrisisState
}

// CrisisResult is a crisis's final state.
type CrisisResult struct {
	Status     string
	ResolvedAt *time.Time
}

// CrisisView is what crisis Updates return.
type CrisisView struct {
	Status   string
	Phase    string
	Revision int64
}

// CompleteStepRequest marks a step done.
type CompleteStepRequest struct {
	Actor greenlight.Actor
	Key   string
	Note  string
}

// AssignStepRequest gives a step an owner.
type AssignStepRequest struct {
	Actor    greenlight.Actor
	Key      string
	Assignee greenlight.Actor
}

// SubmitStatementRequest drafts (or redrafts) the current statement step's text.
type SubmitStatementRequest struct {
	Actor    greenlight.Actor
	Body     string
	Channels []string
}

// ResolveRequest ends the crisis.
type ResolveRequest struct {
	Actor   greenlight.Actor
	Summary string
}

// StatementDone is signalled by a statement workflow when it ends.
type StatementDone struct {
	StepKey     string
	StatementID string
	Status      string // published, ready (approved, not published), failed, withdrawn
	Version     int
	Note        string
}

// CrisisState is the crisis workflow's state, carried across continue-as-new.
type CrisisState struct {
	Created    bool
	Status     string
	Phase      string
	Lead       greenlight.Actor
	StartedAt  time.Time
	ResolvedAt *time.Time
	Resolution string
	Held       bool
	Steps      []StepState
	Seq        int
	Revision   int64
	Runs       int // how many times the workflow continued as new
}

// StepState is one step's state machine: pending → ready → in progress → done | skipped.
type StepState struct {
	Key         string
	Status      string
	Assignee    greenlight.Actor
	ReadyAt     time.Time
	DueAt       time.Time
	CompletedAt time.Time
	Escalation  int // 0 on time, 1 late (backup and lead told), 2 admins told
	Note        string
	StatementID string
	NextCheck   time.Time // listen: next count; wait: when it ends
	Spike       bool      // listen: above its escalation threshold
	Running     bool      // an automatic action or check is in flight
	Failed      bool      // the automatic action failed: a person may complete it
}

// Crisis runs a playbook for a client from the first step to resolution.
func Crisis(ctx workflow.Context, in CrisisInput) (CrisisResult, error) {
	r := &crisisRun{in: in}
	if err := r.setup(ctx); err != nil {
		return CrisisResult{}, err
	}
	return r.run(ctx)
}

type crisisRun struct {
	in       CrisisInput
	st       CrisisState
	mu       workflow.Mutex
	wake     bool
	inflight int
	// neverStuck is versionNeverStuck's branch, read once when the run starts (validators
	// may not call GetVersion).
	neverStuck bool
	done       workflow.ReceiveChannel
	handling   int                   // statement_done signals received and not yet applied
	stopPause  []workflow.CancelFunc // cancel pause actions still retrying (at resolve)
}

// crisisChange collects what one step adds.
type crisisChange struct {
	events []activities.CrisisEventRecord
}

func (r *crisisRun) setup(ctx workflow.Context) error {
	r.mu = workflow.NewMutex(ctx)
	r.neverStuck = workflow.GetVersion(ctx, versionNeverStuck, workflow.DefaultVersion, 1) == 1
	if r.in.State != nil {
		r.st = *r.in.State
	} else {
		r.st = CrisisState{Status: CrisisActive, Lead: r.in.Lead}
		for _, s := range r.in.Playbook.Steps {
			r.st.Steps = append(r.st.Steps, StepState{Key: s.Key, Status: StepPending})
		}
	}
	if r.in.MaxHistory == 0 {
		r.in.MaxHistory = DefaultMaxHistory
	}
	if err := workflow.SetQueryHandler(ctx, StateQuery, func() (CrisisState, error) { return r.st, nil }); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, PlaybookQuery, func() (playbooks.Playbook, error) { return r.in.Playbook, nil }); err != nil {
		return err
	}
	handlers := []struct {
		name      string
		handler   any
		validator any
	}{
		{CreateUpdate, r.create, r.checkCreate},
		{CompleteStepUpdate, r.completeStep, r.checkComplete},
		{AssignStepUpdate, r.assignStep, r.checkAssign},
		{SubmitStatementUpdate, r.submitStatement, r.checkStatement},
		{ResolveUpdate, r.resolve, r.checkResolve},
	}
	for _, h := range handlers {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, h.name, h.handler,
			workflow.UpdateHandlerOptions{Validator: h.validator}); err != nil {
			return err
		}
	}
	r.done = workflow.GetSignalChannel(ctx, StatementDoneSignal)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var sig StatementDone
			r.done.Receive(ctx, &sig)
			r.handling++
			r.statementDone(ctx, sig)
			r.handling--
			r.wake = true
		}
	})
	return nil
}

func (r *crisisRun) run(ctx workflow.Context) (CrisisResult, error) {
	if err := workflow.Await(ctx, func() bool { return r.st.Created }); err != nil {
		return CrisisResult{}, err
	}
	stable := workflow.GetVersion(ctx, versionStableTimer, workflow.DefaultVersion, 1) == 1
	var timer deadline
	for {
		if err := r.locked(ctx, func(ctx workflow.Context, c *crisisChange) error {
			r.advance(ctx, c)
			return nil
		}); err != nil {
			return CrisisResult{}, err
		}
		if r.st.Status == CrisisResolved && r.inflight == 0 {
			break
		}
		if r.inflight == 0 && workflow.GetInfo(ctx).GetCurrentHistoryLength() >= r.in.MaxHistory &&
			workflow.AllHandlersFinished(ctx) && (!r.neverStuck || r.handling == 0) {
			if r.neverStuck && r.drainSignals(ctx) {
				continue // they may have moved steps: look again before continuing as new
			}
			r.st.Runs++
			next := r.in
			state := r.st
			next.State = &state
			return CrisisResult{}, workflow.NewContinueAsNewError(ctx, Crisis, next)
		}
		r.wake = false
		ready := func() bool { return r.wake }
		if err := awaitDeadline(ctx, stable, &timer, r.nextDeadline(), ready); err != nil {
			return CrisisResult{}, err
		}
		if err := r.fireDue(ctx); err != nil {
			return CrisisResult{}, err
		}
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return CrisisResult{}, err
	}
	return CrisisResult{Status: r.st.Status, ResolvedAt: r.st.ResolvedAt}, nil
}

// drainSignals applies the statement_done signals already delivered but not yet received,
// so that continue-as-new loses none; it reports whether there were any.
func (r *crisisRun) drainSignals(ctx workflow.Context) bool {
	drained := false
	for {
		var sig StatementDone
		if !r.done.ReceiveAsync(&sig) {
			return drained
		}
		drained = true
		r.statementDone(ctx, sig)
	}
}

func (r *crisisRun) spec(key string) *playbooks.Step { return r.in.Playbook.StepByKey(key) }

func (r *crisisRun) state(key string) *StepState {
	for i := range r.st.Steps {
		if r.st.Steps[i].Key == key {
			return &r.st.Steps[i]
		}
	}
	return nil
}

func (r *crisisRun) open(s *StepState) bool {
	return s.Status == StepReady || s.Status == StepInProgress
}

// locked runs one change under the mutex and records it.
func (r *crisisRun) locked(ctx workflow.Context, mutate func(ctx workflow.Context, c *crisisChange) error) error {
	if err := r.mu.Lock(ctx); err != nil {
		return err
	}
	defer r.mu.Unlock()
	before := r.snapshotKey()
	c := &crisisChange{}
	if err := mutate(ctx, c); err != nil {
		return err
	}
	if len(c.events) == 0 && before == r.snapshotKey() {
		return nil // nothing changed: no write
	}
	r.wake = true
	return r.record(ctx, c)
}

// snapshotKey summarises the recorded state, to skip writes that would change nothing.
func (r *crisisRun) snapshotKey() string {
	k := r.st.Status + "|" + r.st.Phase + "|" + r.st.Lead.ID
	for _, s := range r.st.Steps {
		k += fmt.Sprintf("|%s:%s:%s:%d:%s:%s", s.Key, s.Status, s.Assignee.ID, s.Escalation, s.Note, s.StatementID)
	}
	return k
}

func (r *crisisRun) event(ctx workflow.Context, c *crisisChange, actor greenlight.Actor, event, step, note string) {
	r.st.Seq++
	c.events = append(c.events, activities.CrisisEventRecord{
		Seq: r.st.Seq, At: workflow.Now(ctx), Actor: actor, Event: event, Step: step, Note: note,
	})
}

func (r *crisisRun) record(ctx workflow.Context, c *crisisChange) error {
	r.st.Revision++
	rec := activities.CrisisRecord{
		Crisis: activities.CrisisSnapshot{
			ID: r.in.CrisisID, ClientID: r.in.ClientID, Status: r.st.Status, Phase: r.st.Phase, Lead: r.st.Lead,
			ResolvedAt: r.st.ResolvedAt, Resolution: r.st.Resolution, Revision: r.st.Revision,
		},
		Events: c.events,
	}
	for i, s := range r.st.Steps {
		spec := r.spec(s.Key)
		rec.Steps = append(rec.Steps, activities.StepSnapshot{
			Key: s.Key, Position: i, Title: spec.Title, Phase: spec.Phase, Kind: spec.Kind, Role: spec.Role, SLA: spec.SLA,
			Assignee: s.Assignee, Status: s.Status, ReadyAt: timePtr(s.ReadyAt), DueAt: timePtr(s.DueAt),
			CompletedAt: timePtr(s.CompletedAt), Escalation: s.Escalation, Note: s.Note, StatementID: s.StatementID,
		})
	}
	return workflow.ExecuteLocalActivity(localCtx(ctx), a.RecordCrisis, rec).Get(ctx, nil)
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// advance makes steps whose dependencies are finished ready, enters phases, and starts the
// automatic ones. It repeats until nothing more becomes ready.
func (r *crisisRun) advance(ctx workflow.Context, c *crisisChange) {
	if r.st.Status != CrisisActive {
		return
	}
	now := workflow.Now(ctx)
	for {
		progressed := false
		for i := range r.st.Steps {
			s := &r.st.Steps[i]
			spec := r.spec(s.Key)
			if s.Status != StepPending || !r.depsFinished(spec) {
				continue
			}
			progressed = true
			s.Status, s.ReadyAt = StepReady, now
			if spec.SLA > 0 {
				s.DueAt = now.Add(spec.SLA)
			}
			if s.Assignee.ID == "" && spec.Role == "crisis_lead" {
				s.Assignee = r.st.Lead
			}
			if playbooks.PhaseIndex(spec.Phase) > playbooks.PhaseIndex(r.st.Phase) {
				r.st.Phase = spec.Phase
				r.event(ctx, c, greenlight.System, "phase_entered", "", spec.Phase)
			}
			r.event(ctx, c, greenlight.System, "step_ready", s.Key, spec.Title)
			r.start(ctx, c, s, spec)
		}
		if !progressed {
			return
		}
	}
}

func (r *crisisRun) depsFinished(spec *playbooks.Step) bool {
	for _, d := range spec.DependsOn {
		if st := r.state(d); st.Status != StepDone && st.Status != StepSkipped {
			return false
		}
	}
	return true
}

// start begins a ready step's automatic work; tasks and statements wait for people.
func (r *crisisRun) start(ctx workflow.Context, c *crisisChange, s *StepState, spec *playbooks.Step) {
	now := workflow.Now(ctx)
	key := s.Key
	switch spec.Kind {
	case playbooks.KindNotify:
		s.Status, s.Running = StepInProgress, true
		n := r.notification(activities.CrisisNotifyStep, spec)
		n.Roles, n.Message = spec.Notify.Roles, spec.Notify.Message
		n.Key = fmt.Sprintf("crisis/%s/step/%s/notify", r.in.CrisisID, key)
		r.automatic(ctx, key, "notified "+roleList(spec.Notify.Roles), func(ctx workflow.Context) error {
			return workflow.ExecuteActivity(mailCtx(ctx), a.NotifyCrisis, n).Get(ctx, nil)
		})
	case playbooks.KindPausePublishing:
		s.Status, s.Running = StepInProgress, true
		if r.neverStuck {
			// The hold belongs to the crisis: a resolve stops a pause still retrying (the
			// store writes no hold for a closed crisis anyway).
			var cancel workflow.CancelFunc
			ctx, cancel = workflow.WithCancel(ctx)
			r.stopPause = append(r.stopPause, cancel)
		}
		r.automatic(ctx, key, "scheduled posts of the client are held", func(ctx workflow.Context) error {
			err := workflow.ExecuteActivity(mailCtx(ctx), a.HoldPublishing, r.holdRequest()).Get(ctx, nil)
			if err == nil {
				r.st.Held = true
			}
			return err
		})
	case playbooks.KindResumePublishing:
		s.Status, s.Running = StepInProgress, true
		r.automatic(ctx, key, "publishing resumed", r.release)
	case playbooks.KindReport:
		s.Status, s.Running = StepInProgress, true
		r.automatic(ctx, key, "post-mortem built", func(ctx workflow.Context) error {
			return workflow.ExecuteActivity(mailCtx(ctx), a.BuildReport, r.in.CrisisID).Get(ctx, nil)
		})
	case playbooks.KindListen:
		s.Status, s.NextCheck = StepInProgress, now
	case playbooks.KindWait:
		s.Status, s.NextCheck = StepInProgress, now.Add(spec.Wait)
		s.Note = "until " + s.NextCheck.UTC().Format(time.RFC3339)
	}
}

func roleList(roles []string) string {
	out := ""
	for i, r := range roles {
		if i > 0 {
			out += ", "
		}
		out += r
	}
	return out
}

func (r *crisisRun) holdRequest() activities.HoldRequest {
	return activities.HoldRequest{ClientID: r.in.ClientID, CrisisID: r.in.CrisisID}
}

// release lifts the hold and tells each held post, which publishes or goes back to its
// author depending on whether its publish time passed meanwhile.
func (r *crisisRun) release(ctx workflow.Context) error {
	var held []string
	if err := workflow.ExecuteActivity(mailCtx(ctx), a.ReleasePublishing, r.holdRequest()).Get(ctx, &held); err != nil {
		return err
	}
	r.st.Held = false
	for _, id := range held {
		// A post that finished meanwhile cannot be signalled; that is fine.
		_ = workflow.SignalExternalWorkflow(ctx, PostWorkflowID(id), "", ReleaseSignal, nil).Get(ctx, nil)
	}
	return nil
}

func (r *crisisRun) notification(kind string, spec *playbooks.Step) activities.CrisisNotification {
	return activities.CrisisNotification{
		Kind: kind, CrisisID: r.in.CrisisID, ClientID: r.in.ClientID, Step: spec.Key, StepTitle: spec.Title,
		Role: spec.Role, Lead: r.st.Lead,
	}
}

// automatic runs a step's action beside the main loop and completes the step when it
// succeeds; a failure is put on the timeline and lets a person complete the step.
func (r *crisisRun) automatic(ctx workflow.Context, key, doneNote string, action func(ctx workflow.Context) error) {
	r.spawn(ctx, func(ctx workflow.Context) {
		err := action(ctx)
		_ = r.locked(ctx, func(ctx workflow.Context, c *crisisChange) error {
			s := r.state(key)
			s.Running = false
			if !r.open(s) {
				return nil // skipped by a resolve meanwhile
			}
			if err != nil {
				s.Failed = true
				s.Note = "failed: " + errorMessage(err)
				r.event(ctx, c, greenlight.System, "step_failed", key, errorMessage(err))
				return nil
			}
			r.finish(ctx, c, s, greenlight.System, doneNote)
			return nil
		})
	})
}

func (r *crisisRun) spawn(ctx workflow.Context, f func(ctx workflow.Context)) {
	r.inflight++
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { r.inflight--; r.wake = true }()
		f(ctx)
	})
}

func (r *crisisRun) finish(ctx workflow.Context, c *crisisChange, s *StepState, actor greenlight.Actor, note string) {
	s.Status, s.CompletedAt, s.Note, s.Running = StepDone, workflow.Now(ctx), note, false
	late := ""
	if !s.DueAt.IsZero() && s.CompletedAt.After(s.DueAt) {
		late = fmt.Sprintf(" (%s past its SLA)", s.CompletedAt.Sub(s.DueAt).Round(time.Second))
	}
	r.event(ctx, c, actor, "step_done", s.Key, note+late)
}

// nextDeadline is the earliest SLA, listen check or wait end, zero if none.
func (r *crisisRun) nextDeadline() time.Time {
	var next time.Time
	earliest := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if r.st.Status != CrisisActive {
		return next
	}
	for i := range r.st.Steps {
		s := &r.st.Steps[i]
		if !r.open(s) {
			continue
		}
		spec := r.spec(s.Key)
		switch {
		case s.DueAt.IsZero():
		case s.Escalation == 0:
			earliest(s.DueAt)
		case s.Escalation == 1:
			earliest(s.DueAt.Add(spec.SLA))
		}
		if (spec.Kind == playbooks.KindListen && !s.Running) || spec.Kind == playbooks.KindWait {
			earliest(s.NextCheck)
		}
	}
	return next
}

// fireDue escalates late steps, counts mentions for listen steps and ends waits.
func (r *crisisRun) fireDue(ctx workflow.Context) error {
	return r.locked(ctx, func(ctx workflow.Context, c *crisisChange) error {
		if r.st.Status != CrisisActive {
			return nil
		}
		now := workflow.Now(ctx)
		for i := range r.st.Steps {
			s := &r.st.Steps[i]
			if !r.open(s) {
				continue
			}
			spec := r.spec(s.Key)
			if !s.DueAt.IsZero() && s.Escalation == 0 && !now.Before(s.DueAt) {
				s.Escalation = 1
				r.event(ctx, c, greenlight.System, "sla_breached", s.Key,
					fmt.Sprintf("not done within %s: the %s's backup and the crisis lead are notified", spec.SLA, spec.Role))
				n := r.notification(activities.CrisisNotifyLate, spec)
				n.Key = fmt.Sprintf("crisis/%s/step/%s/late/1", r.in.CrisisID, s.Key)
				r.notifyLater(ctx, n)
			}
			if !s.DueAt.IsZero() && s.Escalation == 1 && !now.Before(s.DueAt.Add(spec.SLA)) {
				s.Escalation = 2
				r.event(ctx, c, greenlight.System, "escalated_to_admins", s.Key,
					fmt.Sprintf("still not done %s after its SLA: admins are notified", spec.SLA))
				n := r.notification(activities.CrisisNotifyAdmins, spec)
				n.Key = fmt.Sprintf("crisis/%s/step/%s/late/2", r.in.CrisisID, s.Key)
				r.notifyLater(ctx, n)
			}
			switch {
			case spec.Kind == playbooks.KindWait && !now.Before(s.NextCheck):
				r.finish(ctx, c, s, greenlight.System, "waited "+spec.Wait.String())
			case spec.Kind == playbooks.KindListen && !s.Running && !now.Before(s.NextCheck):
				s.Running = true
				r.checkMentions(ctx, s.Key, spec)
			}
		}
		return nil
	})
}

func (r *crisisRun) notifyLater(ctx workflow.Context, n activities.CrisisNotification) {
	r.spawn(ctx, func(ctx workflow.Context) {
		if err := workflow.ExecuteActivity(mailCtx(ctx), a.NotifyCrisis, n).Get(ctx, nil); err != nil {
			_ = r.locked(ctx, func(ctx workflow.Context, c *crisisChange) error {
				r.event(ctx, c, greenlight.System, "notification_failed", n.Step, errorMessage(err))
				return nil
			})
		}
	})
}

// checkMentions counts the client's negative mentions over the listen window, then
// completes the step, flags a spike, or schedules the next count.
func (r *crisisRun) checkMentions(ctx workflow.Context, key string, spec *playbooks.Step) {
	l := spec.Listen
	r.spawn(ctx, func(ctx workflow.Context) {
		var counts activities.MentionCounts
		err := workflow.ExecuteLocalActivity(localCtx(ctx), a.CountMentions,
			activities.MentionWindow{ClientID: r.in.ClientID, Window: l.Window}).Get(ctx, &counts)
		_ = r.locked(ctx, func(ctx workflow.Context, c *crisisChange) error {
			s := r.state(key)
			s.Running = false
			if !r.open(s) {
				return nil
			}
			now := workflow.Now(ctx)
			s.NextCheck = now.Add(l.CheckEvery)
			if err != nil {
				s.Note = "mention count failed: " + errorMessage(err)
				return nil
			}
			summary := fmt.Sprintf("%d negative of %d mentions in the last %s", counts.Negative, counts.Total, l.Window)
			switch {
			case counts.Negative < l.CompleteBelow:
				r.finish(ctx, c, s, greenlight.System, summary+fmt.Sprintf(", below %d", l.CompleteBelow))
			case l.EscalateAbove > 0 && counts.Negative > l.EscalateAbove && !s.Spike:
				s.Spike, s.Note = true, summary
				r.event(ctx, c, greenlight.System, "mentions_spike", key, summary+fmt.Sprintf(", above %d", l.EscalateAbove))
				n := r.notification(activities.CrisisNotifySpike, spec)
				n.Message = summary
				n.Key = fmt.Sprintf("crisis/%s/step/%s/spike/%d", r.in.CrisisID, key, r.st.Seq)
				r.notifyLater(ctx, n)
			case s.Spike && counts.Negative <= l.EscalateAbove:
				s.Spike, s.Note = false, summary
				r.event(ctx, c, greenlight.System, "mentions_easing", key, summary)
			default:
				s.Note = summary
			}
			return nil
		})
	})
}

// --- validators ---

func (r *crisisRun) checkCreate(ctx workflow.Context, _ CreateRequest) error {
	if r.st.Created {
		return fail(greenlight.ECONFLICT, "crisis already exists")
	}
	return nil
}

func (r *crisisRun) checkActive() error {
	if !r.st.Created {
		return fail(greenlight.ECONFLICT, "crisis is not created yet")
	}
	if r.st.Status != CrisisActive {
		return fail(greenlight.ECONFLICT, "crisis is %s", r.st.Status)
	}
	return nil
}

func (r *crisisRun) stepFor(key string) (*StepState, *playbooks.Step, error) {
	s := r.state(key)
	if s == nil {
		return nil, nil, fail(greenlight.ENOTFOUND, "no step %q in playbook %s", key, r.in.Playbook.Key)
	}
	return s, r.spec(key), nil
}

func (r *crisisRun) checkComplete(ctx workflow.Context, req CompleteStepRequest) error {
	s, spec, err := r.stepFor(req.Key)
	if err != nil {
		return err
	}
	if err := r.checkActive(); err != nil {
		return err
	}
	if !r.open(s) {
		return fail(greenlight.ECONFLICT, "step %s is %s, not ready", req.Key, s.Status)
	}
	switch {
	case spec.Kind == playbooks.KindStatement && r.neverStuck && s.Failed:
		// The statement's publication failed: the lead may close the step with a note.
	case spec.Kind == playbooks.KindStatement && r.neverStuck:
		return fail(greenlight.ECONFLICT, "step %s completes when its statement is approved (or, if its publication fails, by hand with a note)", req.Key)
	case spec.Kind == playbooks.KindStatement:
		return fail(greenlight.ECONFLICT, "step %s completes when its statement is approved", req.Key)
	case s.Running:
		return fail(greenlight.ECONFLICT, "step %s is running", req.Key)
	case slices.Contains([]string{playbooks.KindNotify, playbooks.KindPausePublishing, playbooks.KindResumePublishing, playbooks.KindReport}, spec.Kind) && !s.Failed:
		return fail(greenlight.ECONFLICT, "step %s runs by itself", req.Key)
	}
	return nil
}

func (r *crisisRun) checkAssign(ctx workflow.Context, req AssignStepRequest) error {
	s, _, err := r.stepFor(req.Key)
	if err != nil {
		return err
	}
	if err := r.checkActive(); err != nil {
		return err
	}
	if s.Status == StepDone || s.Status == StepSkipped {
		return fail(greenlight.ECONFLICT, "step %s is %s", req.Key, s.Status)
	}
	if req.Assignee.ID == "" {
		return fail(greenlight.EINVALID, "user_id: required")
	}
	return nil
}

// currentStatement is the first open statement step, nil if none.
func (r *crisisRun) currentStatement() (*StepState, *playbooks.Step) {
	for i := range r.st.Steps {
		s := &r.st.Steps[i]
		if spec := r.spec(s.Key); spec.Kind == playbooks.KindStatement && r.open(s) {
			return s, spec
		}
	}
	return nil, nil
}

func (r *crisisRun) checkStatement(ctx workflow.Context, req SubmitStatementRequest) error {
	if err := r.checkActive(); err != nil {
		return err
	}
	if s, _ := r.currentStatement(); s == nil {
		return fail(greenlight.ECONFLICT, "no statement step is ready")
	}
	if req.Body == "" {
		return fail(greenlight.EINVALID, "body: required")
	}
	return nil
}

func (r *crisisRun) checkResolve(ctx workflow.Context, _ ResolveRequest) error {
	return r.checkActive()
}

// --- update handlers ---

func (r *crisisRun) view() CrisisView {
	return CrisisView{Status: r.st.Status, Phase: r.st.Phase, Revision: r.st.Revision}
}

// update runs an Update's change: check again under the mutex (the state may have moved
// since the validator ran), mutate, record.
func (r *crisisRun) update(ctx workflow.Context, check func() error, mutate func(ctx workflow.Context, c *crisisChange) error) (CrisisView, error) {
	err := r.locked(ctx, func(ctx workflow.Context, c *crisisChange) error {
		if err := check(); err != nil {
			return err
		}
		return mutate(ctx, c)
	})
	if err != nil {
		return CrisisView{}, err
	}
	return r.view(), nil
}

func (r *crisisRun) create(ctx workflow.Context, req CreateRequest) (CrisisView, error) {
	return r.update(ctx, func() error { return r.checkCreate(ctx, req) }, func(ctx workflow.Context, c *crisisChange) error {
		r.st.Created = true
		r.st.StartedAt = workflow.Now(ctx)
		r.event(ctx, c, r.st.Lead, "crisis_started", "",
			fmt.Sprintf("%s (%s severity, playbook %s v%s): %s", r.in.Playbook.Title, r.in.Severity, r.in.Playbook.Key, r.in.Playbook.Version, r.in.Summary))
		r.advance(ctx, c)
		return nil
	})
}

func (r *crisisRun) completeStep(ctx workflow.Context, req CompleteStepRequest) (CrisisView, error) {
	return r.update(ctx, func() error { return r.checkComplete(ctx, req) }, func(ctx workflow.Context, c *crisisChange) error {
		s := r.state(req.Key)
		note := req.Note
		if r.neverStuck && s.Failed && r.spec(req.Key).Kind == playbooks.KindStatement {
			note = strings.TrimSpace("completed without a published statement (statement " + s.StatementID + " failed). " + note)
		}
		r.finish(ctx, c, s, req.Actor, note)
		r.advance(ctx, c)
		return nil
	})
}

func (r *crisisRun) assignStep(ctx workflow.Context, req AssignStepRequest) (CrisisView, error) {
	return r.update(ctx, func() error { return r.checkAssign(ctx, req) }, func(ctx workflow.Context, c *crisisChange) error {
		s := r.state(req.Key)
		s.Assignee = req.Assignee
		if s.Status == StepReady && r.spec(req.Key).Kind == playbooks.KindTask {
			s.Status = StepInProgress
		}
		r.event(ctx, c, req.Actor, "step_assigned", req.Key, "to "+req.Assignee.Name)
		return nil
	})
}

func (r *crisisRun) submitStatement(ctx workflow.Context, req SubmitStatementRequest) (CrisisView, error) {
	return r.update(ctx, func() error { return r.checkStatement(ctx, req) }, func(ctx workflow.Context, c *crisisChange) error {
		s, spec := r.currentStatement()
		channels := req.Channels
		if len(channels) == 0 {
			channels = spec.Statement.Channels
		}
		retry := r.neverStuck && s.Failed
		if s.StatementID != "" && !retry {
			err := workflow.SignalExternalWorkflow(ctx, StatementWorkflowID(s.StatementID), "", ReviseSignal,
				Revision{Actor: req.Actor, Body: req.Body, Channels: channels}).Get(ctx, nil)
			if err != nil {
				return fail(greenlight.ECONFLICT, "the statement cannot take a new draft: %s", errorMessage(err))
			}
			r.event(ctx, c, req.Actor, "statement_redrafted", s.Key, "")
			return nil
		}
		var id string
		if err := workflow.SideEffect(ctx, func(workflow.Context) any { return greenlight.NewID("stm_") }).Get(&id); err != nil {
			return err
		}
		child := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:        StatementWorkflowID(id),
			ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
		})
		f := workflow.ExecuteChildWorkflow(child, StatementApproval, StatementInput{
			StatementID: id, CrisisID: r.in.CrisisID, ClientID: r.in.ClientID, StepKey: s.Key,
			Spec: *spec.Statement, Author: req.Actor, Body: req.Body, Channels: channels,
		})
		if err := f.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
			return err
		}
		note := "sent for approval to " + roleList(spec.Statement.Approvers)
		if retry {
			note = "new draft after the failed publication of statement " + s.StatementID + ", " + note
			s.Failed, s.Note = false, ""
		}
		s.StatementID, s.Status = id, StepInProgress
		r.event(ctx, c, req.Actor, "statement_submitted", s.Key, note)
		return nil
	})
}

func (r *crisisRun) statementDone(ctx workflow.Context, sig StatementDone) {
	_ = r.locked(ctx, func(ctx workflow.Context, c *crisisChange) error {
		s := r.state(sig.StepKey)
		if s == nil || s.StatementID != sig.StatementID || !r.open(s) {
			return nil
		}
		switch sig.Status {
		case StatementPublished, StatementReady:
			r.finish(ctx, c, s, greenlight.System, fmt.Sprintf("statement v%d %s", sig.Version, sig.Status))
			r.advance(ctx, c)
		default:
			s.Failed = true
			if r.neverStuck {
				s.Note = "failed: statement v" + fmt.Sprint(sig.Version) + " " + sig.Status + ": send a new draft, or complete the step with a note"
				if sig.Note != "" {
					s.Note = "failed: statement v" + fmt.Sprint(sig.Version) + " " + sig.Note + ": send a new draft, or complete the step with a note"
				}
			}
			r.event(ctx, c, greenlight.System, "statement_"+sig.Status, s.Key, sig.Note)
		}
		return nil
	})
}

func (r *crisisRun) resolve(ctx workflow.Context, req ResolveRequest) (CrisisView, error) {
	return r.update(ctx, func() error { return r.checkResolve(ctx, req) }, func(ctx workflow.Context, c *crisisChange) error {
		now := workflow.Now(ctx)
		for i := range r.st.Steps {
			s := &r.st.Steps[i]
			if s.Status == StepDone || s.Status == StepSkipped {
				continue
			}
			was := s.Status
			s.Status, s.CompletedAt = StepSkipped, now
			r.event(ctx, c, req.Actor, "step_skipped", s.Key, "crisis resolved while "+was)
			if s.StatementID != "" {
				id := s.StatementID
				r.spawn(ctx, func(ctx workflow.Context) {
					_ = workflow.RequestCancelExternalWorkflow(ctx, StatementWorkflowID(id), "").Get(ctx, nil)
				})
			}
		}
		r.st.Status, r.st.ResolvedAt, r.st.Resolution = CrisisResolved, &now, req.Summary
		r.event(ctx, c, req.Actor, "crisis_resolved", "", req.Summary)
		for _, stop := range r.stopPause {
			stop()
		}
		r.spawn(ctx, func(ctx workflow.Context) {
			// Publishing resumes whatever the playbook did; then the final report.
			if err := r.release(ctx); err != nil {
				r.failedAfterResolve(ctx, "releasing publishing failed: "+errorMessage(err))
			}
			if err := workflow.ExecuteActivity(mailCtx(ctx), a.BuildReport, r.in.CrisisID).Get(ctx, nil); err != nil {
				r.failedAfterResolve(ctx, "building the report failed: "+errorMessage(err))
			}
		})
		return nil
	})
}

func (r *crisisRun) failedAfterResolve(ctx workflow.Context, note string) {
	_ = r.locked(ctx, func(ctx workflow.Context, c *crisisChange) error {
		r.event(ctx, c, greenlight.System, "step_failed", "", note)
		return nil
	})
}
