package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/greenlight/greenlight/activities"
)

// DigestWorkflowID is the workflow ID of one approver's digest (see Digest).
func DigestWorkflowID(clientID, approverID string) string {
	return activities.DigestWorkflowID(clientID, approverID)
}

// digestHistoryLimit: past this many events, an idle moment continues the digest as new.
const digestHistoryLimit = 2000

// Digest batches one approver's approval emails. Post workflows whose client has a digest
// window hand it each version waiting for this approver (DigestSignal, with start); the
// first item of a batch starts a durable timer of the client's window, and when it fires
// ONE email lists every item still waiting, with one link to the batch review page. Each
// batch then gets one reminder after ReminderAfter and one escalation to staff after
// EscalateAfter, each naming only the items still waiting; a batch nobody waits on any
// more is dropped. With nothing queued and no open batch the workflow ends: the next item
// starts a new run. Effect keys (see activities.SendDigest) make every email once per
// batch and kind, and never twice for one (approver, post version, kind).
func Digest(ctx workflow.Context, in activities.DigestInput) error {
	d := &digestRun{st: in, seen: map[string]bool{}}
	for _, it := range in.Pending {
		d.seen[it.Key()] = true
	}
	for _, b := range in.Open {
		for _, it := range b.Items {
			d.seen[it.Key()] = true
		}
	}
	return d.run(ctx)
}

type digestRun struct {
	st   activities.DigestInput
	seen map[string]bool // items queued or sent by this run: a retried signal adds nothing
}

func (d *digestRun) run(ctx workflow.Context) error {
	items := workflow.GetSignalChannel(ctx, activities.DigestSignal)
	var timer workflow.Future
	var timerAt time.Time
	var cancelTimer workflow.CancelFunc
	for {
		for { // take every item already delivered
			var it activities.DigestItem
			if !items.ReceiveAsync(&it) {
				break
			}
			d.add(ctx, it)
		}
		if len(d.st.Pending) == 0 && len(d.st.Open) == 0 {
			return nil
		}
		if workflow.GetInfo(ctx).GetCurrentHistoryLength() > digestHistoryLimit {
			return workflow.NewContinueAsNewError(ctx, Digest, d.st)
		}
		now := workflow.Now(ctx)
		next := d.next()
		if !next.After(now) {
			d.fire(ctx, now)
			continue
		}
		if timer == nil || !timerAt.Equal(next) {
			if cancelTimer != nil {
				cancelTimer()
			}
			var tctx workflow.Context
			tctx, cancelTimer = workflow.WithCancel(ctx)
			timer, timerAt = workflow.NewTimer(tctx, next.Sub(now)), next
		}
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(timer, func(workflow.Future) { timer = nil })
		sel.AddReceive(items, func(c workflow.ReceiveChannel, _ bool) {
			var it activities.DigestItem
			c.Receive(ctx, &it)
			d.add(ctx, it)
		})
		sel.Select(ctx)
		if err := ctx.Err(); err != nil { // cancelled: stop, whatever is queued
			return err
		}
	}
}

// add queues an item for the next email; the first one starts the window.
func (d *digestRun) add(ctx workflow.Context, it activities.DigestItem) {
	if d.seen[it.Key()] {
		return
	}
	d.seen[it.Key()] = true
	if len(d.st.Pending) == 0 {
		d.st.PendingSince = workflow.Now(ctx)
	}
	d.st.Pending = append(d.st.Pending, it)
}

// next is when something is due: the pending window's end, or an open batch's reminder
// or escalation.
func (d *digestRun) next() time.Time {
	var next time.Time
	earliest := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	if len(d.st.Pending) > 0 {
		earliest(d.st.PendingSince.Add(d.st.Pending[0].Window))
	}
	for _, b := range d.st.Open {
		if !b.Reminded {
			earliest(b.SentAt.Add(b.ReminderAfter))
		}
		earliest(b.SentAt.Add(b.EscalateAfter))
	}
	return next
}

// fire sends what is due at now: the pending batch, then each open batch's reminder and
// escalation.
func (d *digestRun) fire(ctx workflow.Context, now time.Time) {
	if len(d.st.Pending) > 0 && due(now, d.st.PendingSince.Add(d.st.Pending[0].Window)) {
		pending := d.st.Pending
		d.st.Pending, d.st.PendingSince = nil, time.Time{}
		key := pending[0].Key()
		if sent := d.send(ctx, key, activities.DigestRequest, pending); len(sent) > 0 {
			d.st.Open = append(d.st.Open, activities.DigestBatch{
				Key: key, SentAt: now, Items: sent,
				ReminderAfter: sent[0].ReminderAfter, EscalateAfter: sent[0].EscalateAfter,
			})
		}
	}
	var open []activities.DigestBatch
	for _, b := range d.st.Open {
		if !b.Reminded && due(now, b.SentAt.Add(b.ReminderAfter)) {
			b.Reminded = true
			if b.Items = d.send(ctx, b.Key, activities.DigestReminder, b.Items); len(b.Items) == 0 {
				continue // nothing waits any more
			}
		}
		if due(now, b.SentAt.Add(b.EscalateAfter)) {
			d.send(ctx, b.Key, activities.DigestEscalation, b.Items)
			continue // the batch is done
		}
		open = append(open, b)
	}
	d.st.Open = open
}

// send runs one batch email and returns the items it listed. An email that cannot be
// sent (retries exhausted) is logged and lists nothing: the posts' own timers (expiry)
// still run.
func (d *digestRun) send(ctx workflow.Context, batch, kind string, items []activities.DigestItem) []activities.DigestItem {
	var sent []activities.DigestItem
	err := workflow.ExecuteActivity(mailCtx(ctx), a.SendDigest, activities.DigestSend{Batch: batch, Kind: kind, Items: items}).Get(ctx, &sent)
	if err != nil {
		workflow.GetLogger(ctx).Error("digest email failed", "batch", batch, "kind", kind, "error", err)
		return nil
	}
	return sent
}
