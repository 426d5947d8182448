package store

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
)

// Channel publication statuses.
const (
	ChannelPending     = "pending"     // not published yet (waiting for its time, a rate limit, a retry)
	ChannelPublished   = "published"   // live on the network; RemoteID and URL say where
	ChannelFailed      = "failed"      // refused or given up; Error says why
	ChannelUnconfirmed = "unconfirmed" // the create may have happened and cannot be checked: a person decides
)

// PostChannel is the publication of one version of a post on one channel.
type PostChannel struct {
	PostID    string    `json:"-"`
	Version   int       `json:"version"`
	Channel   string    `json:"channel"`
	AccountID string    `json:"account_id"` // "" when the channel goes to the client's webhook
	Status    string    `json:"status"`
	RemoteID  string    `json:"remote_id"`
	URL       string    `json:"url"`
	Error     string    `json:"error"`
	Attempts  int       `json:"attempts"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SavePostChannel inserts or replaces the row of (post, version, channel).
func (s *Store) SavePostChannel(ctx context.Context, c *PostChannel) error {
	return wrap(s.ctx(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "post_id"}, {Name: "version"}, {Name: "channel"}},
		DoUpdates: clause.AssignmentColumns([]string{"account_id", "status", "remote_id", "url", "error", "attempts", "updated_at"}),
	}).Create(c).Error, "save post channel")
}

// PostChannels returns the channels of one version of a post, by channel name.
func (s *Store) PostChannels(ctx context.Context, postID string, version int) ([]PostChannel, error) {
	var out []PostChannel
	err := s.ctx(ctx).Where("post_id = ? AND version = ?", postID, version).Order("channel").Find(&out).Error
	return out, wrap(err, "post channels")
}
