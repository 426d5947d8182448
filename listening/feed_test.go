package listening_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/listening"
)

func key(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestParse(t *testing.T) {
	tests := []struct {
		file string
		want []listening.Item
	}{
		{"rss2.xml", []listening.Item{
			{Key: key("https://blog-gourmand.example/?p=4211"), Title: "Biscuiterie Dorée : le rappel de produits fait scandale",
				Text: "Les clients sont furieux\u00a0: des biscuits immangeables & un service client absent.",
				Link: "https://blog-gourmand.example/2026/11/21/rappel-biscuiterie/", Author: "Jeanne Martin",
				At: time.Date(2026, 11, 21, 17, 45, 0, 0, time.UTC)},
			{Key: key("https://blog-gourmand.example/2026/11/20/sables/"), Title: "Recette : sablés au beurre",
				Text: "Une recette simple & rapide, sans marque.", Link: "https://blog-gourmand.example/2026/11/20/sables/", Author: "Paul",
				At: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)},
			{Key: key("https://blog-gourmand.example/2026/11/19/sans-guid/"), Title: "Sans GUID, avec lien",
				Text: "BISCUITERIE DOREE ouvre une boutique.", Link: "https://blog-gourmand.example/2026/11/19/sans-guid/"},
		}},
		{"atom.xml", []listening.Item{
			{Key: key("tag:forum-conso.example,2026:post-881"), Title: "Arnaque chez Biscuiterie Dorée ?", Text: "Une honte , jamais plus\u00a0!",
				Link: "https://forum-conso.example/t/arnaque/881", Author: "mecontent42", At: time.Date(2026, 11, 21, 17, 30, 0, 0, time.UTC)},
			{Key: key("tag:forum-conso.example,2026:post-882"), Title: "Mise à jour du forum", Text: "Rien à voir avec les biscuits .",
				Link: "https://forum-conso.example/t/maj/882", At: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tt.file))
			require.NoError(t, err)
			defer f.Close()
			got, err := listening.Parse(f)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct{ file, msg string }{
		{"malformed.xml", "rss: XML syntax error"},
		{"notfeed.html", "not an RSS 2.0 or Atom feed"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tt.file))
			require.NoError(t, err)
			defer f.Close()
			_, err = listening.Parse(f)
			require.ErrorContains(t, err, tt.msg)
		})
	}
}

func TestMatches(t *testing.T) {
	tests := []struct {
		text     string
		keywords []string
		want     bool
	}{
		{"BISCUITERIE DOREE ouvre", []string{"biscuiterie dorée"}, true},
		{"La Biscuiterie Dorée, encore", []string{"BISCUITERIE DOREE"}, true},
		{"sablés au beurre", []string{"biscuiterie"}, false},
		{"anything", nil, true},
		{"anything", []string{"  "}, false},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			require.Equal(t, tt.want, listening.Matches(tt.text, tt.keywords))
		})
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"mentions":[]}`)
	ts := "1800000000"
	good := listening.Sign("s3cret", now, body)
	tests := []struct {
		name, secret, ts, sig string
		body                  []byte
		ok                    bool
	}{
		{"valid", "s3cret", ts, good, body, true},
		{"one of two signatures", "s3cret", ts, "v1=00ff " + good, body, true},
		{"wrong secret", "other", ts, good, body, false},
		{"body changed", "s3cret", ts, good, []byte(`{"mentions":[{}]}`), false},
		{"timestamp changed", "s3cret", "1800000001", good, body, false},
		{"replayed after 6 minutes", "s3cret", "1799999640", listening.Sign("s3cret", now.Add(-6*time.Minute), body), body, false},
		{"no timestamp", "s3cret", "", good, body, false},
		{"no version prefix", "s3cret", ts, good[3:], body, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := listening.Verify(tt.secret, tt.ts, tt.sig, tt.body, now)
			if tt.ok {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
}
