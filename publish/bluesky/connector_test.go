package bluesky

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/internal/pdstest"
	"github.com/greenlight/greenlight/publish"
)

// savedSessions is an Account.Save that records what the connector stored.
type savedSessions struct {
	mu   sync.Mutex
	got  []Session
	fail error
}

func (s *savedSessions) save(_ context.Context, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	var sess Session
	if err := json.Unmarshal(b, &sess); err != nil {
		return err
	}
	s.got = append(s.got, sess)
	return nil
}

func (s *savedSessions) all() []Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Session(nil), s.got...)
}

// connectAccount logs in once, as service.ConnectAccount does, and returns the account as
// the publishing layer hands it to the connector (edit: change the stored session first).
func connectAccount(t *testing.T, serviceURL string, acct pdstest.Account, saved *savedSessions, edit func(*Session)) publish.Account {
	t.Helper()
	c, err := New(&http.Client{Timeout: 30 * time.Second}, serviceURL)
	require.NoError(t, err)
	sess, err := c.Login(context.Background(), acct.Handle, acct.Password)
	require.NoError(t, err)
	if edit != nil {
		edit(&sess)
	}
	creds, err := json.Marshal(sess)
	require.NoError(t, err)
	return publish.Account{ID: "acc_test", ClientID: "cli_test", Network: Network, Handle: acct.Handle,
		ServiceURL: serviceURL, Credentials: creds, Save: saved.save}
}

func mediaOf(data []byte, contentType, alt string, w, h int) publish.Media {
	return publish.Media{ContentType: contentType, Size: int64(len(data)), Width: w, Height: h, Alt: alt,
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

// noisyJPEG is a photo-like JPEG that compresses badly: a gradient under random noise.
func noisyJPEG(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	for y := range h {
		for x := range w {
			i := img.PixOffset(x, y)
			img.Pix[i] = uint8(x*255/w) ^ uint8(r.Uint32())
			img.Pix[i+1] = uint8(y*255/h) ^ uint8(r.Uint32())
			img.Pix[i+2] = uint8(r.Uint32())
			img.Pix[i+3] = 255
		}
	}
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}))
	return b.Bytes()
}

// records lists the account's posts.
func records(t *testing.T, serviceURL, did string) []Record {
	t.Helper()
	c, err := New(&http.Client{Timeout: 30 * time.Second}, serviceURL)
	require.NoError(t, err)
	recs, _, err := c.ListRecords(context.Background(), did, Collection, 100, "")
	require.NoError(t, err)
	return recs
}

func TestConnectorOnRealPDS(t *testing.T) {
	pds := pdstest.Start(t)
	ctx := context.Background()
	conn := Connector{HTTP: &http.Client{Timeout: 60 * time.Second}}
	created := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

	t.Run("text, two images and a link: one record, published once", func(t *testing.T) {
		acct := pds.CreateAccount(t, "conn")
		saved := &savedSessions{}
		a := connectAccount(t, pds.URL, acct, saved, nil)
		const link = "https://example.com/carte?plat=soupe"
		text := "Nouveau menu 🍲 à la Brasserie Éole : " + link + " — bon appétit"
		img1, img2 := pngBytes(t, 60, 40, 3), pngBytes(t, 30, 30, 90)
		p := publish.Post{Key: "post/pst_conn/v2/publish/bluesky", PostID: "pst_conn", Version: 2, Channel: "bluesky", Text: text,
			CreatedAt: created, Media: []publish.Media{mediaOf(img1, "image/png", "La salle", 60, 40), mediaOf(img2, "image/png", "La soupe", 30, 30)}}

		res, err := conn.Publish(ctx, a, p)
		require.NoError(t, err)
		rkey := RecordKey("pst_conn", 2, "bluesky", created)
		require.Equal(t, "at://"+acct.DID+"/"+Collection+"/"+rkey, res.RemoteID)
		require.Equal(t, "https://bsky.app/profile/"+acct.DID+"/post/"+rkey, res.URL)

		recs := records(t, pds.URL, acct.DID)
		require.Len(t, recs, 1)
		var got PostRecord
		require.NoError(t, json.Unmarshal(recs[0].Value, &got))
		require.Equal(t, text, got.Text)
		start := strings.Index(text, link)
		require.Equal(t, []Facet{{Index: ByteSlice{ByteStart: start, ByteEnd: start + len(link)},
			Features: []FacetFeature{{Type: "app.bsky.richtext.facet#link", URI: link}}}}, got.Facets)
		require.NotNil(t, got.Embed)
		require.Len(t, got.Embed.Images, 2)
		require.Equal(t, "La salle", got.Embed.Images[0].Alt)
		require.EqualValues(t, len(img1), got.Embed.Images[0].Image.Size)
		require.Equal(t, &AspectRatio{Width: 60, Height: 40}, got.Embed.Images[0].AspectRatio)
		require.Equal(t, "La soupe", got.Embed.Images[1].Alt)
		require.EqualValues(t, len(img2), got.Embed.Images[1].Image.Size)
		for _, im := range got.Embed.Images {
			require.NotEmpty(t, im.Image.Ref.Link)
		}

		// The same publication again (the activity retried after a lost answer): the same
		// record, still one post.
		again, err := conn.Publish(ctx, a, p)
		require.NoError(t, err)
		require.Equal(t, res, again)
		require.Len(t, records(t, pds.URL, acct.DID), 1)
		require.Empty(t, saved.all(), "a valid session is not refreshed")
	})

	t.Run("a 3 MB JPEG is resized to fit and published", func(t *testing.T) {
		acct := pds.CreateAccount(t, "big")
		a := connectAccount(t, pds.URL, acct, &savedSessions{}, nil)
		big := noisyJPEG(t, 2200, 1400)
		require.Greater(t, len(big), 3_000_000, "the test needs a JPEG over 3 MB")
		p := publish.Post{PostID: "pst_big", Version: 1, Channel: "bluesky", Text: "grande photo", CreatedAt: created,
			Media: []publish.Media{mediaOf(big, "image/jpeg", "Vue du port", 2200, 1400)}}
		_, err := conn.Publish(ctx, a, p)
		require.NoError(t, err)
		recs := records(t, pds.URL, acct.DID)
		require.Len(t, recs, 1)
		var got PostRecord
		require.NoError(t, json.Unmarshal(recs[0].Value, &got))
		require.Len(t, got.Embed.Images, 1)
		im := got.Embed.Images[0]
		require.Equal(t, "Vue du port", im.Alt)
		require.Equal(t, "image/jpeg", im.Image.MimeType)
		require.LessOrEqual(t, im.Image.Size, int64(MaxImageBytes))
		require.Greater(t, im.Image.Size, int64(100_000), "shrunk to fit, not to nothing")
		require.NotNil(t, im.AspectRatio)
		require.LessOrEqual(t, im.AspectRatio.Width, 2000)
		require.InDelta(t, 2200.0/1400.0, float64(im.AspectRatio.Width)/float64(im.AspectRatio.Height), 0.01, "aspect ratio kept")
	})

	t.Run("expired access token: refreshed once, stored through Save, published once", func(t *testing.T) {
		acct := pds.CreateAccount(t, "refresh")
		saved := &savedSessions{}
		var stale Session
		a := connectAccount(t, pds.URL, acct, saved, func(s *Session) {
			s.AccessJwt = resign(t, s.AccessJwt, pds.JWTSecret, -time.Hour)
			stale = *s
		})
		ct := &countingTransport{}
		conn := Connector{HTTP: &http.Client{Transport: ct, Timeout: 30 * time.Second}}
		p := publish.Post{PostID: "pst_refresh", Version: 1, Channel: "bluesky", Text: "après refresh", CreatedAt: created,
			Media: []publish.Media{mediaOf(pngBytes(t, 8, 8, 5), "image/png", "", 8, 8)}}
		res, err := conn.Publish(ctx, a, p)
		require.NoError(t, err)
		require.Equal(t, 1, ct.count("com.atproto.server.refreshSession"))
		require.Equal(t, 0, ct.count("com.atproto.server.createSession"), "never logs in per post")
		got := saved.all()
		require.Len(t, got, 1)
		require.Equal(t, acct.DID, got[0].DID)
		require.NotEqual(t, stale.AccessJwt, got[0].AccessJwt)
		require.NotEqual(t, stale.RefreshJwt, got[0].RefreshJwt)
		recs := records(t, pds.URL, acct.DID)
		require.Len(t, recs, 1)
		require.Equal(t, res.RemoteID, recs[0].URI)

		// The stored session works for the next post without another refresh.
		creds, err := json.Marshal(got[0])
		require.NoError(t, err)
		a.Credentials = creds
		_, err = conn.Publish(ctx, a, publish.Post{PostID: "pst_refresh2", Version: 1, Channel: "bluesky", Text: "suivant", CreatedAt: created})
		require.NoError(t, err)
		require.Equal(t, 1, ct.count("com.atproto.server.refreshSession"))
		require.Len(t, records(t, pds.URL, acct.DID), 2)
	})

	t.Run("refresh refused: KindAuth, nothing stored, no record", func(t *testing.T) {
		acct := pds.CreateAccount(t, "revoked")
		saved := &savedSessions{}
		a := connectAccount(t, pds.URL, acct, saved, func(s *Session) {
			s.AccessJwt = resign(t, s.AccessJwt, pds.JWTSecret, -time.Hour)
			s.RefreshJwt = resign(t, s.RefreshJwt, "not the PDS key", time.Hour)
		})
		_, err := conn.Publish(ctx, a, publish.Post{PostID: "pst_revoked", Version: 1, Channel: "bluesky", Text: "jamais", CreatedAt: created})
		var pe *publish.Error
		require.ErrorAs(t, err, &pe)
		require.Equal(t, publish.KindAuth, pe.Kind, "%v", err)
		require.Equal(t, "bluesky", pe.Network)
		require.NotContains(t, pe.Error(), "eyJ", "no token in the message")
		require.Empty(t, saved.all())
		require.Empty(t, records(t, pds.URL, acct.DID))
	})

	t.Run("a refreshed session that cannot be stored is not used", func(t *testing.T) {
		acct := pds.CreateAccount(t, "nosave")
		saved := &savedSessions{fail: errors.New("database unavailable")}
		a := connectAccount(t, pds.URL, acct, saved, func(s *Session) {
			s.AccessJwt = resign(t, s.AccessJwt, pds.JWTSecret, -time.Hour)
		})
		_, err := conn.Publish(ctx, a, publish.Post{PostID: "pst_nosave", Version: 1, Channel: "bluesky", Text: "pas encore", CreatedAt: created})
		require.Equal(t, publish.KindRetryable, publish.KindOf(err), "%v", err)
		require.Empty(t, records(t, pds.URL, acct.DID))
	})

	t.Run("unreadable stored credentials: KindAuth", func(t *testing.T) {
		_, err := conn.Publish(ctx, publish.Account{Network: Network, ServiceURL: pds.URL, Credentials: []byte("{}")},
			publish.Post{PostID: "pst_x", Version: 1, Channel: "bluesky", Text: "x", CreatedAt: created})
		require.Equal(t, publish.KindAuth, publish.KindOf(err), "%v", err)
	})
}

func TestConnectorValidate(t *testing.T) {
	img := mediaOf(pngBytes(t, 4, 4, 0), "image/png", "", 4, 4)
	video := publish.Media{ContentType: "video/mp4", Size: 1000, Width: 640, Height: 360, DurationMS: 3000}
	tests := []struct {
		name string
		post publish.Post
		rule string // "" = valid
	}{
		{"text only", publish.Post{Text: "bonjour"}, ""},
		{"300 graphemes", publish.Post{Text: strings.Repeat("é", 300)}, ""},
		{"301 graphemes", publish.Post{Text: strings.Repeat("é", 301)}, "text_length"},
		{"4 images", publish.Post{Text: "x", Media: []publish.Media{img, img, img, img}}, ""},
		{"5 images", publish.Post{Text: "x", Media: []publish.Media{img, img, img, img, img}}, "image_count"},
		{"every image type we can resize", publish.Post{Media: []publish.Media{
			{ContentType: "image/jpeg", Size: 9_000_000, Width: 6000, Height: 4000},
			{ContentType: "image/webp"}, {ContentType: "image/gif"}, img}}, ""},
		{"a video", publish.Post{Text: "x", Media: []publish.Media{img, video}}, "media_type"},
		{"an unknown type", publish.Post{Media: []publish.Media{{ContentType: "image/tiff"}}}, "media_type"},
		{"too many pixels to resize", publish.Post{Media: []publish.Media{{ContentType: "image/png", Width: 10000, Height: 5000}}}, "image_size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Connector{}.Validate(context.Background(), publish.Account{}, tt.post)
			if tt.rule == "" {
				require.NoError(t, err)
				return
			}
			var re *publish.RuleError
			require.ErrorAs(t, err, &re)
			require.Equal(t, tt.rule, re.Rule)
			if tt.name == "a video" {
				require.Contains(t, re.Message, "Bluesky video is not supported by Greenlight yet")
			}
			// Publish refuses what Validate refuses, before anything is sent.
			_, err = Connector{HTTP: http.DefaultClient}.Publish(context.Background(), publish.Account{Credentials: []byte("{}")}, tt.post)
			require.Equal(t, publish.KindPermanent, publish.KindOf(err), "%v", err)
		})
	}
	require.Equal(t, "bluesky", Connector{}.Network())
}
