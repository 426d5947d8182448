package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/store"
)

// invitedPerson is a browser window signed in as a new staff member of role.
func invitedPerson(t *testing.T, alloc context.Context, admin *api, role string) (*person, member) {
	t.Helper()
	m := newMember(t, admin, role)
	token, hash := greenlight.NewToken("gli_")
	now := time.Now().UTC()
	require.NoError(t, stack.Store.CreateInvite(context.Background(), &store.Invite{TokenHash: hash, UserID: m.id, CreatedBy: m.id,
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
	p := newPerson(t, alloc, role+"-comments", 1280, 900)
	p.setPassword(stack.URL + "/invite/" + token)
	return p, m
}

// The thread by clicking: staff write an internal and a client comment on the post page,
// the client on a phone sees only the client one, answers and approves, and staff see the
// answer and download the certificate.
func TestBrowserCommentsAndCertificate(t *testing.T) {
	alloc := browser(t)
	admin := adminAPI(t)
	clientEmail := uniqueEmail("chloe")
	c := admin.must(201, "POST", "/api/v1/clients", map[string]any{"name": "Pâtisserie Noël", "digest_window": "0s", "approval_policy": "any",
		"approvers": []map[string]string{{"name": "Chloé", "email": clientEmail}}})
	editor, em := invitedPerson(t, alloc, admin, "editor")
	id := em.api.createPost(c["id"].(string), time.Hour, map[string]any{"body": "Bûche de Noël à la crème de marrons"})["id"].(string)

	editor.open("/posts/" + id)
	editor.run(chromedp.SendKeys(css("#comment-body"), "INTERNAL-9c1 prix coûtant"))
	editor.submit("#add-comment")
	editor.run(
		chromedp.SendKeys(css("#comment-body"), "Chloé, la photo sera retouchée."),
		chromedp.Click(css("input[name=visibility][value=client]")),
	)
	editor.submit("#add-comment")
	require.Equal(t, []string{"internal", "client"}, eval[[]string](editor, `Array.from(document.querySelectorAll("#comment-thread li.comment")).map(function(e){return e.dataset.visibility})`))
	editor.accessible(1280)
	editor.shot("comments-01-staff-thread")

	em.api.must(200, "POST", "/api/v1/posts/"+id+"/submit", nil)
	reviewer := newMember(t, admin, "reviewer")
	reviewer.api.must(200, "POST", "/api/v1/posts/"+id+"/review", map[string]any{"version": 1, "decision": "approve"})
	link := linkIn(t, waitMail(t, clientEmail, 1)[0])

	client := newPerson(t, alloc, "client-comments", 360, 740)
	client.open(link)
	thread := client.text("#comment-thread")
	require.Contains(t, thread, "Chloé, la photo sera retouchée.")
	require.NotContains(t, client.text("main"), "INTERNAL-9c1")
	client.run(chromedp.SendKeys(css("#client-comment"), "Merci ! Et le prix ?"))
	client.submit("#send-comment")
	require.Contains(t, client.text("#comment-thread"), "Merci ! Et le prix ?")
	client.accessible(360)
	client.shot("comments-02-client-thread-phone")
	client.submit("button[value=approve]")
	require.Contains(t, client.text(".done"), "approval is recorded")

	editor.open("/posts/" + id)
	require.Contains(t, editor.text("#comment-thread"), "Merci ! Et le prix ?")
	href := eval[string](editor, `document.querySelector("#certificate-link").getAttribute("href")`)
	require.Equal(t, "/posts/"+id+"/certificate", href)
	got := get(editor, chromedp.Evaluate[string](`(async function(){ const r = await fetch("`+href+`"); const b = await r.arrayBuffer();
		return r.status + " " + r.headers.get("content-type") + " " + String.fromCharCode.apply(null, new Uint8Array(b.slice(0, 5)))})()`, chromedp.EvalAwaitPromise))
	require.Equal(t, "200 application/pdf %PDF-", strings.TrimSpace(got))
	editor.shot("comments-03-staff-after-approval")
}
