package activities_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"
	"go.temporal.io/sdk/testsuite"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/events"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/secrets"
	"github.com/greenlight/greenlight/store"
	"github.com/greenlight/greenlight/workflows"
)

// hookRequest is what a receiver got.
type hookRequest struct {
	id, timestamp, signature string
	body                     []byte
	status                   int
}

// receiver answers with answer(n) for its n-th request (from 0) and keeps every request.
type receiver struct {
	mu     sync.Mutex
	got    []hookRequest
	answer func(n int, id string) int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	status := r.answer(len(r.got), req.Header.Get("webhook-id"))
	r.got = append(r.got, hookRequest{id: req.Header.Get("webhook-id"), timestamp: req.Header.Get("webhook-timestamp"),
		signature: req.Header.Get("webhook-signature"), body: body, status: status})
	w.WriteHeader(status)
	fmt.Fprint(w, "receiver's body, never recorded")
}

// delivered returns the ids of the requests answered 2xx, in order.
func (r *receiver) delivered() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for _, g := range r.got {
		if g.status < 300 {
			ids = append(ids, g.id)
		}
	}
	return ids
}

// specVerify checks a signature as the Standard Webhooks specification describes it.
func specVerify(secret string, g hookRequest) bool {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", g.id, g.timestamp, g.body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(want), []byte(g.signature))
}

type hookFixture struct {
	*fixture
	recv   *receiver
	hook   *store.Webhook
	secret string
}

func setupHook(t *testing.T, st *store.Store, answer func(n int, id string) int) *hookFixture {
	f := &hookFixture{fixture: setup(t, st), recv: &receiver{answer: answer}}
	srv := httptest.NewServer(f.recv)
	t.Cleanup(srv.Close)
	box, err := secrets.Parse(secrets.NewKey(), "")
	require.NoError(t, err)
	policy, err := outbound.ParsePolicy("127.0.0.1")
	require.NoError(t, err)
	f.acts.Webhooks, f.acts.Crises, f.acts.Secrets = st, st, box
	f.acts.HTTP = outbound.NewClient(policy, outbound.Options{})
	f.secret = events.NewSecret()
	f.hook = &store.Webhook{ID: greenlight.NewID("whk_"), URL: srv.URL + "/in", Events: events.Types,
		CreatedBy: f.author.ID, CreatedAt: time.Now().UTC()}
	f.hook.SecretSealed = box.Seal([]byte(f.secret), []byte(f.hook.ID))
	require.NoError(t, st.CreateWebhook(context.Background(), f.hook))
	return f
}

// record writes post history lines as the post workflow does (twice: a retried local
// activity), and returns the ids of the events they stand for.
func (f *hookFixture) record(t *testing.T, seq int, actions ...string) []string {
	t.Helper()
	var ids []string
	at := time.Now().UTC()
	var evs []activities.EventRecord
	for _, a := range actions {
		seq++
		evs = append(evs, activities.EventRecord{Seq: seq, At: at, Actor: greenlight.System, Action: a, Version: 1})
		if m, ok := events.FromPost(events.PostChange{PostID: f.post.ID, Seq: seq, At: at, Action: a}); ok {
			ids = append(ids, m.ID)
		}
	}
	f.post.Revision++
	rec := activities.PostRecord{Post: f.post, Events: evs}
	require.NoError(t, f.acts.RecordPost(context.Background(), rec))
	require.NoError(t, f.acts.RecordPost(context.Background(), rec), "a retried local activity")
	return ids
}

func (f *hookFixture) run(t *testing.T) time.Duration {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(nil)
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(workflows.WebhookDelivery)
	env.RegisterActivity(f.acts)
	start := env.Now()
	env.ExecuteWorkflow(workflows.WebhookDelivery, activities.WebhookQueue{WebhookID: f.hook.ID, Subject: events.PostSubject(f.post.ID)})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	return env.Now().Sub(start)
}

func (f *hookFixture) deliveries(t *testing.T) map[string]store.WebhookDelivery {
	ds, err := f.store.Deliveries(context.Background(), f.hook.ID, 100)
	require.NoError(t, err)
	out := map[string]store.WebhookDelivery{}
	for _, d := range ds {
		out[d.EventID] = d
	}
	return out
}

// A receiver down for an hour loses nothing: the first event is retried with backoff
// until it answers, the later events of the post wait for it, every request is signed
// (the same webhook-id across retries), each event is delivered once, and a retried
// history write added no second event.
func TestWebhookDeliveryWaitsOutAnOutageInOrder(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setupHook(t, st, func(n int, _ string) int {
			if n < 6 {
				return http.StatusServiceUnavailable
			}
			return http.StatusNoContent
		})
		ids := f.record(t, 0, "submitted", "review_approved", "edited", "scheduled")
		require.Len(t, ids, 3, "an edit is no event")

		took := f.run(t)
		require.GreaterOrEqual(t, took, time.Hour, "six failures in a row span an hour of backoff")
		require.Less(t, took, 2*time.Hour)
		require.Equal(t, ids, f.recv.delivered(), "each event once, in the order they happened")
		require.Len(t, f.recv.got, 9)
		for i, g := range f.recv.got {
			require.True(t, specVerify(f.secret, g), "request %d is signed", i)
			if i < 7 {
				require.Equal(t, ids[0], g.id, "later events wait for the first")
			}
		}
		ds := f.deliveries(t)
		require.Len(t, ds, 3)
		first := ds[ids[0]]
		require.Equal(t, store.DeliveryDelivered, first.Status)
		require.Len(t, first.AttemptLog, 7)
		require.Equal(t, 503, first.AttemptLog[0].StatusCode)
		require.Equal(t, "HTTP 503", first.AttemptLog[0].Error)
		require.Equal(t, 204, first.AttemptLog[6].StatusCode)
		for _, a := range first.AttemptLog {
			require.NotContains(t, a.Error, "never recorded")
		}
	})
}

// A delivery still failing after 24 hours of retries is given up and the queue moves on.
func TestWebhookDeliveryGivesUpAfter24Hours(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		var doomed string
		f := setupHook(t, st, func(_ int, id string) int {
			if id == doomed {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		})
		ids := f.record(t, 0, "submitted", "scheduled")
		doomed = ids[0]
		took := f.run(t)
		// The last retry is the last one that fits in 24 hours (every 2 hours by then).
		require.GreaterOrEqual(t, took, 22*time.Hour)
		require.LessOrEqual(t, took, 24*time.Hour)
		require.Equal(t, []string{ids[1]}, f.recv.delivered())
		ds := f.deliveries(t)
		require.Equal(t, store.DeliveryFailed, ds[ids[0]].Status)
		require.Contains(t, ds[ids[0]].LastError, "no success within 24h")
		require.Contains(t, ds[ids[0]].LastError, "HTTP 500")
		require.Greater(t, ds[ids[0]].Attempts, 10)
		require.Equal(t, store.DeliveryDelivered, ds[ids[1]].Status)
	})
}

// 410 Gone disables the subscription at once (the specification's advice): no retry, and
// the subscription's pending deliveries fail.
func TestWebhookGoneDisablesTheSubscription(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setupHook(t, st, func(int, string) int { return http.StatusGone })
		ids := f.record(t, 0, "submitted", "scheduled")
		f.run(t)
		require.Len(t, f.recv.got, 1)
		w, err := st.Webhook(context.Background(), f.hook.ID)
		require.NoError(t, err)
		require.NotNil(t, w.DisabledAt)
		require.Contains(t, w.DisabledReason, "410")
		ds := f.deliveries(t)
		require.Equal(t, store.DeliveryFailed, ds[ids[1]].Status)
		// Later events are not queued for a disabled subscription.
		f.record(t, 2, "published")
		require.Len(t, f.deliveries(t), 2)
	})
}

// History writes dispatch their new deliveries at once (one signal-with-start per
// subscription and subject); what a failed dispatch leaves is picked up by the sweep,
// once it is a minute old; dispatched deliveries are not signalled again.
func TestWebhookDispatchAndSweep(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := setupHook(t, st, func(int, string) int { return http.StatusOK })
		tc := &mocks.Client{}
		f.acts.Temporal, f.acts.TaskQueue = tc, "q"
		queue := activities.WebhookQueue{WebhookID: f.hook.ID, Subject: events.PostSubject(f.post.ID)}
		signal := func(ret error, times int) *mock.Call {
			return tc.On("SignalWithStartWorkflow", mock.Anything, activities.WebhookDeliveryWorkflowID(queue), activities.WebhookWakeSignal,
				nil, client.StartWorkflowOptions{TaskQueue: "q"}, activities.WebhookDeliveryWorkflow, queue).Return(nil, ret).Times(times)
		}

		signal(nil, 1)
		f.record(t, 0, "submitted", "review_approved")
		tc.AssertNumberOfCalls(t, "SignalWithStartWorkflow", 1) // the retried write had nothing new to dispatch
		und, err := st.UndispatchedDeliveries(ctx, "", time.Now().Add(time.Hour), 10)
		require.NoError(t, err)
		require.Empty(t, und)

		signal(errors.New("temporal unavailable"), 2) // the write and its retry both try
		f.record(t, 2, "scheduled")
		und, err = st.UndispatchedDeliveries(ctx, "", time.Now().Add(time.Hour), 10)
		require.NoError(t, err)
		require.Len(t, und, 1, "the failed dispatch leaves its delivery for the sweep")

		n, err := f.acts.SweepWebhooks(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "too fresh for the sweep: its own dispatch may still be under way")
		require.NoError(t, st.DB().Exec("UPDATE webhook_deliveries SET created_at = ? WHERE id = ?", time.Now().Add(-2*time.Minute).UTC(), und[0].ID).Error)
		signal(nil, 1)
		n, err = f.acts.SweepWebhooks(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		n, err = f.acts.SweepWebhooks(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		tc.AssertExpectations(t)
	})
}
