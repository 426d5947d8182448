package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The approval insights page shows the months of GET …/approval-stats: one post approved
// and one sent back for changes make two decided requests and 0.50 revision rounds per
// post this month, on the page as in the API.
func TestApprovalInsightsPage(t *testing.T) {
	admin := adminAPI(t)
	editor := admin.createUser("editor")
	reviewer := admin.createUser("reviewer")
	ana := uniqueEmail("ana")
	c := admin.must(201, "POST", "/api/v1/clients", map[string]any{
		"name": "Épicerie Lumen", "approval_policy": "any", "digest_window": "0s", "time_zone": "Europe/Paris",
		"approvers": []map[string]string{{"name": "Ana", "email": ana}},
	})
	clientID := c["id"].(string)
	for i, decision := range []url.Values{{"decision": {"approve"}}, {"decision": {"request_changes"}, "comment": {"Plus court"}}} {
		p := editor.createPost(clientID, time.Hour, map[string]any{"title": fmt.Sprintf("Post %d", i+1)})
		id := p["id"].(string)
		editor.must(200, "POST", "/api/v1/posts/"+id+"/submit", nil)
		reviewer.must(200, "POST", "/api/v1/posts/"+id+"/review", map[string]any{"version": 1, "decision": "approve"})
		done := form(t, linkIn(t, waitMail(t, ana, i+1)[0]), decision, "text/html")
		require.Equal(t, 200, done.Status, "%s", done.Body)
	}

	st := editor.must(200, "GET", "/api/v1/clients/"+clientID+"/approval-stats", nil)
	months := st["months"].([]any)
	last := months[len(months)-1].(map[string]any)
	require.EqualValues(t, 2, last["requests"])
	require.EqualValues(t, 2, last["decided"])
	require.InDelta(t, 0.5, last["revision_rounds_per_post"], 1e-9)
	editor.must(422, "GET", "/api/v1/clients/"+clientID+"/approval-stats?from=2026-13-01", nil)

	html := staffPage(t, stack, editorEmail(t, editor), "/clients/"+clientID+"/stats")
	month := last["month"].(string)
	require.Contains(t, html, `<th scope="row">`+month+`</th><td>2</td><td>2</td><td>2</td>`, "the counts of the month")
	rounds := html[strings.Index(html, `id="chart-rounds"`):]
	rounds = rounds[:strings.Index(rounds, "</section>")]
	require.Contains(t, rounds, `<span class="bar bar-100" aria-hidden="true"></span> <span class="figure">0.50</span>`,
		"this month's bar is the longest, with its figure")
	require.Contains(t, html, "Months of Europe/Paris")
}
