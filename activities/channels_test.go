package activities_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/media"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/secrets"
	"github.com/greenlight/greenlight/store"
)

// testConnector is a network publisher whose answers the test decides, one per call
// (the last one repeats); it keeps what it was asked.
type testConnector struct {
	mu      sync.Mutex
	answers []func(ctx context.Context, acct publish.Account, p publish.Post) (publish.Result, error)
	calls   []publish.Post
	accts   []publish.Account
	media   [][]string // per call, each file's bytes as read through Open
}

func (c *testConnector) Network() string { return "bluesky" }

func (c *testConnector) Validate(context.Context, publish.Account, publish.Post) error { return nil }

func (c *testConnector) Publish(ctx context.Context, acct publish.Account, p publish.Post) (publish.Result, error) {
	c.mu.Lock()
	c.calls = append(c.calls, p)
	c.accts = append(c.accts, acct)
	var files []string
	for _, m := range p.Media {
		r, err := m.Open()
		if err != nil {
			c.mu.Unlock()
			return publish.Result{}, err
		}
		b, _ := io.ReadAll(r)
		r.Close()
		files = append(files, string(b))
	}
	c.media = append(c.media, files)
	answer := c.answers[0]
	if len(c.answers) > 1 {
		c.answers = c.answers[1:]
	}
	c.mu.Unlock()
	return answer(ctx, acct, p)
}

func ok(ctx context.Context, acct publish.Account, p publish.Post) (publish.Result, error) {
	return publish.Result{RemoteID: "at://did:plc:brand/app.bsky.feed.post/3kabc", URL: "https://bsky.app/profile/brand.test/post/3kabc"}, nil
}

func failWith(kind publish.Kind, msg string, retryAfter time.Duration) func(context.Context, publish.Account, publish.Post) (publish.Result, error) {
	return func(context.Context, publish.Account, publish.Post) (publish.Result, error) {
		return publish.Result{}, &publish.Error{Kind: kind, Network: "bluesky", Message: msg, RetryAfter: retryAfter}
	}
}

type channelFixture struct {
	*fixture
	conn    *testConnector
	box     *secrets.Box
	account *store.Account
	editor  *store.User
	post    activities.PostSnapshot
	files   []greenlight.MediaRef
}

// setupChannels is setup plus a connected Bluesky account, a second editor of the client,
// and a post on bluesky and x with two images.
func setupChannels(t *testing.T, st *store.Store) *channelFixture {
	ctx := context.Background()
	f := &channelFixture{fixture: setup(t, st), conn: &testConnector{answers: []func(context.Context, publish.Account, publish.Post) (publish.Result, error){ok}}}
	key := make([]byte, secrets.KeySize)
	key[0] = 7
	var err error
	f.box, err = secrets.New(key, nil)
	require.NoError(t, err)
	lib, err := media.New(t.TempDir(), 0, []byte(strings.Repeat("k", 32)))
	require.NoError(t, err)
	f.acts.Connectors = map[string]publish.Connector{"bluesky": f.conn}
	f.acts.Secrets, f.acts.Library = f.box, lib

	now := time.Now().UTC()
	f.account = f.connect(t, "brand.test", now.Add(-time.Hour))
	f.editor = &store.User{ID: greenlight.NewID("usr_"), Email: "erin@agency.test", Name: "Erin", Role: "editor", CreatedAt: now}
	require.NoError(t, st.CreateUser(ctx, f.editor))

	for i, body := range []string{"first image", "second image"} {
		sha, err := lib.Put([]byte(body))
		require.NoError(t, err)
		m := &store.Media{ID: greenlight.NewID("med_"), ClientID: f.client.ID, SHA256: sha, ContentType: "image/png",
			Size: int64(len(body)), Width: 10 + i, Height: 20, CreatedBy: f.author.ID, CreatedAt: now}
		_, err = st.CreateMedia(ctx, m)
		require.NoError(t, err)
		f.files = append(f.files, greenlight.MediaRef{ID: m.ID, SHA256: sha, ContentType: "image/png", Alt: "alt " + body})
	}
	f.post = f.newPost(t, "Hello https://example.com", f.files)
	return f
}

// connect adds an active Bluesky account whose sealed credentials are `session-<handle>`.
func (f *channelFixture) connect(t *testing.T, handle string, created time.Time) *store.Account {
	a := &store.Account{ID: greenlight.NewID("acc_"), ClientID: f.client.ID, Network: "bluesky", Handle: handle,
		ServiceURL: "https://pds.test", Status: store.AccountActive, CreatedBy: f.author.ID, CreatedAt: created, UpdatedAt: created}
	a.Credentials = f.box.Seal([]byte("session-"+handle), []byte(a.ID))
	require.NoError(t, f.store.CreateAccount(context.Background(), a))
	return a
}

func (f *channelFixture) newPost(t *testing.T, body string, files []greenlight.MediaRef) activities.PostSnapshot {
	now := time.Now().UTC()
	p := activities.PostSnapshot{ID: greenlight.NewID("pst_"), ClientID: f.client.ID, AuthorID: f.author.ID,
		Content:   greenlight.Content{Title: "Launch", Body: body, Channels: []string{"bluesky", "x"}, Media: files},
		PublishAt: now, Status: greenlight.StatusScheduled, Version: 1, Revision: 1, CreatedAt: now, UpdatedAt: now}
	require.NoError(t, f.acts.RecordPost(context.Background(), activities.PostRecord{Post: p,
		NewVersion: &activities.VersionRecord{Version: 1, Content: p.Content, AuthorID: f.author.ID, At: now}}))
	return p
}

func (f *channelFixture) req(p activities.PostSnapshot, channel string) activities.PublishRequest {
	return activities.PublishRequest{PostID: p.ID, ClientID: p.ClientID, Version: p.Version, Channel: channel}
}

func (f *channelFixture) row(t *testing.T, p activities.PostSnapshot, channel string) *store.PostChannel {
	r, err := f.store.PostChannel(context.Background(), p.ID, p.Version, channel)
	require.NoError(t, err)
	return r
}

func TestPublishChannelThroughConnector(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setupChannels(t, st)
		ctx := context.Background()
		f.connect(t, "newer.test", time.Now().UTC()) // a newer account: the oldest active one publishes
		f.conn.answers[0] = func(ctx context.Context, acct publish.Account, p publish.Post) (publish.Result, error) {
			require.NoError(t, acct.Save(ctx, []byte("refreshed-session")), "the connector refreshed the session")
			return ok(ctx, acct, p)
		}

		out, err := f.acts.PublishChannel(ctx, f.req(f.post, "bluesky"))
		require.NoError(t, err)
		require.Equal(t, activities.ChannelOutcome{Channel: "bluesky", AccountID: f.account.ID, Status: store.ChannelPublished,
			RemoteID: "at://did:plc:brand/app.bsky.feed.post/3kabc", URL: "https://bsky.app/profile/brand.test/post/3kabc", Attempts: 1}, out)

		require.Len(t, f.conn.calls, 1)
		acct, p := f.conn.accts[0], f.conn.calls[0]
		require.Equal(t, f.account.ID, acct.ID, "the oldest active account")
		require.Equal(t, "session-brand.test", string(acct.Credentials), "credentials opened")
		require.Equal(t, "post/"+f.post.ID+"/v1/publish/bluesky", p.Key)
		require.Equal(t, "Hello https://example.com", p.Text)
		require.Len(t, p.Media, 2)
		require.Equal(t, []string{"first image", "second image"}, f.conn.media[0], "the approved files, in order")
		require.Equal(t, "alt second image", p.Media[1].Alt)
		require.Equal(t, 11, p.Media[1].Width)
		require.True(t, strings.HasPrefix(p.Media[0].URL, "https://gl.example/media/"+f.files[0].ID+"/file?exp="), p.Media[0].URL)

		stored, err := st.Account(ctx, f.account.ID)
		require.NoError(t, err)
		plain, err := f.box.Open(stored.Credentials, []byte(f.account.ID))
		require.NoError(t, err)
		require.Equal(t, "refreshed-session", string(plain), "Save sealed and stored the refreshed session")

		row := f.row(t, f.post, "bluesky")
		require.Equal(t, store.ChannelPublished, row.Status)
		require.Equal(t, f.account.ID, row.AccountID)
		require.Equal(t, out.URL, row.URL)
		require.Equal(t, 1, row.Attempts)

		again, err := f.acts.PublishChannel(ctx, f.req(f.post, "bluesky"))
		require.NoError(t, err)
		require.Equal(t, out, again, "a repeated call answers from the effect record")
		require.Len(t, f.conn.calls, 1, "and never publishes twice")
		require.Empty(t, f.pub.calls, "the webhook was not used")
	})
}

func TestPublishChannelOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		answer  func(context.Context, publish.Account, publish.Post) (publish.Result, error)
		wantErr bool
		status  string // the outcome's
		row     string // the row's
		errText string
		account string
		emails  int
	}{
		{name: "rate limit", answer: failWith(publish.KindRateLimit, "RateLimitExceeded", 42*time.Second),
			status: activities.ChannelRateLimited, row: store.ChannelPending, errText: "RateLimitExceeded", account: store.AccountActive},
		{name: "auth", answer: failWith(publish.KindAuth, "ExpiredToken: token has been revoked", 0),
			status: store.ChannelFailed, row: store.ChannelFailed, errText: "reconnect the bluesky account brand.test", account: store.AccountNeedsReconnect, emails: 2},
		{name: "permanent", answer: failWith(publish.KindPermanent, "InvalidRequest: text too long", 0),
			status: store.ChannelFailed, row: store.ChannelFailed, errText: "bluesky: InvalidRequest: text too long", account: store.AccountActive},
		{name: "ambiguous", answer: failWith(publish.KindAmbiguous, "connection lost after the create was sent", 0),
			status: store.ChannelUnconfirmed, row: store.ChannelUnconfirmed, errText: "connection lost after the create was sent", account: store.AccountActive},
		{name: "retryable", answer: failWith(publish.KindRetryable, "502 Bad Gateway", 0),
			wantErr: true, row: store.ChannelPending, errText: "502 Bad Gateway", account: store.AccountActive},
		{name: "plain error", answer: func(context.Context, publish.Account, publish.Post) (publish.Result, error) {
			return publish.Result{}, errors.New("dial tcp: connection refused")
		}, wantErr: true, row: store.ChannelPending, errText: "connection refused", account: store.AccountActive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, st *store.Store) {
				f := setupChannels(t, st)
				ctx := context.Background()
				f.conn.answers[0] = tt.answer
				out, err := f.acts.PublishChannel(ctx, f.req(f.post, "bluesky"))
				if tt.wantErr {
					require.Error(t, err, "Temporal retries it")
				} else {
					require.NoError(t, err)
					require.Equal(t, tt.status, out.Status)
					require.Contains(t, out.Error, tt.errText)
				}
				if tt.status == activities.ChannelRateLimited {
					require.Equal(t, 42*time.Second, out.RetryAfter)
				}
				row := f.row(t, f.post, "bluesky")
				require.Equal(t, tt.row, row.Status)
				require.Contains(t, row.Error, tt.errText)
				require.Equal(t, 1, row.Attempts)
				require.Equal(t, f.account.ID, row.AccountID)
				acct, err := st.Account(ctx, f.account.ID)
				require.NoError(t, err)
				require.Equal(t, tt.account, acct.Status)
				require.Len(t, f.mail.sent, tt.emails)

				if tt.row != store.ChannelPending {
					return
				}
				// Not final: the next call publishes, counting its attempt.
				f.conn.answers = f.conn.answers[:0]
				f.conn.answers = append(f.conn.answers, ok)
				out, err = f.acts.PublishChannel(ctx, f.req(f.post, "bluesky"))
				require.NoError(t, err)
				require.Equal(t, store.ChannelPublished, out.Status)
				row = f.row(t, f.post, "bluesky")
				require.Equal(t, store.ChannelPublished, row.Status)
				require.Empty(t, row.Error)
				require.Equal(t, 2, row.Attempts)
			})
		})
	}
}

func TestNeedsReconnectEmailsEditorsOncePerEpisode(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setupChannels(t, st)
		ctx := context.Background()
		other := f.newPost(t, "Another post", nil)
		f.conn.answers[0] = failWith(publish.KindAuth, "ExpiredToken", 0)

		for _, p := range []activities.PostSnapshot{f.post, other, f.post} {
			out, err := f.acts.PublishChannel(ctx, f.req(p, "bluesky"))
			require.NoError(t, err)
			require.Equal(t, store.ChannelFailed, out.Status)
			require.Contains(t, out.Error, "reconnect the bluesky account brand.test")
		}
		require.Len(t, f.conn.calls, 1, "once the account needs reconnecting, nothing more is sent to the network")
		require.Len(t, f.mail.sent, 2, "each editor is emailed once, however many posts fail")
		require.ElementsMatch(t, []string{"eddie@agency.test", "erin@agency.test"}, []string{f.mail.sent[0].To, f.mail.sent[1].To})
		require.Contains(t, f.mail.sent[0].Subject, "Reconnect the bluesky account brand.test")
		require.Contains(t, f.mail.sent[0].Text, "https://gl.example/admin/clients/"+f.client.ID)

		// Reconnected, then refused again: a new episode, a new email each.
		require.NoError(t, st.SaveAccountCredentials(ctx, f.account.ID, f.box.Seal([]byte("new"), []byte(f.account.ID)),
			store.AccountActive, time.Now().Add(time.Second)))
		third := f.newPost(t, "Third post", nil)
		_, err := f.acts.PublishChannel(ctx, f.req(third, "bluesky"))
		require.NoError(t, err)
		require.Len(t, f.conn.calls, 2)
		require.Len(t, f.mail.sent, 4)
	})
}

func TestPublishChannelWebhookPath(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setupChannels(t, st)
		ctx := context.Background()
		out, err := f.acts.PublishChannel(ctx, f.req(f.post, "x"))
		require.NoError(t, err)
		require.Equal(t, activities.ChannelOutcome{Channel: "x", Status: store.ChannelPublished, RemoteID: "ref-x", Attempts: 1}, out)
		require.Len(t, f.pub.calls, 1)
		require.Equal(t, "post/"+f.post.ID+"/v1/publish/x", f.pub.calls[0].Key, "the webhook's idempotency key is unchanged")
		_, err = f.acts.PublishChannel(ctx, f.req(f.post, "x"))
		require.NoError(t, err)
		require.Len(t, f.pub.calls, 1)

		// A client without a Bluesky account: the bluesky channel goes to the webhook too.
		require.NoError(t, st.DeleteAccount(ctx, f.client.ID, f.account.ID))
		out, err = f.acts.PublishChannel(ctx, f.req(f.post, "bluesky"))
		require.NoError(t, err)
		require.Equal(t, "ref-bluesky", out.RemoteID)
		require.Empty(t, out.AccountID)
		require.Empty(t, f.conn.calls)

		// A refusal (EINVALID) ends failed; a replaced version too, without publishing.
		f.acts.Publisher = &publish.Router{} // no webhook, no fallback
		p := f.newPost(t, "No webhook", nil)
		out, err = f.acts.PublishChannel(ctx, f.req(p, "x"))
		require.NoError(t, err)
		require.Equal(t, store.ChannelFailed, out.Status)
		require.Contains(t, out.Error, "no publishing webhook")

		v2 := p
		v2.Version, v2.Revision, v2.Status = 2, 2, greenlight.StatusDraft
		require.NoError(t, f.acts.RecordPost(ctx, activities.PostRecord{Post: v2}))
		f.acts.Publisher = f.pub
		out, err = f.acts.PublishChannel(ctx, f.req(p, "bluesky"))
		require.NoError(t, err)
		require.Equal(t, store.ChannelFailed, out.Status)
		require.Equal(t, "version 1 was replaced by version 2", out.Error)
		require.Len(t, f.pub.calls, 2, "a replaced version is never published")
	})
}

func TestRecordChannelFailure(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setupChannels(t, st)
		ctx := context.Background()
		f.conn.answers[0] = failWith(publish.KindRetryable, "503", 0)
		_, err := f.acts.PublishChannel(ctx, f.req(f.post, "bluesky"))
		require.Error(t, err)
		require.NoError(t, f.acts.RecordChannelFailure(ctx, activities.ChannelFailure{PostID: f.post.ID, Version: 1, Channel: "bluesky",
			Error: "gave up after 2h: bluesky: 503"}))
		row := f.row(t, f.post, "bluesky")
		require.Equal(t, store.ChannelFailed, row.Status)
		require.Equal(t, "gave up after 2h: bluesky: 503", row.Error)
		require.Equal(t, f.account.ID, row.AccountID)
		require.Equal(t, 1, row.Attempts)

		_, err = f.acts.PublishChannel(ctx, f.req(f.post, "x"))
		require.NoError(t, err)
		require.NoError(t, f.acts.RecordChannelFailure(ctx, activities.ChannelFailure{PostID: f.post.ID, Version: 1, Channel: "x", Error: "late"}))
		require.Equal(t, store.ChannelPublished, f.row(t, f.post, "x").Status, "a published channel stays published")
	})
}

func TestPublishChannelErrorsRetryingCannotFixAreNotRetried(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setupChannels(t, st)
		ctx := context.Background()
		p := f.post
		p.ID, p.Revision = greenlight.NewID("pst_"), 1
		require.NoError(t, f.acts.RecordPost(ctx, activities.PostRecord{Post: p}), "a post whose version row is missing")
		_, err := f.acts.PublishChannel(ctx, f.req(p, "x"))
		var appErr *temporal.ApplicationError
		require.ErrorAs(t, err, &appErr)
		require.True(t, appErr.NonRetryable(), "ENOTFOUND: the workflow records the channel failed at once")
		require.Equal(t, greenlight.ENOTFOUND, appErr.Type())
		require.Empty(t, f.pub.calls)
	})
}
