package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/workflows"
)

// A client's webhook refuses the x channel; the post fails with instagram published. The
// receiver is fixed, the author publishes x again from the API, and the post becomes
// published without instagram going out twice.
func TestAuthorPublishesAFailedChannelAgain(t *testing.T) {
	admin := adminAPI(t)
	editor := admin.createUser("editor")
	reviewer := admin.createUser("reviewer")
	var refuseX atomic.Bool
	refuseX.Store(true)
	var mu sync.Mutex
	calls := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		mu.Lock()
		calls[r.Header.Get("Idempotency-Key")]++
		mu.Unlock()
		if m["channel"] == "x" && refuseX.Load() {
			rw.WriteHeader(http.StatusUnprocessableEntity)
			return
		}
		rw.Header().Set("Content-Type", "application/json")
		_, _ = rw.Write([]byte(`{"id":"remote-1"}`))
	}))
	t.Cleanup(srv.Close)
	ana := uniqueEmail("ana")
	c := admin.must(201, "POST", "/api/v1/clients", map[string]any{
		"digest_window": "0s", "name": "Brasserie Lumière", "approval_policy": "any", "webhook_url": srv.URL,
		"approvers": []map[string]string{{"name": "Ana", "email": ana}},
	})
	post := editor.createPost(c["id"].(string), 6*time.Second, nil)
	id := post["id"].(string)
	editor.must(200, "POST", "/api/v1/posts/"+id+"/submit", nil)
	reviewer.must(200, "POST", "/api/v1/posts/"+id+"/review", map[string]any{"version": 1, "decision": "approve"})
	done := form(t, linkIn(t, waitMail(t, ana, 1)[0]), url.Values{"decision": {"approve"}}, "text/html")
	require.Equal(t, 200, done.Status, "%s", done.Body)

	failed := editor.waitStatus(id, "failed", 30*time.Second)
	require.Equal(t, "failed", failed["channels"].([]any)[1].(map[string]any)["status"])
	settle := "/api/v1/posts/" + id + "/channels/x/settle"
	e := editor.must(422, "POST", settle, map[string]any{"action": "again"})
	require.Contains(t, e["error"].(map[string]any)["message"], "action: must be record_live or publish_again")
	e = editor.must(409, "POST", settle, map[string]any{"action": "record_live", "url": "https://x.com/brand/status/1"})
	require.Contains(t, e["error"].(map[string]any)["message"], "only an unconfirmed channel can be recorded as live")
	reviewer.must(403, "POST", settle, map[string]any{"action": "publish_again"})

	refuseX.Store(false) // the client fixed their endpoint
	editor.must(200, "POST", settle, map[string]any{"action": "publish_again", "version": 1})
	published := editor.waitStatus(id, "published", 30*time.Second)
	require.Equal(t, "published", published["channels"].([]any)[1].(map[string]any)["status"])
	mu.Lock()
	require.Equal(t, map[string]int{"post/" + id + "/v1/publish/instagram": 1, "post/" + id + "/v1/publish/x": 2}, calls,
		"x was sent again under its key; instagram once")
	mu.Unlock()
	e = editor.must(409, "POST", settle, map[string]any{"action": "publish_again"})
	require.Contains(t, e["error"].(map[string]any)["message"], "post is published")
	recordHistory(t, workflows.PostWorkflowID(id), "post_failed_then_published_again")
}
