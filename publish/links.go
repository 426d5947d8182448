package publish

import "strings"

// TrimLink drops what ends a sentence rather than a URL found in text: trailing
// punctuation, and a closing bracket whose opening one is not inside the URL. Networks
// count (Mastodon) and mark (Bluesky facets) links the same way.
func TrimLink(s string) string {
	for s != "" {
		last := s[len(s)-1]
		switch {
		case strings.IndexByte(".,;:!?'\"", last) >= 0:
			s = s[:len(s)-1]
		case last == ')' && strings.Count(s, "(") < strings.Count(s, ")"):
			s = s[:len(s)-1]
		case last == ']' && strings.Count(s, "[") < strings.Count(s, "]"):
			s = s[:len(s)-1]
		default:
			return s
		}
	}
	return s
}
