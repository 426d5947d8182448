package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.temporal.io/sdk/client"

	"github.com/greenlight/greenlight/metrics"
	"github.com/greenlight/greenlight/store"
	"github.com/greenlight/greenlight/telemetry"
)

// observeEnvVars configure metrics, traces and graceful shutdown. They are appended to
// envVars, so getenv, the README check and the compose check cover them. The OTEL_*
// variables listed are the ones that turn tracing on and name the process; the exporter
// also reads the other standard OTEL_EXPORTER_OTLP_* variables (headers, timeout,
// certificates) and the SDK OTEL_TRACES_SAMPLER(_ARG) and OTEL_RESOURCE_ATTRIBUTES.
var observeEnvVars = []struct{ Name, Default, Help string }{
	{"GREENLIGHT_METRICS_ADDR", "", "api, worker, dev: listen address of the Prometheus endpoint /metrics, e.g. 0.0.0.0:9464 (empty: no metrics); keep it off the public network"},
	{"GREENLIGHT_SHUTDOWN_DELAY", "5s", "api: on SIGTERM, how long /readyz answers 503 before the server stops accepting connections (load balancers notice)"},
	{"GREENLIGHT_SHUTDOWN_TIMEOUT", "20s", "api: how long in-flight requests get to finish after that; worker: how long running activities get to finish (WorkerStopTimeout)"},
	{"OTEL_EXPORTER_OTLP_ENDPOINT", "", "api, worker, dev: OTLP/HTTP collector base URL, e.g. http://otel-collector:4318; set: traces of HTTP requests, Temporal calls, workflows, activities and SQL statements (other OTEL_* variables apply)"},
	{"OTEL_SERVICE_NAME", "", "service name on traces (default greenlight-api, greenlight-worker or greenlight-dev)"},
}

func init() { envVars = append(envVars, observeEnvVars...) }

// observeConfig is the part of config these variables set.
type observeConfig struct {
	metricsAddr                    string
	shutdownDelay, shutdownTimeout time.Duration
}

func readObserveConfig(errs *[]error) observeConfig {
	o := observeConfig{metricsAddr: getenv("GREENLIGHT_METRICS_ADDR")}
	if o.metricsAddr != "" {
		if _, _, err := net.SplitHostPort(o.metricsAddr); err != nil {
			*errs = append(*errs, fmt.Errorf("GREENLIGHT_METRICS_ADDR: must be host:port such as 0.0.0.0:9464"))
		}
	}
	for _, v := range []struct {
		name string
		dst  *time.Duration
	}{{"GREENLIGHT_SHUTDOWN_DELAY", &o.shutdownDelay}, {"GREENLIGHT_SHUTDOWN_TIMEOUT", &o.shutdownTimeout}} {
		d, err := time.ParseDuration(getenv(v.name))
		if err != nil || d < 0 {
			*errs = append(*errs, fmt.Errorf("%s: must be a duration such as 5s", v.name))
			continue
		}
		*v.dst = d
	}
	return o
}

// observability is how a command instruments itself: metrics when GREENLIGHT_METRICS_ADDR
// is set, traces when OTEL_EXPORTER_OTLP_ENDPOINT is. Every method works on a command
// that has neither.
type observability struct {
	metrics *metrics.Metrics
	server  *metrics.Server
	tracing *telemetry.Tracing
	log     *slog.Logger
}

// observe starts the metrics listener and the trace exporter of command ("api", "worker",
// "dev").
func observe(ctx context.Context, c config, command string, log *slog.Logger) (*observability, error) {
	o := &observability{log: log}
	var err error
	if o.tracing, err = telemetry.FromEnv(ctx, "greenlight-"+command); err != nil {
		return nil, err
	}
	if c.observe.metricsAddr != "" {
		o.metrics = metrics.New()
		if o.server, err = o.metrics.Serve(c.observe.metricsAddr, log); err != nil {
			_ = o.tracing.Shutdown(ctx)
			return nil, fmt.Errorf("GREENLIGHT_METRICS_ADDR: %w", err)
		}
		log.Info("metrics listening", "addr", o.server.Addr, "path", "/metrics")
	}
	if o.tracing != nil {
		log.Info("tracing on", "exporter", "otlp/http")
	}
	return o, nil
}

// temporal adds the SDK metrics handler and the tracing interceptor to client options.
func (o *observability) temporal(opts *client.Options) error {
	if o.metrics != nil {
		opts.MetricsHandler = o.metrics.TemporalHandler()
	}
	i, err := o.tracing.TemporalInterceptor()
	if err != nil {
		return err
	}
	if i != nil {
		opts.Interceptors = append(opts.Interceptors, i)
	}
	return nil
}

// store traces st's statements and reports its domain figures.
func (o *observability) store(st *store.Store) error {
	if err := o.tracing.InstrumentDB(st.DB()); err != nil {
		return err
	}
	if o.metrics != nil {
		o.metrics.WatchDomain(st, metrics.DomainOptions{Log: o.log})
	}
	return nil
}

// middleware is what the HTTP app runs first: request metrics outside, the span inside
// (so that the error handler's log lines carry the trace id).
func (o *observability) middleware() []fiber.Handler {
	var hs []fiber.Handler
	if o.metrics != nil {
		hs = append(hs, o.metrics.Middleware())
	}
	if o.tracing != nil {
		hs = append(hs, o.tracing.Middleware(o.log))
	}
	return hs
}

// close flushes the spans and stops the metrics listener, last.
func (o *observability) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := errors.Join(o.tracing.Shutdown(ctx), o.server.Close())
	if err != nil {
		o.log.Warn("telemetry shutdown", "error", err)
	}
}
