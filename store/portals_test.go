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

func newPortal(c *store.Client, at time.Time) (*store.Portal, *store.CalendarFeed) {
	a := c.Approvers[0]
	email := a.Email
	p := &store.Portal{ID: greenlight.NewID("ptl_"), TokenHash: greenlight.NewID("h"), ClientID: c.ID, ApproverID: a.ID,
		ApproverEmail: a.Email, CreatedBy: "usr_x", CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	return p, &store.CalendarFeed{TokenHash: greenlight.NewID("f"), ApproverEmail: &email, CreatedAt: at}
}

// One active portal per approver of a client: sending again revokes the previous portal
// with its unsent email token and its calendar feed; revoking leaves none; the rows stay
// so their links can say "revoked".
func TestPortalsRotateAndRevoke(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := newClient(t, s, "portal")
		now := time.Now().UTC().Truncate(time.Second)

		first, firstFeed := newPortal(c, now)
		require.NoError(t, s.CreatePortal(ctx, first, "glp_first", firstFeed))
		tok, err := s.PortalEmailToken(ctx, first.ID)
		require.NoError(t, err)
		require.Equal(t, "glp_first", tok)
		f, err := s.CalendarFeedByHash(ctx, firstFeed.TokenHash)
		require.NoError(t, err)
		require.Equal(t, first.ID, *f.PortalID, "the feed belongs to the portal")
		require.Equal(t, c.ID, *f.ClientID)

		second, secondFeed := newPortal(c, now.Add(time.Minute))
		require.NoError(t, s.CreatePortal(ctx, second, "glp_second", secondFeed))
		old, err := s.PortalByHash(ctx, first.TokenHash)
		require.NoError(t, err)
		require.NotNil(t, old.RevokedAt, "sending again revokes the previous portal")
		_, err = s.PortalEmailToken(ctx, first.ID)
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err), "a replaced portal's email is never sent")
		_, err = s.CalendarFeedByHash(ctx, firstFeed.TokenHash)
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err), "the old feed goes with the old portal")
		active, err := s.ActivePortals(ctx, c.ID)
		require.NoError(t, err)
		require.Len(t, active, 1)
		require.Equal(t, second.ID, active[0].ID)

		require.NoError(t, s.PortalEmailSent(ctx, second.ID))
		_, err = s.PortalEmailToken(ctx, second.ID)
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err), "the token is forgotten once sent")

		require.NoError(t, s.RevokePortal(ctx, c.ID, second.ApproverID, second.ApproverEmail, now.Add(2*time.Minute)))
		_, err = s.CalendarFeedByHash(ctx, secondFeed.TokenHash)
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))
		active, err = s.ActivePortals(ctx, c.ID)
		require.NoError(t, err)
		require.Empty(t, active)
		err = s.RevokePortal(ctx, c.ID, second.ApproverID, second.ApproverEmail, now)
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err), "nothing left to revoke")

		// The database itself refuses a second active portal for one approver.
		third, _ := newPortal(c, now)
		require.NoError(t, s.DB().Create(third).Error)
		fourth, _ := newPortal(c, now)
		require.Error(t, s.DB().Create(fourth).Error, "the partial unique index holds one active portal per approver")
	})
}

// What a portal reads is limited to its client and approver: open links of this approver
// on this client's posts awaiting the client, published posts of this client, and this
// approver's decisions on this client's posts.
func TestPortalReadsAreScoped(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mine, other := newClient(t, s, "mine"), newClient(t, s, "other")
		ap := mine.Approvers[0]
		now := time.Now().UTC().Truncate(time.Second)
		record := func(clientID string, status greenlight.PostStatus, decidedBy string) store.Post {
			p := newPost(clientID, 1, status)
			if status == greenlight.StatusPublished {
				p.PublishedAt = &now
			}
			rec := store.PostRecord{Post: p}
			if decidedBy != "" {
				rec.Decisions = []store.PostDecision{{PostID: p.ID, Seq: 1, Version: 1, Stage: "client", ActorKind: "approver",
					ActorID: decidedBy, ActorName: "Ana", Decision: "approve", Comment: "ok", At: now}}
			}
			require.NoError(t, s.RecordPost(ctx, rec))
			return p
		}
		link := func(p store.Post, approverID string, used bool) {
			l := &store.Link{ID: greenlight.NewID("lnk_"), TokenHash: greenlight.NewID("h"), EffectKey: greenlight.NewID("k"), SubjectKind: "post",
				SubjectID: p.ID, Version: 1, ApproverID: approverID, ApproverName: "Ana", ApproverEmail: "ana@x.test",
				ExpiresAt: now.Add(time.Hour), CreatedAt: now}
			if used {
				l.UsedAt = &now
			}
			require.NoError(t, s.SaveLink(ctx, l))
		}
		waiting := record(mine.ID, greenlight.StatusAwaitingClient, "")
		link(waiting, ap.ID, false)
		decided := record(mine.ID, greenlight.StatusAwaitingClient, "")
		link(decided, ap.ID, true)
		otherApprover := record(mine.ID, greenlight.StatusAwaitingClient, "")
		link(otherApprover, "apr_someone_else", false)
		draft := record(mine.ID, greenlight.StatusDraft, "")
		link(draft, ap.ID, false) // not awaiting the client: never listed
		elsewhere := record(other.ID, greenlight.StatusAwaitingClient, "")
		link(elsewhere, ap.ID, false)

		links, err := s.OpenApproverLinks(ctx, mine.ID, ap.ID, 100)
		require.NoError(t, err)
		require.Len(t, links, 1, "%+v", links)
		require.Equal(t, waiting.ID, links[0].SubjectID)

		// Awaiting the approver: their decision on the current version since it was sent
		// takes a post off; an earlier one (the version was sent again since) does not.
		awaitingIDs := func() []string {
			ps, err := s.AwaitingApprover(ctx, mine.ID, ap.ID, 100)
			require.NoError(t, err)
			var ids []string
			for _, p := range ps {
				ids = append(ids, p.ID)
			}
			return ids
		}
		require.ElementsMatch(t, []string{waiting.ID, decided.ID, otherApprover.ID}, awaitingIDs())
		sentAgain := record(mine.ID, greenlight.StatusAwaitingClient, ap.ID) // decided at now
		require.NoError(t, s.RecordPost(ctx, store.PostRecord{Post: sentAgain, Events: []store.PostEvent{{PostID: sentAgain.ID, Seq: 1,
			At: now.Add(time.Minute), ActorKind: "system", ActorID: "system", ActorName: "system", Action: "client_approval_requested", Version: 1}}}))
		decidedNow := record(mine.ID, greenlight.StatusAwaitingClient, ap.ID)
		require.ElementsMatch(t, []string{waiting.ID, decided.ID, otherApprover.ID, sentAgain.ID}, awaitingIDs(), "not %s", decidedNow.ID)

		// A decision link is stored once per key.
		dl := &store.Link{ID: greenlight.NewID("lnk_"), TokenHash: greenlight.NewID("h"), EffectKey: "portal/ptl_1/" + waiting.ID + "/v1",
			SubjectKind: "post", SubjectID: waiting.ID, Version: 1, ApproverID: ap.ID, ApproverName: "Ana", ApproverEmail: "ana@x.test",
			ExpiresAt: now.Add(time.Hour), CreatedAt: now}
		first, err := s.DecisionLink(ctx, dl)
		require.NoError(t, err)
		again := *dl
		again.ID, again.TokenHash = greenlight.NewID("lnk_"), greenlight.NewID("h")
		second, err := s.DecisionLink(ctx, &again)
		require.NoError(t, err)
		require.Equal(t, first.ID, second.ID)
		require.Equal(t, dl.ID, second.ID)

		pub := record(mine.ID, greenlight.StatusPublished, ap.ID)
		record(other.ID, greenlight.StatusPublished, ap.ID)
		record(mine.ID, greenlight.StatusScheduled, "")
		published, err := s.PublishedPosts(ctx, mine.ID, 10)
		require.NoError(t, err)
		require.Len(t, published, 1)
		require.Equal(t, pub.ID, published[0].ID)

		record(mine.ID, greenlight.StatusScheduled, "apr_someone_else")
		ds, err := s.ApproverDecisions(ctx, mine.ID, ap.ID, 10)
		require.NoError(t, err)
		require.Len(t, ds, 3, "this approver's decisions on this client only: %+v", ds)
		require.ElementsMatch(t, []string{sentAgain.ID, decidedNow.ID, pub.ID}, []string{ds[0].PostID, ds[1].PostID, ds[2].PostID})
		require.Equal(t, "Launch", ds[0].Title)
		require.Equal(t, "ok", ds[0].Comment)
		require.Equal(t, 1, ds[0].Version)
	})
}
