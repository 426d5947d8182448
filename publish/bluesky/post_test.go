package bluesky

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLinkFacetsUseUTF8ByteOffsets(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string // the links, in order; offsets are checked against the text
	}{
		{"ascii", "see https://example.com now", []string{"https://example.com"}},
		{"accent before", "Café: https://example.com/menu", []string{"https://example.com/menu"}},
		{"emoji before", "🎉🎉 https://example.com/a?b=c&d=e#f done", []string{"https://example.com/a?b=c&d=e#f"}},
		{"sentence end", "Go to https://example.com/x.", []string{"https://example.com/x"}},
		{"in brackets", "(voir https://example.com/a_(b)) fin", []string{"https://example.com/a_(b)"}},
		{"wrapped in brackets", "menu (https://example.com/m), merci", []string{"https://example.com/m"}},
		{"CJK before", "東京の新しい店 https://example.jp/店舗?q=寿司 ！", []string{"https://example.jp/店舗?q=寿司"}},
		{"combining accent and family emoji before", "Cafe\u0301 👨‍👩‍👧 (https://example.com/famille)", []string{"https://example.com/famille"}},
		{"two links", "a http://one.example b https://two.example/é", []string{"http://one.example", "https://two.example/é"}},
		{"at start", "https://example.com", []string{"https://example.com"}},
		{"not after a word", "xhttps://example.com", nil},
		{"no host", "https:// nothing", nil},
		{"none", "plain text", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := LinkFacets(tt.text)
			require.Len(t, got, len(tt.want))
			for i, f := range got {
				require.Equal(t, tt.want[i], tt.text[f.Index.ByteStart:f.Index.ByteEnd])
				require.Equal(t, strings.Index(tt.text, tt.want[i]), f.Index.ByteStart)
				require.Equal(t, []FacetFeature{{Type: "app.bsky.richtext.facet#link", URI: tt.want[i]}}, f.Features)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	img := Image{Data: pngBytes(t, 4, 4, 0)}
	tests := []struct {
		name string
		post Post
		rule string // "" = valid
	}{
		{"ok", Post{Text: "hello", Images: []Image{img}}, ""},
		{"300 graphemes", Post{Text: strings.Repeat("é", 300)}, ""},
		{"300 combining graphemes", Post{Text: strings.Repeat("e\u0301", 300)}, ""},
		{"300 family emoji", Post{Text: strings.Repeat("👨‍👩‍👧", 100)}, ""},
		{"301 graphemes", Post{Text: strings.Repeat("a", 301)}, "text_length"},
		{"over 3000 bytes", Post{Text: strings.Repeat("👨‍👩‍👧‍👦", 121)}, "text_length"},
		{"4 images", Post{Images: []Image{img, img, img, img}}, ""},
		{"5 images", Post{Images: []Image{img, img, img, img, img}}, "image_count"},
		{"1,000,000 bytes", Post{Images: []Image{{Data: bytes.Repeat([]byte{0}, MaxImageBytes), MimeType: "image/jpeg"}}}, ""},
		{"1,000,001 bytes", Post{Images: []Image{{Data: bytes.Repeat([]byte{0}, MaxImageBytes+1), MimeType: "image/jpeg"}}}, "image_size"},
		{"empty image", Post{Images: []Image{{MimeType: "image/png"}}}, "image_size"},
		{"not an image", Post{Images: []Image{{Data: []byte("hello, world")}}}, "image_type"},
		{"4 langs", Post{Text: "x", Langs: []string{"en", "fr", "de", "es"}}, "langs"},
		{"bad utf-8", Post{Text: "\xff"}, "text_encoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.post)
			if tt.rule == "" {
				require.NoError(t, err)
				return
			}
			var re *RuleError
			require.ErrorAs(t, err, &re)
			require.Equal(t, tt.rule, re.Rule)
		})
	}
}

func TestGraphemes(t *testing.T) {
	tests := []struct {
		s    string
		want int
	}{
		{"", 0}, {"abc", 3}, {"é", 1}, {"e\u0301", 1}, {"👨‍👩‍👧", 1}, {"🇫🇷!", 2},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, Graphemes(tt.s), tt.s)
	}
}

func TestRecordKeyIsADeterministicTID(t *testing.T) {
	anchor := time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC)
	k := RecordKey("pst_01", 2, "bluesky", anchor)
	require.True(t, ValidTID(k), k)
	require.Equal(t, k, RecordKey("pst_01", 2, "bluesky", anchor), "same triple, same key")
	for _, other := range []string{
		RecordKey("pst_02", 2, "bluesky", anchor),
		RecordKey("pst_01", 3, "bluesky", anchor),
		RecordKey("pst_01", 2, "bluesky2", anchor),
		RecordKey("pst_01", 2, "bluesky", anchor.Add(time.Second)),
	} {
		require.True(t, ValidTID(other), other)
		require.NotEqual(t, k, other)
	}
	// The TID's timestamp lies within the anchor's second.
	var v uint64
	for i := 0; i < len(k); i++ {
		v = v<<5 | uint64(strings.IndexByte(tidAlphabet, k[i]))
	}
	us := int64(v >> 10)
	require.Equal(t, anchor.Unix(), us/1_000_000)

	for _, bad := range []string{"", "3jzfcijpj2z2aa", "kjzfcijpj2z2a", "3jzfcijpj2z2A", "self"} {
		require.False(t, ValidTID(bad), bad)
	}
}

func TestErrorsAreClassified(t *testing.T) {
	reset := time.Now().Add(90 * time.Second).Unix()
	tests := []struct {
		name      string
		status    int
		header    map[string]string
		body      string
		kind      Kind
		code      string
		wait      time.Duration // checked to the second
		checkWait bool
	}{
		{"retry-after seconds", 429, map[string]string{"Retry-After": "30"}, `{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}`, KindRateLimit, "RateLimitExceeded", 30 * time.Second, true},
		{"ratelimit-reset", 429, map[string]string{"RateLimit-Reset": itoa(reset), "RateLimit-Remaining": "0"}, `{"error":"RateLimitExceeded"}`, KindRateLimit, "RateLimitExceeded", 90 * time.Second, true},
		{"429 without a hint", 429, nil, ``, KindRateLimit, "", 0, true},
		{"expired token twice", 400, nil, `{"error":"ExpiredToken","message":"Token has expired"}`, KindAuth, "ExpiredToken", 0, false},
		{"401", 401, nil, `{"error":"AuthenticationRequired","message":"Invalid identifier or password"}`, KindAuth, "AuthenticationRequired", 0, false},
		{"invalid request", 400, nil, `{"error":"InvalidRequest","message":"Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes"}`, KindPermanent, "InvalidRequest", 0, false},
		{"500", 500, nil, `{"error":"InternalServerError","message":"Internal Server Error"}`, KindRetryable, "InternalServerError", 0, false},
		{"502 from a proxy", 502, nil, `<html>bad gateway</html>`, KindRetryable, "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/xrpc/com.atproto.server.refreshSession" {
					_, _ = w.Write([]byte(`{"did":"did:plc:x","handle":"x.test","accessJwt":"a2","refreshJwt":"r2"}`))
					return
				}
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			c, err := New(srv.Client(), srv.URL)
			require.NoError(t, err)
			c.Resume(Session{DID: "did:plc:x", AccessJwt: "a1", RefreshJwt: "r1"})
			_, err = c.CreateRecord(context.Background(), Collection, "", map[string]any{"text": "x"})
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tt.kind, e.Kind, err.Error())
			require.Equal(t, tt.kind, KindOf(err))
			require.Equal(t, tt.status, e.Status)
			require.Equal(t, tt.code, e.Code)
			if tt.kind == KindPermanent {
				require.Contains(t, e.Error(), "300 graphemes", "the PDS's message is kept")
			}
			wait, limited := RetryAfter(err)
			require.Equal(t, tt.kind == KindRateLimit, limited)
			if tt.checkWait {
				require.InDelta(t, tt.wait.Seconds(), wait.Seconds(), 2)
			}
		})
	}
}

func TestNetworkFailureIsRetryable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, err := New(&http.Client{Timeout: 5 * time.Second}, url)
	require.NoError(t, err)
	c.Resume(Session{DID: "did:plc:x", AccessJwt: "a", RefreshJwt: "r"})
	_, err = c.UploadBlob(context.Background(), []byte("x"), "image/png")
	require.Equal(t, KindRetryable, KindOf(err))
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Zero(t, e.Status)
}

func TestPostURL(t *testing.T) {
	require.Equal(t, "https://bsky.app/profile/did:plc:abc/post/3kabc", PostURL("at://did:plc:abc/app.bsky.feed.post/3kabc"))
	require.Equal(t, "", PostURL("at://did:plc:abc/app.bsky.feed.like/3kabc"))
	require.Equal(t, "", PostURL("https://example.com"))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
