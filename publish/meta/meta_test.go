package meta_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/internal/metatest"
	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/publish/meta"
)

// jpeg and mp4 are the starts of real files (enough for sniffing).
var (
	jpegBytes = append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"), make([]byte, 64)...)
	pngBytes  = append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)
	mp4Bytes  = append([]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"), make([]byte, 64)...)
)

// mediaHost serves the post's files as Greenlight's signed media URLs do.
func mediaHost(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, ".jpg"):
			w.Header().Set("Content-Type", "image/jpeg")
			_, _ = w.Write(jpegBytes)
		case strings.HasSuffix(r.URL.Path, ".mp4"):
			w.Header().Set("Content-Type", "video/mp4")
			_, _ = w.Write(mp4Bytes)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// client is the shared outbound client, allowed to reach loopback (the fake).
func client(t *testing.T) *http.Client {
	p, err := outbound.ParsePolicy("127.0.0.1")
	require.NoError(t, err)
	return outbound.NewClient(p, outbound.Options{})
}

func newInstagram(t *testing.T, f *metatest.Server) *meta.Instagram {
	c := meta.NewInstagram(client(t), f.Version)
	c.GraphURL = f.URL
	c.AllowPrivateMediaURLs = true
	c.PollInterval, c.PollTimeout = time.Millisecond, 300*time.Millisecond
	return c
}

func newFacebook(t *testing.T, f *metatest.Server) *meta.Facebook {
	c := meta.NewFacebook(client(t), f.Version)
	c.GraphURL = f.URL
	return c
}

func credentials(t *testing.T, c meta.Credentials) []byte {
	b, err := json.Marshal(c)
	require.NoError(t, err)
	return b
}

func igAccount(t *testing.T) publish.Account {
	return publish.Account{ID: "acct-ig", Network: "instagram", Credentials: credentials(t, meta.Credentials{
		PageID: metatest.PageID, PageToken: metatest.PageToken, IGUserID: metatest.IGUserID, IGUsername: metatest.IGUsername})}
}

func fbAccount(t *testing.T) publish.Account {
	return publish.Account{ID: "acct-fb", Network: "facebook", Credentials: credentials(t, meta.Credentials{
		PageID: metatest.PageID, PageToken: metatest.PageToken})}
}

func image(host, name string) publish.Media {
	return publish.Media{ID: name, SHA256: name, ContentType: "image/jpeg", Size: int64(len(jpegBytes)), Width: 1080, Height: 1080,
		URL: host + "/media/" + name + ".jpg", Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(string(jpegBytes))), nil }}
}

func video(host, name string) publish.Media {
	return publish.Media{ID: name, SHA256: name, ContentType: "video/mp4", Size: int64(len(mp4Bytes)), DurationMS: 12000,
		URL: host + "/media/" + name + ".mp4", Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(string(mp4Bytes))), nil }}
}

func post(text string, media ...publish.Media) publish.Post {
	return publish.Post{Key: "post/p1/v1/publish/x", PostID: "p1", Version: 1, Text: text, Media: media}
}

func requireKind(t *testing.T, err error, kind publish.Kind) *publish.Error {
	t.Helper()
	require.Error(t, err)
	var pe *publish.Error
	require.True(t, errors.As(err, &pe), "want *publish.Error, got %T: %v", err, err)
	require.Equal(t, kind.String(), pe.Kind.String(), pe.Message)
	return pe
}

func TestInstagramPublishes(t *testing.T) {
	host := mediaHost(t)
	tests := []struct {
		name     string
		media    []publish.Media
		wantType string
	}{
		{"image", []publish.Media{image(host, "a")}, "IMAGE"},
		{"reel", []publish.Media{video(host, "v")}, "VIDEO"},
		{"carousel", []publish.Media{image(host, "a"), video(host, "v"), image(host, "b")}, "CAROUSEL_ALBUM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := metatest.Start(t, metatest.Options{VideoPolls: 2})
			res, err := newInstagram(t, f).Publish(context.Background(), igAccount(t), post("Spring is here #spring @friend", tt.media...))
			require.NoError(t, err)
			posts := f.Posts()
			require.Len(t, posts, 1)
			require.Equal(t, tt.wantType, posts[0].Type)
			require.Equal(t, "Spring is here #spring @friend", posts[0].Text)
			require.Len(t, posts[0].Media, len(tt.media))
			for i, m := range tt.media {
				require.Equal(t, m.URL, posts[0].Media[i])
			}
			require.Equal(t, posts[0].ID, res.RemoteID)
			require.Equal(t, posts[0].Permalink, res.URL)
			require.Equal(t, 1, f.Calls("POST /{ig-user-id}/media_publish"))
		})
	}
}

func TestInstagramFailures(t *testing.T) {
	host := mediaHost(t)
	buc := http.Header{"X-Business-Use-Case-Usage": {`{"` + metatest.IGUserID + `":[{"type":"instagram","call_count":100,"total_cputime":12,"total_time":20,"estimated_time_to_regain_access":7}]}`}}
	tests := []struct {
		name      string
		setup     func(f *metatest.Server)
		media     []publish.Media
		kind      publish.Kind
		retry     time.Duration
		message   string
		noCreates bool
	}{
		{name: "expired token", setup: func(f *metatest.Server) { f.ExpireToken(metatest.PageToken) },
			kind: publish.KindAuth, message: "Session has expired", noCreates: true},
		{name: "429 with business use case usage", setup: func(f *metatest.Server) {
			f.Fail("POST /{ig-user-id}/media", metatest.Fault{Status: 429, Header: buc, Body: metatest.GraphError(80002, 0, "OAuthException", "There have been too many calls to this Instagram account.")})
		}, kind: publish.KindRateLimit, retry: 7 * time.Minute, message: "too many calls"},
		{name: "app rate limit code 4", setup: func(f *metatest.Server) {
			f.Fail("POST /{ig-user-id}/media", metatest.Fault{Status: 403, Header: http.Header{"X-App-Usage": {`{"call_count":100,"total_cputime":40,"total_time":40}`}},
				Body: metatest.GraphError(4, 0, "OAuthException", "(#4) Application request limit reached")})
		}, kind: publish.KindRateLimit, message: "Application request limit reached"},
		{name: "bare 429 with Retry-After", setup: func(f *metatest.Server) {
			f.Fail("POST /{ig-user-id}/media", metatest.Fault{Status: 429, Header: http.Header{"Retry-After": {"90"}}, Body: "{}"})
		}, kind: publish.KindRateLimit, retry: 90 * time.Second},
		{name: "server error", setup: func(f *metatest.Server) {
			f.Fail("POST /{ig-user-id}/media", metatest.Fault{Status: 500, Body: metatest.GraphError(2, 0, "OAuthException", "An unexpected error has occurred. Please retry your request later.")})
		}, kind: publish.KindRetryable, message: "retry your request later"},
		{name: "bad gateway without a Graph body", setup: func(f *metatest.Server) {
			f.Fail("POST /{ig-user-id}/media", metatest.Fault{Status: 502, Body: "<html>Bad Gateway</html>"})
		}, kind: publish.KindRetryable},
		{name: "stuck in progress then ERROR", setup: func(f *metatest.Server) {
			f.StickNextContainer(3, "ERROR", "Error: Media upload has failed with error code 2207003")
		}, kind: publish.KindPermanent, message: "Media upload has failed with error code 2207003"},
		{name: "stuck in progress for ever", setup: func(f *metatest.Server) {
			f.StickNextContainer(0, "", "")
		}, kind: publish.KindRetryable, message: "still processing"},
		{name: "expired container", setup: func(f *metatest.Server) {
			f.StickNextContainer(0, "EXPIRED", "Expired: the container was not published within 24 hours")
		}, kind: publish.KindPermanent, message: "expired"},
		{name: "publishing quota used", setup: func(f *metatest.Server) { f.SetQuotaUsage(metatest.QuotaTotal) },
			kind: publish.KindRateLimit, retry: time.Hour, message: "publishing limit is used: 100 of 100 posts in the last 24 hours", noCreates: true},
		{name: "media Meta cannot fetch", media: []publish.Media{{ContentType: "image/jpeg", Size: 10, URL: host + "/media/missing"}},
			kind: publish.KindPermanent, message: "Media download has failed"},
		{name: "no public URL", media: []publish.Media{{ContentType: "image/jpeg", Size: 10}},
			kind: publish.KindPermanent, message: "GREENLIGHT_PUBLIC_URL", noCreates: true},
		{name: "permission missing", setup: func(f *metatest.Server) {
			f.Fail("POST /{ig-user-id}/media", metatest.Fault{Status: 403, Body: metatest.GraphError(10, 0, "OAuthException", "(#10) Application does not have permission for this action")})
		}, kind: publish.KindAuth, message: "does not have permission"},
		{name: "policy block", setup: func(f *metatest.Server) {
			f.Fail("POST /{ig-user-id}/media", metatest.Fault{Status: 400, Body: metatest.GraphError(368, 1390008, "OAuthException", "It looks like you were misusing this feature by going too fast.")})
		}, kind: publish.KindPermanent, message: "misusing this feature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := metatest.Start(t, metatest.Options{})
			if tt.setup != nil {
				tt.setup(f)
			}
			media := tt.media
			if media == nil {
				media = []publish.Media{image(host, "a")}
			}
			_, err := newInstagram(t, f).Publish(context.Background(), igAccount(t), post("hello", media...))
			pe := requireKind(t, err, tt.kind)
			require.Equal(t, tt.retry, pe.RetryAfter)
			require.Contains(t, pe.Message, tt.message)
			require.NotContains(t, pe.Error(), metatest.PageToken)
			require.Empty(t, f.Posts())
			if tt.noCreates {
				require.Zero(t, f.Calls("POST /{ig-user-id}/media"))
			}
		})
	}
}

// The media_publish answer is lost after Meta published: the container says PUBLISHED, the
// post is found by its caption, and nothing is published twice. When the container cannot
// be read, the outcome is ambiguous; a server error on a container not published is
// retryable.
func TestInstagramLostPublishAnswer(t *testing.T) {
	host := mediaHost(t)
	t.Run("published: found", func(t *testing.T) {
		f := metatest.Start(t, metatest.Options{})
		f.Fail("POST /{ig-user-id}/media_publish", metatest.Fault{Drop: true})
		res, err := newInstagram(t, f).Publish(context.Background(), igAccount(t), post("lost answer", image(host, "a")))
		require.NoError(t, err)
		posts := f.Posts()
		require.Len(t, posts, 1)
		require.Equal(t, posts[0].ID, res.RemoteID)
		require.Equal(t, posts[0].Permalink, res.URL)
		require.Equal(t, 1, f.Calls("POST /{ig-user-id}/media_publish"))
	})
	t.Run("container unreadable: ambiguous", func(t *testing.T) {
		f := metatest.Start(t, metatest.Options{})
		f.Fail("POST /{ig-user-id}/media_publish", metatest.Fault{Drop: true})
		// Polling reads the container once (FINISHED); the read after the lost answer fails.
		f.Fail("GET /{container-id}", metatest.Fault{Status: 200, Body: `{"status_code":"FINISHED","status":"Finished"}`},
			metatest.Fault{Status: 500, Body: metatest.GraphError(1, 0, "OAuthException", "An unknown error occurred")})
		_, err := newInstagram(t, f).Publish(context.Background(), igAccount(t), post("lost answer", image(host, "a")))
		pe := requireKind(t, err, publish.KindAmbiguous)
		require.Contains(t, pe.Message, "did not confirm")
		require.Equal(t, 1, f.Calls("POST /{ig-user-id}/media_publish"))
		require.Len(t, f.Posts(), 1) // it did go out: a person checks and records the link
	})
	t.Run("server error, not published: retryable", func(t *testing.T) {
		f := metatest.Start(t, metatest.Options{})
		f.Fail("POST /{ig-user-id}/media_publish", metatest.Fault{Status: 503, Body: metatest.GraphError(2, 0, "OAuthException", "Service temporarily unavailable")})
		_, err := newInstagram(t, f).Publish(context.Background(), igAccount(t), post("x", image(host, "a")))
		requireKind(t, err, publish.KindRetryable)
		require.Empty(t, f.Posts())
	})
}

func TestFacebookPublishes(t *testing.T) {
	host := mediaHost(t)
	tests := []struct {
		name      string
		post      publish.Post
		wantType  string
		wantLink  string
		wantMedia int
	}{
		{"text", post("Hello from the brand"), "status", "", 0},
		{"link", post("Read this: https://brand.example.com/news/spring. Thanks"), "status", "https://brand.example.com/news/spring", 0},
		{"one photo", post("A photo", image(host, "a")), "photo", "", 1},
		{"photos", post("Three photos", image(host, "a"), image(host, "b"), image(host, "c")), "album", "", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := metatest.Start(t, metatest.Options{})
			res, err := newFacebook(t, f).Publish(context.Background(), fbAccount(t), tt.post)
			require.NoError(t, err)
			posts := f.Posts()
			require.Len(t, posts, 1)
			require.Equal(t, tt.wantType, posts[0].Type)
			require.Equal(t, tt.post.Text, posts[0].Text)
			require.Equal(t, tt.wantLink, posts[0].Link)
			require.Len(t, posts[0].Media, tt.wantMedia)
			require.Equal(t, posts[0].ID, res.RemoteID)
			require.Equal(t, posts[0].Permalink, res.URL)
		})
	}
}

func TestFacebookFailures(t *testing.T) {
	host := mediaHost(t)
	buc := http.Header{"X-Business-Use-Case-Usage": {`{"` + metatest.PageID + `":[{"type":"pages","call_count":100,"total_cputime":5,"total_time":5,"estimated_time_to_regain_access":15}]}`}}
	tests := []struct {
		name    string
		setup   func(f *metatest.Server)
		post    publish.Post
		kind    publish.Kind
		retry   time.Duration
		message string
		posted  int
	}{
		{name: "lost answer on feed", setup: func(f *metatest.Server) { f.Fail("POST /{page-id}/feed", metatest.Fault{Drop: true}) },
			kind: publish.KindAmbiguous, message: "did not confirm", posted: 1},
		{name: "lost answer on the single photo", post: post("x", image(host, "a")),
			setup: func(f *metatest.Server) { f.Fail("POST /{page-id}/photos", metatest.Fault{Drop: true}) },
			kind:  publish.KindAmbiguous, posted: 1},
		{name: "lost answer on an unpublished photo", post: post("x", image(host, "a"), image(host, "b")),
			setup: func(f *metatest.Server) { f.Fail("POST /{page-id}/photos", metatest.Fault{Drop: true}) },
			kind:  publish.KindRetryable},
		{name: "expired token", setup: func(f *metatest.Server) { f.ExpireToken(metatest.PageToken) },
			kind: publish.KindAuth, message: "Session has expired"},
		{name: "permission", setup: func(f *metatest.Server) {
			f.Fail("POST /{page-id}/feed", metatest.Fault{Status: 403, Body: metatest.GraphError(200, 0, "OAuthException", "(#200) requires pages_manage_posts")})
		}, kind: publish.KindAuth, message: "pages_manage_posts"},
		{name: "page rate limit", setup: func(f *metatest.Server) {
			f.Fail("POST /{page-id}/feed", metatest.Fault{Status: 400, Header: buc, Body: metatest.GraphError(32, 0, "OAuthException", "(#32) Page request limit reached")})
		}, kind: publish.KindRateLimit, retry: 15 * time.Minute, message: "Page request limit reached"},
		{name: "server error", setup: func(f *metatest.Server) {
			f.Fail("POST /{page-id}/feed", metatest.Fault{Status: 500, Body: metatest.GraphError(1, 0, "OAuthException", "An unknown error occurred")})
		}, kind: publish.KindRetryable},
		{name: "error while the Page usage is at 100%", setup: func(f *metatest.Server) {
			f.Fail("POST /{page-id}/feed", metatest.Fault{Status: 503, Header: http.Header{"X-Page-Usage": {`{"call_count":100,"total_cputime":10,"total_time":10,"estimated_time_to_regain_access":3}`}},
				Body: "Service Unavailable"})
		}, kind: publish.KindRateLimit, retry: 3 * time.Minute},
		{name: "duplicate", setup: func(f *metatest.Server) {
			f.Fail("POST /{page-id}/feed", metatest.Fault{Status: 400, Body: metatest.GraphError(506, 0, "OAuthException", "(#506) Duplicate status message")})
		}, kind: publish.KindPermanent, message: "Duplicate status message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := metatest.Start(t, metatest.Options{})
			tt.setup(f)
			p := tt.post
			if p.Text == "" {
				p = post("hello")
			}
			_, err := newFacebook(t, f).Publish(context.Background(), fbAccount(t), p)
			pe := requireKind(t, err, tt.kind)
			require.Equal(t, tt.retry, pe.RetryAfter)
			require.Contains(t, pe.Message, tt.message)
			require.NotContains(t, pe.Error(), metatest.PageToken)
			require.Len(t, f.Posts(), tt.posted)
		})
	}
}

func TestValidate(t *testing.T) {
	host := "https://greenlight.agency.fr"
	img := image(host, "a")
	png := img
	png.ContentType = "image/png"
	tall := img
	tall.Width, tall.Height = 1080, 1920
	vid := video(host, "v")
	long := vid
	long.DurationMS = 120_000
	gif := img
	gif.ContentType = "image/gif"
	big := img
	big.Size = 5 << 20
	eleven := make([]publish.Media, 11)
	for i := range eleven {
		eleven[i] = img
	}
	tags := strings.Repeat("#tag ", 31)
	tests := []struct {
		name    string
		network string
		p       publish.Post
		rule    string
	}{
		{"instagram image", "instagram", post("hi", img), ""},
		{"instagram reel", "instagram", post("hi", vid), ""},
		{"instagram carousel", "instagram", post("hi", img, vid), ""},
		{"instagram needs media", "instagram", post("hi"), "media_required"},
		{"instagram at most 10", "instagram", post("hi", eleven...), "media_count"},
		{"instagram caption length", "instagram", post(strings.Repeat("é", 2201), img), "text_length"},
		{"instagram 2200 is fine", "instagram", post(strings.Repeat("é", 2200), img), ""},
		{"instagram hashtags", "instagram", post(tags, img), "hashtag_count"},
		{"instagram 30 hashtags is fine", "instagram", post(strings.Repeat("#tag ", 30), img), ""},
		{"instagram mentions", "instagram", post(strings.Repeat("@someone ", 21), img), "mention_count"},
		{"instagram jpeg only", "instagram", post("hi", png), "media_type"},
		{"instagram aspect ratio", "instagram", post("hi", tall), "aspect_ratio"},
		{"instagram carousel clip length", "instagram", post("hi", img, long), "video_duration"},
		{"instagram long reel is fine", "instagram", post("hi", long), ""},
		{"facebook text", "facebook", post("hi"), ""},
		{"facebook photos", "facebook", post("hi", img, png, gif), ""},
		{"facebook empty", "facebook", post(" "), "text_length"},
		{"facebook text length", "facebook", post(strings.Repeat("a", 63207)), "text_length"},
		{"facebook at most 10 photos", "facebook", post("hi", eleven...), "media_count"},
		{"facebook no video", "facebook", post("hi", vid), "media_type"},
		{"facebook photo size", "facebook", post("hi", big), "media_size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c publish.Connector = meta.NewFacebook(nil, "")
			if tt.network == "instagram" {
				c = meta.NewInstagram(nil, "")
			}
			err := c.Validate(context.Background(), publish.Account{ID: "acct-1", Network: tt.network}, tt.p)
			if tt.rule == "" {
				require.NoError(t, err)
				return
			}
			var re *publish.RuleError
			require.True(t, errors.As(err, &re), "want a RuleError, got %v", err)
			require.Equal(t, tt.rule, re.Rule)
			// Without a connected account the channel goes to the webhook: no rules here.
			require.NoError(t, c.Validate(context.Background(), publish.Account{Network: tt.network}, tt.p))
		})
	}
}

// Instagram refuses media posts at save time when GREENLIGHT_PUBLIC_URL is not public.
func TestInstagramValidatePublicURL(t *testing.T) {
	tests := []struct {
		url  string
		ok   bool
		want string
	}{
		{"https://greenlight.agency.fr", true, ""},
		{"http://greenlight.agency.fr", false, "not https"},
		{"https://localhost:8080", false, "not a public host name"},
		{"https://127.0.0.1:8080", false, "loopback or private"},
		{"https://10.1.2.3", false, "loopback or private"},
		{"https://[::1]:8443", false, "loopback or private"},
		{"https://greenlight.internal", false, "not a public host name"},
		{"https://greenlight", false, "not a public host name"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c := meta.NewInstagram(nil, "")
			c.PublicURL = tt.url
			err := c.Validate(context.Background(), igAccount(t), post("hi", image("https://x.fr", "a")))
			if tt.ok {
				require.NoError(t, err)
				return
			}
			var re *publish.RuleError
			require.True(t, errors.As(err, &re))
			require.Equal(t, "public_url", re.Rule)
			require.Contains(t, re.Message, tt.want)
			require.Contains(t, re.Message, "GREENLIGHT_PUBLIC_URL")
		})
	}
	t.Run("publish refuses a loopback media URL", func(t *testing.T) {
		f := metatest.Start(t, metatest.Options{})
		c := newInstagram(t, f)
		c.AllowPrivateMediaURLs = false
		_, err := c.Publish(context.Background(), igAccount(t), post("hi", image("http://127.0.0.1:9", "a")))
		pe := requireKind(t, err, publish.KindPermanent)
		require.Contains(t, pe.Message, "GREENLIGHT_PUBLIC_URL")
		require.Zero(t, f.Calls("POST /{ig-user-id}/media"))
	})
}

// A container still processing when the activity's time is nearly up ends the attempt
// (retryable) with a minute left for media_publish, whatever PollTimeout says.
func TestInstagramPollingLeavesTimeToPublish(t *testing.T) {
	host := mediaHost(t)
	f := metatest.Start(t, metatest.Options{})
	f.StickNextContainer(0, "", "")
	c := newInstagram(t, f)
	c.PollTimeout = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute+300*time.Millisecond)
	defer cancel()
	_, err := c.Publish(ctx, igAccount(t), post("slow", image(host, "a")))
	requireKind(t, err, publish.KindRetryable)
	require.NoError(t, ctx.Err(), "gave up before the deadline")
	require.Zero(t, f.Calls("POST /{ig-user-id}/media_publish"))
}

// With the app secret every call carries appsecret_proof, as an app requiring it demands;
// without it such an app refuses the call (permanent: a configuration to fix).
func TestAppSecretProof(t *testing.T) {
	host := mediaHost(t)
	tests := []struct {
		name   string
		secret string
		kind   publish.Kind
	}{
		{"with the secret", metatest.AppSecret, -1},
		{"without", "", publish.KindPermanent},
		{"wrong secret", "not-the-secret", publish.KindPermanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := metatest.Start(t, metatest.Options{RequireAppSecretProof: true})
			ig, fb := newInstagram(t, f), newFacebook(t, f)
			ig.AppSecret, fb.AppSecret = tt.secret, tt.secret
			_, errIG := ig.Publish(context.Background(), igAccount(t), post("proof", image(host, "a")))
			_, errFB := fb.Publish(context.Background(), fbAccount(t), post("proof", image(host, "a"), image(host, "b")))
			if tt.kind < 0 {
				require.NoError(t, errIG)
				require.NoError(t, errFB)
				require.Len(t, f.Posts(), 2)
				return
			}
			require.Contains(t, requireKind(t, errIG, tt.kind).Message, "appsecret_proof")
			require.Contains(t, requireKind(t, errFB, tt.kind).Message, "appsecret_proof")
			require.Empty(t, f.Posts())
		})
	}
}

// When the quota is used, publishing waits until the oldest post of the window leaves it.
func TestInstagramQuotaWaitsForTheWindow(t *testing.T) {
	host := mediaHost(t)
	f := metatest.Start(t, metatest.Options{})
	c := newInstagram(t, f)
	_, err := c.Publish(context.Background(), igAccount(t), post("first", image(host, "a")))
	require.NoError(t, err)
	f.SetQuotaUsage(metatest.QuotaTotal)
	_, err = c.Publish(context.Background(), igAccount(t), post("second", image(host, "a")))
	pe := requireKind(t, err, publish.KindRateLimit)
	require.InDelta(t, (24 * time.Hour).Seconds(), pe.RetryAfter.Seconds(), 120, "the first post leaves the window in about 24 hours")
	require.Len(t, f.Posts(), 1)
	require.Equal(t, 1, f.Calls("POST /{ig-user-id}/media"))
}
