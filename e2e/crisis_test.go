package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
		"name": "Biscuiterie Dorée", "approval_policy": "any", "webhook_url": hookURL,
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
