package store

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
)

// SaveLink stores a link under its effect key. A link already stored for that key (an
// email whose sending was retried) gets the new token hash and expiry, so only the token
// in the email that was finally sent works.
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
