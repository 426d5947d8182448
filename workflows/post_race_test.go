package workflows_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/workflows"
)

// TestDecisionsRacingThePublication interleaves an edit, a cancellation, a reschedule and a
// client approval with the publish timer, a slow publishing hold check and a slow
// projection write (which keeps the lock while a decision queues behind it), then checks
// what was published and the post's final state. Whatever the interleaving, only the
// approved version is ever published, a cancelled post stays cancelled, and a decision is
// either applied before the publication starts or refused with ECONFLICT.
func TestDecisionsRacingThePublication(t *testing.T) {
	const slow = 5 * time.Second
	var (
		pub      = 7 * 24 * time.Hour // the publish time, from t0
		newBody  = "Our new drink is here — and it is free!"
		later    = t0.Add(pub + time.Hour)
		timers   = 48 * time.Hour
		body     = workflows.EditRequest{Actor: author, Body: &newBody}
		cancel   = workflows.CancelRequest{Actor: author, Reason: "campaign dropped"}
		resched  = workflows.EditRequest{Actor: author, PublishAt: &later}
		holdLock = workflows.EditRequest{Actor: author, ReminderAfter: &timers} // changes nothing the publication depends on
		approve  = workflows.ClientDecisionRequest{Approver: asActor(ana), Version: 1, Decision: greenlight.DecisionApprove}
	)
	type update struct {
		at   time.Duration
		name string
		arg  any
	}
	tests := []struct {
		name        string
		approveAt   time.Duration // when the client approves version 1
		holdDelay   time.Duration
		slowRecords map[time.Duration]time.Duration
		hold        bool // a crisis holds publishing until t0+releaseAt
		releaseAt   time.Duration
		race        update  // the decision racing the publication; its outcome is checked
		before      *update // another decision, sent first
		wantCode    string  // the racing decision's error code, "" when it is applied
		wantStatus  greenlight.PostStatus
		wantAt      time.Time // when version 1 is published; zero: nothing is published
	}{
		{
			name:      "edit during a slow hold check is refused; version 1 is published",
			approveAt: time.Hour, holdDelay: slow,
			race:     update{pub + 2*time.Second, workflows.EditUpdate, body},
			wantCode: greenlight.ECONFLICT, wantStatus: greenlight.StatusPublished, wantAt: t0.Add(pub + slow),
		},
		{
			name:      "cancel during a slow hold check is refused; version 1 is published",
			approveAt: time.Hour, holdDelay: slow,
			race:     update{pub + 2*time.Second, workflows.CancelUpdate, cancel},
			wantCode: greenlight.ECONFLICT, wantStatus: greenlight.StatusPublished, wantAt: t0.Add(pub + slow),
		},
		{
			name:      "reschedule during a slow hold check is refused; published at the old time",
			approveAt: time.Hour, holdDelay: slow,
			race:     update{pub + 2*time.Second, workflows.EditUpdate, resched},
			wantCode: greenlight.ECONFLICT, wantStatus: greenlight.StatusPublished, wantAt: t0.Add(pub + slow),
		},
		// A decision accepted just before the publish time that still waits for the lock
		// (behind a slow projection write) when the timer fires, while the hold check is
		// slow: publication takes the lock first, so the decision finds the post publishing.
		{
			name:      "edit queued for the lock when the publish timer fires is refused; version 1 is published",
			approveAt: time.Hour, holdDelay: 8 * time.Second, slowRecords: map[time.Duration]time.Duration{pub - time.Second: slow},
			before:   &update{pub - time.Second, workflows.EditUpdate, holdLock},
			race:     update{pub - time.Second/2, workflows.EditUpdate, body},
			wantCode: greenlight.ECONFLICT, wantStatus: greenlight.StatusPublished, wantAt: t0.Add(pub + 12*time.Second),
		},
		{
			name:      "cancel queued for the lock when the publish timer fires is refused; version 1 is published",
			approveAt: time.Hour, holdDelay: 8 * time.Second, slowRecords: map[time.Duration]time.Duration{pub - time.Second: slow},
			before:   &update{pub - time.Second, workflows.EditUpdate, holdLock},
			race:     update{pub - time.Second/2, workflows.CancelUpdate, cancel},
			wantCode: greenlight.ECONFLICT, wantStatus: greenlight.StatusPublished, wantAt: t0.Add(pub + 12*time.Second),
		},
		{
			name:      "reschedule queued for the lock when the publish timer fires is refused; published at the old time",
			approveAt: time.Hour, holdDelay: 8 * time.Second, slowRecords: map[time.Duration]time.Duration{pub - time.Second: slow},
			before:   &update{pub - time.Second, workflows.EditUpdate, holdLock},
			race:     update{pub - time.Second/2, workflows.EditUpdate, resched},
			wantCode: greenlight.ECONFLICT, wantStatus: greenlight.StatusPublished, wantAt: t0.Add(pub + 12*time.Second),
		},
		{
			name:      "cancel during a slow hold re-check stays cancelled",
			approveAt: time.Hour, holdDelay: slow, hold: true, releaseAt: pub + time.Hour,
			race:       update{pub + time.Hour + 2*time.Second, workflows.CancelUpdate, cancel},
			wantStatus: greenlight.StatusCancelled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.holdDelay, h.slowRecords = tt.holdDelay, tt.slowRecords
			if tt.hold {
				h.hold = activities.HoldStatus{Held: true, CrisisID: "crs_1"}
				h.env.RegisterDelayedCallback(func() {
					h.hold = activities.HoldStatus{}
					h.env.SignalWorkflow(workflows.ReleaseSignal, nil)
				}, tt.releaseAt)
			}
			h.toAwaitingClient()
			if tt.approveAt > 0 {
				h.update(tt.approveAt, workflows.ClientDecisionUpdate, approve)
			}
			if tt.before != nil {
				h.update(tt.before.at, tt.before.name, tt.before.arg)
			}
			race := h.update(tt.race.at, tt.race.name, tt.race.arg)
			h.run(pub + 3*24*time.Hour)

			// What was published first: when this fails, it says the most.
			if tt.wantAt.IsZero() {
				require.Empty(t, h.published, "nothing is published")
			} else {
				contents := map[int]greenlight.Content{}
				for _, r := range h.records {
					if r.NewVersion != nil {
						contents[r.NewVersion.Version] = r.NewVersion.Content
					}
				}
				require.Len(t, h.published, len(h.in.Content.Channels))
				for _, p := range h.published {
					require.Equal(t, 1, p.Val.Version, "only the approved version is published")
					require.Equal(t, h.in.Content, contents[p.Val.Version], "with the approved text")
					require.Equal(t, tt.wantAt, p.At)
				}
			}
			final := h.records[len(h.records)-1].Post.Status
			if slices.Contains(h.statuses(), greenlight.StatusCancelled) {
				require.Equal(t, greenlight.StatusCancelled, final, "a cancelled post stays cancelled; statuses: %v", h.statuses())
			}
			require.Equal(t, tt.wantStatus, final, "final status; statuses: %v", h.statuses())
			require.True(t, race.done, "the racing decision got an answer")
			if tt.wantCode == "" {
				require.NoError(t, race.err)
			} else {
				require.Equal(t, tt.wantCode, errCode(race.err), "error: %v", race.err)
				require.Contains(t, race.err.Error(), "being published")
			}
		})
	}
}
