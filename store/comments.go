package store

import (
	"context"
	"time"
)

// Comment visibilities.
const (
	// CommentInternal is seen by staff only: never on a client page or in a client email.
	CommentInternal = "internal"
	// CommentClient is seen by staff and by the client's approvers.
	CommentClient = "client"
)

// Comment is a note on a post, made on one version by a staff user or, from their approval
// link, by a client approver.
type Comment struct {
	ID         string    `json:"id"`
	PostID     string    `json:"post_id"`
	Version    int       `json:"version"`
	Visibility string    `json:"visibility"`
	AuthorKind string    `json:"author_kind"` // "user" or "approver"
	AuthorID   string    `json:"author_id"`
	AuthorName string    `json:"author_name"`
	LinkID     string    `json:"link_id,omitempty"` // the approval link a client commented through
	Body       string    `json:"body"`
	CreatedAt  time.Time `json:"created_at"`
}

// TableName names the comments table.
func (Comment) TableName() string { return "post_comments" }

// AddComment stores a new comment.
func (s *Store) AddComment(ctx context.Context, c *Comment) error {
	return wrap(s.ctx(ctx).Create(c).Error, "add comment")
}

// Comments returns a post's comments, oldest first. With visibilities given, only those
// are returned: client pages ask for CommentClient alone, so an internal comment cannot
// reach them.
func (s *Store) Comments(ctx context.Context, postID string, visibilities ...string) ([]Comment, error) {
	q := s.ctx(ctx).Where("post_id = ?", postID)
	if len(visibilities) > 0 {
		q = q.Where("visibility IN ?", visibilities)
	}
	var out []Comment
	err := q.Order("created_at, id").Find(&out).Error
	return out, wrap(err, "comments")
}

// MarkLinkDecided records that the decision of link id's approver was made with this link.
// It keeps the first time.
func (s *Store) MarkLinkDecided(ctx context.Context, id string, at time.Time) error {
	err := s.ctx(ctx).Model(&Link{}).Where("id = ? AND decided_at IS NULL", id).Update("decided_at", at).Error
	return wrap(err, "mark link decided")
}

// DecisionLinks returns the links of approverID for one version of a subject that were
// used, the one that carried the decision first.
func (s *Store) DecisionLinks(ctx context.Context, kind, subjectID string, version int, approverID string) ([]Link, error) {
	var out []Link
	err := s.ctx(ctx).Where("subject_kind = ? AND subject_id = ? AND version = ? AND approver_id = ? AND used_at IS NOT NULL",
		kind, subjectID, version, approverID).
		Order("CASE WHEN decided_at IS NULL THEN 1 ELSE 0 END, created_at, id").Find(&out).Error
	return out, wrap(err, "decision links")
}
