package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/internal/faultproxy"
	"github.com/greenlight/greenlight/internal/pdstest"
	glmail "github.com/greenlight/greenlight/mail"
	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/publish/networks"
	"github.com/greenlight/greenlight/workflows"
)

// TestBlueskyPostWithImagesPublishesOnceOnTheRealPDS connects an account of a real local
// PDS with its password, uploads two images, and takes a post with both and a link through
// the whole approval (the client approves from the emailed link); at its publish time the
// repo holds exactly one record with the text, the link facet and both image blobs. A
// forced retry of the create (the publication's answer lost: its effect record undone,
// the activity run again) leaves one record.
func TestBlueskyPostWithImagesPublishesOnceOnTheRealPDS(t *testing.T) {
	pds := pdstest.Start(t)
	acct := pds.CreateAccount(t, "brasserie")
	admin := adminAPI(t)
	editor, reviewer := admin.createUser("editor"), admin.createUser("reviewer")
	ana := uniqueEmail("ana")
	client := admin.createClient("any", ana)

	connected := editor.must(201, "POST", "/api/v1/clients/"+client.ID+"/accounts", map[string]any{
		"network": "bluesky", "service_url": pds.URL, "handle": acct.Handle, "app_password": acct.Password,
	})
	require.Equal(t, "active", connected["status"])
	accountID := connected["id"].(string)

	var mediaIDs []string
	for _, c := range []color.RGBA{{200, 30, 30, 255}, {30, 30, 200, 255}} {
		m := editor.upload(client.ID, "dish.png", pngOf(t, c))
		require.Equal(t, "image/png", m["content_type"])
		mediaIDs = append(mediaIDs, m["id"].(string))
	}

	const link = "https://brasserie.example/menu"
	text := "Notre menu d'hiver arrive ❄️ " + link
	post := editor.createPost(client.ID, 8*time.Second, map[string]any{
		"title": "Winter menu", "body": text, "channels": []string{"bluesky"}, "media_ids": mediaIDs, "media_urls": []string{},
	})
	id := post["id"].(string)
	editor.must(200, "POST", "/api/v1/posts/"+id+"/submit", nil)
	reviewer.must(200, "POST", "/api/v1/posts/"+id+"/review", map[string]any{"version": 1, "decision": "approve"})
	approved := form(t, linkIn(t, waitMail(t, ana, 1)[0]), url.Values{"decision": {"approve"}}, "application/json")
	require.Equal(t, 200, approved.Status, "%s", approved.Body)

	published := editor.waitStatus(id, "published", time.Minute)
	publishedAt, err := time.Parse(time.RFC3339Nano, published["published_at"].(string))
	require.NoError(t, err)
	publishAt, err := time.Parse(time.RFC3339Nano, post["publish_at"].(string))
	require.NoError(t, err)
	require.False(t, publishedAt.Before(publishAt), "published at its time, not before")

	channels := published["channels"].([]any)
	require.Len(t, channels, 1)
	ch := channels[0].(map[string]any)
	require.Equal(t, "bluesky", ch["channel"])
	require.Equal(t, accountID, ch["account_id"])
	require.Equal(t, "published", ch["status"])
	uri := ch["remote_id"].(string)
	require.Regexp(t, `^at://`+acct.DID+`/app\.bsky\.feed\.post/[a-z2-7]{13}$`, uri)
	require.Equal(t, "https://bsky.app/profile/"+acct.DID+"/post/"+uri[len(uri)-13:], ch["url"])
	require.Empty(t, ch["error"])
	history := published["history"].([]any)
	require.Equal(t, "bluesky: published "+ch["url"].(string), history[len(history)-1].(map[string]any)["comment"],
		"the history links to the live post")

	// The client's page (the used link) shows where the version is live.
	clientPage := page(t, linkIn(t, waitMail(t, ana, 1)[0]))
	require.Contains(t, string(clientPage.Body), `href="`+ch["url"].(string)+`"`, "the client's page links to the live post")

	records := listPosts(t, pds.URL, acct.DID)
	require.Len(t, records, 1, "exactly one record")
	rec := records[0]
	require.Equal(t, uri, rec.URI)
	require.Equal(t, text, rec.Value.Text)
	require.Len(t, rec.Value.Facets, 1)
	f := rec.Value.Facets[0]
	require.Equal(t, "app.bsky.richtext.facet#link", f.Features[0].Type)
	require.Equal(t, link, f.Features[0].URI)
	require.Equal(t, link, string([]byte(text)[f.Index.ByteStart:f.Index.ByteEnd]), "UTF-8 byte offsets")
	require.Equal(t, "app.bsky.embed.images", rec.Value.Embed.Type)
	require.Len(t, rec.Value.Embed.Images, 2, "both images")
	for _, im := range rec.Value.Embed.Images {
		require.Equal(t, "blob", im.Image.Type)
		require.NotEmpty(t, im.Image.Ref.Link)
		require.Equal(t, "image/png", im.Image.MimeType)
	}
	require.NotEqual(t, rec.Value.Embed.Images[0].Image.Ref.Link, rec.Value.Embed.Images[1].Image.Ref.Link)

	// The create's answer was lost: the effect was never recorded done. The activity runs
	// again with the same key, so the same record key: still one record, the same one.
	key := fmt.Sprintf("post/%s/v1/publish/bluesky", id)
	require.NoError(t, stack.Store.DB().Exec("UPDATE effects SET status = 'pending', result = '' WHERE idem_key = ?", key).Error)
	acts := &activities.Activities{
		Store: stack.Store, Mail: discardMail{}, BaseURL: stack.URL,
		Connectors: networks.Connectors(outbound.NewClient(loopbackReceivers, outbound.Options{}), networks.Config{}),
		Secrets:    stack.Service.Secrets, Library: stack.Service.Library,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	again, err := acts.PublishChannel(context.Background(), activities.PublishRequest{PostID: id, ClientID: client.ID, Version: 1, Channel: "bluesky"})
	require.NoError(t, err)
	require.Equal(t, "published", again.Status, "error: %s", again.Error)
	require.Equal(t, uri, again.RemoteID, "the retry found the record it had made")
	require.Len(t, listPosts(t, pds.URL, acct.DID), 1, "a forced retry of the create leaves one record")
	after := editor.must(200, "GET", "/api/v1/posts/"+id, nil)["channels"].([]any)[0].(map[string]any)
	require.Equal(t, "published", after["status"])
	require.Equal(t, uri, after["remote_id"])
}

// pngOf is a small PNG of one colour (different colours: different files).
func pngOf(t *testing.T, c color.RGBA) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

type feedRecord struct {
	URI   string `json:"uri"`
	Value struct {
		Text   string `json:"text"`
		Facets []struct {
			Index struct {
				ByteStart int `json:"byteStart"`
				ByteEnd   int `json:"byteEnd"`
			} `json:"index"`
			Features []struct {
				Type string `json:"$type"`
				URI  string `json:"uri"`
			} `json:"features"`
		} `json:"facets"`
		Embed struct {
			Type   string `json:"$type"`
			Images []struct {
				Alt   string `json:"alt"`
				Image struct {
					Type string `json:"$type"`
					Ref  struct {
						Link string `json:"$link"`
					} `json:"ref"`
					MimeType string `json:"mimeType"`
					Size     int    `json:"size"`
				} `json:"image"`
			} `json:"images"`
		} `json:"embed"`
	} `json:"value"`
}

// listPosts reads a repo's posts with com.atproto.repo.listRecords (public, no session).
func listPosts(t *testing.T, pdsURL, did string) []feedRecord {
	t.Helper()
	q := url.Values{"repo": {did}, "collection": {"app.bsky.feed.post"}, "limit": {"100"}}
	resp, err := http.Get(pdsURL + "/xrpc/com.atproto.repo.listRecords?" + q.Encode())
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode, "%s", body)
	var out struct {
		Records []feedRecord `json:"records"`
	}
	require.NoError(t, json.Unmarshal(body, &out))
	return out.Records
}

type discardMail struct{}

func (discardMail) Send(context.Context, glmail.Message) error { return nil }

// blueskyClient is a client with one approver and a Bluesky account of the PDS connected
// through serviceURL (the PDS, or a fault proxy in front of it).
func blueskyClient(t *testing.T, editor *api, serviceURL string, acct pdstest.Account) (brand, string) {
	t.Helper()
	client := adminAPI(t).createClient("any", uniqueEmail("ana"))
	connected := editor.must(201, "POST", "/api/v1/clients/"+client.ID+"/accounts", map[string]any{
		"network": "bluesky", "service_url": serviceURL, "handle": acct.Handle, "app_password": acct.Password,
	})
	return client, connected["id"].(string)
}

// approvedPost creates a text post on bluesky publishing in 6s and takes it through review
// and the client's approval from the emailed link (the approver's nth email).
func approvedPost(t *testing.T, editor, reviewer *api, client brand, text string, nth int) string {
	t.Helper()
	post := editor.createPost(client.ID, 6*time.Second, map[string]any{"body": text, "channels": []string{"bluesky"}, "media_urls": []string{}})
	id := post["id"].(string)
	editor.must(200, "POST", "/api/v1/posts/"+id+"/submit", nil)
	reviewer.must(200, "POST", "/api/v1/posts/"+id+"/review", map[string]any{"version": 1, "decision": "approve"})
	approved := form(t, linkIn(t, waitMail(t, client.Approvers[0], nth)[0]), url.Values{"decision": {"approve"}}, "application/json")
	require.Equal(t, 200, approved.Status, "%s", approved.Body)
	return id
}

// TestBlueskyRateLimitAndRevokedSession: a 429 with Retry-After on the create waits on the
// workflow's durable timer and publishes once; a session the PDS no longer refreshes
// fails the channel and the post, makes the account needs_reconnect and emails the
// client's editors once, however many posts fail on it.
func TestBlueskyRateLimitAndRevokedSession(t *testing.T) {
	pds := pdstest.Start(t)
	admin := adminAPI(t)
	editorEmail := fmt.Sprintf("editor-%d@agency.test", time.Now().UnixNano())
	u := admin.must(201, "POST", "/api/v1/users", map[string]any{"email": editorEmail, "name": "Eddie", "role": "editor", "client_ids": []string{}})
	editor := &api{t: t, base: stack.URL, key: u["api_key"].(string)}
	reviewer := admin.createUser("reviewer")

	t.Run("rate limit", func(t *testing.T) {
		acct := pds.CreateAccount(t, "limited")
		proxy := faultproxy.New(t, pds.URL)
		client, accountID := blueskyClient(t, editor, proxy.URL, acct)
		proxy.Inject(faultproxy.Rule{Match: "com.atproto.repo.createRecord", Fault: faultproxy.RateLimit, RetryAfter: 3 * time.Second})
		id := approvedPost(t, editor, reviewer, client, "Rate limited, then published", 1)

		eventually(t, 30*time.Second, func() bool {
			ch := editor.must(200, "GET", "/api/v1/posts/"+id, nil)["channels"].([]any)[0].(map[string]any)
			return ch["status"] == "pending" && strings.Contains(ch["error"].(string), "RateLimitExceeded")
		}, "the channel pending with the rate limit while it waits")
		published := editor.waitStatus(id, "published", time.Minute)
		ch := published["channels"].([]any)[0].(map[string]any)
		require.Equal(t, "published", ch["status"])
		require.Equal(t, accountID, ch["account_id"])
		require.Empty(t, ch["error"])
		require.Equal(t, 1, proxy.Spoiled("com.atproto.repo.createRecord"))
		require.Equal(t, 1, proxy.Passed("com.atproto.repo.createRecord"), "one create reached the PDS, after the wait")
		records := listPosts(t, pds.URL, acct.DID)
		require.Len(t, records, 1)
		require.Equal(t, ch["remote_id"], records[0].URI)
		recordHistory(t, workflows.PostWorkflowID(id), "post_published_after_rate_limit")
	})

	t.Run("revoked session", func(t *testing.T) {
		acct := pds.CreateAccount(t, "revoked")
		proxy := faultproxy.New(t, pds.URL)
		client, accountID := blueskyClient(t, editor, proxy.URL, acct)
		proxy.Inject(
			faultproxy.Rule{Match: "com.atproto.repo.createRecord", Fault: faultproxy.ExpiredToken, Times: -1},
			faultproxy.Rule{Match: "com.atproto.server.refreshSession", Fault: faultproxy.ExpiredToken, Message: "Token has been revoked", Times: -1},
		)
		before := len(mails(t, editorEmail))
		for i := 1; i <= 2; i++ {
			id := approvedPost(t, editor, reviewer, client, fmt.Sprintf("Never published %d", i), i)
			failed := editor.waitStatus(id, "failed", time.Minute)
			ch := failed["channels"].([]any)[0].(map[string]any)
			require.Equal(t, "failed", ch["status"])
			require.Equal(t, accountID, ch["account_id"])
			require.Contains(t, ch["error"], "reconnect the bluesky account "+acct.Handle)
			history := failed["history"].([]any)
			last := history[len(history)-1].(map[string]any)
			require.Equal(t, "publish_failed", last["action"])
			require.Contains(t, last["comment"], "bluesky: failed: reconnect the bluesky account")
		}
		accounts := editor.do("GET", "/api/v1/clients/"+client.ID+"/accounts", nil)
		require.Equal(t, 200, accounts.Status)
		require.Contains(t, string(accounts.Body), `"status":"needs_reconnect"`)
		require.NotContains(t, string(accounts.Body), "accessJwt", "never the credentials")

		var notices []mail
		for _, m := range mails(t, editorEmail) {
			if strings.Contains(m.Subject, "Reconnect the bluesky account "+acct.Handle) {
				notices = append(notices, m)
			}
		}
		require.Len(t, notices, 1, "the editor is emailed once for both failed posts")
		require.Greater(t, len(mails(t, editorEmail)), before)
		require.Empty(t, listPosts(t, pds.URL, acct.DID))
		require.Equal(t, 1, proxy.Spoiled("com.atproto.server.refreshSession"), "refused once; then the account is not used until reconnected")
	})
}
