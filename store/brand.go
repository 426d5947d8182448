package store

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// ClientSettings are the client columns UpdateClientSettings may change, by column name
// (time_zone, language, sender_name, brand_color, logo_media_id, reminder_after,
// escalate_after).
type ClientSettings map[string]any

// UpdateClientSettings changes the given columns of a client; an unknown client is
// ENOTFOUND.
func (s *Store) UpdateClientSettings(ctx context.Context, id string, set ClientSettings) error {
	if len(set) == 0 {
		var n int64
		if err := s.ctx(ctx).Model(&Client{}).Where("id = ?", id).Count(&n).Error; err != nil {
			return wrap(err, "client")
		}
		if n == 0 {
			return wrap(gorm.ErrRecordNotFound, "client")
		}
		return nil
	}
	res := s.ctx(ctx).Model(&Client{}).Where("id = ?", id).Updates(map[string]any(set))
	if res.Error != nil {
		return wrap(res.Error, "update client")
	}
	if res.RowsAffected == 0 {
		return wrap(gorm.ErrRecordNotFound, "client")
	}
	return nil
}

// LastPostEvent returns the latest event of a post's version with the given action, or
// ENOTFOUND.
func (s *Store) LastPostEvent(ctx context.Context, postID string, version int, action string) (*PostEvent, error) {
	var e PostEvent
	err := s.ctx(ctx).Where("post_id = ? AND version = ? AND action = ?", postID, version, action).Order("seq DESC").Take(&e).Error
	if err != nil {
		return nil, wrap(err, "post event")
	}
	return &e, nil
}

// ApprovalRecords is what approval insights are computed from, for one client.
type ApprovalRecords struct {
	// Requests are the client_approval_requested events in the range.
	Requests []PostEvent
	// Decisions are the client approvers' decisions on the posts requested in the range,
	// and on the posts due in it (any date).
	Decisions []PostDecision
	// Due are the posts whose publish time falls in the range.
	Due []Post
}

// ClientApprovalRecords reads a client's approval requests made in [from, to), the client
// decisions on those posts and the posts due in [from, to).
func (s *Store) ClientApprovalRecords(ctx context.Context, clientID string, from, to time.Time) (*ApprovalRecords, error) {
	out := &ApprovalRecords{}
	posts := s.ctx(ctx).Model(&Post{}).Select("id").Where("client_id = ?", clientID)
	err := s.ctx(ctx).Where("post_id IN (?) AND action = ? AND at >= ? AND at < ?", posts, "client_approval_requested", from.UTC(), to.UTC()).
		Order("at, post_id, seq").Find(&out.Requests).Error
	if err != nil {
		return nil, wrap(err, "approval requests")
	}
	if err := s.ctx(ctx).Where("client_id = ? AND publish_at >= ? AND publish_at < ?", clientID, from.UTC(), to.UTC()).
		Order("publish_at, id").Find(&out.Due).Error; err != nil {
		return nil, wrap(err, "due posts")
	}
	ids := map[string]bool{}
	var list []string
	for _, e := range out.Requests {
		if !ids[e.PostID] {
			ids[e.PostID] = true
			list = append(list, e.PostID)
		}
	}
	for _, p := range out.Due {
		if !ids[p.ID] {
			ids[p.ID] = true
			list = append(list, p.ID)
		}
	}
	for start := 0; start < len(list); start += 500 {
		end := min(start+500, len(list))
		var ds []PostDecision
		if err := s.ctx(ctx).Where("post_id IN ? AND stage = ?", list[start:end], "client").Order("post_id, seq").Find(&ds).Error; err != nil {
			return nil, wrap(err, "client decisions")
		}
		out.Decisions = append(out.Decisions, ds...)
	}
	return out, nil
}
