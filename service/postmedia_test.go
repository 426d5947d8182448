package service_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/media"
	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/secrets"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
	"github.com/greenlight/greenlight/workflows"
)

// pngOf is a small valid PNG of one colour (distinct colours, distinct files).
func pngOf(t testing.TB, c color.RGBA, size int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for x := range size {
		for y := range size {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

// mediaFixture is a service with a media library on a real PostgreSQL database, clients
// A and B (setupPeople), and a loopback file server the outbound policy allows.
type mediaFixture struct {
	t      *testing.T
	st     *store.Store
	svc    *service.Service
	p      people
	lib    *media.Library
	server *httptest.Server
	red    []byte // served at /red.png
	big    []byte // served at /big.png and /big-chunked.png, over the library's limit
}

const fixtureMaxBytes = 64 << 10

func newMediaFixture(t *testing.T) *mediaFixture {
	st := testdb.Open(t, testdb.PostgresURL(t))
	f := &mediaFixture{t: t, st: st, p: setupPeople(t, st)}
	var err error
	f.lib, err = media.New(t.TempDir(), fixtureMaxBytes, bytes.Repeat([]byte("k"), 32))
	require.NoError(t, err)
	f.red = pngOf(t, color.RGBA{R: 255, A: 255}, 16)
	f.big = make([]byte, fixtureMaxBytes+10)
	copy(f.big, f.red)
	mux := http.NewServeMux()
	mux.HandleFunc("/red.png", func(w http.ResponseWriter, r *http.Request) { w.Write(f.red) })
	mux.HandleFunc("/blue.png", func(w http.ResponseWriter, r *http.Request) {
		w.Write(pngOf(t, color.RGBA{B: 255, A: 255}, 16))
	})
	mux.HandleFunc("/missing.png", http.NotFound)
	mux.HandleFunc("/page.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png") // the type is sniffed, never trusted
		fmt.Fprint(w, "<!doctype html><p>not an image</p>")
	})
	mux.HandleFunc("/big.png", func(w http.ResponseWriter, r *http.Request) { w.Write(f.big) })
	mux.HandleFunc("/big-chunked.png", func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < len(f.big); i += 4096 { // no Content-Length: the limit is on the reader
			w.Write(f.big[i:min(i+4096, len(f.big))])
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/announced-big.png", func(w http.ResponseWriter, r *http.Request) {
		// Announces a file over the limit, then sends nothing: refused on the announcement,
		// without waiting for bytes.
		w.Header().Set("Content-Length", fmt.Sprint(fixtureMaxBytes+1))
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	mux.HandleFunc("/slow.png", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	mux.HandleFunc("/elsewhere.png", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://localhost.example.test/red.png", http.StatusTemporaryRedirect)
	})
	f.server = httptest.NewServer(mux)
	t.Cleanup(f.server.Close)
	allow, err := outbound.ParsePolicy("127.0.0.1")
	require.NoError(t, err)
	f.svc = &service.Service{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Library: f.lib,
		Outbound: allow, HTTP: outbound.NewClient(allow, outbound.Options{}), MediaFetchTimeout: 2 * time.Second}
	return f
}

func (f *mediaFixture) url(path string) string { return f.server.URL + path }

// upload puts a file in a client's library.
func (f *mediaFixture) upload(clientID string, b []byte) *store.Media {
	f.t.Helper()
	m, _, err := f.svc.UploadMedia(context.Background(), f.p.root, clientID, func() (string, io.ReadCloser, error) {
		return "photo.png", io.NopCloser(bytes.NewReader(b)), nil
	})
	require.NoError(f.t, err)
	return m
}

// draft records a draft post of client A directly in the store (as its workflow would).
func (f *mediaFixture) draft(clientID string, channels ...string) *store.Post {
	f.t.Helper()
	now := time.Now().UTC()
	p := store.Post{ID: greenlight.NewID("pst_"), ClientID: clientID, AuthorID: f.p.userA.ID, Title: "Winter menu", Body: "Our winter menu is here",
		Channels: channels, MediaURLs: store.StringList{}, PublishAt: now.Add(24 * time.Hour), Status: string(greenlight.StatusDraft),
		Version: 1, Revision: 1, CreatedAt: now, UpdatedAt: now}
	require.NoError(f.t, f.st.RecordPost(context.Background(), store.PostRecord{Post: p, NewVersion: &store.PostVersion{
		PostID: p.ID, Version: 1, Title: p.Title, Body: p.Body, Channels: p.Channels, MediaURLs: p.MediaURLs, AuthorID: p.AuthorID, CreatedAt: now}}))
	return &p
}

func newPost(clientID string, f service.PostFields) service.NewPost {
	title, body, at := "Winter menu", "Our winter menu is here", time.Now().Add(48*time.Hour)
	channels := []string{"instagram"}
	if f.Title == nil {
		f.Title = &title
	}
	if f.Body == nil {
		f.Body = &body
	}
	if f.Channels == nil {
		f.Channels = &channels
	}
	f.PublishAt = &at
	return service.NewPost{ClientID: clientID, PostFields: f}
}

func ids(list ...string) *[]service.MediaInput {
	out := []service.MediaInput{}
	for _, id := range list {
		out = append(out, service.MediaInput{ID: id})
	}
	return &out
}

// Every bad media input is a 422 naming the field and the problem, before any workflow
// is started (the service has no Temporal client: reaching it would panic). Another
// client's media answers exactly like an unknown id.
func TestPostMediaRefusals(t *testing.T) {
	f := newMediaFixture(t)
	ctx := context.Background()
	mine := f.upload(f.p.a, f.red)
	theirs := f.upload(f.p.b, pngOf(t, color.RGBA{G: 255, A: 255}, 16))
	unknown := greenlight.NewID("med_")
	eleven := []string{}
	for range 11 {
		eleven = append(eleven, greenlight.NewID("med_"))
	}
	nine := []string{}
	for range 9 {
		nine = append(nine, greenlight.NewID("med_"))
	}
	urls := func(paths ...string) *[]string {
		out := []string{}
		for _, p := range paths {
			if strings.HasPrefix(p, "/") {
				p = f.url(p)
			}
			out = append(out, p)
		}
		return &out
	}
	draft := f.draft(f.p.a, "instagram")
	noLoopback := &service.Service{Store: f.st, Log: f.svc.Log, Library: f.lib}
	for _, tc := range []struct {
		name   string
		svc    *service.Service
		edit   bool // PATCH the draft instead of creating
		fields service.PostFields
		want   string
	}{
		{name: "unknown id", fields: service.PostFields{Media: ids(unknown)},
			want: "media_ids[0]: no media " + unknown + " in this client's library"},
		{name: "another client's id", fields: service.PostFields{Media: ids(theirs.ID)},
			want: "media_ids[0]: no media " + theirs.ID + " in this client's library"},
		{name: "another client's id second", fields: service.PostFields{Media: ids(mine.ID, theirs.ID)},
			want: "media_ids[1]: no media " + theirs.ID + " in this client's library"},
		{name: "another client's id on edit", edit: true, fields: service.PostFields{Media: ids(theirs.ID)},
			want: "media_ids[0]: no media " + theirs.ID + " in this client's library"},
		{name: "named after the media field", fields: service.PostFields{Media: ids(unknown), MediaField: "media"},
			want: "media[0]: no media " + unknown + " in this client's library"},
		{name: "not an id", fields: service.PostFields{Media: ids("photo.png")}, want: "media_ids[0]: not a media id (med_…)"},
		{name: "11 items", fields: service.PostFields{Media: ids(eleven...)}, want: "media_ids: at most 10 files"},
		{name: "twice the same", fields: service.PostFields{Media: ids(mine.ID, mine.ID)},
			want: "media_ids[1]: " + mine.ID + " is already in the list"},
		{name: "alt too long", fields: service.PostFields{MediaField: "media",
			Media: &[]service.MediaInput{{ID: mine.ID, Alt: strings.Repeat("é", 1501)}}}, want: "media[0].alt: at most 1500 characters"},
		{name: "ids and urls over 10", fields: service.PostFields{Media: ids(nine...), MediaURLs: urls("/red.png", "/red.png")},
			want: "media_urls: a post has at most 10 files (9 given in media_ids)"},
		{name: "11 urls", fields: service.PostFields{MediaURLs: urls(strings.Split(strings.Repeat("/red.png ", 11), " ")[:11]...)},
			want: "media_urls: at most 10"},
		{name: "not http", fields: service.PostFields{MediaURLs: urls("file:///etc/passwd")},
			want: `media_urls[0]: "file:///etc/passwd" is not an http(s) URL`},
		{name: "refused destination", svc: noLoopback, fields: service.PostFields{MediaURLs: urls("/red.png")},
			want: "media_urls[0]: outbound request refused: 127.0.0.1 is an internal address"},
		{name: "redirect to another host", fields: service.PostFields{MediaURLs: urls("/elsewhere.png")},
			want: "media_urls[0]: outbound request refused: redirect to another host (localhost.example.test)"},
		{name: "http status", fields: service.PostFields{MediaURLs: urls("/red.png", "/missing.png")},
			want: "media_urls[1]: the server answered 404 Not Found"},
		{name: "too large", fields: service.PostFields{MediaURLs: urls("/big.png")}, want: "media_urls[0]: larger than"},
		{name: "too large announced", fields: service.PostFields{MediaURLs: urls("/announced-big.png")}, want: "media_urls[0]: larger than 0.1 MB"},
		{name: "too large without length", fields: service.PostFields{MediaURLs: urls("/big-chunked.png")}, want: "media_urls[0]: larger than"},
		{name: "not an image or video", fields: service.PostFields{MediaURLs: urls("/page.html")},
			want: "media_urls[0]: not an image or video we accept (JPEG, PNG, WebP, GIF, MP4)"},
		{name: "on edit too", edit: true, fields: service.PostFields{MediaURLs: urls("/page.html")},
			want: "media_urls[0]: not an image or video we accept"},
		{name: "timeout", svc: &service.Service{Store: f.st, Log: f.svc.Log, Library: f.lib, Outbound: f.svc.Outbound,
			HTTP: f.svc.HTTP, MediaFetchTimeout: 200 * time.Millisecond},
			fields: service.PostFields{MediaURLs: urls("/slow.png")}, want: "media_urls[0]: could not download it: timed out"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := f.svc
			if tc.svc != nil {
				svc = tc.svc
			}
			var err error
			if tc.edit {
				_, err = svc.EditPost(ctx, f.p.userA, draft.ID, 0, tc.fields)
			} else {
				_, err = svc.CreatePost(ctx, f.p.userA, newPost(f.p.a, tc.fields))
			}
			require.Equal(t, greenlight.EINVALID, greenlight.ErrorCode(err), "%v", err)
			require.Contains(t, greenlight.ErrorMessage(err), tc.want)
			require.NotContains(t, greenlight.ErrorMessage(err), f.p.b, "never names the other client")
		})
	}
}

// fakeTemporal answers the post workflow's create and edit updates: the create records
// version 1 as the workflow would, the edit keeps its request for the test to read.
type fakeTemporal struct {
	*mocks.Client
	input workflows.PostInput
	edits []workflows.EditRequest
	names []string
}

func newFakeTemporal(t *testing.T, st *store.Store) *fakeTemporal {
	ft := &fakeTemporal{Client: &mocks.Client{}}
	handle := &mocks.WorkflowUpdateHandle{}
	handle.On("Get", mock.Anything, mock.Anything).Return(nil)
	ft.On("NewWithStartWorkflowOperation", mock.Anything, mock.Anything, mock.Anything).Return(nil).Run(func(args mock.Arguments) {
		ft.input = args.Get(2).(workflows.PostInput)
	})
	ft.On("UpdateWithStartWorkflow", mock.Anything, mock.Anything).Return(handle, nil).Run(func(mock.Arguments) {
		in, now := ft.input, time.Now().UTC()
		acts := &activities.Activities{Store: st}
		require.NoError(t, acts.RecordPost(context.Background(), activities.PostRecord{
			Post: activities.PostSnapshot{ID: in.PostID, ClientID: in.ClientID, AuthorID: in.Author.ID, Content: in.Content,
				PublishAt: in.PublishAt, Status: greenlight.StatusDraft, Version: 1, Revision: 1, CreatedAt: now, UpdatedAt: now},
			NewVersion: &activities.VersionRecord{Version: 1, Content: in.Content, AuthorID: in.Author.ID, At: now},
		}))
	})
	ft.On("UpdateWorkflow", mock.Anything, mock.Anything).Return(handle, nil).Run(func(args mock.Arguments) {
		o := args.Get(1).(client.UpdateWorkflowOptions)
		ft.names = append(ft.names, o.UpdateName)
		if r, ok := o.Args[0].(workflows.EditRequest); ok {
			ft.edits = append(ft.edits, r)
		}
	})
	return ft
}

// A post takes library items with alt texts and media_urls, downloaded into the client's
// library and appended in order; the version carries files (digests), not URLs.
func TestCreatePostWithMedia(t *testing.T) {
	f := newMediaFixture(t)
	ctx := context.Background()
	ft := newFakeTemporal(t, f.st)
	f.svc.Temporal = ft
	mine := f.upload(f.p.a, f.red)
	d, err := f.svc.CreatePost(ctx, f.p.userA, newPost(f.p.a, service.PostFields{
		Media: &[]service.MediaInput{{ID: mine.ID, Alt: "  A red square  "}}, MediaField: "media",
		MediaURLs: &[]string{f.url("/blue.png"), f.url("/red.png")},
	}))
	require.NoError(t, err)
	got := ft.input.Content
	require.Empty(t, got.MediaURLs, "new versions carry files, not URLs")
	require.Len(t, got.Media, 3)
	require.Equal(t, greenlight.MediaRef{ID: mine.ID, SHA256: mine.SHA256, ContentType: "image/png", Alt: "A red square"}, got.Media[0])
	blue, err := f.st.Media(ctx, got.Media[1].ID)
	require.NoError(t, err)
	require.Equal(t, f.p.a, blue.ClientID, "downloaded into the post's client's library")
	require.Equal(t, "blue.png", blue.Filename)
	require.Equal(t, 16, blue.Width)
	require.Equal(t, greenlight.MediaRef{ID: blue.ID, SHA256: blue.SHA256, ContentType: "image/png"}, got.Media[1])
	file, err := f.lib.Open(blue.SHA256)
	require.NoError(t, err)
	file.Close()
	require.Equal(t, mine.ID, got.Media[2].ID, "the same file downloaded is the library item already there")

	require.Equal(t, got.Media, []greenlight.MediaRef(d.Post.Media))
	require.Equal(t, got.Digest(), d.Versions[0].Digest)
}

// Replacing the media of a post sends the workflow the new list (which makes a new version
// there, see workflows TestReplacingAnImageMakesANewVersion); media_urls replace the list
// too and clear the old URLs; an edit of the text alone leaves the media alone.
func TestEditPostMedia(t *testing.T) {
	f := newMediaFixture(t)
	ctx := context.Background()
	ft := newFakeTemporal(t, f.st)
	f.svc.Temporal = ft
	red := f.upload(f.p.a, f.red)
	blue := f.upload(f.p.a, pngOf(t, color.RGBA{B: 255, A: 255}, 16))
	p := f.draft(f.p.a, "instagram")

	_, err := f.svc.EditPost(ctx, f.p.userA, p.ID, 1, service.PostFields{Media: ids(blue.ID, red.ID)})
	require.NoError(t, err)
	_, err = f.svc.EditPost(ctx, f.p.userA, p.ID, 0, service.PostFields{MediaURLs: &[]string{f.url("/red.png")}})
	require.NoError(t, err)
	body := "New text"
	_, err = f.svc.EditPost(ctx, f.p.userA, p.ID, 0, service.PostFields{Body: &body})
	require.NoError(t, err)
	_, err = f.svc.EditPost(ctx, f.p.userA, p.ID, 0, service.PostFields{Media: ids()})
	require.NoError(t, err)

	require.Len(t, ft.edits, 4)
	require.Equal(t, []greenlight.MediaRef{
		{ID: blue.ID, SHA256: blue.SHA256, ContentType: "image/png"}, {ID: red.ID, SHA256: red.SHA256, ContentType: "image/png"},
	}, *ft.edits[0].Media)
	require.Nil(t, ft.edits[0].MediaURLs)
	require.Equal(t, []greenlight.MediaRef{{ID: red.ID, SHA256: red.SHA256, ContentType: "image/png"}}, *ft.edits[1].Media)
	require.Equal(t, []string{}, *ft.edits[1].MediaURLs, "media_urls are downloaded: the version keeps no URL")
	require.Nil(t, ft.edits[2].Media, "a text edit sends no media")
	require.Equal(t, []greenlight.MediaRef{}, *ft.edits[3].Media, "an empty list removes the media")
}

// ruleConnector is a network publisher's rules as a test double: text of at most max
// characters, at most maxImages files; it keeps what it was asked to check.
type ruleConnector struct {
	network   string
	max       int
	maxImages int
	err       error // returned instead, when set
	accounts  []publish.Account
	posts     []publish.Post
	read      [][]byte // each file of the last post, read through Open
}

func (c *ruleConnector) Network() string { return c.network }

func (c *ruleConnector) Validate(_ context.Context, acct publish.Account, p publish.Post) error {
	c.accounts, c.posts, c.read = append(c.accounts, acct), append(c.posts, p), nil
	for _, m := range p.Media {
		r, err := m.Open()
		if err != nil {
			return err
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			return err
		}
		c.read = append(c.read, b)
	}
	if c.err != nil {
		return c.err
	}
	if n := utf8.RuneCountInString(p.Text); n > c.max {
		return &publish.RuleError{Rule: "text_length", Message: fmt.Sprintf("text is %d characters; Bluesky allows %d", n, c.max)}
	}
	if len(p.Media) > c.maxImages {
		return &publish.RuleError{Rule: "image_count", Message: fmt.Sprintf("%d images; Bluesky allows %d", len(p.Media), c.maxImages)}
	}
	return nil
}

func (c *ruleConnector) Publish(context.Context, publish.Account, publish.Post) (publish.Result, error) {
	return publish.Result{}, fmt.Errorf("not in these tests")
}

// Saving a post checks each channel a connector publishes to against the connector's
// rules, with the client's connected account when there is one: a broken rule is a 422
// naming the channel and the rule; other channels are not asked.
func TestNetworkRulesOnSave(t *testing.T) {
	f := newMediaFixture(t)
	ctx := context.Background()
	ft := newFakeTemporal(t, f.st)
	conn := &ruleConnector{network: "bluesky", max: 300, maxImages: 1}
	f.svc.Temporal, f.svc.Connectors = ft, map[string]publish.Connector{"bluesky": conn}
	red := f.upload(f.p.a, f.red)
	blue := f.upload(f.p.a, pngOf(t, color.RGBA{B: 255, A: 255}, 16))
	long, short := strings.Repeat("é", 320), strings.Repeat("é", 300)
	both := []string{"bluesky", "instagram"}
	insta := []string{"instagram"}

	_, err := f.svc.CreatePost(ctx, f.p.userA, newPost(f.p.a, service.PostFields{Body: &long, Channels: &both}))
	require.Equal(t, greenlight.EINVALID, greenlight.ErrorCode(err))
	require.Equal(t, "channels: bluesky: text is 320 characters; Bluesky allows 300 (text_length)", greenlight.ErrorMessage(err))
	require.Equal(t, publish.Account{ClientID: f.p.a, Network: "bluesky"}, conn.accounts[0], "no account connected: a zero account naming the network")

	_, err = f.svc.CreatePost(ctx, f.p.userA, newPost(f.p.a, service.PostFields{Body: &long, Channels: &insta}))
	require.NoError(t, err, "a channel without a connector has no such rule")
	require.Len(t, conn.posts, 1)

	// With an account connected, the connector sees it, with its opened credentials.
	box, err := secrets.Parse(secrets.NewKey(), "")
	require.NoError(t, err)
	f.svc.Secrets = box
	now := time.Now().UTC()
	acct := &store.Account{ID: greenlight.NewID("acc_"), ClientID: f.p.a, Network: "bluesky", Handle: "brand.test",
		ServiceURL: "https://pds.test", Status: store.AccountActive, CreatedBy: f.p.root.ID, CreatedAt: now, UpdatedAt: now}
	acct.Credentials = box.Seal([]byte(`{"session":"s"}`), []byte(acct.ID))
	require.NoError(t, f.st.CreateAccount(ctx, acct))
	d, err := f.svc.CreatePost(ctx, f.p.userA, newPost(f.p.a, service.PostFields{Body: &short, Channels: &both,
		Media: &[]service.MediaInput{{ID: red.ID, Alt: "red"}}}))
	require.NoError(t, err)
	got := conn.accounts[len(conn.accounts)-1]
	require.Equal(t, acct.ID, got.ID)
	require.Equal(t, "brand.test", got.Handle)
	require.Equal(t, "https://pds.test", got.ServiceURL)
	require.Equal(t, `{"session":"s"}`, string(got.Credentials))
	post := conn.posts[len(conn.posts)-1]
	require.Equal(t, "bluesky", post.Channel)
	require.Equal(t, short, post.Text)
	require.Len(t, post.Media, 1)
	m := post.Media[0]
	require.Equal(t, []any{red.ID, red.SHA256, "image/png", red.Size, 16, 16, "red"}, []any{m.ID, m.SHA256, m.ContentType, m.Size, m.Width, m.Height, m.Alt})
	require.Equal(t, f.red, conn.read[0], "Open reads the file from the library")

	// An edit is checked on the content it makes: the post's text with the new media.
	_, err = f.svc.EditPost(ctx, f.p.userA, d.Post.ID, 0, service.PostFields{Media: ids(red.ID, blue.ID)})
	require.Equal(t, "channels: bluesky: 2 images; Bluesky allows 1 (image_count)", greenlight.ErrorMessage(err))
	require.Equal(t, short, conn.posts[len(conn.posts)-1].Text)
	_, err = f.svc.EditPost(ctx, f.p.userA, d.Post.ID, 0, service.PostFields{Body: &long})
	require.Equal(t, greenlight.EINVALID, greenlight.ErrorCode(err))
	require.Len(t, conn.posts[len(conn.posts)-1].Media, 1, "the post's media are checked with the new text")
	at := time.Now().Add(72 * time.Hour)
	calls := len(conn.posts)
	_, err = f.svc.EditPost(ctx, f.p.userA, d.Post.ID, 0, service.PostFields{PublishAt: &at})
	require.NoError(t, err)
	require.Len(t, conn.posts, calls, "a new publish time alone changes no content")

	// Rules that cannot be checked now (the network does not answer) are not a 422.
	conn.err = &publish.Error{Kind: publish.KindRetryable, Network: "bluesky", Message: "instance did not answer"}
	_, err = f.svc.CreatePost(ctx, f.p.userA, newPost(f.p.a, service.PostFields{Body: &short, Channels: &both}))
	require.Equal(t, greenlight.EUNAVAILABLE, greenlight.ErrorCode(err))
	require.Equal(t, "channels: bluesky: the network's rules could not be checked (instance did not answer); retry shortly", greenlight.ErrorMessage(err))
}

// Submitting needs somewhere to publish each channel: a connector network needs the
// client's connected account or webhook; another channel needs the webhook unless the dev
// publisher records publications. A 422 names the channel.
func TestSubmitNeedsARouteForEachChannel(t *testing.T) {
	f := newMediaFixture(t)
	ctx := context.Background()
	conn := &ruleConnector{network: "bluesky", max: 300, maxImages: 4}
	withHook := &store.Client{ID: greenlight.NewID("cli_"), Name: "Hooked", ApprovalPolicy: "any", WebhookURL: "https://8.8.8.8/hook",
		CreatedAt: time.Now().UTC(), Approvers: []store.Approver{{ID: greenlight.NewID("apr_"), Name: "A", Email: "hook@brand.test"}}}
	require.NoError(t, f.st.CreateClient(ctx, withHook))
	bare := &store.Client{ID: greenlight.NewID("cli_"), Name: "Bare", ApprovalPolicy: "any",
		CreatedAt: time.Now().UTC(), Approvers: []store.Approver{{ID: greenlight.NewID("apr_"), Name: "A", Email: "bare@brand.test"}}}
	require.NoError(t, f.st.CreateClient(ctx, bare))
	client := func(id string) *store.Client { c, err := f.st.Client(ctx, id); require.NoError(t, err); return c }
	account := func(clientID, status string) {
		now := time.Now().UTC()
		require.NoError(t, f.st.CreateAccount(ctx, &store.Account{ID: greenlight.NewID("acc_"), ClientID: clientID, Network: "bluesky",
			Handle: greenlight.NewID("h_") + ".test", ServiceURL: "https://pds.test", Status: status, CreatedBy: f.p.root.ID, CreatedAt: now, UpdatedAt: now}))
	}
	for _, tc := range []struct {
		name     string
		clientID string
		channels []string
		account  string // status of a bluesky account to connect first, "" for none
		dev      bool
		want     string // "" for accepted
	}{
		{name: "network without account nor webhook", clientID: f.p.a, channels: []string{"bluesky"},
			want: "channels: bluesky: connect a Bluesky account for " + client(f.p.a).Name + " or set the client's publishing webhook"},
		{name: "network with an account still pending", clientID: f.p.a, channels: []string{"bluesky"}, account: store.AccountPending,
			want: "channels: bluesky: connect a Bluesky account"},
		{name: "network with an account", clientID: f.p.a, channels: []string{"bluesky"}, account: store.AccountActive},
		{name: "network without account, webhook", clientID: withHook.ID, channels: []string{"bluesky"}},
		{name: "other channel without webhook", clientID: f.p.b, channels: []string{"bluesky", "instagram"}, account: store.AccountActive,
			want: "channels: instagram: set the publishing webhook of " + client(f.p.b).Name},
		{name: "other channel, dev publisher", clientID: f.p.b, channels: []string{"instagram"}, dev: true},
		{name: "other channel with webhook", clientID: withHook.ID, channels: []string{"instagram", "x"}},
		{name: "network channel, dev publisher, no account", clientID: bare.ID, channels: []string{"bluesky"}, dev: true,
			want: "channels: bluesky: connect a Bluesky account for Bare or set the client's publishing webhook"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.account != "" {
				account(tc.clientID, tc.account)
			}
			ft := newFakeTemporal(t, f.st)
			f.svc.Temporal, f.svc.Connectors, f.svc.DevPublisher = ft, map[string]publish.Connector{"bluesky": conn}, tc.dev
			p := f.draft(tc.clientID, tc.channels...)
			_, err := f.svc.SubmitPost(ctx, f.p.root, p.ID)
			if tc.want == "" {
				require.NoError(t, err)
				require.Equal(t, []string{workflows.SubmitUpdate}, ft.names)
				return
			}
			require.Equal(t, greenlight.EINVALID, greenlight.ErrorCode(err), "%v", err)
			require.Contains(t, greenlight.ErrorMessage(err), tc.want)
			require.Empty(t, ft.names, "nothing sent to the workflow")
		})
	}
}

// The approval page shows the link's version with its files (signed URLs, pixels, alt
// text, video or not) and the digest the decision applies to, even once the post has a
// newer version.
func TestOpenLinkShowsTheVersionsMedia(t *testing.T) {
	f := newMediaFixture(t)
	ctx := context.Background()
	red := f.upload(f.p.a, f.red)
	now := time.Now().UTC()
	acts := &activities.Activities{Store: f.st}
	snap := activities.PostSnapshot{ID: greenlight.NewID("pst_"), ClientID: f.p.a, AuthorID: f.p.userA.ID, PublishAt: now.Add(time.Hour),
		Status: greenlight.StatusAwaitingClient, Version: 1, Revision: 1, CreatedAt: now, UpdatedAt: now,
		Content: greenlight.Content{Title: "T", Body: "B", Channels: []string{"x"},
			Media: []greenlight.MediaRef{{ID: red.ID, SHA256: red.SHA256, ContentType: red.ContentType, Alt: "Red"}}}}
	v1 := snap.Content
	require.NoError(t, acts.RecordPost(ctx, activities.PostRecord{Post: snap, NewVersion: &activities.VersionRecord{Version: 1, Content: v1, At: now}}))
	token, hash := greenlight.NewToken("gl_")
	require.NoError(t, f.st.SaveLink(ctx, &store.Link{ID: greenlight.NewID("lnk_"), TokenHash: hash, EffectKey: "k", SubjectKind: "post", SubjectID: snap.ID,
		Version: 1, ApproverID: "apr_x", ApproverName: "A", ApproverEmail: "a@brand.test", ExpiresAt: now.Add(time.Hour), CreatedAt: now}))
	snap.Version, snap.Revision, snap.Content.Media = 2, 2, nil
	require.NoError(t, acts.RecordPost(ctx, activities.PostRecord{Post: snap, NewVersion: &activities.VersionRecord{Version: 2, Content: snap.Content, At: now}}))

	v, err := f.svc.OpenLink(ctx, token)
	require.NoError(t, err)
	require.Equal(t, service.LinkReplaced, v.State)
	require.Equal(t, v1.Digest(), v.Digest)
	require.Len(t, v.Media, 1)
	m := v.Media[0]
	require.Equal(t, []any{red.ID, "image/png", red.SHA256, "Red", 16, 16, false}, []any{m.ID, m.ContentType, m.SHA256, m.Alt, m.Width, m.Height, m.IsVideo()})
	require.True(t, strings.HasPrefix(m.URL, "/media/"+red.ID+"/file?exp="), m.URL)
	require.True(t, strings.HasPrefix(m.ThumbURL, "/media/"+red.ID+"/thumb?exp="), m.ThumbURL)
}
