package activities_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/internal/smtptest"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/mail"
	"github.com/greenlight/greenlight/store"
	"github.com/greenlight/greenlight/workflows"
)

type silentLogger struct{}

func (silentLogger) Debug(string, ...any) {}
func (silentLogger) Info(string, ...any)  {}
func (silentLogger) Warn(string, ...any)  {}
func (silentLogger) Error(string, ...any) {}

// 50 posts start waiting for two approvers in a burst (within the client's 10 minute
// window, some enqueued twice as a retried activity would): the real Digest workflow with
// the real activities sends exactly one email per approver, through SMTP, listing all 50;
// a retried send and a stray per-post request for a listed version send nothing more.
func TestDigestBurstSendsOneEmailPerApproverOverSMTP(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := setup(t, st)
		srv, err := smtptest.Start()
		require.NoError(t, err)
		t.Cleanup(func() { srv.Close() })
		sender, err := mail.NewSMTP(srv.URL(), "greenlight@agency.test", "Agence")
		require.NoError(t, err)
		f.acts.Mail = sender
		f.acts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))

		const n = 50
		now := time.Now().UTC()
		var ids []string
		for i := range n {
			p := f.post
			p.ID = greenlight.NewID("pst_")
			p.Content.Title = fmt.Sprintf("Plat du jour %02d", i+1)
			require.NoError(t, f.acts.RecordPost(ctx, activities.PostRecord{Post: p,
				NewVersion: &activities.VersionRecord{Version: 1, Content: p.Content, AuthorID: f.author.ID, At: now}}))
			ids = append(ids, p.ID)
		}
		item := func(id string, ap activities.Approver) activities.DigestItem {
			return activities.DigestItem{PostID: id, ClientID: f.client.ID, AuthorID: f.author.ID, Version: 1, Round: 1, Approver: ap,
				Window: 10 * time.Minute, ReminderAfter: 24 * time.Hour, EscalateAfter: 72 * time.Hour}
		}
		for _, ap := range f.approvers() {
			var suite testsuite.WorkflowTestSuite
			suite.SetLogger(silentLogger{})
			env := suite.NewTestWorkflowEnvironment()
			env.RegisterWorkflow(workflows.Digest)
			env.RegisterActivity(f.acts)
			for i, id := range ids[1:] {
				at := time.Duration(i) * 10 * time.Second // all within the window
				it := item(id, ap)
				env.RegisterDelayedCallback(func() { env.SignalWorkflow(activities.DigestSignal, it) }, at)
				if i%10 == 0 { // a retried enqueue
					env.RegisterDelayedCallback(func() { env.SignalWorkflow(activities.DigestSignal, it) }, at+time.Second)
				}
			}
			env.RegisterDelayedCallback(env.CancelWorkflow, 12*time.Hour) // before any reminder
			env.ExecuteWorkflow(workflows.Digest, activities.DigestInput{ClientID: f.client.ID, ApproverID: ap.ID,
				Pending: []activities.DigestItem{item(ids[0], ap)}, PendingSince: env.Now()})
			require.True(t, env.IsWorkflowCompleted())
		}

		byTo := map[string][]smtptest.Message{}
		for _, m := range srv.Messages() {
			for _, to := range m.To {
				byTo[to] = append(byTo[to], m)
			}
		}
		require.Len(t, byTo, 2)
		for _, ap := range f.approvers() {
			ms := byTo[ap.Email]
			require.Len(t, ms, 1, "exactly one email to %s for the window", ap.Email)
			require.Contains(t, ms[0].Subject, "50 posts to approve")
			require.True(t, strings.HasPrefix(ms[0].Key, "digest/"+f.client.ID+"/"+ap.ID+"/"+ids[0]+"/v1/r1/client-request/"), ms[0].Key)
			for i := range n {
				require.Contains(t, ms[0].Raw, fmt.Sprintf("Plat du jour %02d", i+1))
			}
		}

		// A retried send of the batch, and a stray per-post request: nothing more goes out.
		ana := f.approvers()[0]
		var items []activities.DigestItem
		for _, id := range ids {
			items = append(items, item(id, ana))
		}
		again, err := f.acts.SendDigest(ctx, activities.DigestSend{Batch: items[0].Key(), Kind: activities.DigestRequest, Items: items})
		require.NoError(t, err)
		require.Len(t, again, n, "the retry answers what the email listed")
		require.NoError(t, f.acts.RequestApproval(ctx, activities.ApprovalRequest{PostID: ids[7], ClientID: f.client.ID, Version: 1, Round: 1,
			Approvers: []activities.Approver{ana}}))
		require.Len(t, srv.Messages(), 2, "never two emails for one (approver, post version, kind)")
	})
}

// A batch email lists only what still waits for the approver: a post decided, replaced
// or no longer awaiting the client before the window ends is left out; nothing waiting,
// no email.
func TestSendDigestListsOnlyWhatStillWaits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := setup(t, st)
		ana := f.approvers()[0]
		now := time.Now().UTC()
		mk := func(title string, status greenlight.PostStatus, version int) string {
			p := f.post
			p.ID, p.Content.Title, p.Status, p.Version = greenlight.NewID("pst_"), title, status, version
			rec := activities.PostRecord{Post: p, NewVersion: &activities.VersionRecord{Version: version, Content: p.Content, AuthorID: f.author.ID, At: now}}
			require.NoError(t, f.acts.RecordPost(ctx, rec))
			return p.ID
		}
		waiting := mk("Waiting", greenlight.StatusAwaitingClient, 1)
		replaced := mk("Replaced", greenlight.StatusAwaitingClient, 2)
		scheduled := mk("Scheduled", greenlight.StatusScheduled, 1)
		decided := mk("Decided", greenlight.StatusAwaitingClient, 1)
		p, err := st.Post(ctx, decided)
		require.NoError(t, err)
		require.NoError(t, f.acts.RecordPost(ctx, activities.PostRecord{
			Post: activities.PostSnapshot{ID: p.ID, ClientID: p.ClientID, AuthorID: p.AuthorID, Content: f.post.Content, PublishAt: p.PublishAt,
				Status: greenlight.StatusAwaitingClient, Version: 1, Revision: 2, CreatedAt: now, UpdatedAt: now},
			Decisions: []activities.DecisionRecord{{Seq: 9, Version: 1, Stage: "client", Round: 1, Actor: greenlight.Actor{Kind: "approver", ID: ana.ID, Name: ana.Name}, Decision: "approve", At: now}},
		}))
		var items []activities.DigestItem
		for _, id := range []string{waiting, replaced, scheduled, decided} {
			items = append(items, activities.DigestItem{PostID: id, ClientID: f.client.ID, AuthorID: f.author.ID, Version: 1, Round: 1, Approver: ana})
		}
		sent, err := f.acts.SendDigest(ctx, activities.DigestSend{Batch: items[0].Key(), Kind: activities.DigestRequest, Items: items})
		require.NoError(t, err)
		require.Len(t, sent, 1)
		require.Equal(t, waiting, sent[0].PostID)
		require.Len(t, f.mail.sent, 1)
		require.Contains(t, f.mail.sent[0].Subject, "1 post to approve")
		require.Contains(t, f.mail.sent[0].Text, "https://gl.example/review/")

		none, err := f.acts.SendDigest(ctx, activities.DigestSend{Batch: "other", Kind: activities.DigestRequest, Items: items[1:]})
		require.NoError(t, err)
		require.Empty(t, none)
		require.Len(t, f.mail.sent, 1, "nothing waits: no email")

		// The batch escalation tells the author once, naming what still waits.
		esc, err := f.acts.SendDigest(ctx, activities.DigestSend{Batch: items[0].Key(), Kind: activities.DigestEscalation, Items: items})
		require.NoError(t, err)
		require.Len(t, esc, 1)
		require.Len(t, f.mail.sent, 2)
		require.Equal(t, f.author.Email, f.mail.sent[1].To)
		require.Contains(t, f.mail.sent[1].Text, "Waiting")
		require.NotContains(t, f.mail.sent[1].Text, "Replaced")
	})
}
