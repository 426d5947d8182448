package metrics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/devstack"
	"github.com/greenlight/greenlight/metrics"
)

// scrape GETs a /metrics URL and parses the Prometheus text format.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return fams
}

// value returns the value of the family's series whose labels include want, and whether
// there is one.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

type client struct {
	t         *testing.T
	base, key string
}

func (c client) must(status int, method, path string, body any) map[string]any {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(c.t, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	require.NoError(c.t, err)
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	require.Equal(c.t, status, resp.StatusCode, "%s %s: %s", method, path, data)
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	return out
}

// TestScrapeOfARunningStack runs the dev stack (embedded Temporal, worker, API) with
// metrics, takes a post to the client's approval, and scrapes /metrics: the Temporal SDK's
// metrics, the HTTP requests by route pattern and the domain figures are there, and every
// metric the shipped Grafana dashboard queries exists in the scrape.
func TestScrapeOfARunningStack(t *testing.T) {
	m := metrics.New()
	srv, err := m.Serve("127.0.0.1:0", slog.Default())
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stack, err := devstack.Start(ctx, devstack.Config{
		Addr: "127.0.0.1:0", DataDir: t.TempDir(), AdminKey: "glk_metrics-admin",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: m,
	})
	require.NoError(t, err)
	t.Cleanup(stack.Stop)

	api := client{t: t, base: stack.URL, key: "glk_metrics-admin"}
	c := api.must(201, "POST", "/api/v1/clients", map[string]any{
		"digest_window": "0s", // one approval email per post
		"name":          "Brand", "approvers": []map[string]string{{"name": "Ana", "email": "ana@brand.test"}},
	})
	post := api.must(201, "POST", "/api/v1/posts", map[string]any{
		"client_id": c["id"], "title": "Winter menu", "body": "Notre menu d'hiver", "channels": []string{"instagram"},
		"publish_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
	})
	id := post["id"].(string)
	api.must(200, "POST", "/api/v1/posts/"+id+"/submit", nil)
	u := api.must(201, "POST", "/api/v1/users", map[string]any{"email": "rev@agency.test", "name": "Rev", "role": "reviewer", "client_ids": []string{}})
	reviewer := client{t: t, base: stack.URL, key: u["api_key"].(string)}
	reviewer.must(200, "POST", "/api/v1/posts/"+id+"/review", map[string]any{"version": 1, "decision": "approve"})
	api.must(200, "GET", "/api/v1/posts/"+id, nil)
	api.must(404, "GET", "/api/v1/no/such/route/"+id, nil)

	url := "http://" + srv.Addr + "/metrics"
	checks := []struct {
		name   string
		metric string
		labels map[string]string
		min    float64
	}{
		{"temporal client requests", "temporal_request_total", map[string]string{"namespace": "default"}, 1},
		{"temporal workflow tasks", "temporal_workflow_task_execution_latency_seconds", map[string]string{"workflow_type": "PostApproval"}, 1},
		{"temporal activities", "temporal_activity_execution_latency_seconds", map[string]string{"activity_type": "RequestApproval"}, 1},
		{"http by route pattern", "greenlight_http_requests_total", map[string]string{"method": "GET", "route": "/api/v1/posts/:id", "status": "200"}, 1},
		{"http created", "greenlight_http_requests_total", map[string]string{"method": "POST", "route": "/api/v1/posts", "status": "201"}, 1},
		{"http unmatched", "greenlight_http_requests_total", map[string]string{"route": metrics.Unmatched, "status": "404"}, 1},
		{"http latency", "greenlight_http_request_duration_seconds", map[string]string{"route": "/api/v1/posts/:id/submit"}, 1},
		{"posts by status", "greenlight_posts", map[string]string{"status": "awaiting_client"}, 1},
		{"approvals waiting", "greenlight_approvals_waiting", map[string]string{"stage": "client"}, 1},
		{"oldest approval", "greenlight_approval_oldest_wait_seconds", map[string]string{"stage": "client"}, 0},
		{"emails sent", "greenlight_emails_total", map[string]string{"result": "sent"}, 1},
		{"crisis SLA breaches", "greenlight_crisis_sla_breaches_total", nil, 0},
		{"domain up", "greenlight_domain_up", nil, 1},
	}
	// The SDK reports every second and the figures are reread every 10s: wait for them.
	var fams map[string]*dto.MetricFamily
	deadline := time.Now().Add(60 * time.Second)
	for {
		fams = scrape(t, url)
		missing := ""
		for _, c := range checks {
			if v, ok := value(fams, c.metric, c.labels); !ok || v < c.min {
				missing = c.name
				break
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			var names []string
			for n := range fams {
				names = append(names, n)
			}
			t.Fatalf("%s: not in the scrape within 60s; families: %v", missing, names)
		}
		time.Sleep(250 * time.Millisecond)
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			v, ok := value(fams, c.metric, c.labels)
			require.True(t, ok)
			require.GreaterOrEqual(t, v, c.min)
		})
	}
	t.Run("no raw URLs as routes", func(t *testing.T) {
		for _, m := range fams["greenlight_http_requests_total"].Metric {
			for _, l := range m.Label {
				if l.GetName() == "route" {
					require.NotContains(t, l.GetValue(), id, "route labels are patterns")
				}
			}
		}
	})
	t.Run("the dashboard queries only metrics in the scrape", func(t *testing.T) {
		names := dashboardMetrics(t, "../deploy/grafana/greenlight.json")
		require.NotEmpty(t, names)
		for _, n := range names {
			_, ok := fams[familyOf(n, fams)]
			require.True(t, ok, "the dashboard queries %s, which the scrape does not have", n)
		}
	})
}

var metricName = regexp.MustCompile(`\b(?:greenlight|temporal|go|process)_[a-zA-Z0-9_]+`)

// dashboardMetrics returns the metric names every panel's PromQL expressions use.
func dashboardMetrics(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var d struct {
		Title  string `json:"title"`
		Panels []struct {
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(data, &d), "the dashboard is JSON")
	require.NotEmpty(t, d.Title)
	seen := map[string]bool{}
	var out []string
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		require.NotEmpty(t, p.Targets, "panel %q queries something", p.Title)
		for _, tg := range p.Targets {
			found := metricName.FindAllString(tg.Expr, -1)
			require.NotEmpty(t, found, "panel %q: %s names no metric", p.Title, tg.Expr)
			for _, n := range found {
				if !seen[n] {
					seen[n] = true
					out = append(out, n)
				}
			}
		}
	}
	return out
}

// familyOf maps a series name to its family: histogram series end in _bucket, _sum or
// _count.
func familyOf(name string, fams map[string]*dto.MetricFamily) string {
	if _, ok := fams[name]; ok {
		return name
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			if f, ok := fams[base]; ok && (f.GetType() == dto.MetricType_HISTOGRAM || f.GetType() == dto.MetricType_SUMMARY) {
				return base
			}
		}
	}
	return name
}
