package secrets_test

import (
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/secrets"
)

func box(t *testing.T, current, old string) *secrets.Box {
	t.Helper()
	b, err := secrets.Parse(current, old)
	require.NoError(t, err)
	return b
}

func TestRoundTrip(t *testing.T) {
	b := box(t, secrets.NewKey(), "")
	plain := []byte(`{"accessJwt":"a","refreshJwt":"r"}`)
	s1 := b.Seal(plain, []byte("acc_1"))
	s2 := b.Seal(plain, []byte("acc_1"))
	require.NotEqual(t, s1, s2, "a fresh nonce per seal")
	require.NotContains(t, s1, "accessJwt")
	require.True(t, strings.HasPrefix(s1, "v1."+b.KeyID()+"."), s1)
	got, err := b.Open(s1, []byte("acc_1"))
	require.NoError(t, err)
	require.Equal(t, plain, got)
	require.False(t, b.Stale(s1))
}

func TestOpenRefuses(t *testing.T) {
	b := box(t, secrets.NewKey(), "")
	sealed := b.Seal([]byte("token"), []byte("acc_1"))
	ver, rest, _ := strings.Cut(sealed, ".")
	id, data, _ := strings.Cut(rest, ".")
	raw, err := base64.RawURLEncoding.DecodeString(data)
	require.NoError(t, err)
	flip := func(i int) string {
		r := append([]byte(nil), raw...)
		r[i] ^= 1
		return ver + "." + id + "." + base64.RawURLEncoding.EncodeToString(r)
	}
	for _, tc := range []struct {
		name, sealed, aad string
		box               *secrets.Box
	}{
		{"tampered ciphertext", flip(len(raw) / 2), "acc_1", b},
		{"tampered nonce", flip(0), "acc_1", b},
		{"tampered tag", flip(len(raw) - 1), "acc_1", b},
		{"truncated", sealed[:len(sealed)-10], "acc_1", b},
		{"other record", sealed, "acc_2", b},
		{"wrong key", sealed, "acc_1", box(t, secrets.NewKey(), "")},
		{"wrong key with the same id", ver + "." + box(t, secrets.NewKey(), "").KeyID() + "." + data, "acc_1", b},
		{"unknown version", "v0." + rest, "acc_1", b},
		{"garbage", "token", "acc_1", b},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.box.Open(tc.sealed, []byte(tc.aad))
			require.ErrorIs(t, err, secrets.ErrOpen)
			require.NotContains(t, err.Error(), data, "the error never repeats the value")
		})
	}
}

// Rotation: the new key seals, the old one (GREENLIGHT_SECRET_KEY_OLD) still opens what it
// sealed, and such values are reported stale until sealed again.
func TestRotation(t *testing.T) {
	oldKey, newKey := secrets.NewKey(), secrets.NewKey()
	before := box(t, oldKey, "")
	sealed := before.Seal([]byte("token"), []byte("acc_1"))

	_, err := box(t, newKey, "").Open(sealed, []byte("acc_1"))
	require.ErrorIs(t, err, secrets.ErrOpen, "without the old key")
	require.Contains(t, err.Error(), "neither GREENLIGHT_SECRET_KEY")

	after := box(t, newKey, oldKey)
	require.True(t, after.Stale(sealed))
	got, err := after.Open(sealed, []byte("acc_1"))
	require.NoError(t, err)
	require.Equal(t, "token", string(got))

	resealed := after.Seal(got, []byte("acc_1"))
	require.False(t, after.Stale(resealed))
	got, err = box(t, newKey, "").Open(resealed, []byte("acc_1"))
	require.NoError(t, err, "once resealed, the old key can go")
	require.Equal(t, "token", string(got))
}

func TestParse(t *testing.T) {
	raw := make([]byte, 32)
	for i := range raw {
		raw[i] = byte(i * 7)
	}
	for _, tc := range []struct{ name, cur, old, err string }{
		{"base64", base64.StdEncoding.EncodeToString(raw), "", ""},
		{"base64 unpadded url", base64.RawURLEncoding.EncodeToString(raw), "", ""},
		{"hex", hex.EncodeToString(raw), "", ""},
		{"with old", hex.EncodeToString(raw), secrets.NewKey(), ""},
		{"empty", "", "", "GREENLIGHT_SECRET_KEY: the key must be 32 bytes"},
		{"short", base64.StdEncoding.EncodeToString(raw[:16]), "", "GREENLIGHT_SECRET_KEY: the key must be 32 bytes, got 16"},
		{"not an encoding", "correct horse battery staple!", "", "GREENLIGHT_SECRET_KEY: the key must be 32 bytes written in hex or base64"},
		{"bad old", secrets.NewKey(), "nope!", "GREENLIGHT_SECRET_KEY_OLD: the key must be"},
		{"old equals current", hex.EncodeToString(raw), base64.StdEncoding.EncodeToString(raw), "GREENLIGHT_SECRET_KEY_OLD: the old key is the current key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := secrets.Parse(tc.cur, tc.old)
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.err)
			if tc.cur != "" {
				require.NotContains(t, err.Error(), tc.cur, "the error never repeats the key")
			}
		})
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.key")
	k1, err := secrets.LoadOrCreateKeyFile(path)
	require.NoError(t, err)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	k2, err := secrets.LoadOrCreateKeyFile(path)
	require.NoError(t, err)
	require.Equal(t, k1, k2, "the same key on the next start")
	_, err = secrets.Parse(k1, "")
	require.NoError(t, err)

	require.NoError(t, os.WriteFile(path, []byte("short\n"), 0o600))
	_, err = secrets.LoadOrCreateKeyFile(path)
	require.ErrorContains(t, err, "secret.key: the key must be")
}
