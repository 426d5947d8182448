package store

import (
	"context"
	"time"
)

// Figures are the operational numbers the metrics endpoint reports, read in a few
// indexed queries: posts per status, approvals waiting per stage with the oldest's start,
// crisis SLA breaches so far and crisis steps overdue now.
type Figures struct {
	PostsByStatus map[string]int
	Waiting       []WaitingApprovals
	// SLABreaches counts the sla_breached events of every crisis kept in the database.
	SLABreaches int64
	// StepsOverdue counts the open steps of unresolved crises whose SLA has run out.
	StepsOverdue int64
}

// WaitingApprovals is one approval stage: how many posts wait in it and since when the
// oldest waits (zero when none).
type WaitingApprovals struct {
	Stage  string // "review" (staff review) or "client"
	Count  int64
	Oldest time.Time
}

// waitingStages maps each approval stage to the post status that waits in it and the post
// event that started the wait (the latest such event counts: a post resubmitted after
// changes waits since its resubmission).
var waitingStages = []struct{ stage, status, event string }{
	{"review", "in_review", "submitted"},
	{"client", "awaiting_client", "client_approval_requested"},
}

// Figures reads the current figures at now.
func (s *Store) Figures(ctx context.Context, now time.Time) (Figures, error) {
	var f Figures
	var err error
	if f.PostsByStatus, err = s.CountPostsByStatus(ctx, PostFilter{}); err != nil {
		return f, err
	}
	for _, w := range waitingStages {
		wa := WaitingApprovals{Stage: w.stage}
		if err := s.ctx(ctx).Model(&Post{}).Where("status = ?", w.status).Count(&wa.Count).Error; err != nil {
			return f, wrap(err, "waiting approvals")
		}
		if wa.Count > 0 {
			// The oldest start among the waiting posts' latest start events.
			var at []time.Time
			err := s.ctx(ctx).Raw(`SELECT e.at FROM posts p JOIN post_events e ON e.post_id = p.id AND e.action = ?
WHERE p.status = ? AND NOT EXISTS (SELECT 1 FROM post_events l WHERE l.post_id = e.post_id AND l.action = e.action AND l.seq > e.seq)
ORDER BY e.at LIMIT 1`, w.event, w.status).Scan(&at).Error
			if err != nil {
				return f, wrap(err, "oldest waiting approval")
			}
			if len(at) == 1 {
				wa.Oldest = at[0].UTC()
			}
		}
		f.Waiting = append(f.Waiting, wa)
	}
	if err := s.ctx(ctx).Table("crisis_events").Where("event = ?", "sla_breached").Count(&f.SLABreaches).Error; err != nil {
		return f, wrap(err, "SLA breaches")
	}
	err = s.ctx(ctx).Table("crisis_steps").Joins("JOIN crises ON crises.id = crisis_steps.crisis_id").
		Where("crises.resolved_at IS NULL AND crisis_steps.status NOT IN ? AND crisis_steps.due_at IS NOT NULL AND crisis_steps.due_at < ?",
			[]string{"done", "skipped"}, now.UTC()).
		Count(&f.StepsOverdue).Error
	return f, wrap(err, "overdue crisis steps")
}
