package x

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/clipperhouse/uax29/v2/graphemes"
	"golang.org/x/text/unicode/norm"

	"github.com/greenlight/greenlight/publish"
)

// X's posting rules (docs.x.com: counting characters, media best practices).
const (
	MaxWeightedLength = 280      // twitter-text v3 maxWeightedTweetLength
	URLLength         = 23       // transformedURLLength: every URL, http or https
	MaxImages         = 4        // up to 4 images, or 1 animated GIF, or 1 video
	MaxImageSize      = 5 << 20  // 5 MB
	MaxGIFSize        = 15 << 20 // 15 MB
	MaxVideoSize      = 512 << 20
	MaxAltText        = 1000 // characters of alt text per image or GIF
)

// lightRanges are the code point ranges twitter-text v3 weighs 100 (one character); every
// other code point weighs 200 (two): most CJK, Hangul, emoji. An emoji sequence (skin tone,
// ZWJ family, flag, keycap) weighs 200 as a whole.
var lightRanges = [][2]rune{{0, 4351}, {8192, 8205}, {8208, 8223}, {8242, 8247}}

func weight(r rune) int {
	for _, rg := range lightRanges {
		if r >= rg[0] && r <= rg[1] {
			return 100
		}
	}
	return 200
}

// emojiPart reports code points that make a grapheme cluster an emoji sequence: pictographs,
// regional indicators, the emoji variation selector, the keycap mark, skin tones.
func emojiPart(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF, // pictographs, emoticons, flags' regional indicators, skin tones
		r >= 0x2600 && r <= 0x27BF, // miscellaneous symbols, dingbats
		r >= 0x2300 && r <= 0x23FF, // ⌚ ⏰ …
		r >= 0x2B00 && r <= 0x2BFF, // ⭐ ⬛ …
		r == 0xFE0F, r == 0x20E3, r == 0x200D:
		return true
	}
	return false
}

// urlPattern finds what twitter-text autolinks: a URL with an http(s) scheme, or a bare
// domain (see isBareURL). Group 1 is the whole link, 2 the scheme, 3 the host, 4 its top
// level domain, 5 the path.
var urlPattern = regexp.MustCompile(`(?i)(?:^|[^\p{L}\p{N}_@#$/.\-])((https?://)?((?:[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?\.)+(\p{L}{2,63}))(?::\d{1,5})?(/[^\s]*)?)`)

// genericTLDs are the generic top-level domains linked without a scheme (an abridgement of
// twitter-text's list: the common ones).
var genericTLDs = map[string]bool{}

func init() {
	for _, t := range strings.Fields(`com net org edu gov mil int info biz name pro mobi aero asia cat coop jobs museum tel travel
		app dev page blog shop store online site tech xyz club news live art design agency studio media cloud world today
		email link website space fun top vip inc ltd group company fashion beauty paris london berlin nyc tokyo`) {
		genericTLDs[t] = true
	}
}

// isBareURL applies twitter-text's rule for links without a scheme: an ASCII domain whose
// top-level domain is generic, or a country code followed by a path (".co" and ".tv" need
// none).
func isBareURL(host, tld, path string) bool {
	for i := 0; i < len(host); i++ {
		if host[i] >= utf8.RuneSelf {
			return false
		}
	}
	tld = strings.ToLower(tld)
	if genericTLDs[tld] {
		return true
	}
	return len(tld) == 2 && (path != "" || tld == "co" || tld == "tv")
}

// WeightedLength counts text as X does for its 280 limit (twitter-text v3): the text in
// Unicode NFC, every URL as 23, each code point 1 or 2 by its range (Latin, Cyrillic,
// Arabic… 1; most CJK and emoji 2), an emoji sequence 2 as a whole.
func WeightedLength(text string) int {
	text = norm.NFC.String(text)
	total := 0
	at := 0
	for _, m := range urlPattern.FindAllStringSubmatchIndex(text, -1) {
		start, end := m[2], m[3]
		link := publish.TrimLink(text[start:end])
		end = start + len(link)
		scheme := m[4] >= 0
		path := ""
		if m[10] >= 0 && m[10] < end {
			path = text[m[10]:end]
		}
		if !scheme && !isBareURL(text[m[6]:m[7]], text[m[8]:m[9]], path) {
			continue
		}
		total += weighText(text[at:start]) + URLLength*100
		at = end
	}
	total += weighText(text[at:])
	return total / 100
}

func weighText(s string) int {
	n := 0
	for it := graphemes.FromString(s); it.Next(); {
		g := it.Value()
		if utf8.RuneCountInString(g) > 1 && strings.IndexFunc(g, emojiPart) >= 0 {
			n += 200
			continue
		}
		for _, r := range g {
			n += weight(r)
		}
	}
	return n
}

// Validate checks p against X's rules (see Check).
func (c *Connector) Validate(ctx context.Context, acct publish.Account, p publish.Post) error {
	return Check(p)
}

// Check checks p against X's rules: the weighted length (280), text or media present, the
// media kinds (JPEG, PNG, WebP, GIF, MP4/MOV), up to 4 images or one GIF or one video, their
// sizes (5 MB an image, 15 MB a GIF, 512 MB a video) and alt text of at most 1000 characters.
// A broken rule is a *publish.RuleError.
func Check(p publish.Post) error {
	if n := WeightedLength(p.Text); n > MaxWeightedLength {
		return &publish.RuleError{Rule: "text_length", Message: fmt.Sprintf("the text counts %d characters on X (links count 23, most CJK characters and emoji 2); X allows %d", n, MaxWeightedLength)}
	}
	if strings.TrimSpace(p.Text) == "" && len(p.Media) == 0 {
		return &publish.RuleError{Rule: "text_length", Message: "a post on X needs text or media"}
	}
	images, single := 0, 0
	for i, m := range p.Media {
		kind, limit := mediaKind(m.ContentType)
		switch kind {
		case "":
			return &publish.RuleError{Rule: "media_type", Message: fmt.Sprintf("media %d is %s, which X does not take (JPEG, PNG, WebP, GIF, MP4, MOV)", i+1, m.ContentType)}
		case "image":
			images++
		default:
			single++
		}
		if m.Size > limit {
			return &publish.RuleError{Rule: "media_size", Message: fmt.Sprintf("media %d (%s) is %d bytes; X takes at most %d MB", i+1, kind, m.Size, limit>>20)}
		}
		if n := utf8.RuneCountInString(m.Alt); n > MaxAltText {
			return &publish.RuleError{Rule: "alt_text", Message: fmt.Sprintf("the alt text of media %d is %d characters; X allows %d", i+1, n, MaxAltText)}
		}
	}
	if single > 0 && len(p.Media) > 1 {
		return &publish.RuleError{Rule: "media_mix", Message: "a GIF or a video must be the only media of a post on X"}
	}
	if images > MaxImages {
		return &publish.RuleError{Rule: "media_count", Message: fmt.Sprintf("%d images attached; X allows %d", images, MaxImages)}
	}
	return nil
}

// mediaKind returns "image", "gif" or "video" and its size limit; "" when X takes no such
// file.
func mediaKind(contentType string) (string, int64) {
	switch strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0])) {
	case "image/jpeg", "image/png", "image/webp":
		return "image", MaxImageSize
	case "image/gif":
		return "gif", MaxGIFSize
	case "video/mp4", "video/quicktime":
		return "video", MaxVideoSize
	}
	return "", 0
}
