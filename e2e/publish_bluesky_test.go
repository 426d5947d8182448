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
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/internal/pdstest"
	glmail "github.com/greenlight/greenlight/mail"
	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/publish/networks"
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
		Connectors: networks.Connectors(outbound.NewClient(loopbackReceivers, outbound.Options{})),
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
