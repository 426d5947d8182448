package e2e

import (
	"image/color"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/internal/gtstest"
)

// TestMastodonPostWithImagesPublishesOnceOnGoToSocial connects an account of a real
// Mastodon-compatible server (GoToSocial's test rig) with an access token, uploads two
// images, and takes a post with both through the whole approval (the client approves from
// the emailed link); at its publish time the account has exactly one status with the text
// and both images, with their alt texts, and the post's channel links to it.
func TestMastodonPostWithImagesPublishesOnceOnGoToSocial(t *testing.T) {
	gts := gtstest.Start(t)
	admin := adminAPI(t)
	editor, reviewer := admin.createUser("editor"), admin.createUser("reviewer")
	ana := uniqueEmail("ana")
	client := admin.createClient("any", ana)

	connected := editor.must(201, "POST", "/api/v1/clients/"+client.ID+"/accounts", map[string]any{
		"network": "mastodon", "instance_url": gts.URL, "access_token": gtstest.ZorkToken,
	})
	require.Equal(t, "active", connected["status"])
	accountID := connected["id"].(string)

	var media []map[string]any
	for i, c := range []color.RGBA{{20, 160, 60, 255}, {160, 20, 160, 255}} {
		m := editor.upload(client.ID, "coat.png", pngOf(t, c))
		media = append(media, map[string]any{"id": m["id"], "alt": []string{"A green coat", "A purple coat"}[i]})
	}
	text := "Spring collection, out now ✿ https://brand.example/spring " + uniqueEmail("tag")
	post := editor.createPost(client.ID, 8*time.Second, map[string]any{
		"title": "Spring", "body": text, "channels": []string{"mastodon"}, "media": media, "media_urls": []string{},
	})
	id := post["id"].(string)
	editor.must(200, "POST", "/api/v1/posts/"+id+"/submit", nil)
	reviewer.must(200, "POST", "/api/v1/posts/"+id+"/review", map[string]any{"version": 1, "decision": "approve"})
	approved := form(t, linkIn(t, waitMail(t, ana, 1)[0]), url.Values{"decision": {"approve"}}, "application/json")
	require.Equal(t, 200, approved.Status, "%s", approved.Body)

	published := editor.waitStatus(id, "published", time.Minute)
	ch := published["channels"].([]any)[0].(map[string]any)
	require.Equal(t, "mastodon", ch["channel"])
	require.Equal(t, accountID, ch["account_id"])
	require.Equal(t, "published", ch["status"])
	require.NotEmpty(t, ch["remote_id"])

	statuses := gtstest.Statuses(t, gts.URL, gtstest.ZorkToken)
	var mine []gtstest.Status
	for _, st := range statuses {
		if strings.Contains(st.Content, "Spring collection, out now") && strings.Contains(st.Content, strings.Split(text, " ")[len(strings.Split(text, " "))-1]) {
			mine = append(mine, st)
		}
	}
	require.Len(t, mine, 1, "exactly one status")
	require.Equal(t, ch["remote_id"], mine[0].ID)
	require.Equal(t, ch["url"], mine[0].URL)
	require.Len(t, mine[0].Media, 2, "both images")
	require.Equal(t, "A green coat", mine[0].Media[0].Description)
	require.Equal(t, "A purple coat", mine[0].Media[1].Description)
}
