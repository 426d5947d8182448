package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/store"
)

// A portal's email goes once under its key, with the link whatever the retries; a portal
// replaced before its email went out is not sent (its token left with the outbox row).
func TestEmailPortalOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		ctx := context.Background()
		ana := f.client.Approvers[0]
		portal := func(token string) *store.Portal {
			now := time.Now().UTC()
			email := ana.Email
			p := &store.Portal{ID: greenlight.NewID("ptl_"), TokenHash: greenlight.HashToken(token), ClientID: f.client.ID,
				ApproverID: ana.ID, ApproverEmail: ana.Email, CreatedBy: f.author.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			require.NoError(t, st.CreatePortal(ctx, p, token, &store.CalendarFeed{TokenHash: greenlight.HashToken("f" + token), ApproverEmail: &email, CreatedAt: now}))
			return p
		}
		first := portal("glp_first")
		second := portal("glp_second") // replaces the first before its email went out

		f.mail.failTo = ana.Email
		require.Error(t, f.acts.EmailPortal(ctx, activities.PortalEmailInput{PortalID: second.ID}), "the send fails: retried")
		require.NoError(t, f.acts.EmailPortal(ctx, activities.PortalEmailInput{PortalID: second.ID}))
		require.NoError(t, f.acts.EmailPortal(ctx, activities.PortalEmailInput{PortalID: second.ID}), "a repeat after success")
		require.Len(t, f.mail.sent, 1)
		m := f.mail.sent[0]
		require.Equal(t, "portal/"+second.ID+"/email", m.Key)
		require.Equal(t, ana.Email, m.To)
		require.Contains(t, m.Subject, "Your approval portal")
		require.Contains(t, m.Text, "https://gl.example/portal/glp_second")
		require.Contains(t, m.HTML, `href="https://gl.example/portal/glp_second"`)

		require.NoError(t, f.acts.EmailPortal(ctx, activities.PortalEmailInput{PortalID: first.ID}))
		require.Len(t, f.mail.sent, 1, "a replaced portal's email is not sent")
	})
}
