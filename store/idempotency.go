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
	// ReservedID is an identifier minted with the first claim and kept across retries of
	// the same request, so that a create retried after an unknown outcome names the same
	// resource (a post's ID, hence its workflow ID) instead of making a second one.
	ReservedID  string
	StatusCode  int
	ContentType string
	Body        string
	CreatedAt   time.Time
	CompletedAt *time.Time
}

// TableName implements gorm's tabler.
func (IdempotencyRecord) TableName() string { return "idempotency_keys" }

// ClaimIdempotencyKey records (userID, key) as in flight for the request hashing to hash,
// with reservedID as the identifier its request creates. It returns claimed=true when this
// call holds the key, with the record (whose ReservedID is the first claim's, so a retry
// creates the same resource); otherwise the record already there (in flight when its
// StatusCode is 0, finished otherwise). An in-flight record of the same request older than
// staleAfter, or released by a failed request, is taken over: its request is presumed dead or
// failed, and the caller runs it again. The unique key makes the claim atomic across API
// replicas.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, userID, key, hash, reservedID string, now time.Time, staleAfter time.Duration) (bool, *IdempotencyRecord, error) {
	now = now.UTC()
	rec := IdempotencyRecord{UserID: userID, Key: key, RequestHash: hash, ReservedID: reservedID, CreatedAt: now}
	res := s.ctx(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&rec)
	if res.Error != nil {
		return false, nil, wrap(res.Error, "claim idempotency key")
	}
	if res.RowsAffected == 1 {
		return true, &rec, nil
	}
	res = s.ctx(ctx).Model(&IdempotencyRecord{}).
		Where("user_id = ? AND idem_key = ? AND request_hash = ? AND status_code = 0 AND created_at < ?", userID, key, hash, now.Add(-staleAfter)).
		Update("created_at", now)
	if res.Error != nil {
		return false, nil, wrap(res.Error, "claim idempotency key")
	}
	var got IdempotencyRecord
	if err := s.ctx(ctx).Where("user_id = ? AND idem_key = ?", userID, key).Take(&got).Error; err != nil {
		return false, nil, wrap(err, "idempotency key")
	}
	return res.RowsAffected == 1, &got, nil
}

// CompleteIdempotencyKey stores the response of the request that claimed (userID, key).
func (s *Store) CompleteIdempotencyKey(ctx context.Context, userID, key string, status int, contentType string, body []byte, now time.Time) error {
	err := s.ctx(ctx).Model(&IdempotencyRecord{}).Where("user_id = ? AND idem_key = ?", userID, key).
		Updates(map[string]any{"status_code": status, "content_type": contentType, "body": string(body), "completed_at": now.UTC()}).Error
	return wrap(err, "complete idempotency key")
}

// ForgetIdempotencyKey deletes an in-flight key whose request was refused before it created
// anything (a 4xx), so that the key may be used again, with any request. A finished key is
// kept.
func (s *Store) ForgetIdempotencyKey(ctx context.Context, userID, key string) error {
	err := s.ctx(ctx).Where("user_id = ? AND idem_key = ? AND status_code = 0", userID, key).Delete(&IdempotencyRecord{}).Error
	return wrap(err, "forget idempotency key")
}

// ReleaseIdempotencyKey marks an in-flight key whose request failed as free for a retry of
// the same request, which takes it over at once and keeps its ReservedID (the failed request
// may have created its resource before failing). A finished key is kept.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, userID, key string) error {
	err := s.ctx(ctx).Model(&IdempotencyRecord{}).Where("user_id = ? AND idem_key = ? AND status_code = 0", userID, key).
		Update("created_at", time.Unix(0, 0).UTC()).Error
	return wrap(err, "release idempotency key")
}
