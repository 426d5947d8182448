package media_test

import (
	"testing"

	"github.com/greenlight/greenlight/media"
)

// FuzzProcess: no upload makes Process panic, and what it accepts it accepts again
// unchanged (stripping is idempotent).
func FuzzProcess(f *testing.F) {
	f.Add(pngBytes(&testing.T{}, 4, 4))
	f.Add(jpegBytes(&testing.T{}, 4, 4))
	f.Add(gifBytes(&testing.T{}, 4, 4))
	f.Add(exifJPEG(&testing.T{}, 4, 4, 6))
	f.Add(tinyWebP)
	f.Add(webpWithEXIF())
	f.Add(mp4Bytes("isom"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := media.Process(b, 1<<20)
		if err != nil {
			return
		}
		again, err := media.Process(got.Data, 1<<20)
		if err != nil {
			t.Fatalf("accepted once, refused after stripping: %v", err)
		}
		if again.SHA256 != got.SHA256 {
			t.Fatalf("stripping twice changed the bytes")
		}
	})
}
