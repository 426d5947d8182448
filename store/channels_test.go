package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/store"
)

func TestCurrentChannels(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := newClient(t, s, "brand")
		p := newPost(c.ID, 1, greenlight.StatusScheduled)
		p.Channels = store.StringList{"x", "bluesky", "instagram"}
		p.Version = 2
		require.NoError(t, s.RecordPost(ctx, store.PostRecord{Post: p}))
		now := time.Now().UTC().Truncate(time.Millisecond)
		save := func(r store.PostChannel) {
			r.PostID, r.UpdatedAt = p.ID, now
			require.NoError(t, s.SavePostChannel(ctx, &r))
		}
		save(store.PostChannel{Version: 1, Channel: "x", Status: store.ChannelFailed, Error: "old version"})
		save(store.PostChannel{Version: 2, Channel: "bluesky", AccountID: "acc_1", Status: store.ChannelPending, Attempts: 1})
		save(store.PostChannel{Version: 2, Channel: "bluesky", AccountID: "acc_1", Status: store.ChannelPublished,
			RemoteID: "at://did:plc:x/app.bsky.feed.post/3k", URL: "https://bsky.app/profile/x/post/3k", Attempts: 2})
		save(store.PostChannel{Version: 2, Channel: "gone", Status: store.ChannelFailed})
		save(store.PostChannel{Version: 2, Channel: "instagram", Status: store.ChannelFailed, Error: strings.Repeat("é", 1500)})

		got, err := s.CurrentChannels(ctx, &p)
		require.NoError(t, err)
		require.Len(t, got, 3, "one entry per channel of the post, none for a channel it no longer names")
		require.Equal(t, "x", got[0].Channel)
		require.Equal(t, store.ChannelPending, got[0].Status, "version 1's row does not speak for version 2")
		require.Equal(t, "bluesky", got[1].Channel)
		require.Equal(t, store.ChannelPublished, got[1].Status, "a save replaces the row")
		require.Equal(t, 2, got[1].Attempts)
		require.Equal(t, "https://bsky.app/profile/x/post/3k", got[1].URL)
		require.Equal(t, store.ChannelFailed, got[2].Status)
		require.LessOrEqual(t, len(got[2].Error), 2000, "a long message is cut to its column")
		require.True(t, strings.HasPrefix(got[2].Error, "éé"))
		require.NotContains(t, got[2].Error, "\uFFFD", "cut on a rune boundary")

		one, err := s.PostChannel(ctx, p.ID, 2, "bluesky")
		require.NoError(t, err)
		require.Equal(t, "acc_1", one.AccountID)
		_, err = s.PostChannel(ctx, p.ID, 2, "x")
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))
	})
}

func TestAccountNeedsReconnectEpisodes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := newClient(t, s, "brand")
		t0 := time.Now().UTC().Truncate(time.Millisecond)
		mk := func(handle string, created time.Time) *store.Account {
			a := &store.Account{ID: greenlight.NewID("acc_"), ClientID: c.ID, Network: "bluesky", Handle: handle,
				ServiceURL: "https://pds.test", Status: store.AccountActive, Credentials: "sealed-" + handle,
				CreatedBy: "usr_x", CreatedAt: created, UpdatedAt: created}
			require.NoError(t, s.CreateAccount(ctx, a))
			return a
		}
		newer := mk("newer.test", t0)
		older := mk("older.test", t0.Add(-time.Hour))
		mastodon := &store.Account{ID: greenlight.NewID("acc_"), ClientID: c.ID, Network: "mastodon", Handle: "m",
			Status: store.AccountActive, CreatedBy: "usr_x", CreatedAt: t0, UpdatedAt: t0}
		require.NoError(t, s.CreateAccount(ctx, mastodon))

		list, err := s.NetworkAccounts(ctx, c.ID, "bluesky")
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, older.ID, list[0].ID, "oldest first, by creation time")
		require.Equal(t, newer.ID, list[1].ID)

		since, err := s.MarkNeedsReconnect(ctx, older.ID, "ExpiredToken", t0.Add(time.Minute))
		require.NoError(t, err)
		again, err := s.MarkNeedsReconnect(ctx, older.ID, "AuthRequired", t0.Add(2*time.Minute))
		require.NoError(t, err)
		require.True(t, since.Equal(again), "a second mark in the same episode keeps the first time")
		got, err := s.Account(ctx, older.ID)
		require.NoError(t, err)
		require.Equal(t, store.AccountNeedsReconnect, got.Status)
		require.Equal(t, "ExpiredToken", got.LastError)

		require.NoError(t, s.SaveAccountSession(ctx, older.ID, "refreshed"))
		got, err = s.Account(ctx, older.ID)
		require.NoError(t, err)
		require.Equal(t, "refreshed", got.Credentials)
		require.Equal(t, store.AccountNeedsReconnect, got.Status, "a refresh saved is not a reconnection")
		require.True(t, got.UpdatedAt.Equal(since), "nor does it move the episode's time")

		require.NoError(t, s.SaveAccountCredentials(ctx, older.ID, "reconnected", store.AccountActive, t0.Add(3*time.Minute)))
		next, err := s.MarkNeedsReconnect(ctx, older.ID, "ExpiredToken", t0.Add(4*time.Minute))
		require.NoError(t, err)
		require.True(t, next.After(since), "after a reconnection, a new episode")
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(s.SaveAccountSession(ctx, "acc_gone", "x")))
	})
}
