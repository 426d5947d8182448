package linkedin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/internal/linkedintest"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/publish/linkedin"
)

// These tests run the connector and the provider against the contract fake
// (internal/linkedintest), written from LinkedIn's documentation.

var app = publish.OAuthApp{ClientID: linkedintest.ClientID, ClientSecret: linkedintest.ClientSecret}

func connector(fake *linkedintest.Server) *linkedin.Connector {
	c := linkedin.NewConnector(&http.Client{Timeout: 10 * time.Second}, app, "")
	c.AuthURL, c.APIURL = fake.URL, fake.URL
	c.PollInterval = 2 * time.Millisecond
	return c
}

// saved records what the connector persisted.
type saved struct{ creds [][]byte }

func account(t testing.TB, author string, tok linkedintest.Token, sv *saved) publish.Account {
	t.Helper()
	cred := linkedin.Credentials{AccessToken: tok.AccessToken, ExpiresAt: time.Now().Add(time.Duration(tok.ExpiresIn) * time.Second),
		RefreshToken: tok.RefreshToken, Author: author, Member: linkedintest.MemberURN(), Scope: tok.Scope}
	if tok.RefreshToken != "" {
		cred.RefreshExpiresAt = time.Now().Add(time.Duration(tok.RefreshExpiresIn) * time.Second)
	}
	raw, err := json.Marshal(cred)
	require.NoError(t, err)
	acct := publish.Account{ID: "acc_li", Network: linkedin.Network, Credentials: raw}
	if sv != nil {
		acct.Save = func(_ context.Context, c []byte) error { sv.creds = append(sv.creds, c); return nil }
	}
	return acct
}

func pngMedia(t testing.TB, alt string, shade uint8) publish.Media {
	img := image.NewRGBA(image.Rect(0, 0, 16, 12))
	for x := 0; x < 16; x++ {
		for y := 0; y < 12; y++ {
			img.Set(x, y, color.RGBA{R: shade, G: uint8(x * 9), B: uint8(y * 17), A: 255})
		}
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	data := b.Bytes()
	return publish.Media{ID: "med", ContentType: "image/png", Size: int64(len(data)), Width: 16, Height: 12, Alt: alt,
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

var memberScopes = []string{"openid", "profile", "w_member_social"}

func TestPublish(t *testing.T) {
	org := linkedintest.OrganizationURN(linkedintest.DefaultOrganization.ID)
	tricky := "Nouveau (enfin) : [édition] limitée {2026} — 50% *off* _vite_ ~ <3 @marie | a\\b #Biscuits #Noël2026 issue#4 # seul"
	for _, tc := range []struct {
		name   string
		author string
		scopes []string
		text   string
		images []publish.Media
		tags   []string
	}{
		{name: "text as the member", author: linkedintest.MemberURN(), scopes: memberScopes, text: "Hello LinkedIn"},
		{name: "reserved characters and hashtags", author: linkedintest.MemberURN(), scopes: memberScopes, text: tricky, tags: []string{"Biscuits", "Noël2026"}},
		{name: "one image with alt text", author: linkedintest.MemberURN(), scopes: memberScopes, text: "One image",
			images: []publish.Media{pngMedia(t, "A tin of biscuits (round)", 10)}},
		{name: "multi-image", author: linkedintest.MemberURN(), scopes: memberScopes, text: "Three images",
			images: []publish.Media{pngMedia(t, "first", 1), pngMedia(t, "", 2), pngMedia(t, "third", 3)}},
		{name: "image as an organization", author: org, scopes: append([]string{"w_organization_social", "r_organization_admin"}, memberScopes...),
			text: "From the Page", images: []publish.Media{pngMedia(t, "logo", 4)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := linkedintest.Start(t, linkedintest.Options{CommunityManagement: true, ImageProcessing: 2})
			acct := account(t, tc.author, fake.Issue(tc.scopes...), nil)
			res, err := connector(fake).Publish(context.Background(), acct, publish.Post{Key: "post/p1/v1/publish/linkedin", Text: tc.text, Media: tc.images})
			require.NoError(t, err)
			posts := fake.Posts()
			require.Len(t, posts, 1)
			p := posts[0]
			require.Equal(t, p.URN, res.RemoteID)
			require.Equal(t, "https://www.linkedin.com/feed/update/"+p.URN, res.URL)
			require.Equal(t, tc.author, p.Author)
			require.Equal(t, tc.text, p.Text, "LinkedIn shows the text as approved, nothing cut")
			require.Equal(t, tc.tags, p.Hashtags)
			require.Equal(t, "PUBLIC", p.Visibility)
			require.Equal(t, "PUBLISHED", p.LifecycleState)
			require.Len(t, p.Images, len(tc.images))
			for i, im := range p.Images {
				require.Equal(t, tc.images[i].Alt, im.AltText)
				require.True(t, strings.HasPrefix(im.ID, "urn:li:image:"))
			}
			for _, v := range fake.Versions() {
				require.Equal(t, linkedin.DefaultVersion, v)
			}
			for _, u := range fake.Images() {
				require.Equal(t, tc.author, u.Owner)
				require.Equal(t, "image/png", u.ContentType)
			}
			if len(tc.images) > 0 {
				require.Equal(t, len(tc.images)*3, fake.Calls("GET /rest/images/:urn"), "polled until AVAILABLE")
			}
		})
	}
}

// A video goes up in LinkedIn's 4 MB parts, is finalized with the parts' ETags in order,
// is polled until AVAILABLE, and the post references it with the post's title.
func TestPublishVideo(t *testing.T) {
	fake := linkedintest.Start(t, linkedintest.Options{VideoProcessing: 2})
	data := bytes.Repeat([]byte("0123456789abcdef"), (2*linkedintest.VideoPart+linkedintest.VideoPart/2)/16)
	m := publish.Media{ContentType: "video/mp4", Size: int64(len(data)), DurationMS: 12_000,
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
	res, err := connector(fake).Publish(context.Background(), account(t, linkedintest.MemberURN(), fake.Issue(memberScopes...), nil),
		publish.Post{Key: "k", Title: "Spring film", Text: "Our film", Media: []publish.Media{m}})
	require.NoError(t, err)
	posts := fake.Posts()
	require.Len(t, posts, 1)
	require.Equal(t, res.RemoteID, posts[0].URN)
	require.Equal(t, "Spring film", posts[0].VideoTitle)
	vids := fake.Videos()
	require.Len(t, vids, 1)
	require.Equal(t, posts[0].Video, vids[0].URN)
	require.True(t, vids[0].Finalized)
	require.Equal(t, len(data), vids[0].Bytes)
	require.Equal(t, 3, vids[0].Parts)
	require.Equal(t, 3, fake.Calls("PUT /dms-uploads"))
	require.Equal(t, 3, fake.Calls("GET /rest/videos/:urn"), "polled until AVAILABLE")
}

func TestCommentary(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text, nothing to do.", "plain text, nothing to do."},
		{"(a) [b] {c}", `\(a\) \[b\] \{c\}`},
		{"@anna <b> a|b ~x~ *bold* _it_ back\\slash", `\@anna \<b\> a\|b \~x\~ \*bold\* \_it\_ back\\slash`},
		{"#Spring sale", "{hashtag|#|Spring} sale"},
		{"(#Noël) #2026", `\({hashtag|#|Noël}\) {hashtag|#|2026}`},
		{"issue#4 and # alone and #_x", `issue\#4 and \# alone and \#\_x`},
		{"#tag_two", `{hashtag|#|tag}\_two`},
		{"emoji 🍪 (ok)", `emoji 🍪 \(ok\)`},
		{"see https://brand.example/#spring and #spring", `see https://brand.example/\#spring and {hashtag|#|spring}`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got := linkedin.Commentary(tc.in)
			require.Equal(t, tc.want, got)
			shown, _ := linkedintest.Render(got)
			require.Equal(t, tc.in, shown, "LinkedIn shows exactly the text")
		})
	}
	// Unescaped, LinkedIn cuts the text at the first reserved character.
	shown, _ := linkedintest.Render("Hello (world)")
	require.Equal(t, "Hello ", shown)
}

func TestRefreshOnUnauthorized(t *testing.T) {
	ctx := context.Background()
	t.Run("partner app: 401, refresh, success", func(t *testing.T) {
		fake := linkedintest.Start(t, linkedintest.Options{RefreshTokens: true})
		tok := fake.Issue(memberScopes...)
		sv := &saved{}
		acct := account(t, linkedintest.MemberURN(), tok, sv)
		fake.ExpireTokens() // LinkedIn says expired before our clock does
		res, err := connector(fake).Publish(ctx, acct, publish.Post{Key: "k", Text: "after refresh", Media: []publish.Media{pngMedia(t, "", 5)}})
		require.NoError(t, err)
		require.NotEmpty(t, res.RemoteID)
		require.Equal(t, 1, fake.Calls("POST /oauth/v2/accessToken"), "refreshed once")
		require.Len(t, sv.creds, 1, "the refreshed token was saved before use")
		var next linkedin.Credentials
		require.NoError(t, json.Unmarshal(sv.creds[0], &next))
		require.NotEqual(t, tok.AccessToken, next.AccessToken)
		require.Equal(t, tok.RefreshToken, next.RefreshToken, "LinkedIn keeps the refresh token")
		require.Equal(t, linkedintest.MemberURN(), next.Author)
		require.Len(t, fake.Posts(), 1)
	})
	t.Run("partner app: 401 on the create, refresh, one post", func(t *testing.T) {
		fake := linkedintest.Start(t, linkedintest.Options{RefreshTokens: true})
		fake.Fail("POST /rest/posts", linkedintest.Fault{Status: 401, Body: `{"status":401,"serviceErrorCode":65602,"code":"EXPIRED_ACCESS_TOKEN","message":"The token used in the request has expired"}`})
		acct := account(t, linkedintest.MemberURN(), fake.Issue(memberScopes...), &saved{})
		_, err := connector(fake).Publish(ctx, acct, publish.Post{Key: "k", Text: "create refreshed"})
		require.NoError(t, err)
		require.Equal(t, 1, fake.Calls("POST /oauth/v2/accessToken"))
		require.Equal(t, 2, fake.Calls("POST /rest/posts"))
		require.Len(t, fake.Posts(), 1)
	})
	t.Run("no refresh token: 401 is auth", func(t *testing.T) {
		fake := linkedintest.Start(t, linkedintest.Options{})
		sv := &saved{}
		acct := account(t, linkedintest.MemberURN(), fake.Issue(memberScopes...), sv)
		fake.ExpireTokens()
		_, err := connector(fake).Publish(ctx, acct, publish.Post{Key: "k", Text: "x"})
		var pe *publish.Error
		require.ErrorAs(t, err, &pe)
		require.Equal(t, publish.KindAuth, pe.Kind)
		require.Contains(t, pe.Message, "EXPIRED_ACCESS_TOKEN")
		require.Contains(t, pe.Message, "reconnect")
		require.Zero(t, fake.Calls("POST /oauth/v2/accessToken"))
		require.Empty(t, sv.creds)
		require.Empty(t, fake.Posts())
	})
	t.Run("partner app, revoked: refresh refused is auth", func(t *testing.T) {
		fake := linkedintest.Start(t, linkedintest.Options{RefreshTokens: true})
		acct := account(t, linkedintest.MemberURN(), fake.Issue(memberScopes...), nil)
		fake.RevokeTokens()
		_, err := connector(fake).Publish(ctx, acct, publish.Post{Key: "k", Text: "x"})
		var pe *publish.Error
		require.ErrorAs(t, err, &pe)
		require.Equal(t, publish.KindAuth, pe.Kind, pe.Error())
		require.Contains(t, pe.Message, "refresh")
		require.Equal(t, 1, fake.Calls("POST /oauth/v2/accessToken"))
		require.Empty(t, fake.Posts())
	})
	t.Run("expired by our clock, no refresh token: no call", func(t *testing.T) {
		fake := linkedintest.Start(t, linkedintest.Options{})
		tok := fake.Issue(memberScopes...)
		tok.ExpiresIn = -10
		_, err := connector(fake).Publish(ctx, account(t, linkedintest.MemberURN(), tok, nil), publish.Post{Key: "k", Text: "x"})
		require.Equal(t, publish.KindAuth, publish.KindOf(err))
		require.Zero(t, fake.Calls("POST /rest/posts"))
	})
}

func TestPublishErrors(t *testing.T) {
	ctx := context.Background()
	untilMidnight := func() time.Duration {
		u := time.Now().UTC()
		return time.Date(u.Year(), u.Month(), u.Day()+1, 0, 0, 0, 0, time.UTC).Sub(time.Now())
	}
	for _, tc := range []struct {
		name       string
		route      string
		fault      linkedintest.Fault
		scopes     []string
		images     int
		kind       publish.Kind
		retryAfter time.Duration // about
		message    string
	}{
		{name: "429 Retry-After", route: "POST /rest/posts", fault: linkedintest.TooManyRequests("120"), kind: publish.KindRateLimit, retryAfter: 120 * time.Second, message: "APPLICATION DAY limit"},
		{name: "429 daily, no Retry-After", route: "POST /rest/posts", fault: linkedintest.TooManyRequests(""), kind: publish.KindRateLimit, retryAfter: untilMidnight()},
		{name: "429 no hint", route: "POST /rest/images", fault: linkedintest.Fault{Status: 429, Body: `{"status":429,"message":"Too many requests"}`}, images: 1,
			kind: publish.KindRateLimit, retryAfter: linkedin.DefaultRateLimitWait},
		{name: "503 on create", route: "POST /rest/posts", fault: linkedintest.ServerError(503), kind: publish.KindRetryable},
		{name: "500 on image upload", route: "PUT /dms-uploads", fault: linkedintest.ServerError(500), images: 1, kind: publish.KindRetryable},
		{name: "500 on image status", route: "GET /rest/images/:urn", fault: linkedintest.ServerError(500), images: 1, kind: publish.KindRetryable},
		{name: "504 on create is ambiguous", route: "POST /rest/posts", fault: linkedintest.ServerError(504), kind: publish.KindAmbiguous},
		{name: "403 without w_member_social", scopes: []string{"openid", "profile"}, kind: publish.KindAuth, message: "ACCESS_DENIED"},
		{name: "422", route: "POST /rest/posts", fault: linkedintest.Fault{Status: 422, Body: `{"status":422,"code":"INVALID_VALUE","message":"/commentary :: invalid"}`},
			kind: publish.KindPermanent, message: "/commentary :: invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := linkedintest.Start(t, linkedintest.Options{})
			if tc.route != "" {
				fake.Fail(tc.route, tc.fault)
			}
			scopes := tc.scopes
			if scopes == nil {
				scopes = memberScopes
			}
			var media []publish.Media
			for i := range tc.images {
				media = append(media, pngMedia(t, "", uint8(i)))
			}
			_, err := connector(fake).Publish(ctx, account(t, linkedintest.MemberURN(), fake.Issue(scopes...), nil),
				publish.Post{Key: "k", Text: "hello", Media: media})
			var pe *publish.Error
			require.ErrorAs(t, err, &pe)
			require.Equal(t, tc.kind, pe.Kind, pe.Error())
			require.Equal(t, "linkedin", pe.Network)
			require.InDelta(t, tc.retryAfter.Seconds(), pe.RetryAfter.Seconds(), 5)
			require.Contains(t, pe.Message, tc.message)
			require.NotContains(t, pe.Error(), "AQV", "no token in messages")
			require.Empty(t, fake.Posts())
		})
	}

	t.Run("422 duplicate", func(t *testing.T) {
		fake := linkedintest.Start(t, linkedintest.Options{})
		c, acct := connector(fake), account(t, linkedintest.MemberURN(), fake.Issue(memberScopes...), nil)
		_, err := c.Publish(ctx, acct, publish.Post{Key: "k1", Text: "Same words"})
		require.NoError(t, err)
		_, err = c.Publish(ctx, acct, publish.Post{Key: "k2", Text: "Same words"})
		var pe *publish.Error
		require.ErrorAs(t, err, &pe)
		require.Equal(t, publish.KindPermanent, pe.Kind)
		require.Contains(t, pe.Message, "Content is a duplicate of urn:li:share:")
		require.Len(t, fake.Posts(), 1)
	})
}

// The create is processed and its answer lost: the outcome is ambiguous, never retried
// by the connector, and LinkedIn holds exactly one post. A lost answer before the create
// (an image upload) is retryable: nothing is visible.
func TestLostAnswer(t *testing.T) {
	ctx := context.Background()
	fake := linkedintest.Start(t, linkedintest.Options{})
	acct := account(t, linkedintest.MemberURN(), fake.Issue(memberScopes...), nil)
	fake.LoseAnswer("POST /rest/posts", 1)
	_, err := connector(fake).Publish(ctx, acct, publish.Post{Key: "k", Text: "lost", Media: []publish.Media{pngMedia(t, "", 1)}})
	var pe *publish.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, publish.KindAmbiguous, pe.Kind, pe.Error())
	require.Len(t, fake.Posts(), 1)
	require.Equal(t, 1, fake.Calls("POST /rest/posts"))

	fake2 := linkedintest.Start(t, linkedintest.Options{})
	acct2 := account(t, linkedintest.MemberURN(), fake2.Issue(memberScopes...), nil)
	fake2.LoseAnswer("POST /rest/images", 1)
	_, err = connector(fake2).Publish(ctx, acct2, publish.Post{Key: "k", Text: "lost", Media: []publish.Media{pngMedia(t, "", 1)}})
	require.Equal(t, publish.KindRetryable, publish.KindOf(err), "%v", err)
	require.Empty(t, fake2.Posts())
}

func TestRetiredVersion(t *testing.T) {
	fake := linkedintest.Start(t, linkedintest.Options{})
	c := connector(fake)
	c.Version = "202401"
	_, err := c.Publish(context.Background(), account(t, linkedintest.MemberURN(), fake.Issue(memberScopes...), nil), publish.Post{Key: "k", Text: "x"})
	var pe *publish.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, publish.KindPermanent, pe.Kind)
	require.Contains(t, pe.Message, "LinkedIn no longer serves API version 202401")
	require.Contains(t, pe.Message, "NONEXISTENT_VERSION")
	require.Contains(t, pe.Message, "GREENLIGHT_LINKEDIN_VERSION")
	require.Empty(t, fake.Posts())

	c.Version = "202610" // one setting change
	_, err = c.Publish(context.Background(), account(t, linkedintest.MemberURN(), fake.Issue(memberScopes...), nil), publish.Post{Key: "k", Text: "x"})
	require.NoError(t, err)
	require.Equal(t, "202610", fake.Versions()[len(fake.Versions())-1])
}

func TestValidate(t *testing.T) {
	img := func(ct string, w, h int, alt string) publish.Media {
		return publish.Media{ContentType: ct, Width: w, Height: h, Alt: alt, Size: 100}
	}
	vid := func(ct string, size, ms int64) publish.Media {
		return publish.Media{ContentType: ct, Size: size, DurationMS: ms}
	}
	many := func(n int) []publish.Media {
		out := make([]publish.Media, n)
		for i := range out {
			out[i] = img("image/jpeg", 100, 100, "")
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		post  publish.Post
		rule  string
		valid bool
	}{
		{name: "3000 characters", post: publish.Post{Text: strings.Repeat("a", 3000)}, valid: true},
		{name: "3001 characters", post: publish.Post{Text: strings.Repeat("a", 3001)}, rule: "text_length"},
		{name: "emoji count two", post: publish.Post{Text: strings.Repeat("🍪", 1501)}, rule: "text_length"},
		{name: "reserved characters do not count their escapes", post: publish.Post{Text: strings.Repeat("(", 3000)}, valid: true},
		{name: "empty", post: publish.Post{Text: "  "}, rule: "text_length"},
		{name: "image only", post: publish.Post{Media: many(1)}, valid: true},
		{name: "20 images", post: publish.Post{Text: "x", Media: many(20)}, valid: true},
		{name: "21 images", post: publish.Post{Text: "x", Media: many(21)}, rule: "media_count"},
		{name: "webp", post: publish.Post{Text: "x", Media: []publish.Media{img("image/webp", 10, 10, "")}}, rule: "media_type"},
		{name: "video alone", post: publish.Post{Text: "x", Media: []publish.Media{vid("video/mp4", 1<<20, 10_000)}}, valid: true},
		{name: "quicktime video", post: publish.Post{Text: "x", Media: []publish.Media{vid("video/quicktime", 1<<20, 10_000)}}, rule: "media_type"},
		{name: "video too small", post: publish.Post{Text: "x", Media: []publish.Media{vid("video/mp4", 1000, 10_000)}}, rule: "media_size"},
		{name: "video too large", post: publish.Post{Text: "x", Media: []publish.Media{vid("video/mp4", 501<<20, 10_000)}}, rule: "media_size"},
		{name: "video too short", post: publish.Post{Text: "x", Media: []publish.Media{vid("video/mp4", 1<<20, 2_000)}}, rule: "video_duration"},
		{name: "video too long", post: publish.Post{Text: "x", Media: []publish.Media{vid("video/mp4", 1<<20, 31*60_000)}}, rule: "video_duration"},
		{name: "two videos", post: publish.Post{Text: "x", Media: []publish.Media{vid("video/mp4", 1<<20, 10_000), vid("video/mp4", 1<<20, 10_000)}}, rule: "media_count"},
		{name: "video and image", post: publish.Post{Text: "x", Media: []publish.Media{vid("video/mp4", 1<<20, 10_000), img("image/png", 10, 10, "")}}, rule: "media_mix"},
		{name: "too many pixels", post: publish.Post{Text: "x", Media: []publish.Media{img("image/png", 7000, 6000, "")}}, rule: "image_size"},
		{name: "long alt text", post: publish.Post{Text: "x", Media: []publish.Media{img("image/png", 10, 10, strings.Repeat("a", 4087))}}, rule: "alt_text_length"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := (&linkedin.Connector{}).Validate(context.Background(), publish.Account{}, tc.post)
			if tc.valid {
				require.NoError(t, err)
				return
			}
			var re *publish.RuleError
			require.ErrorAs(t, err, &re)
			require.Equal(t, tc.rule, re.Rule)
		})
	}

	// Publish checks the same rules before any call.
	fake := linkedintest.Start(t, linkedintest.Options{})
	_, err := connector(fake).Publish(context.Background(), account(t, linkedintest.MemberURN(), fake.Issue(memberScopes...), nil),
		publish.Post{Key: "k", Text: "x", Media: many(21)})
	require.Equal(t, publish.KindPermanent, publish.KindOf(err))
	require.Zero(t, fake.Calls("POST /rest/images"))
}

// browse follows the authorization URL as a consenting member's browser would and
// returns the query of the redirect back to Greenlight.
func browse(t *testing.T, authorize string) url.Values {
	t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(authorize)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "https://greenlight.example/oauth/callback/linkedin", loc.Scheme+"://"+loc.Host+loc.Path)
	return loc.Query()
}

func TestProvider(t *testing.T) {
	ctx := context.Background()
	const redirect = "https://greenlight.example/oauth/callback/linkedin"
	analyst := linkedintest.Organization{ID: "9000001", Name: "Someone Else", Vanity: "else", Role: "ANALYST"}
	requested := linkedintest.Organization{ID: "9000002", Name: "Pending", Vanity: "pending", State: "REQUESTED"}
	for _, tc := range []struct {
		name          string
		organizations bool
		opts          linkedintest.Options
		identities    []string // kind:id:handle:name
		reconnectIn   time.Duration
	}{
		{name: "member only", opts: linkedintest.Options{CommunityManagement: true},
			identities: []string{"member:urn:li:person:" + linkedintest.MemberSub + ":Ana Martin:Ana Martin"}, reconnectIn: linkedintest.AccessTTL},
		{name: "member and administered pages", organizations: true,
			opts: linkedintest.Options{CommunityManagement: true, RefreshTokens: true, Organizations: []linkedintest.Organization{linkedintest.DefaultOrganization, analyst, requested}},
			identities: []string{
				"member:urn:li:person:" + linkedintest.MemberSub + ":Ana Martin:Ana Martin",
				"organization:urn:li:organization:2414183:biscuits-martin:Biscuits Martin",
			}, reconnectIn: linkedintest.RefreshTTL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := linkedintest.Start(t, tc.opts)
			p := &linkedin.Provider{HTTP: http.DefaultClient, AuthURL: fake.URL, APIURL: fake.URL, Organizations: tc.organizations}
			require.Equal(t, "linkedin", p.Network())
			require.False(t, p.PKCE())
			u := p.AuthorizeURL(app, redirect, "st4te", "")
			require.True(t, strings.HasPrefix(u, fake.URL+"/oauth/v2/authorization?"))
			back := browse(t, u)
			require.Equal(t, "st4te", back.Get("state"))
			require.NotEmpty(t, back.Get("code"), back.Encode())

			tok, err := p.Exchange(ctx, app, redirect, back.Get("code"), "")
			require.NoError(t, err)
			require.NotEmpty(t, tok.AccessToken)
			require.WithinDuration(t, time.Now().Add(linkedintest.AccessTTL), tok.ExpiresAt, time.Minute)
			require.Equal(t, tc.opts.RefreshTokens, tok.RefreshToken != "")

			_, err = p.Exchange(ctx, app, redirect, back.Get("code"), "")
			require.Equal(t, publish.KindAuth, publish.KindOf(err), "a code works once")

			ids, err := p.Identities(ctx, app, tok)
			require.NoError(t, err)
			var got []string
			for _, id := range ids {
				got = append(got, id.Kind+":"+id.ID+":"+id.Handle+":"+id.Name)
				var cred linkedin.Credentials
				require.NoError(t, json.Unmarshal(id.Credentials, &cred))
				require.Equal(t, id.ID, cred.Author)
				require.Equal(t, tok.AccessToken, cred.AccessToken)
				require.Equal(t, linkedintest.MemberURN(), cred.Member)
				require.WithinDuration(t, time.Now().Add(tc.reconnectIn), id.ReconnectBy, time.Minute)
			}
			require.Equal(t, tc.identities, got)

			// Each identity publishes as itself.
			for _, id := range ids {
				acct := publish.Account{ID: "a", Network: "linkedin", Credentials: id.Credentials}
				_, err := connector(fake).Publish(ctx, acct, publish.Post{Key: "k", Text: "as " + id.Name})
				require.NoError(t, err)
			}
			require.Len(t, fake.Posts(), len(ids))
		})
	}

	t.Run("scopes", func(t *testing.T) {
		require.Equal(t, []string{"openid", "profile", "w_member_social"}, (&linkedin.Provider{}).Scopes())
		require.Equal(t, []string{"openid", "profile", "w_member_social", "w_organization_social", "r_organization_admin"},
			(&linkedin.Provider{Organizations: true}).Scopes())
		u, err := url.Parse((&linkedin.Provider{}).AuthorizeURL(app, redirect, "s", ""))
		require.NoError(t, err)
		require.Equal(t, "https://www.linkedin.com/oauth/v2/authorization", u.Scheme+"://"+u.Host+u.Path)
		require.Equal(t, "openid profile w_member_social", u.Query().Get("scope"))
		require.Equal(t, linkedintest.ClientID, u.Query().Get("client_id"))
	})

	t.Run("organization scopes on an app without Community Management", func(t *testing.T) {
		fake := linkedintest.Start(t, linkedintest.Options{})
		p := &linkedin.Provider{AuthURL: fake.URL, APIURL: fake.URL, Organizations: true}
		back := browse(t, p.AuthorizeURL(app, redirect, "s", ""))
		require.Equal(t, "unauthorized_scope_error", back.Get("error"))
		require.Equal(t, "s", back.Get("state"))
	})

	t.Run("expired code", func(t *testing.T) {
		fake := linkedintest.Start(t, linkedintest.Options{})
		p := &linkedin.Provider{AuthURL: fake.URL, APIURL: fake.URL}
		back := browse(t, p.AuthorizeURL(app, redirect, "s", ""))
		fake.Advance(linkedintest.CodeTTL + time.Minute)
		_, err := p.Exchange(ctx, app, redirect, back.Get("code"), "")
		var pe *publish.Error
		require.ErrorAs(t, err, &pe)
		require.Equal(t, publish.KindAuth, pe.Kind)
		require.Contains(t, pe.Message, "authorization code expired")
	})
}

func TestKeepFresh(t *testing.T) {
	ctx := context.Background()
	t.Run("partner: refreshed ahead of expiry", func(t *testing.T) {
		fake := linkedintest.Start(t, linkedintest.Options{RefreshTokens: true})
		tok := fake.Issue(memberScopes...)
		sv := &saved{}
		acct := account(t, linkedintest.MemberURN(), tok, sv)
		c := connector(fake)

		by, err := c.KeepFresh(ctx, acct, 24*time.Hour) // 60 days left: nothing to do
		require.NoError(t, err)
		require.WithinDuration(t, time.Now().Add(linkedintest.RefreshTTL), by, time.Minute)
		require.Zero(t, fake.Calls("POST /oauth/v2/accessToken"))

		by, err = c.KeepFresh(ctx, acct, 61*24*time.Hour)
		require.NoError(t, err)
		require.WithinDuration(t, time.Now().Add(linkedintest.RefreshTTL), by, time.Minute, "the refresh token keeps its expiry")
		require.Equal(t, 1, fake.Calls("POST /oauth/v2/accessToken"))
		require.Len(t, sv.creds, 1)
		var next linkedin.Credentials
		require.NoError(t, json.Unmarshal(sv.creds[0], &next))
		require.NotEqual(t, tok.AccessToken, next.AccessToken)
	})
	t.Run("refreshed meanwhile by another process", func(t *testing.T) {
		fake := linkedintest.Start(t, linkedintest.Options{RefreshTokens: true})
		old := account(t, linkedintest.MemberURN(), fake.Issue(memberScopes...), nil)
		fresh := account(t, linkedintest.MemberURN(), fake.Issue(memberScopes...), nil)
		old.Credentials = mustExpireSoon(t, old.Credentials)
		old.Refresh = func(ctx context.Context, fn func([]byte) ([]byte, error)) ([]byte, error) {
			return fn(fresh.Credentials) // the store holds what the other process stored
		}
		_, err := connector(fake).KeepFresh(ctx, old, time.Hour)
		require.NoError(t, err)
		require.Zero(t, fake.Calls("POST /oauth/v2/accessToken"))
	})
	t.Run("no refresh token: reconnect by the token's expiry", func(t *testing.T) {
		fake := linkedintest.Start(t, linkedintest.Options{})
		acct := account(t, linkedintest.MemberURN(), fake.Issue(memberScopes...), nil)
		by, err := connector(fake).KeepFresh(ctx, acct, 61*24*time.Hour)
		require.NoError(t, err)
		require.WithinDuration(t, time.Now().Add(linkedintest.AccessTTL), by, time.Minute)
		require.Zero(t, fake.Calls("POST /oauth/v2/accessToken"))
	})
	t.Run("revoked: auth", func(t *testing.T) {
		fake := linkedintest.Start(t, linkedintest.Options{RefreshTokens: true})
		acct := account(t, linkedintest.MemberURN(), fake.Issue(memberScopes...), nil)
		fake.RevokeTokens()
		_, err := connector(fake).KeepFresh(ctx, acct, 61*24*time.Hour)
		require.Equal(t, publish.KindAuth, publish.KindOf(err))
	})
}

func mustExpireSoon(t *testing.T, raw []byte) []byte {
	var c linkedin.Credentials
	require.NoError(t, json.Unmarshal(raw, &c))
	c.ExpiresAt = time.Now().Add(time.Minute)
	out, err := json.Marshal(c)
	require.NoError(t, err)
	return out
}

// The member's token goes only to LinkedIn's hosts: an upload URL elsewhere gets the bytes
// without it.
func TestTokenStaysWithLinkedIn(t *testing.T) {
	var auth []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = append(auth, r.Header.Get("Authorization"))
		w.WriteHeader(201)
	}))
	t.Cleanup(other.Close)
	fake := linkedintest.Start(t, linkedintest.Options{})
	fake.Fail("POST /rest/images", linkedintest.Fault{Status: 200, Body: `{"value":{"uploadUrl":"` + other.URL + `/up","image":"urn:li:image:X"}}`})
	_, err := connector(fake).Publish(context.Background(), account(t, linkedintest.MemberURN(), fake.Issue(memberScopes...), nil),
		publish.Post{Key: "k", Text: "x", Media: []publish.Media{pngMedia(t, "", 1)}})
	require.Error(t, err) // the fake knows no urn:li:image:X
	require.Equal(t, []string{""}, auth)
}
