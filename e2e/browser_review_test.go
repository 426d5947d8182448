package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// The batch page by clicking, on a desktop and on a 360 px phone: the client decides
// three posts in one visit — two approved, one with "request changes", whose missing
// comment is asked for first, keeping the choices made.
func TestBrowserBatchReviewDesktopAndPhone(t *testing.T) {
	alloc := browser(t)
	admin := adminAPI(t)
	editor := admin.createUser("editor")
	reviewer := admin.createUser("reviewer")
	for _, width := range []int{1280, 360} {
		t.Run(fmt.Sprintf("%dpx", width), func(t *testing.T) {
			clientEmail := uniqueEmail("camille")
			c := admin.must(201, "POST", "/api/v1/clients", map[string]any{"name": "Boulangerie Lumen", "digest_window": "2s",
				"approvers": []map[string]string{{"name": "Camille", "email": clientEmail}}})
			ids := burst(t, editor, reviewer, c["id"].(string), 3, func(i int) string { return fmt.Sprintf("Fournée %d", i+1) })
			link := reviewLinkIn(t, waitMail(t, clientEmail, 1)[0])

			client := newPerson(t, alloc, fmt.Sprintf("client-review-%d", width), int64(width), 800)
			client.open(link)
			require.Equal(t, 3, eval[int](client, `document.querySelectorAll("article.review-item[data-state=open]").length`))
			client.accessible(width)
			client.shot(fmt.Sprintf("review-01-batch-%d", width))

			radio := func(id, value string) chromedp.Action[chromedp.Void] {
				return chromedp.Click(css(fmt.Sprintf("input[name=decision_%s][value=%s]", id, value)))
			}
			client.run(radio(ids[0], "approve"), radio(ids[1], "request_changes"), radio(ids[2], "approve"))
			client.submit("#send-decisions")
			require.Contains(t, client.text("#review-error"), "comment", "a request for changes needs a comment")
			require.True(t, eval[bool](client, fmt.Sprintf(`document.querySelector("input[name=decision_%s][value=request_changes]").checked`, ids[1])),
				"the choices are kept")
			client.run(chromedp.SendKeys(css("#comment_"+ids[1]), "Moins de sucre dans le texte, s'il vous plaît."))
			client.submit("#send-decisions")
			statuses := eval[map[string]string](client, `Object.fromEntries(Array.from(document.querySelectorAll("#review-results li")).map(function(e){return [e.dataset.post, e.dataset.status]}))`)
			require.Equal(t, map[string]string{ids[0]: "scheduled", ids[1]: "changes_requested", ids[2]: "scheduled"}, statuses)
			client.accessible(width)
			client.shot(fmt.Sprintf("review-02-done-%d", width))

			for i, want := range []string{"scheduled", "changes_requested", "scheduled"} {
				require.Equal(t, want, editor.must(200, "GET", "/api/v1/posts/"+ids[i], nil)["status"])
			}
			client.open(link)
			require.Contains(t, client.text("#review-error"), "Nothing in this batch waits")
		})
	}
}
