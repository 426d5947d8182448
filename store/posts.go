package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// PostRecord is what a post workflow writes after each step: the new projection and the
// rows the step added. Writing it twice is harmless.
type PostRecord struct {
	Post       Post
	NewVersion *PostVersion
	Decisions  []PostDecision
	Events     []PostEvent
	// Outbox holds the webhook events the step's history lines stand for (see emit).
	Outbox []Event
}

// RecordPost applies r in one transaction. The projection only moves forward: a record
// whose revision is not newer than the stored one leaves the row as is (a retried or
// reordered write), while its versions, decisions and events are inserted if missing.
func (s *Store) RecordPost(ctx context.Context, r PostRecord) error {
	return wrap(s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		p := r.Post
		res := tx.Model(&Post{}).Where("id = ? AND revision < ?", p.ID, p.Revision).Updates(map[string]any{
			"title": p.Title, "body": p.Body, "channels": p.Channels, "media_urls": p.MediaURLs, "media": p.Media,
			"publish_at": p.PublishAt, "status": p.Status, "version": p.Version,
			"reminder_after": p.ReminderAfter, "escalate_after": p.EscalateAfter, "held": p.Held,
			"published_at": p.PublishedAt, "revision": p.Revision, "updated_at": p.UpdatedAt,
		})
		if res.Error != nil {
			return res.Error
		}
		ignore := func() *gorm.DB { return tx.Clauses(clause.OnConflict{DoNothing: true}) }
		if res.RowsAffected == 0 {
			if err := ignore().Create(&p).Error; err != nil {
				return err
			}
		}
		if r.NewVersion != nil {
			if err := ignore().Create(r.NewVersion).Error; err != nil {
				return err
			}
		}
		if len(r.Decisions) > 0 {
			if err := ignore().Create(&r.Decisions).Error; err != nil {
				return err
			}
		}
		if len(r.Events) > 0 {
			if err := ignore().Create(&r.Events).Error; err != nil {
				return err
			}
		}
		return emit(tx, r.Outbox)
	}), "record post")
}

// Post returns a post's projection, or ENOTFOUND.
func (s *Store) Post(ctx context.Context, id string) (*Post, error) {
	var p Post
	if err := s.ctx(ctx).Where("id = ?", id).Take(&p).Error; err != nil {
		return nil, wrap(err, "post")
	}
	return &p, nil
}

// PostDetail is a post with everything that happened to it.
type PostDetail struct {
	Post
	Versions  []PostVersion
	Decisions []PostDecision
	Events    []PostEvent
	// ChannelResults is the publication of the current version on each of its channels
	// (see CurrentChannels).
	ChannelResults []PostChannel
}

// PostDetail returns a post with its versions, decisions, history and channels, or
// ENOTFOUND.
func (s *Store) PostDetail(ctx context.Context, id string) (*PostDetail, error) {
	p, err := s.Post(ctx, id)
	if err != nil {
		return nil, err
	}
	d := &PostDetail{Post: *p}
	if err := s.ctx(ctx).Where("post_id = ?", id).Order("version").Find(&d.Versions).Error; err != nil {
		return nil, wrap(err, "post versions")
	}
	if err := s.ctx(ctx).Where("post_id = ?", id).Order("seq").Find(&d.Decisions).Error; err != nil {
		return nil, wrap(err, "post decisions")
	}
	if err := s.ctx(ctx).Where("post_id = ?", id).Order("seq").Find(&d.Events).Error; err != nil {
		return nil, wrap(err, "post history")
	}
	if d.ChannelResults, err = s.CurrentChannels(ctx, p); err != nil {
		return nil, err
	}
	return d, nil
}

// PostVersion returns one saved version, or ENOTFOUND.
func (s *Store) PostVersion(ctx context.Context, postID string, version int) (*PostVersion, error) {
	var v PostVersion
	if err := s.ctx(ctx).Where("post_id = ? AND version = ?", postID, version).Take(&v).Error; err != nil {
		return nil, wrap(err, "post version")
	}
	return &v, nil
}

// PostFilter selects posts for a list page. Scope, when non-empty, limits the clients.
type PostFilter struct {
	Scope    []string
	ClientID string
	Status   string
	Search   string
	Cursor   string // list posts with ids before this one
	Limit    int
}

// ListPosts returns up to f.Limit posts, newest first, and the cursor of the next page
// ("" when this page is the last).
func (s *Store) ListPosts(ctx context.Context, f PostFilter) ([]Post, string, error) {
	q := s.ctx(ctx).Model(&Post{}).Order("id DESC").Limit(f.Limit + 1)
	if len(f.Scope) > 0 {
		q = q.Where("client_id IN ?", f.Scope)
	}
	if f.ClientID != "" {
		q = q.Where("client_id = ?", f.ClientID)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Search != "" {
		like := "%" + escapeLike(f.Search) + "%"
		q = q.Where("(LOWER(title) LIKE LOWER(?) ESCAPE '\\' OR LOWER(body) LIKE LOWER(?) ESCAPE '\\')", like, like)
	}
	if f.Cursor != "" {
		q = q.Where("id < ?", f.Cursor)
	}
	var ps []Post
	if err := q.Find(&ps).Error; err != nil {
		return nil, "", wrap(err, "posts")
	}
	next := ""
	if len(ps) > f.Limit {
		ps = ps[:f.Limit]
		next = ps[len(ps)-1].ID
	}
	return ps, next, nil
}

// CountPostsByStatus returns how many posts each status holds within the filter's scope
// and client (the filter's status, search and paging are ignored).
func (s *Store) CountPostsByStatus(ctx context.Context, f PostFilter) (map[string]int, error) {
	q := s.ctx(ctx).Model(&Post{}).Select("status, COUNT(*) AS n").Group("status")
	if len(f.Scope) > 0 {
		q = q.Where("client_id IN ?", f.Scope)
	}
	if f.ClientID != "" {
		q = q.Where("client_id = ?", f.ClientID)
	}
	var rows []struct {
		Status string
		N      int
	}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, wrap(err, "post counts")
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

func escapeLike(s string) string {
	r := make([]rune, 0, len(s))
	for _, c := range s {
		if c == '%' || c == '_' || c == '\\' {
			r = append(r, '\\')
		}
		r = append(r, c)
	}
	return string(r)
}

// PostsHeldFor returns the ids of the client's posts currently held by a crisis.
func (s *Store) PostsHeldFor(ctx context.Context, clientID string) ([]string, error) {
	var ids []string
	err := s.ctx(ctx).Model(&Post{}).Where("client_id = ? AND held = ?", clientID, true).Order("id").Pluck("id", &ids).Error
	return ids, wrap(err, "held posts")
}

// PostsBetween returns scheduled and published posts whose publish time is in [from, to),
// by publish time, for the calendar.
func (s *Store) PostsBetween(ctx context.Context, scope []string, clientID string, from, to time.Time) ([]Post, error) {
	q := s.ctx(ctx).Where("publish_at >= ? AND publish_at < ? AND status IN ?", from.UTC(), to.UTC(),
		[]string{"scheduled", "published"}).Order("publish_at, id").Limit(2000)
	if len(scope) > 0 {
		q = q.Where("client_id IN ?", scope)
	}
	if clientID != "" {
		q = q.Where("client_id = ?", clientID)
	}
	var ps []Post
	return ps, wrap(q.Find(&ps).Error, "calendar posts")
}
