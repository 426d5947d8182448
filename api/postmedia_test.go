package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/store"
)

// A post and each version show their files in order (id, type, digest, alt, pixels, signed
// URLs under the public URL) and their digest; replacing an image changes the digest. Old
// versions keep their media_urls.
func TestPostJSONCarriesMediaAndDigest(t *testing.T) {
	st := testdb.Open(t, testdb.PostgresURL(t))
	ctx := context.Background()
	app := newMediaApp(t, st)
	cl := &store.Client{ID: greenlight.NewID("cli_"), Name: "brand", ApprovalPolicy: greenlight.PolicyAny, CreatedAt: time.Now().UTC()}
	require.NoError(t, st.CreateClient(ctx, cl))
	h := greenlight.HashToken("glk_editor")
	editor := &store.User{ID: greenlight.NewID("usr_"), Email: "e@agency.test", Name: "E", Role: string(greenlight.RoleEditor), APIKeyHash: &h, CreatedAt: time.Now().UTC()}
	require.NoError(t, st.CreateUser(ctx, editor))
	call := func(method, path, body string) (int, map[string]any) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer glk_editor")
		req.Header.Set("Content-Type", "application/json")
		resp, err := app.Test(req, -1)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		var out map[string]any
		require.NoError(t, json.Unmarshal(b, &out), "%s", b)
		return resp.StatusCode, out
	}
	upload := func(data []byte) mediaResp {
		ct, body := multipartBody(t, "file", "photo.png", data)
		req := httptest.NewRequest("POST", "/api/v1/clients/"+cl.ID+"/media", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer glk_editor")
		req.Header.Set("Content-Type", ct)
		resp, err := app.Test(req, -1)
		require.NoError(t, err)
		defer resp.Body.Close()
		var r mediaResp
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&r))
		require.Equal(t, 201, resp.StatusCode, "%+v", r)
		return r
	}
	first, second := upload(testPNG(t)), upload(pngOfColor(t, color.RGBA{B: 255, A: 255}))

	now := time.Now().UTC().Truncate(time.Second)
	acts := &activities.Activities{Store: st}
	post := activities.PostSnapshot{ID: greenlight.NewID("pst_"), ClientID: cl.ID, AuthorID: editor.ID, PublishAt: now.Add(time.Hour),
		Status: greenlight.StatusDraft, Version: 1, Revision: 1, CreatedAt: now, UpdatedAt: now,
		Content: greenlight.Content{Title: "T", Body: "B", Channels: []string{"x"}, MediaURLs: []string{"https://cdn.example/old.jpg"}}}
	v1 := post.Content
	require.NoError(t, acts.RecordPost(ctx, activities.PostRecord{Post: post, NewVersion: &activities.VersionRecord{Version: 1, Content: v1, AuthorID: editor.ID, At: now}}))
	post.Version, post.Revision = 2, 2
	post.Content = greenlight.Content{Title: "T", Body: "B", Channels: []string{"x"}, MediaURLs: []string{}, Media: []greenlight.MediaRef{
		{ID: first.ID, SHA256: first.SHA256, ContentType: "image/png", Alt: "A gradient"},
		{ID: second.ID, SHA256: second.SHA256, ContentType: "image/png"},
	}}
	require.NoError(t, acts.RecordPost(ctx, activities.PostRecord{Post: post, NewVersion: &activities.VersionRecord{Version: 2, Content: post.Content, AuthorID: editor.ID, At: now}}))
	post.Version, post.Revision = 3, 3
	post.Content.Media = []greenlight.MediaRef{post.Content.Media[1], post.Content.Media[0]} // the same files, reordered
	require.NoError(t, acts.RecordPost(ctx, activities.PostRecord{Post: post, NewVersion: &activities.VersionRecord{Version: 3, Content: post.Content, AuthorID: editor.ID, At: now}}))

	status, got := call("GET", "/api/v1/posts/"+post.ID, "")
	require.Equal(t, 200, status, "%v", got)
	versions := got["versions"].([]any)
	require.Len(t, versions, 3)
	v := func(i int) map[string]any { return versions[i].(map[string]any) }
	require.Equal(t, []any{}, v(0)["media"])
	require.Equal(t, []any{"https://cdn.example/old.jpg"}, v(0)["media_urls"], "old versions keep their URLs")
	require.Equal(t, v1.Digest(), v(0)["digest"])
	require.Equal(t, post.Content.Digest(), v(2)["digest"])
	require.Equal(t, v(2)["digest"], got["digest"], "the post's digest is its current version's")
	digests := map[any]bool{v(0)["digest"]: true, v(1)["digest"]: true, v(2)["digest"]: true}
	require.Len(t, digests, 3, "other files, or the same files in another order, are another version")

	media := got["media"].([]any)
	require.Len(t, media, 2)
	m := media[1].(map[string]any)
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	require.Equal(t, []string{"alt", "content_type", "height", "id", "sha256", "thumb_url", "url", "width"}, keys)
	require.Equal(t, first.ID, m["id"])
	require.Equal(t, "image/png", m["content_type"])
	require.Equal(t, first.SHA256, m["sha256"])
	require.Equal(t, "A gradient", m["alt"])
	require.EqualValues(t, 400, m["width"])
	require.EqualValues(t, 300, m["height"])
	require.True(t, strings.HasPrefix(m["url"].(string), "https://greenlight.example/media/"+first.ID+"/file?exp="), m["url"])
	require.True(t, strings.HasPrefix(m["thumb_url"].(string), "https://greenlight.example/media/"+first.ID+"/thumb?exp="), m["thumb_url"])
	require.Equal(t, media, v(2)["media"])

	// The signed URL serves the file, without a login.
	req := httptest.NewRequest("GET", strings.TrimPrefix(m["url"].(string), "https://greenlight.example"), nil)
	resp, err := app.Test(req, -1)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, "image/png", resp.Header.Get("Content-Type"))

	status, list := call("GET", "/api/v1/posts?client_id="+cl.ID, "")
	require.Equal(t, 200, status)
	require.Equal(t, media, list["items"].([]any)[0].(map[string]any)["media"])
	status, again := call("GET", "/api/v1/posts/"+post.ID, "")
	require.Equal(t, 200, status)
	require.Equal(t, got, again, "reading twice answers the same (URLs signed to the hour)")
}

// media_ids and media are two spellings of one field: both at once is a 422; another
// client's media is refused like an unknown one, naming the item.
func TestPostMediaFieldsAPI(t *testing.T) {
	st := testdb.Open(t, testdb.PostgresURL(t))
	ctx := context.Background()
	app := newMediaApp(t, st)
	mk := func(name string) *store.Client {
		c := &store.Client{ID: greenlight.NewID("cli_"), Name: name, ApprovalPolicy: greenlight.PolicyAny, CreatedAt: time.Now().UTC()}
		require.NoError(t, st.CreateClient(ctx, c))
		return c
	}
	cl, other := mk("brand"), mk("Secret Other Brand")
	h := greenlight.HashToken("glk_admin")
	require.NoError(t, st.CreateUser(ctx, &store.User{ID: greenlight.NewID("usr_"), Email: "a@agency.test", Name: "A", Role: string(greenlight.RoleAdmin), APIKeyHash: &h, CreatedAt: time.Now().UTC()}))
	ct, body := multipartBody(t, "file", "photo.png", testPNG(t))
	req := httptest.NewRequest("POST", "/api/v1/clients/"+other.ID+"/media", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer glk_admin")
	req.Header.Set("Content-Type", ct)
	resp, err := app.Test(req, -1)
	require.NoError(t, err)
	var theirs mediaResp
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&theirs))
	resp.Body.Close()
	require.Equal(t, 201, resp.StatusCode)

	base := `{"client_id":"` + cl.ID + `","title":"T","body":"B","channels":["x"],"publish_at":"` + time.Now().Add(48*time.Hour).UTC().Format(time.RFC3339) + `"`
	for _, tc := range []struct {
		name, extra string
		status      int
		want        string
	}{
		{"both fields", `,"media_ids":["` + theirs.ID + `"],"media":[{"id":"` + theirs.ID + `"}]`, 422, "media_ids, media: give one of them"},
		{"other client's id", `,"media_ids":["` + theirs.ID + `"]`, 422, "media_ids[0]: no media " + theirs.ID + " in this client's library"},
		{"other client's id with alt", `,"media":[{"id":"` + theirs.ID + `","alt":"x"}]`, 422, "media[0]: no media " + theirs.ID + " in this client's library"},
		{"unknown field in media", `,"media":[{"id":"` + theirs.ID + `","caption":"x"}]`, 400, "unknown field"},
		{"media_ids not a list", `,"media_ids":"` + theirs.ID + `"`, 422, "media_ids: must be"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/api/v1/posts", strings.NewReader(base+tc.extra+"}"))
			req.Header.Set("Authorization", "Bearer glk_admin")
			req.Header.Set("Content-Type", "application/json")
			resp, err := app.Test(req, -1)
			require.NoError(t, err)
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			require.Equal(t, tc.status, resp.StatusCode, "%s", b)
			require.Contains(t, string(b), tc.want)
			require.NotContains(t, string(b), "Secret Other Brand")
			require.NotContains(t, string(b), other.ID)
		})
	}
}

func pngOfColor(t *testing.T, c color.RGBA) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for y := range 32 {
		for x := range 32 {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}
