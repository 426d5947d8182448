package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// linkOutbox keeps the token of a link whose email is not known to be sent yet, so that a
// retried send carries the same link (the links table keeps only the token's hash). The
// row goes when FinishEffect marks the email sent, or with its link.
type linkOutbox struct {
	EffectKey string `gorm:"primaryKey"`
	LinkID    string
	Token     string
	CreatedAt time.Time
}

func (linkOutbox) TableName() string { return "link_outbox" }

// LinkForEmail returns the link, and its token, that the email sent under l.EffectKey
// carries. The first call stores l, whose TokenHash is the hash of token, and keeps token in
// the outbox, in one transaction. A later call for the same key (a retried send: the first
// email may have gone out although its attempt failed) returns the same link and token
// while that link is unexpired, so no copy of the email carries a dead link. A link stored
// for the key that cannot be resent (expired, or stored without an outbox row) takes l's
// token hash and expiry instead.
func (s *Store) LinkForEmail(ctx context.Context, l *Link, token string, now time.Time) (*Link, string, error) {
	out, outToken := *l, token
	err := s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&out)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 { // a link exists for this email
			var cur Link // a fresh value: Take would add the primary key of out to the query
			if err := tx.Where("effect_key = ?", l.EffectKey).Take(&cur).Error; err != nil {
				return err
			}
			out = cur
			var ob linkOutbox
			err := tx.Where("effect_key = ? AND link_id = ?", l.EffectKey, out.ID).Take(&ob).Error
			switch {
			case err == nil && out.ExpiresAt.After(now):
				outToken = ob.Token
				return nil
			case err != nil && !errors.Is(err, gorm.ErrRecordNotFound):
				return err
			}
			out.TokenHash, out.ExpiresAt, out.CreatedAt = l.TokenHash, l.ExpiresAt, l.CreatedAt
			if err := tx.Model(&Link{}).Where("id = ?", out.ID).Updates(map[string]any{
				"token_hash": l.TokenHash, "expires_at": l.ExpiresAt, "created_at": l.CreatedAt,
			}).Error; err != nil {
				return err
			}
		}
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "effect_key"}},
			DoUpdates: clause.AssignmentColumns([]string{"link_id", "token", "created_at"}),
		}).Create(&linkOutbox{EffectKey: l.EffectKey, LinkID: out.ID, Token: token, CreatedAt: now}).Error
	})
	if err != nil {
		return nil, "", wrap(err, "link for email")
	}
	return &out, outToken, nil
}

// SaveLink stores a link under its effect key. A link already stored for that key gets
// the new token hash and expiry. Emails use LinkForEmail, which keeps the first token.
func (s *Store) SaveLink(ctx context.Context, l *Link) error {
	err := s.ctx(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "effect_key"}},
		DoUpdates: clause.AssignmentColumns([]string{"token_hash", "expires_at", "created_at"}),
	}).Create(l).Error
	return wrap(err, "save link")
}

// LinkByTokenHash returns the link whose token hashes to hash, or ENOTFOUND.
func (s *Store) LinkByTokenHash(ctx context.Context, hash string) (*Link, error) {
	var l Link
	if err := s.ctx(ctx).Where("token_hash = ?", hash).Take(&l).Error; err != nil {
		return nil, wrap(err, "link")
	}
	return &l, nil
}

// MarkLinkUsed sets used_at on a link once; it reports whether this call set it.
func (s *Store) MarkLinkUsed(ctx context.Context, id string, at time.Time) (bool, error) {
	res := s.ctx(ctx).Model(&Link{}).Where("id = ? AND used_at IS NULL", id).Update("used_at", at)
	return res.RowsAffected == 1, wrap(res.Error, "mark link used")
}

// MarkApproverLinksUsed marks every link of an approver for one subject version used:
// after a decision, the reminder's link and the first one are spent alike.
func (s *Store) MarkApproverLinksUsed(ctx context.Context, kind, subjectID string, version int, approverID string, at time.Time) error {
	err := s.ctx(ctx).Model(&Link{}).
		Where("subject_kind = ? AND subject_id = ? AND version = ? AND approver_id = ? AND used_at IS NULL", kind, subjectID, version, approverID).
		Update("used_at", at).Error
	return wrap(err, "mark links used")
}
