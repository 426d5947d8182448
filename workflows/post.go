// Package workflows holds Greenlight's Temporal workflows: one PostApproval per post (the
// source of truth for its state) and one Crisis per crisis. Decisions enter as Updates whose
// validators reject what the current state forbids, before anything is written to history.
package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/store"
)

// Message names of the post workflow.
const (
	CreateUpdate         = "create"
	EditUpdate           = "edit"
	SubmitUpdate         = "submit"
	ReviewUpdate         = "review"
	ClientDecisionUpdate = "client_decision"
	CancelUpdate         = "cancel"
	// ChannelDecisionUpdate settles a channel of a post that failed (see
	// versionChannelDecisions).
	ChannelDecisionUpdate = "channel_decision"
	StateQuery            = "state"
	// ReleaseSignal tells a post held by a crisis that the client's publishing resumed.
	ReleaseSignal = "release"
)

// heldRecheck is how often a held post checks the hold itself, should a release signal be
// lost.
const heldRecheck = 15 * time.Minute

// PostWorkflowID is the workflow ID of a post: one workflow per post, ever.
func PostWorkflowID(postID string) string { return "post:" + postID }

// PostInput starts a post's workflow with its first version.
type PostInput struct {
	PostID        string
	ClientID      string
	Author        greenlight.Actor
	Content       greenlight.Content
	PublishAt     time.Time
	ReminderAfter time.Duration
	EscalateAfter time.Duration
}

// PostResult is the final state of a post.
type PostResult struct {
	Status      greenlight.PostStatus
	Version     int
	PublishedAt *time.Time
}

// PostView is what every post Update returns: the state after the decision.
type PostView struct {
	Status   greenlight.PostStatus
	Version  int
	Revision int64
}

// CreateRequest records version 1; it is sent with the start (update-with-start).
type CreateRequest struct{}

// EditRequest changes a post: any content field creates a new version and returns the post
// to draft; publish time and timer settings alone change in place. BaseVersion, when not 0,
// must be the current version.
type EditRequest struct {
	Actor         greenlight.Actor
	BaseVersion   int
	Title         *string
	Body          *string
	Channels      *[]string
	MediaURLs     *[]string
	Media         *[]greenlight.MediaRef // ordered; replacing a file makes a new version
	PublishAt     *time.Time
	ReminderAfter *time.Duration
	EscalateAfter *time.Duration
}

// SubmitRequest sends the current draft to internal review.
type SubmitRequest struct {
	Actor greenlight.Actor
}

// ReviewRequest is a staff reviewer's decision on one version. Client, when set, is the
// client's approval policy and approvers as the API read them with the decision (so the
// workflow needs no lookup); without it the workflow looks them up.
type ReviewRequest struct {
	Actor    greenlight.Actor
	Version  int
	Decision string
	Comment  string
	Client   *activities.ClientApprovers
}

// ClientDecisionRequest is a client approver's decision from an emailed link.
type ClientDecisionRequest struct {
	Approver greenlight.Actor
	Version  int
	Decision string
	Comment  string
}

// CancelRequest stops a post before it is published.
type CancelRequest struct {
	Actor  greenlight.Actor
	Reason string
}

// PostState is the workflow's state, returned by StateQuery.
type PostState struct {
	Created       bool
	Status        greenlight.PostStatus
	Version       int
	Content       greenlight.Content
	AuthorID      string
	PublishAt     time.Time
	ReminderAfter time.Duration
	EscalateAfter time.Duration
	Round         int
	Policy        string
	Approvers     []activities.Approver
	Approved      []string // approver ids who approved in this round
	Decided       []string // approver ids who decided in this round
	AwaitingSince time.Time
	// Digest: this round's approval emails go in the approvers' batch emails (the client's
	// digest window, DigestWindow, was not 0): the digest workflow sends requests,
	// reminders and escalations, the post records its steps only.
	Digest       bool
	DigestWindow time.Duration
	Reminded     bool
	Escalated    bool
	Held         bool
	HeldBy       string    // the crisis holding it
	HeldCheckAt  time.Time // next check of the hold
	Released     bool      // a release signal arrived
	NeedsNewTime bool      // back from a crisis hold after its publish time: reschedule first
	Publishing   bool      // publication took the post: edits, reschedules and cancellation are refused
	PublishedAt  *time.Time
	// ChannelResults is each channel's status after the last publication of a post that
	// failed, and DecideUntil when its author can no longer settle them
	// (versionChannelDecisions); both empty otherwise.
	ChannelResults map[string]string
	DecideUntil    time.Time
	Revision       int64
	Seq            int
	CreatedAt      time.Time
}

// PostApproval runs one post from draft to a final state.
func PostApproval(ctx workflow.Context, in PostInput) (PostResult, error) {
	r := &postRun{in: in}
	if err := r.setup(ctx); err != nil {
		return PostResult{}, err
	}
	return r.run(ctx)
}

type postRun struct {
	in       PostInput
	st       PostState
	mu       workflow.Mutex
	wake     bool // a handler changed something the main loop waits on
	inflight int  // side effects still running
	// current: the run started under versionResolvedAtStart: it takes the newest branch of
	// atomic-steps and channel-results without asking GetVersion when it gets there.
	current bool
}

// change collects what one step adds, to record in one write.
type change struct {
	version   *activities.VersionRecord
	decisions []activities.DecisionRecord
	events    []activities.EventRecord
	// internal: the step changed only workflow state the projection does not show (the
	// publishing flag, the next hold check): nothing to record.
	internal bool
}

// versionAtomicSteps: every step the workflow takes by itself (expiry, reminder,
// escalation, hold re-check, publication) re-checks, under the lock, that it still applies,
// and publication marks the post as publishing before it yields (hold check) so that no
// edit or cancellation slips in between. Runs that reached such a step before this change
// keep the old behaviour when they replay.
const versionAtomicSteps = "atomic-steps"

// versionResolvedAtStart: a run decides at its start that it takes the newest branch of
// the changes its publication (or another automatic step) would otherwise resolve when it
// first gets there: versionAtomicSteps and versionChannelResults. Each first GetVersion of
// a change records a marker and upserts the TemporalChangeVersion search attribute (a
// visibility write on the server); resolved at the start they cost one marker in the
// first workflow task instead of two markers and two upserts at the publish time, when
// every post scheduled for the same minute fires at once. A run started before this change
// replays its start without the marker (GetVersion answers DefaultVersion in replay), so it
// keeps asking each change where it did: the branches it recorded, or the newest ones if
// it had not got there yet — the same answers as before.
const versionResolvedAtStart = "resolved-at-start"

// versionDigest: a client with a digest window gets its approval requests, reminders and
// escalations in one email per approver and batch (the Digest workflow) instead of one
// per post. Asked only when the client's window is not 0: rounds without one keep their
// command sequence.
const versionDigest = "digest"

// atomic reports whether this run uses the atomic steps (decided at the start, or for a
// run started before versionResolvedAtStart at the first step that asks, then fixed for
// the run).
func (r *postRun) atomic(ctx workflow.Context) bool {
	if r.current {
		return true
	}
	return workflow.GetVersion(ctx, versionAtomicSteps, workflow.DefaultVersion, 1) == 1
}

// errMoved says a step no longer applies: the state moved while it waited for the lock or
// an activity.
var errMoved = errors.New("the post moved on")

var a *activities.Activities

func (r *postRun) setup(ctx workflow.Context) error {
	r.mu = workflow.NewMutex(ctx)
	r.st = PostState{
		Status: greenlight.StatusDraft, Content: r.in.Content, AuthorID: r.in.Author.ID,
		PublishAt: r.in.PublishAt, ReminderAfter: r.in.ReminderAfter, EscalateAfter: r.in.EscalateAfter,
	}
	if err := workflow.SetQueryHandler(ctx, StateQuery, func() (PostState, error) { return r.st, nil }); err != nil {
		return err
	}
	release := workflow.GetSignalChannel(ctx, ReleaseSignal)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			release.Receive(ctx, nil)
			r.st.Released, r.wake = true, true
		}
	})
	handlers := []struct {
		name      string
		handler   any
		validator any
	}{
		{CreateUpdate, r.create, r.checkCreate},
		{EditUpdate, r.edit, r.checkEdit},
		{SubmitUpdate, r.submit, r.checkSubmit},
		{ReviewUpdate, r.review, r.checkReview},
		{ClientDecisionUpdate, r.clientDecision, r.checkClientDecision},
		{CancelUpdate, r.cancel, r.checkCancel},
		{ChannelDecisionUpdate, r.channelDecision, r.checkChannelDecision},
	}
	for _, h := range handlers {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, h.name, h.handler,
			workflow.UpdateHandlerOptions{Validator: h.validator}); err != nil {
			return err
		}
	}
	return nil
}

func (r *postRun) run(ctx workflow.Context) (PostResult, error) {
	// The create update arrives with the start; nothing happens before it is recorded.
	if err := workflow.Await(ctx, func() bool { return r.st.Created }); err != nil {
		return PostResult{}, err
	}
	stable := workflow.GetVersion(ctx, versionStableTimer, workflow.DefaultVersion, 1) == 1
	r.current = workflow.GetVersion(ctx, versionResolvedAtStart, workflow.DefaultVersion, 1) == 1
	var timer deadline
	for !r.finished(ctx) {
		r.wake = false
		ready := func() bool { return r.wake || r.finished(ctx) }
		if err := awaitDeadline(ctx, stable, &timer, r.nextDeadline(), ready); err != nil {
			return PostResult{}, err
		}
		if err := r.fireDue(ctx); err != nil {
			return PostResult{}, err
		}
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return PostResult{}, err
	}
	return PostResult{Status: r.st.Status, Version: r.st.Version, PublishedAt: r.st.PublishedAt}, nil
}

// nextDeadline is the earliest time something happens without a decision, zero if none.
func (r *postRun) nextDeadline() time.Time {
	st := r.st
	var next time.Time
	earliest := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	switch {
	case st.Publishing:
	case st.Status.BeforeApproval():
		if !st.NeedsNewTime {
			earliest(st.PublishAt) // expiry
		}
		if st.Status == greenlight.StatusAwaitingClient {
			if !st.Reminded {
				earliest(st.AwaitingSince.Add(st.ReminderAfter))
			}
			if !st.Escalated {
				earliest(st.AwaitingSince.Add(st.EscalateAfter))
			}
		}
	case st.Status == greenlight.StatusScheduled && !st.Held:
		earliest(st.PublishAt)
	case st.Status == greenlight.StatusScheduled && st.Held:
		earliest(st.HeldCheckAt)
	case st.Status == greenlight.StatusFailed && !st.DecideUntil.IsZero():
		earliest(st.DecideUntil)
	}
	return next
}

// fireDue runs every timer-driven step whose time has come. Each step checks again, under
// the lock, that it still applies (see auto).
func (r *postRun) fireDue(ctx workflow.Context) error {
	now := workflow.Now(ctx)
	st := r.st
	switch {
	case st.Publishing:
		return nil
	case r.expiryDue(now):
		return r.expire(ctx)
	case st.Status == greenlight.StatusAwaitingClient:
		if r.reminderDue(now) {
			if err := r.remind(ctx); err != nil {
				return err
			}
		}
		// The state as it was when the timer fired decides (a run before atomic steps
		// replays this way); escalate checks again under the lock.
		if !st.Escalated && due(now, st.AwaitingSince.Add(st.EscalateAfter)) {
			return r.escalate(ctx)
		}
	case r.publishDue(now):
		return r.publish(ctx)
	case r.recheckDue(now):
		return r.recheckHold(ctx)
	}
	return nil
}

func due(now, t time.Time) bool { return !now.Before(t) }

// When each automatic step applies: fireDue decides with these, and each step checks its
// own again under the lock before it changes anything.

func (r *postRun) expiryDue(now time.Time) bool {
	st := &r.st
	return !st.Publishing && st.Status.BeforeApproval() && !st.NeedsNewTime && due(now, st.PublishAt)
}

func (r *postRun) reminderDue(now time.Time) bool {
	st := &r.st
	return !st.Publishing && st.Status == greenlight.StatusAwaitingClient && !st.Reminded &&
		due(now, st.AwaitingSince.Add(st.ReminderAfter))
}

func (r *postRun) escalationDue(now time.Time) bool {
	st := &r.st
	return !st.Publishing && st.Status == greenlight.StatusAwaitingClient && !st.Escalated &&
		due(now, st.AwaitingSince.Add(st.EscalateAfter))
}

func (r *postRun) publishDue(now time.Time) bool {
	st := &r.st
	return !st.Publishing && st.Status == greenlight.StatusScheduled && !st.Held && due(now, st.PublishAt)
}

func (r *postRun) recheckDue(now time.Time) bool {
	st := &r.st
	return r.held(now) && (st.Released || due(now, st.HeldCheckAt))
}

func (r *postRun) held(time.Time) bool {
	st := &r.st
	return !st.Publishing && st.Status == greenlight.StatusScheduled && st.Held
}

func (r *postRun) publishing(time.Time) bool { return r.st.Publishing }

// step is the one way a post changes state, for decisions and automatic steps alike: lock,
// check again (the state may have moved since the validator or the timer decided), change,
// record the new projection, unlock. A check error is returned as is, nothing changed.
func (r *postRun) step(ctx workflow.Context, check func() error, mutate func(ctx workflow.Context, c *change) error) (PostView, error) {
	if err := r.mu.Lock(ctx); err != nil {
		return PostView{}, err
	}
	defer r.mu.Unlock()
	if check != nil {
		if err := check(); err != nil {
			return PostView{}, err
		}
	}
	c := &change{}
	if err := mutate(ctx, c); err != nil {
		return PostView{}, err
	}
	if !c.internal {
		if err := r.record(ctx, c); err != nil {
			return PostView{}, err
		}
	}
	r.wake = true
	return r.view(), nil
}

// auto runs a step the workflow takes by itself (a timer fired, a hold check answered)
// through step, if applies still holds under the lock; it reports whether the step ran. A
// step that no longer applies changes nothing: the main loop looks at the new state.
func (r *postRun) auto(ctx workflow.Context, applies func(now time.Time) bool, mutate func(ctx workflow.Context, c *change) error) (bool, error) {
	var check func() error
	if r.atomic(ctx) {
		check = func() error {
			if !applies(workflow.Now(ctx)) {
				return errMoved
			}
			return nil
		}
	}
	_, err := r.step(ctx, check, mutate)
	if errors.Is(err, errMoved) {
		return false, nil
	}
	return err == nil, err
}

func (r *postRun) view() PostView {
	return PostView{Status: r.st.Status, Version: r.st.Version, Revision: r.st.Revision}
}

func (r *postRun) event(ctx workflow.Context, c *change, actor greenlight.Actor, action, comment string) {
	r.st.Seq++
	c.events = append(c.events, activities.EventRecord{
		Seq: r.st.Seq, At: workflow.Now(ctx), Actor: actor, Action: action, Version: r.st.Version, Comment: comment,
	})
}

func (r *postRun) decision(ctx workflow.Context, c *change, stage string, actor greenlight.Actor, decision, comment string) {
	r.st.Seq++
	c.decisions = append(c.decisions, activities.DecisionRecord{
		Seq: r.st.Seq, Version: r.st.Version, Stage: stage, Round: r.st.Round, Actor: actor,
		Decision: decision, Comment: comment, At: workflow.Now(ctx),
	})
}

func (r *postRun) record(ctx workflow.Context, c *change) error {
	r.st.Revision++
	now := workflow.Now(ctx)
	st := r.st
	rec := activities.PostRecord{
		Post: activities.PostSnapshot{
			ID: r.in.PostID, ClientID: r.in.ClientID, AuthorID: st.AuthorID, Content: st.Content,
			PublishAt: st.PublishAt, Status: st.Status, Version: st.Version,
			ReminderAfter: st.ReminderAfter, EscalateAfter: st.EscalateAfter, Held: st.Held,
			PublishedAt: st.PublishedAt, Revision: st.Revision, CreatedAt: st.CreatedAt, UpdatedAt: now,
		},
		NewVersion: c.version, Decisions: c.decisions, Events: c.events,
	}
	return workflow.ExecuteLocalActivity(localCtx(ctx), a.RecordPost, rec).Get(ctx, nil)
}

// --- validators (they read state, never change it) ---

func (r *postRun) checkCreate(ctx workflow.Context, _ CreateRequest) error {
	if r.st.Created {
		return fail(greenlight.ECONFLICT, "post already exists")
	}
	return nil
}

func (r *postRun) checkOpen() error {
	switch {
	case !r.st.Created:
		return fail(greenlight.ECONFLICT, "post is not created yet")
	case r.st.Status.Final():
		return fail(greenlight.ECONFLICT, "post is %s", r.st.Status)
	case r.st.Publishing:
		return fail(greenlight.ECONFLICT, "post is being published: it can no longer be edited, rescheduled or cancelled")
	}
	return nil
}

func (r *postRun) checkEdit(ctx workflow.Context, req EditRequest) error {
	if err := r.checkOpen(); err != nil {
		return err
	}
	if req.BaseVersion != 0 && req.BaseVersion != r.st.Version {
		return fail(greenlight.ECONFLICT, "version %d is stale: the post is at version %d", req.BaseVersion, r.st.Version)
	}
	if req.Title != nil && *req.Title == "" {
		return fail(greenlight.EINVALID, "title: must not be empty")
	}
	if req.Channels != nil && len(*req.Channels) == 0 {
		return fail(greenlight.EINVALID, "channels: at least one channel is required")
	}
	return nil
}

func (r *postRun) checkSubmit(ctx workflow.Context, _ SubmitRequest) error {
	if err := r.checkOpen(); err != nil {
		return err
	}
	switch r.st.Status {
	case greenlight.StatusDraft:
		if r.st.NeedsNewTime {
			return fail(greenlight.ECONFLICT, "the publish time passed while a crisis held publishing: set a new publish_at first")
		}
		return nil
	case greenlight.StatusChangesRequested:
		return fail(greenlight.ECONFLICT, "changes were requested on version %d: edit the post before submitting it again", r.st.Version)
	default:
		return fail(greenlight.ECONFLICT, "only a draft can be submitted; the post is %s", r.st.Status)
	}
}

func (r *postRun) checkReview(ctx workflow.Context, req ReviewRequest) error {
	if err := r.checkOpen(); err != nil {
		return err
	}
	switch {
	case r.st.Status != greenlight.StatusInReview:
		return fail(greenlight.ECONFLICT, "post is %s, not in review", r.st.Status)
	case req.Version != r.st.Version:
		return fail(greenlight.ECONFLICT, "version %d is stale: the post is at version %d", req.Version, r.st.Version)
	case req.Actor.ID == r.st.AuthorID:
		return fail(greenlight.EFORBIDDEN, "the author cannot review their own post")
	}
	return checkDecision(req.Decision, req.Comment)
}

func checkDecision(decision, comment string) error {
	switch decision {
	case greenlight.DecisionApprove:
		return nil
	case greenlight.DecisionRequestChanges:
		if comment == "" {
			return fail(greenlight.EINVALID, "comment: required when requesting changes")
		}
		return nil
	default:
		return fail(greenlight.EINVALID, "decision: must be approve or request_changes")
	}
}

func (r *postRun) checkClientDecision(ctx workflow.Context, req ClientDecisionRequest) error {
	// A link for a replaced version must never decide on the current text: version first.
	if req.Version != r.st.Version {
		return fail(greenlight.EGONE, "version %d was replaced by version %d", req.Version, r.st.Version)
	}
	if err := r.checkOpen(); err != nil {
		return err
	}
	if r.st.Status != greenlight.StatusAwaitingClient {
		return fail(greenlight.ECONFLICT, "post is %s, not awaiting the client", r.st.Status)
	}
	if !slices.ContainsFunc(r.st.Approvers, func(ap activities.Approver) bool { return ap.ID == req.Approver.ID }) {
		return fail(greenlight.EFORBIDDEN, "not an approver of this version")
	}
	if slices.Contains(r.st.Decided, req.Approver.ID) {
		return fail(greenlight.EGONE, "a decision was already recorded for this approver")
	}
	return checkDecision(req.Decision, req.Comment)
}

func (r *postRun) checkCancel(ctx workflow.Context, _ CancelRequest) error {
	return r.checkOpen()
}

// --- update handlers ---

func (r *postRun) create(ctx workflow.Context, req CreateRequest) (PostView, error) {
	return r.step(ctx, func() error { return r.checkCreate(ctx, req) }, func(ctx workflow.Context, c *change) error {
		r.st.Created = true
		r.st.Version = 1
		r.st.CreatedAt = workflow.Now(ctx)
		c.version = &activities.VersionRecord{Version: 1, Content: r.st.Content, AuthorID: r.in.Author.ID, At: r.st.CreatedAt}
		r.event(ctx, c, r.in.Author, "created", "")
		return nil
	})
}

func (r *postRun) edit(ctx workflow.Context, req EditRequest) (PostView, error) {
	return r.step(ctx, func() error { return r.checkEdit(ctx, req) }, func(ctx workflow.Context, c *change) error {
		content := r.st.Content
		if req.Title != nil {
			content.Title = *req.Title
		}
		if req.Body != nil {
			content.Body = *req.Body
		}
		if req.Channels != nil {
			content.Channels = slices.Clone(*req.Channels)
		}
		if req.MediaURLs != nil {
			content.MediaURLs = slices.Clone(*req.MediaURLs)
		}
		if req.Media != nil {
			content.Media = slices.Clone(*req.Media)
		}
		if !content.Equal(r.st.Content) {
			was := r.st.Status
			r.st.Held, r.st.HeldBy = false, ""
			r.st.Content = content
			r.st.Version++
			r.st.Status = greenlight.StatusDraft
			r.resetRound()
			c.version = &activities.VersionRecord{Version: r.st.Version, Content: content, AuthorID: req.Actor.ID, At: workflow.Now(ctx)}
			note := ""
			if was != greenlight.StatusDraft {
				note = fmt.Sprintf("was %s; pending approvals of version %d are void", was, r.st.Version-1)
			}
			r.event(ctx, c, req.Actor, "edited", note)
		}
		if req.PublishAt != nil && !req.PublishAt.Equal(r.st.PublishAt) {
			note := fmt.Sprintf("publish time %s → %s", r.st.PublishAt.UTC().Format(time.RFC3339), req.PublishAt.UTC().Format(time.RFC3339))
			r.st.PublishAt = *req.PublishAt
			r.st.NeedsNewTime = false
			r.event(ctx, c, req.Actor, "rescheduled", note)
		}
		if req.ReminderAfter != nil && *req.ReminderAfter != r.st.ReminderAfter ||
			req.EscalateAfter != nil && *req.EscalateAfter != r.st.EscalateAfter {
			if req.ReminderAfter != nil {
				r.st.ReminderAfter = *req.ReminderAfter
			}
			if req.EscalateAfter != nil {
				r.st.EscalateAfter = *req.EscalateAfter
			}
			r.event(ctx, c, req.Actor, "timers_changed",
				fmt.Sprintf("reminder after %s, escalation after %s", r.st.ReminderAfter, r.st.EscalateAfter))
		}
		return nil
	})
}

// resetRound forgets the client round of a replaced version.
func (r *postRun) resetRound() {
	r.st.Approvers, r.st.Approved, r.st.Decided = nil, nil, nil
	r.st.Reminded, r.st.Escalated = false, false
	r.st.AwaitingSince = time.Time{}
}

func (r *postRun) submit(ctx workflow.Context, req SubmitRequest) (PostView, error) {
	return r.step(ctx, func() error { return r.checkSubmit(ctx, req) }, func(ctx workflow.Context, c *change) error {
		r.st.Status = greenlight.StatusInReview
		r.event(ctx, c, req.Actor, "submitted", "")
		return nil
	})
}

func (r *postRun) review(ctx workflow.Context, req ReviewRequest) (PostView, error) {
	return r.step(ctx, func() error { return r.checkReview(ctx, req) }, func(ctx workflow.Context, c *change) error {
		if req.Decision == greenlight.DecisionRequestChanges {
			r.decision(ctx, c, "internal", req.Actor, req.Decision, req.Comment)
			r.st.Status = greenlight.StatusChangesRequested
			r.event(ctx, c, req.Actor, "review_changes_requested", req.Comment)
			return nil
		}
		var ca activities.ClientApprovers
		if workflow.GetVersion(ctx, "approvers-with-review", workflow.DefaultVersion, 1) == 1 && req.Client != nil {
			ca = *req.Client
		} else if err := workflow.ExecuteLocalActivity(localCtx(ctx), a.ClientApprovers, r.in.ClientID).Get(ctx, &ca); err != nil {
			return err
		}
		if len(ca.Approvers) == 0 {
			return fail(greenlight.ECONFLICT, "the client has no approvers: add one before approving")
		}
		r.st.Round++ // the internal approval opens the client round it belongs to
		r.decision(ctx, c, "internal", req.Actor, req.Decision, req.Comment)
		r.event(ctx, c, req.Actor, "review_approved", req.Comment)
		r.resetRound()
		r.st.Status = greenlight.StatusAwaitingClient
		r.st.Policy = ca.Policy
		r.st.Approvers = ca.Approvers
		r.st.AwaitingSince = workflow.Now(ctx)
		r.st.Digest = ca.DigestWindow > 0 && workflow.GetVersion(ctx, versionDigest, workflow.DefaultVersion, 1) == 1
		if r.st.Digest {
			r.st.DigestWindow = ca.DigestWindow
			r.event(ctx, c, greenlight.System, "client_approval_requested",
				fmt.Sprintf("%s (in one email per approver for what waits within %s)", approverNames(ca.Approvers), ca.DigestWindow))
			r.enqueueDigest(ctx, ca.Approvers)
			return nil
		}
		r.event(ctx, c, greenlight.System, "client_approval_requested", approverNames(ca.Approvers))
		r.requestApproval(ctx, ca.Approvers, false)
		return nil
	})
}

func approverNames(as []activities.Approver) string {
	s := ""
	for i, ap := range as {
		if i > 0 {
			s += ", "
		}
		s += ap.Name + " <" + ap.Email + ">"
	}
	return s
}

func (r *postRun) clientDecision(ctx workflow.Context, req ClientDecisionRequest) (PostView, error) {
	return r.step(ctx, func() error { return r.checkClientDecision(ctx, req) }, func(ctx workflow.Context, c *change) error {
		st := &r.st
		r.decision(ctx, c, "client", req.Approver, req.Decision, req.Comment)
		st.Decided = append(st.Decided, req.Approver.ID)
		if req.Decision == greenlight.DecisionRequestChanges {
			st.Status = greenlight.StatusChangesRequested
			r.event(ctx, c, req.Approver, "client_changes_requested", req.Comment)
			r.notify(ctx, activities.NotifyChangesRequested, req.Comment)
			return nil
		}
		st.Approved = append(st.Approved, req.Approver.ID)
		r.event(ctx, c, req.Approver, "client_approved", req.Comment)
		if st.Policy == greenlight.PolicyAll && len(st.Approved) < len(st.Approvers) {
			return nil
		}
		st.Status = greenlight.StatusScheduled
		r.event(ctx, c, greenlight.System, "scheduled", "publish at "+st.PublishAt.UTC().Format(time.RFC3339))
		return nil
	})
}

func (r *postRun) cancel(ctx workflow.Context, req CancelRequest) (PostView, error) {
	return r.step(ctx, func() error { return r.checkCancel(ctx, req) }, func(ctx workflow.Context, c *change) error {
		r.st.Status = greenlight.StatusCancelled
		r.event(ctx, c, req.Actor, "cancelled", req.Reason)
		return nil
	})
}

// --- automatic steps (timers, hold checks): each re-checks under the lock through auto ---

func (r *postRun) expire(ctx workflow.Context) error {
	_, err := r.auto(ctx, r.expiryDue, func(ctx workflow.Context, c *change) error {
		r.event(ctx, c, greenlight.System, "expired",
			fmt.Sprintf("publish time passed while %s; never published", r.st.Status))
		r.st.Status = greenlight.StatusExpired
		r.notify(ctx, activities.NotifyExpired, "")
		return nil
	})
	return err
}

func (r *postRun) remind(ctx workflow.Context) error {
	_, err := r.auto(ctx, r.reminderDue, func(ctx workflow.Context, c *change) error {
		r.st.Reminded = true
		var waiting []activities.Approver
		for _, ap := range r.st.Approvers {
			if !slices.Contains(r.st.Decided, ap.ID) {
				waiting = append(waiting, ap)
			}
		}
		if r.st.Digest { // the reminder goes in each approver's batch reminder
			r.event(ctx, c, greenlight.System, "client_reminded", approverNames(waiting)+" (with their batch)")
			return nil
		}
		r.event(ctx, c, greenlight.System, "client_reminded", approverNames(waiting))
		r.requestApproval(ctx, waiting, true)
		return nil
	})
	return err
}

func (r *postRun) escalate(ctx workflow.Context) error {
	_, err := r.auto(ctx, r.escalationDue, func(ctx workflow.Context, c *change) error {
		r.st.Escalated = true
		if r.st.Digest { // each approver's batch escalation tells author and admins
			r.event(ctx, c, greenlight.System, "escalated",
				fmt.Sprintf("no client decision after %s: author and admins notified with the approvers' batches", r.st.EscalateAfter))
			return nil
		}
		r.event(ctx, c, greenlight.System, "escalated",
			fmt.Sprintf("no client decision after %s: author and admins notified", r.st.EscalateAfter))
		r.notify(ctx, activities.NotifyEscalation, "")
		return nil
	})
	return err
}

// publish sends the approved version to every channel, then records the outcome. Its first
// step, under the lock and only if the post is still scheduled, unheld and due, marks the
// post as publishing and takes the version to publish: from then until the outcome is
// recorded (or a crisis hold is found), edits, reschedules and cancellation are refused
// with ECONFLICT, and nothing can change what is published. A scheduled post's current
// version is the approved one: any change of content returns it to draft.
func (r *postRun) publish(ctx workflow.Context) error {
	if !r.atomic(ctx) {
		return r.publishBeforeAtomicSteps(ctx)
	}
	var version int
	var channels []string
	began, err := r.auto(ctx, r.publishDue, func(ctx workflow.Context, c *change) error {
		r.st.Publishing = true
		version, channels = r.st.Version, slices.Clone(r.st.Content.Channels)
		c.internal = true
		return nil
	})
	if err != nil || !began {
		return err
	}
	// A crisis may hold the client's publishing: then the post waits for its release.
	var hold activities.HoldStatus
	if err := workflow.ExecuteLocalActivity(localCtx(ctx), a.PublishingHold, r.in.ClientID).Get(ctx, &hold); err != nil {
		return err
	}
	if hold.Held {
		return r.hold(ctx, hold)
	}
	return r.publishVersion(ctx, version, channels)
}

// publishBeforeAtomicSteps is publish as runs that started before versionAtomicSteps did
// it (they replay it): the hold check and the lock came before the post was marked as
// publishing.
func (r *postRun) publishBeforeAtomicSteps(ctx workflow.Context) error {
	if workflow.GetVersion(ctx, "publishing-hold", workflow.DefaultVersion, 1) == 1 {
		var hold activities.HoldStatus
		if err := workflow.ExecuteLocalActivity(localCtx(ctx), a.PublishingHold, r.in.ClientID).Get(ctx, &hold); err != nil {
			return err
		}
		if hold.Held {
			return r.hold(ctx, hold)
		}
	}
	if err := r.mu.Lock(ctx); err != nil {
		return err
	}
	r.st.Publishing = true
	r.mu.Unlock()
	return r.publishVersion(ctx, r.st.Version, r.st.Content.Channels)
}

// hold records that a crisis holds the post instead of publishing it.
func (r *postRun) hold(ctx workflow.Context, hold activities.HoldStatus) error {
	_, err := r.auto(ctx, r.publishing, func(ctx workflow.Context, c *change) error {
		r.st.Publishing = false
		r.st.Held, r.st.HeldBy, r.st.Released = true, hold.CrisisID, false
		r.st.HeldCheckAt = workflow.Now(ctx).Add(heldRecheck)
		r.event(ctx, c, greenlight.System, "held", "publishing is paused by crisis "+hold.CrisisID)
		return nil
	})
	return err
}

// versionChannelResults: each channel is published by PublishChannel, which routes it to
// a connected account or the webhook and returns its result; a rate-limited channel waits
// on a durable timer and is tried again; the history names every channel's result (links
// included), and a failed or unconfirmed channel fails the post while the others stay
// published. Runs that reached publication before keep one Publish per channel.
const versionChannelResults = "channel-results"

// Rate limits: how long a channel waits when the network did not say, at most per wait,
// and in all before it gives up.
const (
	rateLimitDefaultWait = time.Minute
	rateLimitMaxWait     = time.Hour
	rateLimitGiveUp      = 24 * time.Hour
)

// publishVersion publishes one version on its channels, side by side, and records the
// outcome: published when every channel is, else failed, the history naming each
// channel's result and the author told.
func (r *postRun) publishVersion(ctx workflow.Context, version int, channels []string) error {
	if !r.current && workflow.GetVersion(ctx, versionChannelResults, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return r.publishVersionBeforeChannelResults(ctx, version, channels)
	}
	results := make([]activities.ChannelOutcome, len(channels))
	wg := workflow.NewWaitGroup(ctx)
	for i, ch := range channels {
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			results[i] = r.publishChannel(ctx, version, ch)
		})
	}
	wg.Wait(ctx)
	_, err := r.auto(ctx, r.publishing, func(ctx workflow.Context, c *change) error {
		r.st.Publishing = false
		note := channelNote(results)
		for _, res := range results {
			if res.Status != store.ChannelPublished {
				r.st.Status = greenlight.StatusFailed
				r.event(ctx, c, greenlight.System, "publish_failed", note)
				r.notify(ctx, activities.NotifyFailed, note)
				r.openChannelDecisions(ctx, results)
				return nil
			}
		}
		now := workflow.Now(ctx)
		r.st.Status = greenlight.StatusPublished
		r.st.PublishedAt = &now
		r.event(ctx, c, greenlight.System, "published", note)
		return nil
	})
	return err
}

// publishChannel publishes version on one channel until it has a result: a rate limit
// waits (the network's Retry-After, rateLimitDefaultWait when it gave none, at most
// rateLimitMaxWait) and tries again, for rateLimitGiveUp at most; an activity that fails
// for good (retries exhausted) ends the channel failed.
func (r *postRun) publishChannel(ctx workflow.Context, version int, channel string) activities.ChannelOutcome {
	req := activities.PublishRequest{PostID: r.in.PostID, ClientID: r.in.ClientID, Version: version, Channel: channel}
	var waited time.Duration
	for {
		var out activities.ChannelOutcome
		if err := workflow.ExecuteActivity(channelCtx(ctx), a.PublishChannel, req).Get(ctx, &out); err != nil {
			return r.channelFailed(ctx, req, "", channelError(err))
		}
		if out.Status != activities.ChannelRateLimited {
			return out
		}
		wait := out.RetryAfter
		if wait <= 0 {
			wait = rateLimitDefaultWait
		}
		wait = min(wait, rateLimitMaxWait)
		if waited+wait > rateLimitGiveUp {
			return r.channelFailed(ctx, req, out.AccountID, fmt.Sprintf("still rate limited after %s: %s", waited, out.Error))
		}
		waited += wait
		if err := workflow.Sleep(ctx, wait); err != nil {
			return r.channelFailed(ctx, req, out.AccountID, "publication cancelled while waiting out a rate limit")
		}
	}
}

// channelFailed records that the workflow gave up on a channel and returns its outcome.
func (r *postRun) channelFailed(ctx workflow.Context, req activities.PublishRequest, accountID, reason string) activities.ChannelOutcome {
	f := activities.ChannelFailure{PostID: req.PostID, Version: req.Version, Channel: req.Channel, AccountID: accountID, Error: reason}
	if err := workflow.ExecuteLocalActivity(localCtx(ctx), a.RecordChannelFailure, f).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("channel failure not recorded", "channel", req.Channel, "error", err)
	}
	return activities.ChannelOutcome{Channel: req.Channel, AccountID: accountID, Status: store.ChannelFailed, Error: reason}
}

// channelError says why a publication activity failed for good: its own message when it
// could not succeed (a non-retryable error), else that its retries ran out, with the last
// attempt's message.
func channelError(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		if appErr.NonRetryable() {
			return appErr.Message()
		}
		return "gave up retrying: " + appErr.Message()
	}
	var te *temporal.TimeoutError
	if errors.As(err, &te) {
		return "gave up retrying (" + te.TimeoutType().String() + " timeout)"
	}
	return errorMessage(err)
}

// channelNote names every channel's result for the history: "bluesky: published <url>;
// x: failed: <why>".
func channelNote(results []activities.ChannelOutcome) string {
	var b strings.Builder
	for i, res := range results {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(res.Channel + ": " + res.Status)
		switch {
		case res.Status == store.ChannelPublished && res.URL != "":
			b.WriteString(" " + res.URL)
		case res.Status == store.ChannelPublished && res.RemoteID != "":
			b.WriteString(" (" + res.RemoteID + ")")
		case res.Error != "":
			b.WriteString(": " + res.Error)
		}
	}
	return b.String()
}

// publishVersionBeforeChannelResults is publishVersion as runs that reached publication
// before versionChannelResults did it (they replay it): one Publish activity per channel,
// a failed channel fails the post.
func (r *postRun) publishVersionBeforeChannelResults(ctx workflow.Context, version int, channels []string) error {
	futures := make([]workflow.Future, len(channels))
	for i, ch := range channels {
		futures[i] = workflow.ExecuteActivity(publishCtx(ctx), a.Publish, activities.PublishRequest{
			PostID: r.in.PostID, ClientID: r.in.ClientID, Version: version, Channel: ch,
		})
	}
	var done, failed []string
	var firstErr error
	for i, f := range futures {
		if err := f.Get(ctx, nil); err != nil {
			failed = append(failed, channels[i])
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		done = append(done, channels[i])
	}
	_, err := r.auto(ctx, r.publishing, func(ctx workflow.Context, c *change) error {
		r.st.Publishing = false
		now := workflow.Now(ctx)
		if firstErr != nil {
			r.st.Status = greenlight.StatusFailed
			note := fmt.Sprintf("failed on %v: %s", failed, errorMessage(firstErr))
			if len(done) > 0 {
				note += fmt.Sprintf("; published on %v", done)
			}
			r.event(ctx, c, greenlight.System, "publish_failed", note)
			r.notify(ctx, activities.NotifyFailed, note)
			return nil
		}
		r.st.Status = greenlight.StatusPublished
		r.st.PublishedAt = &now
		r.event(ctx, c, greenlight.System, "published", fmt.Sprintf("on %v", done))
		return nil
	})
	return err
}

// recheckHold runs when a held post is told of a release or its periodic check is due. If
// the hold is gone, the post publishes at its (future) time, or — its time having passed
// during the crisis — goes back to its author as a draft to reschedule and approve again:
// an approval given before a crisis does not publish after it unseen. Whatever happened
// during the hold check (an edit, a cancellation) stands: the step applies only to a post
// still scheduled and held.
func (r *postRun) recheckHold(ctx workflow.Context) error {
	var hold activities.HoldStatus
	if err := workflow.ExecuteLocalActivity(localCtx(ctx), a.PublishingHold, r.in.ClientID).Get(ctx, &hold); err != nil {
		return err
	}
	if !r.atomic(ctx) {
		r.st.Released = false
		if hold.Held {
			r.st.HeldCheckAt = workflow.Now(ctx).Add(heldRecheck)
			return nil
		}
	}
	_, err := r.auto(ctx, r.held, func(ctx workflow.Context, c *change) error {
		r.st.Released = false
		if hold.Held {
			r.st.HeldCheckAt = workflow.Now(ctx).Add(heldRecheck)
			c.internal = true
			return nil
		}
		r.st.Held, r.st.HeldBy = false, ""
		if workflow.Now(ctx).Before(r.st.PublishAt) {
			r.event(ctx, c, greenlight.System, "released", "publishing resumed; publishes as planned")
			return nil
		}
		r.st.Status, r.st.NeedsNewTime = greenlight.StatusDraft, true
		r.resetRound()
		r.event(ctx, c, greenlight.System, "returned_after_crisis",
			"the publish time passed while publishing was paused: set a new time and submit it for approval again")
		r.notify(ctx, activities.NotifyReturned, "")
		return nil
	})
	return err
}

// --- side effects, run beside the main loop so a slow mail server delays no timer ---

func (r *postRun) spawn(ctx workflow.Context, f func(ctx workflow.Context) error, what string) {
	r.inflight++
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { r.inflight--; r.wake = true }()
		if err := f(ctx); err != nil {
			workflow.GetLogger(ctx).Error("side effect failed", "effect", what, "error", err)
			_, _ = r.step(ctx, nil, func(ctx workflow.Context, c *change) error {
				r.event(ctx, c, greenlight.System, "notification_failed", what+": "+errorMessage(err))
				return nil
			})
		}
	})
}

func (r *postRun) requestApproval(ctx workflow.Context, to []activities.Approver, reminder bool) {
	req := activities.ApprovalRequest{
		PostID: r.in.PostID, ClientID: r.in.ClientID, Version: r.st.Version, Round: r.st.Round,
		Approvers: to, Reminder: reminder,
	}
	what := "approval request"
	if reminder {
		what = "approval reminder"
	}
	r.spawn(ctx, func(ctx workflow.Context) error {
		return workflow.ExecuteActivity(mailCtx(ctx), a.RequestApproval, req).Get(ctx, nil)
	}, what)
}

// enqueueDigest hands the version to each approver's digest workflow, which emails it in
// the approver's next batch.
func (r *postRun) enqueueDigest(ctx workflow.Context, to []activities.Approver) {
	for _, ap := range to {
		item := activities.DigestItem{
			PostID: r.in.PostID, ClientID: r.in.ClientID, AuthorID: r.st.AuthorID, Version: r.st.Version,
			Round: r.st.Round, Approver: ap, Window: r.st.DigestWindow,
			ReminderAfter: r.st.ReminderAfter, EscalateAfter: r.st.EscalateAfter,
		}
		r.spawn(ctx, func(ctx workflow.Context) error {
			return workflow.ExecuteActivity(mailCtx(ctx), a.EnqueueDigest, item).Get(ctx, nil)
		}, "approval request (batch)")
	}
}

func (r *postRun) notify(ctx workflow.Context, kind, comment string) {
	n := activities.Notification{
		Kind: kind, PostID: r.in.PostID, ClientID: r.in.ClientID, AuthorID: r.st.AuthorID,
		Version: r.st.Version, Round: r.st.Round, Comment: comment,
	}
	r.spawn(ctx, func(ctx workflow.Context) error {
		return workflow.ExecuteActivity(mailCtx(ctx), a.Notify, n).Get(ctx, nil)
	}, kind+" notification")
}

// --- options and errors ---

func localCtx(ctx workflow.Context) workflow.Context {
	// Projection writes retry until the database is back: a decision is never half-recorded.
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 200 * time.Millisecond, MaximumInterval: 30 * time.Second},
	})
}

func mailCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 2 * time.Second, MaximumInterval: 5 * time.Minute},
	})
}

func publishCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    time.Minute,
		ScheduleToCloseTimeout: 2 * time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumInterval: 5 * time.Minute},
	})
}

// channelCtx is publishCtx with room for a connector's preparation (shrinking and
// uploading up to four images, polling until a video is processed) before its create.
func channelCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    5 * time.Minute,
		ScheduleToCloseTimeout: 2 * time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumInterval: 5 * time.Minute},
	})
}

// fail returns a non-retryable application error whose type is a greenlight error code,
// which the API maps back to an HTTP status.
func fail(code, format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), code, nil)
}

func errorMessage(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	return err.Error()
}
