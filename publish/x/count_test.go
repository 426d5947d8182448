package x_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/publish/x"
)

// The weighted length follows twitter-text v3 as X documents it ("Counting characters"):
// URLs 23, code points in the light ranges 1, others (CJK, most emoji) 2, emoji sequences 2
// as a whole, NFC first.
func TestWeightedLength(t *testing.T) {
	cases := []struct {
		name string
		text string
		want int
	}{
		{"empty", "", 0},
		{"ascii", "hello", 5},
		{"280 latin", strings.Repeat("a", 280), 280},
		{"long https URL counts 23", "https://brand.example/spring/collection/with/a/very/long/path?utm=1", 23},
		{"short http URL counts 23", "see http://a.co", 4 + 23},
		{"bare generic domain is a URL", "brand.com", 23},
		{"bare country domain without path is text", "brand.fr", 8},
		{"bare country domain with path is a URL", "brand.fr/spring", 23},
		{"bare .co is a URL", "brand.co", 23},
		{"trailing punctuation is not the URL", "Hello (https://brand.com/x).", 7 + 23 + 2},
		{"two URLs", "a https://x.com/1 b https://x.com/2", 2 + 23 + 3 + 23},
		{"email is not a URL", "ana@brand.com", 13},
		{"CJK counts 2", "日本語", 6},
		{"Hangul counts 2", "한국", 4},
		{"Cyrillic counts 1", "привет", 6},
		{"em dash is light", "a—b", 3},
		{"euro sign is heavy", "€", 2},
		{"emoji", "👍", 2},
		{"emoji with skin tone", "👍🏽", 2},
		{"ZWJ family", "👨\u200d👩\u200d👧\u200d👦", 2},
		{"flag", "🇫🇷", 2},
		{"keycap", "1\ufe0f\u20e3", 2},
		{"decomposed accent is NFC first", "cafe\u0301", 4},
		{"140 CJK is the limit", strings.Repeat("日", 140), 280},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, x.WeightedLength(tc.text))
		})
	}
}

func TestCheck(t *testing.T) {
	img := func(size int64, alt string) publish.Media {
		return publish.Media{ContentType: "image/png", Size: size, Alt: alt}
	}
	cases := []struct {
		name  string
		post  publish.Post
		rule  string // "" : valid
		inMsg string
	}{
		{name: "280 latin", post: publish.Post{Text: strings.Repeat("a", 280)}},
		{name: "281 latin", post: publish.Post{Text: strings.Repeat("a", 281)}, rule: "text_length", inMsg: "281"},
		{name: "141 CJK", post: publish.Post{Text: strings.Repeat("日", 141)}, rule: "text_length", inMsg: "282"},
		{name: "257 chars and a long URL fit", post: publish.Post{Text: strings.Repeat("a", 256) + " https://brand.example/" + strings.Repeat("p", 200)}},
		{name: "empty", post: publish.Post{}, rule: "text_length"},
		{name: "media only", post: publish.Post{Media: []publish.Media{img(10, "")}}},
		{name: "4 images", post: publish.Post{Text: "hi", Media: []publish.Media{img(1, ""), img(1, ""), img(1, ""), img(1, "")}}},
		{name: "5 images", post: publish.Post{Text: "hi", Media: []publish.Media{img(1, ""), img(1, ""), img(1, ""), img(1, ""), img(1, "")}}, rule: "media_count"},
		{name: "bmp", post: publish.Post{Text: "hi", Media: []publish.Media{{ContentType: "image/bmp", Size: 1}}}, rule: "media_type"},
		{name: "image over 5 MB", post: publish.Post{Text: "hi", Media: []publish.Media{img(5<<20+1, "")}}, rule: "media_size"},
		{name: "gif 10 MB", post: publish.Post{Text: "hi", Media: []publish.Media{{ContentType: "image/gif", Size: 10 << 20}}}},
		{name: "gif over 15 MB", post: publish.Post{Text: "hi", Media: []publish.Media{{ContentType: "image/gif", Size: 15<<20 + 1}}}, rule: "media_size"},
		{name: "video 100 MB", post: publish.Post{Text: "hi", Media: []publish.Media{{ContentType: "video/mp4", Size: 100 << 20}}}},
		{name: "video and image", post: publish.Post{Text: "hi", Media: []publish.Media{{ContentType: "video/mp4", Size: 1}, img(1, "")}}, rule: "media_mix"},
		{name: "two gifs", post: publish.Post{Text: "hi", Media: []publish.Media{{ContentType: "image/gif", Size: 1}, {ContentType: "image/gif", Size: 1}}}, rule: "media_mix"},
		{name: "alt 1000", post: publish.Post{Text: "hi", Media: []publish.Media{img(1, strings.Repeat("é", 1000))}}},
		{name: "alt 1001", post: publish.Post{Text: "hi", Media: []publish.Media{img(1, strings.Repeat("é", 1001))}}, rule: "alt_text"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := x.Check(tc.post)
			if tc.rule == "" {
				require.NoError(t, err)
				return
			}
			var re *publish.RuleError
			require.ErrorAs(t, err, &re)
			require.Equal(t, tc.rule, re.Rule)
			require.Contains(t, re.Message, tc.inMsg)
		})
	}
}
