package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/greenlight/greenlight/devstack"
	"github.com/greenlight/greenlight/telemetry"
)

// TestTemporalSpansJoinTheRequestTrace runs the dev stack with tracing: creating a post
// is one trace from the HTTP span through the Temporal client's UpdateWithStartWorkflow to
// the worker's HandleUpdate and the RunActivity of the activity it runs, whose database
// statements are its children.
func TestTemporalSpansJoinTheRequestTrace(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tr, err := telemetry.New(ctx, "greenlight-dev", sdktrace.NewSimpleSpanProcessor(exp))
	require.NoError(t, err)
	stack, err := devstack.Start(ctx, devstack.Config{
		Addr: "127.0.0.1:0", DataDir: t.TempDir(), AdminKey: "glk_trace-admin",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Tracing: tr,
	})
	require.NoError(t, err)
	t.Cleanup(stack.Stop)

	post := func(path string, body any) map[string]any {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", stack.URL+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer glk_trace-admin")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		require.Equal(t, 201, resp.StatusCode, "%s", data)
		var out map[string]any
		require.NoError(t, json.Unmarshal(data, &out))
		return out
	}
	c := post("/api/v1/clients", map[string]any{"name": "Brand", "digest_window": "0s", "approvers": []map[string]string{{"name": "Ana", "email": "ana@brand.test"}}})
	post("/api/v1/posts", map[string]any{"client_id": c["id"], "title": "Winter menu", "body": "Bonjour", "channels": []string{"instagram"},
		"publish_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})

	find := func(spans tracetest.SpanStubs, prefix string, traceID trace.TraceID) *tracetest.SpanStub {
		for i, s := range spans {
			if strings.HasPrefix(s.Name, prefix) && (!traceID.IsValid() || s.SpanContext.TraceID() == traceID) {
				return &spans[i]
			}
		}
		return nil
	}
	var spans tracetest.SpanStubs
	var request *tracetest.SpanStub
	deadline := time.Now().Add(30 * time.Second)
	for {
		spans = exp.GetSpans()
		if request = find(spans, "POST /api/v1/posts", trace.TraceID{}); request != nil &&
			find(spans, "HandleUpdate:", request.SpanContext.TraceID()) != nil &&
			find(spans, "RunActivity:", request.SpanContext.TraceID()) != nil {
			break
		}
		if time.Now().After(deadline) {
			var names []string
			for _, s := range spans {
				names = append(names, s.Name)
			}
			t.Fatalf("spans so far: %v", names)
		}
		time.Sleep(100 * time.Millisecond)
	}
	id := request.SpanContext.TraceID()
	start := find(spans, "UpdateWithStartWorkflow:", id)
	require.NotNil(t, start, "the client's UpdateWithStartWorkflow span is in the request's trace")
	require.Equal(t, request.SpanContext.SpanID(), start.Parent.SpanID(), "the Temporal call is the request span's child")
	require.NotNil(t, find(spans, "HandleUpdate:", id), "the worker's span continues the trace")

	activity := find(spans, "RunActivity:", id)
	var dbChild bool
	for _, s := range spans {
		if s.Parent.SpanID() == activity.SpanContext.SpanID() && s.SpanKind == trace.SpanKindClient {
			dbChild = true
		}
	}
	require.True(t, dbChild, "activity %s's database statements are its children", activity.Name)
}
