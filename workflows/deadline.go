package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// Change IDs for workflow.GetVersion. A running workflow keeps the branch it started with.
const (
	// versionStableTimer: the main loops keep one timer per deadline instead of a new
	// timer each time they wake (each decision used to cancel and restart it).
	versionStableTimer = "stable-deadline-timer"
)

// deadline keeps one durable timer for a loop's earliest deadline and re-arms it only when
// that deadline changes: a decision that leaves the deadline alone adds no timer commands
// to the history (and no timer work to the server).
type deadline struct {
	at     time.Time
	timer  workflow.Future
	cancel workflow.CancelFunc
}

// wait blocks until ready() holds or the deadline at passes; a zero at is no deadline.
func (d *deadline) wait(ctx workflow.Context, at time.Time, ready func() bool) error {
	if !at.Equal(d.at) || (d.timer != nil && d.timer.IsReady()) {
		if d.cancel != nil {
			d.cancel()
		}
		d.at, d.timer, d.cancel = at, nil, nil
		if at.IsZero() {
			return workflow.Await(ctx, ready)
		}
		wait := at.Sub(workflow.Now(ctx))
		if wait <= 0 {
			return nil // already due
		}
		tctx, cancel := workflow.WithCancel(ctx)
		d.timer, d.cancel = workflow.NewTimer(tctx, wait), cancel
	}
	if d.timer == nil {
		return workflow.Await(ctx, ready)
	}
	return workflow.Await(ctx, func() bool { return ready() || d.timer.IsReady() })
}

// awaitDeadline is the loops' wait: the stable timer in new runs, the original
// AwaitWithTimeout (a fresh timer per wake) in runs that started before it.
func awaitDeadline(ctx workflow.Context, stable bool, d *deadline, at time.Time, ready func() bool) error {
	if stable {
		return d.wait(ctx, at, ready)
	}
	if at.IsZero() {
		return workflow.Await(ctx, ready)
	}
	if wait := at.Sub(workflow.Now(ctx)); wait > 0 {
		_, err := workflow.AwaitWithTimeout(ctx, wait, ready)
		return err
	}
	return nil
}
