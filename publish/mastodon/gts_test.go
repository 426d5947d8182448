package mastodon_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/internal/gtstest"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/publish/mastodon"
)

// statusOn reads a status back from the server.
func statusOn(t *testing.T, base, token, id string) map[string]any {
	req, err := http.NewRequest("GET", base+"/api/v1/statuses/"+id, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return out
}

// Against GoToSocial's test rig: the connector reads the instance's limits (5000
// characters, 6 attachments in the rig's configuration), refuses a longer text with a rule
// error before any call that posts, and publishes a text with an image once: the status
// holds the text and the image with its alt text. A refused token is KindAuth.
func TestPublishOnGoToSocial(t *testing.T) {
	gts := gtstest.Start(t)
	ctx := context.Background()
	c := mastodon.NewConnector(&http.Client{Timeout: 30 * time.Second})
	acct := account(t, gts.URL, gtstest.ZorkToken)

	l, err := c.Limits(ctx, gts.URL)
	require.NoError(t, err)
	require.Equal(t, 5000, l.MaxCharacters)
	require.Equal(t, 6, l.MaxMedia)
	require.False(t, l.HonorsIdempotencyKey, "GoToSocial ignores Idempotency-Key")

	var re *publish.RuleError
	require.ErrorAs(t, c.Validate(ctx, acct, publish.Post{Text: strings.Repeat("a", 5001)}), &re)
	require.Equal(t, "text_length", re.Rule)
	require.NoError(t, c.Validate(ctx, acct, publish.Post{Text: strings.Repeat("a", 5000)}))

	p := publish.Post{Key: "post/p1/v1/publish/mastodon", Text: "Spring collection, out now https://brand.example/spring",
		Media: []publish.Media{imageMedia(t, "A red coat on a hanger")}}
	res, err := c.Publish(ctx, acct, p)
	require.NoError(t, err)
	require.NotEmpty(t, res.RemoteID)
	require.True(t, strings.HasPrefix(res.URL, "http://localhost:8080/@"+gtstest.ZorkUsername+"/statuses/"), res.URL)

	st := statusOn(t, gts.URL, gtstest.ZorkToken, res.RemoteID)
	require.Contains(t, st["content"], "Spring collection, out now")
	require.Contains(t, st["content"], "https://brand.example/spring")
	media := st["media_attachments"].([]any)
	require.Len(t, media, 1)
	require.Equal(t, "A red coat on a hanger", media[0].(map[string]any)["description"])
	require.Equal(t, "image", media[0].(map[string]any)["type"])

	_, err = c.Publish(ctx, account(t, gts.URL, "not-a-token"), p)
	require.Equal(t, publish.KindAuth, publish.KindOf(err), "%v", err)
}

// On a server that ignores Idempotency-Key (GoToSocial), a create whose answer is lost
// may have posted: the connector says KindAmbiguous (the channel ends unconfirmed) rather
// than inviting a retry that would post twice. A proxy forwards the create, then drops the
// connection before the answer.
func TestLostCreateOnGoToSocialIsAmbiguous(t *testing.T) {
	gts := gtstest.Start(t)
	target, err := url.Parse(gts.URL)
	require.NoError(t, err)
	forward := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && r.URL.Path == "/api/v1/statuses" {
			rec := httptest.NewRecorder()
			forward.ServeHTTP(rec, r) // the status is created…
			if rec.Code != 200 {
				t.Errorf("create: %d %s", rec.Code, rec.Body.String())
			}
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close() // …and the answer is lost
			}
			return
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)

	c := mastodon.NewConnector(&http.Client{Timeout: 30 * time.Second})
	_, err = c.Publish(context.Background(), account(t, proxy.URL, gtstest.ZorkToken), publish.Post{Key: "post/p2/v1/publish/mastodon", Text: "lost answer"})
	require.Equal(t, publish.KindAmbiguous, publish.KindOf(err), "%v", err)
	// Exactly one status: nothing (not even Go's transport, which replays requests that
	// carry an Idempotency-Key on a reused connection) sent the create a second time.
	require.Equal(t, 1, countStatuses(t, gts.URL, gtstest.ZorkToken, "lost answer"))
}

// countStatuses counts the token's account's statuses whose content contains text.
func countStatuses(t *testing.T, base, token, text string) int {
	n := 0
	for _, st := range gtstest.Statuses(t, base, token) {
		if strings.Contains(st.Content, text) {
			n++
		}
	}
	return n
}
