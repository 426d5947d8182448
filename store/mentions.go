package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/greenlight/greenlight"
)

// Mention is one message about a client from a listening feed.
type Mention struct {
	ID        string    `json:"id"`
	ClientID  string    `json:"client_id"`
	Source    string    `json:"source"`
	Author    string    `json:"author"`
	Text      string    `json:"text"`
	URL       string    `json:"url"`
	At        time.Time `json:"at"`
	Sentiment float64   `json:"sentiment"`
	Scored    bool      `json:"scored"` // sentiment came from the feed (else the lexicon)
	CreatedAt time.Time `json:"created_at"`
}

// MentionRule starts a playbook when a client gets at least MinNegative negative mentions
// within WindowMinutes.
type MentionRule struct {
	ID            string    `json:"id"`
	ClientID      string    `json:"client_id"`
	PlaybookKey   string    `json:"playbook"`
	MinNegative   int       `json:"min_negative"`
	WindowMinutes int       `json:"window_minutes"`
	Severity      string    `json:"severity"`
	Enabled       bool      `json:"enabled"`
	CreatedAt     time.Time `json:"created_at"`
}

// PublishingHold is a crisis holding a client's scheduled posts.
type PublishingHold struct {
	ClientID string
	CrisisID string
	Since    time.Time
}

// InsertMentions stores a batch in one transaction.
func (s *Store) InsertMentions(ctx context.Context, ms []Mention) error {
	if len(ms) == 0 {
		return nil
	}
	return wrap(s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		return tx.CreateInBatches(ms, 200).Error
	}), "insert mentions")
}

// MentionCounts are counts over a window.
type MentionCounts struct {
	Total        int     `json:"total"`
	Negative     int     `json:"negative"`
	Neutral      int     `json:"neutral"`
	Positive     int     `json:"positive"`
	AvgSentiment float64 `json:"avg_sentiment"`
}

// CountMentions counts a client's mentions with at >= since, splitting by sentiment: below
// negBelow is negative, above posAbove positive.
func (s *Store) CountMentions(ctx context.Context, clientID string, since time.Time, negBelow, posAbove float64) (MentionCounts, error) {
	var c MentionCounts
	row := s.ctx(ctx).Model(&Mention{}).
		Select("COUNT(*), COALESCE(SUM(CASE WHEN sentiment < ? THEN 1 ELSE 0 END),0), COALESCE(SUM(CASE WHEN sentiment > ? THEN 1 ELSE 0 END),0), COALESCE(AVG(sentiment),0)", negBelow, posAbove).
		Where("client_id = ? AND at >= ?", clientID, since.UTC()).Row()
	if err := row.Scan(&c.Total, &c.Negative, &c.Positive, &c.AvgSentiment); err != nil {
		return c, wrap(err, "count mentions")
	}
	c.Neutral = c.Total - c.Negative - c.Positive
	return c, nil
}

// MentionPoint is a mention's time and score, for series.
type MentionPoint struct {
	At        time.Time
	Sentiment float64
}

// MentionPoints returns a client's mention times and scores in [from, to), oldest first.
func (s *Store) MentionPoints(ctx context.Context, clientID string, from, to time.Time) ([]MentionPoint, error) {
	var ps []MentionPoint
	err := s.ctx(ctx).Model(&Mention{}).Select("at, sentiment").
		Where("client_id = ? AND at >= ? AND at < ?", clientID, from.UTC(), to.UTC()).Order("at").Scan(&ps).Error
	return ps, wrap(err, "mention series")
}

// CreateRule stores a trigger rule.
func (s *Store) CreateRule(ctx context.Context, r *MentionRule) error {
	return wrap(s.ctx(ctx).Create(r).Error, "create rule")
}

// Rules returns a client's rules, oldest first.
func (s *Store) Rules(ctx context.Context, clientID string) ([]MentionRule, error) {
	var rs []MentionRule
	return rs, wrap(s.ctx(ctx).Where("client_id = ?", clientID).Order("id").Find(&rs).Error, "rules")
}

// DeleteRule removes a client's rule; an unknown rule is ENOTFOUND.
func (s *Store) DeleteRule(ctx context.Context, clientID, id string) error {
	res := s.ctx(ctx).Where("client_id = ? AND id = ?", clientID, id).Delete(&MentionRule{})
	if res.Error != nil {
		return wrap(res.Error, "delete rule")
	}
	if res.RowsAffected == 0 {
		return greenlight.Errorf(greenlight.ENOTFOUND, "rule not found")
	}
	return nil
}

// SetHold records that crisisID holds the client's publishing (replacing an older hold). A
// hold belongs to its crisis: for a crisis that is no longer active (resolved while the
// pause was still being retried) nothing is written.
func (s *Store) SetHold(ctx context.Context, clientID, crisisID string, since time.Time) error {
	return wrap(s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		var active int64
		if err := tx.Model(&Crisis{}).Where("id = ? AND status = ?", crisisID, "active").Count(&active).Error; err != nil {
			return err
		}
		if active == 0 {
			return nil
		}
		return setHold(tx, clientID, crisisID, since)
	}), "set hold")
}

func setHold(tx *gorm.DB, clientID, crisisID string, since time.Time) error {
	if err := tx.Where("client_id = ?", clientID).Delete(&PublishingHold{}).Error; err != nil {
		return err
	}
	return tx.Create(&PublishingHold{ClientID: clientID, CrisisID: crisisID, Since: since.UTC()}).Error
}

// ReleaseHold removes the crisis's hold on the client; releasing twice is harmless.
func (s *Store) ReleaseHold(ctx context.Context, clientID, crisisID string) error {
	return wrap(s.ctx(ctx).Where("client_id = ? AND crisis_id = ?", clientID, crisisID).Delete(&PublishingHold{}).Error, "release hold")
}

// Hold returns the client's publishing hold, nil when publishing is free. Only a hold of an
// active crisis counts: a hold left behind by a closed crisis is ignored.
func (s *Store) Hold(ctx context.Context, clientID string) (*PublishingHold, error) {
	var hs []PublishingHold
	err := s.ctx(ctx).Table("publishing_holds").Select("publishing_holds.*").
		Joins("JOIN crises ON crises.id = publishing_holds.crisis_id").
		Where("publishing_holds.client_id = ? AND crises.status = ?", clientID, "active").Limit(1).Find(&hs).Error
	if err != nil {
		return nil, wrap(err, "hold")
	}
	if len(hs) == 0 {
		return nil, nil
	}
	return &hs[0], nil
}
