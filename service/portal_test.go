package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
	"github.com/greenlight/greenlight/workflows"
)

// portalWorld is a world whose service queues portal emails on a fake Temporal client
// (the IDs of the workflows it started are kept), with a second client.
type portalWorld struct {
	*world
	svc    *service.Service
	other  *store.Client
	queued []string
}

func newPortalWorld(t *testing.T, st *store.Store) *portalWorld {
	w := &portalWorld{world: newWorld(t, st)}
	w.svc = w.world.svc()
	tc := &mocks.Client{}
	tc.On("ExecuteWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(&mocks.WorkflowRun{}, nil).
		Run(func(args mock.Arguments) { w.queued = append(w.queued, args.Get(1).(client.StartWorkflowOptions).ID) })
	w.svc.Temporal = tc
	w.other = &store.Client{ID: greenlight.NewID("cli_"), Name: "Autre marque", ApprovalPolicy: "any", CreatedAt: w.now,
		Approvers: []store.Approver{{ID: greenlight.NewID("apr_"), Name: "Otto", Email: "otto@other.test"}}}
	require.NoError(t, st.CreateClient(context.Background(), w.other))
	return w
}

// otherPost writes a post of the other client (one version).
func (w *portalWorld) otherPost(status string) string {
	id := greenlight.NewID("pst_")
	c := content(1)
	pub := w.now.Add(-time.Hour)
	p := store.Post{ID: id, ClientID: w.other.ID, AuthorID: w.editor.ID, Title: "AUTRE CLIENT", Body: c.Body, Channels: c.Channels,
		MediaURLs: c.MediaURLs, PublishAt: w.now.Add(time.Hour), Status: status, Version: 1, Revision: 1, CreatedAt: w.now, UpdatedAt: w.now}
	if status == "published" {
		p.PublishedAt = &pub
	}
	require.NoError(w.t, w.st.RecordPost(context.Background(), store.PostRecord{Post: p,
		NewVersion: &store.PostVersion{PostID: id, Version: 1, Title: p.Title, Body: p.Body, Channels: p.Channels, MediaURLs: c.MediaURLs, CreatedAt: w.now},
		Events:     []store.PostEvent{{PostID: id, Seq: 1, At: w.now, ActorKind: "system", Action: "scheduled", Version: 1}}}))
	return id
}

// Who may send and revoke portals: admins and editors of the client; others are refused
// before anything is read, staff of another client find nothing.
func TestPortalPolicy(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newPortalWorld(t, st)
		a := w.client.Approvers[0]
		for _, tc := range []struct {
			name string
			who  *store.User
			code string
		}{
			{"reviewer", w.reviewer, greenlight.EFORBIDDEN},
			{"admin of another client", w.outsider, greenlight.ENOTFOUND},
			{"editor of the client", w.editor, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := w.svc.SendPortal(ctx, tc.who, w.client.ID, a.ID)
				require.Equal(t, tc.code, greenlight.ErrorCode(err), "%v", err)
				if tc.code == "" {
					require.NoError(t, err)
					return
				}
				require.Equal(t, tc.code, greenlight.ErrorCode(w.svc.RevokePortal(ctx, tc.who, w.client.ID, a.ID)))
			})
		}
		_, err := w.svc.SendPortal(ctx, w.editor, w.client.ID, w.other.Approvers[0].ID)
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err), "another client's approver")
	})
}

// A portal shows its client's posts only, and of those only what a client may see: the
// posts waiting for this approver, scheduled and published ones (certificates for those),
// this approver's decisions. Drafts, internal reviews, other approvers' links and other
// clients never appear.
func TestPortalShowsOnlyItsClient(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newPortalWorld(t, st)
		a := w.client.Approvers[0]
		sent, err := w.svc.SendPortal(ctx, w.editor, w.client.ID, a.Email)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(sent.Token, service.PortalTokenPrefix))
		require.Equal(t, []string{workflows.PortalEmailWorkflowID(sent.PortalID)}, w.queued, "the worker emails the link")
		acc, err := w.svc.OpenPortal(ctx, sent.Token)
		require.NoError(t, err)
		require.Equal(t, a.ID, acc.Approver.ID)

		waiting := w.post("awaiting_client", 2, nil, nil)
		w.link(waiting, 2, w.now.Add(time.Hour), nil, nil)
		w.link(waiting, 1, w.now.Add(time.Hour), nil, nil) // an older version's link: replaced
		draft := w.post("draft", 1, nil, nil)
		w.link(draft, 1, w.now.Add(time.Hour), nil, nil)
		inReview := w.post("in_review", 1, nil, nil)
		scheduled := w.post("scheduled", 1, []store.PostDecision{{Seq: 1, Version: 1, Stage: "client", ActorKind: "approver",
			ActorID: a.ID, ActorName: a.Name, Decision: "approve", Comment: "Parfait", At: w.now}},
			[]store.PostEvent{{Seq: 1, At: w.now, ActorKind: "system", Action: "scheduled", Version: 1}})
		_, err = w.svc.AddComment(ctx, w.editor, scheduled, service.NewComment{Body: "SECRET interne", Visibility: "internal"})
		require.NoError(t, err)
		otherWaiting := w.otherPost("awaiting_client")
		w.link(otherWaiting, 1, w.now.Add(time.Hour), nil, nil) // even a link under this approver's id
		otherPublished := w.otherPost("published")
		otherScheduled := w.otherPost("scheduled")

		// Decided by this approver since the version was sent: no longer waiting. Sent in a
		// batch email (no per-post link): waiting all the same.
		decided := w.post("awaiting_client", 1, []store.PostDecision{{Seq: 1, Version: 1, Stage: "client", Round: 1, ActorKind: "approver",
			ActorID: a.ID, ActorName: a.Name, Decision: "approve", At: w.now.Add(time.Second)}},
			[]store.PostEvent{{Seq: 1, At: w.now, ActorKind: "system", Action: "client_approval_requested", Version: 1}})
		batched := w.post("awaiting_client", 1, nil, []store.PostEvent{{Seq: 1, At: w.now, ActorKind: "system", Action: "client_approval_requested", Version: 1}})

		got, err := w.svc.PortalWaiting(ctx, acc)
		require.NoError(t, err)
		var ids []string
		for _, p := range got {
			ids = append(ids, p.ID)
		}
		require.ElementsMatch(t, []string{waiting, batched}, ids, "never %s (decided)", decided)
		for _, p := range got {
			if p.ID == waiting {
				require.Equal(t, 2, p.Version, "the current version")
			}
		}

		cal, err := w.svc.PortalCalendar(ctx, acc, w.now.Add(-48*time.Hour), w.now.Add(48*time.Hour))
		require.NoError(t, err)
		require.Len(t, cal, 1)
		require.Equal(t, scheduled, cal[0].ID)

		ds, err := w.svc.PortalDecisions(ctx, acc)
		require.NoError(t, err)
		require.Len(t, ds, 2, "the approver's decisions on this client's posts")
		require.Equal(t, decided, ds[0].PostID, "newest first")
		require.Equal(t, "Parfait", ds[1].Comment)

		pub, err := w.svc.PortalPublished(ctx, acc)
		require.NoError(t, err)
		require.Empty(t, pub)

		cert, err := w.svc.PortalCertificate(ctx, acc, scheduled)
		require.NoError(t, err)
		require.Equal(t, w.client.ID, cert.Client.ID)
		for _, id := range []string{draft, inReview, waiting, otherPublished, otherScheduled, "pst_00000000000000000000000000", "nonsense"} {
			_, err := w.svc.PortalCertificate(ctx, acc, id)
			require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err), "certificate of %s", id)
		}

		_, err = w.svc.PortalDecide(ctx, acc, otherWaiting, "approve", "")
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err), "another client's post does not exist here")
		_, err = w.svc.PortalDecide(ctx, acc, draft, "approve", "")
		require.Equal(t, greenlight.ECONFLICT, greenlight.ErrorCode(err), "a draft is not waiting for the client")
		_, err = w.svc.PortalDecide(ctx, acc, waiting, "maybe", "")
		require.Equal(t, greenlight.EINVALID, greenlight.ErrorCode(err))
		_, err = w.svc.PortalDecide(ctx, acc, waiting, "request_changes", " ")
		require.Equal(t, greenlight.EINVALID, greenlight.ErrorCode(err), "the same validation as the approval page")

		feed, err := w.svc.CalendarByToken(ctx, acc.FeedToken, "https://gl.example")
		require.NoError(t, err)
		require.Contains(t, string(feed), scheduled+"@gl.example")
		for _, id := range []string{draft, inReview, waiting, decided, batched, otherPublished, otherScheduled} {
			require.NotContains(t, string(feed), id)
		}
		require.NotContains(t, string(feed), "SECRET")
	})
}

// A portal link stops working (EGONE) when sent again (the new one works), revoked,
// expired, or when its approver is removed; its calendar feed stops with it.
func TestPortalLifecycle(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newPortalWorld(t, st)
		a := w.client.Approvers[0]
		gone := func(t *testing.T, token string) {
			t.Helper()
			_, err := w.svc.OpenPortal(ctx, token)
			require.Equal(t, greenlight.EGONE, greenlight.ErrorCode(err), "%v", err)
			_, err = w.svc.CalendarByToken(ctx, service.PortalFeedToken(token), "https://gl.example")
			require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err), "the feed goes with the portal")
		}
		works := func(t *testing.T, token string) {
			t.Helper()
			_, err := w.svc.OpenPortal(ctx, token)
			require.NoError(t, err)
			_, err = w.svc.CalendarByToken(ctx, service.PortalFeedToken(token), "https://gl.example")
			require.NoError(t, err)
		}
		send := func() string {
			s, err := w.svc.SendPortal(ctx, w.editor, w.client.ID, a.ID)
			require.NoError(t, err)
			return s.Token
		}

		t.Run("unknown", func(t *testing.T) {
			for _, tok := range []string{"", "glp_nothing", "gl_approvallink", strings.Repeat("x", 300)} {
				_, err := w.svc.OpenPortal(ctx, tok)
				require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err), tok)
			}
		})
		t.Run("rotated", func(t *testing.T) {
			first := send()
			works(t, first)
			second := send()
			gone(t, first)
			works(t, second)
			require.NoError(t, w.svc.RevokePortal(ctx, w.editor, w.client.ID, a.ID))
		})
		t.Run("revoked", func(t *testing.T) {
			tok := send()
			require.NoError(t, w.svc.RevokePortal(ctx, w.editor, w.client.ID, a.Email))
			gone(t, tok)
			require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(w.svc.RevokePortal(ctx, w.editor, w.client.ID, a.ID)))
		})
		t.Run("expired", func(t *testing.T) {
			w.svc.PortalTTL = 24 * time.Hour
			tok := send()
			works(t, tok)
			w.now = w.now.Add(24 * time.Hour)
			gone(t, tok)
			require.NoError(t, w.svc.RevokePortal(ctx, w.editor, w.client.ID, a.ID), "an expired portal is still revocable")
		})
		t.Run("approver removed", func(t *testing.T) {
			w.svc.PortalTTL = 0
			tok := send()
			_, err := w.svc.SetApprovers(ctx, w.editor, w.client.ID, []service.NewApprover{{Name: "Nouveau", Email: "nouveau@brand.test"}})
			require.NoError(t, err)
			_, err = w.svc.OpenPortal(ctx, tok)
			require.Equal(t, greenlight.EGONE, greenlight.ErrorCode(err))
			_, err = w.svc.CalendarByToken(ctx, service.PortalFeedToken(tok), "https://gl.example")
			require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))
			require.NoError(t, w.svc.RevokePortal(ctx, w.editor, w.client.ID, a.ID), "revocable by id once the approver is gone")
		})
	})
}
