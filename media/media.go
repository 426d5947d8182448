// Package media owns uploaded images and videos: it sniffs their type from the bytes, strips
// metadata, makes thumbnails, keeps the files content-addressed on disk and signs the
// expiring URLs that serve them.
package media

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"

	"github.com/greenlight/greenlight"
)

// Content types accepted.
const (
	JPEG = "image/jpeg"
	PNG  = "image/png"
	WebP = "image/webp"
	GIF  = "image/gif"
	MP4  = "video/mp4"
)

// Limits. DefaultMaxBytes is the default of GREENLIGHT_MEDIA_MAX_BYTES, the largest upload
// of any kind; images are further limited to MaxImageBytes (or the configured maximum when
// smaller) and to MaxPixels, so that decoding one cannot exhaust memory.
const (
	DefaultMaxBytes = 50 << 20
	MaxImageBytes   = 10 << 20
	MaxPixels       = 40_000_000
	// ThumbWidth is the width of thumbnails (narrower images keep their width).
	ThumbWidth = 320
)

// decoding limits how many images are decoded at once in this process.
var decoding = make(chan struct{}, 2)

// notAccepted is the message for bytes of any other type.
const notAccepted = "file: not an image or video we accept (JPEG, PNG, WebP, GIF, MP4)"

// File is an upload once checked: the bytes to store (metadata removed), what they are and
// a thumbnail.
type File struct {
	Data        []byte
	ContentType string
	// SHA256 is the hex digest of Data.
	SHA256 string
	// Width and Height are as displayed (EXIF orientation applied); a video's are its
	// first visual track's, 0 when unknown.
	Width, Height int
	// DurationMS is a video's duration (0 for images or when unknown).
	DurationMS int64
	// Thumb is a JPEG at most ThumbWidth wide; nil for videos.
	Thumb []byte
}

func invalid(format string, args ...any) error {
	return greenlight.Errorf(greenlight.EINVALID, format, args...)
}

func tooLarge(max int64, what string) error {
	return invalid("file: larger than %s%s", megabytes(max), what)
}

func megabytes(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// Read reads an upload of at most max bytes (DefaultMaxBytes when max <= 0) and checks it
// with Process. A longer one is refused without reading more than max+1 bytes.
func Read(r io.Reader, max int64) (*File, error) {
	if max <= 0 {
		max = DefaultMaxBytes
	}
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	if int64(len(b)) > max {
		return nil, tooLarge(max, "")
	}
	return Process(b, max)
}

// Process checks an upload: its type is sniffed from the bytes (never its name), images
// are decoded whole (a damaged or truncated one is refused), metadata that can locate or
// identify someone is removed without re-encoding (JPEG APP1/APP13/comments keeping only
// the orientation, PNG text and eXIf chunks, WebP EXIF and XMP chunks, GIF comments and
// XMP, MP4 user data boxes), and images get a
// thumbnail. Every refusal is EINVALID with a message naming the problem.
func Process(b []byte, max int64) (*File, error) {
	if max <= 0 {
		max = DefaultMaxBytes
	}
	if len(b) == 0 {
		return nil, invalid("file: empty")
	}
	if int64(len(b)) > max {
		return nil, tooLarge(max, "")
	}
	ct := Sniff(b)
	if ct == "" {
		return nil, invalid(notAccepted)
	}
	f := &File{ContentType: ct}
	var err error
	if ct == MP4 {
		if f.Data, f.Width, f.Height, f.DurationMS, err = processMP4(b); err != nil {
			return nil, err
		}
	} else {
		if imgMax := min(max, MaxImageBytes); int64(len(b)) > imgMax {
			return nil, tooLarge(imgMax, " (the limit for images)")
		}
		if err := processImage(f, b); err != nil {
			return nil, err
		}
	}
	sum := sha256.Sum256(f.Data)
	f.SHA256 = hex.EncodeToString(sum[:])
	return f, nil
}

// mp4Brands are the ftyp major brands of MP4 video; HEIF images, QuickTime and audio-only
// files share the box format but are refused.
var mp4Brands = map[string]bool{
	"isom": true, "iso2": true, "iso3": true, "iso4": true, "iso5": true, "iso6": true,
	"mp41": true, "mp42": true, "avc1": true, "M4V ": true, "dash": true,
}

// Sniff returns the content type of b from its first bytes, "" when it is none of JPEG,
// PNG, WebP, GIF and MP4.
func Sniff(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return JPEG
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return PNG
	case bytes.HasPrefix(b, []byte("GIF87a")) || bytes.HasPrefix(b, []byte("GIF89a")):
		return GIF
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return WebP
	case len(b) >= 12 && string(b[4:8]) == "ftyp" && mp4Brands[string(b[8:12])]:
		return MP4
	}
	return ""
}

func damaged(ct string) error {
	return invalid("file: not a valid %s: the file is damaged or truncated", name(ct))
}

func name(ct string) string {
	switch ct {
	case JPEG:
		return "JPEG image"
	case PNG:
		return "PNG image"
	case WebP:
		return "WebP image"
	case GIF:
		return "GIF image"
	}
	return "MP4 video"
}

func processImage(f *File, b []byte) error {
	var (
		data   = b
		orient = 1
		err    error
		decode func(io.Reader) (image.Image, error)
		config func(io.Reader) (image.Config, error)
	)
	switch f.ContentType {
	case JPEG:
		data, orient, err = stripJPEG(b)
		decode, config = jpeg.Decode, jpeg.DecodeConfig
	case PNG:
		data, err = stripPNG(b)
		decode, config = png.Decode, png.DecodeConfig
	case WebP:
		data, err = stripWebP(b)
		decode, config = webp.Decode, webp.DecodeConfig
	case GIF:
		data, err = stripGIF(b)
		decode, config = gif.Decode, gif.DecodeConfig
	}
	if err != nil {
		return err
	}
	cfg, err := config(bytes.NewReader(data))
	if err != nil {
		return damaged(f.ContentType)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return damaged(f.ContentType)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return invalid("file: %d×%d pixels is more than we accept (%d megapixels)", cfg.Width, cfg.Height, MaxPixels/1_000_000)
	}
	// Decoding takes up to 4 bytes a pixel: at most two at a time bounds the memory.
	decoding <- struct{}{}
	defer func() { <-decoding }()
	img, err := decode(bytes.NewReader(data))
	if err != nil {
		return damaged(f.ContentType)
	}
	f.Data = data
	f.Width, f.Height = cfg.Width, cfg.Height
	if orient >= 5 {
		f.Width, f.Height = f.Height, f.Width
	}
	f.Thumb, err = thumbnail(img, orient)
	return err
}

// thumbnail scales img to at most ThumbWidth wide as displayed, on white (for
// transparency), applies the EXIF orientation and encodes it as JPEG.
func thumbnail(img image.Image, orient int) ([]byte, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	shown := w
	if orient >= 5 {
		shown = h
	}
	sw, sh := w, h
	if shown > ThumbWidth {
		sw = max(1, int(float64(w)*ThumbWidth/float64(shown)+0.5))
		sh = max(1, int(float64(h)*ThumbWidth/float64(shown)+0.5))
	}
	small := image.NewRGBA(image.Rect(0, 0, sw, sh))
	draw.Draw(small, small.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.ApproxBiLinear.Scale(small, small.Bounds(), img, b, draw.Over, nil)
	var out bytes.Buffer
	if err := jpeg.Encode(&out, applyOrientation(small, orient), &jpeg.Options{Quality: 80}); err != nil {
		return nil, fmt.Errorf("encode thumbnail: %w", err)
	}
	return out.Bytes(), nil
}

// applyOrientation turns src as EXIF orientation o (1–8) says it is displayed.
func applyOrientation(src *image.RGBA, o int) *image.RGBA {
	if o <= 1 || o > 8 {
		return src
	}
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range h {
		for x := range w {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			dst.SetRGBA(dx, dy, src.RGBAAt(x, y))
		}
	}
	return dst
}
