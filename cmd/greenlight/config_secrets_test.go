package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/secrets"
	"github.com/greenlight/greenlight/store"
)

// GREENLIGHT_SECRET_KEY is checked at start: a value that is not a 32-byte key stops every
// command with the variable's name (and never its value).
func TestSecretKeyConfig(t *testing.T) {
	good, other := secrets.NewKey(), secrets.NewKey()
	for _, tc := range []struct{ name, key, old, err string }{
		{name: "unset"},
		{name: "set", key: good},
		{name: "rotating", key: good, old: other},
		{name: "too short", key: "c2hvcnQ=", err: "GREENLIGHT_SECRET_KEY: the key must be 32 bytes, got 5"},
		{name: "not base64 or hex", key: "my secret passphrase", err: "GREENLIGHT_SECRET_KEY: the key must be 32 bytes written in hex or base64"},
		{name: "bad old", key: good, old: "old!", err: "GREENLIGHT_SECRET_KEY_OLD: the key must be"},
		{name: "old without new", old: other, err: "GREENLIGHT_SECRET_KEY_OLD is set but GREENLIGHT_SECRET_KEY is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GREENLIGHT_SECRET_KEY", tc.key)
			t.Setenv("GREENLIGHT_SECRET_KEY_OLD", tc.old)
			t.Setenv("GREENLIGHT_DATABASE_URL", "postgres://db.test/greenlight")
			c := envConfig()
			err := c.check("api")
			if tc.err == "" {
				require.NoError(t, err)
				require.Equal(t, tc.key != "", c.secrets != nil)
				return
			}
			require.ErrorContains(t, err, tc.err)
			if tc.key != "" {
				require.NotContains(t, err.Error(), tc.key)
			}
		})
	}
}

// api and worker start without a key while no account is connected, and refuse to once
// one is: its credentials could not be opened.
func TestSecretKeyRequiredOnceAccountsExist(t *testing.T) {
	ctx := context.Background()
	st := testdb.Open(t, testdb.SQLitePath(t))
	box, err := secretBox(ctx, config{}, st)
	require.NoError(t, err)
	require.Nil(t, box)

	now := time.Now().UTC()
	c := &store.Client{ID: greenlight.NewID("cli_"), Name: "Brand", ApprovalPolicy: "any", CreatedAt: now,
		Approvers: []store.Approver{{ID: greenlight.NewID("apr_"), Name: "A", Email: "a@brand.test"}}}
	require.NoError(t, st.CreateClient(ctx, c))
	require.NoError(t, st.CreateAccount(ctx, &store.Account{ID: greenlight.NewID("acc_"), ClientID: c.ID, Network: "bluesky",
		Handle: "brand.test", ServiceURL: "https://pds.test", Status: store.AccountActive, Credentials: "v1.x.y",
		CreatedBy: "usr_x", CreatedAt: now, UpdatedAt: now}))
	_, err = secretBox(ctx, config{}, st)
	require.ErrorContains(t, err, "GREENLIGHT_SECRET_KEY is required: 1 connected accounts")

	key, err := secrets.Parse(secrets.NewKey(), "")
	require.NoError(t, err)
	box, err = secretBox(ctx, config{secrets: key}, st)
	require.NoError(t, err)
	require.Same(t, key, box)
}

// `greenlight accounts rekey` reseals what the old key sealed; without the old key it fails
// and says so; run alone it is a usage error.
func TestAccountsRekeyCommand(t *testing.T) {
	ctx := context.Background()
	path := testdb.SQLitePath(t)
	st := testdb.Open(t, path)
	oldKey, newKey := secrets.NewKey(), secrets.NewKey()
	before, err := secrets.Parse(oldKey, "")
	require.NoError(t, err)
	now := time.Now().UTC()
	c := &store.Client{ID: greenlight.NewID("cli_"), Name: "Brand", ApprovalPolicy: "any", CreatedAt: now,
		Approvers: []store.Approver{{ID: greenlight.NewID("apr_"), Name: "A", Email: "a@brand.test"}}}
	require.NoError(t, st.CreateClient(ctx, c))
	a := &store.Account{ID: greenlight.NewID("acc_"), ClientID: c.ID, Network: "bluesky", Handle: "brand.test",
		ServiceURL: "https://pds.test", Status: store.AccountActive, CreatedBy: "usr_x", CreatedAt: now, UpdatedAt: now}
	a.Credentials = before.Seal([]byte("session"), []byte(a.ID))
	require.NoError(t, st.CreateAccount(ctx, a))

	t.Setenv("GREENLIGHT_DATABASE_URL", path)
	for _, tc := range []struct {
		name, key, old string
		args           []string
		code           int
		out            string
	}{
		{"no subcommand", newKey, "", []string{"accounts"}, 2, "Usage: greenlight accounts rekey"},
		{"no key", "", "", []string{"accounts", "rekey"}, 1, "GREENLIGHT_SECRET_KEY is required by greenlight accounts"},
		{"without the old key", newKey, "", []string{"accounts", "rekey"}, 1, "neither GREENLIGHT_SECRET_KEY"},
		{"rotating", newKey, oldKey, []string{"accounts", "rekey"}, 0, "1 accounts resealed"},
		{"again", newKey, oldKey, []string{"accounts", "rekey"}, 0, "0 accounts resealed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GREENLIGHT_SECRET_KEY", tc.key)
			t.Setenv("GREENLIGHT_SECRET_KEY_OLD", tc.old)
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			require.Equal(t, tc.code, code, "stdout: %s\nstderr: %s", stdout.String(), stderr.String())
			require.Contains(t, stdout.String()+stderr.String(), tc.out)
		})
	}
	got, err := st.Account(ctx, a.ID)
	require.NoError(t, err)
	after, err := secrets.Parse(newKey, "")
	require.NoError(t, err)
	plain, err := after.Open(got.Credentials, []byte(a.ID))
	require.NoError(t, err)
	require.Equal(t, "session", string(plain))
}
