package store_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/store"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

func ptr[T any](v T) *T { return &v }

func newClient(t *testing.T, s *store.Store, name string) *store.Client {
	t.Helper()
	c := &store.Client{
		ID: greenlight.NewID("cli_"), Name: name, ApprovalPolicy: greenlight.PolicyAny, CreatedAt: time.Now().UTC(),
		Approvers: []store.Approver{{ID: greenlight.NewID("apr_"), Name: "Ana", Email: "ana@" + name + ".test"}},
	}
	require.NoError(t, s.CreateClient(context.Background(), c))
	return c
}

func newPost(clientID string, rev int64, status greenlight.PostStatus) store.Post {
	now := time.Now().UTC().Truncate(time.Millisecond)
	return store.Post{
		ID: greenlight.NewID("pst_"), ClientID: clientID, AuthorID: "usr_x", Title: "Launch", Body: "Hello",
		Channels: store.StringList{"x"}, MediaURLs: store.StringList{}, PublishAt: now.Add(time.Hour),
		Status: string(status), Version: 1, ReminderAfter: time.Hour, EscalateAfter: 2 * time.Hour,
		Revision: rev, CreatedAt: now, UpdatedAt: now,
	}
}

func TestMigrateIsRepeatable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		require.NoError(t, s.Migrate(ctx))
		v, err := s.SchemaVersion(ctx)
		require.NoError(t, err)
		require.Positive(t, v)
	})
}

func TestUsers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := newClient(t, s, "brand")
		u := &store.User{ID: greenlight.NewID("usr_"), Email: "e@agency.test", Name: "Eve", Role: "editor",
			APIKeyHash: ptr("abc"), CreatedAt: time.Now().UTC(), ClientIDs: []string{c.ID}}
		require.NoError(t, s.CreateUser(ctx, u))

		got, err := s.UserByKeyHash(ctx, "abc")
		require.NoError(t, err)
		require.Equal(t, u.ID, got.ID)
		require.Equal(t, []string{c.ID}, got.ClientIDs)

		dup := &store.User{ID: greenlight.NewID("usr_"), Email: u.Email, Name: "Other", Role: "admin", CreatedAt: time.Now().UTC()}
		require.Equal(t, greenlight.ECONFLICT, greenlight.ErrorCode(s.CreateUser(ctx, dup)))

		_, err = s.UserByKeyHash(ctx, "nope")
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))

		require.NoError(t, s.SetAPIKeyHash(ctx, u.ID, nil))
		_, err = s.UserByKeyHash(ctx, "abc")
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))

		other := newClient(t, s, "other")
		admin := &store.User{ID: greenlight.NewID("usr_"), Email: "a@agency.test", Name: "Al", Role: "admin", CreatedAt: time.Now().UTC()}
		require.NoError(t, s.CreateUser(ctx, admin))
		admins, err := s.UsersWithRole(ctx, greenlight.RoleAdmin, other.ID)
		require.NoError(t, err)
		require.Len(t, admins, 1)
		editors, err := s.UsersWithRole(ctx, greenlight.RoleEditor, other.ID)
		require.NoError(t, err)
		require.Empty(t, editors, "a scoped editor is not notified about other clients")
	})
}

func TestClients(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := newClient(t, s, "zeta")
		newClient(t, s, "alpha")
		got, err := s.Client(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, "zeta", got.Name)
		require.Len(t, got.Approvers, 1)

		all, err := s.ListClients(ctx, nil)
		require.NoError(t, err)
		require.Equal(t, []string{"alpha", "zeta"}, []string{all[0].Name, all[1].Name})
		scoped, err := s.ListClients(ctx, []string{c.ID})
		require.NoError(t, err)
		require.Len(t, scoped, 1)

		bad := &store.Client{ID: greenlight.NewID("cli_"), Name: "dup", ApprovalPolicy: "any", CreatedAt: time.Now().UTC(),
			Approvers: []store.Approver{{ID: greenlight.NewID("apr_"), Name: "A", Email: "a@x.test"}, {ID: greenlight.NewID("apr_"), Name: "B", Email: "a@x.test"}}}
		require.Equal(t, greenlight.EINVALID, greenlight.ErrorCode(s.CreateClient(ctx, bad)))
		_, err = s.Client(ctx, bad.ID)
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err), "a failed create leaves nothing behind")

		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(s.ClientsExist(ctx, []string{c.ID, "cli_missing"})))
	})
}

func TestRecordPostOnlyMovesForward(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := newClient(t, s, "brand")
		p := newPost(c.ID, 1, greenlight.StatusDraft)
		v1 := &store.PostVersion{PostID: p.ID, Version: 1, Title: p.Title, Body: p.Body, Channels: p.Channels, MediaURLs: p.MediaURLs, AuthorID: "usr_x", CreatedAt: p.CreatedAt}
		ev := store.PostEvent{PostID: p.ID, Seq: 1, At: p.CreatedAt, ActorKind: "user", ActorID: "usr_x", ActorName: "X", Action: "created", Version: 1}
		rec := store.PostRecord{Post: p, NewVersion: v1, Events: []store.PostEvent{ev}}
		require.NoError(t, s.RecordPost(ctx, rec))
		require.NoError(t, s.RecordPost(ctx, rec), "a repeated record is harmless")

		p3 := p
		p3.Revision, p3.Status = 3, string(greenlight.StatusAwaitingClient)
		require.NoError(t, s.RecordPost(ctx, store.PostRecord{Post: p3}))
		p2 := p
		p2.Revision, p2.Status = 2, string(greenlight.StatusInReview)
		require.NoError(t, s.RecordPost(ctx, store.PostRecord{Post: p2, Events: []store.PostEvent{{PostID: p.ID, Seq: 2, At: p.CreatedAt, ActorKind: "user", ActorID: "usr_x", ActorName: "X", Action: "submitted", Version: 1}}}))

		d, err := s.PostDetail(ctx, p.ID)
		require.NoError(t, err)
		require.Equal(t, string(greenlight.StatusAwaitingClient), d.Status, "an older revision does not overwrite a newer one")
		require.Len(t, d.Versions, 1)
		require.Len(t, d.Events, 2, "events of a late write are still kept")
		require.Equal(t, store.StringList{"x"}, d.Versions[0].Channels)
	})
}

func TestListPosts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := newClient(t, s, "a"), newClient(t, s, "b")
		var ids []string
		for i := range 5 {
			cid := a.ID
			if i%2 == 1 {
				cid = b.ID
			}
			p := newPost(cid, 1, greenlight.StatusDraft)
			p.Title = fmt.Sprintf("Post %d", i)
			if i == 4 {
				p.Status, p.Title = string(greenlight.StatusScheduled), "Black 100% Friday"
			}
			require.NoError(t, s.RecordPost(ctx, store.PostRecord{Post: p}))
			ids = append(ids, p.ID)
			time.Sleep(2 * time.Millisecond) // ids sort by millisecond
		}
		tests := []struct {
			name string
			f    store.PostFilter
			want []string
		}{
			{"all newest first", store.PostFilter{Limit: 10}, []string{ids[4], ids[3], ids[2], ids[1], ids[0]}},
			{"page", store.PostFilter{Limit: 2, Cursor: ids[3]}, []string{ids[2], ids[1]}},
			{"client", store.PostFilter{Limit: 10, ClientID: b.ID}, []string{ids[3], ids[1]}},
			{"scope", store.PostFilter{Limit: 10, Scope: []string{b.ID}}, []string{ids[3], ids[1]}},
			{"status", store.PostFilter{Limit: 10, Status: "scheduled"}, []string{ids[4]}},
			{"search escapes like", store.PostFilter{Limit: 10, Search: "100%"}, []string{ids[4]}},
			{"search case", store.PostFilter{Limit: 10, Search: "post 2"}, []string{ids[2]}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ps, _, err := s.ListPosts(ctx, tt.f)
				require.NoError(t, err)
				got := make([]string, len(ps))
				for i, p := range ps {
					got[i] = p.ID
				}
				require.Equal(t, tt.want, got)
			})
		}
		ps, next, err := s.ListPosts(ctx, store.PostFilter{Limit: 3})
		require.NoError(t, err)
		require.Len(t, ps, 3)
		require.Equal(t, ids[2], next)
		_, next, err = s.ListPosts(ctx, store.PostFilter{Limit: 3, Cursor: next})
		require.NoError(t, err)
		require.Empty(t, next)

		counts, err := s.CountPostsByStatus(ctx, store.PostFilter{})
		require.NoError(t, err)
		require.Equal(t, map[string]int{"draft": 4, "scheduled": 1}, counts)
	})
}

func TestLinks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		l := &store.Link{ID: greenlight.NewID("lnk_"), TokenHash: "h1", EffectKey: "post/p/v1/r1/client-request/a@b", SubjectKind: "post",
			SubjectID: "pst_1", Version: 1, ApproverID: "apr_1", ApproverName: "A", ApproverEmail: "a@b",
			ExpiresAt: time.Now().UTC().Add(time.Hour), CreatedAt: time.Now().UTC()}
		require.NoError(t, s.SaveLink(ctx, l))
		retry := *l
		retry.ID, retry.TokenHash = greenlight.NewID("lnk_"), "h2"
		require.NoError(t, s.SaveLink(ctx, &retry))

		_, err := s.LinkByTokenHash(ctx, "h1")
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err), "a retried send replaces the unsent token")
		got, err := s.LinkByTokenHash(ctx, "h2")
		require.NoError(t, err)
		require.Equal(t, l.ID, got.ID)

		first, err := s.MarkLinkUsed(ctx, got.ID, time.Now().UTC())
		require.NoError(t, err)
		require.True(t, first)
		again, err := s.MarkLinkUsed(ctx, got.ID, time.Now().UTC())
		require.NoError(t, err)
		require.False(t, again)
	})
}

func TestEffects(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		done, _, err := s.BeginEffect(ctx, "k", "email")
		require.NoError(t, err)
		require.False(t, done)
		done, _, err = s.BeginEffect(ctx, "k", "email")
		require.NoError(t, err)
		require.False(t, done, "a pending effect may be retried")
		require.NoError(t, s.FinishEffect(ctx, "k", "msg-1"))
		done, res, err := s.BeginEffect(ctx, "k", "email")
		require.NoError(t, err)
		require.True(t, done)
		require.Equal(t, "msg-1", res)
	})
}

func TestRateLimit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for i := range 3 {
			ok, err := s.Hit(ctx, "ip:1.2.3.4", 3, time.Hour)
			require.NoError(t, err)
			require.True(t, ok, "hit %d", i)
		}
		ok, err := s.Hit(ctx, "ip:1.2.3.4", 3, time.Hour)
		require.NoError(t, err)
		require.False(t, ok)
		ok, err = s.Hit(ctx, "ip:5.6.7.8", 3, time.Hour)
		require.NoError(t, err)
		require.True(t, ok, "buckets are separate")
	})
}

func TestDevMailsFilterBySubject(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for _, key := range []string{"post/pst_a1/v1/r1/client-request/x@y", "post/pst_a10/v1/r1/client-request/x@y",
			"post/pstXa1/v1/r1/client-request/x@y", "crisis/crs_1/statement/stm_9/v1/request/legal/x@y"} {
			require.NoError(t, s.SaveDevMail(ctx, &store.DevMail{ID: greenlight.NewID("mail_"), IdemKey: key, ToAddr: "x@y", SentAt: time.Now().UTC()}))
		}
		for subject, want := range map[string]int{"pst_a1": 1, "stm_9": 1, "": 4, "pst_%": 0} {
			ms, err := s.DevMails(ctx, "", subject, 100)
			require.NoError(t, err)
			require.Len(t, ms, want, "subject %q", subject)
		}
	})
}
