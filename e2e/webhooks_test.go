package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/devstack"
	"github.com/greenlight/greenlight/events"
	"github.com/greenlight/greenlight/store"
	"github.com/greenlight/greenlight/workflows"
)

// eventReceiver is a subscriber's endpoint: it keeps every request and verifies nothing
// itself (the test does, as the specification says).
type eventReceiver struct {
	mu  sync.Mutex
	got []eventRequest
}

type eventRequest struct {
	ID, Timestamp, Signature string
	Body                     []byte
	Type, Subject            string
}

func newEventReceiver(t *testing.T) (*eventReceiver, string) {
	r := &eventReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var env struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		_ = json.Unmarshal(body, &env)
		subject := ""
		if id, ok := env.Data["post_id"].(string); ok {
			subject = "post:" + id
		} else if id, ok := env.Data["crisis_id"].(string); ok {
			subject = "crisis:" + id
		}
		r.mu.Lock()
		r.got = append(r.got, eventRequest{ID: req.Header.Get("webhook-id"), Timestamp: req.Header.Get("webhook-timestamp"),
			Signature: req.Header.Get("webhook-signature"), Body: body, Type: env.Type, Subject: subject})
		r.mu.Unlock()
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "thanks")
	}))
	t.Cleanup(srv.Close)
	return r, srv.URL
}

// of returns the requests about one subject, in the order they came.
func (r *eventReceiver) of(subject string) []eventRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []eventRequest
	for _, g := range r.got {
		if g.Subject == subject {
			out = append(out, g)
		}
	}
	return out
}

func types(rs []eventRequest) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Type)
	}
	return out
}

// verifyStandardWebhook checks a request as a receiver following the Standard Webhooks
// specification would: HMAC-SHA256 with the base64 key after "whsec_" over
// "{webhook-id}.{webhook-timestamp}.{body}", one of the space-separated "v1," signatures
// matching, and a timestamp within five minutes.
func verifyStandardWebhook(t *testing.T, secret string, r eventRequest) {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	require.NoError(t, err)
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", r.ID, r.Timestamp, r.Body)
	want := mac.Sum(nil)
	ok := false
	for _, s := range strings.Fields(r.Signature) {
		if v, b64, _ := strings.Cut(s, ","); v == "v1" {
			got, err := base64.StdEncoding.DecodeString(b64)
			ok = ok || (err == nil && hmac.Equal(got, want))
		}
	}
	require.True(t, ok, "signature of %s %s", r.Type, r.ID)
	ts, err := strconv.ParseInt(r.Timestamp, 10, 64)
	require.NoError(t, err)
	require.WithinDuration(t, time.Now(), time.Unix(ts, 0), 5*time.Minute)
}

// A receiver subscribed to every event gets each event of the approval walkthrough (the
// client approving from the emailed link) and of a crisis (start, statement decisions,
// resolve) exactly once, signed, in the order they happened; the delivery log shows the
// attempts; a redelivery sends the same webhook-id again.
func TestEventWebhooksWalkthrough(t *testing.T) {
	admin := adminAPI(t)
	recv, recvURL := newEventReceiver(t)
	editor := admin.createUser("editor")
	reviewer := admin.createUser("reviewer")

	// Subscribing: admins limited to no client only; unknown events and internal
	// addresses are refused naming the field.
	all := []string{"post.submitted", "post.reviewed", "post.client_decided", "post.scheduled", "post.published",
		"post.failed", "post.expired", "crisis.started", "crisis.step_overdue", "crisis.statement_decided", "crisis.resolved"}
	require.Equal(t, 403, editor.do("POST", "/api/v1/webhooks", map[string]any{"url": recvURL, "events": all}).Status)
	r := admin.do("POST", "/api/v1/webhooks", map[string]any{"url": recvURL, "events": []string{"post.published", "post.created"}})
	require.Equal(t, 422, r.Status)
	require.Contains(t, r.json(t)["error"].(map[string]any)["message"], `events[1]: unknown event "post.created"`)
	r = admin.do("POST", "/api/v1/webhooks", map[string]any{"url": "http://169.254.169.254/latest/meta-data", "events": all})
	require.Equal(t, 422, r.Status)
	require.True(t, strings.HasPrefix(r.json(t)["error"].(map[string]any)["message"].(string), "url: "), "%s", r.Body)

	hook := admin.must(201, "POST", "/api/v1/webhooks", map[string]any{"url": recvURL, "events": all, "description": "e2e receiver"})
	hookID := hook["id"].(string)
	secret := hook["secret"].(string)
	require.True(t, strings.HasPrefix(secret, "whsec_"))
	t.Cleanup(func() { admin.do("DELETE", "/api/v1/webhooks/"+hookID, nil) })
	got := admin.must(200, "GET", "/api/v1/webhooks/"+hookID, nil)
	require.NotContains(t, got, "secret", "the secret is shown once")
	list := admin.do("GET", "/api/v1/webhooks", nil)
	require.Equal(t, 200, list.Status)
	require.Contains(t, string(list.Body), hookID)
	require.NotContains(t, string(list.Body), secret)

	// The approval walkthrough.
	_, publishURL := newWebhook(t)
	ana := uniqueEmail("ana")
	clientID := admin.must(201, "POST", "/api/v1/clients", map[string]any{
		"digest_window": "0s", "name": "Brasserie Lumière", "approval_policy": "any", "webhook_url": publishURL,
		"approvers": []map[string]string{{"name": "Ana", "email": ana}},
	})["id"].(string)
	postID := editor.createPost(clientID, 6*time.Second, nil)["id"].(string)
	editor.must(200, "POST", "/api/v1/posts/"+postID+"/submit", nil)
	reviewer.must(200, "POST", "/api/v1/posts/"+postID+"/review", map[string]any{"version": 1, "decision": "approve"})
	done := form(t, linkIn(t, waitMail(t, ana, 1)[0]), url.Values{"decision": {"approve"}}, "application/json")
	require.Equal(t, 200, done.Status, "%s", done.Body)
	editor.waitStatus(postID, "published", 30*time.Second)

	// A crisis: start, the statement approved by legal and the client, resolve.
	cc := newCrisisClient(t, admin, false)
	lead := admin.createUser("crisis_lead", cc.ID)
	crisisID := lead.must(201, "POST", "/api/v1/crises", map[string]any{"client_id": cc.ID, "playbook": "bad-buzz",
		"severity": "high", "summary": "Biscuit rumour"})["id"].(string)
	lead.must(200, "POST", "/api/v1/crises/"+crisisID+"/steps/assemble/complete", map[string]any{})
	lead.waitStep(crisisID, "alert-team", "done")
	lead.must(200, "POST", "/api/v1/crises/"+crisisID+"/steps/qualify/complete", map[string]any{})
	lead.waitStep(crisisID, "holding-statement", "ready")
	lead.must(200, "POST", "/api/v1/crises/"+crisisID+"/statements", map[string]any{"body": "Nous vérifions.", "channels": []string{"x"}})
	approveStatementLinks(t, map[string]bool{}, cc.Legal, cc.Approver)
	lead.waitStep(crisisID, "holding-statement", "done")
	lead.must(200, "POST", "/api/v1/crises/"+crisisID+"/resolve", map[string]any{"summary": "Rumour denied"})

	postEvents := []string{"post.submitted", "post.reviewed", "post.client_decided", "post.scheduled", "post.published"}
	crisisEvents := []string{"crisis.started", "crisis.statement_decided", "crisis.statement_decided", "crisis.resolved"}
	eventually(t, 30*time.Second, func() bool {
		return len(recv.of("post:"+postID)) >= len(postEvents) && len(recv.of("crisis:"+crisisID)) >= len(crisisEvents)
	}, "every event to arrive")
	require.Equal(t, postEvents, types(recv.of("post:"+postID)), "each post event once, in order")
	require.Equal(t, crisisEvents, types(recv.of("crisis:"+crisisID)), "each crisis event once, in order")
	seen := map[string]bool{}
	for _, g := range append(recv.of("post:"+postID), recv.of("crisis:"+crisisID)...) {
		verifyStandardWebhook(t, secret, g)
		checkEventBody(t, g.Type, g.Body) // the payload is the one the OpenAPI document shows
		require.False(t, seen[g.ID], "webhook-id %s twice", g.ID)
		seen[g.ID] = true
		var env map[string]any
		require.NoError(t, json.Unmarshal(g.Body, &env))
		require.EqualValues(t, 1, env["version"])
		require.NotEmpty(t, env["timestamp"])
	}
	var approved map[string]any
	require.NoError(t, json.Unmarshal(recv.of("post:" + postID)[2].Body, &approved))
	data := approved["data"].(map[string]any)
	require.Equal(t, "approved", data["decision"])
	require.Equal(t, "Ana", data["approver"].(map[string]any)["name"])
	require.Equal(t, clientID, data["client_id"])
	var decided map[string]any
	require.NoError(t, json.Unmarshal(recv.of("crisis:" + crisisID)[1].Body, &decided))
	require.Equal(t, "approved", decided["data"].(map[string]any)["decision"])

	// The delivery log: attempts with status and duration, never the receiver's body.
	var published map[string]any
	eventually(t, 10*time.Second, func() bool {
		for _, d := range admin.must(200, "GET", "/api/v1/webhooks/"+hookID+"/deliveries", nil)["deliveries"].([]any) {
			m := d.(map[string]any)
			if m["event_type"] == "post.published" && m["subject"] == "post:"+postID && m["status"] == "delivered" {
				published = m
				return true
			}
		}
		return false
	}, "the post.published delivery to be logged delivered")
	attempts := published["attempts"].([]any)
	require.Len(t, attempts, 1)
	require.EqualValues(t, 200, attempts[0].(map[string]any)["status_code"])
	require.Contains(t, attempts[0].(map[string]any), "duration_ms")
	log := admin.do("GET", "/api/v1/webhooks/"+hookID+"/deliveries", nil)
	require.NotContains(t, string(log.Body), "thanks", "the receiver's body is not kept")
	require.Equal(t, 403, editor.do("GET", "/api/v1/webhooks/"+hookID+"/deliveries", nil).Status)

	// Redelivery: the same webhook-id and body, a fresh timestamp and signature.
	eventID := published["event_id"].(string)
	re := admin.do("POST", "/api/v1/webhooks/"+hookID+"/deliveries/"+published["id"].(string)+"/redeliver", nil)
	require.Equal(t, 202, re.Status, "%s", re.Body)
	var again []eventRequest
	eventually(t, 20*time.Second, func() bool {
		again = nil
		for _, g := range recv.of("post:" + postID) {
			if g.ID == eventID {
				again = append(again, g)
			}
		}
		return len(again) == 2
	}, "the redelivery")
	verifyStandardWebhook(t, secret, again[1])
	require.Equal(t, again[0].Body, again[1].Body)
	require.Equal(t, 404, admin.do("POST", "/api/v1/webhooks/"+hookID+"/deliveries/dlv_nope/redeliver", nil).Status)
	recordHistory(t, activities.WebhookDeliveryWorkflowID(activities.WebhookQueue{WebhookID: hookID, Subject: "crisis:" + crisisID}), "webhook_delivery")

	// The admin page lists it and shows its deliveries with a redeliver button.
	adminUser, err := stack.Store.UserByEmail(context.Background(), devstack.AdminEmail)
	require.NoError(t, err)
	pg := signIn(t, adminUser.ID).do("GET", "/admin/webhooks/"+hookID, nil)
	require.Equal(t, 200, pg.Status)
	require.Contains(t, string(pg.Body), "post.published")
	require.Contains(t, string(pg.Body), "/admin/webhooks/"+hookID+"/redeliver")
	require.NotContains(t, string(pg.Body), secret)

	// Deleting the subscription stops everything.
	require.Equal(t, 204, admin.do("DELETE", "/api/v1/webhooks/"+hookID, nil).Status)
	require.Equal(t, 404, admin.do("GET", "/api/v1/webhooks/"+hookID, nil).Status)
}

// The admin page creates a subscription and shows its secret once.
func TestEventWebhooksPage(t *testing.T) {
	_, recvURL := newEventReceiver(t)
	adminUser, err := stack.Store.UserByEmail(context.Background(), devstack.AdminEmail)
	require.NoError(t, err)
	w := signIn(t, adminUser.ID)
	r := w.do("POST", "/admin/webhooks", url.Values{"url": {recvURL}, "events": {"post.published", "crisis.started"}, "description": {"page"}})
	require.Equal(t, 201, r.Status, "%s", r.Body)
	require.Contains(t, string(r.Body), "whsec_")
	list := w.do("GET", "/admin/webhooks", nil)
	require.Equal(t, 200, list.Status)
	require.Contains(t, string(list.Body), recvURL)
	require.NotContains(t, string(list.Body), "whsec_")
	for _, h := range adminAPI(t).must(200, "GET", "/api/v1/webhooks", nil)["webhooks"].([]any) {
		m := h.(map[string]any)
		if m["url"] == recvURL {
			require.Equal(t, []any{"post.published", "crisis.started"}, m["events"])
			r := w.do("POST", "/admin/webhooks/"+m["id"].(string)+"/delete", nil)
			require.Equal(t, 303, r.Status, "%s", r.Body)
		}
	}
	bad := w.do("POST", "/admin/webhooks", url.Values{"url": {"http://10.0.0.1/x"}, "events": {"post.published"}})
	require.Equal(t, 303, bad.Status, "refused with a message back on the page")
}

// A delivery whose dispatch was lost (the process died between the commit and the
// signal) is sent by the sweep schedule.
func TestEventWebhookSweepSendsMissedDispatches(t *testing.T) {
	admin := adminAPI(t)
	recv, recvURL := newEventReceiver(t)
	hook := admin.must(201, "POST", "/api/v1/webhooks", map[string]any{"url": recvURL, "events": []string{"post.failed"}})
	t.Cleanup(func() { admin.do("DELETE", "/api/v1/webhooks/"+hook["id"].(string), nil) })
	clientID := admin.createClient("any", uniqueEmail("sweep")).ID

	// A history write as the post workflow's activity makes it, without its dispatch.
	ctx := context.Background()
	now := time.Now().UTC()
	postID := greenlight.NewID("pst_")
	m, ok := events.FromPost(events.PostChange{PostID: postID, ClientID: clientID, Title: "Lost", Seq: 1, At: now,
		Action: "publish_failed", Version: 1, Comment: "x: refused"})
	require.True(t, ok)
	require.NoError(t, stack.Store.RecordPost(ctx, store.PostRecord{
		Post: store.Post{ID: postID, ClientID: clientID, AuthorID: "usr_x", Title: "Lost", Body: "b", Channels: store.StringList{"x"},
			MediaURLs: store.StringList{}, PublishAt: now, Status: "failed", Version: 1, Revision: 1, CreatedAt: now, UpdatedAt: now},
		Outbox: []store.Event{{ID: m.ID, Type: m.Type, Subject: m.Subject, ClientID: clientID, At: m.At, Seq: m.Seq, Body: string(m.Body)}},
	}))
	require.NoError(t, stack.Store.DB().Exec("UPDATE webhook_deliveries SET created_at = ? WHERE event_id = ?", now.Add(-2*time.Minute), m.ID).Error)

	require.NoError(t, stack.Temporal.ScheduleClient().GetHandle(ctx, workflows.WebhookSweepScheduleID).Trigger(ctx, client.ScheduleTriggerOptions{}))
	eventually(t, 30*time.Second, func() bool { return len(recv.of("post:"+postID)) == 1 }, "the sweep to send the missed delivery")
	g := recv.of("post:" + postID)[0]
	require.Equal(t, m.ID, g.ID)
	require.Equal(t, "post.failed", g.Type)
	verifyStandardWebhook(t, hook["secret"].(string), g)
}
