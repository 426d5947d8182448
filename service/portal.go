package service

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/certificate"
	"github.com/greenlight/greenlight/store"
	"github.com/greenlight/greenlight/workflows"
)

// Client portals: a lasting link /portal/{token} for one approver of one client, sent by
// staff (admins and the client's editors) and emailed by the worker. The token (prefix
// glp_) is random; only its SHA-256 is stored. Sending again makes a new portal and revokes
// the previous one; revoking or expiry makes the link answer 410. Everything a portal shows
// is read through a *PortalAccess, which holds the portal's client and approver: every
// query is limited to that client, and reads only what a client may see (posts waiting for
// this approver, scheduled and published posts, this approver's own decisions), never
// drafts, internal reviews or comments, or other clients.

// PortalTokenPrefix starts every portal token.
const PortalTokenPrefix = "glp_"

// DefaultPortalTTL is how long a portal link works unless configured.
const DefaultPortalTTL = 90 * 24 * time.Hour

// How much a portal lists.
const (
	portalWaitingMax   = 200
	portalPublishedMax = 50
	portalDecisionsMax = 100
)

// PortalSent is a portal just sent: its token (shown once) and expiry.
type PortalSent struct {
	PortalID  string
	Token     string
	ExpiresAt time.Time
}

func (s *Service) portalTTL() time.Duration {
	if s.PortalTTL > 0 {
		return s.PortalTTL
	}
	return DefaultPortalTTL
}

// PortalFeedToken is the calendar feed token of the portal whose token is portalToken: the
// portal shows the feed's URL on every visit although only hashes are stored, and knowing
// the feed's URL does not open the portal.
func PortalFeedToken(portalToken string) string {
	h := sha256.Sum256([]byte("greenlight portal calendar\x00" + portalToken))
	return CalendarTokenPrefix + base64.RawURLEncoding.EncodeToString(h[:])
}

// SendPortal makes a new portal for an approver (by id or email) of a client, revoking
// the approver's previous one (its link stops working), and has the worker email the link.
// The portal exists once this returns, even when the email could not be queued
// (EUNAVAILABLE): sending again makes another one.
func (s *Service) SendPortal(ctx context.Context, actor *store.User, clientID, approver string) (*PortalSent, error) {
	c, err := s.loadClient(ctx, actor, ActPortalSend, clientID)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(c.Approvers, func(a store.Approver) bool {
		return a.ID == approver || strings.EqualFold(a.Email, approver)
	})
	if i < 0 {
		return nil, greenlight.Errorf(greenlight.ENOTFOUND, "approver not found")
	}
	ap := c.Approvers[i]
	token, hash := greenlight.NewToken(PortalTokenPrefix)
	now := s.now()
	p := &store.Portal{ID: greenlight.NewID("ptl_"), TokenHash: hash, ClientID: c.ID, ApproverID: ap.ID,
		ApproverEmail: strings.ToLower(ap.Email), CreatedBy: actor.ID, CreatedAt: now, ExpiresAt: now.Add(s.portalTTL())}
	addr := p.ApproverEmail
	feed := &store.CalendarFeed{TokenHash: greenlight.HashToken(PortalFeedToken(token)), ApproverEmail: &addr, CreatedAt: now}
	if err := s.Store.CreatePortal(ctx, p, token, feed); err != nil {
		return nil, err
	}
	s.Log.Info("portal sent", "client", c.ID, "approver", ap.ID, "portal", p.ID, "by", actor.ID)
	if err := s.queuePortalEmail(ctx, p.ID); err != nil {
		return nil, err
	}
	return &PortalSent{PortalID: p.ID, Token: token, ExpiresAt: p.ExpiresAt}, nil
}

func (s *Service) queuePortalEmail(ctx context.Context, portalID string) error {
	_, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.PortalEmailWorkflowID(portalID), TaskQueue: s.TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, workflows.PortalEmail, activities.PortalEmailInput{PortalID: portalID})
	return fromTemporal(err)
}

// RevokePortal revokes an approver's active portal (the approver given by id, or by email
// while still an approver) with its calendar feed. None active is ENOTFOUND.
func (s *Service) RevokePortal(ctx context.Context, actor *store.User, clientID, approver string) error {
	c, err := s.loadClient(ctx, actor, ActPortalRevoke, clientID)
	if err != nil {
		return err
	}
	ps, err := s.Store.ActivePortals(ctx, c.ID)
	if err != nil {
		return err
	}
	for _, a := range c.Approvers {
		if strings.EqualFold(a.Email, approver) {
			approver = a.ID
		}
	}
	for _, p := range ps {
		if p.ApproverID == approver {
			if err := s.Store.RevokePortal(ctx, c.ID, p.ApproverID, p.ApproverEmail, s.now()); err != nil {
				return err
			}
			s.Log.Info("portal revoked", "client", c.ID, "approver", p.ApproverID, "portal", p.ID, "by", actor.ID)
			return nil
		}
	}
	return greenlight.Errorf(greenlight.ENOTFOUND, "this approver has no active portal")
}

// ClientPortals returns the unrevoked portals of a client's approvers (for its staff page).
func (s *Service) ClientPortals(ctx context.Context, actor *store.User, clientID string) ([]store.Portal, error) {
	if _, err := s.loadClient(ctx, actor, ActClientRead, clientID); err != nil {
		return nil, err
	}
	return s.Store.ActivePortals(ctx, clientID)
}

// PortalAccess is an open portal: the one client and approver its reads are limited to.
// Only OpenPortal makes one.
type PortalAccess struct {
	Portal   *store.Portal
	Client   *store.Client
	Approver store.Approver
	// FeedToken is the portal's calendar feed token (see PortalFeedToken).
	FeedToken string
}

// OpenPortal checks a portal token. Unknown is ENOTFOUND; revoked, expired, or for an
// approver no longer of the client is EGONE, with a message for the page.
func (s *Service) OpenPortal(ctx context.Context, token string) (*PortalAccess, error) {
	if !strings.HasPrefix(token, PortalTokenPrefix) || len(token) > 200 {
		return nil, greenlight.Errorf(greenlight.ENOTFOUND, "This portal link is not valid. Check that you copied the whole link from the email.")
	}
	p, err := s.Store.PortalByHash(ctx, greenlight.HashToken(token))
	if greenlight.IsCode(err, greenlight.ENOTFOUND) {
		return nil, greenlight.Errorf(greenlight.ENOTFOUND, "This portal link is not valid. Check that you copied the whole link from the email.")
	} else if err != nil {
		return nil, err
	}
	switch {
	case p.RevokedAt != nil:
		return nil, greenlight.Errorf(greenlight.EGONE, "This portal link was revoked or replaced by a newer one. Use the latest link the agency sent you, or ask them for a new one.")
	case !s.now().Before(p.ExpiresAt):
		return nil, greenlight.Errorf(greenlight.EGONE, "This portal link has expired. Ask the agency for a new one.")
	}
	c, err := s.Store.Client(ctx, p.ClientID)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(c.Approvers, func(a store.Approver) bool { return a.ID == p.ApproverID })
	if i < 0 {
		return nil, greenlight.Errorf(greenlight.EGONE, "You are no longer an approver of this client, so this portal is closed.")
	}
	return &PortalAccess{Portal: p, Client: c, Approver: c.Approvers[i], FeedToken: PortalFeedToken(token)}, nil
}

// PortalPost is a post as a portal shows it: one version, never internal data.
type PortalPost struct {
	ID          string
	Title       string
	Body        string
	Channels    []string
	Media       []MediaView
	Version     int
	Status      string
	PublishAt   time.Time
	PublishedAt *time.Time
	// Live lists the channels where the version is published, with their URLs.
	Live []PublishedLink
}

// PortalWaiting returns the posts waiting for this approver's decision, soonest to
// publish first: the client's posts awaiting the client on whose current version the
// approver has not decided. The deadline to decide is the publish time (the post expires
// then, unpublished).
func (s *Service) PortalWaiting(ctx context.Context, acc *PortalAccess) ([]PortalPost, error) {
	posts, err := s.Store.AwaitingApprover(ctx, acc.Client.ID, acc.Approver.ID, portalWaitingMax)
	if err != nil {
		return nil, err
	}
	out := make([]PortalPost, 0, len(posts))
	for i := range posts {
		pp, err := s.portalPost(ctx, &posts[i], posts[i].Version)
		if err != nil {
			return nil, err
		}
		out = append(out, pp)
	}
	return out, nil
}

// portalPost reads version v of p with its media and live channels.
func (s *Service) portalPost(ctx context.Context, p *store.Post, v int) (PortalPost, error) {
	ver, err := s.Store.PostVersion(ctx, p.ID, v)
	if err != nil {
		return PortalPost{}, err
	}
	pp := PortalPost{ID: p.ID, Title: ver.Title, Body: ver.Body, Channels: ver.Channels, Version: v, Status: p.Status,
		PublishAt: p.PublishAt, PublishedAt: p.PublishedAt}
	if len(ver.Media) > 0 {
		set, err := s.MediaSet(ctx, ver.Media)
		if err != nil {
			return PortalPost{}, err
		}
		pp.Media = set.Views(ver.Media)
	}
	chans, err := s.Store.PostChannels(ctx, p.ID, v)
	if err != nil {
		return PortalPost{}, err
	}
	for _, c := range chans {
		if c.Status == store.ChannelPublished && c.URL != "" {
			pp.Live = append(pp.Live, PublishedLink{Channel: c.Channel, URL: c.URL})
		}
	}
	return pp, nil
}

// PortalPublished returns the client's published posts, most recent first, with the
// links to where they are live.
func (s *Service) PortalPublished(ctx context.Context, acc *PortalAccess) ([]PortalPost, error) {
	ps, err := s.Store.PublishedPosts(ctx, acc.Client.ID, portalPublishedMax)
	if err != nil {
		return nil, err
	}
	out := make([]PortalPost, 0, len(ps))
	for i := range ps {
		pp, err := s.portalPost(ctx, &ps[i], ps[i].Version)
		if err != nil {
			return nil, err
		}
		out = append(out, pp)
	}
	return out, nil
}

// PortalCalendar returns the client's scheduled and published posts publishing in
// [from, to), by publish time.
func (s *Service) PortalCalendar(ctx context.Context, acc *PortalAccess, from, to time.Time) ([]store.Post, error) {
	if to.Sub(from) > 62*24*time.Hour {
		return nil, greenlight.Errorf(greenlight.EINVALID, "at most two months at a time")
	}
	return s.Store.PostsBetween(ctx, nil, acc.Client.ID, from, to)
}

// PortalDecisions returns this approver's own decisions on the client's posts, newest
// first, with the version and comment of each.
func (s *Service) PortalDecisions(ctx context.Context, acc *PortalAccess) ([]store.ApproverDecision, error) {
	return s.Store.ApproverDecisions(ctx, acc.Client.ID, acc.Approver.ID, portalDecisionsMax)
}

// PortalDecide records the approver's decision on a waiting post from their portal,
// through the same path as an emailed link: through the approver's open link for the
// post's current version, or, when they have none (expired, or the post came in a batch
// email), through a link recorded now for this decision under the key
// portal/<portal>/<post>/v<version>, whose token nobody holds. The workflow's validator
// checks the version, the state and that this approver was asked; the link is marked
// used and the certificate names it. A post of another client is ENOTFOUND; one not
// waiting for this approver's decision is ECONFLICT (EGONE once decided).
func (s *Service) PortalDecide(ctx context.Context, acc *PortalAccess, postID, decision, comment string) (*Decision, error) {
	if !greenlight.ValidID("pst_", postID) {
		return nil, greenlight.Errorf(greenlight.ENOTFOUND, "post not found")
	}
	p, err := s.Store.Post(ctx, postID)
	if err != nil {
		return nil, err
	}
	if p.ClientID != acc.Client.ID {
		return nil, greenlight.Errorf(greenlight.ENOTFOUND, "post not found")
	}
	if greenlight.PostStatus(p.Status) != greenlight.StatusAwaitingClient {
		return nil, greenlight.Errorf(greenlight.ECONFLICT, "%s", closedMessage("post", p.Status))
	}
	if err := validDecision(decision, strings.TrimSpace(comment)); err != nil {
		return nil, err
	}
	now := s.now()
	links, err := s.Store.OpenApproverLinks(ctx, acc.Client.ID, acc.Approver.ID, portalWaitingMax)
	if err != nil {
		return nil, err
	}
	var link *store.Link
	for i, l := range links {
		if l.SubjectID == p.ID && l.Version == p.Version && now.Before(l.ExpiresAt) && (link == nil || l.ExpiresAt.After(link.ExpiresAt)) {
			link = &links[i]
		}
	}
	if link == nil {
		_, unheld := greenlight.NewToken("")
		a := acc.Approver
		link, err = s.Store.DecisionLink(ctx, &store.Link{ID: greenlight.NewID("lnk_"), TokenHash: unheld,
			EffectKey:   fmt.Sprintf("portal/%s/%s/v%d", acc.Portal.ID, p.ID, p.Version),
			SubjectKind: "post", SubjectID: p.ID, Version: p.Version, ApproverID: a.ID, ApproverName: a.Name, ApproverEmail: a.Email,
			ExpiresAt: now.Add(time.Hour), CreatedAt: now})
		if err != nil {
			return nil, err
		}
	}
	ls := &linkSubject{link: link, clientID: p.ClientID, current: p.Version, status: p.Status, awaiting: true}
	d, err := s.decideThrough(ctx, ls, decision, comment)
	if greenlight.IsCode(err, greenlight.EFORBIDDEN) { // the workflow did not ask this approver for this version
		return nil, greenlight.Errorf(greenlight.ECONFLICT, "This post is not waiting for your decision.")
	}
	return d, err
}

// PortalCertificate returns the certificate of approval of one of the client's approved
// posts (scheduled or published), the same staff download. Other posts are ENOTFOUND.
func (s *Service) PortalCertificate(ctx context.Context, acc *PortalAccess, postID string) (*certificate.Certificate, error) {
	missing := greenlight.Errorf(greenlight.ENOTFOUND, "post not found")
	if !greenlight.ValidID("pst_", postID) {
		return nil, missing
	}
	p, err := s.Store.Post(ctx, postID)
	if greenlight.IsCode(err, greenlight.ENOTFOUND) {
		return nil, missing
	} else if err != nil {
		return nil, err
	}
	switch greenlight.PostStatus(p.Status) {
	case greenlight.StatusScheduled, greenlight.StatusPublished:
	default:
		return nil, missing
	}
	if p.ClientID != acc.Client.ID {
		return nil, missing
	}
	return s.certificate(ctx, p.ID, acc.Client, clientZone(acc.Client))
}

// portalFeedOpen reports whether the portal a calendar feed belongs to still works.
func (s *Service) portalFeedOpen(ctx context.Context, portalID string) (bool, error) {
	p, err := s.Store.Portal(ctx, portalID)
	if greenlight.IsCode(err, greenlight.ENOTFOUND) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return p.RevokedAt == nil && s.now().Before(p.ExpiresAt), nil
}
