package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/store"
)

// TestFigures: posts by status, approvals waiting per stage since the latest event that
// started the wait (a resubmitted post waits since its resubmission), SLA breaches and the
// open steps of unresolved crises past their due time.
func TestFigures(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := newClient(t, s, "brand")
		now := time.Now().UTC().Truncate(time.Second)
		record := func(status greenlight.PostStatus, events map[string][]time.Time) {
			p := newPost(c.ID, 1, status)
			var evs []store.PostEvent
			for action, ats := range events {
				for _, at := range ats {
					evs = append(evs, store.PostEvent{PostID: p.ID, Seq: len(evs) + 1, At: at, ActorKind: "user", Action: action})
				}
			}
			// Seq follows time, as the workflow writes them.
			for i := range evs {
				for j := range evs {
					if evs[i].At.Before(evs[j].At) && evs[i].Seq > evs[j].Seq {
						evs[i].Seq, evs[j].Seq = evs[j].Seq, evs[i].Seq
					}
				}
			}
			require.NoError(t, s.RecordPost(ctx, store.PostRecord{Post: p, Events: evs}))
		}
		record(greenlight.StatusDraft, nil)
		// Submitted 3h ago, sent back, resubmitted 1h ago: waits since 1h.
		record(greenlight.StatusInReview, map[string][]time.Time{"submitted": {now.Add(-3 * time.Hour), now.Add(-time.Hour)}})
		record(greenlight.StatusInReview, map[string][]time.Time{"submitted": {now.Add(-30 * time.Minute)}})
		record(greenlight.StatusAwaitingClient, map[string][]time.Time{
			"submitted": {now.Add(-5 * time.Hour)}, "client_approval_requested": {now.Add(-2 * time.Hour)}})
		// Published long ago: its old events wait for nothing.
		record(greenlight.StatusPublished, map[string][]time.Time{"submitted": {now.Add(-48 * time.Hour)}})

		f, err := s.Figures(ctx, now)
		require.NoError(t, err)
		require.Equal(t, map[string]int{"draft": 1, "in_review": 2, "awaiting_client": 1, "published": 1}, f.PostsByStatus)
		require.Len(t, f.Waiting, 2)
		require.Equal(t, store.WaitingApprovals{Stage: "review", Count: 2, Oldest: now.Add(-time.Hour)}, f.Waiting[0])
		require.Equal(t, store.WaitingApprovals{Stage: "client", Count: 1, Oldest: now.Add(-2 * time.Hour)}, f.Waiting[1])
		require.Zero(t, f.SLABreaches)
		require.Zero(t, f.StepsOverdue)

		// A crisis with one step past its SLA (breached once), one not yet due, one done
		// late; and a resolved crisis whose open step no longer counts as overdue.
		crisis := func(client *store.Client, status string, resolved *time.Time, steps []store.CrisisStep, breaches int) {
			cr := &store.Crisis{ID: greenlight.NewID("crs_"), ClientID: client.ID, PlaybookKey: "bad-buzz", PlaybookVersion: "v",
				PlaybookTitle: "Bad buzz", Severity: "high", Summary: "s", Status: "active", Phase: "respond", StartedAt: now.Add(-time.Hour)}
			require.NoError(t, s.CreateCrisis(ctx, cr))
			rec := store.CrisisRecord{Crisis: *cr}
			rec.Crisis.Status, rec.Crisis.ResolvedAt, rec.Crisis.Revision = status, resolved, 2
			for i := range steps {
				steps[i].CrisisID, steps[i].Position, steps[i].Title, steps[i].Phase, steps[i].Kind, steps[i].Role =
					cr.ID, i, "Step", "respond", "task", "crisis_lead"
				rec.Steps = append(rec.Steps, steps[i])
			}
			for i := range breaches {
				rec.Events = append(rec.Events, store.CrisisEvent{CrisisID: cr.ID, Seq: i + 1, At: now, ActorKind: "system",
					Event: "sla_breached", StepKey: "a"})
			}
			rec.Events = append(rec.Events, store.CrisisEvent{CrisisID: cr.ID, Seq: breaches + 1, At: now, ActorKind: "system", Event: "step_completed", StepKey: "c"})
			require.NoError(t, s.RecordCrisis(ctx, rec))
		}
		due := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
		crisis(c, "active", nil, []store.CrisisStep{
			{StepKey: "a", Status: "in_progress", SLA: time.Minute, DueAt: due(-time.Minute)},
			{StepKey: "b", Status: "ready", SLA: time.Hour, DueAt: due(time.Hour)},
			{StepKey: "c", Status: "done", SLA: time.Minute, DueAt: due(-time.Hour), CompletedAt: due(-time.Minute)},
		}, 1)
		crisis(newClient(t, s, "other"), "resolved", due(-time.Minute), []store.CrisisStep{
			{StepKey: "a", Status: "in_progress", SLA: time.Minute, DueAt: due(-time.Hour)},
		}, 2)
		f, err = s.Figures(ctx, now)
		require.NoError(t, err)
		require.EqualValues(t, 3, f.SLABreaches)
		require.EqualValues(t, 1, f.StepsOverdue)
	})
}
