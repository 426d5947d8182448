package store

import (
	"context"
	"time"
)

// Media is a file in a client's media library. The bytes live on disk under their SHA-256
// (package media); the same file uploaded twice for a client is one row.
type Media struct {
	ID          string `gorm:"primaryKey"`
	ClientID    string
	SHA256      string `gorm:"column:sha256"`
	ContentType string
	Size        int64
	Width       int
	Height      int
	// DurationMS is a video's duration, nil for images or when unknown.
	DurationMS *int64 `gorm:"column:duration_ms"`
	// ThumbSHA256 is the thumbnail's file, "" for none (videos).
	ThumbSHA256 string `gorm:"column:thumb_sha256"`
	// Filename is the uploaded file's name, for display only: nothing is decided on it.
	Filename  string
	CreatedBy string
	CreatedAt time.Time
}

// TableName is media (GORM would say "media" too, but say it).
func (Media) TableName() string { return "media" }

// CreateMedia inserts m, or, when the client already has a file with the same digest,
// fills m with that one and returns false.
func (s *Store) CreateMedia(ctx context.Context, m *Media) (created bool, err error) {
	err = s.ctx(ctx).Create(m).Error
	if err == nil {
		return true, nil
	}
	if !isUnique(err) {
		return false, wrap(err, "create media")
	}
	got, err := s.MediaBySHA(ctx, m.ClientID, m.SHA256)
	if err != nil {
		return false, err
	}
	*m = *got
	return false, nil
}

// Media reads one media row.
func (s *Store) Media(ctx context.Context, id string) (*Media, error) {
	var m Media
	if err := s.ctx(ctx).Where("id = ?", id).Take(&m).Error; err != nil {
		return nil, wrap(err, "media")
	}
	return &m, nil
}

// MediaBySHA reads a client's media with the given digest.
func (s *Store) MediaBySHA(ctx context.Context, clientID, sha string) (*Media, error) {
	var m Media
	if err := s.ctx(ctx).Where("client_id = ? AND sha256 = ?", clientID, sha).Take(&m).Error; err != nil {
		return nil, wrap(err, "media")
	}
	return &m, nil
}

// MediaByIDs reads the media rows with these ids (in no particular order); ids that name
// no media are left out.
func (s *Store) MediaByIDs(ctx context.Context, ids []string) ([]Media, error) {
	out := []Media{}
	if len(ids) == 0 {
		return out, nil
	}
	err := s.ctx(ctx).Where("id IN ?", ids).Find(&out).Error
	return out, wrap(err, "media")
}
