package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/store"
)

func TestMediaIsUniquePerClientAndDigest(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := newClient(t, s, "acme"), newClient(t, s, "brand")
		sha := strings.Repeat("ab", 32)
		newMedia := func(clientID string) *store.Media {
			return &store.Media{
				ID: greenlight.NewID("med_"), ClientID: clientID, SHA256: sha, ContentType: "image/png",
				Size: 123, Width: 4, Height: 3, ThumbSHA256: strings.Repeat("cd", 32), Filename: "beach.png",
				CreatedBy: "usr_x", CreatedAt: time.Now().UTC().Truncate(time.Millisecond),
			}
		}
		first := newMedia(a.ID)
		created, err := s.CreateMedia(ctx, first)
		require.NoError(t, err)
		require.True(t, created)

		again := newMedia(a.ID)
		again.Filename = "copy.png"
		created, err = s.CreateMedia(ctx, again)
		require.NoError(t, err)
		require.False(t, created, "the same file for the same client is the same media")
		require.Equal(t, first.ID, again.ID)
		require.Equal(t, "beach.png", again.Filename)

		other := newMedia(b.ID)
		created, err = s.CreateMedia(ctx, other)
		require.NoError(t, err)
		require.True(t, created, "another client gets its own row")
		require.NotEqual(t, first.ID, other.ID)

		got, err := s.Media(ctx, first.ID)
		require.NoError(t, err)
		require.Equal(t, first.SHA256, got.SHA256)
		require.Equal(t, 4, got.Width)
		require.Nil(t, got.DurationMS)
		require.True(t, first.CreatedAt.Equal(got.CreatedAt))

		_, err = s.Media(ctx, greenlight.NewID("med_"))
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))
	})
}
