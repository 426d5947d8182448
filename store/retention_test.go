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

// TestPrune seeds, for each kind of row the retention job prunes, rows on both sides of
// the cutoff, and checks that exactly the old ones go.
func TestPrune(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		cutoff := now.Add(-time.Hour)
		old, recent := cutoff.Add(-time.Minute), cutoff.Add(time.Minute)
		u := &store.User{ID: greenlight.NewID("usr_"), Email: "p@agency.test", Name: "P", Role: "editor", CreatedAt: now}
		require.NoError(t, s.CreateUser(ctx, u))
		count := func(table string) int64 {
			var n int64
			require.NoError(t, s.DB().Table(table).Count(&n).Error)
			return n
		}

		t.Run("sessions", func(t *testing.T) {
			for i, exp := range []time.Time{old, recent, now.Add(time.Hour)} {
				require.NoError(t, s.CreateSession(ctx, &store.Session{TokenHash: "s" + string(rune('a'+i)), UserID: u.ID, CSRF: "c", CreatedAt: now, ExpiresAt: exp}))
			}
			n, err := s.PruneSessions(ctx, cutoff)
			require.NoError(t, err)
			require.EqualValues(t, 1, n)
			require.EqualValues(t, 2, count("sessions"))
			_, _, err = s.SessionUser(ctx, "sc", now)
			require.NoError(t, err, "a live session is kept")
		})

		t.Run("invites", func(t *testing.T) {
			for i, inv := range []store.Invite{
				{ExpiresAt: old}, // expired before the cutoff
				{ExpiresAt: now.Add(time.Hour), UsedAt: &old},    // used before the cutoff
				{ExpiresAt: recent},                              // expired after the cutoff
				{ExpiresAt: now.Add(time.Hour), UsedAt: &recent}, // used after the cutoff
				{ExpiresAt: now.Add(time.Hour)},                  // open
			} {
				inv.TokenHash, inv.UserID, inv.CreatedBy, inv.CreatedAt = "i"+string(rune('a'+i)), u.ID, "cli", now
				require.NoError(t, s.CreateInvite(ctx, &inv))
			}
			n, err := s.PruneInvites(ctx, cutoff)
			require.NoError(t, err)
			require.EqualValues(t, 2, n)
			require.EqualValues(t, 3, count("invites"))
			_, err = s.Invite(ctx, "ie", now)
			require.NoError(t, err, "an open invite is kept")
		})

		t.Run("rate limits", func(t *testing.T) {
			for i, start := range []time.Time{old, recent} {
				require.NoError(t, s.DB().Exec("INSERT INTO rate_limits (bucket, window_start, count) VALUES (?, ?, ?)",
					"approve:10.0.0."+string(rune('1'+i)), start, 5).Error)
			}
			ok, err := s.Hit(ctx, "approve:10.0.0.9", 1, time.Minute)
			require.NoError(t, err)
			require.True(t, ok)
			n, err := s.PruneRateLimits(ctx, cutoff)
			require.NoError(t, err)
			require.EqualValues(t, 1, n)
			require.EqualValues(t, 2, count("rate_limits"))
			ok, err = s.Hit(ctx, "approve:10.0.0.9", 1, time.Minute)
			require.NoError(t, err)
			require.False(t, ok, "the current window's count survives pruning")
		})

		t.Run("links", func(t *testing.T) {
			type seed struct {
				expires time.Time
				used    *time.Time
				kept    bool
			}
			seeds := []seed{
				{expires: old, kept: false},                              // expired long ago
				{expires: now.Add(time.Hour), used: &old, kept: false},   // used long ago
				{expires: recent, kept: true},                            // expired within the period
				{expires: now.Add(time.Hour), used: &recent, kept: true}, // used within the period
				{expires: now.Add(time.Hour), kept: true},                // still valid
				{expires: now.Add(24 * time.Hour), kept: true},           // still valid
			}
			for i, sd := range seeds {
				l := &store.Link{ID: greenlight.NewID("lnk_"), TokenHash: "l" + string(rune('a'+i)), EffectKey: "post/p/v1/r1/client-request/" + string(rune('a'+i)),
					SubjectKind: "post", SubjectID: "pst_1", Version: 1, ApproverID: "apr_1", ApproverName: "A", ApproverEmail: "a@b.test",
					ExpiresAt: sd.expires, CreatedAt: now}
				require.NoError(t, s.SaveLink(ctx, l))
				if sd.used != nil {
					_, err := s.MarkLinkUsed(ctx, l.ID, *sd.used)
					require.NoError(t, err)
				}
			}
			n, err := s.PruneLinks(ctx, cutoff)
			require.NoError(t, err)
			require.EqualValues(t, 2, n)
			for i, sd := range seeds {
				_, err := s.LinkByTokenHash(ctx, "l"+string(rune('a'+i)))
				if sd.kept {
					require.NoError(t, err, "link %d is kept", i)
				} else {
					require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err), "link %d is pruned", i)
				}
			}
			// Pruning "now" (a zero retention period) still keeps every valid link.
			_, err = s.PruneLinks(ctx, now)
			require.NoError(t, err)
			for _, h := range []string{"le", "lf"} {
				_, err := s.LinkByTokenHash(ctx, h)
				require.NoError(t, err, "valid link %s is kept", h)
			}
		})

		t.Run("idempotency keys", func(t *testing.T) {
			claimed, _, err := s.ClaimIdempotencyKey(ctx, u.ID, "old", "h", "", old, time.Minute)
			require.NoError(t, err)
			require.True(t, claimed)
			claimed, _, err = s.ClaimIdempotencyKey(ctx, u.ID, "new", "h", "", recent, time.Minute)
			require.NoError(t, err)
			require.True(t, claimed)
			n, err := s.PruneIdempotencyKeys(ctx, cutoff)
			require.NoError(t, err)
			require.EqualValues(t, 1, n)
			require.EqualValues(t, 1, count("idempotency_keys"))
		})

		t.Run("dev mails", func(t *testing.T) {
			for i, at := range []time.Time{old, recent} {
				require.NoError(t, s.SaveDevMail(ctx, &store.DevMail{ID: greenlight.NewID("msg_"), IdemKey: "k" + string(rune('a'+i)),
					ToAddr: "a@b.test", Subject: "s", SentAt: at}))
			}
			n, err := s.PruneDevMails(ctx, cutoff)
			require.NoError(t, err)
			require.EqualValues(t, 1, n)
			require.EqualValues(t, 1, count("dev_mails"))
		})
	})
}

func TestIdempotencyKeys(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC()

		claimed, got, err := s.ClaimIdempotencyKey(ctx, "usr_a", "k1", "hash1", "pst_1", now, time.Minute)
		require.NoError(t, err)
		require.True(t, claimed, "the first claim wins")
		require.Equal(t, "pst_1", got.ReservedID)

		claimed, got, err = s.ClaimIdempotencyKey(ctx, "usr_a", "k1", "hash1", "pst_2", now, time.Minute)
		require.NoError(t, err)
		require.False(t, claimed)
		require.Zero(t, got.StatusCode, "still in flight")

		claimed, _, err = s.ClaimIdempotencyKey(ctx, "usr_b", "k1", "hash2", "pst_3", now, time.Minute)
		require.NoError(t, err)
		require.True(t, claimed, "keys are scoped per user")

		require.NoError(t, s.CompleteIdempotencyKey(ctx, "usr_a", "k1", 201, "application/json", []byte(`{"id":"pst_1"}`), now))
		claimed, got, err = s.ClaimIdempotencyKey(ctx, "usr_a", "k1", "hash1", "pst_4", now, time.Minute)
		require.NoError(t, err)
		require.False(t, claimed)
		require.Equal(t, 201, got.StatusCode)
		require.Equal(t, `{"id":"pst_1"}`, got.Body)
		require.Equal(t, "application/json", got.ContentType)
		require.NoError(t, s.ReleaseIdempotencyKey(ctx, "usr_a", "k1"))
		claimed, got, err = s.ClaimIdempotencyKey(ctx, "usr_a", "k1", "other", "pst_5", now, time.Minute)
		require.NoError(t, err)
		require.False(t, claimed)
		require.Equal(t, "hash1", got.RequestHash, "a finished key is not released")

		// A failed request releases its key: a retry of the same request takes it over at
		// once and keeps the reserved id (the failure may have come after the creation);
		// another request does not.
		require.NoError(t, s.ReleaseIdempotencyKey(ctx, "usr_b", "k1"))
		claimed, got, err = s.ClaimIdempotencyKey(ctx, "usr_b", "k1", "hash9", "pst_6", now, time.Minute)
		require.NoError(t, err)
		require.False(t, claimed, "another request does not take a released key")
		require.Equal(t, "hash2", got.RequestHash)
		claimed, got, err = s.ClaimIdempotencyKey(ctx, "usr_b", "k1", "hash2", "pst_7", now, time.Minute)
		require.NoError(t, err)
		require.True(t, claimed)
		require.Equal(t, "pst_3", got.ReservedID, "the retry names the resource of the first attempt")

		// An in-flight claim older than staleAfter is taken over by the same request only.
		later := now.Add(2 * time.Minute)
		claimed, _, err = s.ClaimIdempotencyKey(ctx, "usr_b", "k1", "hash3", "pst_8", later, time.Minute)
		require.NoError(t, err)
		require.False(t, claimed, "another request does not take over a stale key")
		claimed, got, err = s.ClaimIdempotencyKey(ctx, "usr_b", "k1", "hash2", "pst_9", later, time.Minute)
		require.NoError(t, err)
		require.True(t, claimed, "the same request takes over a stale key")
		require.Equal(t, "pst_3", got.ReservedID)
	})
}
