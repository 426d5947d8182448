package media

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/greenlight/greenlight"
)

// Library keeps checked files on disk, content-addressed: a file's path is its SHA-256
// (dir/ab/abcdef…), written to a temporary file and renamed into place, so a reader never
// sees half a file and the same bytes are stored once.
type Library struct {
	dir string
	max int64
	key []byte
}

// New returns a library storing under dir, accepting uploads of at most maxBytes
// (DefaultMaxBytes when 0), signing URLs with key (at least 32 bytes).
func New(dir string, maxBytes int64, key []byte) (*Library, error) {
	if dir == "" {
		return nil, errors.New("media: no directory")
	}
	if len(key) < 32 {
		return nil, errors.New("media: the URL signing key must have at least 32 bytes")
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("media directory: %w", err)
	}
	return &Library{dir: dir, max: maxBytes, key: append([]byte(nil), key...)}, nil
}

// MaxBytes is the largest upload accepted.
func (l *Library) MaxBytes() int64 { return l.max }

// Read reads and checks an upload (see Process).
func (l *Library) Read(r io.Reader) (*File, error) { return Read(r, l.max) }

// Save stores f's bytes and thumbnail; it returns the thumbnail's digest ("" for none).
func (l *Library) Save(f *File) (thumbSHA string, err error) {
	if _, err := l.Put(f.Data); err != nil {
		return "", err
	}
	if f.Thumb == nil {
		return "", nil
	}
	return l.Put(f.Thumb)
}

// Put stores b under its SHA-256 and returns the hex digest. Storing bytes already there
// does nothing.
func (l *Library) Put(b []byte) (string, error) {
	sum := sha256.Sum256(b)
	sha := hex.EncodeToString(sum[:])
	path := l.path(sha)
	if st, err := os.Stat(path); err == nil && st.Size() == int64(len(b)) {
		return sha, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return "", fmt.Errorf("store media: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".upload-*")
	if err != nil {
		return "", fmt.Errorf("store media: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing left to remove
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return "", fmt.Errorf("store media: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("store media: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("store media: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("store media: %w", err)
	}
	return sha, nil
}

// Open opens the file stored under sha; ENOTFOUND when there is none.
func (l *Library) Open(sha string) (*os.File, error) {
	if !validSHA(sha) {
		return nil, greenlight.Errorf(greenlight.ENOTFOUND, "media file not found")
	}
	f, err := os.Open(l.path(sha))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, greenlight.Errorf(greenlight.ENOTFOUND, "media file not found")
	}
	return f, err
}

func (l *Library) path(sha string) string { return filepath.Join(l.dir, sha[:2], sha) }

func validSHA(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// URLPath is the path that serves a media's file (variant "file") or thumbnail ("thumb");
// sign it with SignURL.
func URLPath(id, variant string) string { return "/media/" + id + "/" + variant }

// SignURL returns path with exp and sig query parameters: an HMAC-SHA256 of the path and
// the expiry, so the URL works without a login until expires and cannot be altered.
func (l *Library) SignURL(path string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	q := url.Values{"exp": {exp}, "sig": {l.sign(path, exp)}}
	return path + "?" + q.Encode()
}

// Verify checks a signed URL's path, exp and sig at now: EFORBIDDEN when the signature
// does not match (a changed path, expiry or signature), EGONE when it has expired.
func (l *Library) Verify(path, exp, sig string, now time.Time) error {
	want := l.sign(path, exp)
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return greenlight.Errorf(greenlight.EFORBIDDEN, "media link: invalid signature")
	}
	t, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return greenlight.Errorf(greenlight.EFORBIDDEN, "media link: invalid signature")
	}
	if now.Unix() > t {
		return greenlight.Errorf(greenlight.EGONE, "media link: expired")
	}
	return nil
}

func (l *Library) sign(path, exp string) string {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte("greenlight media url\n" + path + "\n" + exp))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// keyFile is the URL signing key's file in the media directory, until a key is configured.
const keyFile = ".url-signing.key"

// Open opens the library in dir with the URL signing key kept in dir (created once, 0600):
// every process serving the same directory (API replicas share it for the files anyway)
// signs with the same key, and URLs survive restarts.
func Open(dir string, maxBytes int64) (*Library, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("media directory: %w", err)
	}
	path := filepath.Join(dir, keyFile)
	key, err := readKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		buf := make([]byte, 32)
		if _, err := rand.Read(buf); err != nil {
			return nil, err
		}
		f, cerr := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		switch {
		case cerr == nil:
			_, werr := f.Write([]byte(hex.EncodeToString(buf) + "\n"))
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				return nil, fmt.Errorf("write media signing key: %w", werr)
			}
		case !errors.Is(cerr, fs.ErrExist): // else another process created it first: read it
			return nil, fmt.Errorf("write media signing key: %w", cerr)
		}
		key, err = readKey(path)
	}
	if err != nil {
		return nil, err
	}
	return New(dir, maxBytes, key)
}

func readKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("read media signing key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("media signing key %s: not 64 hex digits", path)
	}
	return key, nil
}
