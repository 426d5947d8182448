package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/devstack"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
	"github.com/greenlight/greenlight/workflows"
)

// TestRetriedPostCreateIsIdempotent retries POST /api/v1/posts with one Idempotency-Key,
// one after the other and concurrently: one post exists and every success names it.
func TestRetriedPostCreateIsIdempotent(t *testing.T) {
	admin := adminAPI(t)
	editor := admin.createUser("editor")
	c := admin.createClient("any", uniqueEmail("idem"))
	body, err := json.Marshal(map[string]any{
		"client_id": c.ID, "title": "Winter menu", "body": "Retried once",
		"channels": []string{"x"}, "publish_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
	})
	require.NoError(t, err)
	post := func(key string, body []byte) (int, map[string]any) {
		req, err := http.NewRequest("POST", editor.base+"/api/v1/posts", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+editor.key)
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(data, &m), "%s", data)
		return resp.StatusCode, m
	}
	countPosts := func() int {
		return len(editor.must(200, "GET", "/api/v1/posts?limit=200&client_id="+c.ID, nil)["items"].([]any))
	}

	status, first := post("retry-1", body)
	require.Equal(t, 201, status, "%v", first)
	status, again := post("retry-1", body)
	require.Equal(t, 201, status, "%v", again)
	require.Equal(t, first["id"], again["id"], "the retry answers with the first post")
	require.Equal(t, 1, countPosts())

	status, conflict := post("retry-1", append(bytes.TrimSuffix(body, []byte("}")), []byte(`,"media_urls":[]}`)...))
	require.Equal(t, 409, status, "%v", conflict)
	require.Equal(t, 1, countPosts())

	// Concurrent retries (a client that timed out and retried at once): one post.
	var wg sync.WaitGroup
	ids := make(chan any, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, m := post("retry-2", body)
			switch status {
			case 201:
				ids <- m["id"]
			case 409: // the first one was still in flight
			default:
				t.Errorf("unexpected %d: %v", status, m)
			}
		}()
	}
	wg.Wait()
	close(ids)
	var distinct []any
	for id := range ids {
		if len(distinct) == 0 || distinct[0] != id {
			distinct = append(distinct, id)
		}
	}
	require.Len(t, distinct, 1, "every success names the same post")
	require.Equal(t, 2, countPosts())
}

// TestRetentionScheduleRunsOnTheDevStack triggers the schedule the worker created at start
// and waits for the real workflow and activities to prune old rows in PostgreSQL, keeping
// valid links and current rate-limit windows.
func TestRetentionScheduleRunsOnTheDevStack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, now := stack.Store, time.Now().UTC()
	admin, err := st.UserByEmail(ctx, devstack.AdminEmail)
	require.NoError(t, err)
	expired := "retention-expired-" + greenlight.NewID("")
	require.NoError(t, st.CreateSession(ctx, &store.Session{TokenHash: expired, UserID: admin.ID, CSRF: "c", CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Minute)}))
	live := "retention-live-" + greenlight.NewID("")
	require.NoError(t, st.CreateSession(ctx, &store.Session{TokenHash: live, UserID: admin.ID, CSRF: "c", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
	link := func(hash string, expires time.Time) {
		require.NoError(t, st.SaveLink(ctx, &store.Link{ID: greenlight.NewID("lnk_"), TokenHash: hash, EffectKey: "retention/" + hash,
			SubjectKind: "post", SubjectID: "pst_retention", Version: 1, ApproverID: "apr_x", ApproverName: "A", ApproverEmail: "a@b.test",
			ExpiresAt: expires, CreatedAt: now.Add(-200 * 24 * time.Hour)}))
	}
	oldLink, validLink := "retention-old-"+greenlight.NewID(""), "retention-valid-"+greenlight.NewID("")
	link(oldLink, now.Add(-100*24*time.Hour))
	link(validLink, now.Add(24*time.Hour))
	require.NoError(t, st.DB().Exec("INSERT INTO rate_limits (bucket, window_start, count) VALUES (?, ?, 3)", "retention:old", now.Add(-3*time.Hour)).Error)
	_, err = st.Hit(ctx, "retention:now", 10, time.Minute)
	require.NoError(t, err)

	h := stack.Temporal.ScheduleClient().GetHandle(ctx, workflows.RetentionScheduleID)
	require.NoError(t, h.Trigger(ctx, client.ScheduleTriggerOptions{}))
	var buckets []string
	eventually(t, 30*time.Second, func() bool {
		_, _, errSession := st.SessionUser(ctx, expired, now.Add(-time.Hour))
		_, errLink := st.LinkByTokenHash(ctx, oldLink)
		buckets = nil
		require.NoError(t, st.DB().Raw("SELECT bucket FROM rate_limits WHERE bucket LIKE 'retention:%'").Scan(&buckets).Error)
		return greenlight.ErrorCode(errSession) == greenlight.ENOTFOUND && greenlight.ErrorCode(errLink) == greenlight.ENOTFOUND &&
			len(buckets) == 1
	}, "the expired session, the link expired 100 days ago and the old rate-limit window are pruned")
	_, err = st.LinkByTokenHash(ctx, validLink)
	require.NoError(t, err, "a valid link is kept")
	_, _, err = st.SessionUser(ctx, live, now)
	require.NoError(t, err, "a live session is kept")
	require.Equal(t, []string{"retention:now"}, buckets, "the current window is kept")

	desc, err := h.Describe(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, desc.Info.RecentActions)
	run := desc.Info.RecentActions[len(desc.Info.RecentActions)-1].StartWorkflowResult
	var res workflows.RetentionResult
	require.NoError(t, stack.Temporal.GetWorkflow(ctx, run.WorkflowID, run.FirstExecutionRunID).Get(ctx, &res))
	require.GreaterOrEqual(t, res.Deleted["links"], int64(1))
	recordHistory(t, run.WorkflowID, "retention")
}

// TestDevStopsCleanlyOnCtrlC runs `greenlight dev` as a process, gives it some work, sends
// SIGINT and requires exit code 0 with no error logs or stack traces in its output.
func TestDevStopsCleanlyOnCtrlC(t *testing.T) {
	dir := t.TempDir()
	p := startDev(t, dir, "", "")
	admin := &api{t: t, base: p.URL, key: p.Key}
	c := admin.createClient("any", uniqueEmail("ctrlc"))
	admin.createPost(c.ID, time.Hour, nil)

	p.Interrupt()
	require.Equal(t, 0, p.ExitCode(), "exit code after Ctrl+C\n%s", p.Logs())
	logs := p.Logs()
	for _, bad := range []string{"goroutine ", "panic", "stacktrace", `"level":"error"`, "level=ERROR"} {
		require.NotContains(t, logs, bad, "output after Ctrl+C:\n%s", logs)
	}
}

// TestCreateRetriedAfterALostAnswerMakesOnePost plays a post create whose first attempt
// started the workflow but whose answer was lost (a timeout, a 5xx): the API middleware
// released the key and the retry runs again under the id reserved for the key. The retry
// must find the first post, not make a second one; a retry after the post was cancelled
// answers with that post too.
func TestCreateRetriedAfterALostAnswerMakesOnePost(t *testing.T) {
	admin := adminAPI(t)
	editor := admin.createUser("editor")
	c := admin.createClient("any", uniqueEmail("lost"))
	ctx := context.Background()
	actor, err := stack.Service.Authenticate(ctx, editor.key)
	require.NoError(t, err)
	title, body, channels := "Lost answer", "Created once, answered twice", []string{"x"}
	publishAt := time.Now().Add(time.Hour)
	create := func(reserved string) string {
		in := service.NewPost{ClientID: c.ID, PostFields: service.PostFields{
			Title: &title, Body: &body, Channels: &channels, PublishAt: &publishAt}}
		d, err := stack.Service.CreatePost(service.WithReservedID(ctx, reserved), actor, in)
		require.NoError(t, err)
		return d.ID
	}
	countPosts := func() int {
		return len(editor.must(200, "GET", "/api/v1/posts?limit=200&client_id="+c.ID, nil)["items"].([]any))
	}

	reserved := greenlight.NewID("pst_")
	require.Equal(t, reserved, create(reserved), "the post takes the reserved id")
	require.Equal(t, reserved, create(reserved), "the retry finds the first post")
	require.Equal(t, 1, countPosts())

	editor.must(200, "POST", "/api/v1/posts/"+reserved+"/cancel", map[string]any{"reason": "changed plans"})
	eventually(t, 30*time.Second, func() bool {
		d, err := stack.Temporal.DescribeWorkflowExecution(ctx, workflows.PostWorkflowID(reserved), "")
		return err == nil && d.WorkflowExecutionInfo.GetCloseTime() != nil
	}, "the cancelled post's workflow closes")
	require.Equal(t, reserved, create(reserved), "a retry after the workflow ended answers with the post")
	require.Equal(t, 1, countPosts())
	require.Equal(t, "cancelled", editor.must(200, "GET", "/api/v1/posts/"+reserved, nil)["status"])
}
