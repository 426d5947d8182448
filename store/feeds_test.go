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

// Items of a source are stored once by key, even across polls and with duplicates within
// one poll; the source's item count and last item time follow what was stored.
func TestInsertSourceMentionsDeduplicates(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	mention := func(clientID string, at time.Time) store.Mention {
		return store.Mention{ID: greenlight.NewID("mnt_"), ClientID: clientID, Source: "feed.example", Text: "x", At: at, CreatedAt: now}
	}
	tests := []struct {
		name      string
		polls     [][]string // item keys per poll
		wantNew   []int
		wantCount int
	}{
		{"new items", [][]string{{"a", "b"}}, []int{2}, 2},
		{"same items again", [][]string{{"a", "b"}, {"a", "b"}}, []int{2, 0}, 2},
		{"one new among seen", [][]string{{"a"}, {"a", "c"}}, []int{1, 1}, 2},
		{"duplicate within a poll", [][]string{{"a", "a"}}, []int{1}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, s *store.Store) {
				ctx := context.Background()
				c := newClient(t, s, "src")
				src := &store.ListeningSource{ID: greenlight.NewID("src_"), ClientID: c.ID, Kind: store.SourceRSS, URL: "https://feed.example/rss",
					EverySeconds: 300, Keywords: store.StringList{"x"}, CreatedBy: "usr_x", CreatedAt: now}
				require.NoError(t, s.CreateSource(ctx, src))
				for i, keys := range tt.polls {
					var items []store.SourceMention
					for j, k := range keys {
						items = append(items, store.SourceMention{ItemKey: k, Mention: mention(c.ID, now.Add(-time.Duration(10*i+j)*time.Minute))})
					}
					stored, err := s.InsertSourceMentions(ctx, src.ID, items, now)
					require.NoError(t, err)
					require.Len(t, stored, tt.wantNew[i], "poll %d", i)
				}
				got, err := s.Source(ctx, src.ID)
				require.NoError(t, err)
				require.Equal(t, tt.wantCount, got.ItemCount)
				require.NotNil(t, got.LastItemAt)
				require.True(t, got.LastItemAt.Equal(now), "the newest item's time: %s", got.LastItemAt)
				var mentions int64
				require.NoError(t, s.DB().Model(&store.Mention{}).Where("client_id = ?", c.ID).Count(&mentions).Error)
				require.EqualValues(t, tt.wantCount, mentions)
			})
		})
	}
}

// A failed poll records its error and keeps the validators of the last successful one.
func TestRecordPoll(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		c := newClient(t, s, "poll")
		src := &store.ListeningSource{ID: greenlight.NewID("src_"), ClientID: c.ID, Kind: store.SourceRSS, URL: "https://feed.example/rss",
			EverySeconds: 60, CreatedBy: "usr_x", CreatedAt: now}
		require.NoError(t, s.CreateSource(ctx, src))
		steps := []struct {
			rec                 store.PollRecord
			wantETag, wantError string
		}{
			{store.PollRecord{At: now, Status: store.PollOK, ETag: `"v1"`, LastModified: "Sat, 21 Nov 2026 10:00:00 GMT"}, `"v1"`, ""},
			{store.PollRecord{At: now, Status: store.PollError, Error: "parse: bad"}, `"v1"`, "parse: bad"},
			{store.PollRecord{At: now, Status: store.PollOK, ETag: `"v2"`}, `"v2"`, ""},
		}
		for _, st := range steps {
			require.NoError(t, s.RecordPoll(ctx, src.ID, st.rec))
			got, err := s.Source(ctx, src.ID)
			require.NoError(t, err)
			require.Equal(t, st.wantETag, got.ETag)
			require.Equal(t, st.wantError, got.LastError)
			require.Equal(t, st.rec.Status, got.LastStatus)
		}
		require.NoError(t, s.DeleteSource(ctx, c.ID, src.ID))
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(s.DeleteSource(ctx, c.ID, src.ID)))
	})
}

// One calendar feed per user and per approver of a client; revoking removes it.
func TestCalendarFeeds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		u := &store.User{ID: greenlight.NewID("usr_"), Email: "cal@agency.test", Name: "C", Role: "editor", CreatedAt: now}
		require.NoError(t, s.CreateUser(ctx, u))
		c := newClient(t, s, "cal")
		email := c.Approvers[0].Email
		require.NoError(t, s.CreateCalendarFeed(ctx, &store.CalendarFeed{TokenHash: greenlight.HashToken("t1"), UserID: &u.ID, CreatedAt: now}))
		err := s.CreateCalendarFeed(ctx, &store.CalendarFeed{TokenHash: greenlight.HashToken("t2"), UserID: &u.ID, CreatedAt: now})
		require.Equal(t, greenlight.ECONFLICT, greenlight.ErrorCode(err), "one feed per user")
		require.NoError(t, s.CreateCalendarFeed(ctx, &store.CalendarFeed{TokenHash: greenlight.HashToken("t3"), ClientID: &c.ID, ApproverEmail: &email, CreatedAt: now}))
		err = s.CreateCalendarFeed(ctx, &store.CalendarFeed{TokenHash: greenlight.HashToken("t4"), ClientID: &c.ID, ApproverEmail: &email, CreatedAt: now})
		require.Equal(t, greenlight.ECONFLICT, greenlight.ErrorCode(err), "one feed per approver of a client")

		f, err := s.CalendarFeedByHash(ctx, greenlight.HashToken("t1"))
		require.NoError(t, err)
		require.Equal(t, u.ID, *f.UserID)
		require.NoError(t, s.DeleteUserCalendarFeed(ctx, u.ID))
		_, err = s.CalendarFeedByHash(ctx, greenlight.HashToken("t1"))
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))
		require.NoError(t, s.DeleteApproverCalendarFeed(ctx, c.ID, email))
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(s.DeleteApproverCalendarFeed(ctx, c.ID, email)))
	})
}
