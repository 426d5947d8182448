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

// Column sizes of post_channels (migration 11): longer values are cut to fit.
const (
	maxRemoteID = 500
	maxURL      = 2000
	maxError    = 2000
)

// SavePostChannel inserts or replaces the row of (post, version, channel). Values longer
// than their columns are cut (a network's message, an unusual id).
func (s *Store) SavePostChannel(ctx context.Context, c *PostChannel) error {
	c.RemoteID, c.URL, c.Error = cut(c.RemoteID, maxRemoteID), cut(c.URL, maxURL), cut(c.Error, maxError)
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

// PostChannel returns the row of (post, version, channel), or ENOTFOUND when that channel
// was never tried.
func (s *Store) PostChannel(ctx context.Context, postID string, version int, channel string) (*PostChannel, error) {
	var c PostChannel
	if err := s.ctx(ctx).Where("post_id = ? AND version = ? AND channel = ?", postID, version, channel).Take(&c).Error; err != nil {
		return nil, wrap(err, "post channel")
	}
	return &c, nil
}

// CurrentChannels returns the publication of p's current version on each of its channels,
// in the post's order: a channel not tried yet is pending. Rows of channels the version no
// longer names are left out.
func (s *Store) CurrentChannels(ctx context.Context, p *Post) ([]PostChannel, error) {
	rows, err := s.PostChannels(ctx, p.ID, p.Version)
	if err != nil {
		return nil, err
	}
	return ChannelStatuses(p, rows), nil
}

// ChannelStatuses merges the rows of p's current version into one entry per channel of
// p, in p's order; a channel without a row is pending.
func ChannelStatuses(p *Post, rows []PostChannel) []PostChannel {
	out := make([]PostChannel, 0, len(p.Channels))
	for _, ch := range p.Channels {
		c := PostChannel{PostID: p.ID, Version: p.Version, Channel: ch, Status: ChannelPending}
		for _, r := range rows {
			if r.Channel == ch && r.Version == p.Version {
				c = r
				break
			}
		}
		out = append(out, c)
	}
	return out
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
