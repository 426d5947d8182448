package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/greenlight/greenlight"
)

// CalendarFeed is a secret calendar subscription. Only the token's SHA-256 is kept: the
// URL is shown once. A staff feed has UserID and shows that user's clients; an approver
// feed (for the client portal) has ClientID and ApproverEmail and shows that client only.
type CalendarFeed struct {
	TokenHash     string `gorm:"primaryKey"`
	UserID        *string
	ApproverEmail *string
	ClientID      *string
	// PortalID is the client portal an approver feed belongs to: it works while that
	// portal does, and goes with it.
	PortalID  *string
	CreatedAt time.Time
}

// CreateCalendarFeed stores a new feed; a user (or approver of a client) that already has
// one is ECONFLICT.
func (s *Store) CreateCalendarFeed(ctx context.Context, f *CalendarFeed) error {
	err := s.ctx(ctx).Create(f).Error
	if isUnique(err) {
		return greenlight.Errorf(greenlight.ECONFLICT, "a calendar feed exists, revoke it first")
	}
	return wrap(err, "create calendar feed")
}

// UserCalendarFeed returns a user's feed, or ENOTFOUND.
func (s *Store) UserCalendarFeed(ctx context.Context, userID string) (*CalendarFeed, error) {
	var f CalendarFeed
	return &f, wrap(s.ctx(ctx).Where("user_id = ?", userID).Take(&f).Error, "calendar feed")
}

// CalendarFeedByHash returns the feed whose token hashes to hash, or ENOTFOUND.
func (s *Store) CalendarFeedByHash(ctx context.Context, hash string) (*CalendarFeed, error) {
	var f CalendarFeed
	return &f, wrap(s.ctx(ctx).Where("token_hash = ?", hash).Take(&f).Error, "calendar feed")
}

// DeleteUserCalendarFeed revokes a user's feed; revoking none is ENOTFOUND.
func (s *Store) DeleteUserCalendarFeed(ctx context.Context, userID string) error {
	res := s.ctx(ctx).Where("user_id = ?", userID).Delete(&CalendarFeed{})
	if res.Error != nil {
		return wrap(res.Error, "delete calendar feed")
	}
	if res.RowsAffected == 0 {
		return greenlight.Errorf(greenlight.ENOTFOUND, "calendar feed not found")
	}
	return nil
}

// DeleteApproverCalendarFeed revokes an approver's feed of a client; none is ENOTFOUND.
func (s *Store) DeleteApproverCalendarFeed(ctx context.Context, clientID, email string) error {
	res := s.ctx(ctx).Where("client_id = ? AND approver_email = ?", clientID, email).Delete(&CalendarFeed{})
	if res.Error != nil {
		return wrap(res.Error, "delete calendar feed")
	}
	if res.RowsAffected == 0 {
		return greenlight.Errorf(greenlight.ENOTFOUND, "calendar feed not found")
	}
	return nil
}

// Kinds of listening source.
const (
	SourceRSS     = "rss"
	SourceWebhook = "webhook"
)

// Poll outcomes recorded on a source.
const (
	PollOK          = "ok"
	PollNotModified = "not_modified"
	PollError       = "error"
)

// ListeningSource is where a client's mentions come from: a feed Greenlight polls (rss:
// RSS 2.0 or Atom) or a signed inbound webhook. SecretSealed is the webhook's signing
// secret sealed by the secrets box (HMAC needs the secret itself, so it cannot be a hash).
type ListeningSource struct {
	ID           string     `json:"id"`
	ClientID     string     `json:"client_id"`
	Kind         string     `json:"kind"`
	URL          string     `json:"url,omitempty"`
	EverySeconds int        `json:"every_seconds,omitempty"`
	Keywords     StringList `json:"keywords"`
	SecretSealed string     `json:"-"`
	ETag         string     `json:"-" gorm:"column:etag"`
	LastModified string     `json:"-"`
	LastPolledAt *time.Time `json:"last_polled_at"`
	LastStatus   string     `json:"last_status"`
	LastError    string     `json:"last_error"`
	LastItemAt   *time.Time `json:"last_item_at"`
	ItemCount    int        `json:"item_count"`
	CreatedBy    string     `json:"created_by"`
	CreatedAt    time.Time  `json:"created_at"`
}

// SourceItem records that an item of a source was seen (deduplication by GUID or link).
type SourceItem struct {
	SourceID  string `gorm:"primaryKey"`
	ItemKey   string `gorm:"primaryKey"`
	MentionID string
	SeenAt    time.Time
}

// CreateSource stores a listening source.
func (s *Store) CreateSource(ctx context.Context, src *ListeningSource) error {
	return wrap(s.ctx(ctx).Create(src).Error, "create source")
}

// Source returns a source, or ENOTFOUND.
func (s *Store) Source(ctx context.Context, id string) (*ListeningSource, error) {
	var src ListeningSource
	return &src, wrap(s.ctx(ctx).Where("id = ?", id).Take(&src).Error, "source")
}

// Sources returns a client's sources, oldest first.
func (s *Store) Sources(ctx context.Context, clientID string) ([]ListeningSource, error) {
	var out []ListeningSource
	return out, wrap(s.ctx(ctx).Where("client_id = ?", clientID).Order("id").Find(&out).Error, "sources")
}

// DeleteSource removes a client's source with its seen items; an unknown one is ENOTFOUND.
func (s *Store) DeleteSource(ctx context.Context, clientID, id string) error {
	return wrap(s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("source_id = ?", id).Delete(&SourceItem{}).Error; err != nil {
			return err
		}
		res := tx.Where("client_id = ? AND id = ?", clientID, id).Delete(&ListeningSource{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return greenlight.Errorf(greenlight.ENOTFOUND, "source not found")
		}
		return nil
	}), "delete source")
}

// PollRecord is the outcome of one poll of a source.
type PollRecord struct {
	At           time.Time
	Status       string // PollOK, PollNotModified or PollError
	Error        string
	ETag         string // kept only when Status is PollOK
	LastModified string
}

// RecordPoll writes a poll's outcome on the source. The validators (ETag, Last-Modified)
// change only on a successful poll, so a failed one is retried in full next time.
func (s *Store) RecordPoll(ctx context.Context, sourceID string, r PollRecord) error {
	set := map[string]any{"last_polled_at": r.At.UTC(), "last_status": r.Status, "last_error": r.Error}
	if r.Status == PollOK {
		set["etag"], set["last_modified"] = r.ETag, r.LastModified
	}
	return wrap(s.ctx(ctx).Model(&ListeningSource{}).Where("id = ?", sourceID).Updates(set).Error, "record poll")
}

// SourceMention is a mention with the key of the feed item it came from.
type SourceMention struct {
	ItemKey string
	Mention Mention
}

// InsertSourceMentions stores the mentions of items the source has not seen before, in one
// transaction, and returns those stored. An item seen before (same key) is skipped, so a
// poll that runs twice stores each item once. The source's item count and last item time
// follow.
func (s *Store) InsertSourceMentions(ctx context.Context, sourceID string, items []SourceMention, now time.Time) ([]Mention, error) {
	var stored []Mention
	err := s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		stored = stored[:0]
		var last *time.Time
		for _, it := range items {
			res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&SourceItem{
				SourceID: sourceID, ItemKey: it.ItemKey, MentionID: it.Mention.ID, SeenAt: now.UTC()})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				continue
			}
			m := it.Mention
			if err := tx.Create(&m).Error; err != nil {
				return err
			}
			stored = append(stored, m)
			if last == nil || m.At.After(*last) {
				at := m.At
				last = &at
			}
		}
		if len(stored) == 0 {
			return nil
		}
		up := tx.Model(&ListeningSource{}).Where("id = ?", sourceID).
			Update("item_count", gorm.Expr("item_count + ?", len(stored)))
		if up.Error != nil {
			return up.Error
		}
		return tx.Model(&ListeningSource{}).Where("id = ? AND (last_item_at IS NULL OR last_item_at < ?)", sourceID, last.UTC()).
			Update("last_item_at", last.UTC()).Error
	})
	return stored, wrap(err, "insert source mentions")
}

// CountSourceItems records on a webhook source that it delivered ms (already stored):
// item count, last item time, and the delivery as its last successful contact.
func (s *Store) CountSourceItems(ctx context.Context, sourceID string, ms []Mention) error {
	if len(ms) == 0 {
		return nil
	}
	last := ms[0].At
	for _, m := range ms {
		if m.At.After(last) {
			last = m.At
		}
	}
	return wrap(s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&ListeningSource{}).Where("id = ?", sourceID).Updates(map[string]any{
			"item_count": gorm.Expr("item_count + ?", len(ms)), "last_polled_at": ms[0].CreatedAt.UTC(),
			"last_status": PollOK, "last_error": "",
		}).Error; err != nil {
			return err
		}
		return tx.Model(&ListeningSource{}).Where("id = ? AND (last_item_at IS NULL OR last_item_at < ?)", sourceID, last.UTC()).
			Update("last_item_at", last.UTC()).Error
	}), "count source items")
}
