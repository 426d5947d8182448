// Package telemetry owns Greenlight's OpenTelemetry traces: an OTLP/HTTP exporter set up
// from the standard OTEL_* variables, spans for HTTP requests (a Fiber middleware), for
// Temporal calls, workflows and activities (the SDK's tracing interceptor) and for
// database statements (a GORM plugin). Log lines carry the trace id through
// internal/logging.
package telemetry

import (
	"context"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.39.0"
	"go.opentelemetry.io/otel/trace"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
)

// Tracing is a process's tracer provider and what instruments with it. A nil *Tracing
// is valid and traces nothing.
type Tracing struct {
	provider   *sdktrace.TracerProvider
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
}

// Enabled reports whether the environment asks for traces: OTEL_EXPORTER_OTLP_ENDPOINT
// or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set and OTEL_SDK_DISABLED is not true.
func Enabled() bool {
	if strings.EqualFold(os.Getenv("OTEL_SDK_DISABLED"), "true") {
		return false
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// FromEnv returns the tracing the OTEL_* variables configure, or nil when Enabled is
// false. Spans go over OTLP/HTTP (protobuf) to OTEL_EXPORTER_OTLP_ENDPOINT (+/v1/traces),
// with OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _CERTIFICATE… as the exporter reads them;
// OTEL_TRACES_SAMPLER(_ARG) choose the sampler (default: parent-based, always on);
// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES name the process, service defaulting to
// greenlight-<command>.
func FromEnv(ctx context.Context, service string) (*Tracing, error) {
	if !Enabled() {
		return nil, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("OpenTelemetry exporter: %w", err)
	}
	return New(ctx, service, sdktrace.NewBatchSpanProcessor(exp))
}

// New returns tracing whose spans go to processor (tests pass a synchronous one).
func New(ctx context.Context, service string, processor sdktrace.SpanProcessor) (*Tracing, error) {
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(service)), // OTEL_SERVICE_NAME (below) wins
		resource.WithFromEnv(), resource.WithTelemetrySDK(), resource.WithHost())
	if err != nil {
		return nil, fmt.Errorf("OpenTelemetry resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithSpanProcessor(processor))
	return &Tracing{
		provider:   tp,
		tracer:     tp.Tracer("github.com/greenlight/greenlight"),
		propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}, nil
}

// TemporalInterceptor returns the Temporal SDK's tracing interceptor on this provider, for
// client.Options.Interceptors: it traces client calls and, being a worker interceptor
// too, the workflows and activities of workers built on that client. Nil when t is nil.
func (t *Tracing) TemporalInterceptor() (interceptor.ClientInterceptor, error) {
	if t == nil {
		return nil, nil
	}
	return temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{
		Tracer: t.provider.Tracer("go.temporal.io/sdk"), TextMapPropagator: t.propagator,
	})
}

// Shutdown sends the spans still buffered and stops the provider.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.provider.Shutdown(ctx)
}
