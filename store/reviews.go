package store

import (
	"context"

	"gorm.io/gorm/clause"
)

// ReviewItem is one post version of a batch review (a digest email's link): the link
// itself is a Link of kind "review" whose SubjectID is the review id.
type ReviewItem struct {
	ReviewID string `gorm:"primaryKey"`
	PostID   string `gorm:"primaryKey"`
	Version  int
	Round    int // the client round the version was waiting in
	Position int
}

// SaveReviewItems stores the items of a review; items already stored (a retried send)
// are kept as they are.
func (s *Store) SaveReviewItems(ctx context.Context, items []ReviewItem) error {
	if len(items) == 0 {
		return nil
	}
	err := s.ctx(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&items).Error
	return wrap(err, "save review items")
}

// ReviewItems returns the items of a review in the order of its email.
func (s *Store) ReviewItems(ctx context.Context, reviewID string) ([]ReviewItem, error) {
	var out []ReviewItem
	err := s.ctx(ctx).Where("review_id = ?", reviewID).Order("position, post_id").Find(&out).Error
	return out, wrap(err, "review items")
}

// ClientDecided reports whether approverID recorded a client decision on one version of
// a post in one round.
func (s *Store) ClientDecided(ctx context.Context, postID string, version, round int, approverID string) (bool, error) {
	var n int64
	err := s.ctx(ctx).Model(&PostDecision{}).
		Where("post_id = ? AND version = ? AND round = ? AND stage = 'client' AND actor_id = ?", postID, version, round, approverID).
		Count(&n).Error
	return n > 0, wrap(err, "client decided")
}
