package media

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// FitLongEdge is the longest side Shrink starts from: the largest image social networks show
// (Bluesky's app scales to 2000 px), so nothing visible is lost by the first step.
const FitLongEdge = 2000

// Shrink re-encodes the image b (JPEG, PNG, WebP or GIF) as a JPEG of at most maxBytes, for
// networks that refuse larger files. It turns the image upright (EXIF orientation: the
// output carries no metadata), flattens transparency on white, scales it to at most
// FitLongEdge on its longest side keeping the aspect ratio, then lowers the JPEG quality and,
// when that is not enough, the size, until it fits. The same input always gives the same
// output. It returns the JPEG and its width and height. Errors: not an image it can decode,
// more than MaxPixels, or no size down to 16 px fits maxBytes.
func Shrink(b []byte, maxBytes int) (data []byte, width, height int, err error) {
	ct := Sniff(b)
	var (
		orient = 1
		decode func(io.Reader) (image.Image, error)
		config func(io.Reader) (image.Config, error)
	)
	switch ct {
	case JPEG:
		if _, orient, err = stripJPEG(b); err != nil {
			return nil, 0, 0, err
		}
		decode, config = jpeg.Decode, jpeg.DecodeConfig
	case PNG:
		decode, config = png.Decode, png.DecodeConfig
	case WebP:
		decode, config = webp.Decode, webp.DecodeConfig
	case GIF:
		decode, config = gif.Decode, gif.DecodeConfig
	default:
		return nil, 0, 0, fmt.Errorf("shrink: not a JPEG, PNG, WebP or GIF image")
	}
	cfg, err := config(bytes.NewReader(b))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, 0, 0, fmt.Errorf("shrink: %s", damaged(ct))
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, 0, 0, fmt.Errorf("shrink: %d×%d pixels is more than %d megapixels", cfg.Width, cfg.Height, MaxPixels/1_000_000)
	}
	decoding <- struct{}{}
	defer func() { <-decoding }()
	img, err := decode(bytes.NewReader(b))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("shrink: %s", damaged(ct))
	}
	src := img.Bounds()
	long := max(src.Dx(), src.Dy())
	scale := min(1, float64(FitLongEdge)/float64(long))
	for {
		w := max(1, int(float64(src.Dx())*scale+0.5))
		h := max(1, int(float64(src.Dy())*scale+0.5))
		if max(w, h) < 16 {
			return nil, 0, 0, fmt.Errorf("shrink: the image does not fit in %d bytes", maxBytes)
		}
		small := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(small, small.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
		draw.BiLinear.Scale(small, small.Bounds(), img, src, draw.Over, nil)
		upright := applyOrientation(small, orient)
		for _, q := range []int{90, 80, 70, 60} {
			var out bytes.Buffer
			if err := jpeg.Encode(&out, upright, &jpeg.Options{Quality: q}); err != nil {
				return nil, 0, 0, fmt.Errorf("shrink: encode: %w", err)
			}
			if out.Len() <= maxBytes {
				return out.Bytes(), upright.Bounds().Dx(), upright.Bounds().Dy(), nil
			}
		}
		scale *= 0.7
	}
}
