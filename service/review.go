package service

import (
	"context"
	"sort"
	"strings"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/brand"
	"github.com/greenlight/greenlight/store"
	"github.com/greenlight/greenlight/workflows"
)

// ReviewKind is the subject kind of a batch review link (a digest email's link): its
// SubjectID names the review, whose items are the post versions it is for.
const ReviewKind = "review"

// Review item states, beside LinkOpen, LinkReplaced and LinkClosed.
const (
	ReviewDecided = "decided" // this approver decided on this version
)

// ReviewView is what a batch review link shows: one approver, the post versions of the
// batch, each with its state. It is open while at least one item is.
type ReviewView struct {
	Link     *store.Link
	Client   string
	Approver string
	Items    []ReviewPost
	Open     int  // items still waiting for this approver
	Expired  bool // the link is past its expiry
	// Look is the client's language, zone, colours and logo: the page is written with it.
	Look brand.Look
}

// ReviewPost is one post version of a batch, shown as its per-post link would show it.
type ReviewPost struct {
	PostID   string
	Round    int
	View     LinkView // State says whether it can be decided here
	Comments []store.Comment
}

// ReviewDecision is one decision posted from a batch page.
type ReviewDecision struct {
	PostID   string
	Decision string
	Comment  string
}

// ReviewResult is what became of one post of a batch POST: its status after the decision
// ("scheduled", "awaiting_client", "changes_requested"), or why it was not decided
// ("replaced", "decided", "closed").
type ReviewResult struct {
	PostID string `json:"post_id"`
	Status string `json:"status"`
}

var errReviewGone = greenlight.Errorf(greenlight.EGONE, "Nothing in this batch waits for your decision any more: every post was decided, replaced or expired.")

// OpenReview reads a batch review link: every post version it is for, with its full
// text, media and state. It never writes. An unknown token is ENOTFOUND; an expired link,
// or one where nothing waits any more, is EGONE (with the view, for the page to say why).
func (s *Service) OpenReview(ctx context.Context, token string) (*ReviewView, error) {
	notFound := greenlight.Errorf(greenlight.ENOTFOUND, "This review link is not valid. Check that you copied the whole link from the email.")
	if token == "" || len(token) > 200 {
		return nil, notFound
	}
	l, err := s.Store.LinkByTokenHash(ctx, greenlight.HashToken(token))
	if greenlight.IsCode(err, greenlight.ENOTFOUND) || err == nil && l.SubjectKind != ReviewKind {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	items, err := s.Store.ReviewItems(ctx, l.SubjectID)
	if err != nil {
		return nil, err
	}
	rv := &ReviewView{Link: l, Approver: l.ApproverName}
	expired := !s.now().Before(l.ExpiresAt)
	rv.Expired = expired
	for _, it := range items {
		p, err := s.Store.Post(ctx, it.PostID)
		if err != nil {
			return nil, err
		}
		if rv.Client == "" {
			c, err := s.Store.Client(ctx, p.ClientID)
			if err != nil {
				return nil, err
			}
			rv.Client = c.Name
			rv.Look = s.ClientLook(ctx, c)
		}
		rp := ReviewPost{PostID: it.PostID, Round: it.Round,
			View: LinkView{Link: l, Kind: "post", Version: it.Version, Status: p.Status, Client: rv.Client, Look: rv.Look}}
		if err := s.postVersionView(ctx, p, it.Version, &rp.View); err != nil {
			return nil, err
		}
		decided, err := s.Store.ClientDecided(ctx, it.PostID, it.Version, it.Round, l.ApproverID)
		if err != nil {
			return nil, err
		}
		v := &rp.View
		switch {
		case p.Version != it.Version:
			v.State, v.Message = LinkReplaced, "This post was edited since the email: you will receive the new version for approval."
		case decided:
			v.State, v.Message = ReviewDecided, "Your decision on this version is recorded."
		case greenlight.PostStatus(p.Status) != greenlight.StatusAwaitingClient:
			v.State, v.Message = LinkClosed, closedMessage("post", p.Status)
		case expired:
			v.State, v.Message = LinkExpired, "This link has expired. Ask the agency for a new one."
		default:
			v.State = LinkOpen
			rv.Open++
		}
		if rp.Comments, err = s.Store.Comments(ctx, it.PostID, store.CommentClient); err != nil {
			return nil, err
		}
		rv.Items = append(rv.Items, rp)
	}
	// In the order they publish: a week reads as a week.
	sort.SliceStable(rv.Items, func(i, j int) bool {
		return rv.Items[i].View.PublishAt.Before(*rv.Items[j].View.PublishAt)
	})
	if rv.Open == 0 {
		return rv, errReviewGone
	}
	return rv, nil
}

// DecideReview records an approver's decisions from a batch page, each sent to its post's
// workflow as the per-post link sends it (ClientDecisionUpdate, validated there against
// the exact version; the Update ID names the review link and the post, so a retried POST
// gets the same outcome). Every decision is checked first: a post not in the batch, an
// unknown decision or a request for changes without a comment is EINVALID naming the
// field, and nothing is sent. A post of the batch that can no longer be decided here is
// answered with its state ("replaced", "decided", "closed", "expired") and left alone.
// A link where nothing waits any more is EGONE.
//
// approveRest ("approve all remaining") adds an approval for every post still open that
// decisions do not name.
func (s *Service) DecideReview(ctx context.Context, token string, decisions []ReviewDecision, approveRest bool) ([]ReviewResult, error) {
	rv, err := s.OpenReview(ctx, token)
	if err != nil {
		return nil, err
	}
	byPost := map[string]*ReviewPost{}
	for i := range rv.Items {
		byPost[rv.Items[i].PostID] = &rv.Items[i]
	}
	if approveRest {
		named := map[string]bool{}
		for _, d := range decisions {
			named[d.PostID] = true
		}
		for _, it := range rv.Items {
			if it.View.State == LinkOpen && !named[it.PostID] {
				decisions = append(decisions, ReviewDecision{PostID: it.PostID, Decision: greenlight.DecisionApprove})
			}
		}
	}
	if len(decisions) == 0 {
		return nil, greenlight.Errorf(greenlight.EINVALID, "decisions: choose approve or request changes for at least one post")
	}
	for i, d := range decisions {
		if byPost[d.PostID] == nil {
			return nil, greenlight.Errorf(greenlight.EINVALID, "decision_%s: this post is not in the batch", d.PostID)
		}
		decisions[i].Comment = strings.TrimSpace(d.Comment)
		switch d.Decision {
		case greenlight.DecisionApprove:
		case greenlight.DecisionRequestChanges:
			if decisions[i].Comment == "" {
				return nil, greenlight.Errorf(greenlight.EINVALID, "comment_%s: required when requesting changes", d.PostID)
			}
		default:
			return nil, greenlight.Errorf(greenlight.EINVALID, "decision_%s: must be approve or request_changes", d.PostID)
		}
		if len(decisions[i].Comment) > 5000 {
			return nil, greenlight.Errorf(greenlight.EINVALID, "comment_%s: at most 5000 characters", d.PostID)
		}
	}
	l := rv.Link
	approver := greenlight.Actor{Kind: "approver", ID: l.ApproverID, Name: l.ApproverName}
	out := make([]ReviewResult, 0, len(decisions))
	for _, d := range decisions {
		it := byPost[d.PostID]
		if it.View.State != LinkOpen {
			out = append(out, ReviewResult{PostID: d.PostID, Status: it.View.State})
			continue
		}
		req := workflows.ClientDecisionRequest{Approver: approver, Version: it.View.Version, Decision: d.Decision, Comment: d.Comment}
		var view workflows.PostView
		err := s.sendUpdate(ctx, workflows.PostWorkflowID(d.PostID), "review:"+l.ID+":"+d.PostID, workflows.ClientDecisionUpdate, req, &view)
		switch {
		case err == nil:
			out = append(out, ReviewResult{PostID: d.PostID, Status: string(view.Status)})
		case greenlight.IsCode(err, greenlight.EGONE):
			// Replaced or decided since the page was read.
			out = append(out, ReviewResult{PostID: d.PostID, Status: LinkReplaced})
			continue
		case isClosed(err) || greenlight.IsCode(err, greenlight.ECONFLICT):
			out = append(out, ReviewResult{PostID: d.PostID, Status: LinkClosed})
			continue
		default:
			return nil, err
		}
		// The per-post links of this approver for this version are spent too.
		if merr := s.Store.MarkApproverLinksUsed(ctx, "post", d.PostID, it.View.Version, l.ApproverID, s.now()); merr != nil {
			s.Log.Error("mark links used", "review", l.ID, "post", d.PostID, "error", merr)
		}
		if d.Comment != "" { // the thread shows it, on the version it was made on
			c := &store.Comment{ID: greenlight.NewID("cmt_"), PostID: d.PostID, Version: it.View.Version, Visibility: store.CommentClient,
				AuthorKind: "approver", AuthorID: l.ApproverID, AuthorName: l.ApproverName, LinkID: l.ID, Body: d.Comment, CreatedAt: s.now()}
			if cerr := s.Store.AddComment(ctx, c); cerr != nil {
				s.Log.Error("review comment", "review", l.ID, "post", d.PostID, "error", cerr)
			}
		}
		s.Log.Info("review decision", "review", l.ID, "post", d.PostID, "version", it.View.Version, "approver", l.ApproverID, "decision", d.Decision)
	}
	return out, nil
}
