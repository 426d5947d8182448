package service

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/store"
	"github.com/greenlight/greenlight/workflows"
)

// PostFields are the editable fields of a post; nil means "not given".
type PostFields struct {
	Title         *string
	Body          *string
	Channels      *[]string
	MediaURLs     *[]string     // downloaded into the client's media library when saved
	Media         *[]MediaInput // media library items of the post's client, in order
	MediaField    string        // the request field Media came from, for errors ("media_ids" when empty)
	PublishAt     *time.Time
	ReminderAfter *time.Duration
	EscalateAfter *time.Duration
}

// MediaInput is one media library item of a post and its alt text.
type MediaInput struct {
	ID  string `json:"id"`
	Alt string `json:"alt"`
}

// NewPost is the input of CreatePost.
type NewPost struct {
	ClientID string
	PostFields
}

// CreatePost creates a post as version 1 in draft and starts its workflow; the workflow
// records it before this returns, so a read right after sees it.
func (s *Service) CreatePost(ctx context.Context, actor *store.User, in NewPost) (*store.PostDetail, error) {
	if err := authorize(actor, ActPostCreate, Resource{}); err != nil {
		return nil, err
	}
	if in.ClientID == "" {
		return nil, greenlight.Errorf(greenlight.EINVALID, "client_id: required")
	}
	if err := authorize(actor, ActPostCreate, naming(in.ClientID)); err != nil {
		return nil, err
	}
	f := in.PostFields
	for _, req := range []struct {
		name  string
		given bool
	}{{"title", f.Title != nil}, {"body", f.Body != nil}, {"channels", f.Channels != nil}, {"publish_at", f.PublishAt != nil}} {
		if !req.given {
			return nil, greenlight.Errorf(greenlight.EINVALID, "%s: required", req.name)
		}
	}
	if err := s.validFields(&f); err != nil {
		return nil, err
	}
	cl, err := s.Store.Client(ctx, in.ClientID)
	if err != nil {
		if greenlight.IsCode(err, greenlight.ENOTFOUND) {
			return nil, greenlight.Errorf(greenlight.EINVALID, "client_id: no client %s", in.ClientID)
		}
		return nil, err
	}
	mediaRefs, err := s.postMedia(ctx, actor, in.ClientID, &f)
	if err != nil {
		return nil, err
	}
	// A create retried under an Idempotency-Key names the id reserved for that key: if its
	// first attempt did start the workflow (and only its answer was lost), the retry joins it
	// and the "create" update, deduplicated by its id, answers as it did the first time.
	postID, reserved := reservedID(ctx, func(id string) bool { return greenlight.ValidID("pst_", id) })
	conflict := enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL
	if reserved {
		conflict = enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
	} else {
		postID = greenlight.NewID("pst_")
	}
	input := workflows.PostInput{
		PostID: postID, ClientID: in.ClientID, Author: Actor(actor),
		Content:   greenlight.Content{Title: *f.Title, Body: *f.Body, Channels: *f.Channels, MediaURLs: []string{}, Media: mediaRefs},
		PublishAt: f.PublishAt.UTC(),
	}
	input.ReminderAfter, input.EscalateAfter = timersFor(cl) // unless the post sets its own
	if err := s.checkNetworkRules(ctx, postID, in.ClientID, 1, input.Content); err != nil {
		return nil, err
	}
	if f.ReminderAfter != nil {
		input.ReminderAfter = *f.ReminderAfter
	}
	if f.EscalateAfter != nil {
		input.EscalateAfter = *f.EscalateAfter
	}
	ctx, cancel := context.WithTimeout(ctx, s.decisionTimeout())
	defer cancel()
	start := s.Temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       workflows.PostWorkflowID(input.PostID),
		TaskQueue:                s.TaskQueue,
		WorkflowIDConflictPolicy: conflict,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, workflows.PostApproval, input)
	h, err := s.Temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateID: "create", UpdateName: workflows.CreateUpdate, Args: []any{workflows.CreateRequest{}},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err == nil {
		err = h.Get(ctx, nil)
	}
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if reserved && errors.As(err, &started) {
		// The first attempt created the post and its workflow has already ended (cancelled,
		// say): the retry answers with that post.
		return s.Store.PostDetail(ctx, postID)
	}
	if err != nil {
		return nil, fromTemporal(err)
	}
	s.Log.Info("post created", "post", input.PostID, "client", in.ClientID, "by", actor.ID)
	return s.Store.PostDetail(ctx, input.PostID)
}

// validFields checks the given fields and normalises them in place (trimmed title, sorted
// unique channels, UTC times). Errors are EINVALID naming the field.
func (s *Service) validFields(f *PostFields) error {
	if f.Title != nil {
		t := strings.TrimSpace(*f.Title)
		if t == "" || utf8.RuneCountInString(t) > 300 {
			return greenlight.Errorf(greenlight.EINVALID, "title: required, at most 300 characters")
		}
		f.Title = &t
	}
	if f.Body != nil {
		if strings.TrimSpace(*f.Body) == "" || utf8.RuneCountInString(*f.Body) > 63206 {
			return greenlight.Errorf(greenlight.EINVALID, "body: required, at most 63206 characters")
		}
	}
	if f.Channels != nil {
		var chs []string
		for _, c := range *f.Channels {
			c = strings.ToLower(strings.TrimSpace(c))
			if _, ok := greenlight.Channels[c]; !ok {
				return greenlight.Errorf(greenlight.EINVALID, "channels: unknown channel %q (known: %s)", c, strings.Join(knownChannels(), ", "))
			}
			if !slices.Contains(chs, c) {
				chs = append(chs, c)
			}
		}
		if len(chs) == 0 {
			return greenlight.Errorf(greenlight.EINVALID, "channels: at least one channel is required")
		}
		f.Channels = &chs
	}
	if err := validMedia(f); err != nil {
		return err
	}
	if f.PublishAt != nil {
		t := f.PublishAt.UTC()
		if !t.After(s.now()) {
			return greenlight.Errorf(greenlight.EINVALID, "publish_at: must be in the future")
		}
		f.PublishAt = &t
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
	}{{"reminder_after", f.ReminderAfter}, {"escalate_after", f.EscalateAfter}} {
		if d.v != nil && (*d.v < time.Minute || *d.v > 365*24*time.Hour) {
			return greenlight.Errorf(greenlight.EINVALID, "%s: must be between 1m and 8760h", d.name)
		}
	}
	return nil
}

func knownChannels() []string {
	out := make([]string, 0, len(greenlight.Channels))
	for c := range greenlight.Channels {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Post returns a visible post with its versions, decisions and history.
func (s *Service) Post(ctx context.Context, actor *store.User, id string) (*store.PostDetail, error) {
	if _, err := s.loadPost(ctx, actor, ActPostRead, id); err != nil {
		return nil, err
	}
	return s.Store.PostDetail(ctx, id)
}

// PostList is one page of posts.
type PostList struct {
	Items      []store.Post
	NextCursor string
}

// Posts lists visible posts, newest first. Naming a client outside the user's scope is
// EFORBIDDEN; an unknown status is EINVALID.
func (s *Service) Posts(ctx context.Context, actor *store.User, f store.PostFilter) (*PostList, error) {
	if err := s.listing(actor, ActPostsList, f.ClientID); err != nil {
		return nil, err
	}
	if f.Status != "" && !slices.Contains(greenlight.PostStatuses, greenlight.PostStatus(f.Status)) {
		return nil, greenlight.Errorf(greenlight.EINVALID, "status: unknown status %q", f.Status)
	}
	if f.Cursor != "" && !greenlight.ValidID("pst_", f.Cursor) {
		return nil, greenlight.Errorf(greenlight.EINVALID, "cursor: not a cursor from a previous page")
	}
	switch {
	case f.Limit == 0:
		f.Limit = 50
	case f.Limit < 0 || f.Limit > 200:
		return nil, greenlight.Errorf(greenlight.EINVALID, "limit: must be between 1 and 200")
	}
	f.Scope = Scope(actor)
	items, next, err := s.Store.ListPosts(ctx, f)
	if err != nil {
		return nil, err
	}
	return &PostList{Items: items, NextCursor: next}, nil
}

// EditPost changes a post. Content fields make a new version and return it to draft;
// publish_at alone re-arms the publish timer without re-approval. baseVersion, when not 0,
// must be the current version (else ECONFLICT).
func (s *Service) EditPost(ctx context.Context, actor *store.User, id string, baseVersion int, f PostFields) (*store.PostDetail, error) {
	p, err := s.loadPost(ctx, actor, ActPostEdit, id)
	if err != nil {
		return nil, err // before validating: a post one cannot see answers the same whatever the body
	}
	if err := s.validFields(&f); err != nil {
		return nil, err
	}
	if greenlight.PostStatus(p.Status).Final() {
		return nil, greenlight.Errorf(greenlight.ECONFLICT, "post is %s", p.Status) // before downloading anything
	}
	req := workflows.EditRequest{
		Actor: Actor(actor), BaseVersion: baseVersion, Title: f.Title, Body: f.Body, Channels: f.Channels,
		PublishAt: f.PublishAt, ReminderAfter: f.ReminderAfter, EscalateAfter: f.EscalateAfter,
	}
	refs, err := s.postMedia(ctx, actor, p.ClientID, &f)
	if err != nil {
		return nil, err
	}
	if refs != nil {
		// The media given replace the post's; new versions carry files, not URLs.
		req.Media = &refs
		if f.MediaURLs != nil {
			req.MediaURLs = &[]string{}
		}
	}
	if f.Title != nil || f.Body != nil || f.Channels != nil || refs != nil {
		if err := s.checkNetworkRules(ctx, p.ID, p.ClientID, p.Version+1, editedContent(p, req)); err != nil {
			return nil, err
		}
	}
	return s.decideOn(ctx, p, "", workflows.EditUpdate, req)
}

// editedContent is the post's content once req is applied (as the workflow applies it).
func editedContent(p *store.Post, req workflows.EditRequest) greenlight.Content {
	c := greenlight.Content{Title: p.Title, Body: p.Body, Channels: p.Channels, MediaURLs: p.MediaURLs, Media: p.Media}
	if req.Title != nil {
		c.Title = *req.Title
	}
	if req.Body != nil {
		c.Body = *req.Body
	}
	if req.Channels != nil {
		c.Channels = *req.Channels
	}
	if req.MediaURLs != nil {
		c.MediaURLs = *req.MediaURLs
	}
	if req.Media != nil {
		c.Media = *req.Media
	}
	return c
}

// SubmitPost sends a draft to internal review. Each channel must have somewhere to be
// published (see checkRouting) and the current content must keep the networks' rules
// (which may depend on the account connected since the post was saved).
func (s *Service) SubmitPost(ctx context.Context, actor *store.User, id string) (*store.PostDetail, error) {
	p, err := s.loadPost(ctx, actor, ActPostSubmit, id)
	if err != nil {
		return nil, err
	}
	if greenlight.PostStatus(p.Status) == greenlight.StatusDraft { // else the workflow says why not
		if err := s.checkRouting(ctx, p); err != nil {
			return nil, err
		}
		c := greenlight.Content{Title: p.Title, Body: p.Body, Channels: p.Channels, MediaURLs: p.MediaURLs, Media: p.Media}
		if err := s.checkNetworkRules(ctx, p.ID, p.ClientID, p.Version, c); err != nil {
			return nil, err
		}
	}
	return s.decideOn(ctx, p, "", workflows.SubmitUpdate, workflows.SubmitRequest{Actor: Actor(actor)})
}

// ReviewPost records a staff review of one version; the author cannot review their post.
func (s *Service) ReviewPost(ctx context.Context, actor *store.User, id string, version int, decision, comment string) (*store.PostDetail, error) {
	p, err := s.loadPost(ctx, actor, ActPostReview, id)
	if err != nil {
		return nil, err
	}
	if version <= 0 {
		return nil, greenlight.Errorf(greenlight.EINVALID, "version: required")
	}
	if err := validDecision(decision, comment); err != nil {
		return nil, err
	}
	req := workflows.ReviewRequest{Actor: Actor(actor), Version: version, Decision: decision, Comment: strings.TrimSpace(comment)}
	if decision == greenlight.DecisionApprove {
		// Who the client's approvers are, read now: the workflow snapshots them for the round.
		c, err := s.Store.Client(ctx, p.ClientID)
		if err != nil {
			return nil, err
		}
		ca := activities.ClientApprovers{Policy: c.ApprovalPolicy, DigestWindow: c.DigestWindow}
		for _, ap := range c.Approvers {
			ca.Approvers = append(ca.Approvers, activities.Approver{ID: ap.ID, Name: ap.Name, Email: ap.Email})
		}
		req.Client = &ca
	}
	return s.decideOn(ctx, p, "", workflows.ReviewUpdate, req)
}

// CancelPost stops a post before it is published.
func (s *Service) CancelPost(ctx context.Context, actor *store.User, id, reason string) (*store.PostDetail, error) {
	return s.decide(ctx, actor, ActPostCancel, id, "", workflows.CancelUpdate, workflows.CancelRequest{Actor: Actor(actor), Reason: reason})
}

func validDecision(decision, comment string) error {
	switch decision {
	case greenlight.DecisionApprove:
	case greenlight.DecisionRequestChanges:
		if strings.TrimSpace(comment) == "" {
			return greenlight.Errorf(greenlight.EINVALID, "comment: required when requesting changes")
		}
	default:
		return greenlight.Errorf(greenlight.EINVALID, "decision: must be approve or request_changes")
	}
	if utf8.RuneCountInString(comment) > 5000 {
		return greenlight.Errorf(greenlight.EINVALID, "comment: at most 5000 characters")
	}
	return nil
}

// decide sends an Update to the workflow of a post the actor may act on, waits for its
// outcome and returns the post as recorded.
func (s *Service) decide(ctx context.Context, actor *store.User, act Action, id, updateID, name string, arg any) (*store.PostDetail, error) {
	p, err := s.loadPost(ctx, actor, act, id)
	if err != nil {
		return nil, err
	}
	return s.decideOn(ctx, p, updateID, name, arg)
}

// decideOn is decide for a post already loaded and checked.
func (s *Service) decideOn(ctx context.Context, p *store.Post, updateID, name string, arg any) (*store.PostDetail, error) {
	if err := s.update(ctx, p, updateID, name, arg); err != nil {
		return nil, err
	}
	return s.Store.PostDetail(ctx, p.ID)
}

func (s *Service) update(ctx context.Context, p *store.Post, updateID, name string, arg any) error {
	if greenlight.PostStatus(p.Status).Final() {
		return greenlight.Errorf(greenlight.ECONFLICT, "post is %s", p.Status)
	}
	err := s.sendUpdate(ctx, workflows.PostWorkflowID(p.ID), updateID, name, arg, nil)
	if isClosed(err) {
		// The workflow finished between our read and the update: report its final state.
		if cur, rerr := s.Store.Post(ctx, p.ID); rerr == nil {
			return greenlight.Errorf(greenlight.ECONFLICT, "post is %s", cur.Status)
		}
	}
	return err
}

// sendUpdate sends an Update and waits for its outcome. A closed workflow's NotFound error
// is returned as is for callers to explain; others become domain errors.
func (s *Service) sendUpdate(ctx context.Context, workflowID, updateID, name string, arg, out any) error {
	ctx, cancel := context.WithTimeout(ctx, s.decisionTimeout())
	defer cancel()
	h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateID: updateID, UpdateName: name, Args: []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(ctx, out)
	}
	if isClosed(err) {
		return err
	}
	return fromTemporal(err)
}

// Calendar returns the scheduled and published posts the user may see in [from, to).
func (s *Service) Calendar(ctx context.Context, actor *store.User, clientID string, from, to time.Time) ([]store.Post, error) {
	if err := s.listing(actor, ActPostsList, clientID); err != nil {
		return nil, err
	}
	if to.Sub(from) > 62*24*time.Hour {
		return nil, greenlight.Errorf(greenlight.EINVALID, "range: at most two months")
	}
	return s.Store.PostsBetween(ctx, Scope(actor), clientID, from, to)
}

// PostCounts counts visible posts by status.
func (s *Service) PostCounts(ctx context.Context, actor *store.User, clientID string) (map[string]int, error) {
	if err := s.listing(actor, ActPostsList, clientID); err != nil {
		return nil, err
	}
	return s.Store.CountPostsByStatus(ctx, store.PostFilter{Scope: Scope(actor), ClientID: clientID})
}
