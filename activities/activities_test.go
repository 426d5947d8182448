package activities_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/mail"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/store"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

type countingMail struct {
	mu     sync.Mutex
	sent   []mail.Message
	failTo string // the next send to this address fails once
	// acceptThenFailTo: the next send to this address is delivered, then reported failed
	// (the connection dropped after the server accepted the message).
	acceptThenFailTo string
}

func (c *countingMail) Send(_ context.Context, m mail.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m.To == c.failTo {
		c.failTo = ""
		return errors.New("smtp: connection reset")
	}
	c.sent = append(c.sent, m)
	if m.To == c.acceptThenFailTo {
		c.acceptThenFailTo = ""
		return errors.New("smtp: connection reset after DATA")
	}
	return nil
}

type countingPublisher struct{ calls []publish.Publication }

func (c *countingPublisher) Publish(_ context.Context, p publish.Publication) (string, error) {
	c.calls = append(c.calls, p)
	return "ref-" + p.Channel, nil
}

type fixture struct {
	acts   *activities.Activities
	mail   *countingMail
	pub    *countingPublisher
	store  *store.Store
	client *store.Client
	post   activities.PostSnapshot
	author *store.User
}

func setup(t *testing.T, st *store.Store) *fixture {
	ctx := context.Background()
	f := &fixture{mail: &countingMail{}, pub: &countingPublisher{}, store: st}
	f.acts = &activities.Activities{Store: st, Mail: f.mail, Publisher: f.pub, BaseURL: "https://gl.example",
		Agency: "Agence", Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	f.client = &store.Client{ID: greenlight.NewID("cli_"), Name: "Brand", ApprovalPolicy: "all", CreatedAt: time.Now().UTC(),
		Approvers: []store.Approver{{ID: greenlight.NewID("apr_"), Name: "Ana", Email: "ana@brand.test"}, {ID: greenlight.NewID("apr_"), Name: "Bob", Email: "bob@brand.test"}}}
	require.NoError(t, st.CreateClient(ctx, f.client))
	f.author = &store.User{ID: greenlight.NewID("usr_"), Email: "eddie@agency.test", Name: "Eddie", Role: "editor", CreatedAt: time.Now().UTC()}
	require.NoError(t, st.CreateUser(ctx, f.author))
	now := time.Now().UTC()
	f.post = activities.PostSnapshot{ID: greenlight.NewID("pst_"), ClientID: f.client.ID, AuthorID: f.author.ID,
		Content: greenlight.Content{Title: "Menu", Body: "Bonjour", Channels: []string{"instagram", "x"}}, PublishAt: now.Add(time.Hour),
		Status: greenlight.StatusAwaitingClient, Version: 1, Revision: 1, CreatedAt: now, UpdatedAt: now}
	require.NoError(t, f.acts.RecordPost(ctx, activities.PostRecord{Post: f.post,
		NewVersion: &activities.VersionRecord{Version: 1, Content: f.post.Content, AuthorID: f.author.ID, At: now}}))
	return f
}

func (f *fixture) approvers() []activities.Approver {
	var out []activities.Approver
	for _, a := range f.client.Approvers {
		out = append(out, activities.Approver{ID: a.ID, Name: a.Name, Email: a.Email})
	}
	return out
}

func TestRequestApprovalSendsEachEmailOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		ctx := context.Background()
		req := activities.ApprovalRequest{PostID: f.post.ID, ClientID: f.client.ID, Version: 1, Round: 1, Approvers: f.approvers()}

		f.mail.failTo = "bob@brand.test"
		require.Error(t, f.acts.RequestApproval(ctx, req), "the second email fails: the activity will be retried")
		require.Len(t, f.mail.sent, 1)
		require.NoError(t, f.acts.RequestApproval(ctx, req), "the retry")
		require.NoError(t, f.acts.RequestApproval(ctx, req), "a repeat after success")
		require.Len(t, f.mail.sent, 2, "one email per approver, whatever the retries")
		require.Equal(t, "ana@brand.test", f.mail.sent[0].To)
		require.Equal(t, "bob@brand.test", f.mail.sent[1].To)
		require.Equal(t, "post/"+f.post.ID+"/v1/r1/client-request/bob@brand.test", f.mail.sent[1].Key)

		token := linkToken(t, f.mail.sent[1])
		l, err := st.LinkByTokenHash(ctx, greenlight.HashToken(token))
		require.NoError(t, err)
		require.Equal(t, 1, l.Version)
		require.Equal(t, f.client.Approvers[1].ID, l.ApproverID)
		require.WithinDuration(t, time.Now().Add(greenlight.DefaultLinkTTL), l.ExpiresAt, time.Minute)

		rem := req
		rem.Reminder = true
		require.NoError(t, f.acts.RequestApproval(ctx, rem))
		require.Len(t, f.mail.sent, 4, "a reminder is another email with its own key")
		require.Contains(t, f.mail.sent[3].Subject, "Reminder:")
	})
}

// linkToken returns the approval link token an email carries, in its text and HTML alike.
func linkToken(t *testing.T, m mail.Message) string {
	t.Helper()
	const prefix = "https://gl.example/approve/"
	var token string
	for _, w := range strings.Fields(m.Text) {
		if strings.HasPrefix(w, prefix) {
			token = strings.TrimPrefix(w, prefix)
		}
	}
	require.NotEmpty(t, token, "no link in the email")
	require.Contains(t, m.HTML, prefix+token)
	return token
}

// failingFinish is the store with FinishEffect failing once for one key: the email went
// out, but the activity failed before recording it (it will be retried).
type failingFinish struct {
	*store.Store
	key string
}

func (f *failingFinish) FinishEffect(ctx context.Context, key, result string) error {
	if key == f.key {
		f.key = ""
		return errors.New("database went away")
	}
	return f.Store.FinishEffect(ctx, key, result)
}

func TestRetriedApprovalEmailCarriesTheSameWorkingLink(t *testing.T) {
	tests := []struct {
		name string
		fail func(f *fixture, key string)
	}{
		{"the mail server accepted the email, then the send failed", func(f *fixture, _ string) {
			f.mail.acceptThenFailTo = "bob@brand.test"
		}},
		{"the email went out, then the activity failed before recording it", func(f *fixture, key string) {
			f.acts.Store = &failingFinish{Store: f.store, key: key}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, st *store.Store) {
				f := setup(t, st)
				ctx := context.Background()
				req := activities.ApprovalRequest{PostID: f.post.ID, ClientID: f.client.ID, Version: 1, Round: 1, Approvers: f.approvers()}
				key := "post/" + f.post.ID + "/v1/r1/client-request/bob@brand.test"
				tt.fail(f, key)

				require.Error(t, f.acts.RequestApproval(ctx, req), "the first attempt fails after Bob's email went out")
				require.NoError(t, f.acts.RequestApproval(ctx, req), "the retry")
				require.NoError(t, f.acts.RequestApproval(ctx, req), "a repeat after success sends nothing")

				var toBob []mail.Message
				for _, m := range f.mail.sent {
					if m.To == "bob@brand.test" {
						toBob = append(toBob, m)
					}
				}
				require.Len(t, toBob, 2, "Bob got the email twice (the first copy before the failure)")
				first, second := linkToken(t, toBob[0]), linkToken(t, toBob[1])
				require.Equal(t, first, second, "the retry carries the link the first email carries")
				require.Equal(t, key, toBob[1].Key, "under the same idempotency key")
				l, err := st.LinkByTokenHash(ctx, greenlight.HashToken(first))
				require.NoError(t, err, "the link in both emails works")
				require.Nil(t, l.UsedAt)
				require.True(t, l.ExpiresAt.After(time.Now()))
				require.Equal(t, f.client.Approvers[1].ID, l.ApproverID)
				require.Equal(t, 1, l.Version)

				var kept int64
				require.NoError(t, st.DB().Table("link_outbox").Count(&kept).Error)
				require.Zero(t, kept, "once the emails are sent, no token is kept in the database")
			})
		})
	}
}

func TestPublishOncePerChannelAndOnlyTheCurrentVersion(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		ctx := context.Background()
		req := activities.PublishRequest{PostID: f.post.ID, ClientID: f.client.ID, Version: 1, Channel: "x"}
		ref, err := f.acts.Publish(ctx, req)
		require.NoError(t, err)
		again, err := f.acts.Publish(ctx, req)
		require.NoError(t, err)
		require.Equal(t, ref, again, "a retry returns the first publication's reference")
		require.Len(t, f.pub.calls, 1)
		require.Equal(t, "post/"+f.post.ID+"/v1/publish/x", f.pub.calls[0].Key)
		require.Equal(t, "Bonjour", f.pub.calls[0].Body)

		v2 := f.post
		v2.Version, v2.Revision, v2.Status = 2, 2, greenlight.StatusDraft
		require.NoError(t, f.acts.RecordPost(ctx, activities.PostRecord{Post: v2}))
		_, err = f.acts.Publish(ctx, activities.PublishRequest{PostID: f.post.ID, ClientID: f.client.ID, Version: 1, Channel: "instagram"})
		require.Error(t, err, "a replaced version is never published")
		require.Len(t, f.pub.calls, 1)
	})
}

func TestNotifyEscalationReachesAuthorAndAdminsOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		ctx := context.Background()
		admin := &store.User{ID: greenlight.NewID("usr_"), Email: "boss@agency.test", Name: "Boss", Role: "admin", CreatedAt: time.Now().UTC()}
		require.NoError(t, st.CreateUser(ctx, admin))
		n := activities.Notification{Kind: activities.NotifyEscalation, PostID: f.post.ID, ClientID: f.client.ID, AuthorID: f.author.ID, Version: 1, Round: 1}
		require.NoError(t, f.acts.Notify(ctx, n))
		require.NoError(t, f.acts.Notify(ctx, n))
		require.Len(t, f.mail.sent, 2)
		require.ElementsMatch(t, []string{"eddie@agency.test", "boss@agency.test"}, []string{f.mail.sent[0].To, f.mail.sent[1].To})
		require.Contains(t, f.mail.sent[0].Subject, "No client decision yet")
	})
}
