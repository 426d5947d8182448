package certificate_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/certificate"
	"github.com/greenlight/greenlight/internal/pdftext"
)

func pngImage(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for x := range 40 {
		img.Set(x, 10, color.RGBA{200, 30, 30, 255})
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

func sample(t *testing.T) *certificate.Certificate {
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	at := time.Date(2026, 3, 2, 13, 4, 5, 0, time.UTC)
	return &certificate.Certificate{
		GeneratedAt: at.Add(time.Hour), TimeZone: "Europe/Paris", Agency: "Agence Éclair",
		Client: certificate.Client{ID: "cli_1", Name: "Crêperie Façon Müller"},
		Post:   certificate.Post{ID: "pst_1", Status: "published", PublishAt: at.Add(2 * time.Hour)},
		Version: certificate.Version{Number: 3, Title: "Fête d'été", Channels: []string{"bluesky", "x"},
			Body:   "Première ligne : crème brûlée, garçon, über-süß.\nDeuxième ligne à la française, " + strings.Repeat("très longue phrase ", 30),
			Digest: strings.Repeat("ab", 32),
			Media:  []certificate.Media{{ID: "med_1", SHA256: strings.Repeat("cd", 32), ContentType: "image/png", Alt: "Façade", Image: pngImage(t)}}},
		Decisions: []certificate.Decision{
			{Stage: "internal", Role: "reviewer", ActorName: "Zoé Relecture", Decision: "approve", At: at,
				AtUTC: certificate.UTC(at), AtLocal: certificate.Local(at, paris)},
			{Stage: "client", Role: "client approver", ActorName: "Françoise Dupré", Decision: "approve", Comment: "Très bien, ça me va",
				At: at, AtUTC: certificate.UTC(at), AtLocal: certificate.Local(at, paris), LinkID: "lnk_42"},
		},
		ChannelsNote: certificate.NoChannels,
	}
}

// The PDF's text, extracted, gives back the client, the full text with its accents, the
// digest, the media digests and every decision with its link and both times.
func TestPDFTextRoundTrip(t *testing.T) {
	c := sample(t)
	pdf, err := certificate.PDF(c)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(pdf, []byte("%PDF-")))
	flat := pdftext.Text(t, pdf)
	for _, want := range []string{
		"Certificate of approval",
		"Crêperie Façon Müller (cli_1)",
		"Fête d'été",
		"Première ligne : crème brûlée, garçon, über-süß.",
		"Deuxième ligne à la française",
		strings.Repeat("ab", 32),
		"SHA-256 " + strings.Repeat("cd", 32),
		"Alt text: Façade",
		"approve — Zoé Relecture (reviewer, internal stage)",
		"approve — Françoise Dupré (client approver, client stage)",
		"Through link: lnk_42",
		"Comment: Très bien, ça me va",
		"When (UTC): 2026-03-02 13:04:05 UTC",
		"When (Europe/Paris): 2026-03-02 14:04:05 CET (+01:00) Europe/Paris",
		"no channel results recorded",
	} {
		require.Contains(t, flat, want)
	}
	// The long body wrapped onto lines but lost nothing.
	require.Equal(t, 30, strings.Count(flat, "très longue phrase"))
}

func TestLocalNamesTheZone(t *testing.T) {
	at := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		loc  *time.Location
		want string
	}{
		{"nil is UTC", nil, "2026-07-01 10:00:00 UTC"},
		{"UTC", time.UTC, "2026-07-01 10:00:00 UTC"},
		{"zone", ny, "2026-07-01 06:00:00 EDT (-04:00) America/New_York"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, certificate.Local(at, tc.loc))
		})
	}
}
