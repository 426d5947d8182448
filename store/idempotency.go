package store

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
)

// IdempotencyRecord is one Idempotency-Key of one user: the hash of the request that first
// used it and, once that request finished, its response. StatusCode 0 means the first
// request is still in flight.
type IdempotencyRecord struct {
	UserID      string
	Key         string `gorm:"column:idem_key"`
	RequestHash string
	StatusCode  int
	ContentType string
	Body        string
	CreatedAt   time.Time
	CompletedAt *time.Time
}

// TableName implements gorm's tabler.
func (IdempotencyRecord) TableName() string { return "idempotency_keys" }

// ClaimIdempotencyKey records (userID, key) as in flight for the request hashing to hash.
// It returns nil when this call claimed the key; otherwise the record already there (in
// flight when its StatusCode is 0, finished otherwise). An in-flight record of the same
// request older than staleAfter is taken over: its request is presumed dead (process
// killed), and the caller runs the request again. The unique key makes the claim atomic
// across API replicas.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, userID, key, hash string, now time.Time, staleAfter time.Duration) (*IdempotencyRecord, error) {
	now = now.UTC()
	rec := IdempotencyRecord{UserID: userID, Key: key, RequestHash: hash, CreatedAt: now}
	res := s.ctx(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&rec)
	if res.Error != nil {
		return nil, wrap(res.Error, "claim idempotency key")
	}
	if res.RowsAffected == 1 {
		return nil, nil
	}
	res = s.ctx(ctx).Model(&IdempotencyRecord{}).
		Where("user_id = ? AND idem_key = ? AND request_hash = ? AND status_code = 0 AND created_at < ?", userID, key, hash, now.Add(-staleAfter)).
		Update("created_at", now)
	if res.Error != nil {
		return nil, wrap(res.Error, "claim idempotency key")
	}
	if res.RowsAffected == 1 {
		return nil, nil
	}
	var got IdempotencyRecord
	if err := s.ctx(ctx).Where("user_id = ? AND idem_key = ?", userID, key).Take(&got).Error; err != nil {
		return nil, wrap(err, "idempotency key")
	}
	return &got, nil
}

// CompleteIdempotencyKey stores the response of the request that claimed (userID, key).
func (s *Store) CompleteIdempotencyKey(ctx context.Context, userID, key string, status int, contentType string, body []byte, now time.Time) error {
	err := s.ctx(ctx).Model(&IdempotencyRecord{}).Where("user_id = ? AND idem_key = ?", userID, key).
		Updates(map[string]any{"status_code": status, "content_type": contentType, "body": string(body), "completed_at": now.UTC()}).Error
	return wrap(err, "complete idempotency key")
}

// ReleaseIdempotencyKey forgets an in-flight key whose request failed, so that a retry
// with the same key runs again. A finished key is kept.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, userID, key string) error {
	err := s.ctx(ctx).Where("user_id = ? AND idem_key = ? AND status_code = 0", userID, key).Delete(&IdempotencyRecord{}).Error
	return wrap(err, "release idempotency key")
}
