package bluesky

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/clipperhouse/uax29/v2/graphemes"

	"github.com/greenlight/greenlight/publish"
)

// Collection is the NSID of a Bluesky post record.
const Collection = "app.bsky.feed.post"

// Limits of app.bsky.feed.post and app.bsky.embed.images (from the lexicons; the image size
// is the limit the Bluesky app view enforces on image blobs).
const (
	MaxGraphemes  = 300
	MaxTextBytes  = 3000
	MaxImages     = 4
	MaxImageBytes = 1_000_000
	MaxLangs      = 3
)

// Post is what a channel publishes: text and up to four images, in order.
type Post struct {
	Text      string
	Langs     []string  // BCP-47 tags, e.g. "en", "fr"; at most 3
	CreatedAt time.Time // zero: the time of Prepare
	Images    []Image
}

// Image is one image of a post.
type Image struct {
	Data     []byte
	MimeType string // sniffed from Data when empty
	Alt      string // alt text; strongly encouraged
	Width    int    // optional, with Height: the aspect ratio apps reserve before loading
	Height   int
}

// RuleError is a post that breaks one of Bluesky's rules; the publishing layer answers 422
// naming the channel and Rule.
type RuleError struct {
	Rule    string // "text_length", "image_count", "image_size", "image_type", "langs"
	Message string
}

func (e *RuleError) Error() string { return "bluesky: " + e.Message }

// Graphemes counts the user-perceived characters of s (Unicode extended grapheme
// clusters), the unit of Bluesky's 300-character limit: "é" written as e + combining accent
// and a family emoji each count once.
func Graphemes(s string) int {
	n := 0
	for it := graphemes.FromString(s); it.Next(); {
		n++
	}
	return n
}

// Validate checks p against the rules of app.bsky.feed.post and app.bsky.embed.images and
// returns the first rule broken as a *RuleError, or nil.
func Validate(p Post) error {
	if !utf8.ValidString(p.Text) {
		return &RuleError{"text_encoding", "text is not valid UTF-8"}
	}
	if n := Graphemes(p.Text); n > MaxGraphemes {
		return &RuleError{"text_length", fmt.Sprintf("text is %d characters; Bluesky allows %d", n, MaxGraphemes)}
	}
	if len(p.Text) > MaxTextBytes {
		return &RuleError{"text_length", fmt.Sprintf("text is %d bytes; Bluesky allows %d", len(p.Text), MaxTextBytes)}
	}
	if len(p.Images) > MaxImages {
		return &RuleError{"image_count", fmt.Sprintf("%d images; Bluesky allows %d", len(p.Images), MaxImages)}
	}
	for i, im := range p.Images {
		if len(im.Data) == 0 {
			return &RuleError{"image_size", fmt.Sprintf("image %d is empty", i+1)}
		}
		if len(im.Data) > MaxImageBytes {
			return &RuleError{"image_size", fmt.Sprintf("image %d is %d bytes; Bluesky allows %d", i+1, len(im.Data), MaxImageBytes)}
		}
		if mt := imageType(im); !strings.HasPrefix(mt, "image/") {
			return &RuleError{"image_type", fmt.Sprintf("image %d is %s, not an image", i+1, mt)}
		}
	}
	if len(p.Langs) > MaxLangs {
		return &RuleError{"langs", fmt.Sprintf("%d languages; Bluesky allows %d", len(p.Langs), MaxLangs)}
	}
	return nil
}

func imageType(im Image) string {
	if im.MimeType != "" {
		return im.MimeType
	}
	return http.DetectContentType(im.Data)
}

// PostRecord is an app.bsky.feed.post record as this package writes it.
type PostRecord struct {
	Type      string       `json:"$type"`
	Text      string       `json:"text"`
	CreatedAt string       `json:"createdAt"`
	Langs     []string     `json:"langs,omitempty"`
	Facets    []Facet      `json:"facets,omitempty"`
	Embed     *ImagesEmbed `json:"embed,omitempty"`
}

// Facet annotates a byte range of the text (app.bsky.richtext.facet).
type Facet struct {
	Index    ByteSlice      `json:"index"`
	Features []FacetFeature `json:"features"`
}

// ByteSlice is a range of the text in UTF-8 bytes, end exclusive: not characters, not
// UTF-16 units.
type ByteSlice struct {
	ByteStart int `json:"byteStart"`
	ByteEnd   int `json:"byteEnd"`
}

// FacetFeature is one feature of a facet; this package writes links
// (app.bsky.richtext.facet#link).
type FacetFeature struct {
	Type string `json:"$type"`
	URI  string `json:"uri,omitempty"`
}

// ImagesEmbed is app.bsky.embed.images.
type ImagesEmbed struct {
	Type   string          `json:"$type"`
	Images []EmbeddedImage `json:"images"`
}

// EmbeddedImage is app.bsky.embed.images#image.
type EmbeddedImage struct {
	Alt         string       `json:"alt"`
	Image       Blob         `json:"image"`
	AspectRatio *AspectRatio `json:"aspectRatio,omitempty"`
}

// AspectRatio is app.bsky.embed.defs#aspectRatio.
type AspectRatio struct {
	Width  int `json:"width"`
	Height int `json:"height"`
}

// linkPattern finds http(s) URLs that start the text or follow a space or an opening
// bracket. Trailing punctuation is trimmed afterwards.
var linkPattern = regexp.MustCompile(`(?:^|[\s(\[])(https?://[^\s<>"]+)`)

// LinkFacets returns a link facet for every http(s) URL in text, with UTF-8 byte offsets.
func LinkFacets(text string) []Facet {
	var out []Facet
	for _, m := range linkPattern.FindAllStringSubmatchIndex(text, -1) {
		start, end := m[2], m[3]
		link := publish.TrimLink(text[start:end])
		end = start + len(link)
		u, err := url.Parse(link)
		if err != nil || u.Host == "" {
			continue
		}
		out = append(out, Facet{
			Index:    ByteSlice{ByteStart: start, ByteEnd: end},
			Features: []FacetFeature{{Type: "app.bsky.richtext.facet#link", URI: link}},
		})
	}
	return out
}

// tidAlphabet is the base32-sortable alphabet of TIDs.
const tidAlphabet = "234567abcdefghijklmnopqrstuvwxyz"

// RecordKey derives the record key of one publication from (post, version, channel), so
// that every attempt to create it names the same record and the repo can hold it only once.
//
// app.bsky.feed.post records are keyed by TID (the PDS checks it), so the key is a TID: 53
// bits of microseconds and 10 bits of clock id. Its second is anchor's, a time fixed for
// the post (use the post's creation time, never its publish time, which may move); the
// sub-second microseconds and the clock id (30 bits) come from a SHA-256 of the triple.
func RecordKey(postID string, version int, channel string, anchor time.Time) string {
	h := sha256.Sum256([]byte(postID + "\x00" + strconv.Itoa(version) + "\x00" + channel))
	r := binary.BigEndian.Uint64(h[:8])
	us := uint64(anchor.Unix())*1_000_000 + r%1_000_000
	us &= 1<<53 - 1
	v := us<<10 | (r>>40)&1023
	var b [13]byte
	for i := 12; i >= 0; i-- {
		b[i] = tidAlphabet[v&31]
		v >>= 5
	}
	return string(b[:])
}

// ValidTID reports whether s is a TID in its canonical 13-character form.
func ValidTID(s string) bool {
	if len(s) != 13 || strings.IndexByte(tidAlphabet[:16], s[0]) < 0 {
		return false
	}
	for i := 1; i < len(s); i++ {
		if strings.IndexByte(tidAlphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}

// Prepare validates p, uploads its images and returns the record to create. Nothing is
// visible yet: a failed or repeated Prepare leaves only unreferenced blobs, which the PDS
// deletes.
func (c *Client) Prepare(ctx context.Context, p Post) (PostRecord, error) {
	if err := Validate(p); err != nil {
		return PostRecord{}, &Error{Kind: KindPermanent, Method: Collection, Message: err.Error(), Err: err}
	}
	created := p.CreatedAt
	if created.IsZero() {
		created = c.now()
	}
	rec := PostRecord{
		Type:      Collection,
		Text:      p.Text,
		CreatedAt: created.UTC().Format("2006-01-02T15:04:05.000Z"),
		Langs:     p.Langs,
		Facets:    LinkFacets(p.Text),
	}
	if len(p.Images) > 0 {
		embed := &ImagesEmbed{Type: "app.bsky.embed.images"}
		for _, im := range p.Images {
			blob, err := c.UploadBlob(ctx, im.Data, imageType(im))
			if err != nil {
				return PostRecord{}, err
			}
			ei := EmbeddedImage{Alt: im.Alt, Image: blob}
			if im.Width > 0 && im.Height > 0 {
				ei.AspectRatio = &AspectRatio{Width: im.Width, Height: im.Height}
			}
			embed.Images = append(embed.Images, ei)
		}
		rec.Embed = embed
	}
	return rec, nil
}

// Created is the outcome of Create.
type Created struct {
	Ref
	// Existing is true when the record was already there: an earlier attempt (whose answer
	// was lost) created it, and this call did not create another.
	Existing bool
}

// Create is the one visible act: it creates rec under rkey (from RecordKey). It is
// idempotent: the repo holds one record per key, so a repeated create cannot make a second
// post. The PDS answers a create on a taken key with a bare 500, so after any retryable
// failure Create reads the key back: a record there with the same text is this post
// (Existing), and its URI and CID are returned.
func (c *Client) Create(ctx context.Context, rkey string, rec PostRecord) (Created, error) {
	if !ValidTID(rkey) {
		return Created{}, &Error{Kind: KindPermanent, Method: "com.atproto.repo.createRecord", Message: fmt.Sprintf("record key %q is not a TID", rkey)}
	}
	ref, err := c.CreateRecord(ctx, Collection, rkey, rec)
	if err == nil {
		return Created{Ref: ref}, nil
	}
	if KindOf(err) != KindRetryable {
		return Created{}, err
	}
	existing, found, lerr := c.Lookup(ctx, rkey)
	switch {
	case lerr != nil:
		// Neither answer is known: the caller may call Create again (safe) or mark the
		// channel unconfirmed.
		return Created{}, err
	case !found:
		return Created{}, err
	case existing.Text != rec.Text:
		return Created{}, &Error{Kind: KindPermanent, Method: "com.atproto.repo.createRecord", Message: fmt.Sprintf("record key %s already holds a different post", rkey)}
	}
	return Created{Ref: existing.Ref, Existing: true}, nil
}

// Existing is a post found under a record key.
type Existing struct {
	Ref
	Text string
}

// Lookup reads the session's post under rkey: found is false when there is none. The
// publishing layer uses it to settle an ambiguous create.
func (c *Client) Lookup(ctx context.Context, rkey string) (Existing, bool, error) {
	r, err := c.GetRecord(ctx, "", Collection, rkey)
	if errors.Is(err, ErrNotFound) {
		return Existing{}, false, nil
	}
	if err != nil {
		return Existing{}, false, err
	}
	var v PostRecord
	if err := json.Unmarshal(r.Value, &v); err != nil {
		return Existing{}, false, &Error{Kind: KindRetryable, Method: "com.atproto.repo.getRecord", Message: "unreadable record", Err: err}
	}
	return Existing{Ref: Ref{URI: r.URI, CID: r.CID}, Text: v.Text}, true, nil
}

// Publish prepares p and creates it under rkey: the whole publication in one call.
func (c *Client) Publish(ctx context.Context, rkey string, p Post) (Created, error) {
	rec, err := c.Prepare(ctx, p)
	if err != nil {
		return Created{}, err
	}
	return c.Create(ctx, rkey, rec)
}

// PostURL returns the bsky.app address of a post given its at:// URI, for people to click.
func PostURL(uri string) string {
	// at://did:plc:xyz/app.bsky.feed.post/3k...
	rest, ok := strings.CutPrefix(uri, "at://")
	if !ok {
		return ""
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || parts[1] != Collection {
		return ""
	}
	return "https://bsky.app/profile/" + parts[0] + "/post/" + parts[2]
}
