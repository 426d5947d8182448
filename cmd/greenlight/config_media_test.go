package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/media"
)

func TestMediaConfig(t *testing.T) {
	t.Setenv("GREENLIGHT_MEDIA_DIR", "")
	t.Setenv("GREENLIGHT_MEDIA_MAX_BYTES", "")
	c := envConfig()
	require.Empty(t, c.errs)
	require.Equal(t, int64(media.DefaultMaxBytes), c.mediaMaxBytes)
	require.Equal(t, filepath.Join("data", "media"), c.mediaDirIn("data"), "under the data directory by default")

	t.Setenv("GREENLIGHT_MEDIA_DIR", "/srv/media")
	t.Setenv("GREENLIGHT_MEDIA_MAX_BYTES", "1048576")
	c = envConfig()
	require.Equal(t, "/srv/media", c.mediaDirIn("data"))
	require.Equal(t, int64(1<<20), c.mediaMaxBytes)

	t.Setenv("GREENLIGHT_MEDIA_MAX_BYTES", "50MB")
	require.ErrorContains(t, envConfig().check("api"), "GREENLIGHT_MEDIA_MAX_BYTES: must be a positive number of bytes")
}
