// Package secrets seals credentials kept at rest (connected accounts' tokens) with
// AES-256-GCM under the key from GREENLIGHT_SECRET_KEY, and opens what an older key sealed
// while that key is being rotated out.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// KeySize is the length of a key in bytes (AES-256).
const KeySize = 32

// version prefixes every sealed value, so that the format can change later.
const version = "v1"

// ErrOpen is returned (wrapped) for every value that cannot be opened: tampered, sealed
// under a key the box does not hold, bound to other associated data, or malformed.
var ErrOpen = errors.New("secrets: cannot open sealed value")

// Box seals with its current key and opens with the current or the old key. It is safe for
// concurrent use.
type Box struct {
	current key
	old     *key
}

type key struct {
	id   string // 8 hex digits derived from the key, written in every sealed value
	aead cipher.AEAD
}

// ParseKey reads a key written as 64 hex digits or as base64 (standard or URL alphabet,
// padded or not) of 32 bytes. The error never repeats the value.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("the key must be %d bytes, got %d: generate one with `openssl rand -base64 32`", KeySize, len(b))
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("the key must be %d bytes written in hex or base64: generate one with `openssl rand -base64 32`", KeySize)
}

// NewKey returns a new random key, base64-encoded (what ParseKey reads).
func NewKey() string {
	b := make([]byte, KeySize)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.StdEncoding.EncodeToString(b)
}

// New returns a box sealing with current; old, when not nil, is accepted for opening only.
// Both must be KeySize bytes and differ.
func New(current, old []byte) (*Box, error) {
	c, err := newKey(current)
	if err != nil {
		return nil, err
	}
	b := &Box{current: c}
	if old != nil {
		o, err := newKey(old)
		if err != nil {
			return nil, fmt.Errorf("old key: %w", err)
		}
		if o.id == c.id {
			return nil, errors.New("the old key is the current key")
		}
		b.old = &o
	}
	return b, nil
}

// Parse is New from keys as written in the environment (see ParseKey); old may be empty.
// Errors name the variable at fault.
func Parse(current, old string) (*Box, error) {
	cur, err := ParseKey(current)
	if err != nil {
		return nil, fmt.Errorf("GREENLIGHT_SECRET_KEY: %w", err)
	}
	var o []byte
	if strings.TrimSpace(old) != "" {
		if o, err = ParseKey(old); err != nil {
			return nil, fmt.Errorf("GREENLIGHT_SECRET_KEY_OLD: %w", err)
		}
	}
	b, err := New(cur, o)
	if err != nil {
		return nil, fmt.Errorf("GREENLIGHT_SECRET_KEY_OLD: %w", err)
	}
	return b, nil
}

// LoadOrCreateKeyFile returns the key kept in path, creating the file (mode 0600) with a
// new key when it does not exist. For development only: production passes the key in
// GREENLIGHT_SECRET_KEY, kept apart from the database it protects.
func LoadOrCreateKeyFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		k := strings.TrimSpace(string(b))
		if _, err := ParseKey(k); err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read secret key: %w", err)
	}
	k := NewKey()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("write secret key: %w", err)
	}
	if _, err := f.WriteString(k + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("write secret key: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("write secret key: %w", err)
	}
	return k, nil
}

func newKey(k []byte) (key, error) {
	if len(k) != KeySize {
		return key{}, fmt.Errorf("the key must be %d bytes, got %d", KeySize, len(k))
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return key{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return key{}, err
	}
	// The id names the key without revealing it: a hash under a fixed label, cut short.
	sum := sha256.Sum256(append([]byte("greenlight secret key id\x00"), k...))
	return key{id: hex.EncodeToString(sum[:4]), aead: aead}, nil
}

// KeyID returns the current key's id, as written in the values it seals.
func (b *Box) KeyID() string { return b.current.id }

// Seal encrypts plaintext under the current key with a fresh random nonce and returns
// "v1.<key id>.<base64url(nonce‖ciphertext‖tag)>". aad is authenticated, not stored: the
// same aad must be given to Open (use the owning row's id, so that a sealed value copied
// to another row does not open).
func (b *Box) Seal(plaintext, aad []byte) string {
	k := b.current
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	out := k.aead.Seal(nonce, nonce, plaintext, aad)
	return version + "." + k.id + "." + base64.RawURLEncoding.EncodeToString(out)
}

// Open decrypts a value from Seal, under the current key or the old one, checking aad.
// Any failure wraps ErrOpen and never includes the value.
func (b *Box) Open(sealed string, aad []byte) ([]byte, error) {
	ver, rest, ok1 := strings.Cut(sealed, ".")
	id, data, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || ver != version {
		return nil, fmt.Errorf("%w: not a %s sealed value", ErrOpen, version)
	}
	var k *key
	switch {
	case id == b.current.id:
		k = &b.current
	case b.old != nil && id == b.old.id:
		k = b.old
	default:
		return nil, fmt.Errorf("%w: sealed under key %s, which is neither GREENLIGHT_SECRET_KEY (%s) nor GREENLIGHT_SECRET_KEY_OLD", ErrOpen, id, b.current.id)
	}
	raw, err := base64.RawURLEncoding.DecodeString(data)
	if err != nil || len(raw) < k.aead.NonceSize()+k.aead.Overhead() {
		return nil, fmt.Errorf("%w: malformed", ErrOpen)
	}
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, raw[:n], raw[n:], aad)
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed (tampered, or bound to another record)", ErrOpen)
	}
	return plain, nil
}

// Stale reports whether sealed was sealed under a key other than the current one, so it
// should be sealed again (Open, then Seal).
func (b *Box) Stale(sealed string) bool {
	return !strings.HasPrefix(sealed, version+"."+b.current.id+".")
}
