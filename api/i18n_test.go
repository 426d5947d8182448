package api

import (
	"io/fs"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTemplatesUseKnownStrings checks that every string key a template asks for exists in
// English and French, so no page shows a raw key.
func TestTemplatesUseKnownStrings(t *testing.T) {
	re := regexp.MustCompile(`\b(?:t|tf) \$?\.L "([a-z_.]+)"`)
	n := 0
	err := fs.WalkDir(templates, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templates, path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			n++
			for _, lang := range languages {
				_, ok := messages[lang][m[1]]
				if lang == "fr" && !ok {
					t.Errorf("%s: %q has no French string", path, m[1])
				}
				if lang == "en" {
					require.True(t, ok, "%s: unknown string %q", path, m[1])
				}
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, n, 100, "the templates were scanned")
	for key := range messages["fr"] {
		_, ok := messages["en"][key]
		require.True(t, ok, "French string %q has no English original", key)
	}
}

func TestLanguageChoice(t *testing.T) {
	require.Equal(t, "Tableau", translate("fr", "nav.board"))
	require.Equal(t, "Board", translate("en", "nav.board"))
	require.Equal(t, "Greenlight", translate("fr", "app.name"), "French falls back to English")
}
