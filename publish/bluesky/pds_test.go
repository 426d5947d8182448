package bluesky

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/internal/pdstest"
)

// These tests run against the reference PDS (internal/pdstest), not a fake.

// countingTransport counts XRPC calls by method, so tests can prove what was (not) called.
type countingTransport struct {
	mu    sync.Mutex
	calls map[string]int
}

func (ct *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ct.mu.Lock()
	if ct.calls == nil {
		ct.calls = map[string]int{}
	}
	ct.calls[strings.TrimPrefix(r.URL.Path, "/xrpc/")]++
	ct.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (ct *countingTransport) count(method string) int {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	return ct.calls[method]
}

func newClient(t *testing.T, pds *pdstest.PDS) (*Client, *countingTransport) {
	ct := &countingTransport{}
	c, err := New(&http.Client{Transport: ct, Timeout: 30 * time.Second}, pds.URL)
	require.NoError(t, err)
	return c, ct
}

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

func TestPublishOnRealPDS(t *testing.T) {
	pds := pdstest.Start(t)
	ctx := context.Background()

	t.Run("wrong password", func(t *testing.T) {
		acct := pds.CreateAccount(t, "wrongpw")
		c, _ := newClient(t, pds)
		_, err := c.Login(ctx, acct.Handle, acct.Password+"x")
		require.Equal(t, KindAuth, KindOf(err), "%v", err)
	})

	t.Run("post with two images and a link, published once", func(t *testing.T) {
		acct := pds.CreateAccount(t, "alice")
		c, ct := newClient(t, pds)
		var sessions []Session
		c.OnSession = func(s Session) { sessions = append(sessions, s) }
		sess, err := c.Login(ctx, acct.Handle, acct.Password)
		require.NoError(t, err)
		require.Equal(t, acct.DID, sess.DID)
		require.Len(t, sessions, 1)

		const link = "https://example.com/menu?jour=lundi"
		text := "Café ouvert 🎉 menu: " + link + " — à bientôt."
		start := strings.Index(text, link)
		require.NotEqual(t, start, len([]rune(text[:start])), "the text must make byte and character offsets differ")
		img1, img2 := pngBytes(t, 40, 30, 10), pngBytes(t, 20, 20, 200)
		post := Post{
			Text:      text,
			Langs:     []string{"fr"},
			CreatedAt: time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC),
			Images: []Image{
				{Data: img1, Alt: "La terrasse", Width: 40, Height: 30},
				{Data: img2, Alt: "Le menu"},
			},
		}
		rkey := RecordKey("pst_alice", 1, "bluesky", time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))

		first, err := c.Publish(ctx, rkey, post)
		require.NoError(t, err)
		require.False(t, first.Existing)
		require.Equal(t, "at://"+acct.DID+"/"+Collection+"/"+rkey, first.URI)

		recs, _, err := c.ListRecords(ctx, acct.DID, Collection, 100, "")
		require.NoError(t, err)
		require.Len(t, recs, 1)
		require.Equal(t, first.URI, recs[0].URI)
		var got PostRecord
		require.NoError(t, json.Unmarshal(recs[0].Value, &got))
		require.Equal(t, Collection, got.Type)
		require.Equal(t, text, got.Text)
		require.Equal(t, []string{"fr"}, got.Langs)
		require.Equal(t, "2026-11-22T09:30:00.000Z", got.CreatedAt)
		require.Equal(t, []Facet{{
			Index:    ByteSlice{ByteStart: start, ByteEnd: start + len(link)},
			Features: []FacetFeature{{Type: "app.bsky.richtext.facet#link", URI: link}},
		}}, got.Facets)
		require.NotNil(t, got.Embed)
		require.Equal(t, "app.bsky.embed.images", got.Embed.Type)
		require.Len(t, got.Embed.Images, 2)
		for i, want := range []struct {
			alt  string
			size int
		}{{"La terrasse", len(img1)}, {"Le menu", len(img2)}} {
			im := got.Embed.Images[i]
			require.Equal(t, want.alt, im.Alt)
			require.Equal(t, "blob", im.Image.Type)
			require.Equal(t, "image/png", im.Image.MimeType)
			require.EqualValues(t, want.size, im.Image.Size)
			require.NotEmpty(t, im.Image.Ref.Link)
		}
		require.Equal(t, &AspectRatio{Width: 40, Height: 30}, got.Embed.Images[0].AspectRatio)

		// The same (post, version, channel) again: the same record, not a second post.
		again, err := c.Publish(ctx, rkey, post)
		require.NoError(t, err)
		require.True(t, again.Existing)
		require.Equal(t, first.Ref, again.Ref)
		// A bare create on the taken key is what Create has to recognise: a 500.
		_, err = c.CreateRecord(ctx, Collection, rkey, PostRecord{Type: Collection, Text: text, CreatedAt: got.CreatedAt})
		require.Equal(t, KindRetryable, KindOf(err), "%v", err)
		recs, _, err = c.ListRecords(ctx, acct.DID, Collection, 100, "")
		require.NoError(t, err)
		require.Len(t, recs, 1)

		// Another key holding a different post is refused, not taken as ours.
		_, err = c.Publish(ctx, rkey, Post{Text: "something else"})
		require.Equal(t, KindPermanent, KindOf(err), "%v", err)

		require.Equal(t, 1, ct.count("com.atproto.server.createSession"), "one login for everything")
		require.Equal(t, 0, ct.count("com.atproto.server.refreshSession"))
	})

	t.Run("the PDS's own refusal is permanent", func(t *testing.T) {
		acct := pds.CreateAccount(t, "carol")
		c, _ := newClient(t, pds)
		_, err := c.Login(ctx, acct.Handle, acct.Password)
		require.NoError(t, err)
		// Validation is bypassed on purpose: the PDS checks the record against the lexicon.
		_, err = c.CreateRecord(ctx, Collection, RecordKey("pst_carol", 1, "bluesky", time.Now()),
			PostRecord{Type: Collection, Text: strings.Repeat("a", 301), CreatedAt: "2026-11-22T09:30:00.000Z"})
		var e *Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, KindPermanent, e.Kind)
		require.Equal(t, "InvalidRequest", e.Code)
		require.Contains(t, e.Message, "maximum 300")
	})

	t.Run("session refresh", func(t *testing.T) {
		tests := []struct {
			name    string
			access  func(real Session) string
			refresh func(real Session) string
			code    string // what the PDS answers for the access token alone
			kind    Kind   // KindRetryable here means: success expected
		}{
			{"expired access token", func(s Session) string { return resign(t, s.AccessJwt, pds.JWTSecret, -time.Hour) }, keep, "ExpiredToken", KindRetryable},
			{"access token signed by another key", func(s Session) string { return resign(t, s.AccessJwt, "another key", time.Hour) }, keep, "InvalidToken", KindRetryable},
			{"both tokens refused", func(s Session) string { return resign(t, s.AccessJwt, pds.JWTSecret, -time.Hour) }, func(s Session) string { return resign(t, s.RefreshJwt, "another key", time.Hour) }, "ExpiredToken", KindAuth},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				acct := pds.CreateAccount(t, "bob")
				login, _ := newClient(t, pds)
				real, err := login.Login(ctx, acct.Handle, acct.Password)
				require.NoError(t, err)

				// The PDS refuses the access token the way the case says.
				err = login.send(ctx, "com.atproto.server.getSession", http.MethodGet, nil, nil, "", tt.access(real), nil)
				var e *Error
				require.ErrorAs(t, err, &e)
				require.Equal(t, tt.code, e.Code, "%v", err)
				require.Equal(t, KindAuth, e.Kind)

				// A resumed session (as stored by the publishing layer) with that token.
				c, ct := newClient(t, pds)
				var saved []Session
				c.OnSession = func(s Session) { saved = append(saved, s) }
				c.Resume(Session{DID: real.DID, Handle: real.Handle, AccessJwt: tt.access(real), RefreshJwt: tt.refresh(real)})
				rkey := RecordKey("pst_bob", i, "bluesky", time.Now())
				res, err := c.Publish(ctx, rkey, Post{Text: "refresh " + tt.name, Images: []Image{{Data: pngBytes(t, 8, 8, 1)}}})
				require.Equal(t, 1, ct.count("com.atproto.server.refreshSession"), "refreshed exactly once")
				require.Equal(t, 0, ct.count("com.atproto.server.createSession"), "never logs in by itself")
				if tt.kind == KindAuth {
					require.Equal(t, KindAuth, KindOf(err), "%v", err)
					require.Empty(t, saved)
					return
				}
				require.NoError(t, err)
				require.Len(t, saved, 1)
				require.NotEqual(t, tt.access(real), c.Session().AccessJwt)
				require.Equal(t, real.DID, c.Session().DID)
				recs, _, err := c.ListRecords(ctx, real.DID, Collection, 10, "")
				require.NoError(t, err)
				require.Len(t, recs, 1)
				require.Equal(t, res.URI, recs[0].URI)
			})
		}
	})
}

func keep(s Session) string { return s.RefreshJwt }

// resign re-signs a real HS256 session token with secret, expiring at now+exp (negative:
// already expired).
func resign(t *testing.T, token, secret string, exp time.Duration) string {
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(payload, &claims))
	at := time.Now().Add(exp).Unix()
	claims["iat"], claims["exp"] = min(at, time.Now().Unix())-60, at
	payload, err = json.Marshal(claims)
	require.NoError(t, err)
	signing := parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
