package service

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/media"
	"github.com/greenlight/greenlight/store"
)

// MediaURLTTL is how long a signed media URL works at least (at most an hour more).
const MediaURLTTL = 24 * time.Hour

// Upload opens an uploaded file: its name (display only) and its bytes. It is called only
// once the actor may upload, so a refused request never gets to a complaint about the file.
type Upload func() (filename string, r io.ReadCloser, err error)

// UploadMedia checks an upload (type from the bytes, metadata stripped, see package media),
// stores it and records it in the client's library. Uploading the same file again for the
// same client returns the existing media and created false.
func (s *Service) UploadMedia(ctx context.Context, actor *store.User, clientID string, open Upload) (m *store.Media, created bool, err error) {
	if _, err := s.loadClient(ctx, actor, ActMediaUpload, clientID); err != nil {
		return nil, false, err
	}
	if s.Library == nil {
		return nil, false, greenlight.Errorf(greenlight.EUNAVAILABLE, "media uploads are not configured")
	}
	filename, r, err := open()
	if err != nil {
		return nil, false, err
	}
	defer r.Close()
	f, err := s.Library.Read(r)
	if err != nil {
		return nil, false, err
	}
	return s.saveMedia(ctx, actor, clientID, filename, f)
}

// Media returns one media's metadata, for staff who see its client.
func (s *Service) Media(ctx context.Context, actor *store.User, id string) (*store.Media, error) {
	return s.loadMedia(ctx, actor, ActMediaRead, id)
}

// MediaFile opens a media's file ("file") or thumbnail ("thumb") for a signed URL: the
// signature is checked over path, exp and sig before anything is read. No user is involved:
// whoever holds the URL may read the file until it expires.
func (s *Service) MediaFile(ctx context.Context, id, variant, path, exp, sig string) (*store.Media, *os.File, error) {
	if s.Library == nil {
		return nil, nil, greenlight.Errorf(greenlight.ENOTFOUND, "media not found")
	}
	if err := s.Library.Verify(path, exp, sig, s.now()); err != nil {
		return nil, nil, err
	}
	if !greenlight.ValidID("med_", id) {
		return nil, nil, greenlight.Errorf(greenlight.ENOTFOUND, "media not found")
	}
	m, err := s.Store.Media(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	sha := m.SHA256
	if variant == "thumb" {
		if m.ThumbSHA256 == "" {
			return nil, nil, greenlight.Errorf(greenlight.ENOTFOUND, "this media has no thumbnail")
		}
		sha = m.ThumbSHA256
	}
	f, err := s.Library.Open(sha)
	if err != nil {
		return nil, nil, err
	}
	return m, f, nil
}

// MediaPath is the path of a media's file ("file") or thumbnail ("thumb").
func MediaPath(id, variant string) string { return media.URLPath(id, variant) }

// SignedMediaURL is a media's signed path with query, valid for MediaURLTTL ("" when
// uploads are not configured); callers prefix the public URL.
func (s *Service) SignedMediaURL(id, variant string) string {
	if s.Library == nil {
		return ""
	}
	// The expiry is rounded up to the hour: a URL signed twice within the hour is the same
	// URL (browsers cache it, and reading a post twice answers the same JSON).
	return s.Library.SignURL(MediaPath(id, variant), s.now().Truncate(time.Hour).Add(MediaURLTTL+time.Hour))
}

// displayName keeps an upload's base name, without control characters, at most 200 runes.
func displayName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "." || name == "/" {
		return ""
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, name)
	if r := []rune(name); len(r) > 200 {
		name = string(r[:200])
	}
	return strings.TrimSpace(name)
}
