package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/secrets"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

// Without a secret key no account can be connected (503 saying why), and nothing is sent
// to the network.
func TestConnectAccountNeedsASecretKey(t *testing.T) {
	st := testdb.Open(t, testdb.SQLitePath(t))
	p := setupPeople(t, st)
	svc := newService(st)
	_, _, err := svc.ConnectAccount(context.Background(), p.root, p.a, service.ConnectAccount{
		Network: "bluesky", ServiceURL: "https://8.8.8.8", Handle: "brand.bsky.social", AppPassword: "x"})
	require.Equal(t, greenlight.EUNAVAILABLE, greenlight.ErrorCode(err))
	require.Contains(t, greenlight.ErrorMessage(err), "GREENLIGHT_SECRET_KEY")
}

// Rotation: after the new key becomes GREENLIGHT_SECRET_KEY and the old one
// GREENLIGHT_SECRET_KEY_OLD, rekeying seals every account under the new key, leaves the
// rest of the row alone, and then the old key is no longer needed.
func TestRekeyAccounts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		p := setupPeople(t, st)
		oldKey, newKey := secrets.NewKey(), secrets.NewKey()
		before, err := secrets.Parse(oldKey, "")
		require.NoError(t, err)
		now := time.Now().UTC().Truncate(time.Second)
		ids := []string{}
		for i, handle := range []string{"one.test", "two.test"} {
			a := &store.Account{ID: greenlight.NewID("acc_"), ClientID: p.a, Network: "bluesky", Handle: handle,
				ServiceURL: "https://pds.test", Status: []string{store.AccountActive, store.AccountNeedsReconnect}[i],
				CreatedBy: p.root.ID, CreatedAt: now, UpdatedAt: now}
			a.Credentials = before.Seal([]byte("session of "+handle), []byte(a.ID))
			require.NoError(t, st.CreateAccount(ctx, a))
			ids = append(ids, a.ID)
		}

		newOnly, err := secrets.Parse(newKey, "")
		require.NoError(t, err)
		_, err = service.RekeyAccounts(ctx, st, newOnly)
		require.ErrorIs(t, err, secrets.ErrOpen, "without the old key nothing can be resealed")

		rotating, err := secrets.Parse(newKey, oldKey)
		require.NoError(t, err)
		n, err := service.RekeyAccounts(ctx, st, rotating)
		require.NoError(t, err)
		require.Equal(t, 2, n)
		n, err = service.RekeyAccounts(ctx, st, rotating)
		require.NoError(t, err)
		require.Zero(t, n, "a second run has nothing to do")

		for i, id := range ids {
			a, err := st.Account(ctx, id)
			require.NoError(t, err)
			plain, err := newOnly.Open(a.Credentials, []byte(id))
			require.NoError(t, err)
			require.Equal(t, "session of "+[]string{"one.test", "two.test"}[i], string(plain))
			require.Equal(t, []string{store.AccountActive, store.AccountNeedsReconnect}[i], a.Status, "status kept")
			require.False(t, a.UpdatedAt.Before(now.Add(-time.Second)), "updated_at moves forward")
			require.False(t, a.UpdatedAt.After(time.Now().Add(time.Second)), "updated_at is not in the future")
		}
	})
}
