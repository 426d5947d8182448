package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/media"
	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/store"
)

// Limits of a post's media.
const (
	// MaxPostMedia is the most files a post carries (media_ids and media_urls together).
	MaxPostMedia = 10
	// MaxAltText is the longest alt text, in characters (Mastodon's limit; Bluesky's is higher).
	MaxAltText = 1500
	// DefaultMediaFetchTimeout bounds the download of one media_urls entry.
	DefaultMediaFetchTimeout = 60 * time.Second
)

// MediaView is one file of a post version as the API, pages and emails show it: what the
// version names (id, digest, type, alt) and what the library knows of it (size, pixels).
// URL and ThumbURL are signed paths (prefix them with the public URL), "" when uploads are
// not configured; ThumbURL is "" for videos.
type MediaView struct {
	ID          string
	ContentType string
	SHA256      string
	Alt         string
	Size        int64
	Width       int
	Height      int
	DurationMS  int64
	Filename    string
	URL         string
	ThumbURL    string
}

// IsVideo reports whether the file is a video (pages show a player, emails a link).
func (m MediaView) IsVideo() bool { return strings.HasPrefix(m.ContentType, "video/") }

// MediaSet is the library rows of some posts' media, read in one query, to build views.
type MediaSet struct {
	s    *Service
	rows map[string]store.Media
}

// MediaSet reads the library rows of every file the lists name (one query).
func (s *Service) MediaSet(ctx context.Context, lists ...[]greenlight.MediaRef) (*MediaSet, error) {
	var ids []string
	for _, l := range lists {
		for _, r := range l {
			if !slices.Contains(ids, r.ID) {
				ids = append(ids, r.ID)
			}
		}
	}
	rows, err := s.Store.MediaByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	set := &MediaSet{s: s, rows: make(map[string]store.Media, len(rows))}
	for _, m := range rows {
		set.rows[m.ID] = m
	}
	return set, nil
}

// Views returns the views of refs, in order, with freshly signed URLs.
func (ms *MediaSet) Views(refs []greenlight.MediaRef) []MediaView {
	out := make([]MediaView, 0, len(refs))
	for _, r := range refs {
		v := MediaView{ID: r.ID, ContentType: r.ContentType, SHA256: r.SHA256, Alt: r.Alt, URL: ms.s.SignedMediaURL(r.ID, "file")}
		if m, ok := ms.rows[r.ID]; ok {
			v.Size, v.Width, v.Height, v.Filename = m.Size, m.Width, m.Height, m.Filename
			if m.DurationMS != nil {
				v.DurationMS = *m.DurationMS
			}
			if m.ThumbSHA256 != "" {
				v.ThumbURL = ms.s.SignedMediaURL(r.ID, "thumb")
			}
		}
		out = append(out, v)
	}
	return out
}

// validMedia checks the media fields' shape (no database): ids, alt texts, duplicates and
// the number of files. It trims alt texts in place.
func validMedia(f *PostFields) error {
	n := 0
	if f.Media != nil {
		field := f.mediaField()
		list := slices.Clone(*f.Media)
		if len(list) > MaxPostMedia {
			return greenlight.Errorf(greenlight.EINVALID, "%s: at most %d files", field, MaxPostMedia)
		}
		for i := range list {
			list[i].Alt = strings.TrimSpace(list[i].Alt)
			switch {
			case !greenlight.ValidID("med_", list[i].ID):
				return greenlight.Errorf(greenlight.EINVALID, "%s[%d]: not a media id (med_…)", field, i)
			case slices.ContainsFunc(list[:i], func(m MediaInput) bool { return m.ID == list[i].ID }):
				return greenlight.Errorf(greenlight.EINVALID, "%s[%d]: %s is already in the list", field, i, list[i].ID)
			case utf8.RuneCountInString(list[i].Alt) > MaxAltText || !utf8.ValidString(list[i].Alt):
				return greenlight.Errorf(greenlight.EINVALID, "%s[%d].alt: at most %d characters", field, i, MaxAltText)
			}
		}
		f.Media = &list
		n = len(list)
	}
	if f.MediaURLs != nil {
		if len(*f.MediaURLs) > MaxPostMedia {
			return greenlight.Errorf(greenlight.EINVALID, "media_urls: at most %d", MaxPostMedia)
		}
		if n+len(*f.MediaURLs) > MaxPostMedia {
			return greenlight.Errorf(greenlight.EINVALID, "media_urls: a post has at most %d files (%d given in %s)", MaxPostMedia, n, f.mediaField())
		}
		for i, u := range *f.MediaURLs {
			if err := validHTTPURL(fmt.Sprintf("media_urls[%d]", i), u); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *PostFields) mediaField() string {
	if f.MediaField != "" {
		return f.MediaField
	}
	return "media_ids"
}

// postMedia turns the request's media into the version's list: the library items named
// (each must be one of the client's), then each media_urls entry downloaded into the
// client's library, in order. It returns nil when the request changes no media.
func (s *Service) postMedia(ctx context.Context, actor *store.User, clientID string, f *PostFields) ([]greenlight.MediaRef, error) {
	if f.Media == nil && f.MediaURLs == nil {
		return nil, nil
	}
	refs := []greenlight.MediaRef{}
	if f.Media != nil && len(*f.Media) > 0 {
		ids := make([]string, 0, len(*f.Media))
		for _, m := range *f.Media {
			ids = append(ids, m.ID)
		}
		rows, err := s.Store.MediaByIDs(ctx, ids)
		if err != nil {
			return nil, err
		}
		for i, in := range *f.Media {
			j := slices.IndexFunc(rows, func(m store.Media) bool { return m.ID == in.ID && m.ClientID == clientID })
			if j < 0 { // unknown, or another client's: the same answer
				return nil, greenlight.Errorf(greenlight.EINVALID, "%s[%d]: no media %s in this client's library", f.mediaField(), i, in.ID)
			}
			m := rows[j]
			refs = append(refs, greenlight.MediaRef{ID: m.ID, SHA256: m.SHA256, ContentType: m.ContentType, Alt: in.Alt})
		}
	}
	if f.MediaURLs != nil {
		for i, u := range *f.MediaURLs {
			m, err := s.fetchMedia(ctx, actor, clientID, fmt.Sprintf("media_urls[%d]", i), u)
			if err != nil {
				return nil, err
			}
			refs = append(refs, greenlight.MediaRef{ID: m.ID, SHA256: m.SHA256, ContentType: m.ContentType})
		}
	}
	return refs, nil
}

// fetchMedia downloads one URL through the outbound client (its policy, a timeout, at most
// the library's maximum size) and stores it in the client's library like an upload. Every
// failure is EINVALID naming field and the problem.
func (s *Service) fetchMedia(ctx context.Context, actor *store.User, clientID, field, raw string) (*store.Media, error) {
	if s.Library == nil {
		return nil, greenlight.Errorf(greenlight.EUNAVAILABLE, "%s: media downloads need the media library, which is not configured (GREENLIGHT_MEDIA_DIR)", field)
	}
	timeout := s.MediaFetchTimeout
	if timeout <= 0 {
		timeout = DefaultMediaFetchTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, greenlight.Errorf(greenlight.EINVALID, "%s: not an http(s) URL", field)
	}
	req.Header.Set("Accept", "image/jpeg, image/png, image/webp, image/gif, video/mp4")
	resp, err := s.httpClient().Do(req)
	if err != nil {
		if errors.Is(err, outbound.ErrRefused) {
			msg := outbound.Cause(err) // "dial tcp …: outbound request refused: …": from the refusal on
			if i := strings.Index(msg, outbound.ErrRefused.Error()); i > 0 {
				msg = msg[i:]
			}
			return nil, greenlight.Errorf(greenlight.EINVALID, "%s: %s", field, msg)
		}
		return nil, greenlight.Errorf(greenlight.EINVALID, "%s: could not download it: %s", field, outbound.Cause(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, greenlight.Errorf(greenlight.EINVALID, "%s: %s", field, outbound.Describe("the server", resp.StatusCode))
	}
	if max := s.Library.MaxBytes(); resp.ContentLength > max {
		return nil, greenlight.Errorf(greenlight.EINVALID, "%s: larger than %s", field, megabytes(max))
	}
	f, err := s.Library.Read(resp.Body)
	if err != nil {
		if greenlight.IsCode(err, greenlight.EINVALID) {
			return nil, greenlight.Errorf(greenlight.EINVALID, "%s: %s", field, strings.TrimPrefix(greenlight.ErrorMessage(err), "file: "))
		}
		return nil, greenlight.Errorf(greenlight.EINVALID, "%s: could not download it: %s", field, outbound.Cause(err))
	}
	name := ""
	if u, err := url.Parse(raw); err == nil {
		name = path.Base(u.Path)
	}
	m, _, err := s.saveMedia(ctx, actor, clientID, name, f)
	return m, err
}

// saveMedia stores a checked file and records it in the client's library; the same file
// again for the same client returns the existing row and created false.
func (s *Service) saveMedia(ctx context.Context, actor *store.User, clientID, filename string, f *media.File) (m *store.Media, created bool, err error) {
	thumb, err := s.Library.Save(f)
	if err != nil {
		return nil, false, err
	}
	m = &store.Media{
		ID: greenlight.NewID("med_"), ClientID: clientID, SHA256: f.SHA256, ContentType: f.ContentType,
		Size: int64(len(f.Data)), Width: f.Width, Height: f.Height, ThumbSHA256: thumb,
		Filename: displayName(filename), CreatedBy: actor.ID, CreatedAt: s.now(),
	}
	if f.DurationMS > 0 {
		m.DurationMS = &f.DurationMS
	}
	created, err = s.Store.CreateMedia(ctx, m)
	if err != nil {
		return nil, false, err
	}
	if created {
		s.Log.Info("media stored", "media", m.ID, "client", clientID, "type", m.ContentType, "size", m.Size)
	}
	return m, created, nil
}

func megabytes(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// opener reads a library file, for publish.Media.Open.
func (s *Service) opener(sha string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		if s.Library == nil {
			return nil, greenlight.Errorf(greenlight.EUNAVAILABLE, "the media library is not configured")
		}
		return s.Library.Open(sha)
	}
}
