package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/greenlight/greenlight"
)

// Portal is a lasting link for one approver of one client: their page of waiting,
// scheduled and published posts and past decisions. Only the token's SHA-256 is kept. A
// (client, approver) has at most one active portal (revoked_at empty): sending a new one
// revokes the previous in the same transaction. Revoked rows are kept so that their link
// answers "revoked" rather than "unknown".
type Portal struct {
	ID            string
	TokenHash     string
	ClientID      string
	ApproverID    string
	ApproverEmail string
	CreatedBy     string
	CreatedAt     time.Time
	ExpiresAt     time.Time
	RevokedAt     *time.Time
}

// portalOutbox keeps the token of a portal whose email is not known to be sent yet, so
// that the worker sending it (and a retry) can write the link; the row goes once the email
// is sent, or with its portal's revocation.
type portalOutbox struct {
	PortalID  string `gorm:"primaryKey"`
	Token     string
	CreatedAt time.Time
}

func (portalOutbox) TableName() string { return "portal_outbox" }

// CreatePortal stores p as the approver's one active portal, in one transaction: the
// previous active portal of (p.ClientID, p.ApproverID) is revoked, the approver's calendar
// feed of the client is replaced by feed (which belongs to p), and token is kept in the
// outbox for the email. Two concurrent creations for one approver: one is ECONFLICT.
func (s *Store) CreatePortal(ctx context.Context, p *Portal, token string, feed *CalendarFeed) error {
	err := s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := revokeActive(tx, p.ClientID, p.ApproverID, p.ApproverEmail, p.CreatedAt); err != nil {
			return err
		}
		if err := tx.Create(p).Error; err != nil {
			return err
		}
		if err := tx.Create(&portalOutbox{PortalID: p.ID, Token: token, CreatedAt: p.CreatedAt}).Error; err != nil {
			return err
		}
		feed.PortalID, feed.ClientID = &p.ID, &p.ClientID
		return tx.Create(feed).Error
	})
	if isUnique(err) {
		return greenlight.Errorf(greenlight.ECONFLICT, "a portal for this approver was sent at the same moment; try again")
	}
	return wrap(err, "create portal")
}

// revokeActive revokes the active portal of an approver of a client (if any), deletes its
// unsent email token and the approver's calendar feed of the client, and reports how many
// portals it revoked.
func revokeActive(tx *gorm.DB, clientID, approverID, email string, at time.Time) (int64, error) {
	var ids []string
	if err := tx.Model(&Portal{}).Where("client_id = ? AND approver_id = ? AND revoked_at IS NULL", clientID, approverID).
		Pluck("id", &ids).Error; err != nil {
		return 0, err
	}
	if len(ids) > 0 {
		if err := tx.Model(&Portal{}).Where("id IN ?", ids).Update("revoked_at", at.UTC()).Error; err != nil {
			return 0, err
		}
		if err := tx.Where("portal_id IN ?", ids).Delete(&portalOutbox{}).Error; err != nil {
			return 0, err
		}
	}
	// The approver's feed of this client, from this portal or minted before portals existed.
	if err := tx.Where("client_id = ? AND approver_email = ?", clientID, email).Delete(&CalendarFeed{}).Error; err != nil {
		return 0, err
	}
	return int64(len(ids)), nil
}

// RevokePortal revokes the active portal of an approver of a client, with its calendar
// feed; none active is ENOTFOUND.
func (s *Store) RevokePortal(ctx context.Context, clientID, approverID, email string, at time.Time) error {
	return wrap(s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		n, err := revokeActive(tx, clientID, approverID, email, at)
		if err != nil {
			return err
		}
		if n == 0 {
			return greenlight.Errorf(greenlight.ENOTFOUND, "this approver has no active portal")
		}
		return nil
	}), "revoke portal")
}

// Portal returns a portal by id, or ENOTFOUND.
func (s *Store) Portal(ctx context.Context, id string) (*Portal, error) {
	var p Portal
	return &p, wrap(s.ctx(ctx).Where("id = ?", id).Take(&p).Error, "portal")
}

// PortalByHash returns the portal whose token hashes to hash (active or not), or ENOTFOUND.
func (s *Store) PortalByHash(ctx context.Context, hash string) (*Portal, error) {
	var p Portal
	return &p, wrap(s.ctx(ctx).Where("token_hash = ?", hash).Take(&p).Error, "portal")
}

// ActivePortals returns the unrevoked portals of a client's approvers (expired ones
// included), by approver.
func (s *Store) ActivePortals(ctx context.Context, clientID string) ([]Portal, error) {
	var out []Portal
	err := s.ctx(ctx).Where("client_id = ? AND revoked_at IS NULL", clientID).Order("approver_id").Find(&out).Error
	return out, wrap(err, "portals")
}

// PortalEmailToken returns the token the email of portal id must carry while it is not
// sent, or ENOTFOUND (sent already, or the portal was revoked or replaced).
func (s *Store) PortalEmailToken(ctx context.Context, portalID string) (string, error) {
	var ob portalOutbox
	if err := s.ctx(ctx).Where("portal_id = ?", portalID).Take(&ob).Error; err != nil {
		return "", wrap(err, "portal email")
	}
	return ob.Token, nil
}

// PortalEmailSent forgets the token of portal id's email: the email is sent.
func (s *Store) PortalEmailSent(ctx context.Context, portalID string) error {
	return wrap(s.ctx(ctx).Where("portal_id = ?", portalID).Delete(&portalOutbox{}).Error, "portal email sent")
}

// OpenApproverLinks returns an approver's unused approval links for posts of a client,
// newest first: what may wait for their decision (the caller checks each post's state).
func (s *Store) OpenApproverLinks(ctx context.Context, clientID, approverID string, limit int) ([]Link, error) {
	var out []Link
	err := s.ctx(ctx).Where("subject_kind = 'post' AND approver_id = ? AND used_at IS NULL AND subject_id IN (?)", approverID,
		s.ctx(ctx).Model(&Post{}).Select("id").Where("client_id = ? AND status = ?", clientID, string(greenlight.StatusAwaitingClient))).
		Order("created_at DESC, id").Limit(limit).Find(&out).Error
	return out, wrap(err, "open links")
}

// AwaitingApprover returns a client's posts awaiting the client on which approverID has
// made no decision since the current version was last sent to the client, soonest to
// publish first. (Whether the approver was asked for this version is the workflow's to
// check when they decide.)
func (s *Store) AwaitingApprover(ctx context.Context, clientID, approverID string, limit int) ([]Post, error) {
	var out []Post
	err := s.ctx(ctx).Where(`client_id = ? AND status = ? AND NOT EXISTS (
		SELECT 1 FROM post_decisions d WHERE d.post_id = posts.id AND d.version = posts.version AND d.stage = 'client'
		AND d.actor_kind = 'approver' AND d.actor_id = ? AND d.at >= COALESCE((SELECT MAX(e.at) FROM post_events e
			WHERE e.post_id = posts.id AND e.version = posts.version AND e.action = 'client_approval_requested'), d.at))`,
		clientID, string(greenlight.StatusAwaitingClient), approverID).
		Order("publish_at, id").Limit(limit).Find(&out).Error
	return out, wrap(err, "posts awaiting the approver")
}

// DecisionLink returns the link stored under l.EffectKey, storing l first when there is
// none: the record of a decision made without an emailed link (from a portal), so that it
// goes through the links' path and the certificate names it. l's token hash must belong to
// no token anyone holds.
func (s *Store) DecisionLink(ctx context.Context, l *Link) (*Link, error) {
	if err := s.ctx(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(l).Error; err != nil {
		return nil, wrap(err, "decision link")
	}
	var out Link
	return &out, wrap(s.ctx(ctx).Where("effect_key = ?", l.EffectKey).Take(&out).Error, "decision link")
}

// PublishedPosts returns a client's published posts, most recently published first.
func (s *Store) PublishedPosts(ctx context.Context, clientID string, limit int) ([]Post, error) {
	var out []Post
	err := s.ctx(ctx).Where("client_id = ? AND status = ?", clientID, string(greenlight.StatusPublished)).
		Order("published_at DESC, id").Limit(limit).Find(&out).Error
	return out, wrap(err, "published posts")
}

// ApproverDecision is a client approver's decision with its post's title.
type ApproverDecision struct {
	PostDecision
	Title string
}

// ApproverDecisions returns the decisions an approver made on a client's posts, newest
// first.
func (s *Store) ApproverDecisions(ctx context.Context, clientID, approverID string, limit int) ([]ApproverDecision, error) {
	var out []ApproverDecision
	err := s.ctx(ctx).Table("post_decisions AS d").Select("d.*, p.title").
		Joins("JOIN posts p ON p.id = d.post_id").
		Where("p.client_id = ? AND d.actor_kind = 'approver' AND d.actor_id = ?", clientID, approverID).
		Order("d.at DESC, d.post_id, d.seq").Limit(limit).Scan(&out).Error
	return out, wrap(err, "approver decisions")
}
