package api

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/store"
)

// The post page names a comment's visibility with a key built from it, which the
// template scan cannot see: every visibility has its strings in both languages.
func TestCommentVisibilityStrings(t *testing.T) {
	for _, v := range []string{store.CommentInternal, store.CommentClient} {
		for _, lang := range languages {
			for _, key := range []string{"comments." + v, "comments.badge_" + v} {
				_, ok := messages[lang][key]
				require.True(t, ok, "%s: no %q", lang, key)
			}
		}
	}
}
