package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/store"
)

// An OAuth state is used once: of concurrent callbacks exactly one gets it; afterwards,
// and after it expires, it is EGONE; an unknown one is ENOTFOUND. Apps are one per
// (network, instance, redirect URI). Pending accounts are activated with their handle or
// swept once stale.
func TestOAuthStatesAndApps(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := newClient(t, s, "brand")
		now := time.Now().UTC().Truncate(time.Millisecond)
		acct := &store.Account{ID: greenlight.NewID("acc_"), ClientID: c.ID, Network: "mastodon", ServiceURL: "https://social.test",
			Status: store.AccountPending, Credentials: "v1.k.x", CreatedBy: "usr_x", CreatedAt: now, UpdatedAt: now}
		acct.Handle = store.PendingHandle(acct.ID)
		require.NoError(t, s.CreateAccount(ctx, acct))

		state := func(hash string, expires time.Time) {
			require.NoError(t, s.CreateOAuthState(ctx, &store.OAuthState{StateHash: hash, Network: "mastodon", AccountID: acct.ID,
				Verifier: "v1.k.verifier", CreatedAt: now, ExpiresAt: expires}))
		}
		state("live", now.Add(10*time.Minute))
		state("old", now.Add(-time.Second))

		var wg sync.WaitGroup
		results := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.UseOAuthState(ctx, "mastodon", "live", now)
				results <- err
			}()
		}
		wg.Wait()
		close(results)
		won := 0
		for err := range results {
			if err == nil {
				won++
			} else {
				require.Equal(t, greenlight.EGONE, greenlight.ErrorCode(err), err)
			}
		}
		require.Equal(t, 1, won, "exactly one use")
		_, err := s.UseOAuthState(ctx, "mastodon", "old", now)
		require.Equal(t, greenlight.EGONE, greenlight.ErrorCode(err))
		require.Contains(t, greenlight.ErrorMessage(err), "expired")
		_, err = s.UseOAuthState(ctx, "mastodon", "nope", now)
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))
		_, err = s.UseOAuthState(ctx, "bluesky", "live", now)
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err), "a state belongs to its network")

		swept, err := s.DeleteOAuthStates(ctx, now)
		require.NoError(t, err)
		require.EqualValues(t, 1, swept, "only the expired state")
		_, err = s.UseOAuthState(ctx, "mastodon", "old", now)
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))

		app := &store.OAuthApp{Network: "mastodon", InstanceURL: "https://social.test", RedirectURI: "https://gl.test/oauth/callback/mastodon",
			ClientID: "cid", ClientSecret: "v1.k.secret", CreatedAt: now}
		require.NoError(t, s.CreateOAuthApp(ctx, app))
		dup := *app
		require.Equal(t, greenlight.ECONFLICT, greenlight.ErrorCode(s.CreateOAuthApp(ctx, &dup)))
		got, err := s.OAuthApp(ctx, "mastodon", "https://social.test", app.RedirectURI)
		require.NoError(t, err)
		require.Equal(t, "cid", got.ClientID)
		_, err = s.OAuthApp(ctx, "mastodon", "https://other.test", app.RedirectURI)
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))
		done, err := s.ResealOAuthApp(ctx, got, "v2.k.secret")
		require.NoError(t, err)
		require.True(t, done)
		done, err = s.ResealOAuthApp(ctx, got, "v3.k.secret")
		require.NoError(t, err)
		require.False(t, done, "only while still old")

		require.NoError(t, s.ActivateAccount(ctx, acct.ID, "@brand@social.test", "v1.k.token", now))
		a, err := s.Account(ctx, acct.ID)
		require.NoError(t, err)
		require.Equal(t, store.AccountActive, a.Status)
		require.Equal(t, "@brand@social.test", a.Handle)

		stale := &store.Account{ID: greenlight.NewID("acc_"), ClientID: c.ID, Network: "mastodon", ServiceURL: "https://social.test",
			Status: store.AccountPending, Credentials: "v1.k.x", CreatedBy: "usr_x", CreatedAt: now.Add(-time.Hour), UpdatedAt: now}
		stale.Handle = store.PendingHandle(stale.ID)
		require.NoError(t, s.CreateAccount(ctx, stale))
		n, err := s.DeletePendingAccounts(ctx, c.ID, "mastodon", now.Add(-10*time.Minute))
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		_, err = s.Account(ctx, acct.ID)
		require.NoError(t, err, "active accounts stay")
	})
}
