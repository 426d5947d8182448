package meta

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/greenlight/greenlight/publish"
)

// Facebook Page publishing rules (developers.facebook.com/docs/pages-api/posts,
// /docs/graph-api/reference/page/photos). Meta documents no cap on a multi-photo post;
// FBMaxPhotos is ours, the size of an Instagram carousel, so one post fits both.
const (
	FBMaxText       = 63206
	FBMaxPhotos     = 10
	FBMaxPhotoBytes = 4 << 20
)

// fbPhotoTypes are the image types Pages accept as photos.
var fbPhotoTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true,
	"image/bmp": true, "image/tiff": true, "image/heif": true}

var linkPattern = regexp.MustCompile(`(?i)https?://[^\s<>"]+`)

// Facebook publishes to a Facebook Page with the Page's token (publish.Connector): a text
// post (its first link becomes the post's link preview), a photo post, or a multi-photo
// post (photos uploaded unpublished, then one feed post attaching them). Photos are
// uploaded as bytes, so Facebook needs no public URL. Videos are not published (a Page
// video is a separate resumable-upload API): Validate refuses them.
type Facebook struct {
	HTTP     *http.Client
	GraphURL string // default DefaultGraphURL
	Version  string // default DefaultVersion
	// AppSecret is the Meta app's secret (GREENLIGHT_META_APP_SECRET): every call then
	// carries appsecret_proof. Empty: calls go without it (the app must not require it).
	AppSecret string
}

// NewFacebook returns a Facebook Pages connector calling the Graph API version through hc.
func NewFacebook(hc *http.Client, version string) *Facebook {
	return &Facebook{HTTP: hc, GraphURL: DefaultGraphURL, Version: version}
}

// Network returns "facebook".
func (c *Facebook) Network() string { return FacebookNetwork }

func (c *Facebook) graph() graph {
	g := newGraph(c.HTTP, c.GraphURL, c.Version, FacebookNetwork)
	g.appSecret = c.AppSecret
	return g
}

// Validate checks p against a Page post's rules: text or photos, text of at most 63,206
// characters, at most 10 photos of at most 4 MB each in a type Pages accept, no video. A
// broken rule is a *publish.RuleError. Like Instagram's, the rules apply to a client with
// a connected account (acct.ID set); without one the channel goes to the webhook.
func (c *Facebook) Validate(ctx context.Context, acct publish.Account, p publish.Post) error {
	if acct.ID == "" {
		return nil
	}
	return CheckFacebook(p)
}

// CheckFacebook checks p against a Page post's rules (see Facebook.Validate).
func CheckFacebook(p publish.Post) error {
	if n := utf8.RuneCountInString(p.Text); n > FBMaxText {
		return &publish.RuleError{Rule: "text_length", Message: fmt.Sprintf("the text is %d characters long; Facebook allows %d", n, FBMaxText)}
	}
	if strings.TrimSpace(p.Text) == "" && len(p.Media) == 0 {
		return &publish.RuleError{Rule: "text_length", Message: "a Facebook post needs text or photos"}
	}
	if len(p.Media) > FBMaxPhotos {
		return &publish.RuleError{Rule: "media_count", Message: fmt.Sprintf("%d photos attached; Greenlight publishes at most %d per Facebook post", len(p.Media), FBMaxPhotos)}
	}
	for i, m := range p.Media {
		if strings.HasPrefix(m.ContentType, "video/") {
			return &publish.RuleError{Rule: "media_type", Message: fmt.Sprintf("media %d is a video; Greenlight publishes text and photos to Facebook Pages, not videos", i+1)}
		}
		if !fbPhotoTypes[m.ContentType] {
			return &publish.RuleError{Rule: "media_type", Message: fmt.Sprintf("media %d is %s, which Facebook does not accept as a photo", i+1, m.ContentType)}
		}
		if m.Size > FBMaxPhotoBytes {
			return &publish.RuleError{Rule: "media_size", Message: fmt.Sprintf("photo %d is %d bytes; Facebook accepts at most %d", i+1, m.Size, FBMaxPhotoBytes)}
		}
	}
	return nil
}

// Publish makes p's one Page post. Uploading unpublished photos is invisible and safe to
// repeat; the visible create (POST /{page-id}/feed, or /photos for a single photo) has no
// idempotency key: when its answer is lost the result is KindAmbiguous (the channel is
// unconfirmed and a person decides). Other errors are *publish.Error by Meta's code.
func (c *Facebook) Publish(ctx context.Context, acct publish.Account, p publish.Post) (publish.Result, error) {
	cred, err := openCredentials(FacebookNetwork, acct.Credentials, false)
	if err != nil {
		return publish.Result{}, err
	}
	if err := CheckFacebook(p); err != nil {
		return publish.Result{}, &publish.Error{Kind: publish.KindPermanent, Network: FacebookNetwork, Message: err.Error(), Err: err}
	}
	g := c.graph()
	var created struct {
		ID     string `json:"id"`
		PostID string `json:"post_id"`
	}
	switch len(p.Media) {
	case 0:
		params := url.Values{"message": {p.Text}}
		if link := linkPattern.FindString(p.Text); link != "" {
			params.Set("link", publish.TrimLink(link))
		}
		err = g.post(ctx, "POST /{page-id}/feed", cred.PageID+"/feed", cred.PageToken, params, &created)
	case 1:
		data, rerr := p.Media[0].Bytes()
		if rerr != nil {
			return publish.Result{}, &publish.Error{Kind: publish.KindRetryable, Network: FacebookNetwork, Message: "reading photo 1", Err: rerr}
		}
		params := url.Values{"published": {"true"}}
		if p.Text != "" {
			params.Set("caption", p.Text)
		}
		err = g.postFile(ctx, "POST /{page-id}/photos", cred.PageID+"/photos", cred.PageToken, params,
			fileName(p.Media[0], 0), p.Media[0].ContentType, data, &created)
	default:
		params := url.Values{"message": {p.Text}}
		for i, m := range p.Media {
			data, rerr := m.Bytes()
			if rerr != nil {
				return publish.Result{}, &publish.Error{Kind: publish.KindRetryable, Network: FacebookNetwork, Message: fmt.Sprintf("reading photo %d", i+1), Err: rerr}
			}
			var photo struct {
				ID string `json:"id"`
			}
			if err := g.postFile(ctx, "POST /{page-id}/photos", cred.PageID+"/photos", cred.PageToken,
				url.Values{"published": {"false"}}, fileName(m, i), m.ContentType, data, &photo); err != nil {
				// Unpublished photos are invisible: a lost answer here only leaves a stray.
				return publish.Result{}, publishError(FacebookNetwork, err)
			}
			params.Set(fmt.Sprintf("attached_media[%d]", i), fmt.Sprintf(`{"media_fbid":%q}`, photo.ID))
		}
		err = g.post(ctx, "POST /{page-id}/feed", cred.PageID+"/feed", cred.PageToken, params, &created)
	}
	if err != nil {
		pe := publishError(FacebookNetwork, err)
		var ae *apiError
		if errors.As(err, &ae) && ae.lost() {
			pe.Kind = publish.KindAmbiguous
			pe.Message += " (Facebook did not confirm the post)"
		}
		return publish.Result{}, pe
	}
	id := created.PostID
	if id == "" {
		id = created.ID
	}
	return publish.Result{RemoteID: id, URL: c.permalink(ctx, g, cred, id)}, nil
}

// permalink asks the post's permalink_url; facebook.com/{post-id} when Meta does not say.
func (c *Facebook) permalink(ctx context.Context, g graph, cred Credentials, id string) string {
	var out struct {
		PermalinkURL string `json:"permalink_url"`
	}
	if err := g.get(ctx, "GET /{post-id}", id, cred.PageToken, url.Values{"fields": {"permalink_url"}}, &out); err == nil && out.PermalinkURL != "" {
		return out.PermalinkURL
	}
	return "https://www.facebook.com/" + url.PathEscape(id)
}

func fileName(m publish.Media, i int) string {
	ext := "bin"
	if _, sub, ok := strings.Cut(m.ContentType, "/"); ok && sub != "" {
		ext = sub
	}
	name := m.SHA256
	if len(name) > 16 {
		name = name[:16]
	}
	if name == "" {
		name = fmt.Sprintf("photo%d", i+1)
	}
	return name + "." + ext
}

var _ publish.Connector = (*Facebook)(nil)
