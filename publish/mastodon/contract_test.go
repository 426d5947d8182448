package mastodon_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/internal/mastodontest"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/publish/mastodon"
)

// These tests run against the contract fake (internal/mastodontest), for what the real
// test server cannot show: Mastodon's Idempotency-Key, asynchronous media processing,
// rate-limit headers, and error answers on demand. gts_test.go runs the same connector
// against GoToSocial.

func pngBytes(t testing.TB, w, h int, shade uint8) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			img.Set(x, y, color.RGBA{R: shade, G: uint8(x * 7), B: uint8(y * 13), A: 255})
		}
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

func account(t testing.TB, instance, token string) publish.Account {
	cred, err := json.Marshal(mastodon.Credentials{AccessToken: token})
	require.NoError(t, err)
	return publish.Account{ID: "acc_1", Network: "mastodon", ServiceURL: instance, Credentials: cred}
}

func imageMedia(t testing.TB, alt string) publish.Media {
	data := pngBytes(t, 32, 24, 90)
	return publish.Media{ID: "med_1", SHA256: "abcdef0123456789abcdef", ContentType: "image/png", Size: int64(len(data)), Width: 32, Height: 24, Alt: alt,
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

func connector() *mastodon.Connector {
	c := mastodon.NewConnector(&http.Client{Timeout: 10 * time.Second})
	c.PollInterval = 5 * time.Millisecond
	return c
}

// A post with an image the server processes asynchronously (202, then 206 twice): the
// connector uploads with the alt text, polls until the media has a URL, then creates one
// status with the key as Idempotency-Key. Publishing the same post again (a retry after a
// lost answer) answers the same status and creates no other.
func TestPublishIsIdempotentUnderTheKey(t *testing.T) {
	fake := mastodontest.Start(t, mastodontest.Options{Processing: 2})
	c := connector()
	ctx := context.Background()
	acct := account(t, fake.URL, fake.Token)
	p := publish.Post{Key: "post/p1/v2/publish/mastodon", PostID: "p1", Version: 2, Channel: "mastodon",
		Text: "Spring collection https://brand.example/spring", Media: []publish.Media{imageMedia(t, "A red coat")}}

	res, err := c.Publish(ctx, acct, p)
	require.NoError(t, err)
	require.NotEmpty(t, res.RemoteID)
	require.Equal(t, fake.URL+"/@brand/"+res.RemoteID, res.URL)
	sts := fake.Statuses()
	require.Len(t, sts, 1)
	require.Equal(t, p.Text, sts[0].Text)
	require.Equal(t, p.Key, sts[0].IdempotencyKey)
	require.Len(t, sts[0].MediaIDs, 1)
	desc, ct, size, ok := fake.Media(sts[0].MediaIDs[0])
	require.True(t, ok)
	require.Equal(t, "A red coat", desc)
	require.Equal(t, "image/png", ct)
	require.Positive(t, size)
	require.Equal(t, 3, fake.Calls("GET /api/v1/media/:id"), "polled until processed")

	again, err := c.Publish(ctx, acct, p)
	require.NoError(t, err)
	require.Equal(t, res, again)
	require.Len(t, fake.Statuses(), 1, "the same Idempotency-Key makes no second status")
	require.Equal(t, 2, fake.Calls("POST /api/v1/statuses"))
}

// Error answers map to the publishing layer's kinds.
func TestPublishErrorsAreClassified(t *testing.T) {
	reset := time.Now().Add(90 * time.Second).UTC().Format(time.RFC3339)
	cases := []struct {
		name       string
		route      string
		fault      mastodontest.Fault
		token      string
		kind       publish.Kind
		retryAfter time.Duration // at least
		message    string
	}{
		{name: "429 Retry-After", route: "POST /api/v1/statuses", fault: mastodontest.Fault{Status: 429, Header: http.Header{"Retry-After": {"120"}}, Body: `{"error":"Too many requests"}`},
			kind: publish.KindRateLimit, retryAfter: 120 * time.Second, message: "Too many requests"},
		{name: "429 X-RateLimit-Reset", route: "POST /api/v1/statuses", fault: mastodontest.Fault{Status: 429, Header: http.Header{"X-Ratelimit-Reset": {reset}, "X-Ratelimit-Remaining": {"0"}}, Body: `{"error":"Too many requests"}`},
			kind: publish.KindRateLimit, retryAfter: 85 * time.Second},
		{name: "429 on upload", route: "POST /api/v2/media", fault: mastodontest.Fault{Status: 429, Header: http.Header{"Retry-After": {"30"}}, Body: `{"error":"Too many requests"}`},
			kind: publish.KindRateLimit, retryAfter: 30 * time.Second},
		{name: "revoked token", token: "revoked", kind: publish.KindAuth, message: "The access token is invalid"},
		{name: "403", route: "POST /api/v1/statuses", fault: mastodontest.Fault{Status: 403, Body: `{"error":"This action is outside the authorized scopes"}`}, kind: publish.KindAuth},
		{name: "422", route: "POST /api/v1/statuses", fault: mastodontest.Fault{Status: 422, Body: `{"error":"Validation failed: Text character limit of 500 exceeded"}`},
			kind: publish.KindPermanent, message: "Validation failed: Text character limit of 500 exceeded"},
		{name: "503", route: "POST /api/v1/statuses", fault: mastodontest.Fault{Status: 503, Body: `<html>busy</html>`}, kind: publish.KindRetryable},
		{name: "500 on upload", route: "POST /api/v2/media", fault: mastodontest.Fault{Status: 500, Body: `{"error":"boom"}`}, kind: publish.KindRetryable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := mastodontest.Start(t, mastodontest.Options{})
			if tc.route != "" {
				fake.Fail(tc.route, tc.fault)
			}
			token := fake.Token
			if tc.token != "" {
				token = tc.token
			}
			_, err := connector().Publish(context.Background(), account(t, fake.URL, token),
				publish.Post{Key: "post/p/v1/publish/mastodon", Text: "hello", Media: []publish.Media{imageMedia(t, "")}})
			require.Error(t, err)
			var pe *publish.Error
			require.ErrorAs(t, err, &pe)
			require.Equal(t, tc.kind, pe.Kind, pe.Error())
			require.Equal(t, "mastodon", pe.Network)
			require.GreaterOrEqual(t, pe.RetryAfter, tc.retryAfter)
			require.LessOrEqual(t, pe.RetryAfter, tc.retryAfter+5*time.Second)
			require.Contains(t, pe.Message, tc.message)
			require.Empty(t, fake.Statuses())
		})
	}
}

// Validate reads the instance's own limits (v2, or v1 on an old server), caches them, and
// counts as Mastodon does: a URL is 23 characters whatever its length.
func TestValidateUsesTheInstanceLimits(t *testing.T) {
	ctx := context.Background()
	long := strings.Repeat("a", 600)
	for _, tc := range []struct {
		name string
		opts mastodontest.Options
		text string
		rule string
	}{
		{name: "600 characters on a 500 instance", opts: mastodontest.Options{}, text: long, rule: "text_length"},
		{name: "600 characters on a 1000 instance", opts: mastodontest.Options{MaxCharacters: 1000}, text: long},
		{name: "v1 instance", opts: mastodontest.Options{NoV2Instance: true, MaxCharacters: 100}, text: long[:101], rule: "text_length"},
		{name: "a long URL counts 23", opts: mastodontest.Options{MaxCharacters: 40}, text: "See https://brand.example/" + long[:200] + " now"},
		{name: "graphemes", opts: mastodontest.Options{MaxCharacters: 3}, text: "e\u0301👨‍👩‍👧!"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := mastodontest.Start(t, tc.opts)
			c := connector()
			err := c.Validate(ctx, account(t, fake.URL, fake.Token), publish.Post{Text: tc.text})
			if tc.rule == "" {
				require.NoError(t, err)
			} else {
				var re *publish.RuleError
				require.ErrorAs(t, err, &re)
				require.Equal(t, tc.rule, re.Rule)
			}
			require.NoError(t, c.Validate(ctx, account(t, fake.URL, fake.Token), publish.Post{Text: "ok"}))
			require.Equal(t, 1, fake.Calls("GET /api/v2/instance"), "limits are cached")
		})
	}

	fake := mastodontest.Start(t, mastodontest.Options{MaxMedia: 2})
	acct := account(t, fake.URL, fake.Token)
	three := []publish.Media{imageMedia(t, ""), imageMedia(t, ""), imageMedia(t, "")}
	var re *publish.RuleError
	require.ErrorAs(t, connector().Validate(ctx, acct, publish.Post{Text: "x", Media: three}), &re)
	require.Equal(t, "media_count", re.Rule)
	mov := publish.Media{ContentType: "video/quicktime", Size: 10}
	require.ErrorAs(t, connector().Validate(ctx, acct, publish.Post{Text: "x", Media: []publish.Media{mov}}), &re)
	require.Equal(t, "media_type", re.Rule)
	mix := []publish.Media{imageMedia(t, ""), {ContentType: "video/mp4", Size: 10}}
	require.ErrorAs(t, connector().Validate(ctx, acct, publish.Post{Text: "x", Media: mix}), &re)
	require.Equal(t, "media_mix", re.Rule)
	big := publish.Media{ContentType: "image/png", Size: 17 << 20}
	require.ErrorAs(t, connector().Validate(ctx, acct, publish.Post{Text: "x", Media: []publish.Media{big}}), &re)
	require.Equal(t, "media_size", re.Rule)

	// Publish checks the same rules before any upload.
	_, err := connector().Publish(ctx, acct, publish.Post{Key: "k", Text: "x", Media: three})
	require.Equal(t, publish.KindPermanent, publish.KindOf(err))
	require.Zero(t, fake.Calls("POST /api/v2/media"))
}

func TestCountCharacters(t *testing.T) {
	for _, tc := range []struct {
		text string
		want int
	}{
		{"hello", 5},
		{"https://example.com/a/very/long/path/that/goes/on", 23},
		{"read https://example.com.", 5 + 23 + 1},
		{"hi @alice@social.example!", 3 + 6 + 1},
		{"e\u0301", 1},
		{"👨‍👩‍👧", 1},
	} {
		require.Equal(t, tc.want, mastodon.CountCharacters(tc.text, 23), tc.text)
	}
}
