package metrics

import (
	"context"
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/mail"
	"github.com/greenlight/greenlight/publish"
)

// The counters of events that happen in activities. They are process-wide (an activity
// does not know which registry its process serves), and every registry New makes exposes
// them; nothing registers them on Prometheus's global default registry.
var (
	emails = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "greenlight_emails_total",
		Help: "Emails handed to the mail server (or the dev catcher), by result: sent or failed.",
	}, []string{"result"})
	publications = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "greenlight_publications_total",
		Help: "Publication attempts that recorded a result, by network and result: published, or the failure kind.",
	}, []string{"network", "result"})
)

func init() {
	// Start the series at zero so that rates and dashboards show them before the first event.
	for _, r := range []string{"sent", "failed"} {
		emails.WithLabelValues(r)
	}
	for network := range greenlight.Channels {
		publications.WithLabelValues(network, ResultPublished)
	}
}

// Publication results besides the failure kinds of publish.Kind (retryable, rate_limit,
// auth, permanent, ambiguous).
const (
	ResultPublished = "published"
	ResultFailed    = "failed" // an error that is not a *publish.Error
)

// publicationResults bounds the result label.
var publicationResults = map[string]bool{
	ResultPublished: true, ResultFailed: true,
	publish.KindRetryable.String(): true, publish.KindRateLimit.String(): true, publish.KindAuth.String(): true,
	publish.KindPermanent.String(): true, publish.KindAmbiguous.String(): true,
}

// Publication counts one publication attempt on network (a channel name such as
// "bluesky") that recorded result; see PublicationResult. Unknown results count as
// "failed". Call it once per attempt whose outcome is recorded, not for an effect found
// already done.
func Publication(network, result string) {
	if !publicationResults[result] {
		result = ResultFailed
	}
	if !plainLabel(network) {
		network = "other"
	}
	publications.WithLabelValues(network, result).Inc()
}

// PublicationResult names the result of a publication that returned err: "published"
// for nil, the kind of a *publish.Error (retryable, rate_limit, auth, permanent,
// ambiguous), "failed" otherwise.
func PublicationResult(err error) string {
	if err == nil {
		return ResultPublished
	}
	var pe *publish.Error
	if errors.As(err, &pe) {
		return pe.Kind.String()
	}
	return ResultFailed
}

// CountEmails wraps a mail sender so that every send is counted as sent or failed.
func CountEmails(s mail.Sender) mail.Sender { return countingSender{s} }

type countingSender struct{ next mail.Sender }

func (c countingSender) Send(ctx context.Context, m mail.Message) error {
	err := c.next.Send(ctx, m)
	if err != nil {
		emails.WithLabelValues("failed").Inc()
	} else {
		emails.WithLabelValues("sent").Inc()
	}
	return err
}

// plainLabel reports whether s is a short lowercase name (a network's), so that a label
// value can never carry arbitrary text.
func plainLabel(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' && r != '-' {
			return false
		}
	}
	return true
}
