package service

import (
	"context"
	"math"
	"sort"
	"time"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/brand"
	"github.com/greenlight/greenlight/store"
)

// OnTimeGrace is how late a publication may be and still count as on time in approval
// insights (publishing starts at the publish time and takes a moment per channel).
const OnTimeGrace = 5 * time.Minute

// maxStatsSpan bounds the range of one approval-stats request.
const maxStatsSpan = 24

// ApprovalStats are a client's approval insights per month of the client's time zone.
type ApprovalStats struct {
	ClientID string       `json:"client_id"`
	TimeZone string       `json:"time_zone"`
	From     string       `json:"from"` // first day, YYYY-MM-DD, in the client's zone
	To       string       `json:"to"`   // last day (included)
	Months   []MonthStats `json:"months"`
}

// MonthStats is one month of approval insights. Shares and times are nil when the month
// has nothing to measure.
type MonthStats struct {
	Month string `json:"month"` // YYYY-MM
	// Requests are the approval requests sent to the client in the month (one per post
	// version); Decided, those the client decided on. Decision times run from the request to
	// the client's first decision on that version, in seconds.
	Requests              int      `json:"requests"`
	Decided               int      `json:"decided"`
	MedianDecisionSeconds *float64 `json:"median_decision_seconds"`
	P90DecisionSeconds    *float64 `json:"p90_decision_seconds"`
	// Posts are the posts first sent to the client in the month (within the range);
	// RevisionRounds is the mean number of their versions on which the client requested
	// changes.
	Posts          int      `json:"posts"`
	RevisionRounds *float64 `json:"revision_rounds_per_post"`
	// Due are the posts whose publish time fell in the month and has passed (cancelled ones
	// aside); OnTime were published no later than OnTimeGrace after it; Expired were never
	// approved in time and not published.
	Due          int      `json:"due"`
	OnTime       int      `json:"published_on_time"`
	OnTimeShare  *float64 `json:"published_on_time_share"`
	Expired      int      `json:"expired"`
	ExpiredShare *float64 `json:"expired_share"`
}

// ApprovalStats computes a client's approval insights over the days from..to (YYYY-MM-DD in
// the client's zone, to included). Empty from is the first day of the month five months
// before to's; empty to is today. A bad date, to before from or a span over 24 months is
// EINVALID naming the parameter.
func (s *Service) ApprovalStats(ctx context.Context, actor *store.User, clientID, from, to string) (*ApprovalStats, error) {
	c, err := s.loadClient(ctx, actor, ActApprovalStats, clientID)
	if err != nil {
		return nil, err
	}
	look := brand.Of(c)
	now := s.now().In(look.Zone)
	end := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, look.Zone)
	if to != "" {
		if end, err = time.ParseInLocation(time.DateOnly, to, look.Zone); err != nil {
			return nil, greenlight.Errorf(greenlight.EINVALID, "to: must be a date YYYY-MM-DD")
		}
	}
	start := time.Date(end.Year(), end.Month()-5, 1, 0, 0, 0, 0, look.Zone)
	if from != "" {
		if start, err = time.ParseInLocation(time.DateOnly, from, look.Zone); err != nil {
			return nil, greenlight.Errorf(greenlight.EINVALID, "from: must be a date YYYY-MM-DD")
		}
	}
	if end.Before(start) {
		return nil, greenlight.Errorf(greenlight.EINVALID, "to: must not be before from")
	}
	if end.After(start.AddDate(0, maxStatsSpan, 0)) {
		return nil, greenlight.Errorf(greenlight.EINVALID, "to: at most %d months after from", maxStatsSpan)
	}
	until := end.AddDate(0, 0, 1) // the day after the last one
	recs, err := s.Store.ClientApprovalRecords(ctx, c.ID, start, until)
	if err != nil {
		return nil, err
	}
	out := &ApprovalStats{ClientID: c.ID, TimeZone: look.ZoneName, From: start.Format(time.DateOnly), To: end.Format(time.DateOnly)}
	out.Months = monthlyStats(recs, look.Zone, start, end, s.now())
	return out, nil
}

// monthlyStats groups the records by month of zone, from start's month to end's.
func monthlyStats(recs *store.ApprovalRecords, zone *time.Location, start, end, now time.Time) []MonthStats {
	type acc struct {
		times  []float64
		rounds []float64
		m      MonthStats
	}
	var months []*acc
	index := map[string]*acc{}
	for m := time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, zone); !m.After(end); m = m.AddDate(0, 1, 0) {
		a := &acc{m: MonthStats{Month: m.Format("2006-01")}}
		months = append(months, a)
		index[a.m.Month] = a
	}
	monthOf := func(t time.Time) *acc { return index[t.In(zone).Format("2006-01")] }

	// The client's decisions per post version, in order; versions with changes requested.
	type pv struct {
		post    string
		version int
	}
	decisions := map[pv][]time.Time{}
	changed := map[string]map[int]bool{}
	for _, d := range recs.Decisions {
		k := pv{d.PostID, d.Version}
		decisions[k] = append(decisions[k], d.At)
		if d.Decision == greenlight.DecisionRequestChanges {
			if changed[d.PostID] == nil {
				changed[d.PostID] = map[int]bool{}
			}
			changed[d.PostID][d.Version] = true
		}
	}
	counted := map[string]bool{}
	for _, e := range recs.Requests {
		a := monthOf(e.At)
		if a == nil {
			continue
		}
		a.m.Requests++
		for _, at := range decisions[pv{e.PostID, e.Version}] {
			if !at.Before(e.At) {
				a.m.Decided++
				a.times = append(a.times, at.Sub(e.At).Seconds())
				break
			}
		}
		if !counted[e.PostID] { // requests come oldest first: the post's first in the range
			counted[e.PostID] = true
			a.m.Posts++
			a.rounds = append(a.rounds, float64(len(changed[e.PostID])))
		}
	}
	for _, p := range recs.Due {
		a := monthOf(p.PublishAt)
		if a == nil || p.PublishAt.After(now) || p.Status == string(greenlight.StatusCancelled) {
			continue
		}
		a.m.Due++
		switch {
		case p.Status == string(greenlight.StatusPublished) && p.PublishedAt != nil && !p.PublishedAt.After(p.PublishAt.Add(OnTimeGrace)):
			a.m.OnTime++
		case p.Status == string(greenlight.StatusExpired):
			a.m.Expired++
		}
	}
	out := make([]MonthStats, 0, len(months))
	for _, a := range months {
		a.m.MedianDecisionSeconds = Median(a.times)
		a.m.P90DecisionSeconds = Percentile(a.times, 90)
		a.m.RevisionRounds = mean(a.rounds)
		if a.m.Due > 0 {
			a.m.OnTimeShare = ratio(a.m.OnTime, a.m.Due)
			a.m.ExpiredShare = ratio(a.m.Expired, a.m.Due)
		}
		out = append(out, a.m)
	}
	return out
}

// Median is the middle value of xs (the mean of the two middle ones for an even count);
// nil for none.
func Median(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	s := sorted(xs)
	n := len(s)
	m := s[n/2]
	if n%2 == 0 {
		m = (s[n/2-1] + s[n/2]) / 2
	}
	return &m
}

// Percentile is the p-th percentile of xs by the nearest-rank method (the smallest value
// with at least p% of the values at or below it); nil for none.
func Percentile(xs []float64, p float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	s := sorted(xs)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	rank = max(1, min(rank, len(s)))
	v := s[rank-1]
	return &v
}

func sorted(xs []float64) []float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s
}

func mean(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	var t float64
	for _, x := range xs {
		t += x
	}
	m := t / float64(len(xs))
	return &m
}

func ratio(a, b int) *float64 {
	r := float64(a) / float64(b)
	return &r
}
