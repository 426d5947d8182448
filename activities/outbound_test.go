package activities_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/store"
)

// loopbackHTTP is the outbound client with the test receivers' address allowed.
func loopbackHTTP(t *testing.T) *http.Client {
	p, err := outbound.ParsePolicy("127.0.0.1")
	require.NoError(t, err)
	return outbound.NewClient(p, outbound.Options{})
}

// A Slack receiver's answer never reaches the error (and so the history): the status and its
// standard text only. The URL, which holds Slack's key, stays out too, and an internal
// address is refused for good unless allowed.
func TestSlackErrorsCarryTheStatusOnly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		ctx := context.Background()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte("panic: db password=hunter2\n\x1b[31m"))
		}))
		defer srv.Close()
		lead := &store.User{ID: greenlight.NewID("usr_"), Email: "lea@agency.test", Name: "Léa", Role: "crisis_lead", CreatedAt: time.Now().UTC()}
		require.NoError(t, st.CreateUser(ctx, lead))
		crisis := &store.Crisis{ID: greenlight.NewID("crs_"), ClientID: f.client.ID, PlaybookKey: "bad-buzz", PlaybookVersion: "v",
			PlaybookTitle: "Bad buzz", Severity: "high", Summary: "s", Status: "active", LeadID: lead.ID, LeadName: lead.Name, StartedAt: time.Now().UTC()}
		require.NoError(t, st.CreateCrisis(ctx, crisis))
		f.acts.Crises, f.acts.SlackWebhookURL = st, srv.URL+"/services/T0/B0/slack-secret"
		notify := func(key string) error {
			return f.acts.NotifyCrisis(ctx, activities.CrisisNotification{Kind: activities.CrisisNotifyStep, Roles: []string{"crisis_lead"},
				Message: "Freeze", Key: key, CrisisID: crisis.ID, ClientID: f.client.ID})
		}

		f.acts.HTTP = loopbackHTTP(t)
		err := notify("k/500")
		require.Error(t, err)
		require.Contains(t, err.Error(), "slack webhook answered 500 Internal Server Error")
		require.NotContains(t, err.Error(), "hunter2")
		var appErr *temporal.ApplicationError
		require.False(t, errors.As(err, &appErr) && appErr.NonRetryable(), "a 500 is retried")

		f.acts.HTTP = nil
		err = notify("k/refused")
		require.Error(t, err)
		require.Contains(t, err.Error(), "internal address")
		require.NotContains(t, err.Error(), "slack-secret")
		require.True(t, errors.As(err, &appErr) && appErr.NonRetryable(), "a refused destination is not retried")
	})
}
