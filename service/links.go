package service

import (
	"context"
	"strings"
	"time"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/brand"
	"github.com/greenlight/greenlight/store"
	"github.com/greenlight/greenlight/workflows"
)

// Link states shown on the approval page.
const (
	LinkOpen     = "open"     // the approver can decide
	LinkUsed     = "used"     // a decision was made with this approver's link
	LinkExpired  = "expired"  // past its expiry
	LinkReplaced = "replaced" // there is a newer version
	LinkClosed   = "closed"   // no longer waiting for this approver
)

// LinkView is what an approval link shows: the exact version it is for and its state. Kind
// is "post" or "statement" (a crisis holding statement).
type LinkView struct {
	State     string
	Message   string
	Link      *store.Link
	Kind      string
	Title     string
	Body      string
	Channels  []string
	MediaURLs []string    // versions saved before the media library
	Media     []MediaView // the version's files, in order, with signed URLs (relative: same site)
	Digest    string      // what the decision applies to: the version's text and files
	PublishAt *time.Time
	Version   int
	Client    string
	Crisis    string // the playbook title, for statements
	Status    string // the post's or statement's status
	// Published lists where this version is live (post channels published with a link).
	Published []PublishedLink
	// Look is the client's language, zone, colours and logo: the page is written with it.
	Look brand.Look
	// EscalateAt, for a post waiting for the client, is when the agency's team is alerted
	// if nobody has decided (nil when that comes after the publish time or has passed).
	EscalateAt *time.Time
}

// PublishedLink is one channel where a version went live.
type PublishedLink struct {
	Channel string `json:"channel"`
	URL     string `json:"url"`
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

// linkSubject is what deciding on a link needs: the link and the state of its subject.
type linkSubject struct {
	link     *store.Link
	clientID string
	current  int    // the subject's current version
	status   string // the post's or statement's status
	awaiting bool   // the subject waits for approvers' decisions
}

// lookupLink finds a link by token and reads its subject's state (two queries). An unknown
// token is ENOTFOUND.
func (s *Service) lookupLink(ctx context.Context, token string) (*linkSubject, error) {
	notFound := greenlight.Errorf(greenlight.ENOTFOUND, "This approval link is not valid. Check that you copied the whole link from the email.")
	if token == "" || len(token) > 200 {
		return nil, notFound
	}
	l, err := s.Store.LinkByTokenHash(ctx, greenlight.HashToken(token))
	if greenlight.IsCode(err, greenlight.ENOTFOUND) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	if l.SubjectKind == ReviewKind { // a batch link works on /review only
		return nil, notFound
	}
	ls := &linkSubject{link: l}
	switch l.SubjectKind {
	case "statement":
		st, err := s.Store.Statement(ctx, l.SubjectID)
		if err != nil {
			return nil, err
		}
		ls.clientID, ls.current, ls.status = st.ClientID, st.Version, st.Status
		ls.awaiting = st.Status == workflows.StatementAwaiting
	default:
		p, err := s.Store.Post(ctx, l.SubjectID)
		if err != nil {
			return nil, err
		}
		ls.clientID, ls.current, ls.status = p.ClientID, p.Version, p.Status
		ls.awaiting = greenlight.PostStatus(p.Status) == greenlight.StatusAwaitingClient
	}
	return ls, nil
}

// state says what the link allows now, and why not when it does not.
func (ls *linkSubject) state(now time.Time) (string, string) {
	l := ls.link
	switch {
	case l.UsedAt != nil:
		return LinkUsed, "This link was already used: your decision on this version is recorded."
	case ls.current != l.Version:
		return LinkReplaced, "This version was replaced by a newer one. You will receive a new link when it is ready for your approval."
	case !now.Before(l.ExpiresAt):
		return LinkExpired, "This link has expired. Ask the agency for a new one."
	case !ls.awaiting:
		return LinkClosed, closedMessage(l.SubjectKind, ls.status)
	}
	return LinkOpen, ""
}

// OpenLink looks a link up and reports what it shows: the exact version it is for and its
// state. It never writes: mail scanners open links too. An unknown token is ENOTFOUND.
func (s *Service) OpenLink(ctx context.Context, token string) (*LinkView, error) {
	ls, err := s.lookupLink(ctx, token)
	if err != nil {
		return nil, err
	}
	l := ls.link
	v := &LinkView{Link: l, Kind: l.SubjectKind, Version: l.Version, Status: ls.status}
	switch l.SubjectKind {
	case "statement":
		st, err := s.Store.Statement(ctx, l.SubjectID)
		if err != nil {
			return nil, err
		}
		c, err := s.Store.Crisis(ctx, st.CrisisID)
		if err != nil {
			return nil, err
		}
		v.Title, v.Crisis, v.Channels, v.Body = "Holding statement", c.PlaybookTitle, st.Channels, st.Body
	default:
		p, err := s.Store.Post(ctx, l.SubjectID)
		if err != nil {
			return nil, err
		}
		if err := s.postVersionView(ctx, p, l.Version, v); err != nil {
			return nil, err
		}
	}
	client, err := s.Store.Client(ctx, ls.clientID)
	if err != nil {
		return nil, err
	}
	v.Client = client.Name
	v.Look = s.ClientLook(ctx, client)
	v.State, v.Message = ls.state(s.now())
	if v.Kind == "post" && v.State == LinkOpen {
		if v.EscalateAt, err = s.escalationTime(ctx, l); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// postVersionView fills v with what client pages show of one version of post p: its text,
// channels, media (signed URLs) and where it is live.
func (s *Service) postVersionView(ctx context.Context, p *store.Post, version int, v *LinkView) error {
	ver, err := s.Store.PostVersion(ctx, p.ID, version)
	if err != nil {
		return err
	}
	v.Title, v.Body, v.Channels, v.MediaURLs, v.PublishAt = ver.Title, ver.Body, ver.Channels, ver.MediaURLs, &p.PublishAt
	v.Digest = ver.Digest
	chans, err := s.Store.PostChannels(ctx, p.ID, version)
	if err != nil {
		return err
	}
	for _, c := range chans {
		if c.Status == store.ChannelPublished && c.URL != "" {
			v.Published = append(v.Published, PublishedLink{Channel: c.Channel, URL: c.URL})
		}
	}
	if len(ver.Media) > 0 {
		set, err := s.MediaSet(ctx, ver.Media)
		if err != nil {
			return err
		}
		v.Media = set.Views(ver.Media)
	}
	return nil
}

// escalationTime is when the post of an open link escalates to the agency's team: its
// escalation delay after the approval request of the link's version; nil when that is past
// or not before the publish time (the post expires first).
func (s *Service) escalationTime(ctx context.Context, l *store.Link) (*time.Time, error) {
	p, err := s.Store.Post(ctx, l.SubjectID)
	if err != nil {
		return nil, err
	}
	req, err := s.Store.LastPostEvent(ctx, l.SubjectID, l.Version, "client_approval_requested")
	if greenlight.IsCode(err, greenlight.ENOTFOUND) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	at := req.At.Add(p.EscalateAfter)
	if !at.After(s.now()) || !at.Before(p.PublishAt) {
		return nil, nil
	}
	return &at, nil
}

func closedMessage(kind, status string) string {
	if kind == "statement" {
		switch status {
		case workflows.StatementApproved, workflows.StatementPublished, workflows.StatementReady:
			return "This statement was already approved; no decision is needed any more."
		case workflows.StatementWithdrawn:
			return "The crisis was resolved and this statement withdrawn."
		case workflows.StatementChangesRequested:
			return "Changes were requested on this version; a new one will be sent to you."
		}
		return "This statement is not waiting for your approval right now."
	}
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

// Decision is the outcome of a decision made from a link.
type Decision struct {
	Kind    string // "post" or "statement"
	Version int
	Status  string // the post's or statement's status after the decision
}

// DecideLink records an approver's decision from their link: the workflow's validator
// refuses replaced versions and second decisions, then the link is marked used. Retrying
// the same link gets the same outcome (the Update ID is the link's). A link that does not
// allow a decision answers with its state's error (EGONE, or ECONFLICT when closed).
func (s *Service) DecideLink(ctx context.Context, token, decision, comment string) (*Decision, error) {
	ls, err := s.lookupLink(ctx, token)
	if err != nil {
		return nil, err
	}
	return s.decideThrough(ctx, ls, decision, comment)
}

// decideThrough records an approver's decision through their link ls (an emailed link, or the
// one a portal decides through).
func (s *Service) decideThrough(ctx context.Context, ls *linkSubject, decision, comment string) (*Decision, error) {
	if state, msg := ls.state(s.now()); state != LinkOpen {
		v := LinkView{State: state, Message: msg}
		return nil, v.Err()
	}
	comment = strings.TrimSpace(comment)
	if err := validDecision(decision, comment); err != nil {
		return nil, err
	}
	l := ls.link
	req := workflows.ClientDecisionRequest{
		Approver: greenlight.Actor{Kind: "approver", ID: l.ApproverID, Name: l.ApproverName},
		Version:  l.Version, Decision: decision, Comment: comment,
	}
	workflowID := workflows.PostWorkflowID(l.SubjectID)
	if l.SubjectKind == "statement" {
		workflowID = workflows.StatementWorkflowID(l.SubjectID)
	}
	var view workflows.PostView
	err := s.sendUpdate(ctx, workflowID, "link:"+l.ID, workflows.ClientDecisionUpdate, req, &view)
	if isClosed(err) {
		err = greenlight.Errorf(greenlight.ECONFLICT, "%s", closedMessage(l.SubjectKind, ""))
	}
	if err != nil && !greenlight.IsCode(err, greenlight.EGONE) {
		return nil, err
	}
	// Decided now or before: every link of this approver for this version is spent.
	if merr := s.Store.MarkApproverLinksUsed(ctx, l.SubjectKind, l.SubjectID, l.Version, l.ApproverID, s.now()); merr != nil {
		s.Log.Error("mark links used", "link", l.ID, "error", merr)
	}
	if err != nil {
		return nil, err
	}
	if merr := s.Store.MarkLinkDecided(ctx, l.ID, s.now()); merr != nil { // the certificate names it
		s.Log.Error("mark link decided", "link", l.ID, "error", merr)
	}
	s.Log.Info("link decision", "kind", l.SubjectKind, "subject", l.SubjectID, "version", l.Version, "approver", l.ApproverID, "decision", decision)
	return &Decision{Kind: l.SubjectKind, Version: l.Version, Status: string(view.Status)}, nil
}
