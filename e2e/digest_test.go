package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/workflows"
)

var reviewRE = regexp.MustCompile(`https?://\S+/review/(\S+)`)

// reviewLinkIn returns the batch review URL in a digest email.
func reviewLinkIn(t *testing.T, m mail) string {
	t.Helper()
	match := reviewRE.FindString(m.Text)
	require.NotEmpty(t, match, "no review link in %q", m.Text)
	return match
}

// burst creates n posts for clientID, submits them, then has them approved internally
// all at once (n reviewers' clicks in parallel): n posts start waiting for the client
// within a second or two. It returns the post ids in creation order.
func burst(t *testing.T, editor, reviewer *api, clientID string, n int, title func(i int) string) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range n {
		extra := map[string]any{"title": title(i), "media_urls": []string{}, "publish_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}
		if i == 0 {
			delete(extra, "media_urls") // the first post has an image: the email shows it
		}
		p := editor.createPost(clientID, time.Hour, extra)
		ids[i] = p["id"].(string)
		editor.must(200, "POST", "/api/v1/posts/"+ids[i]+"/submit", nil)
	}
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := reviewer.do("POST", "/api/v1/posts/"+id+"/review", map[string]any{"version": 1, "decision": "approve"})
			if r.Status != 200 {
				t.Errorf("review %s: %d %s", id, r.Status, r.Body)
			}
		}()
	}
	wg.Wait()
	return ids
}

// 50 posts submitted in a burst: each approver gets exactly one email for the window,
// listing all 50, with one link to the batch page; no per-post email at all.
func TestDigestBurstSendsOneEmailPerApprover(t *testing.T) {
	admin := adminAPI(t)
	editor := admin.createUser("editor")
	reviewer := admin.createUser("reviewer")
	ana, bob := uniqueEmail("ana"), uniqueEmail("bob")
	c := admin.must(201, "POST", "/api/v1/clients", map[string]any{
		"name": "Brasserie du Port", "approval_policy": "all", "digest_window": "15s",
		"approvers": []map[string]string{{"name": "Ana", "email": ana}, {"name": "Bob", "email": bob}},
	})
	require.Equal(t, "15s", c["digest_window"])
	clientID := c["id"].(string)
	const n = 50
	ids := burst(t, editor, reviewer, clientID, n, func(i int) string { return fmt.Sprintf("Plat du jour %02d", i+1) })

	for _, to := range []string{ana, bob} {
		m := waitMail(t, to, 1)
		require.Len(t, m, 1, "one email for the whole burst")
		require.Contains(t, m[0].Subject, "50 posts to approve")
		for i := range n {
			require.Contains(t, m[0].Text, fmt.Sprintf("Plat du jour %02d", i+1))
		}
		require.Contains(t, m[0].HTML, `<img src="`+stack.URL+"/media/", "the first image of a post")
		require.Equal(t, 1, strings.Count(m[0].Text, "/review/"), "one link to the batch page")
		require.NotContains(t, m[0].Text, "/approve/")

		link := reviewLinkIn(t, m[0])
		v := jsonGet(t, link)
		require.EqualValues(t, n, v["open"], "every post of the burst waits on the batch page")
	}
	// Every item's own email key (post/<id>/v1/r1/client-request/<email>) is spent by the
	// batch: no later email, batch or per post, can name these versions again.
	for _, to := range []string{ana, bob} {
		require.Len(t, mails(t, to), 1, "still exactly one email")
	}
	recordHistory(t, workflows.DigestWorkflowID(clientID, c["approvers"].([]any)[0].(map[string]any)["id"].(string)), "digest_burst_sent")
	recordHistory(t, workflows.PostWorkflowID(ids[0]), "post_digest_awaiting")
}

func jsonGet(t *testing.T, link string) map[string]any {
	t.Helper()
	req, err := http.NewRequest("GET", link, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	require.Equal(t, 200, resp.StatusCode, "%s", data)
	var v map[string]any
	require.NoError(t, json.Unmarshal(data, &v))
	return v
}

// The batch page: GET changes nothing; a post edited since the email shows as replaced
// and cannot be decided; request changes needs a comment (nothing is sent otherwise);
// the JSON answer names each post's status; a link where nothing waits any more is 410;
// an unknown token 404, and a batch token is no per-post link.
func TestReviewPageDecidesEachPostOnItsVersion(t *testing.T) {
	admin := adminAPI(t)
	editor := admin.createUser("editor")
	reviewer := admin.createUser("reviewer")
	ana := uniqueEmail("ana")
	c := admin.must(201, "POST", "/api/v1/clients", map[string]any{
		"name": "Épicerie Lumen", "approval_policy": "any", "digest_window": "3s",
		"approvers": []map[string]string{{"name": "Ana", "email": ana}},
	})
	ids := burst(t, editor, reviewer, c["id"].(string), 3, func(i int) string { return fmt.Sprintf("Panier %d", i+1) })
	m := waitMail(t, ana, 1)[0]
	link := reviewLinkIn(t, m)
	token := link[strings.LastIndex(link, "/")+1:]

	before := editor.must(200, "GET", "/api/v1/posts/"+ids[0], nil)
	for range 2 { // a mail scanner
		p := page(t, link)
		require.Equal(t, 200, p.Status, "%s", p.Body)
		for i := range 3 {
			require.Contains(t, string(p.Body), fmt.Sprintf("Panier %d", i+1))
		}
		require.Equal(t, "no-referrer", p.Header.Get("Referrer-Policy"))
	}
	require.Equal(t, before, editor.must(200, "GET", "/api/v1/posts/"+ids[0], nil), "opening the page changes nothing")

	// The agency edits the third post after the email.
	editor.must(200, "PATCH", "/api/v1/posts/"+ids[2], map[string]any{"body": "Nouveau texte", "version": 1})
	v := jsonGet(t, link)
	require.EqualValues(t, 2, v["open"])
	states := map[string]any{}
	for _, it := range v["items"].([]any) {
		states[it.(map[string]any)["post_id"].(string)] = it.(map[string]any)["state"]
	}
	require.Equal(t, map[string]any{ids[0]: "open", ids[1]: "open", ids[2]: "replaced"}, states,
		"the edited post is replaced (posts publishing at the same time come in any order)")
	p := page(t, link)
	require.Contains(t, string(p.Body), `data-state="replaced"`)
	require.NotContains(t, string(p.Body), `name="decision_`+ids[2]+`"`, "a replaced post has no decision buttons")

	// Invalid forms send nothing.
	for name, values := range map[string]url.Values{
		"changes without a comment": {"decision_" + ids[0]: {"approve"}, "decision_" + ids[1]: {"request_changes"}},
		"a post not in the batch":   {"decision_pst_other": {"approve"}},
		"an unknown decision":       {"decision_" + ids[0]: {"maybe"}},
	} {
		r := form(t, link, values, "application/json")
		require.Equal(t, 422, r.Status, "%s: %s", name, r.Body)
		h := form(t, link, values, "text/html")
		require.Equal(t, 422, h.Status, name)
	}
	require.Equal(t, "awaiting_client", editor.must(200, "GET", "/api/v1/posts/"+ids[0], nil)["status"], "nothing was decided")

	r := form(t, link, url.Values{
		"decision_" + ids[0]: {"approve"},
		"decision_" + ids[1]: {"request_changes"}, "comment_" + ids[1]: {"Le prix est faux"},
		"decision_" + ids[2]: {"approve"},
	}, "application/json")
	require.Equal(t, 200, r.Status, "%s", r.Body)
	results := map[string]string{}
	for _, x := range r.json(t)["results"].([]any) {
		results[x.(map[string]any)["post_id"].(string)] = x.(map[string]any)["status"].(string)
	}
	require.Equal(t, map[string]string{ids[0]: "scheduled", ids[1]: "changes_requested", ids[2]: "replaced"}, results)
	require.Equal(t, "scheduled", editor.must(200, "GET", "/api/v1/posts/"+ids[0], nil)["status"])
	require.EqualValues(t, 2, editor.must(200, "GET", "/api/v1/posts/"+ids[2], nil)["version"], "the replaced post was not decided")
	comments := editor.must(200, "GET", "/api/v1/posts/"+ids[1]+"/comments", nil)["items"].([]any)
	require.Len(t, comments, 1)
	require.Equal(t, "client", comments[0].(map[string]any)["visibility"])
	require.Equal(t, "Le prix est faux", comments[0].(map[string]any)["body"])

	gone := page(t, link)
	require.Equal(t, 410, gone.Status, "nothing waits any more")
	require.Contains(t, string(gone.Body), "Nothing in this batch waits for your decision")
	again := form(t, link, url.Values{"decision_" + ids[0]: {"approve"}}, "application/json")
	require.Equal(t, 410, again.Status)

	require.Equal(t, 404, page(t, strings.Replace(link, token, "gl_unknown", 1)).Status)
	require.Equal(t, 404, page(t, stack.URL+"/approve/"+token).Status, "a batch token is not a per-post link")
	recordHistory(t, workflows.PostWorkflowID(ids[0]), "post_digest_approved")
}

// "Approve all remaining" approves every post still waiting that the form does not
// decide otherwise.
func TestReviewApproveAllRemaining(t *testing.T) {
	admin := adminAPI(t)
	editor := admin.createUser("editor")
	reviewer := admin.createUser("reviewer")
	ana := uniqueEmail("ana")
	c := admin.must(201, "POST", "/api/v1/clients", map[string]any{
		"name": "Cave Lumen", "digest_window": "3s", "approvers": []map[string]string{{"name": "Ana", "email": ana}},
	})
	ids := burst(t, editor, reviewer, c["id"].(string), 3, func(i int) string { return fmt.Sprintf("Vin %d", i+1) })
	link := reviewLinkIn(t, waitMail(t, ana, 1)[0])
	r := form(t, link, url.Values{"decision_" + ids[1]: {"request_changes"}, "comment_" + ids[1]: {"Trop sucré"}, "all": {"approve"}}, "text/html")
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Contains(t, string(r.Body), "your decisions are recorded")
	for i, want := range []string{"scheduled", "changes_requested", "scheduled"} {
		require.Equal(t, want, editor.must(200, "GET", "/api/v1/posts/"+ids[i], nil)["status"])
	}
}

func TestClientDigestWindowIsValidated(t *testing.T) {
	admin := adminAPI(t)
	for _, bad := range []string{"soon", "-1m", "48h"} {
		r := admin.do("POST", "/api/v1/clients", map[string]any{"name": "X", "digest_window": bad,
			"approvers": []map[string]string{{"name": "A", "email": uniqueEmail("a")}}})
		require.Equal(t, 422, r.Status, bad)
		require.Contains(t, string(r.Body), "digest_window", "the error names the field")
	}
	c := admin.must(201, "POST", "/api/v1/clients", map[string]any{"name": "Default", "approvers": []map[string]string{{"name": "A", "email": uniqueEmail("a")}}})
	require.Equal(t, "10m0s", c["digest_window"], "10 minutes unless the client says otherwise")
}
