package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/workflows"
)

// webhookReceiver counts publications by idempotency key, as a client's endpoint would.
type webhookReceiver struct {
	mu   sync.Mutex
	keys map[string]int
	last map[string]any
}

func newWebhook(t *testing.T) (*webhookReceiver, string) {
	w := &webhookReceiver{keys: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		w.mu.Lock()
		w.keys[r.Header.Get("Idempotency-Key")]++
		w.last = m
		w.mu.Unlock()
		rw.Header().Set("Content-Type", "application/json")
		_, _ = rw.Write([]byte(`{"id":"remote-1"}`))
	}))
	t.Cleanup(srv.Close)
	return w, srv.URL
}

func (w *webhookReceiver) counts() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]int{}
	for k, v := range w.keys {
		out[k] = v
	}
	return out
}

func TestApprovalWalkthrough(t *testing.T) {
	admin := adminAPI(t)
	editor := admin.createUser("editor")
	reviewer := admin.createUser("reviewer")
	hook, hookURL := newWebhook(t)
	ana := uniqueEmail("ana")
	c := admin.must(201, "POST", "/api/v1/clients", map[string]any{
		"digest_window": "0s", // one approval email per post
		"name":          "Brasserie Lumière", "approval_policy": "any", "webhook_url": hookURL,
		"approvers": []map[string]string{{"name": "Ana", "email": ana}},
	})
	clientID := c["id"].(string)

	post := editor.createPost(clientID, 6*time.Second, nil)
	id := post["id"].(string)
	require.Equal(t, "draft", post["status"])
	require.EqualValues(t, 1, post["version"])

	require.Equal(t, "in_review", editor.must(200, "POST", "/api/v1/posts/"+id+"/submit", nil)["status"])
	reviewed := reviewer.must(200, "POST", "/api/v1/posts/"+id+"/review", map[string]any{"version": 1, "decision": "approve"})
	require.Equal(t, "awaiting_client", reviewed["status"])

	m := waitMail(t, ana, 1)[0]
	require.Contains(t, m.Subject, "Approval needed: Winter menu")
	require.Contains(t, m.HTML, "Review the post")
	require.Contains(t, m.HTML, `<img src="`+stack.URL+"/media/"+post["media"].([]any)[0].(map[string]any)["id"].(string)+"/thumb?exp=",
		"the email shows the downloaded image")
	link := linkIn(t, m)

	before := editor.must(200, "GET", "/api/v1/posts/"+id, nil)
	for range 3 { // a mail scanner opening the link
		p := page(t, link)
		require.Equal(t, 200, p.Status)
		require.Contains(t, string(p.Body), "Notre menu d&#39;hiver arrive")
		require.Contains(t, string(p.Body), "Agence Lumen")
		require.Equal(t, "no-referrer", p.Header.Get("Referrer-Policy"))
	}
	after := editor.must(200, "GET", "/api/v1/posts/"+id, nil)
	require.Equal(t, before, after, "opening the link changes nothing")

	done := form(t, link, url.Values{"decision": {"approve"}}, "text/html")
	require.Equal(t, 200, done.Status, "%s", done.Body)
	require.Contains(t, string(done.Body), "your approval is recorded")
	scheduled := editor.must(200, "GET", "/api/v1/posts/"+id, nil)
	require.Equal(t, "scheduled", scheduled["status"], "the approve click makes the post scheduled at once")

	published := editor.waitStatus(id, "published", 30*time.Second)
	require.NotNil(t, published["published_at"])
	counts := hook.counts()
	require.Equal(t, map[string]int{
		"post/" + id + "/v1/publish/instagram": 1,
		"post/" + id + "/v1/publish/x":         1,
	}, counts, "one webhook call per channel, with its idempotency key")

	var actions []string
	for _, h := range published["history"].([]any) {
		actions = append(actions, h.(map[string]any)["action"].(string))
	}
	require.Equal(t, []string{"created", "submitted", "review_approved", "client_approval_requested", "client_approved", "scheduled", "published"}, actions)
	history := published["history"].([]any)
	require.Equal(t, "instagram: published (remote-1); x: published (remote-1)", history[len(history)-1].(map[string]any)["comment"],
		"the history names each channel's result")
	require.Equal(t, []any{
		map[string]any{"channel": "instagram", "account_id": "", "status": "published", "remote_id": "remote-1", "url": "", "error": ""},
		map[string]any{"channel": "x", "account_id": "", "status": "published", "remote_id": "remote-1", "url": "", "error": ""},
	}, published["channels"], "each channel's publication, for the current version")
	approvals := published["approvals"].([]any)
	require.Len(t, approvals, 2)
	require.Equal(t, "client", approvals[1].(map[string]any)["stage"])
	require.Equal(t, "Ana", approvals[1].(map[string]any)["actor"].(map[string]any)["name"])

	reused := form(t, link, url.Values{"decision": {"approve"}}, "application/json")
	require.Equal(t, 410, reused.Status, "a used link is refused: %s", reused.Body)
	recordHistory(t, workflows.PostWorkflowID(id), "post_published")
}

func TestClientRequestsChangesThenOldLinkIsReplaced(t *testing.T) {
	admin := adminAPI(t)
	editor := admin.createUser("editor")
	reviewer := admin.createUser("reviewer")
	ana, bob := uniqueEmail("ana"), uniqueEmail("bob")
	c := admin.createClient("all", ana, bob)
	id := editor.createPost(c.ID, time.Hour, nil)["id"].(string)
	editor.must(200, "POST", "/api/v1/posts/"+id+"/submit", nil)
	reviewer.must(200, "POST", "/api/v1/posts/"+id+"/review", map[string]any{"version": 1, "decision": "approve"})
	anaLink := linkIn(t, waitMail(t, ana, 1)[0])
	bobLink := linkIn(t, waitMail(t, bob, 1)[0])

	missing := form(t, anaLink, url.Values{"decision": {"request_changes"}}, "text/html")
	require.Equal(t, 422, missing.Status)
	require.Contains(t, string(missing.Body), "Please write a comment to say what should change.")
	require.Equal(t, "awaiting_client", editor.must(200, "GET", "/api/v1/posts/"+id, nil)["status"])

	r := form(t, anaLink, url.Values{"decision": {"request_changes"}, "comment": {"Le prix est faux"}}, "application/json")
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, "changes_requested", r.json(t)["status"])

	authorMail := waitMail(t, editorEmail(t, editor), 1)[0]
	require.Contains(t, authorMail.Subject, "Client requested changes")
	require.Contains(t, authorMail.Text, "Le prix est faux")

	edited := editor.must(200, "PATCH", "/api/v1/posts/"+id, map[string]any{"body": "Notre menu d'hiver arrive, 19 €", "version": 1})
	require.Equal(t, "draft", edited["status"])
	require.EqualValues(t, 2, edited["version"])
	require.Len(t, edited["versions"], 2)

	stale := page(t, bobLink)
	require.Equal(t, 410, stale.Status)
	require.Contains(t, string(stale.Body), "replaced by a newer one")
	bobTry := form(t, bobLink, url.Values{"decision": {"approve"}}, "application/json")
	require.Equal(t, 410, bobTry.Status, "a link for version 1 can never approve version 2")
	require.Equal(t, "draft", editor.must(200, "GET", "/api/v1/posts/"+id, nil)["status"])
	recordHistory(t, workflows.PostWorkflowID(id), "post_changes_requested")
}

func editorEmail(t *testing.T, a *api) string {
	t.Helper()
	// The editor's email is not in its key; find it through the admin's users list.
	for _, u := range adminUsers(t) {
		if u.key == a.key {
			return u.email
		}
	}
	t.Fatal("editor not found")
	return ""
}

type knownUser struct{ key, email string }

var (
	usersMu sync.Mutex
	users   []knownUser
)

func adminUsers(t *testing.T) []knownUser {
	usersMu.Lock()
	defer usersMu.Unlock()
	return append([]knownUser(nil), users...)
}

func TestPostExpiresWhenTheClientDoesNotAnswer(t *testing.T) {
	admin := adminAPI(t)
	editor := admin.createUser("editor")
	reviewer := admin.createUser("reviewer")
	ana := uniqueEmail("ana")
	c := admin.createClient("any", ana)
	id := editor.createPost(c.ID, 3*time.Second, nil)["id"].(string)
	editor.must(200, "POST", "/api/v1/posts/"+id+"/submit", nil)
	reviewer.must(200, "POST", "/api/v1/posts/"+id+"/review", map[string]any{"version": 1, "decision": "approve"})
	link := linkIn(t, waitMail(t, ana, 1)[0])

	expired := editor.waitStatus(id, "expired", 30*time.Second)
	require.Nil(t, expired["published_at"])
	notice := waitMail(t, editorEmail(t, editor), 1)[0]
	require.Contains(t, notice.Subject, "expired before approval")

	late := form(t, link, url.Values{"decision": {"approve"}}, "application/json")
	require.Equal(t, 409, late.Status, "%s", late.Body)
	require.Equal(t, "expired", editor.must(200, "GET", "/api/v1/posts/"+id, nil)["status"])
	recordHistory(t, workflows.PostWorkflowID(id), "post_expired")
}

func TestLinksThatMustNotWork(t *testing.T) {
	admin := adminAPI(t)
	editor := admin.createUser("editor")
	reviewer := admin.createUser("reviewer")
	ana := uniqueEmail("ana")
	c := admin.createClient("any", ana)
	id := editor.createPost(c.ID, time.Hour, nil)["id"].(string)
	editor.must(200, "POST", "/api/v1/posts/"+id+"/submit", nil)
	reviewer.must(200, "POST", "/api/v1/posts/"+id+"/review", map[string]any{"version": 1, "decision": "approve"})
	link := linkIn(t, waitMail(t, ana, 1)[0])
	token := link[strings.LastIndex(link, "/")+1:]

	tests := []struct {
		name   string
		link   string
		status int
	}{
		{"forged token", stack.URL + "/approve/gl_" + strings.Repeat("A", 43), 404},
		{"truncated token", stack.URL + "/approve/" + token[:len(token)-1], 404},
		{"garbage", stack.URL + "/approve/%00%ff", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.status, page(t, tt.link).Status)
			require.Equal(t, tt.status, form(t, tt.link, url.Values{"decision": {"approve"}}, "application/json").Status)
		})
	}
	bad := form(t, link, url.Values{"decision": {"maybe"}}, "application/json")
	require.Equal(t, 422, bad.Status)
	require.Equal(t, "awaiting_client", editor.must(200, "GET", "/api/v1/posts/"+id, nil)["status"], "refused links change nothing")
}

func TestStaffDecisionsAreValidated(t *testing.T) {
	admin := adminAPI(t)
	editor := admin.createUser("editor")
	reviewer := admin.createUser("reviewer")
	c := admin.createClient("any", uniqueEmail("ana"))
	id := editor.createPost(c.ID, time.Hour, nil)["id"].(string)
	editor.must(200, "POST", "/api/v1/posts/"+id+"/submit", nil)

	tests := []struct {
		name   string
		as     *api
		method string
		path   string
		body   any
		status int
		code   string
	}{
		{"author reviews own post", editor, "POST", "/review", map[string]any{"version": 1, "decision": "approve"}, 403, "forbidden"},
		{"stale version", reviewer, "POST", "/review", map[string]any{"version": 9, "decision": "approve"}, 409, "conflict"},
		{"changes without comment", reviewer, "POST", "/review", map[string]any{"version": 1, "decision": "request_changes"}, 422, "invalid"},
		{"reviewer cannot edit", reviewer, "PATCH", "", map[string]any{"title": "x"}, 403, "forbidden"},
		{"submit twice", editor, "POST", "/submit", nil, 409, "conflict"},
		{"malformed JSON", reviewer, "POST", "/review", `{"version":`, 400, "malformed"},
		{"unknown field", reviewer, "POST", "/review", `{"version":1,"decison":"approve"}`, 400, "malformed"},
		{"wrong type", reviewer, "POST", "/review", `{"version":"1","decision":"approve"}`, 422, "invalid"},
		{"edit with stale base", editor, "PATCH", "", map[string]any{"title": "x", "version": 3}, 409, "conflict"},
		{"publish time in the past", editor, "PATCH", "", map[string]any{"publish_at": "2020-01-01T00:00:00Z"}, 422, "invalid"},
		{"unknown channel", editor, "PATCH", "", map[string]any{"channels": []string{"myspace"}}, 422, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.as.do(tt.method, "/api/v1/posts/"+id+tt.path, tt.body)
			require.Equal(t, tt.status, r.Status, "%s", r.Body)
			require.Equal(t, tt.code, r.errCode(t))
		})
	}
	require.Equal(t, "in_review", editor.must(200, "GET", "/api/v1/posts/"+id, nil)["status"])
	require.Equal(t, 404, editor.do("GET", "/api/v1/posts/pst_01m7ys736kcpnqsaqxp5psvgxz", nil).Status)
	require.Equal(t, 404, editor.do("GET", "/api/v1/posts/nonsense", nil).Status)

	changes := reviewer.must(200, "POST", "/api/v1/posts/"+id+"/review", map[string]any{"version": 1, "decision": "request_changes", "comment": "Trop long"})
	require.Equal(t, "changes_requested", changes["status"])
	cancelled := editor.must(200, "POST", "/api/v1/posts/"+id+"/cancel", nil)
	require.Equal(t, "cancelled", cancelled["status"])
	require.Equal(t, 409, editor.do("PATCH", "/api/v1/posts/"+id, map[string]any{"title": "again"}).Status)
}

func TestAuthAndScope(t *testing.T) {
	admin := adminAPI(t)
	mine := admin.createClient("any", uniqueEmail("mine"))
	other := admin.createClient("any", uniqueEmail("other"))
	scoped := admin.createUser("editor", mine.ID)
	editor := admin.createUser("editor")
	otherPost := editor.createPost(other.ID, time.Hour, nil)["id"].(string)

	anon := &api{t: t, base: stack.URL}
	require.Equal(t, 401, anon.do("GET", "/api/v1/posts", nil).Status)
	require.Equal(t, 401, (&api{t: t, base: stack.URL, key: "glk_wrong"}).do("GET", "/api/v1/posts", nil).Status)
	require.Equal(t, 403, editor.do("POST", "/api/v1/users", map[string]any{"email": "x@y.test", "name": "X", "role": "admin"}).Status)

	require.Equal(t, 404, scoped.do("GET", "/api/v1/posts/"+otherPost, nil).Status, "a post outside the scope looks like no post")
	require.Equal(t, 404, scoped.do("POST", "/api/v1/posts/"+otherPost+"/submit", nil).Status)
	require.Equal(t, 404, scoped.do("GET", "/api/v1/clients/"+other.ID, nil).Status)
	require.Equal(t, 403, scoped.do("GET", "/api/v1/posts?client_id="+other.ID, nil).Status)
	r := scoped.do("POST", "/api/v1/posts", map[string]any{"client_id": other.ID, "title": "t", "body": "b", "channels": []string{"x"}, "publish_at": time.Now().Add(time.Hour).Format(time.RFC3339)})
	require.Equal(t, 403, r.Status)

	list := scoped.must(200, "GET", "/api/v1/clients", nil)["items"].([]any)
	require.Len(t, list, 1)
	mineID := scoped.createPost(mine.ID, time.Hour, nil)["id"].(string)
	posts := scoped.must(200, "GET", "/api/v1/posts?limit=200", nil)["items"].([]any)
	for _, p := range posts {
		require.Equal(t, mine.ID, p.(map[string]any)["client_id"])
	}
	require.Equal(t, mineID, posts[0].(map[string]any)["id"])

	invalid := admin.do("POST", "/api/v1/posts", map[string]any{"client_id": mine.ID, "title": "t", "channels": []string{"x"}, "publish_at": time.Now().Add(time.Hour).Format(time.RFC3339)})
	require.Equal(t, 422, invalid.Status)
	require.Contains(t, string(invalid.Body), "body: required")
}

func TestListPagination(t *testing.T) {
	admin := adminAPI(t)
	editor := admin.createUser("editor")
	c := admin.createClient("any", uniqueEmail("list"))
	var ids []string
	for range 5 {
		ids = append(ids, editor.createPost(c.ID, time.Hour, nil)["id"].(string))
	}
	var seen []string
	cursor := ""
	for {
		page := editor.must(200, "GET", "/api/v1/posts?limit=2&client_id="+c.ID+"&status=draft&cursor="+cursor, nil)
		for _, p := range page["items"].([]any) {
			seen = append(seen, p.(map[string]any)["id"].(string))
		}
		next, _ := page["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	require.Equal(t, []string{ids[4], ids[3], ids[2], ids[1], ids[0]}, seen)
	require.Equal(t, 422, editor.do("GET", "/api/v1/posts?status=bogus", nil).Status)
	require.Equal(t, 422, editor.do("GET", "/api/v1/posts?limit=-1", nil).Status)
}

func TestHealth(t *testing.T) {
	anon := &api{t: t, base: stack.URL}
	require.Equal(t, "ok", anon.must(200, "GET", "/healthz", nil)["status"])
	require.Equal(t, "ok", anon.must(200, "GET", "/readyz", nil)["status"])
}
