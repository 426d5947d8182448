package linkedin

import (
	"fmt"
	"strings"
	"time"

	"github.com/greenlight/greenlight/publish"
)

// LinkedIn's rules for a post, from the Posts and Images API documentation.
const (
	MaxCharacters  = 3000     // commentary
	MaxImages      = 20       // a multi-image post has 2 to 20 images
	MaxAltText     = 4086     // an image's altText
	MaxImagePixels = 36152320 // an image's width × height
	// A video (MP4, one per post, never with images) weighs 75 KB to 500 MB and lasts 3
	// seconds to 30 minutes.
	MinVideoBytes    = 75 << 10
	MaxVideoBytes    = 500 << 20
	MinVideoDuration = 3 * time.Second
	MaxVideoDuration = 30 * time.Minute
)

// imageTypes are the image formats the Images API takes.
var imageTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true}

// CheckRules checks p against LinkedIn's rules: text or media; at most MaxCharacters of
// text (CountCharacters); either one MP4 video (MinVideoBytes to MaxVideoBytes,
// MinVideoDuration to MaxVideoDuration when known) or up to MaxImages JPEG, PNG or GIF
// images, each at most MaxImagePixels with alt text of at most MaxAltText; never a video
// with images. A broken rule is a *publish.RuleError.
func CheckRules(p publish.Post) error {
	if n := CountCharacters(p.Text); n > MaxCharacters {
		return &publish.RuleError{Rule: "text_length", Message: fmt.Sprintf("the text is %d characters long; LinkedIn allows %d", n, MaxCharacters)}
	}
	if strings.TrimSpace(p.Text) == "" && len(p.Media) == 0 {
		return &publish.RuleError{Rule: "text_length", Message: "a LinkedIn post needs text or media"}
	}
	videos := 0
	for _, m := range p.Media {
		if strings.HasPrefix(m.ContentType, "video/") {
			videos++
		}
	}
	if videos > 0 && videos < len(p.Media) {
		return &publish.RuleError{Rule: "media_mix", Message: "LinkedIn does not mix a video with images in one post"}
	}
	if videos > 1 {
		return &publish.RuleError{Rule: "media_count", Message: fmt.Sprintf("%d videos attached; a LinkedIn post has one", videos)}
	}
	if videos == 1 {
		return checkVideo(p.Media[0])
	}
	if len(p.Media) > MaxImages {
		return &publish.RuleError{Rule: "media_count", Message: fmt.Sprintf("%d images attached; LinkedIn allows %d", len(p.Media), MaxImages)}
	}
	for i, m := range p.Media {
		if !imageTypes[m.ContentType] {
			return &publish.RuleError{Rule: "media_type", Message: fmt.Sprintf("media %d is %s; LinkedIn takes JPEG, PNG and GIF images, or one MP4 video", i+1, m.ContentType)}
		}
		if m.Width > 0 && m.Height > 0 && int64(m.Width)*int64(m.Height) > MaxImagePixels {
			return &publish.RuleError{Rule: "image_size", Message: fmt.Sprintf("image %d is %d×%d pixels; LinkedIn accepts at most %d pixels", i+1, m.Width, m.Height, MaxImagePixels)}
		}
		if n := CountCharacters(m.Alt); n > MaxAltText {
			return &publish.RuleError{Rule: "alt_text_length", Message: fmt.Sprintf("the alt text of image %d is %d characters long; LinkedIn allows %d", i+1, n, MaxAltText)}
		}
	}
	return nil
}

func checkVideo(m publish.Media) error {
	if m.ContentType != "video/mp4" {
		return &publish.RuleError{Rule: "media_type", Message: fmt.Sprintf("the video is %s; LinkedIn takes MP4", m.ContentType)}
	}
	if m.Size > 0 && (m.Size < MinVideoBytes || m.Size > MaxVideoBytes) {
		return &publish.RuleError{Rule: "media_size", Message: fmt.Sprintf("the video weighs %d bytes; LinkedIn takes 75 KB to 500 MB", m.Size)}
	}
	if d := time.Duration(m.DurationMS) * time.Millisecond; d > 0 && (d < MinVideoDuration || d > MaxVideoDuration) {
		return &publish.RuleError{Rule: "video_duration", Message: fmt.Sprintf("the video lasts %s; LinkedIn takes 3 seconds to 30 minutes", d.Round(time.Second))}
	}
	return nil
}
