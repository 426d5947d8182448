package media_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/media"
)

func picture(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	return img
}

func pngBytes(t *testing.T, w, h int) []byte {
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, picture(w, h)))
	return b.Bytes()
}

func jpegBytes(t *testing.T, w, h int) []byte {
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, picture(w, h), nil))
	return b.Bytes()
}

func gifBytes(t *testing.T, w, h int) []byte {
	var b bytes.Buffer
	require.NoError(t, gif.Encode(&b, picture(w, h), nil))
	return b.Bytes()
}

const gpsMarker = "GPSLatitude 48.8584N Eiffel"

// exifJPEG inserts after SOI an APP1 EXIF segment (little-endian TIFF) with the
// orientation tag and a GPS IFD, plus a comment, both of which must go.
func exifJPEG(t *testing.T, w, h int, orient uint16) []byte {
	le := binary.LittleEndian
	tiff := []byte{'I', 'I', 42, 0, 8, 0, 0, 0}
	ifd := make([]byte, 2+2*12+4)
	le.PutUint16(ifd, 2)
	le.PutUint16(ifd[2:], 0x0112) // Orientation
	le.PutUint16(ifd[4:], 3)
	le.PutUint32(ifd[6:], 1)
	le.PutUint16(ifd[10:], orient)
	le.PutUint16(ifd[14:], 0x8825) // GPS IFD pointer
	le.PutUint16(ifd[16:], 4)
	le.PutUint32(ifd[18:], 1)
	le.PutUint32(ifd[22:], uint32(8+len(ifd)))
	tiff = append(tiff, ifd...)
	tiff = append(tiff, 0, 0)         // empty GPS IFD
	tiff = append(tiff, gpsMarker...) // stands for the coordinates
	app1 := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(app1)+2))
	seg = append(seg, app1...)
	com := append([]byte{0xFF, 0xFE, 0, byte(len("shot by Ana") + 2)}, "shot by Ana"...)
	src := jpegBytes(t, w, h)
	out := append([]byte{}, src[:2]...)
	out = append(out, seg...)
	out = append(out, com...)
	return append(out, src[2:]...)
}

// A 1×1 lossless WebP.
var tinyWebP, _ = base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")

// webpWithEXIF wraps tinyWebP's VP8L chunk in an extended file with an EXIF chunk.
func webpWithEXIF() []byte {
	vp8l := tinyWebP[12:]
	vp8x := []byte{'V', 'P', '8', 'X', 10, 0, 0, 0, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	exif := append([]byte{'E', 'X', 'I', 'F', byte(len(gpsMarker)), 0, 0, 0}, gpsMarker...)
	if len(gpsMarker)%2 == 1 {
		exif = append(exif, 0)
	}
	body := append(append(append([]byte("WEBP"), vp8x...), vp8l...), exif...)
	out := []byte("RIFF\x00\x00\x00\x00")
	binary.LittleEndian.PutUint32(out[4:], uint32(len(body)))
	return append(out, body...)
}

func mp4Box(typ string, parts ...[]byte) []byte {
	body := bytes.Join(parts, nil)
	b := make([]byte, 8, 8+len(body))
	binary.BigEndian.PutUint32(b, uint32(8+len(body)))
	copy(b[4:], typ)
	return append(b, body...)
}

// mp4Bytes is a structurally valid MP4: ftyp, moov (mvhd 5 s, a 640×360 track, user data
// with a location), mdat.
func mp4Bytes(brand string) []byte {
	mvhd := make([]byte, 100)
	binary.BigEndian.PutUint32(mvhd[12:], 1000)
	binary.BigEndian.PutUint32(mvhd[16:], 5000)
	tkhd := make([]byte, 84)
	binary.BigEndian.PutUint32(tkhd[76:], 640<<16)
	binary.BigEndian.PutUint32(tkhd[80:], 360<<16)
	ftyp := mp4Box("ftyp", []byte(brand), []byte{0, 0, 2, 0}, []byte("isommp41"))
	moov := mp4Box("moov", mp4Box("mvhd", mvhd), mp4Box("trak", mp4Box("tkhd", tkhd)), mp4Box("udta", mp4Box("\xa9xyz", []byte(gpsMarker))))
	return bytes.Join([][]byte{ftyp, moov, mp4Box("mdat", make([]byte, 64))}, nil)
}

func TestProcessAcceptsEachType(t *testing.T) {
	for _, tc := range []struct {
		name   string
		data   []byte
		ct     string
		w, h   int
		thumbW int
	}{
		{"png", pngBytes(t, 400, 200), media.PNG, 400, 200, 320},
		{"jpeg", jpegBytes(t, 100, 50), media.JPEG, 100, 50, 100},
		{"gif", gifBytes(t, 30, 20), media.GIF, 30, 20, 30},
		{"webp", tinyWebP, media.WebP, 1, 1, 1},
		{"webp with exif", webpWithEXIF(), media.WebP, 1, 1, 1},
		{"jpeg rotated by exif", exifJPEG(t, 64, 32, 6), media.JPEG, 32, 64, 32},
		{"mp4", mp4Bytes("isom"), media.MP4, 640, 360, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := media.Process(tc.data, 0)
			require.NoError(t, err)
			require.Equal(t, tc.ct, f.ContentType)
			require.Equal(t, tc.w, f.Width)
			require.Equal(t, tc.h, f.Height)
			require.Len(t, f.SHA256, 64)
			require.NotContains(t, string(f.Data), gpsMarker, "location metadata is removed")
			if tc.thumbW == 0 {
				require.Nil(t, f.Thumb)
				require.Equal(t, int64(5000), f.DurationMS)
				require.Len(t, f.Data, len(tc.data), "no byte moves in a video")
				return
			}
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(f.Thumb))
			require.NoError(t, err, "the thumbnail is a JPEG")
			require.Equal(t, tc.thumbW, cfg.Width)
		})
	}
}

func TestJPEGMetadataIsStrippedLosslessly(t *testing.T) {
	src := exifJPEG(t, 64, 32, 6)
	require.Contains(t, string(src), gpsMarker)
	f, err := media.Process(src, 0)
	require.NoError(t, err)
	require.NotContains(t, string(f.Data), gpsMarker)
	require.NotContains(t, string(f.Data), "shot by Ana")
	plain := jpegBytes(t, 64, 32)
	require.True(t, bytes.HasSuffix(f.Data, plain[2:]), "the image data is kept byte for byte")
	require.Contains(t, string(f.Data), "Exif\x00\x00MM", "a minimal EXIF keeps the orientation")
	again, err := media.Process(f.Data, 0)
	require.NoError(t, err)
	require.Equal(t, f.SHA256, again.SHA256, "stripping is idempotent")
	require.Equal(t, 32, again.Width, "the orientation survives")

	// Without an orientation, no EXIF at all.
	f, err = media.Process(exifJPEG(t, 64, 32, 1), 0)
	require.NoError(t, err)
	require.NotContains(t, string(f.Data), "Exif")
	require.Equal(t, 64, f.Width)
}

func TestPNGTextChunksAreDropped(t *testing.T) {
	src := pngBytes(t, 10, 10)
	chunk := func(typ, data string) []byte {
		b := make([]byte, 4, 12+len(data))
		binary.BigEndian.PutUint32(b, uint32(len(data)))
		b = append(b, typ...)
		b = append(b, data...)
		return append(b, 0, 0, 0, 0) // CRC is not checked for ancillary chunks here
	}
	// After IHDR (8 + 25 bytes).
	withText := append(append(append([]byte{}, src[:33]...), chunk("tEXt", "Comment\x00"+gpsMarker)...), chunk("eXIf", gpsMarker)...)
	withText = append(withText, src[33:]...)
	f, err := media.Process(withText, 0)
	require.NoError(t, err)
	require.NotContains(t, string(f.Data), gpsMarker)
	require.Equal(t, src, f.Data)
}

func TestProcessRefusesBadFiles(t *testing.T) {
	png := pngBytes(t, 50, 50)
	jpg := jpegBytes(t, 50, 50)
	for _, tc := range []struct {
		name string
		data []byte
		max  int64
		msg  string
	}{
		{"pdf named .png", []byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"), 0, "file: not an image or video we accept (JPEG, PNG, WebP, GIF, MP4)"},
		{"text", []byte("hello, this is not a picture"), 0, "file: not an image or video we accept"},
		{"heif is not mp4", append([]byte{0, 0, 0, 24}, "ftypheic\x00\x00\x00\x00mif1heic"...), 0, "file: not an image or video we accept"},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), 0, "file: not an image or video we accept"},
		{"empty", nil, 0, "file: empty"},
		{"truncated png", png[:len(png)/2], 0, "file: not a valid PNG image: the file is damaged or truncated"},
		{"truncated jpeg", jpg[:len(jpg)-40], 0, "file: not a valid JPEG image: the file is damaged or truncated"},
		{"jpeg header only", jpg[:20], 0, "file: not a valid JPEG image"},
		{"truncated gif", gifBytes(t, 40, 40)[:30], 0, "file: not a valid GIF image"},
		{"truncated webp", tinyWebP[:20], 0, "file: not a valid WebP image"},
		{"truncated mp4", mp4Bytes("mp42")[:60], 0, "file: not a valid MP4 video"},
		{"mp4 without movie", mp4Box("ftyp", []byte("isom\x00\x00\x00\x00")), 0, "file: not a playable MP4 video"},
		{"too big", png, int64(len(png) - 1), "file: larger than"},
		{"image over the image limit", append(append([]byte{}, png...), make([]byte, media.MaxImageBytes)...), 20 << 20, "file: larger than 10 MB (the limit for images)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := media.Process(tc.data, tc.max)
			require.Error(t, err)
			require.Equal(t, greenlight.EINVALID, greenlight.ErrorCode(err), "%v", err)
			require.Contains(t, greenlight.ErrorMessage(err), tc.msg)
		})
	}
}

func TestReadStopsAtTheLimit(t *testing.T) {
	_, err := media.Read(strings.NewReader(strings.Repeat("x", 2<<20)), 1<<20)
	require.Equal(t, greenlight.EINVALID, greenlight.ErrorCode(err))
	require.Equal(t, "file: larger than 1 MB", greenlight.ErrorMessage(err))
}

func TestLibraryStoresByContent(t *testing.T) {
	lib, err := media.New(t.TempDir(), 0, bytes.Repeat([]byte("k"), 32))
	require.NoError(t, err)
	f, err := media.Process(pngBytes(t, 20, 20), 0)
	require.NoError(t, err)
	thumb, err := lib.Save(f)
	require.NoError(t, err)
	require.Len(t, thumb, 64)
	sha, err := lib.Put(f.Data)
	require.NoError(t, err)
	require.Equal(t, f.SHA256, sha, "the same bytes, the same file")
	r, err := lib.Open(sha)
	require.NoError(t, err)
	defer r.Close()
	var got bytes.Buffer
	_, err = got.ReadFrom(r)
	require.NoError(t, err)
	require.Equal(t, f.Data, got.Bytes())
	_, err = lib.Open("../../etc/passwd")
	require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))
}

func TestSignedURLs(t *testing.T) {
	lib, err := media.New(t.TempDir(), 0, bytes.Repeat([]byte("k"), 32))
	require.NoError(t, err)
	other, err := media.New(t.TempDir(), 0, bytes.Repeat([]byte("o"), 32))
	require.NoError(t, err)
	now := time.Unix(1_800_000_000, 0)
	signed := lib.SignURL("/media/med_a/file", now.Add(time.Hour))
	path, query, ok := strings.Cut(signed, "?")
	require.True(t, ok)
	q := func(k string) string {
		for _, kv := range strings.Split(query, "&") {
			if name, v, _ := strings.Cut(kv, "="); name == k {
				return v
			}
		}
		return ""
	}
	exp, sig := q("exp"), q("sig")
	require.NoError(t, lib.Verify(path, exp, sig, now))
	for _, tc := range []struct {
		name           string
		lib            *media.Library
		path, exp, sig string
		at             time.Time
		code           string
	}{
		{"other media", lib, "/media/med_b/file", exp, sig, now, greenlight.EFORBIDDEN},
		{"thumbnail instead", lib, "/media/med_a/thumb", exp, sig, now, greenlight.EFORBIDDEN},
		{"later expiry", lib, path, "1900000000", sig, now, greenlight.EFORBIDDEN},
		{"tampered signature", lib, path, exp, "A" + sig[1:], now, greenlight.EFORBIDDEN},
		{"no signature", lib, path, exp, "", now, greenlight.EFORBIDDEN},
		{"other key", other, path, exp, sig, now, greenlight.EFORBIDDEN},
		{"expired", lib, path, exp, sig, now.Add(time.Hour + time.Second), greenlight.EGONE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.lib.Verify(tc.path, tc.exp, tc.sig, tc.at)
			require.Equal(t, tc.code, greenlight.ErrorCode(err), "%v", err)
		})
	}
	_, err = media.New(t.TempDir(), 0, []byte("short"))
	require.Error(t, err, "a short key is refused")
}

func TestOpenKeepsOneKeyPerDirectory(t *testing.T) {
	dir := t.TempDir()
	a, err := media.Open(dir, 0)
	require.NoError(t, err)
	b, err := media.Open(dir, 0)
	require.NoError(t, err)
	now := time.Now()
	path, query, _ := strings.Cut(a.SignURL("/media/med_a/file", now.Add(time.Minute)), "?")
	vals := map[string]string{}
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		vals[k] = v
	}
	require.NoError(t, b.Verify(path, vals["exp"], vals["sig"], now), "a second process on the same directory verifies the first one's URLs")
	c, err := media.Open(t.TempDir(), 0)
	require.NoError(t, err)
	require.Error(t, c.Verify(path, vals["exp"], vals["sig"], now), "another directory has another key")
}

func TestGIFMetadataIsDropped(t *testing.T) {
	// An animated GIF: two frames, looping forever.
	pal := []color.Color{color.Black, color.White}
	frames := []*image.Paletted{image.NewPaletted(image.Rect(0, 0, 8, 8), pal), image.NewPaletted(image.Rect(0, 0, 8, 8), pal)}
	frames[1].SetColorIndex(1, 1, 1)
	var b bytes.Buffer
	require.NoError(t, gif.EncodeAll(&b, &gif.GIF{Image: frames, Delay: []int{10, 10}, LoopCount: 0}))
	src := b.Bytes()
	at := 13
	if src[10]&0x80 != 0 {
		at += 3 << (int(src[10]&0x07) + 1)
	}
	comment := append(append([]byte{0x21, 0xFE, byte(len(gpsMarker))}, gpsMarker...), 0)
	xmp := append(append([]byte{0x21, 0xFF, 11}, "XMP DataXMP"...), byte(len(gpsMarker)))
	xmp = append(append(xmp, gpsMarker...), 0)
	withMeta := append(append(append(append([]byte{}, src[:at]...), comment...), xmp...), src[at:]...)

	f, err := media.Process(withMeta, 0)
	require.NoError(t, err)
	require.NotContains(t, string(f.Data), gpsMarker)
	require.Equal(t, src, f.Data, "the rest, loop count included, is kept byte for byte")
	all, err := gif.DecodeAll(bytes.NewReader(f.Data))
	require.NoError(t, err)
	require.Len(t, all.Image, 2)
}
