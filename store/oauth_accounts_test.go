package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/store"
)

// Migration 16 adds what OAuth networks need to accounts (the identity's remote id and
// the reconnect-by date) and keeps the accounts written before it, on both databases.
func TestMigration16KeepsAccounts(t *testing.T) {
	for name, dsn := range map[string]func(t testing.TB) string{"postgres": testdb.PostgresURL, "sqlite": testdb.SQLitePath} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s, err := store.Open(ctx, dsn(t))
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			require.NoError(t, s.MigrateTo(ctx, 15)) // every migration before this one

			now := time.Now().UTC().Truncate(time.Second)
			// The client row as the migrations before 16 wrote it: later ones add columns
			// (digest_window, brand settings) the model would name.
			cl := greenlight.NewID("cli_")
			require.NoError(t, s.DB().Exec(`INSERT INTO clients (id, name, approval_policy, created_at) VALUES (?, 'Brand', 'any', ?)`, cl, now).Error)
			id := greenlight.NewID("acc_")
			require.NoError(t, s.DB().Exec(`INSERT INTO accounts (id, client_id, network, handle, service_url, status, credentials, created_by, created_at, updated_at)
				VALUES (?, ?, 'bluesky', 'brand.test', 'https://pds.test', 'active', 'sealed', 'usr_1', ?, ?)`, id, cl, now, now).Error)

			require.NoError(t, s.Migrate(ctx))
			a, err := s.Account(ctx, id)
			require.NoError(t, err)
			require.Equal(t, "brand.test", a.Handle)
			require.Equal(t, "sealed", a.Credentials)
			require.Empty(t, a.RemoteID)
			require.Nil(t, a.ReconnectBy)

			by := now.Add(60 * 24 * time.Hour)
			require.NoError(t, s.ConnectAccount(ctx, id, store.AccountConnection{Handle: "Brand", RemoteID: "123", Credentials: "new", ReconnectBy: &by}, now))
			a, err = s.AccountByRemoteID(ctx, cl, "bluesky", "123")
			require.NoError(t, err)
			require.Equal(t, id, a.ID)
			require.True(t, by.Equal(*a.ReconnectBy))
			_, err = s.AccountByRemoteID(ctx, cl, "bluesky", "")
			require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err), "an empty remote id names no account")
		})
	}
}

// The keep-fresh schedule's list: active accounts on the refreshing networks or with a
// reconnect-by date, a page at a time.
func TestActiveAccountsToWatch(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		cl := newClient(t, s, "brand").ID
		by := now.Add(time.Hour)
		mk := func(network, handle, status string, reconnectBy *time.Time) string {
			a := &store.Account{ID: greenlight.NewID("acc_"), ClientID: cl, Network: network, Handle: handle, Status: status,
				Credentials: "c", CreatedBy: "usr_1", CreatedAt: now, UpdatedAt: now, ReconnectBy: reconnectBy}
			require.NoError(t, s.CreateAccount(ctx, a))
			return a.ID
		}
		x := mk("x", "x1", store.AccountActive, nil)
		li := mk("linkedin", "li", store.AccountActive, &by)
		mk("x", "x2", store.AccountNeedsReconnect, nil)
		mk("bluesky", "b", store.AccountActive, nil)
		mk("x", "x3", store.AccountPending, nil)

		got, err := s.ActiveAccountsToWatch(ctx, []string{"x"}, "", 100)
		require.NoError(t, err)
		ids := []string{}
		for _, a := range got {
			ids = append(ids, a.ID)
		}
		require.ElementsMatch(t, []string{x, li}, ids)

		got, err = s.ActiveAccountsToWatch(ctx, nil, "", 100)
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, li, got[0].ID)

		first, err := s.ActiveAccountsToWatch(ctx, []string{"x"}, "", 1)
		require.NoError(t, err)
		require.Len(t, first, 1)
		rest, err := s.ActiveAccountsToWatch(ctx, []string{"x"}, first[0].ID, 1)
		require.NoError(t, err)
		require.Len(t, rest, 1)
		require.NotEqual(t, first[0].ID, rest[0].ID)

		later := by.Add(time.Hour)
		require.NoError(t, s.SetAccountReconnectBy(ctx, li, &later))
		a, err := s.Account(ctx, li)
		require.NoError(t, err)
		require.True(t, later.Equal(*a.ReconnectBy))
		require.NoError(t, s.SetAccountReconnectBy(ctx, li, nil))
		a, err = s.Account(ctx, li)
		require.NoError(t, err)
		require.Nil(t, a.ReconnectBy)
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(s.SetAccountReconnectBy(ctx, "acc_gone", nil)))
	})
}
