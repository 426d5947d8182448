package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/greenlight/greenlight/playbooks"
	"github.com/greenlight/greenlight/workflows"
)

// crisisClient sets up a client with approvers, crisis contacts and a trigger rule.
type crisisClient struct {
	ID              string
	Approver, Legal string
	Hook            *webhookReceiver
}

func newCrisisClient(t *testing.T, admin *api, rule bool) crisisClient {
	t.Helper()
	hook, hookURL := newWebhook(t)
	cc := crisisClient{Approver: uniqueEmail("marie"), Legal: uniqueEmail("louise"), Hook: hook}
	c := admin.must(201, "POST", "/api/v1/clients", map[string]any{
		"digest_window": "0s", "name": "Biscuiterie Dorée", "approval_policy": "any", "webhook_url": hookURL,
		"approvers": []map[string]string{{"name": "Marie (client)", "email": cc.Approver}},
	})
	cc.ID = c["id"].(string)
	admin.must(200, "PUT", "/api/v1/clients/"+cc.ID+"/contacts", map[string]any{"contacts": []map[string]string{
		{"role": "legal", "name": "Louise (legal)", "email": cc.Legal},
		{"role": "community_manager", "name": "Camille (CM)", "email": uniqueEmail("camille"), "backup_name": "Bruno", "backup_email": uniqueEmail("bruno")},
		{"role": "exec", "name": "Eric (exec)", "email": uniqueEmail("eric")},
	}})
	if rule {
		admin.must(201, "POST", "/api/v1/clients/"+cc.ID+"/rules", map[string]any{
			"playbook": "bad-buzz", "min_negative": 20, "window_minutes": 60, "severity": "high"})
	}
	return cc
}

func negativeSpike(n int) []map[string]any {
	var ms []map[string]any
	now := time.Now().UTC()
	for i := range n {
		ms = append(ms, map[string]any{
			"source": "x", "author": fmt.Sprintf("@angry%d", i), "url": fmt.Sprintf("https://x.example/status/%d", i),
			"text": "C'est une honte, les biscuits sont immangeables, arnaque totale !!",
			"at":   now.Add(-time.Duration(i) * time.Second).Format(time.RFC3339),
		})
	}
	return ms
}

func steps(t *testing.T, c map[string]any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, s := range c["steps"].([]any) {
		m := s.(map[string]any)
		out[m["key"].(string)] = m
	}
	return out
}

func (a *api) waitStep(crisisID, key, status string) map[string]any {
	a.t.Helper()
	var c map[string]any
	eventually(a.t, 30*time.Second, func() bool {
		c = a.must(200, "GET", "/api/v1/crises/"+crisisID, nil)
		return steps(a.t, c)[key]["status"] == status
	}, "step %s to be %s", key, status)
	return c
}

func approvePost(t *testing.T, editor, reviewer *api, clientID, approver string, publishIn time.Duration) string {
	t.Helper()
	id := editor.createPost(clientID, publishIn, map[string]any{"channels": []string{"instagram"}})["id"].(string)
	editor.must(200, "POST", "/api/v1/posts/"+id+"/submit", nil)
	reviewer.must(200, "POST", "/api/v1/posts/"+id+"/review", map[string]any{"version": 1, "decision": "approve"})
	link := approvalLink(t, stack.URL, approver, id)
	r := form(t, link, url.Values{"decision": {"approve"}}, "application/json")
	require.Equal(t, 200, r.Status, "%s", r.Body)
	return id
}

func historyActions(p map[string]any) []string {
	var out []string
	for _, h := range p["history"].([]any) {
		out = append(out, h.(map[string]any)["action"].(string))
	}
	return out
}

func TestBadBuzzFromSpikeToReport(t *testing.T) {
	admin := adminAPI(t)
	cc := newCrisisClient(t, admin, true)
	leadUser := admin.createUser("crisis_lead", cc.ID)
	editor := admin.createUser("editor")
	reviewer := admin.createUser("reviewer")

	// A post due while the crisis will hold publishing.
	early := approvePost(t, editor, reviewer, cc.ID, cc.Approver, 12*time.Second)

	// Calm mentions start nothing; a spike of negative ones starts bad-buzz, once.
	calm := admin.must(202, "POST", "/api/v1/clients/"+cc.ID+"/mentions", []map[string]any{
		{"source": "instagram", "author": "@fan", "text": "Merci, les biscuits sont délicieux, bravo !", "at": time.Now().UTC().Format(time.RFC3339)},
	})
	require.Nil(t, calm["crisis_id"])
	spike := admin.must(202, "POST", "/api/v1/clients/"+cc.ID+"/mentions", negativeSpike(25))
	require.EqualValues(t, 25, spike["accepted"])
	require.EqualValues(t, 25, spike["negative"], "the lexicon scores French complaints")
	crisisID, ok := spike["crisis_id"].(string)
	require.True(t, ok, "the rule started a crisis: %v", spike)
	again := admin.must(202, "POST", "/api/v1/clients/"+cc.ID+"/mentions", negativeSpike(5))
	require.Nil(t, again["crisis_id"], "no second crisis while one is active")
	require.Equal(t, 409, leadUser.do("POST", "/api/v1/crises", map[string]any{
		"client_id": cc.ID, "playbook": "bad-buzz", "severity": "high", "summary": "again"}).Status)

	stats := leadUser.must(200, "GET", "/api/v1/clients/"+cc.ID+"/mentions/stats?window=60m", nil)
	require.EqualValues(t, 30, stats["counts"].(map[string]any)["negative"])

	c := leadUser.must(200, "GET", "/api/v1/crises/"+crisisID, nil)
	require.Equal(t, "active", c["status"])
	require.Equal(t, "prepare", c["phase"])
	require.Contains(t, c["trigger"], "negative mentions in 60 minutes")
	require.Equal(t, "ready", steps(t, c)["assemble"]["status"])
	require.Equal(t, "pending", steps(t, c)["qualify"]["status"])

	require.Equal(t, 404, leadUser.do("POST", "/api/v1/crises/"+crisisID+"/steps/nope/complete", map[string]any{}).Status)
	require.Equal(t, 409, leadUser.do("POST", "/api/v1/crises/"+crisisID+"/steps/moderate/complete", map[string]any{}).Status)
	require.Equal(t, 403, editor.do("POST", "/api/v1/crises/"+crisisID+"/steps/assemble/complete", map[string]any{}).Status)

	leadUser.must(200, "POST", "/api/v1/crises/"+crisisID+"/steps/assemble/complete", map[string]any{"note": "Cell open on #crise-doree"})
	c = leadUser.waitStep(crisisID, "pause-posts", "done")
	leadUser.waitStep(crisisID, "alert-team", "done")
	require.Contains(t, waitMail(t, cc.Legal, 1)[0].Text, "bad buzz is under way")

	// The early post's time comes while publishing is held: it is not published.
	eventually(t, 30*time.Second, func() bool {
		return slices.Contains(historyActions(editor.must(200, "GET", "/api/v1/posts/"+early, nil)), "held")
	}, "the early post to be held")
	require.Equal(t, "scheduled", editor.must(200, "GET", "/api/v1/posts/"+early, nil)["status"])
	// A post scheduled during the crisis, due after it.
	late := approvePost(t, editor, reviewer, cc.ID, cc.Approver, 25*time.Second)

	leadUser.must(200, "POST", "/api/v1/crises/"+crisisID+"/steps/qualify/complete", map[string]any{"note": "Started from a video on X; product is fine"})
	c = leadUser.waitStep(crisisID, "holding-statement", "ready")
	require.Equal(t, "communicate", c["phase"])
	c = leadUser.must(200, "POST", "/api/v1/crises/"+crisisID+"/statements", map[string]any{
		"body": "Nous avons vu vos messages sur nos biscuits. Nous vérifions et revenons vers vous avant 18h.", "channels": []string{"x", "facebook"}})
	require.Equal(t, "in_progress", steps(t, c)["holding-statement"]["status"])

	// Legal and the client approve through their emailed links.
	for _, who := range []string{cc.Legal, cc.Approver} {
		var link string
		eventually(t, 20*time.Second, func() bool {
			for _, m := range mails(t, who) {
				if strings.Contains(m.Subject, "Holding statement to approve") {
					link = linkIn(t, m)
					return true
				}
			}
			return false
		}, "the statement email to %s", who)
		p := page(t, link)
		require.Equal(t, 200, p.Status)
		require.Contains(t, string(p.Body), "Nous avons vu vos messages")
		r := form(t, link, url.Values{"decision": {"approve"}, "comment": {"OK"}}, "application/json")
		require.Equal(t, 200, r.Status, "%s", r.Body)
	}
	c = leadUser.waitStep(crisisID, "holding-statement", "done")
	st := c["statements"].([]any)[0].(map[string]any)
	require.Equal(t, "published", st["status"])
	require.Len(t, st["approvals"], 2)
	eventually(t, 10*time.Second, func() bool {
		n := 0
		for k := range cc.Hook.counts() {
			if strings.Contains(k, "/statement/") {
				n++
			}
		}
		return n == 2
	}, "the statement published on x and facebook through the client's webhook")

	resolved := leadUser.must(200, "POST", "/api/v1/crises/"+crisisID+"/resolve", map[string]any{"summary": "The video was a misunderstanding; sentiment back to normal."})
	require.Equal(t, "resolved", resolved["status"])
	require.Equal(t, "skipped", steps(t, resolved)["moderate"]["status"])
	require.Equal(t, 409, leadUser.do("POST", "/api/v1/crises/"+crisisID+"/resolve", map[string]any{"summary": "twice"}).Status)

	// After the resolve: the early post goes back to its author, the late one publishes.
	returned := editor.waitStatus(early, "draft", 30*time.Second)
	require.Contains(t, historyActions(returned), "returned_after_crisis")
	editor.waitStatus(late, "published", 40*time.Second)
	require.Equal(t, 409, editor.do("POST", "/api/v1/posts/"+early+"/submit", nil).Status, "a new publish time comes first")

	var report string
	eventually(t, 20*time.Second, func() bool {
		r := leadUser.do("GET", "/api/v1/crises/"+crisisID+"/report", nil)
		report = string(r.Body)
		return r.Status == 200 && strings.Contains(report, "*Final")
	}, "the final report")
	for _, want := range []string{
		"# Post-mortem: Bad buzz — Biscuiterie Dorée", "## Timeline", "Time to first response",
		"Cell open on #crise-doree", "## Steps, durations and deadlines", "## Mention volume and sentiment",
		"Louise (legal)", "Marie (client)", "Nous avons vu vos messages", "## Results",
		"The video was a misunderstanding", "## Analysis", "## Conclusion", "## Recommendations", "crisis resolved",
	} {
		require.Contains(t, report, want)
	}
	req := leadUser.do("GET", "/api/v1/crises/"+crisisID+"/report", nil)
	require.Equal(t, "text/markdown; charset=utf-8", req.Header.Get("Content-Type"))

	eventually(t, 10*time.Second, func() bool {
		d, err := stack.Temporal.DescribeWorkflowExecution(context.Background(), workflows.CrisisWorkflowID(crisisID), "")
		return err == nil && d.WorkflowExecutionInfo.CloseTime != nil
	}, "the crisis workflow to close")
	recordHistory(t, workflows.CrisisWorkflowID(crisisID), "crisis_bad_buzz")
	recordHistory(t, workflows.StatementWorkflowID(st["id"].(string)), "statement_published")
	recordHistory(t, workflows.PostWorkflowID(early), "post_held_then_returned")
	recordHistory(t, workflows.PostWorkflowID(late), "post_published_after_crisis")
}

func TestRunningCrisisKeepsItsPlaybookVersion(t *testing.T) {
	admin := adminAPI(t)
	cc := newCrisisClient(t, admin, false)
	dir := t.TempDir()
	v1 := "key: drill\ntitle: Drill\nsteps:\n  - {key: check, title: Check the facts, phase: prepare, role: crisis_lead, kind: task}\n  - {key: answer, title: Answer, phase: act, role: crisis_lead, kind: task, depends_on: [check]}\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "drill.yaml"), []byte(v1), 0o644))
	catalog, err := playbooks.Load(dir)
	require.NoError(t, err)
	old := stack.Service.Catalog
	stack.Service.Catalog = catalog
	defer func() { stack.Service.Catalog = old }()

	c := admin.must(201, "POST", "/api/v1/crises", map[string]any{"client_id": cc.ID, "playbook": "drill", "severity": "low", "summary": "Exercise"})
	id := c["id"].(string)
	version := c["playbook"].(map[string]any)["version"]

	// The file changes (steps renamed and removed) and is reloaded.
	v2 := "key: drill\ntitle: Drill v2\nsteps:\n  - {key: verify, title: Verify, phase: prepare, role: crisis_lead, kind: task}\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "drill.yaml"), []byte(v2), 0o644))
	reloaded, err := playbooks.Load(dir)
	require.NoError(t, err)
	stack.Service.Catalog = reloaded
	require.NotEqual(t, version, admin.must(200, "GET", "/api/v1/playbooks/drill", nil)["version"])

	admin.must(200, "POST", "/api/v1/crises/"+id+"/steps/check/complete", map[string]any{})
	c = admin.waitStep(id, "answer", "ready")
	require.Equal(t, version, c["playbook"].(map[string]any)["version"])
	require.Equal(t, "Check the facts", steps(t, c)["check"]["title"])
	admin.must(200, "POST", "/api/v1/crises/"+id+"/steps/answer/complete", map[string]any{})
	admin.must(200, "POST", "/api/v1/crises/"+id+"/resolve", map[string]any{"summary": "Drill over"})
}

// staff creates a staff user and returns its id and API client.
func staff(t *testing.T, admin *api, role string, clientIDs ...string) (string, *api) {
	t.Helper()
	if clientIDs == nil {
		clientIDs = []string{}
	}
	u := admin.must(201, "POST", "/api/v1/users", map[string]any{
		"email": fmt.Sprintf("%s-%d@agency.test", role, time.Now().UnixNano()), "name": "Staff " + role, "role": role, "client_ids": clientIDs,
	})
	return u["id"].(string), &api{t: t, base: admin.base, key: u["api_key"].(string)}
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// webSession signs a staff user in to the web pages (through a fresh invite) and returns a
// browser-like client holding the session cookie.
func webSession(t *testing.T, userID string) *http.Client {
	t.Helper()
	invite, err := stack.Service.BootstrapInvite(context.Background(), userID)
	require.NoError(t, err)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(stack.URL + "/invite/" + invite)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRE.FindStringSubmatch(string(body))
	require.NotNil(t, m, "no CSRF token on the invite page")
	resp, err = c.PostForm(stack.URL+"/invite/"+invite, url.Values{"_csrf": {m[1]}, "password": {"correct horse battery staple"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	return c
}

func webPage(t *testing.T, c *http.Client, path string) string {
	t.Helper()
	req, err := http.NewRequest("GET", stack.URL+path, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/html")
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, 200, resp.StatusCode, "%s", body)
	return string(body)
}

func TestCrisisFreezesScheduledPostsAsItStarts(t *testing.T) {
	admin := adminAPI(t)
	cc := newCrisisClient(t, admin, false)
	editor := admin.createUser("editor")
	reviewer := admin.createUser("reviewer")
	due := approvePost(t, editor, reviewer, cc.ID, cc.Approver, 25*time.Second)

	c := admin.must(201, "POST", "/api/v1/crises", map[string]any{"client_id": cc.ID, "playbook": "bad-buzz", "severity": "high", "summary": "A thread takes off"})
	id := c["id"].(string)
	// Nobody acts on the crisis: the post's time comes while it is active.
	eventually(t, 60*time.Second, func() bool {
		return slices.Contains(historyActions(editor.must(200, "GET", "/api/v1/posts/"+due, nil)), "held")
	}, "the post due after the start to be held")
	require.Equal(t, "scheduled", editor.must(200, "GET", "/api/v1/posts/"+due, nil)["status"])
	for k := range cc.Hook.counts() {
		require.NotContains(t, k, due, "nothing of the post was published")
	}
	require.Equal(t, "ready", steps(t, admin.must(200, "GET", "/api/v1/crises/"+id, nil))["assemble"]["status"], "no human step was done")
	admin.must(200, "POST", "/api/v1/crises/"+id+"/resolve", map[string]any{"summary": "Calm"})
	editor.waitStatus(due, "draft", 30*time.Second)
}

func TestStatementNeedsSomeoneForEveryApproverRole(t *testing.T) {
	admin := adminAPI(t)
	_, hookURL := newWebhook(t)
	cl := admin.must(201, "POST", "/api/v1/clients", map[string]any{
		"digest_window": "0s", "name": "Fromagerie sans juriste", "approval_policy": "any", "webhook_url": hookURL,
		"approvers": []map[string]string{{"name": "Marie (client)", "email": uniqueEmail("marie")}},
	})
	clientID := cl["id"].(string)
	leadID, lead := staff(t, admin, "crisis_lead", clientID)

	c := lead.must(201, "POST", "/api/v1/crises", map[string]any{"client_id": clientID, "playbook": "bad-buzz", "severity": "high", "summary": "Cheese recall rumour"})
	id := c["id"].(string)
	warnings, _ := c["warnings"].([]any)
	require.Len(t, warnings, 1, "%v", warnings)
	w := warnings[0].(map[string]any)
	require.Equal(t, "legal", w["role"])
	require.Equal(t, "holding-statement", w["step"])
	require.Contains(t, w["message"], "PUT /api/v1/clients/"+clientID+"/contacts")

	room := webPage(t, webSession(t, leadID), "/crises/"+id)
	require.Contains(t, room, `id="crisis-warnings"`)
	require.Contains(t, room, "nobody holds the role legal for this client")

	lead.must(200, "POST", "/api/v1/crises/"+id+"/steps/assemble/complete", map[string]any{})
	lead.waitStep(id, "alert-team", "done")
	lead.must(200, "POST", "/api/v1/crises/"+id+"/steps/qualify/complete", map[string]any{})
	lead.waitStep(id, "holding-statement", "ready")
	statement := map[string]any{"body": "Nous vérifions et revenons vers vous.", "channels": []string{"x"}}
	r := lead.do("POST", "/api/v1/crises/"+id+"/statements", statement)
	require.Equal(t, 422, r.Status, "%s", r.Body)
	msg := r.json(t)["error"].(map[string]any)["message"].(string)
	require.Contains(t, msg, "legal")
	require.Contains(t, msg, "/admin/clients/"+clientID)
	require.Contains(t, msg, "PUT /api/v1/clients/"+clientID+"/contacts")
	require.Equal(t, "ready", steps(t, lead.must(200, "GET", "/api/v1/crises/"+id, nil))["holding-statement"]["status"], "nothing was sent")

	admin.must(200, "PUT", "/api/v1/clients/"+clientID+"/contacts", map[string]any{"contacts": []map[string]string{
		{"role": "legal", "name": "Louise (legal)", "email": uniqueEmail("louise")}}})
	c = lead.must(200, "POST", "/api/v1/crises/"+id+"/statements", statement)
	require.Equal(t, "in_progress", steps(t, c)["holding-statement"]["status"])
	require.NotContains(t, webPage(t, webSession(t, leadID), "/crises/"+id), `id="crisis-warnings"`)
	lead.must(200, "POST", "/api/v1/crises/"+id+"/resolve", map[string]any{"summary": "Rumour denied"})
}

// statementHook is a client webhook whose statement publications the test holds and fails.
type statementHook struct {
	mu     sync.Mutex
	gate   chan struct{} // statement publications wait for it when set
	refuse bool          // statement publications are refused (422)
	keys   []string
}

func newStatementHook(t *testing.T) (*statementHook, string) {
	h := &statementHook{}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		key := r.Header.Get("Idempotency-Key")
		if strings.Contains(key, "/statement/") {
			h.mu.Lock()
			gate := h.gate
			h.mu.Unlock()
			if gate != nil {
				select {
				case <-gate:
				case <-r.Context().Done():
					return
				}
			}
			h.mu.Lock()
			refuse := h.refuse
			h.mu.Unlock()
			if refuse {
				rw.WriteHeader(http.StatusUnprocessableEntity)
				_, _ = rw.Write([]byte(`{"error":"account suspended"}`))
				return
			}
		}
		h.mu.Lock()
		h.keys = append(h.keys, key)
		h.mu.Unlock()
		rw.Header().Set("Content-Type", "application/json")
		_, _ = rw.Write([]byte(`{"id":"remote-1"}`))
	}))
	t.Cleanup(srv.Close)
	return h, srv.URL
}

// approveStatementLinks approves, as each approver, the newest statement link not in seen.
func approveStatementLinks(t *testing.T, seen map[string]bool, approvers ...string) {
	t.Helper()
	for _, who := range approvers {
		var link string
		eventually(t, 20*time.Second, func() bool {
			for _, m := range mails(t, who) {
				if strings.Contains(m.Subject, "Holding statement to approve") && !seen[linkIn(t, m)] {
					link = linkIn(t, m)
					return true
				}
			}
			return false
		}, "a new statement email to %s", who)
		seen[link] = true
		r := form(t, link, url.Values{"decision": {"approve"}}, "application/json")
		require.Equal(t, 200, r.Status, "%s", r.Body)
	}
}

func TestStatementPublicationFailureNeverBlocksTheCrisis(t *testing.T) {
	admin := adminAPI(t)
	hook, hookURL := newStatementHook(t)
	approver, legal := uniqueEmail("marie"), uniqueEmail("louise")
	cl := admin.must(201, "POST", "/api/v1/clients", map[string]any{
		"digest_window": "0s", "name": "Chocolaterie Noire", "approval_policy": "any", "webhook_url": hookURL,
		"approvers": []map[string]string{{"name": "Marie (client)", "email": approver}},
	})
	clientID := cl["id"].(string)
	admin.must(200, "PUT", "/api/v1/clients/"+clientID+"/contacts", map[string]any{"contacts": []map[string]string{
		{"role": "legal", "name": "Louise (legal)", "email": legal}}})
	lead := admin.createUser("crisis_lead", clientID)

	c := lead.must(201, "POST", "/api/v1/crises", map[string]any{"client_id": clientID, "playbook": "bad-buzz", "severity": "high", "summary": "Bloom on the bars"})
	id := c["id"].(string)
	require.Empty(t, c["warnings"])
	lead.must(200, "POST", "/api/v1/crises/"+id+"/steps/assemble/complete", map[string]any{})
	lead.waitStep(id, "alert-team", "done")
	lead.must(200, "POST", "/api/v1/crises/"+id+"/steps/qualify/complete", map[string]any{})
	lead.waitStep(id, "holding-statement", "ready")

	// The approved statement's publication hangs: a redraft is refused, not dropped.
	gate := make(chan struct{})
	hook.mu.Lock()
	hook.gate = gate
	hook.mu.Unlock()
	lead.must(200, "POST", "/api/v1/crises/"+id+"/statements", map[string]any{"body": "Nous vérifions.", "channels": []string{"x"}})
	seen := map[string]bool{}
	approveStatementLinks(t, seen, legal, approver)
	var first string
	eventually(t, 20*time.Second, func() bool {
		c = lead.must(200, "GET", "/api/v1/crises/"+id, nil)
		sts := c["statements"].([]any)
		first = sts[0].(map[string]any)["id"].(string)
		return sts[0].(map[string]any)["status"] == "approved"
	}, "the statement to be approved")
	r := lead.do("POST", "/api/v1/crises/"+id+"/statements", map[string]any{"body": "Correction", "channels": []string{"x"}})
	require.Equal(t, 409, r.Status, "%s", r.Body)
	require.Contains(t, r.json(t)["error"].(map[string]any)["message"], "approved and being published")

	// The channel refuses it: the step says so and waits for the lead.
	hook.mu.Lock()
	hook.refuse, hook.gate = true, nil
	hook.mu.Unlock()
	close(gate)
	eventually(t, 30*time.Second, func() bool {
		s := steps(t, lead.must(200, "GET", "/api/v1/crises/"+id, nil))["holding-statement"]
		return strings.HasPrefix(s["note"].(string), "failed")
	}, "the step to show the failed publication")
	require.Equal(t, "pending", steps(t, lead.must(200, "GET", "/api/v1/crises/"+id, nil))["moderate"]["status"])

	// A new draft is a new statement run, approved and published in turn.
	hook.mu.Lock()
	hook.refuse = false
	hook.mu.Unlock()
	c = lead.must(200, "POST", "/api/v1/crises/"+id+"/statements", map[string]any{"body": "Nous vérifions, réponse avant 18h.", "channels": []string{"x"}})
	second := steps(t, c)["holding-statement"]["statement_id"].(string)
	require.NotEqual(t, first, second)
	approveStatementLinks(t, seen, legal, approver)
	c = lead.waitStep(id, "holding-statement", "done")
	for _, s := range c["statements"].([]any) {
		st := s.(map[string]any)
		want := map[bool]string{true: "failed", false: "published"}[st["id"] == first]
		require.Equal(t, want, st["status"], "statement %s", st["id"])
	}
	var events []string
	for _, e := range c["timeline"].([]any) {
		events = append(events, e.(map[string]any)["event"].(string))
	}
	require.Contains(t, events, "statement_failed")

	lead.must(200, "POST", "/api/v1/crises/"+id+"/resolve", map[string]any{"summary": "Bloom is harmless"})
	var report string
	eventually(t, 20*time.Second, func() bool {
		r := lead.do("GET", "/api/v1/crises/"+id+"/report", nil)
		report = string(r.Body)
		return r.Status == 200 && strings.Contains(report, "*Final")
	}, "the final report")
	require.Contains(t, report, "The approved statement of step holding-statement (version 1) failed to publish; a new draft was sent for approval and ended published.")

	eventually(t, 10*time.Second, func() bool {
		d, err := stack.Temporal.DescribeWorkflowExecution(context.Background(), workflows.CrisisWorkflowID(id), "")
		return err == nil && d.WorkflowExecutionInfo.CloseTime != nil
	}, "the crisis workflow to close")
	recordHistory(t, workflows.CrisisWorkflowID(id), "crisis_statement_failed_then_redrafted")
	recordHistory(t, workflows.StatementWorkflowID(first), "statement_failed")
}

// lostStartAnswer starts workflows for real but never lets the caller hear back, as when
// the start call times out on the client side after the server did the work.
type lostStartAnswer struct {
	client.Client
	opts client.StartWorkflowOptions
	wf   any
	args []any
}

func (l *lostStartAnswer) NewWithStartWorkflowOperation(o client.StartWorkflowOptions, wf any, args ...any) client.WithStartWorkflowOperation {
	l.opts, l.wf, l.args = o, wf, args
	return l.Client.NewWithStartWorkflowOperation(o, wf, args...)
}

func (l *lostStartAnswer) UpdateWithStartWorkflow(ctx context.Context, o client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	o.StartWorkflowOperation = l.Client.NewWithStartWorkflowOperation(l.opts, l.wf, l.args...)
	if h, err := l.Client.UpdateWithStartWorkflow(context.WithoutCancel(ctx), o); err == nil {
		_ = h.Get(context.WithoutCancel(ctx), nil)
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestCrisisWhoseStartAnswerIsLostIsKept(t *testing.T) {
	admin := adminAPI(t)
	cc := newCrisisClient(t, admin, false)
	oldClient, oldTimeout := stack.Service.Temporal, stack.Service.DecisionTimeout
	stack.Service.Temporal = &lostStartAnswer{Client: oldClient}
	stack.Service.DecisionTimeout = 2 * time.Second
	r := admin.do("POST", "/api/v1/crises", map[string]any{"client_id": cc.ID, "playbook": "bad-buzz", "severity": "high", "summary": "Timeout drill"})
	stack.Service.Temporal, stack.Service.DecisionTimeout = oldClient, oldTimeout

	list := admin.must(200, "GET", "/api/v1/crises?client_id="+cc.ID, nil)["items"].([]any)
	require.Len(t, list, 1, "the crisis whose workflow started is kept")
	id := list[0].(map[string]any)["id"].(string)
	require.Equal(t, 201, r.Status, "%s", r.Body)
	require.Equal(t, id, r.json(t)["id"])
	_, err := stack.Temporal.DescribeWorkflowExecution(context.Background(), workflows.CrisisWorkflowID(id), "")
	require.NoError(t, err)
	admin.waitStep(id, "assemble", "ready")
	admin.must(200, "POST", "/api/v1/crises/"+id+"/resolve", map[string]any{"summary": "Drill over"})
}
