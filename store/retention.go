package store

import (
	"context"
	"time"
)

// RateLimitMaxWindow is the longest window Hit accepts: a rate-limit row whose window
// started longer ago than this has expired whatever its bucket.
const RateLimitMaxWindow = time.Hour

// The Prune methods delete rows the retention job no longer needs and return how many
// they deleted. Each takes a cutoff computed by the caller (now minus a retention period).

// PruneSessions deletes sessions that expired before cutoff.
func (s *Store) PruneSessions(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.ctx(ctx).Where("expires_at < ?", cutoff.UTC()).Delete(&Session{})
	return res.RowsAffected, wrap(res.Error, "prune sessions")
}

// PruneInvites deletes invites that expired, or were used, before cutoff.
func (s *Store) PruneInvites(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.ctx(ctx).Where("expires_at < ? OR used_at < ?", cutoff.UTC(), cutoff.UTC()).Delete(&Invite{})
	return res.RowsAffected, wrap(res.Error, "prune invites")
}

// PruneRateLimits deletes rate-limit rows whose window started before cutoff. A cutoff
// at least RateLimitMaxWindow in the past only removes windows that are over: Hit starts
// a new window (count 0) for a bucket whose row is gone, as it does for an old window.
func (s *Store) PruneRateLimits(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.ctx(ctx).Where("window_start < ?", cutoff.UTC()).Delete(&rateLimit{})
	return res.RowsAffected, wrap(res.Error, "prune rate limits")
}

// PruneLinks deletes approval links that expired, or were used, before cutoff. A link
// still valid (unused and unexpired) is never deleted as long as cutoff is not in the
// future.
func (s *Store) PruneLinks(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.ctx(ctx).Where("expires_at < ? OR used_at < ?", cutoff.UTC(), cutoff.UTC()).Delete(&Link{})
	return res.RowsAffected, wrap(res.Error, "prune links")
}

// PruneIdempotencyKeys deletes idempotency keys first used before cutoff; a request
// retried with such a key afterwards runs again.
func (s *Store) PruneIdempotencyKeys(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.ctx(ctx).Where("created_at < ?", cutoff.UTC()).Delete(&IdempotencyRecord{})
	return res.RowsAffected, wrap(res.Error, "prune idempotency keys")
}

// PruneDevMails deletes emails the dev mail catcher received before cutoff.
func (s *Store) PruneDevMails(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.ctx(ctx).Where("sent_at < ?", cutoff.UTC()).Delete(&DevMail{})
	return res.RowsAffected, wrap(res.Error, "prune dev mails")
}
