package linkedin

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// reserved are the characters of LinkedIn's "little" text format (the Posts API's
// commentary) that must be backslash-escaped to stand for themselves: unescaped, LinkedIn
// reads them as the start of a mention, hashtag or template and cuts or refuses the text.
const reserved = `|{}@[]()<>#\*_~`

// Commentary turns an approved post's plain text into the Posts API's commentary: every
// reserved character is escaped, except the "#" of a hashtag (a "#" at the start of a word
// followed by letters or digits), which becomes LinkedIn's hashtag template
// {hashtag|#|tag} (the form LinkedIn's documentation shows) so that it shows, and links,
// as the hashtag the client approved. Inside a URL every reserved character is escaped
// (https://example.com/#anchor stays a link).
func Commentary(text string) string {
	var b strings.Builder
	b.Grow(len(text) + len(text)/8)
	urls := urlPattern.FindAllStringIndex(text, -1)
	inURL := func(i int) bool {
		for _, u := range urls {
			if i >= u[0] && i < u[1] {
				return true
			}
		}
		return false
	}
	prev := rune(-1)
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if r == '#' && (prev == -1 || !isWord(prev)) && !inURL(i) {
			if tag := hashtagAt(text[i+size:]); tag != "" {
				b.WriteString(`{hashtag|#|` + tag + `}`)
				i += size + len(tag)
				prev = 'x'
				continue
			}
		}
		if r < utf8.RuneSelf && strings.IndexByte(reserved, byte(r)) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteString(text[i : i+size])
		i += size
		prev = r
	}
	return b.String()
}

// urlPattern finds the links of a text.
var urlPattern = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"]+`)

// hashtagAt returns the hashtag's word at the start of s: letters, digits and combining
// marks (LinkedIn hashtags have no punctuation, underscores included).
func hashtagAt(s string) string {
	n := 0
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)) {
			break
		}
		n += size
	}
	return s[:n]
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }

// CountCharacters counts text as LinkedIn does for its 3000-character limit on
// commentary: UTF-16 code units (an emoji outside the basic plane counts 2), escapes not
// counted.
func CountCharacters(text string) int {
	n := 0
	for _, r := range text {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}
