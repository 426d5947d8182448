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

func TestLinkForEmailKeepsItsTokenUntilTheEmailIsSent(t *testing.T) {
	const key = "post/pst_1/v1/r1/client-request/a@b"
	now := time.Now().UTC()
	link := func(hash string, expires time.Time) *store.Link {
		return &store.Link{ID: greenlight.NewID("lnk_"), TokenHash: hash, EffectKey: key, SubjectKind: "post",
			SubjectID: "pst_1", Version: 1, ApproverID: "apr_1", ApproverName: "A", ApproverEmail: "a@b",
			ExpiresAt: expires, CreatedAt: now}
	}
	outbox := func(t *testing.T, s *store.Store) int64 {
		var n int64
		require.NoError(t, s.DB().Table("link_outbox").Count(&n).Error)
		return n
	}
	tests := []struct {
		name string
		// before prepares the state the second call meets; it returns that call's time.
		before    func(t *testing.T, s *store.Store) time.Time
		wantFirst bool // the second call returns the first token
	}{
		{"a retried send gets the first token", func(*testing.T, *store.Store) time.Time { return now }, true},
		{"after expiry a retry gets a new link", func(*testing.T, *store.Store) time.Time { return now.Add(2 * time.Hour) }, false},
		{"a link stored before the outbox is replaced", func(t *testing.T, s *store.Store) time.Time {
			require.NoError(t, s.DB().Exec("DELETE FROM link_outbox").Error)
			return now
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, s *store.Store) {
				ctx := context.Background()
				first, token, err := s.LinkForEmail(ctx, link(greenlight.HashToken("tok1"), now.Add(time.Hour)), "tok1", now)
				require.NoError(t, err)
				require.Equal(t, "tok1", token)
				require.EqualValues(t, 1, outbox(t, s))

				at := tt.before(t, s)
				again, token, err := s.LinkForEmail(ctx, link(greenlight.HashToken("tok2"), at.Add(time.Hour)), "tok2", at)
				require.NoError(t, err)
				require.Equal(t, first.ID, again.ID, "one link per email")
				got, err := s.LinkByTokenHash(ctx, greenlight.HashToken(token))
				require.NoError(t, err, "the token returned works")
				require.Equal(t, first.ID, got.ID)
				if tt.wantFirst {
					require.Equal(t, "tok1", token)
					require.WithinDuration(t, first.ExpiresAt, again.ExpiresAt, time.Second, "with its first expiry")
				} else {
					require.Equal(t, "tok2", token)
					_, err := s.LinkByTokenHash(ctx, greenlight.HashToken("tok1"))
					require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))
				}

				_, _, err = s.BeginEffect(ctx, key, "email")
				require.NoError(t, err)
				require.NoError(t, s.FinishEffect(ctx, key, ""))
				require.Zero(t, outbox(t, s), "a sent email's token is forgotten")
			})
		})
	}
}
