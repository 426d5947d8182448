package media_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/media"
)

// noise compresses badly, like a detailed photo.
func noise(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.Uint32())
	}
	return img
}

func TestShrink(t *testing.T) {
	var big bytes.Buffer
	require.NoError(t, jpeg.Encode(&big, noise(900, 600), &jpeg.Options{Quality: 95}))
	var transparent bytes.Buffer
	clear := image.NewNRGBA(image.Rect(0, 0, 300, 100)) // fully transparent
	require.NoError(t, png.Encode(&transparent, clear))

	tests := []struct {
		name   string
		in     []byte
		max    int
		w, h   int // expected size of the output, 0: only the ratio is checked
		ratio  float64
		errors bool
	}{
		{"a large JPEG under 1 MB keeps its aspect ratio", big.Bytes(), 150_000, 0, 0, 1.5, false},
		{"a big picture is scaled to the long edge first", pngBytes(t, 3000, 750), 1_000_000, 2000, 500, 4, false},
		{"EXIF orientation 6 turns it upright", exifJPEG(t, 40, 20, 6), 1_000_000, 20, 40, 0.5, false},
		{"transparency on white", transparent.Bytes(), 1_000_000, 300, 100, 3, false},
		{"not an image", []byte("hello"), 1_000_000, 0, 0, 0, true},
		{"cannot fit", big.Bytes(), 100, 0, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, w, h, err := media.Shrink(tt.in, tt.max)
			if tt.errors {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.LessOrEqual(t, len(out), tt.max)
			require.Equal(t, media.JPEG, media.Sniff(out))
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(out))
			require.NoError(t, err)
			require.Equal(t, [2]int{cfg.Width, cfg.Height}, [2]int{w, h})
			if tt.w != 0 {
				require.Equal(t, [2]int{tt.w, tt.h}, [2]int{w, h})
			}
			require.InDelta(t, tt.ratio, float64(w)/float64(h), 0.02)
			again, _, _, err := media.Shrink(tt.in, tt.max)
			require.NoError(t, err)
			require.Equal(t, out, again, "the same input gives the same bytes (the same blob on a retry)")
		})
	}

	t.Run("white where transparent", func(t *testing.T) {
		out, _, _, err := media.Shrink(transparent.Bytes(), 1_000_000)
		require.NoError(t, err)
		img, err := jpeg.Decode(bytes.NewReader(out))
		require.NoError(t, err)
		r, g, b, _ := img.At(150, 50).RGBA()
		require.Greater(t, min(r, g, b)>>8, uint32(245), "%v", color.RGBA64{uint16(r), uint16(g), uint16(b), 0})
	})
}
