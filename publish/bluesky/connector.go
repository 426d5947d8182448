package bluesky

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/greenlight/greenlight/media"
	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/publish"
)

// Network is the account network the Connector serves.
const Network = "bluesky"

// Connector publishes a client's posts on its connected Bluesky account; it implements
// publish.Connector.
//
// The account's Credentials are the JSON of the Session stored when the account was
// connected (service.ConnectAccount). Publish resumes that session and never logs in: when
// the PDS refuses the access token it refreshes the session once, stores the new one
// through Account.Save before using it, and when the refresh is refused too it returns a
// *publish.Error of KindAuth (the account needs reconnecting).
//
// The record key of a publication is RecordKey(post id, version, channel, anchor) with
// publish.Post.CreatedAt as the anchor, which the caller must fill with a time fixed for the
// publication: the post's creation time, or its version's (never the publish time, which
// may move). It never changes between attempts, so every retry names the same record and
// the repo can hold the post only once. A post without CreatedAt is refused (KindPermanent).
//
// Bluesky posts have no title: Post.Title is not published, only Post.Text.
type Connector struct {
	// HTTP is the outbound client (outbound.NewClient): timeouts and the address policy.
	HTTP *http.Client
	// Now is the clock (record createdAt, Retry-After dates); time.Now when nil.
	Now func() time.Time
}

var _ publish.Connector = Connector{}

// Network returns "bluesky".
func (Connector) Network() string { return Network }

// Image content types Bluesky accepts that Publish can also shrink to MaxImageBytes.
var imageTypes = map[string]bool{media.JPEG: true, media.PNG: true, media.WebP: true, media.GIF: true}

// Validate checks p against Bluesky's rules (they are the same for every account): text of
// at most 300 graphemes (and 3000 bytes) of valid UTF-8, at most 4 media, images only
// (JPEG, PNG, WebP or GIF: Publish shrinks any of them over 1 MB to fit, so an image is
// never refused for its size; a video is refused, rule "media_type"). A broken rule is a
// *publish.RuleError.
func (Connector) Validate(_ context.Context, _ publish.Account, p publish.Post) error {
	if err := Validate(Post{Text: p.Text}); err != nil {
		var re *RuleError
		if errors.As(err, &re) {
			return &publish.RuleError{Rule: re.Rule, Message: re.Message}
		}
		return err
	}
	if len(p.Media) > MaxImages {
		return &publish.RuleError{Rule: "image_count", Message: fmt.Sprintf("%d media files; Bluesky allows %d images", len(p.Media), MaxImages)}
	}
	for i, m := range p.Media {
		switch {
		case strings.HasPrefix(m.ContentType, "video/"):
			return &publish.RuleError{Rule: "media_type", Message: fmt.Sprintf("media %d is a video: Bluesky video is not supported by Greenlight yet; use images (at most %d)", i+1, MaxImages)}
		case !imageTypes[m.ContentType]:
			return &publish.RuleError{Rule: "media_type", Message: fmt.Sprintf("media %d is %q: Bluesky takes JPEG, PNG, WebP or GIF images", i+1, m.ContentType)}
		case m.Width > 0 && m.Height > 0 && int64(m.Width)*int64(m.Height) > media.MaxPixels:
			return &publish.RuleError{Rule: "image_size", Message: fmt.Sprintf("image %d is %d×%d pixels; it cannot be resized for Bluesky (at most %d megapixels)", i+1, m.Width, m.Height, media.MaxPixels/1_000_000)}
		}
	}
	return nil
}

// maxCreateAttempts bounds how often Publish repeats a create whose outcome it could not
// settle, before handing the publication back as retryable.
const maxCreateAttempts = 3

// Publish makes p's one post on acct: it validates p, opens its images (shrinking any over
// MaxImageBytes to a JPEG that fits, keeping the aspect ratio and the alt text), uploads
// them and computes the link facets (Prepare: invisible, safe to repeat), then creates the
// record under its record key (see Connector). A create whose answer is lost is settled by
// reading the key back; when even that fails, the create is tried again (it is idempotent),
// and after maxCreateAttempts the error is KindRetryable, never a second post.
//
// Errors are *publish.Error: KindRateLimit with RetryAfter for a 429, KindAuth when the
// session cannot be refreshed (or the stored one is unreadable), KindPermanent for a broken
// rule or a request the PDS refuses, KindRetryable otherwise.
func (c Connector) Publish(ctx context.Context, acct publish.Account, p publish.Post) (publish.Result, error) {
	if err := c.Validate(ctx, acct, p); err != nil {
		return publish.Result{}, &publish.Error{Kind: publish.KindPermanent, Network: Network, Message: err.Error(), Err: err}
	}
	if p.CreatedAt.IsZero() {
		return publish.Result{}, &publish.Error{Kind: publish.KindPermanent, Network: Network, Message: "the post has no creation time: the record key needs one"}
	}
	client, err := c.client(acct)
	if err != nil {
		return publish.Result{}, err
	}
	images, err := openImages(p.Media)
	if err != nil {
		return publish.Result{}, err
	}
	rec, err := client.Prepare(ctx, Post{Text: p.Text, CreatedAt: client.now(), Images: images})
	if err != nil {
		return publish.Result{}, publishError(err)
	}
	rkey := RecordKey(p.PostID, p.Version, p.Channel, p.CreatedAt)
	var created Created
	for attempt := 1; ; attempt++ {
		created, err = client.Create(ctx, rkey, rec)
		if err == nil || KindOf(err) != KindRetryable || attempt == maxCreateAttempts {
			break
		}
		if werr := wait(ctx, time.Duration(attempt)*500*time.Millisecond); werr != nil {
			break
		}
	}
	if err != nil {
		pe := publishError(err)
		if pe.Kind == publish.KindRetryable {
			pe.Message = "the post's creation could not be confirmed; retrying is safe (record key " + rkey + "): " + pe.Message
		}
		return publish.Result{}, pe
	}
	return publish.Result{RemoteID: created.URI, URL: PostURL(created.URI)}, nil
}

// client resumes acct's stored session on its PDS; refreshed sessions go to acct.Save.
func (c Connector) client(acct publish.Account) (*Client, error) {
	var sess Session
	if err := json.Unmarshal(acct.Credentials, &sess); err != nil || sess.DID == "" || sess.RefreshJwt == "" {
		return nil, &publish.Error{Kind: publish.KindAuth, Network: Network, Message: "the account's stored session is unreadable: reconnect the account"}
	}
	service := acct.ServiceURL
	if service == "" {
		service = "https://bsky.social"
	}
	client, err := New(c.HTTP, service)
	if err != nil {
		return nil, &publish.Error{Kind: publish.KindPermanent, Network: Network, Message: err.Error(), Err: err}
	}
	if c.Now != nil {
		client.now = c.Now
	}
	client.Resume(sess)
	client.SaveSession = func(ctx context.Context, s Session) error {
		if acct.Save == nil {
			return errors.New("the account has no way to store a refreshed session")
		}
		b, err := json.Marshal(s)
		if err != nil {
			return err
		}
		return acct.Save(ctx, b)
	}
	return client, nil
}

// maxMediaRead bounds how much of one media file is read.
const maxMediaRead = media.MaxImageBytes + 1<<20

// openImages reads p's images in order, shrinking those over MaxImageBytes.
func openImages(files []publish.Media) ([]Image, error) {
	out := make([]Image, 0, len(files))
	for i, m := range files {
		fail := func(kind publish.Kind, format string, args ...any) error {
			msg := fmt.Sprintf("image %d: ", i+1) + fmt.Sprintf(format, args...)
			return &publish.Error{Kind: kind, Network: Network, Message: msg}
		}
		if m.Open == nil {
			return nil, fail(publish.KindPermanent, "the file is not available")
		}
		rc, err := m.Open()
		if err != nil {
			// The library's disk may come back.
			return nil, fail(publish.KindRetryable, "opening the file: %v", err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, maxMediaRead+1))
		rc.Close()
		if err != nil {
			return nil, fail(publish.KindRetryable, "reading the file: %v", err)
		}
		if len(data) > maxMediaRead {
			return nil, fail(publish.KindPermanent, "larger than %d bytes", maxMediaRead)
		}
		im := Image{Data: data, MimeType: m.ContentType, Alt: m.Alt, Width: m.Width, Height: m.Height}
		if ct := media.Sniff(data); ct != "" {
			im.MimeType = ct
		}
		if len(data) > MaxImageBytes {
			small, w, h, err := media.Shrink(data, MaxImageBytes)
			if err != nil {
				return nil, fail(publish.KindPermanent, "%d bytes, over Bluesky's %d, and it cannot be resized: %v", len(data), MaxImageBytes, err)
			}
			im.Data, im.MimeType, im.Width, im.Height = small, media.JPEG, w, h
		}
		out = append(out, im)
	}
	return out, nil
}

// publishError maps a bluesky error to the publishing layer's kinds. The message is the
// PDS's own (error name and message) or what failed locally: never a token.
func publishError(err error) *publish.Error {
	pe := &publish.Error{Network: Network, Message: err.Error(), Err: err}
	var e *Error
	if errors.As(err, &e) {
		pe.Message = e.Method
		if e.Status != 0 {
			pe.Message += fmt.Sprintf(": HTTP %d", e.Status)
		}
		if detail := strings.TrimSpace(e.Code + " " + e.Message); detail != "" {
			pe.Message += ": " + outbound.Sanitize(detail, 300)
		}
		if e.Err != nil && e.Status == 0 {
			pe.Message += ": " + outbound.Cause(e.Err)
		}
	}
	switch KindOf(err) {
	case KindRateLimit:
		pe.Kind = publish.KindRateLimit
		pe.RetryAfter, _ = RetryAfter(err)
	case KindAuth:
		pe.Kind = publish.KindAuth
	case KindPermanent:
		pe.Kind = publish.KindPermanent
	default:
		pe.Kind = publish.KindRetryable
	}
	return pe
}

// wait sleeps d unless ctx ends first.
func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
