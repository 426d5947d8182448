package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Hit counts one request against bucket in fixed windows of length window and reports
// whether the count is still within max. The counter lives in the database so every API
// replica shares it. window is at most RateLimitMaxWindow (longer windows are cut to it),
// so that the retention job knows when a row has expired.
func (s *Store) Hit(ctx context.Context, bucket string, max int, window time.Duration) (bool, error) {
	window = min(window, RateLimitMaxWindow)
	now := time.Now().UTC()
	start := now.Truncate(window)
	var count int
	err := s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		row := rateLimit{Bucket: bucket, WindowStart: start, Count: 0}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
			return err
		}
		var cur rateLimit
		q := tx
		if s.postgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Where("bucket = ?", bucket).Take(&cur).Error; err != nil {
			return err
		}
		if !cur.WindowStart.Equal(start) {
			cur.WindowStart, cur.Count = start, 0
		}
		cur.Count++
		count = cur.Count
		return tx.Model(&rateLimit{}).Where("bucket = ?", bucket).
			Updates(map[string]any{"window_start": cur.WindowStart, "count": cur.Count}).Error
	})
	if err != nil {
		return false, wrap(err, "rate limit")
	}
	return count <= max, nil
}
