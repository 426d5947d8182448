package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/store"
)

func TestAccounts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c1, c2 := newClient(t, s, "brand"), newClient(t, s, "other")
		now := time.Now().UTC().Truncate(time.Millisecond)
		newAccount := func(clientID, handle string) *store.Account {
			return &store.Account{
				ID: greenlight.NewID("acc_"), ClientID: clientID, Network: "bluesky", Handle: handle,
				ServiceURL: "https://bsky.social", Status: store.AccountActive, Credentials: "v1.k.sealed-" + handle,
				CreatedBy: "usr_x", CreatedAt: now, UpdatedAt: now,
			}
		}
		a := newAccount(c1.ID, "brand.bsky.social")
		require.NoError(t, s.CreateAccount(ctx, a))
		require.NoError(t, s.CreateAccount(ctx, newAccount(c2.ID, "brand.bsky.social")), "another client may connect the same handle")

		err := s.CreateAccount(ctx, newAccount(c1.ID, "brand.bsky.social"))
		require.Equal(t, greenlight.ECONFLICT, greenlight.ErrorCode(err))
		require.Contains(t, greenlight.ErrorMessage(err), "handle: brand.bsky.social is already connected")

		got, err := s.Account(ctx, a.ID)
		require.NoError(t, err)
		require.Equal(t, a.Credentials, got.Credentials)
		require.Equal(t, "bluesky", got.Network)
		require.WithinDuration(t, now, got.CreatedAt, time.Millisecond)
		byHandle, err := s.AccountByHandle(ctx, c1.ID, "bluesky", "brand.bsky.social")
		require.NoError(t, err)
		require.Equal(t, a.ID, byHandle.ID)

		list, err := s.ListAccounts(ctx, c1.ID)
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, a.ID, list[0].ID)

		later := now.Add(time.Minute)
		require.NoError(t, s.SetAccountStatus(ctx, a.ID, store.AccountNeedsReconnect, "refresh refused", later))
		got, err = s.Account(ctx, a.ID)
		require.NoError(t, err)
		require.Equal(t, store.AccountNeedsReconnect, got.Status)
		require.Equal(t, "refresh refused", got.LastError)
		require.NoError(t, s.SaveAccountCredentials(ctx, a.ID, "v1.k.new", store.AccountActive, later))
		got, err = s.Account(ctx, a.ID)
		require.NoError(t, err)
		require.Equal(t, "v1.k.new", got.Credentials)
		require.Equal(t, store.AccountActive, got.Status)
		require.Empty(t, got.LastError)

		n, err := s.CountAccounts(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 2, n)
		var seen []string
		require.NoError(t, s.EachAccount(ctx, func(a *store.Account) error { seen = append(seen, a.ID); return nil }))
		require.Len(t, seen, 2)

		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(s.DeleteAccount(ctx, c2.ID, a.ID)), "only through its own client")
		require.NoError(t, s.DeleteAccount(ctx, c1.ID, a.ID))
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(s.DeleteAccount(ctx, c1.ID, a.ID)))
		_, err = s.Account(ctx, a.ID)
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(s.SetAccountStatus(ctx, a.ID, store.AccountActive, "", later)))
	})
}

// Two processes refreshing one account at once: the second waits for the first and sees
// what it stored, so a rotating refresh token is used once.
func TestRefreshAccountCredentialsOneAtATime(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := newClient(t, s, "brand")
		now := time.Now().UTC()
		a := &store.Account{
			ID: greenlight.NewID("acc_"), ClientID: c.ID, Network: "x", Handle: "@brand", ServiceURL: "https://api.x.com",
			Status: store.AccountActive, Credentials: "token-1", CreatedBy: "usr_x", CreatedAt: now, UpdatedAt: now,
		}
		require.NoError(t, s.CreateAccount(ctx, a))

		var mu sync.Mutex
		used := map[string]int{}
		refresh := func(current string) (string, error) {
			mu.Lock()
			used[current]++
			mu.Unlock()
			if current != "token-1" {
				return current, nil // refreshed meanwhile: use it as it is
			}
			time.Sleep(50 * time.Millisecond) // the network call
			return "token-2", nil
		}
		var wg sync.WaitGroup
		got := make([]string, 4)
		errs := make([]error, 4)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i], errs[i] = s.RefreshAccountCredentials(ctx, a.ID, refresh)
			}()
		}
		wg.Wait()
		for i := range got {
			require.NoError(t, errs[i])
			require.Equal(t, "token-2", got[i])
		}
		require.Equal(t, 1, used["token-1"], "the old token was refreshed exactly once")
		stored, err := s.Account(ctx, a.ID)
		require.NoError(t, err)
		require.Equal(t, "token-2", stored.Credentials)
		require.Equal(t, store.AccountActive, stored.Status)

		boom := errors.New("refresh refused")
		_, err = s.RefreshAccountCredentials(ctx, a.ID, func(string) (string, error) { return "", boom })
		require.ErrorIs(t, err, boom, "the refresh's own error comes back as it is")
		stored, err = s.Account(ctx, a.ID)
		require.NoError(t, err)
		require.Equal(t, "token-2", stored.Credentials, "a failed refresh stores nothing")

		_, err = s.RefreshAccountCredentials(ctx, "acc_gone", refresh)
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))
	})
}
