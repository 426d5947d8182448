package activities

import (
	"context"

	"go.temporal.io/sdk/temporal"
)

// SourcePoller polls a listening source: fetches the feed, stores new matching items as
// mentions and applies the client's trigger rules (service.Service implements it). A feed
// that cannot be fetched or parsed is recorded on the source and is not an error; an
// error means the poll could not be recorded (the database is down) and is retried.
type SourcePoller interface {
	PollSource(ctx context.Context, sourceID string) (int, error)
}

// PollSourceInput names the source to poll.
type PollSourceInput struct {
	SourceID string
}

// PollSourceResult is how many new mentions the poll stored.
type PollSourceResult struct {
	New int
}

// PollSource polls one listening source (the SourcePoll workflow, run by its schedule).
// Items are deduplicated by the store, so a retried poll stores nothing twice.
func (a *Activities) PollSource(ctx context.Context, in PollSourceInput) (PollSourceResult, error) {
	if a.Sources == nil {
		return PollSourceResult{}, temporal.NewNonRetryableApplicationError("listening sources not configured", "config", nil)
	}
	n, err := a.Sources.PollSource(ctx, in.SourceID)
	return PollSourceResult{New: n}, err
}
