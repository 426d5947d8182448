package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/api"
	"github.com/greenlight/greenlight/internal/mastodontest"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/media"
	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/playbooks"
	"github.com/greenlight/greenlight/secrets"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

// publishFixture is a client, staff with sessions and an app with a media library and a
// secret box, for the publishing pages.
type publishFixture struct {
	t      *testing.T
	st     *store.Store
	svc    *service.Service
	app    *fiber.App
	client *store.Client
}

func newPublishFixture(t *testing.T, st *store.Store) *publishFixture {
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelError}))
	lib, err := media.New(t.TempDir(), testMediaMax, bytes.Repeat([]byte("s"), 32))
	require.NoError(t, err)
	box, err := secrets.Parse(secrets.NewKey(), "")
	require.NoError(t, err)
	catalog, err := playbooks.Load("")
	require.NoError(t, err)
	policy, err := outbound.ParsePolicy("127.0.0.1") // the Mastodon contract fake
	require.NoError(t, err)
	svc := &service.Service{Store: st, Log: log, Library: lib, Secrets: box, Catalog: catalog, Outbound: policy,
		HTTP: outbound.NewClient(policy, outbound.Options{}), PublicURL: "http://greenlight.test"}
	app := api.New(api.Config{Service: svc, Store: st, Log: log, ApproveRateLimit: 30})
	cl := &store.Client{ID: greenlight.NewID("cli_"), Name: "Fromagerie Lumen", ApprovalPolicy: "any", CreatedAt: time.Now().UTC(),
		Approvers: []store.Approver{{ID: greenlight.NewID("apr_"), Name: "Claire", Email: "claire@brand.test"}}}
	require.NoError(t, st.CreateClient(context.Background(), cl))
	return &publishFixture{t: t, st: st, svc: svc, app: app, client: cl}
}

// signIn makes a staff user with an open session and returns a browser holding its cookie
// and the session's CSRF token.
func (f *publishFixture) signIn(name, role string) (*browser, *store.User, string) {
	ctx := context.Background()
	u := &store.User{ID: greenlight.NewID("usr_"), Email: name + "@agency.test", Name: name, Role: role, CreatedAt: time.Now().UTC()}
	require.NoError(f.t, f.st.CreateUser(ctx, u))
	token, hash := greenlight.NewToken("gls_")
	csrf := "csrf-" + name
	require.NoError(f.t, f.st.CreateSession(ctx, &store.Session{TokenHash: hash, UserID: u.ID, CSRF: csrf, CreatedAt: time.Now().UTC(), ExpiresAt: time.Now().Add(time.Hour)}))
	b := &browser{t: f.t, app: f.app, cookies: map[string]*http.Cookie{"gl_session": {Name: "gl_session", Value: token}}}
	return b, u, csrf
}

func (f *publishFixture) account(handle, status, lastError, by string) *store.Account {
	now := time.Now().UTC()
	a := &store.Account{ID: greenlight.NewID("acc_"), ClientID: f.client.ID, Network: "bluesky", Handle: handle, ServiceURL: "https://pds.brand.test",
		Status: status, LastError: lastError, CreatedBy: by, CreatedAt: now, UpdatedAt: now, Credentials: "sealed"}
	require.NoError(f.t, f.st.CreateAccount(context.Background(), a))
	return a
}

// post records a post (as its workflow would) whose version 1 carries refs.
func (f *publishFixture) post(status string, refs []greenlight.MediaRef, channels ...string) *store.Post {
	now := time.Now().UTC()
	p := store.Post{ID: greenlight.NewID("pst_"), ClientID: f.client.ID, AuthorID: "usr_author", Title: "Raclette season",
		Body: "La saison de la raclette commence", Channels: channels, MediaURLs: store.StringList{}, Media: refs,
		PublishAt: now.Add(-time.Minute), Status: status, Version: 1, Revision: 1, CreatedAt: now, UpdatedAt: now}
	require.NoError(f.t, f.st.RecordPost(context.Background(), store.PostRecord{Post: p, NewVersion: &store.PostVersion{
		PostID: p.ID, Version: 1, Title: p.Title, Body: p.Body, Channels: p.Channels, MediaURLs: store.StringList{}, Media: refs, AuthorID: p.AuthorID, CreatedAt: now,
	}}))
	return &p
}

func (f *publishFixture) upload(u *store.User, name string, data []byte) *store.Media {
	m, _, err := f.svc.UploadMedia(context.Background(), u, f.client.ID, func() (string, io.ReadCloser, error) {
		return name, io.NopCloser(bytes.NewReader(data)), nil
	})
	require.NoError(f.t, err)
	return m
}

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

// The accounts page lists a client's accounts with their state (and why one needs
// reconnecting), fills the Bluesky form for a reconnection, shows a refused connection next
// to the form (422, what was typed kept, never the password) and removes an account only
// with the session's CSRF token. A reviewer sees the list but no forms, and may not remove.
func TestAccountsPage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := newPublishFixture(t, st)
		ed, editor, csrf := f.signIn("eddie", "editor")
		ok := f.account("brand.bsky.social", store.AccountActive, "", editor.ID)
		broken := f.account("old.bsky.social", store.AccountNeedsReconnect, "session expired: log in again", editor.ID)
		path := "/clients/" + f.client.ID + "/accounts"

		resp, page := ed.do("GET", "/admin/clients/"+f.client.ID, nil)
		require.Equal(t, 200, resp.StatusCode, page)
		require.Contains(t, page, `href="`+path+`"`, "the client page links to its accounts")

		resp, page = ed.do("GET", path, nil)
		require.Equal(t, 200, resp.StatusCode)
		require.Regexp(t, `data-account="`+ok.ID+`" data-status="active"[\s\S]*@brand.bsky.social[\s\S]*Active`, page)
		require.Regexp(t, `data-account="`+broken.ID+`" data-status="needs_reconnect"[\s\S]*Needs reconnecting[\s\S]*session expired: log in again`, page)
		require.Contains(t, page, "connected by eddie")
		require.Contains(t, page, "?reconnect="+broken.ID)
		require.NotContains(t, page, "?reconnect="+ok.ID, "an active account needs no reconnection")
		require.Contains(t, page, "App passwords", "the form explains app passwords")
		require.Contains(t, page, `value="https://bsky.social"`)

		_, page = ed.do("GET", path+"?reconnect="+broken.ID, nil)
		require.Contains(t, page, `name="reconnect" value="`+broken.ID+`"`)
		require.Contains(t, page, `id="bsky-handle" name="handle" required autocomplete="off" placeholder="brand.bsky.social" value="old.bsky.social"`)
		require.Contains(t, page, `value="https://pds.brand.test"`)

		// A refused connection: 422, the message next to the form, the handle kept.
		resp, page = ed.do("POST", path+"/bluesky", url.Values{"_csrf": {csrf}, "service_url": {"ftp://pds.brand.test"},
			"handle": {"new.bsky.social"}, "app_password": {"abcd-efgh-ijkl-mnop"}})
		require.Equal(t, 422, resp.StatusCode)
		require.Regexp(t, `id="bsky-error">service_url: must be an https URL</p>`, page)
		require.Contains(t, page, `value="new.bsky.social"`)
		require.NotContains(t, page, "abcd-efgh-ijkl-mnop", "the password is never sent back")
		resp, page = ed.do("POST", path+"/bluesky", url.Values{"_csrf": {csrf}, "service_url": {"https://pds.brand.test"}, "handle": {"new.bsky.social"}})
		require.Equal(t, 422, resp.StatusCode)
		require.Contains(t, page, `id="bsky-error">service_url: host pds.brand.test could not be resolved`, ".test never resolves")
		resp, _ = ed.do("POST", path+"/bluesky", url.Values{"handle": {"x"}, "app_password": {"y"}})
		require.Equal(t, 403, resp.StatusCode, "no CSRF token")

		// The Mastodon form answers next to it too, or sends the browser to the instance to
		// authorize Greenlight; the account waits, pending, meanwhile.
		resp, page = ed.do("POST", path+"/mastodon", url.Values{"_csrf": {csrf}, "instance_url": {"https://masto.brand.test"}})
		require.Equal(t, 422, resp.StatusCode)
		require.Contains(t, page, `id="masto-error">instance_url: host masto.brand.test could not be resolved`)
		require.Contains(t, page, `value="https://masto.brand.test"`)
		fake := mastodontest.Start(t, mastodontest.Options{})
		resp, _ = ed.do("POST", path+"/mastodon", url.Values{"_csrf": {csrf}, "instance_url": {fake.URL}})
		require.Equal(t, 303, resp.StatusCode)
		authorize, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		require.Equal(t, fake.URL+"/oauth/authorize", authorize.Scheme+"://"+authorize.Host+authorize.Path)
		require.Equal(t, "S256", authorize.Query().Get("code_challenge_method"))
		_, page = ed.do("GET", path, nil)
		require.Regexp(t, `data-status="pending">[\s\S]*?Pending authorization`, page)
		// The owner authorizes at the instance; the callback brings the browser back here.
		ob := oauthBrowser()
		resp, authPage := get(t, ob, authorize.String())
		require.Equal(t, 200, resp.StatusCode, authPage)
		fields := formFields(authPage)
		fields.Set("decision", "approve")
		resp, err = ob.PostForm(fake.URL+"/oauth/authorize", fields)
		require.NoError(t, err)
		resp.Body.Close()
		back, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		resp, _ = ed.do("GET", back.RequestURI(), nil)
		require.Equal(t, 303, resp.StatusCode)
		require.Contains(t, resp.Header.Get("Location"), path+"?connected=acc_")
		_, page = ed.do("GET", resp.Header.Get("Location"), nil)
		require.Regexp(t, `id="connected">Account connected. mastodon @`, page)
		require.NotContains(t, page, `data-status="pending"`)

		// Removal needs the CSRF token.
		resp, _ = ed.do("POST", path+"/remove", url.Values{"account_id": {broken.ID}})
		require.Equal(t, 403, resp.StatusCode)
		resp, _ = ed.do("POST", path+"/remove", url.Values{"account_id": {broken.ID}, "_csrf": {"forged"}})
		require.Equal(t, 403, resp.StatusCode)
		as, err := st.ListAccounts(context.Background(), f.client.ID)
		require.NoError(t, err)
		require.Len(t, as, 3)

		rev, _, revCSRF := f.signIn("rita", "reviewer")
		_, page = rev.do("GET", path, nil)
		require.Contains(t, page, "@old.bsky.social")
		require.NotContains(t, page, `id="bsky-form"`)
		require.NotContains(t, page, `data-remove=`)
		resp, _ = rev.do("POST", path+"/remove", url.Values{"account_id": {broken.ID}, "_csrf": {revCSRF}})
		require.Equal(t, 403, resp.StatusCode, "reviewers may not remove accounts")

		resp, _ = ed.do("POST", path+"/remove", url.Values{"account_id": {broken.ID}, "_csrf": {csrf}})
		require.Equal(t, 303, resp.StatusCode)
		require.Equal(t, path, resp.Header.Get("Location"))
		_, page = ed.do("GET", path, nil)
		require.Contains(t, page, "Account removed.")
		require.NotContains(t, page, "@old.bsky.social")
		as, err = st.ListAccounts(context.Background(), f.client.ID)
		require.NoError(t, err)
		require.Len(t, as, 2)

		// French.
		ed.cookies["lang"] = &http.Cookie{Name: "lang", Value: "fr"}
		_, page = ed.do("GET", path, nil)
		require.Contains(t, page, "Comptes connectés")
		require.Contains(t, page, "mot de passe d&#39;application")
	})
}

// The board and the post page warn about an account needing reconnection and never hide a
// failed channel; the post page shows each channel's state with a link to the live post.
func TestChannelStatusOnBoardAndPostPage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := newPublishFixture(t, st)
		ed, editor, _ := f.signIn("eddie", "editor")
		broken := f.account("old.bsky.social", store.AccountNeedsReconnect, "expired", editor.ID)
		p := f.post(string(greenlight.StatusFailed), nil, "bluesky", "x")
		quiet := f.post(string(greenlight.StatusDraft), nil, "bluesky")
		ctx := context.Background()
		now := time.Now().UTC()
		require.NoError(t, st.SavePostChannel(ctx, &store.PostChannel{PostID: p.ID, Version: 1, Channel: "bluesky", AccountID: broken.ID,
			Status: store.ChannelFailed, Error: "the account needs reconnecting", UpdatedAt: now}))
		require.NoError(t, st.SavePostChannel(ctx, &store.PostChannel{PostID: p.ID, Version: 1, Channel: "x", Status: store.ChannelPublished,
			RemoteID: "42", URL: "https://x.example/brand/42", UpdatedAt: now}))

		_, page := ed.do("GET", "/board", nil)
		require.Regexp(t, `data-post="`+p.ID+`"[\s\S]*?data-failed="bluesky">bluesky failed<`, page)
		card := regexp.MustCompile(`data-post="` + quiet.ID + `">[\s\S]*?</article>`).FindString(page)
		require.NotEmpty(t, card)
		require.NotContains(t, card, "data-failed", "a draft has no failed channel")
		require.Contains(t, page, `data-reconnect="`+broken.ID+`"`)
		require.Contains(t, page, "@old.bsky.social needs reconnecting")

		_, page = ed.do("GET", "/posts/"+p.ID, nil)
		require.Regexp(t, `data-channel="bluesky" data-status="failed"[\s\S]*?Failed[\s\S]*?the account needs reconnecting`, page)
		require.Regexp(t, `data-channel="x" data-status="published"[\s\S]*?href="https://x.example/brand/42"`, page)
		require.Contains(t, page, `data-reconnect="`+broken.ID+`"`)

		_, page = ed.do("GET", "/posts/"+quiet.ID, nil)
		require.Contains(t, page, "Not published yet.")
	})
}

var mediaIDRE = regexp.MustCompile(`name="media_id" value="(med_[^"]+)"`)

// The editor uploads through a page route (session cookie and CSRF token, not an API key)
// and shows a post's media in order with their alt text, each with a thumbnail; the
// per-network preview counts the media against Bluesky's four.
func TestEditorMedia(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := newPublishFixture(t, st)
		ed, editor, csrf := f.signIn("eddie", "editor")
		upload := func(csrf string, data []byte) (int, map[string]any) {
			var body bytes.Buffer
			w := multipart.NewWriter(&body)
			if csrf != "" {
				require.NoError(t, w.WriteField("_csrf", csrf))
			}
			part, err := w.CreateFormFile("file", "photo.png")
			require.NoError(t, err)
			_, err = part.Write(data)
			require.NoError(t, err)
			require.NoError(t, w.Close())
			req := httptest.NewRequest("POST", "/clients/"+f.client.ID+"/media", &body)
			req.Header.Set("Content-Type", w.FormDataContentType())
			req.Header.Set("Accept", "application/json")
			for _, c := range ed.cookies {
				req.AddCookie(c)
			}
			resp, err := f.app.Test(req, -1)
			require.NoError(t, err)
			var out map[string]any
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
			return resp.StatusCode, out
		}
		status, out := upload("", pngOf(t, color.RGBA{200, 0, 0, 255}))
		require.Equal(t, 403, status, "an upload needs the session's CSRF token")
		status, out = upload("forged", pngOf(t, color.RGBA{200, 0, 0, 255}))
		require.Equal(t, 403, status)
		status, out = upload(csrf, []byte("%PDF-1.4 not an image"))
		require.Equal(t, 422, status)
		require.Contains(t, out["error"].(map[string]any)["message"], "not an image or video")
		status, out = upload(csrf, pngOf(t, color.RGBA{200, 0, 0, 255}))
		require.Equal(t, 201, status)
		red := out["id"].(string)
		require.Regexp(t, `^/media/`+red+`/thumb\?`, out["thumbnail_url"])
		status, out = upload(csrf, pngOf(t, color.RGBA{0, 0, 200, 255}))
		require.Equal(t, 201, status)
		blue := out["id"].(string)

		refs := []greenlight.MediaRef{{ID: blue, ContentType: "image/png", Alt: "Blue cheese"}, {ID: red, ContentType: "image/png", Alt: "Red wax"}}
		for range 3 {
			refs = append(refs, greenlight.MediaRef{ID: red, ContentType: "image/png"})
		}
		p := f.post(string(greenlight.StatusDraft), refs[:2], "bluesky", "instagram")
		resp, page := ed.do("GET", "/posts/"+p.ID, nil)
		require.Equal(t, 200, resp.StatusCode)
		var ids []string
		for _, m := range mediaIDRE.FindAllStringSubmatch(page, -1) {
			ids = append(ids, m[1])
		}
		require.Equal(t, []string{blue, red}, ids, "the editor lists the media in the version's order")
		require.Contains(t, page, `name="media_alt_`+blue+`" value="Blue cheese"`)
		require.Contains(t, page, `name="media_alt_`+red+`" value="Red wax"`)
		require.Contains(t, page, `name="media_form" value="1"`)
		require.Contains(t, page, `id="media-file" type="file" multiple`)
		require.Contains(t, page, `data-client="`+f.client.ID+`"`)
		require.Regexp(t, `<img src="/media/`+blue+`/thumb\?[^"]+" alt="" class="thumb">`, page)
		require.Regexp(t, `class="mcount" data-media-limit="4">2 / 4<`, page)
		require.Regexp(t, `<img src="/media/`+blue+`/thumb\?[^"]+" alt="Blue cheese"`, page, "the preview shows the media with their alt text")
		thumb := regexp.MustCompile(`/media/` + blue + `/thumb\?[^"]+`).FindString(page)
		resp, _ = ed.do("GET", strings.ReplaceAll(thumb, "&amp;", "&"), nil)
		require.Equal(t, 200, resp.StatusCode, "the signed thumbnail URL serves")

		over := f.post(string(greenlight.StatusDraft), refs, "bluesky")
		_, page = ed.do("GET", "/posts/"+over.ID, nil)
		require.Regexp(t, `class="mcount over" data-media-limit="4">5 / 4</span> — too many media`, page)

		// A refused new post shows the uploaded media again, in order, with their alt text.
		resp, page = ed.do("POST", "/posts", url.Values{"_csrf": {csrf}, "client_id": {f.client.ID}, "has_content": {"1"}, "title": {""},
			"body": {"x"}, "channels": {"instagram"}, "publish_at": {"2030-01-02T10:00"}, "media_form": {"1"},
			"media_id": {red, blue}, "media_alt_" + blue: {"Bleu"}})
		require.Equal(t, 422, resp.StatusCode)
		ids = nil
		for _, m := range mediaIDRE.FindAllStringSubmatch(page, -1) {
			ids = append(ids, m[1])
		}
		require.Equal(t, []string{red, blue}, ids)
		require.Contains(t, page, `name="media_alt_`+blue+`" value="Bleu"`)

		_, page = ed.do("GET", "/posts/new?client="+f.client.ID, nil)
		require.Contains(t, page, `id="media-editor" data-client=""`, "the new post page takes the client from its select")
		require.NotContains(t, page, `name="media_id" value=`)
		_ = editor
	})
}

// The client's approval page shows the version's images with their alt text and a
// playable video, through signed URLs that serve the files.
func TestApprovalPageShowsMedia(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := newPublishFixture(t, st)
		_, editor, _ := f.signIn("eddie", "editor")
		img := f.upload(editor, "cheese.png", pngOf(t, color.RGBA{10, 120, 10, 255}))
		vid := f.upload(editor, "clip.mp4", testMP4())
		require.Equal(t, "video/mp4", vid.ContentType)
		p := f.post(string(greenlight.StatusAwaitingClient), []greenlight.MediaRef{
			{ID: img.ID, SHA256: img.SHA256, ContentType: img.ContentType, Alt: "A wheel of raclette"},
			{ID: vid.ID, SHA256: vid.SHA256, ContentType: vid.ContentType},
		}, "bluesky")
		token, hash := greenlight.NewToken("gla_")
		require.NoError(t, st.SaveLink(context.Background(), &store.Link{ID: greenlight.NewID("lnk_"), TokenHash: hash, EffectKey: "test/" + p.ID,
			SubjectKind: "post", SubjectID: p.ID, Version: 1, ApproverID: f.client.Approvers[0].ID, ApproverName: "Claire",
			ApproverEmail: "claire@brand.test", ExpiresAt: time.Now().Add(time.Hour), CreatedAt: time.Now().UTC()}))
		anon := &browser{t: t, app: f.app, cookies: map[string]*http.Cookie{}}
		resp, page := anon.do("GET", "/approve/"+token, nil)
		require.Equal(t, 200, resp.StatusCode)
		imgTag := regexp.MustCompile(`<img src="(/media/` + img.ID + `/file\?[^"]+)" alt="A wheel of raclette"`).FindStringSubmatch(page)
		require.NotNil(t, imgTag, "the image, with its alt text: %s", page)
		vidTag := regexp.MustCompile(`<video src="(/media/` + vid.ID + `/file\?[^"]+)" controls`).FindStringSubmatch(page)
		require.NotNil(t, vidTag, "a playable video")
		for _, u := range []string{imgTag[1], vidTag[1]} {
			resp, _ = anon.do("GET", strings.ReplaceAll(u, "&amp;", "&"), nil)
			require.Equal(t, 200, resp.StatusCode, u)
		}

		// The staff post page too: thumbnails and a player.
		ed, _, _ := f.signIn("rita", "reviewer")
		_, page = ed.do("GET", "/posts/"+p.ID, nil)
		require.Regexp(t, `class="pmedia"><img src="/media/`+img.ID+`/thumb\?[^"]+" alt="A wheel of raclette"`, page)
		require.Regexp(t, `<video src="/media/`+vid.ID+`/file\?[^"]+" controls`, page)
	})
}

// testMP4 is a small structurally valid MP4 (ftyp, moov with mvhd and a track, mdat).
func testMP4() []byte {
	box := func(typ string, parts ...[]byte) []byte {
		body := bytes.Join(parts, nil)
		b := make([]byte, 8, 8+len(body))
		b[0], b[1], b[2], b[3] = byte((8+len(body))>>24), byte((8+len(body))>>16), byte((8+len(body))>>8), byte(8+len(body))
		copy(b[4:], typ)
		return append(b, body...)
	}
	be := func(b []byte, at int, v uint32) {
		b[at], b[at+1], b[at+2], b[at+3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	}
	mvhd := make([]byte, 100)
	be(mvhd, 12, 1000)
	be(mvhd, 16, 5000)
	tkhd := make([]byte, 84)
	be(tkhd, 76, 640<<16)
	be(tkhd, 80, 360<<16)
	ftyp := box("ftyp", []byte("isom"), []byte{0, 0, 2, 0}, []byte("isommp41"))
	moov := box("moov", box("mvhd", mvhd), box("trak", box("tkhd", tkhd)))
	return bytes.Join([][]byte{ftyp, moov, box("mdat", make([]byte, 64))}, nil)
}

// testWriter sends logs to the test's output (only shown on failure).
type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}
