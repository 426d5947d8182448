package service

import (
	"context"
	"strings"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/store"
	"github.com/greenlight/greenlight/workflows"
)

// Link states shown on the approval page.
const (
	LinkOpen     = "open"     // the approver can decide
	LinkUsed     = "used"     // a decision was made with this approver's link
	LinkExpired  = "expired"  // past its expiry
	LinkReplaced = "replaced" // the post has a newer version
	LinkClosed   = "closed"   // the post no longer waits for the client
)

// LinkView is what an approval link shows: the exact version it is for and its state.
type LinkView struct {
	State   string
	Message string
	Link    *store.Link
	Post    *store.Post
	Version *store.PostVersion
	Client  *store.Client
}

// Err returns the domain error matching the view's state (nil when open).
func (v *LinkView) Err() error {
	switch v.State {
	case LinkOpen:
		return nil
	case LinkClosed:
		return greenlight.Errorf(greenlight.ECONFLICT, "%s", v.Message)
	default:
		return greenlight.Errorf(greenlight.EGONE, "%s", v.Message)
	}
}

// OpenLink looks a link up and reports what it shows. It never writes: mail scanners open
// links too. An unknown token is ENOTFOUND.
func (s *Service) OpenLink(ctx context.Context, token string) (*LinkView, error) {
	if token == "" || len(token) > 200 {
		return nil, greenlight.Errorf(greenlight.ENOTFOUND, "This approval link is not valid. Check that you copied the whole link from the email.")
	}
	l, err := s.Store.LinkByTokenHash(ctx, greenlight.HashToken(token))
	if greenlight.IsCode(err, greenlight.ENOTFOUND) {
		return nil, greenlight.Errorf(greenlight.ENOTFOUND, "This approval link is not valid. Check that you copied the whole link from the email.")
	}
	if err != nil {
		return nil, err
	}
	v := &LinkView{Link: l}
	if v.Post, err = s.Store.Post(ctx, l.SubjectID); err != nil {
		return nil, err
	}
	if v.Version, err = s.Store.PostVersion(ctx, l.SubjectID, l.Version); err != nil {
		return nil, err
	}
	if v.Client, err = s.Store.Client(ctx, v.Post.ClientID); err != nil {
		return nil, err
	}
	switch {
	case l.UsedAt != nil:
		v.State, v.Message = LinkUsed, "This link was already used: your decision on this version is recorded."
	case v.Post.Version != l.Version:
		v.State, v.Message = LinkReplaced, "This version was replaced by a newer one. You will receive a new link when it is ready for your approval."
	case !s.now().Before(l.ExpiresAt):
		v.State, v.Message = LinkExpired, "This link has expired. Ask the agency for a new one."
	case greenlight.PostStatus(v.Post.Status) != greenlight.StatusAwaitingClient:
		v.State, v.Message = LinkClosed, closedMessage(v.Post.Status)
	default:
		v.State = LinkOpen
	}
	return v, nil
}

func closedMessage(status string) string {
	switch greenlight.PostStatus(status) {
	case greenlight.StatusScheduled, greenlight.StatusPublished:
		return "This post was already approved; no decision is needed any more."
	case greenlight.StatusCancelled:
		return "This post was cancelled by the agency."
	case greenlight.StatusExpired:
		return "The publish time of this post passed; it will not be published."
	case greenlight.StatusChangesRequested:
		return "Changes were requested on this version; the agency is working on a new one."
	default:
		return "This post is not waiting for your approval right now."
	}
}

// DecideLink records an approver's decision from their link: the workflow's validator
// refuses replaced versions and second decisions, then the link is marked used. Retrying
// the same link gets the same outcome (the Update ID is the link's).
func (s *Service) DecideLink(ctx context.Context, token, decision, comment string) (*LinkView, error) {
	v, err := s.OpenLink(ctx, token)
	if err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return v, err
	}
	comment = strings.TrimSpace(comment)
	if err := validDecision(decision, comment); err != nil {
		return v, err
	}
	l := v.Link
	req := workflows.ClientDecisionRequest{
		Approver: greenlight.Actor{Kind: "approver", ID: l.ApproverID, Name: l.ApproverName},
		Version:  l.Version, Decision: decision, Comment: comment,
	}
	err = s.update(ctx, v.Post, "link:"+l.ID, workflows.ClientDecisionUpdate, req)
	if err != nil && !greenlight.IsCode(err, greenlight.EGONE) {
		return v, err
	}
	// Decided now or before: every link of this approver for this version is spent.
	if merr := s.Store.MarkApproverLinksUsed(ctx, "post", l.SubjectID, l.Version, l.ApproverID, s.now()); merr != nil {
		s.Log.Error("mark links used", "link", l.ID, "error", merr)
	}
	if err != nil {
		return v, err
	}
	if v.Post, err = s.Store.Post(ctx, l.SubjectID); err != nil {
		return nil, err
	}
	s.Log.Info("client decision", "post", l.SubjectID, "version", l.Version, "approver", l.ApproverID, "decision", decision)
	v.State = LinkUsed
	return v, nil
}
