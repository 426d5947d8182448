package x_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/internal/xtest"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/publish/x"
)

// These tests run the connector against the contract fake (internal/xtest): X cannot be
// reached from here and has no test server.

const scope = "tweet.read tweet.write users.read offline.access media.write"

func newConnector(fake *xtest.Server) *x.Connector {
	c := x.New(&http.Client{Timeout: 10 * time.Second}, publish.OAuthApp{ClientID: fake.ClientID, ClientSecret: fake.ClientSecret})
	c.AuthURL, c.APIURL, c.UploadURL = fake.URL, fake.URL, fake.URL
	c.PollInterval = time.Millisecond
	c.ChunkSize = 1024
	return c
}

// saved records what the connector stored.
type saved struct{ creds [][]byte }

// account returns an account with fresh tokens from the fake whose credentials say the
// access token expires at expires; Save appends to s.
func account(t testing.TB, fake *xtest.Server, expires time.Time, s *saved) publish.Account {
	access, refresh := fake.Grant(scope, time.Now().Add(2*time.Hour))
	cred, err := json.Marshal(x.Credentials{AccessToken: access, RefreshToken: refresh, ExpiresAt: expires, UserID: xtest.UserID, Username: xtest.Username})
	require.NoError(t, err)
	a := publish.Account{ID: "acc_x1", Network: "x", Handle: "@" + xtest.Username, Credentials: cred}
	if s != nil {
		a.Save = func(_ context.Context, b []byte) error {
			s.creds = append(s.creds, b)
			return nil
		}
	}
	return a
}

func credsOf(t testing.TB, b []byte) x.Credentials {
	var c x.Credentials
	require.NoError(t, json.Unmarshal(b, &c))
	return c
}

func file(contentType string, data []byte, alt string) publish.Media {
	return publish.Media{ContentType: contentType, Size: int64(len(data)), Alt: alt,
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

func blob(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i%251)
	}
	return b
}

// Text, images with alt text, a GIF and a video (chunked, processed asynchronously): the
// media are uploaded first, then one tweet names them.
func TestPublish(t *testing.T) {
	cases := []struct {
		name       string
		processing int
		media      []publish.Media
		category   string
		segments   int
		alts       []string
	}{
		{name: "text"},
		{name: "images with alt", media: []publish.Media{file("image/png", blob(3000, 1), "A red coat"), file("image/jpeg", blob(2000, 2), "")},
			category: "tweet_image", segments: 1, alts: []string{"A red coat", ""}},
		{name: "gif", processing: 1, media: []publish.Media{file("image/gif", blob(1500, 3), "Dancing logo")}, category: "tweet_gif", segments: 2, alts: []string{"Dancing logo"}},
		{name: "video", processing: 2, media: []publish.Media{file("video/mp4", blob(3000, 4), "ignored: X takes no alt text on video")}, category: "tweet_video", segments: 3, alts: []string{""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := xtest.Start(t, xtest.Options{Processing: tc.processing})
			c := newConnector(fake)
			p := publish.Post{Key: "post/p1/v1/publish/x", Text: "Spring collection https://brand.example/spring " + tc.name, Media: tc.media}
			res, err := c.Publish(context.Background(), account(t, fake, time.Now().Add(time.Hour), nil), p)
			require.NoError(t, err)
			tweets := fake.Tweets()
			require.Len(t, tweets, 1)
			require.Equal(t, p.Text, tweets[0].Text)
			require.Equal(t, tweets[0].ID, res.RemoteID)
			require.Equal(t, "https://x.com/"+xtest.Username+"/status/"+res.RemoteID, res.URL)
			require.Len(t, tweets[0].MediaIDs, len(tc.media))
			for i, id := range tweets[0].MediaIDs {
				m, ok := fake.MediaByID(id)
				require.True(t, ok)
				require.Equal(t, tc.category, m.Category)
				require.Equal(t, tc.media[i].ContentType, m.ContentType)
				r, err := tc.media[i].Open()
				require.NoError(t, err)
				want, err := io.ReadAll(r)
				require.NoError(t, err)
				require.Equal(t, want, m.Data, "the file arrived whole")
				require.Equal(t, tc.segments, m.Segments)
				require.Equal(t, tc.alts[i], m.Alt)
				require.Equal(t, "succeeded", m.State)
			}
			reads := 0
			if tc.processing > 0 {
				reads = tc.processing + 1 // in_progress n times, then succeeded
			}
			require.Equal(t, reads, fake.Calls("GET /2/media/upload"), "STATUS read until processed")
			require.Zero(t, fake.Calls("POST /2/oauth2/token"), "a fresh token is not refreshed")
		})
	}
}

// X's error answers map to the publishing layer's kinds, with X's message for staff and
// never a token.
func TestPublishErrors(t *testing.T) {
	reset := time.Now().Add(90 * time.Second)
	image := []publish.Media{file("image/png", blob(100, 1), "")}
	cases := []struct {
		name       string
		route      string
		faults     []xtest.Fault
		media      []publish.Media
		refresh    string // replaces the account's refresh token
		expired    bool   // the fake refuses the access token (401)
		kind       publish.Kind
		retryAfter time.Duration // at least
		message    string
		tweets     int
	}{
		{name: "429 on create", route: "POST /2/tweets", faults: []xtest.Fault{xtest.RateLimited(reset)}, kind: publish.KindRateLimit, retryAfter: 80 * time.Second, message: "Too Many Requests"},
		{name: "429 on upload", route: "POST /2/media/upload", media: image, faults: []xtest.Fault{xtest.RateLimited(reset)}, kind: publish.KindRateLimit, retryAfter: 80 * time.Second},
		{name: "503 on create", route: "POST /2/tweets", faults: []xtest.Fault{xtest.Problem(503, "Service Unavailable", "Service Unavailable")}, kind: publish.KindRetryable},
		{name: "500 on upload", route: "POST /2/media/upload", media: image, faults: []xtest.Fault{xtest.Problem(500, "Internal Server Error", "Internal Server Error")}, kind: publish.KindRetryable},
		{name: "504 on create may have posted", route: "POST /2/tweets", faults: []xtest.Fault{{Status: 504, Body: "<html>Gateway Timeout</html>"}}, kind: publish.KindAmbiguous},
		{name: "400 invalid request", route: "POST /2/tweets", faults: []xtest.Fault{{Status: 400, Header: http.Header{"Content-Type": {"application/problem+json"}},
			Body: `{"errors":[{"parameters":{"text":[]},"message":"The Tweet contains an invalid URL."}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"}`}},
			kind: publish.KindPermanent, message: "The Tweet contains an invalid URL."},
		{name: "403 not permitted", route: "POST /2/tweets", faults: []xtest.Fault{xtest.Problem(403, "Forbidden", "You are not permitted to perform this action.")}, kind: publish.KindPermanent, message: "You are not permitted to perform this action."},
		{name: "401 twice is auth", route: "POST /2/tweets", faults: []xtest.Fault{xtest.Problem(401, "Unauthorized", "Unauthorized"), xtest.Problem(401, "Unauthorized", "Unauthorized")}, kind: publish.KindAuth},
		{name: "refused refresh is auth", expired: true, refresh: "rt-revoked", kind: publish.KindAuth, message: "Value passed for the token was invalid."},
		{name: "media that fails processing", media: []publish.Media{file("video/mp4", blob(100, 1), "")}, kind: publish.KindPermanent, message: "Invalid or Unsupported media"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := xtest.Start(t, xtest.Options{FailProcessing: strings.HasPrefix(tc.name, "media that fails")})
			c := newConnector(fake)
			acct := account(t, fake, time.Now().Add(time.Hour), nil)
			if tc.refresh != "" {
				cr := credsOf(t, acct.Credentials)
				cr.RefreshToken = tc.refresh
				acct.Credentials, _ = json.Marshal(cr)
			}
			if tc.expired {
				fake.ExpireAccessTokens()
			}
			fake.Fail(tc.route, tc.faults...)
			_, err := c.Publish(context.Background(), acct, publish.Post{Key: "k", Text: "Spring " + tc.name, Media: tc.media})
			var pe *publish.Error
			require.ErrorAs(t, err, &pe)
			require.Equal(t, tc.kind, pe.Kind, pe.Message)
			require.Equal(t, "x", pe.Network)
			require.GreaterOrEqual(t, pe.RetryAfter, tc.retryAfter)
			if tc.kind == publish.KindRateLimit {
				require.LessOrEqual(t, pe.RetryAfter, 91*time.Second, "from x-rate-limit-reset")
			}
			require.Contains(t, pe.Message, tc.message)
			cr := credsOf(t, acct.Credentials)
			require.NotContains(t, err.Error(), cr.AccessToken)
			require.NotContains(t, err.Error(), cr.RefreshToken)
			require.Len(t, fake.Tweets(), tc.tweets)
		})
	}
}

// The same text twice: X refuses the second with 403 duplicate content; a permanent failure
// that shows X's message.
func TestPublishDuplicateIsPermanent(t *testing.T) {
	fake := xtest.Start(t, xtest.Options{})
	c := newConnector(fake)
	acct := account(t, fake, time.Now().Add(time.Hour), nil)
	p := publish.Post{Key: "post/p1/v1/publish/x", Text: "Same words"}
	_, err := c.Publish(context.Background(), acct, p)
	require.NoError(t, err)
	_, err = c.Publish(context.Background(), acct, p)
	var pe *publish.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, publish.KindPermanent, pe.Kind)
	require.Contains(t, pe.Message, "You are not allowed to create a Tweet with duplicate content.")
	require.Len(t, fake.Tweets(), 1)
}

// "Request sent, response lost": X processed the create but the answer never came. Without
// an idempotency key the connector cannot know: KindAmbiguous, and exactly one tweet exists.
// A lost upload answer is harmless (nothing visible): retryable, and publishing again works.
func TestLostAnswer(t *testing.T) {
	t.Run("create", func(t *testing.T) {
		fake := xtest.Start(t, xtest.Options{})
		c := newConnector(fake)
		fake.LoseResponse("POST /2/tweets", 1)
		_, err := c.Publish(context.Background(), account(t, fake, time.Now().Add(time.Hour), nil), publish.Post{Key: "k", Text: "Launch day"})
		require.Equal(t, publish.KindAmbiguous, publish.KindOf(err), "%v", err)
		require.Len(t, fake.Tweets(), 1, "the tweet was made once")
		require.Equal(t, 1, fake.Calls("POST /2/tweets"), "never repeated by itself")
	})
	t.Run("upload", func(t *testing.T) {
		fake := xtest.Start(t, xtest.Options{})
		c := newConnector(fake)
		acct := account(t, fake, time.Now().Add(time.Hour), nil)
		p := publish.Post{Key: "k", Text: "Launch day", Media: []publish.Media{file("image/png", blob(100, 1), "")}}
		fake.LoseResponse("POST /2/media/upload", 1)
		_, err := c.Publish(context.Background(), acct, p)
		require.Equal(t, publish.KindRetryable, publish.KindOf(err), "%v", err)
		require.Empty(t, fake.Tweets())
		_, err = c.Publish(context.Background(), acct, p)
		require.NoError(t, err)
		require.Len(t, fake.Tweets(), 1)
	})
}

// A post of an image alone: no text field is sent, the tweet carries the media.
func TestPublishMediaOnly(t *testing.T) {
	fake := xtest.Start(t, xtest.Options{})
	c := newConnector(fake)
	_, err := c.Publish(context.Background(), account(t, fake, time.Now().Add(time.Hour), nil),
		publish.Post{Key: "k", Media: []publish.Media{file("image/webp", blob(64, 9), "Logo")}})
	require.NoError(t, err)
	tweets := fake.Tweets()
	require.Len(t, tweets, 1)
	require.Empty(t, tweets[0].Text)
	require.Len(t, tweets[0].MediaIDs, 1)
}

// A create that could not even connect never reached X: retryable, not ambiguous.
func TestUnreachableCreateIsRetryable(t *testing.T) {
	fake := xtest.Start(t, xtest.Options{})
	c := newConnector(fake)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	c.APIURL = "http://" + addr // nothing listens there any more
	_, err = c.Publish(context.Background(), account(t, fake, time.Now().Add(time.Hour), nil), publish.Post{Key: "k", Text: "Hello"})
	require.Equal(t, publish.KindRetryable, publish.KindOf(err), "%v", err)
	require.Empty(t, fake.Tweets())
}
