// Package metrics owns Greenlight's Prometheus metrics, on a registry of its own (never the
// global default one): the Temporal SDK's client and worker metrics (through the SDK's tally
// contrib), HTTP requests by route pattern, emails and publications counted where they
// happen, and domain figures read from the database at scrape time. Serve exposes them on
// a listener separate from the API's (GREENLIGHT_METRICS_ADDR).
package metrics

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
)

// Metrics is one process's registry and the instruments on it. Create it with New; it is
// safe for concurrent use.
type Metrics struct {
	// Registry holds every metric this process exposes.
	Registry *prometheus.Registry

	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	inFlight prometheus.Gauge

	temporalOnce sync.Once
	temporal     client.MetricsHandler
	tallyCloser  io.Closer
	closeOnce    sync.Once
}

// New returns a registry with the Go runtime and process collectors, the HTTP
// instruments and the process-wide email and publication counters.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenlight_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status code.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "greenlight_http_request_duration_seconds",
			Help:    "Time from a request's arrival to its response, by method and route pattern.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method", "route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "greenlight_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.latency, m.inFlight,
		emails, publications,
	)
	return m
}

// TemporalHandler returns the metrics handler to set as client.Options.MetricsHandler:
// the SDK's metrics (temporal_request_total, temporal_workflow_task_*, temporal_activity_*
// …) named the Prometheus way and reported into this registry every second.
func (m *Metrics) TemporalHandler() client.MetricsHandler {
	m.temporalOnce.Do(func() {
		reporter := tallyprom.NewReporter(tallyprom.Options{
			Registerer:       m.Registry,
			DefaultTimerType: tallyprom.HistogramTimerType,
		})
		scope, closer := tally.NewRootScope(tally.ScopeOptions{
			CachedReporter:  reporter,
			Separator:       tallyprom.DefaultSeparator,
			SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
		}, time.Second)
		m.tallyCloser = closer
		m.temporal = sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(scope))
	})
	return m.temporal
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry, ErrorHandling: promhttp.ContinueOnError})
}

// Serve exposes /metrics on addr until Close; it returns once the listener is open.
func (m *Metrics) Serve(addr string, log *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	s := &Server{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, Addr: ln.Addr().String(), m: m}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "error", err)
		}
	}()
	return s, nil
}

// Server is the metrics listener.
type Server struct {
	// Addr is the address it listens on.
	Addr string
	srv  *http.Server
	m    *Metrics
}

// Close flushes the Temporal metrics and stops the listener after in-flight scrapes.
func (s *Server) Close() error {
	if s == nil {
		return nil
	}
	s.m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// Close stops the Temporal metrics' reporting loop (a last report included).
func (m *Metrics) Close() {
	m.temporalOnce.Do(func() {}) // no handler is made after Close
	m.closeOnce.Do(func() {
		if m.tallyCloser != nil {
			_ = m.tallyCloser.Close()
		}
	})
}
