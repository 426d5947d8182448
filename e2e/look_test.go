package e2e

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A French client in Paris: its batch email, batch page and portal speak French and give
// times in Paris time, whatever the visitor's own language.
func TestClientPagesSpeakTheClientsLanguageAndClock(t *testing.T) {
	admin := adminAPI(t)
	editor := admin.createUser("editor")
	reviewer := admin.createUser("reviewer")
	ana := uniqueEmail("ana")
	c := admin.must(201, "POST", "/api/v1/clients", map[string]any{
		"name": "Brasserie Lumière", "approval_policy": "any", "digest_window": "2s",
		"time_zone": "Europe/Paris", "language": "fr", "sender_name": "Brasserie Lumière",
		"approvers": []map[string]string{{"name": "Ana", "email": ana}},
	})
	clientID := c["id"].(string)
	ids := burst(t, editor, reviewer, clientID, 2, func(i int) string { return []string{"Menu d'hiver", "Soirée jazz"}[i] })
	post := editor.must(200, "GET", "/api/v1/posts/"+ids[0], nil)
	publishAt, err := time.Parse(time.RFC3339, post["publish_at"].(string))
	require.NoError(t, err)
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	hhmm := publishAt.In(paris).Format("15:04")

	m := waitMail(t, ana, 1)[0]
	require.Contains(t, m.Text, hhmm, "the batch email gives publish times in Paris time")
	link := reviewLinkIn(t, m)
	req := page(t, link)
	require.Equal(t, 200, req.Status, "%s", req.Body)
	body := string(req.Body)
	require.Contains(t, body, "Publications à valider", "the batch page speaks the client's language")
	require.Contains(t, body, hhmm, "and gives times in the client's zone")

	sent := editor.must(201, "POST", "/api/v1/clients/"+clientID+"/approvers/"+url.PathEscape(ana)+"/portal", nil)
	p := page(t, sent["url"].(string))
	require.Equal(t, 200, p.Status, "%s", p.Body)
	require.Contains(t, string(p.Body), "Bonjour Ana")
	require.Contains(t, string(p.Body), "Heures en Europe/Paris", "the portal shows the client's zone")
}

// The settings form on the client's staff page changes the client's look, language, clock
// and timers (the digest window of an existing client included); a bad value is refused
// naming the field and changes nothing.
func TestClientSettingsForm(t *testing.T) {
	admin := adminAPI(t)
	editor := admin.createUser("editor")
	c := admin.must(201, "POST", "/api/v1/clients", map[string]any{
		"name": "Café Nord", "approval_policy": "any", "digest_window": "0s",
		"approvers": []map[string]string{{"name": "Ana", "email": uniqueEmail("ana")}},
	})
	id := c["id"].(string)
	html := staffPage(t, stack, editorEmail(t, editor), "/admin/clients/"+id)
	require.Contains(t, html, `id="client-settings"`)

	e := editor.must(422, "PATCH", "/api/v1/clients/"+id, map[string]any{"digest_window": "2d"})
	require.Contains(t, e["error"].(map[string]any)["message"], "digest_window:")
	got := editor.must(200, "PATCH", "/api/v1/clients/"+id, map[string]any{
		"time_zone": "Europe/Paris", "language": "fr", "sender_name": "Café Nord", "brand_color": "#1F6FEB", "digest_window": "15m",
	})
	require.Equal(t, "Europe/Paris", got["time_zone"])
	require.Equal(t, "fr", got["language"])
	require.Equal(t, "#1f6feb", got["brand_color"])
	require.Equal(t, "15m0s", got["digest_window"], "an existing client can start batching")
	html = staffPage(t, stack, editorEmail(t, editor), "/admin/clients/"+id)
	require.Contains(t, html, `name="time_zone" value="Europe/Paris"`)
	require.Contains(t, html, `name="digest_window" value="15m0s"`)
}
