package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
)

// RetentionStore is what the retention activity needs from the database: one delete per
// kind of record, each removing rows older than a cutoff and returning how many it removed.
type RetentionStore interface {
	PruneSessions(ctx context.Context, cutoff time.Time) (int64, error)
	PruneInvites(ctx context.Context, cutoff time.Time) (int64, error)
	PruneRateLimits(ctx context.Context, cutoff time.Time) (int64, error)
	PruneLinks(ctx context.Context, cutoff time.Time) (int64, error)
	PruneIdempotencyKeys(ctx context.Context, cutoff time.Time) (int64, error)
	PruneDevMails(ctx context.Context, cutoff time.Time) (int64, error)
}

// Kinds of records the retention job prunes.
const (
	PruneSessions        = "sessions"
	PruneInvites         = "invites"
	PruneRateLimits      = "rate_limits"
	PruneLinks           = "links"
	PruneIdempotencyKeys = "idempotency_keys"
	PruneDevMails        = "dev_mails"
)

// PruneInput asks to delete records of one kind older than Cutoff (see the store's Prune
// methods for what "older" means per kind).
type PruneInput struct {
	Kind   string
	Cutoff time.Time
}

// PruneResult says how many records were deleted.
type PruneResult struct {
	Kind    string
	Deleted int64
}

// Prune deletes records of one kind older than the cutoff. Deleting is idempotent: a
// retried activity finds fewer rows. An unknown kind is a non-retryable error.
func (a *Activities) Prune(ctx context.Context, in PruneInput) (PruneResult, error) {
	if a.Retention == nil {
		return PruneResult{}, temporal.NewNonRetryableApplicationError("retention store not configured", "config", nil)
	}
	prune := map[string]func(context.Context, time.Time) (int64, error){
		PruneSessions:        a.Retention.PruneSessions,
		PruneInvites:         a.Retention.PruneInvites,
		PruneRateLimits:      a.Retention.PruneRateLimits,
		PruneLinks:           a.Retention.PruneLinks,
		PruneIdempotencyKeys: a.Retention.PruneIdempotencyKeys,
		PruneDevMails:        a.Retention.PruneDevMails,
	}[in.Kind]
	if prune == nil {
		return PruneResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("unknown kind %q", in.Kind), "invalid", nil)
	}
	n, err := prune(ctx, in.Cutoff)
	if err != nil {
		return PruneResult{}, err
	}
	if n > 0 && a.Log != nil {
		a.Log.Info("records pruned", "kind", in.Kind, "deleted", n, "cutoff", in.Cutoff)
	}
	return PruneResult{Kind: in.Kind, Deleted: n}, nil
}
