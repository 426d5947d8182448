package meta

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/publish"
)

// Instagram's publishing rules (developers.facebook.com/docs/instagram-platform/
// instagram-graph-api/reference/ig-user/media, content-publishing).
const (
	IGMaxCaption      = 2200
	IGMaxHashtags     = 30
	IGMaxMentions     = 20
	IGMaxCarousel     = 10
	IGMaxImageBytes   = 8 << 20
	IGMaxVideoBytes   = 300 << 20
	IGMinVideo        = 3 * time.Second
	IGMaxReel         = 15 * time.Minute
	IGMaxCarouselClip = 60 * time.Second
)

var (
	hashtagPattern = regexp.MustCompile(`(^|[^\p{L}\p{N}_&])#[\p{L}\p{N}_]+`)
	mentionPattern = regexp.MustCompile(`(^|[^\p{L}\p{N}_.])@[\p{L}\p{N}_.]+`)
)

// CheckInstagram checks p against Instagram's rules (see Instagram.Validate), without the
// public URL.
func CheckInstagram(p publish.Post) error {
	if n := utf8.RuneCountInString(p.Text); n > IGMaxCaption {
		return &publish.RuleError{Rule: "text_length", Message: fmt.Sprintf("the caption is %d characters long; Instagram allows %d", n, IGMaxCaption)}
	}
	if n := len(hashtagPattern.FindAllString(p.Text, -1)); n > IGMaxHashtags {
		return &publish.RuleError{Rule: "hashtag_count", Message: fmt.Sprintf("the caption has %d hashtags; Instagram allows %d", n, IGMaxHashtags)}
	}
	if n := len(mentionPattern.FindAllString(p.Text, -1)); n > IGMaxMentions {
		return &publish.RuleError{Rule: "mention_count", Message: fmt.Sprintf("the caption mentions %d accounts; Instagram allows %d", n, IGMaxMentions)}
	}
	if len(p.Media) == 0 {
		return &publish.RuleError{Rule: "media_required", Message: "an Instagram post needs at least one image or video"}
	}
	if len(p.Media) > IGMaxCarousel {
		return &publish.RuleError{Rule: "media_count", Message: fmt.Sprintf("%d media attached; an Instagram carousel holds at most %d", len(p.Media), IGMaxCarousel)}
	}
	carousel := len(p.Media) > 1
	for i, m := range p.Media {
		switch {
		case m.ContentType == "image/jpeg":
			if m.Size > IGMaxImageBytes {
				return &publish.RuleError{Rule: "media_size", Message: fmt.Sprintf("image %d is %d bytes; Instagram accepts at most %d", i+1, m.Size, IGMaxImageBytes)}
			}
			if m.Width > 0 && m.Height > 0 {
				r := float64(m.Width) / float64(m.Height)
				if r < 0.8-0.005 || r > 1.91+0.005 {
					return &publish.RuleError{Rule: "aspect_ratio", Message: fmt.Sprintf("image %d is %dx%d; Instagram accepts aspect ratios from 4:5 to 1.91:1", i+1, m.Width, m.Height)}
				}
			}
		case m.ContentType == "video/mp4" || m.ContentType == "video/quicktime":
			if m.Size > IGMaxVideoBytes {
				return &publish.RuleError{Rule: "media_size", Message: fmt.Sprintf("video %d is %d bytes; Instagram accepts at most %d", i+1, m.Size, IGMaxVideoBytes)}
			}
			d := time.Duration(m.DurationMS) * time.Millisecond
			limit := IGMaxReel
			if carousel {
				limit = IGMaxCarouselClip
			}
			if m.DurationMS > 0 && (d < IGMinVideo || d > limit) {
				return &publish.RuleError{Rule: "video_duration", Message: fmt.Sprintf("video %d lasts %s; Instagram accepts %s to %s here", i+1, d.Round(time.Second), IGMinVideo, limit)}
			}
		case strings.HasPrefix(m.ContentType, "image/"):
			return &publish.RuleError{Rule: "media_type", Message: fmt.Sprintf("image %d is %s; Instagram publishes JPEG images only", i+1, m.ContentType)}
		default:
			return &publish.RuleError{Rule: "media_type", Message: fmt.Sprintf("media %d is %s, which Instagram does not accept", i+1, m.ContentType)}
		}
	}
	return nil
}

// notPublic says why Meta could not fetch from raw ("" when it looks public): not https,
// a loopback, private or otherwise internal address, or a host name that only resolves
// inside a local network.
func notPublic(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "it is not an absolute URL"
	}
	if u.Scheme != "https" {
		return "it is not https"
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if ip, err := netip.ParseAddr(host); err == nil {
		if outbound.Internal(ip) {
			return host + " is a loopback or private address"
		}
		return ""
	}
	if !strings.Contains(host, ".") || host == "localhost" {
		return host + " is not a public host name"
	}
	for _, suffix := range []string{".localhost", ".local", ".internal", ".lan", ".home.arpa", ".test", ".invalid", ".example"} {
		if strings.HasSuffix(host, suffix) {
			return host + " is not a public host name"
		}
	}
	return ""
}

func publicURLMessage(why string) string {
	return "Instagram fetches every image and video from Greenlight's public address, and " + why +
		": set GREENLIGHT_PUBLIC_URL to a public https URL that serves Greenlight (the API's /media path must be reachable from the internet)"
}
