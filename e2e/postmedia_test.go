package e2e

import (
	"bytes"
	"encoding/json"
	"image/color"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// upload sends a file to a client's media library and returns the media.
func (a *api) upload(clientID, name string, data []byte) map[string]any {
	a.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	part, err := w.CreateFormFile("file", name)
	require.NoError(a.t, err)
	_, err = part.Write(data)
	require.NoError(a.t, err)
	require.NoError(a.t, w.Close())
	req, err := http.NewRequest("POST", a.base+"/api/v1/clients/"+clientID+"/media", &b)
	require.NoError(a.t, err)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+a.key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(a.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(a.t, err)
	require.Equal(a.t, 201, resp.StatusCode, "%s", body)
	var m map[string]any
	require.NoError(a.t, json.Unmarshal(body, &m))
	return m
}

// fetchURL fetches a URL without credentials.
func fetchURL(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type")
}

// A post with media through the real API, workflow and database: library items with alt
// text, a replaced image making a new version with a new digest, media_urls downloaded into
// the library, every bad input a 422 naming it; the approval email shows the image and the
// approval link's data carries the files and the digest the client approves.
func TestPostMediaWalkthrough(t *testing.T) {
	admin := adminAPI(t)
	editor := admin.createUser("editor")
	reviewer := admin.createUser("reviewer")
	ana := uniqueEmail("ana")
	brand := admin.createClient("any", ana)
	other := admin.createClient("any", uniqueEmail("other"))
	red := editor.upload(brand.ID, "red.png", pngBytes(color.RGBA{R: 255, A: 255}))
	blue := editor.upload(brand.ID, "blue.png", pngBytes(color.RGBA{B: 255, A: 255}))
	theirs := editor.upload(other.ID, "green.png", pngBytes(color.RGBA{G: 255, A: 255}))

	post := editor.createPost(brand.ID, time.Hour, map[string]any{
		"media_urls": nil, "media": []map[string]any{{"id": red["id"], "alt": "A red square"}},
	})
	id := post["id"].(string)
	media := post["media"].([]any)
	require.Len(t, media, 1)
	m := media[0].(map[string]any)
	require.Equal(t, red["id"], m["id"])
	require.Equal(t, "A red square", m["alt"])
	require.Equal(t, red["sha256"], m["sha256"])
	require.EqualValues(t, 64, m["width"])
	status, ct := fetchURL(t, m["url"].(string))
	require.Equal(t, 200, status)
	require.Equal(t, "image/png", ct)
	v1 := post["digest"].(string)
	require.Len(t, v1, 64)

	// Bad inputs: 422 naming the field, before anything changes.
	eleven := []string{}
	for range 11 {
		eleven = append(eleven, red["id"].(string))
	}
	for _, tc := range []struct {
		name string
		body map[string]any
		want string
	}{
		{"both fields", map[string]any{"media_ids": []any{blue["id"]}, "media": []map[string]any{{"id": blue["id"]}}}, "media_ids, media: give one of them"},
		{"unknown id", map[string]any{"media_ids": []string{"med_01m7yv4g9rdvn46678gj89aecp"}}, "media_ids[0]: no media med_01m7yv4g9rdvn46678gj89aecp in this client's library"},
		{"other client's id", map[string]any{"media_ids": []any{blue["id"], theirs["id"]}}, "media_ids[1]: no media " + theirs["id"].(string) + " in this client's library"},
		{"11 items", map[string]any{"media_ids": eleven}, "media_ids: at most 10 files"},
		{"url answering 404", map[string]any{"media_urls": []string{imageServer().URL + "/missing.png"}}, "media_urls[0]: the server answered 404 Not Found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := editor.do("PATCH", "/api/v1/posts/"+id, tc.body)
			require.Equal(t, 422, r.Status, "%s", r.Body)
			require.Contains(t, string(r.Body), tc.want)
			require.NotContains(t, string(r.Body), other.ID)
		})
	}
	require.EqualValues(t, 1, editor.must(200, "GET", "/api/v1/posts/"+id, nil)["version"])

	// Replacing the image is a new version, like a text edit; the same files again are not.
	p := editor.must(200, "PATCH", "/api/v1/posts/"+id, map[string]any{"media_ids": []any{blue["id"]}})
	require.EqualValues(t, 2, p["version"])
	v2 := p["digest"].(string)
	require.NotEqual(t, v1, v2)
	p = editor.must(200, "PATCH", "/api/v1/posts/"+id, map[string]any{"media_ids": []any{blue["id"]}})
	require.EqualValues(t, 2, p["version"], "the same files: no new version")

	// media_urls are downloaded into the client's library and become the post's files.
	p = editor.must(200, "PATCH", "/api/v1/posts/"+id, map[string]any{"media_urls": []string{imageServer().URL + "/menu.jpg", imageServer().URL + "/red.png"}})
	require.EqualValues(t, 3, p["version"])
	require.Equal(t, []any{}, p["media_urls"])
	media = p["media"].([]any)
	require.Len(t, media, 2)
	require.Equal(t, "image/jpeg", media[0].(map[string]any)["content_type"])
	dl := editor.must(200, "GET", "/api/v1/media/"+media[0].(map[string]any)["id"].(string), nil)
	require.Equal(t, brand.ID, dl["client_id"])
	require.Equal(t, "menu.jpg", dl["filename"])
	versions := p["versions"].([]any)
	require.Len(t, versions, 3)
	for i, want := range []string{v1, v2, p["digest"].(string)} {
		require.Equal(t, want, versions[i].(map[string]any)["digest"])
	}
	require.Equal(t, blue["id"], versions[1].(map[string]any)["media"].([]any)[0].(map[string]any)["id"])

	// The client sees the files of the version they approve.
	require.Equal(t, "in_review", editor.must(200, "POST", "/api/v1/posts/"+id+"/submit", nil)["status"])
	reviewer.must(200, "POST", "/api/v1/posts/"+id+"/review", map[string]any{"version": 3, "decision": "approve"})
	mail := waitMail(t, ana, 1)[0]
	img := strings.Index(mail.HTML, `<img src="`+stack.URL+"/media/")
	require.Positive(t, img, "the email shows the images: %s", mail.HTML)
	src, _, _ := strings.Cut(mail.HTML[img+len(`<img src="`):], `"`)
	status, ct = fetchURL(t, strings.ReplaceAll(src, "&amp;", "&"))
	require.Equal(t, 200, status)
	require.Equal(t, "image/jpeg", ct, "the thumbnail")

	link := linkIn(t, mail)
	req, err := http.NewRequest("GET", link, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var view struct {
		Digest string `json:"digest"`
		Media  []struct {
			ID, URL string
		} `json:"media"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&view))
	resp.Body.Close()
	require.Equal(t, p["digest"], view.Digest)
	require.Len(t, view.Media, 2)
	require.Equal(t, media[1].(map[string]any)["id"], view.Media[1].ID)
	u, err := url.Parse(view.Media[1].URL)
	require.NoError(t, err)
	status, ct = fetchURL(t, stack.URL+u.String())
	require.Equal(t, 200, status)
	require.Equal(t, "image/png", ct)

	done := form(t, link, url.Values{"decision": {"approve"}}, "application/json")
	require.Equal(t, 200, done.Status, "%s", done.Body)
	require.Equal(t, "scheduled", editor.must(200, "GET", "/api/v1/posts/"+id, nil)["status"])
}
