package metrics

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/store"
)

// FigureSource reads the domain figures (store.Store does).
type FigureSource interface {
	Figures(ctx context.Context, now time.Time) (store.Figures, error)
}

// DomainOptions bound the database work a scrape causes.
type DomainOptions struct {
	// Timeout bounds one read of the figures (default 5s).
	Timeout time.Duration
	// MinInterval is how long a read is reused: scrapes closer together (several
	// Prometheus servers, a dashboard refresh) do not query again (default 10s).
	MinInterval time.Duration
	Log         *slog.Logger
}

// WatchDomain registers the domain figures read from src at scrape time: posts by status,
// approvals waiting and the age of the oldest per stage, crisis SLA breaches and overdue
// steps. A failed read reports greenlight_domain_up 0 and the last figures read, if any.
func (m *Metrics) WatchDomain(src FigureSource, opts DomainOptions) {
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.MinInterval <= 0 {
		opts.MinInterval = 10 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	m.Registry.MustRegister(&domainCollector{src: src, opts: opts, now: time.Now})
}

var (
	postsDesc = prometheus.NewDesc("greenlight_posts",
		"Posts by status (every post in the database).", []string{"status"}, nil)
	waitingDesc = prometheus.NewDesc("greenlight_approvals_waiting",
		"Posts waiting for a decision, by stage: review (staff) or client.", []string{"stage"}, nil)
	oldestDesc = prometheus.NewDesc("greenlight_approval_oldest_wait_seconds",
		"How long the longest-waiting post of a stage has waited (0 when none waits).", []string{"stage"}, nil)
	breachesDesc = prometheus.NewDesc("greenlight_crisis_sla_breaches_total",
		"Crisis steps that ran past their SLA (sla_breached events in the database).", nil, nil)
	overdueDesc = prometheus.NewDesc("greenlight_crisis_steps_overdue",
		"Open steps of unresolved crises whose SLA has run out.", nil, nil)
	upDesc = prometheus.NewDesc("greenlight_domain_up",
		"1 when the last read of the domain figures from the database succeeded, else 0.", nil, nil)
	readDesc = prometheus.NewDesc("greenlight_domain_read_seconds",
		"How long the last read of the domain figures took.", nil, nil)
)

type domainCollector struct {
	src  FigureSource
	opts DomainOptions
	now  func() time.Time

	mu       sync.Mutex
	last     *store.Figures
	readAt   time.Time
	took     time.Duration
	ok       bool
	attempts int
}

func (d *domainCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, desc := range []*prometheus.Desc{postsDesc, waitingDesc, oldestDesc, breachesDesc, overdueDesc, upDesc, readDesc} {
		ch <- desc
	}
}

func (d *domainCollector) Collect(ch chan<- prometheus.Metric) {
	d.mu.Lock() // one read at a time; concurrent scrapes share it
	defer d.mu.Unlock()
	now := d.now()
	if d.attempts == 0 || now.Sub(d.readAt) >= d.opts.MinInterval {
		ctx, cancel := context.WithTimeout(context.Background(), d.opts.Timeout)
		f, err := d.src.Figures(ctx, now)
		cancel()
		d.attempts++
		d.readAt, d.took, d.ok = now, d.now().Sub(now), err == nil
		if err != nil {
			d.opts.Log.Warn("metrics: reading domain figures failed", "error", err)
		} else {
			d.last = &f
		}
	}
	up := 0.0
	if d.ok {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, up)
	ch <- prometheus.MustNewConstMetric(readDesc, prometheus.GaugeValue, d.took.Seconds())
	if d.last == nil {
		return
	}
	f := d.last
	for _, s := range greenlight.PostStatuses { // every status, zero included: a fixed set of series
		ch <- prometheus.MustNewConstMetric(postsDesc, prometheus.GaugeValue, float64(f.PostsByStatus[string(s)]), string(s))
	}
	for _, w := range f.Waiting {
		ch <- prometheus.MustNewConstMetric(waitingDesc, prometheus.GaugeValue, float64(w.Count), w.Stage)
		age := 0.0
		if w.Count > 0 && !w.Oldest.IsZero() {
			age = max(0, now.Sub(w.Oldest).Seconds())
		}
		ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age, w.Stage)
	}
	ch <- prometheus.MustNewConstMetric(breachesDesc, prometheus.CounterValue, float64(f.SLABreaches))
	ch <- prometheus.MustNewConstMetric(overdueDesc, prometheus.GaugeValue, float64(f.StepsOverdue))
}
