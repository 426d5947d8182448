package telemetry_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/api"
	"github.com/greenlight/greenlight/internal/logging"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
	"github.com/greenlight/greenlight/telemetry"
)

// receiver is an OTLP/HTTP trace endpoint: it decodes the protobuf export requests the
// exporter posts to /v1/traces and keeps their spans.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	spans    []*tracepb.Span
	services []string
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "unexpected "+req.URL.Path+" "+req.Header.Get("Content-Type"), http.StatusBadRequest)
			return
		}
		var body io.Reader = req.Body
		if req.Header.Get("Content-Encoding") == "gzip" {
			gz, err := gzip.NewReader(req.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = gz
		}
		data, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var export coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(data, &export); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		for _, rs := range export.ResourceSpans {
			for _, a := range rs.GetResource().GetAttributes() {
				if a.Key == "service.name" {
					r.services = append(r.services, a.GetValue().GetStringValue())
				}
			}
			for _, ss := range rs.ScopeSpans {
				r.spans = append(r.spans, ss.Spans...)
			}
		}
		r.mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) collected() ([]*tracepb.Span, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*tracepb.Span(nil), r.spans...), append([]string(nil), r.services...)
}

// TestARequestIsOneTrace: with OTEL_EXPORTER_OTLP_ENDPOINT set, one API request gives a
// server span named after its route, the database statements it ran are child spans in
// the same trace, a caller's traceparent is continued, and the request's log line carries
// the trace id.
func TestARequestIsOneTrace(t *testing.T) {
	recv := newReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", recv.URL)
	t.Setenv("OTEL_SERVICE_NAME", "")
	t.Setenv("OTEL_SDK_DISABLED", "")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.True(t, telemetry.Enabled())
	tr, err := telemetry.FromEnv(ctx, "greenlight-api")
	require.NoError(t, err)
	require.NotNil(t, tr)

	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "greenlight.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	require.NoError(t, st.Migrate(ctx))
	require.NoError(t, tr.InstrumentDB(st.DB()))
	const key = "glk_trace-admin"
	hash := greenlight.HashToken(key)
	require.NoError(t, st.EnsureUser(ctx, &store.User{ID: greenlight.NewID("usr_"), Email: "admin@trace.test", Name: "Admin",
		Role: string(greenlight.RoleAdmin), APIKeyHash: &hash}))

	var logs bytes.Buffer
	var logMu sync.Mutex
	log := logging.New(lockedWriter{&logs, &logMu}, "debug")
	app := api.New(api.Config{
		Service: &service.Service{Store: st, Log: log}, Store: st, Log: log,
		Middleware: []fiber.Handler{tr.Middleware(log)},
	})
	get := func(header map[string]string) {
		req := httptest.NewRequest("GET", "/api/v1/clients", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := app.Test(req, -1)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode)
	}
	get(nil)
	const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	get(map[string]string{"traceparent": "00-" + callerTrace + "-00f067aa0ba902b7-01"})
	require.NoError(t, tr.Shutdown(ctx)) // flushes the batch to the receiver

	spans, services := recv.collected()
	require.Contains(t, services, "greenlight-api")
	var servers []*tracepb.Span
	for _, s := range spans {
		if s.Kind == tracepb.Span_SPAN_KIND_SERVER {
			servers = append(servers, s)
		}
	}
	require.Len(t, servers, 2, "one server span per request")
	for i, server := range servers {
		require.Equal(t, "GET /api/v1/clients", server.Name)
		traceID := hex.EncodeToString(server.TraceId)
		var children []string
		for _, s := range spans {
			if s.Kind == tracepb.Span_SPAN_KIND_CLIENT && bytes.Equal(s.TraceId, server.TraceId) {
				require.Equal(t, server.SpanId, s.ParentSpanId, "database span %q is the request span's child", s.Name)
				children = append(children, s.Name)
			}
		}
		require.NotEmpty(t, children, "request %d: database spans in trace %s", i, traceID)
		require.Contains(t, strings.Join(children, ","), "users", "the API key lookup is traced")
		logMu.Lock()
		require.Contains(t, logs.String(), "trace_id="+traceID, "the request's log line carries its trace id")
		logMu.Unlock()
	}
	require.Equal(t, callerTrace, hex.EncodeToString(servers[1].TraceId), "a caller's traceparent is continued")
	for _, s := range spans {
		for _, a := range s.Attributes {
			if a.Key == "db.query.text" {
				require.NotContains(t, a.GetValue().GetStringValue(), hash, "statements are recorded without their arguments")
			}
		}
	}
}

// TestDisabledWithoutEndpoint: no endpoint, or OTEL_SDK_DISABLED, means no tracing, and a
// nil *Tracing instruments nothing.
func TestDisabledWithoutEndpoint(t *testing.T) {
	tests := []struct {
		name          string
		endpoint, off string
		wantTracing   bool
	}{
		{name: "no endpoint"},
		{name: "endpoint", endpoint: "http://127.0.0.1:4318", wantTracing: true},
		{name: "disabled", endpoint: "http://127.0.0.1:4318", off: "true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", tt.endpoint)
			t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
			t.Setenv("OTEL_SDK_DISABLED", tt.off)
			tr, err := telemetry.FromEnv(context.Background(), "greenlight-test")
			require.NoError(t, err)
			require.Equal(t, tt.wantTracing, tr != nil)
			require.NoError(t, tr.Shutdown(context.Background()))
		})
	}
	var none *telemetry.Tracing
	i, err := none.TemporalInterceptor()
	require.NoError(t, err)
	require.Nil(t, i)
	require.NoError(t, none.InstrumentDB(nil))
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
