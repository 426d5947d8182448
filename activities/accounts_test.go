package activities_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/store"
)

// refreshingConnector is an "x" connector whose KeepFresh the test decides per account
// handle; it keeps what it was given.
type refreshingConnector struct {
	testConnector
	mu     sync.Mutex
	fresh  map[string]func(ctx context.Context, acct publish.Account) (time.Time, error)
	seen   []publish.Account
	aheads []time.Duration
}

func (c *refreshingConnector) KeepFresh(ctx context.Context, acct publish.Account, ahead time.Duration) (time.Time, error) {
	c.mu.Lock()
	c.seen = append(c.seen, acct)
	c.aheads = append(c.aheads, ahead)
	f := c.fresh[acct.Handle]
	c.mu.Unlock()
	return f(ctx, acct)
}

// KeepAccountsFresh: refreshed credentials are stored and the reconnect-by date
// recorded; a refused refresh makes the account needs_reconnect and emails its editors
// once; a reconnect-by date within a week reminds them once per date; a passed one needs
// a reconnection. Accounts not active, and networks without a refresher and no date, are
// left alone.
func TestKeepAccountsFresh(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := setupChannels(t, st)
		now := time.Now().UTC().Truncate(time.Second)
		in30 := now.Add(30 * 24 * time.Hour)
		conn := &refreshingConnector{fresh: map[string]func(context.Context, publish.Account) (time.Time, error){
			"fresh": func(ctx context.Context, acct publish.Account) (time.Time, error) {
				_, err := publish.RefreshWith(ctx, acct, func(cur []byte) ([]byte, error) { return append(cur, "+refreshed"...), nil })
				return in30, err
			},
			"revoked": func(context.Context, publish.Account) (time.Time, error) {
				return time.Time{}, &publish.Error{Kind: publish.KindAuth, Network: "x", Message: "invalid_grant: refresh token revoked"}
			},
			"down": func(context.Context, publish.Account) (time.Time, error) {
				return time.Time{}, &publish.Error{Kind: publish.KindRetryable, Network: "x", Message: "503"}
			},
		}}
		f.acts.Connectors["x"] = conn
		add := func(network, handle, status string, by *time.Time) *store.Account {
			a := &store.Account{ID: greenlight.NewID("acc_"), ClientID: f.client.ID, Network: network, Handle: handle,
				Status: status, CreatedBy: f.author.ID, CreatedAt: now, UpdatedAt: now, ReconnectBy: by}
			a.Credentials = f.box.Seal([]byte("creds-"+handle), []byte(a.ID))
			require.NoError(t, st.CreateAccount(ctx, a))
			return a
		}
		in3 := now.Add(3 * 24 * time.Hour)
		past := now.Add(-time.Hour)
		fresh := add("x", "fresh", store.AccountActive, nil)
		revoked := add("x", "revoked", store.AccountActive, nil)
		down := add("x", "down", store.AccountActive, nil)
		add("x", "already", store.AccountNeedsReconnect, nil)
		soon := add("linkedin", "soon", store.AccountActive, &in3)
		later := add("linkedin", "later", store.AccountActive, &in30)
		gone := add("linkedin", "gone", store.AccountActive, &past)

		res, err := f.acts.KeepAccountsFresh(ctx, activities.KeepFreshInput{Ahead: 90 * time.Minute})
		require.NoError(t, err)
		require.Equal(t, activities.KeepFreshResult{Checked: 6, NeedsReconnect: 2, Reminded: 1, Failed: 1}, res)
		require.Len(t, conn.seen, 3, "KeepFresh for the active accounts of the refreshing network only")
		require.Equal(t, 90*time.Minute, conn.aheads[0])
		for _, acct := range conn.seen {
			require.Equal(t, "creds-"+acct.Handle, string(acct.Credentials), "opened credentials")
		}

		a, err := st.Account(ctx, fresh.ID)
		require.NoError(t, err)
		require.Equal(t, store.AccountActive, a.Status)
		plain, err := f.box.Open(a.Credentials, []byte(a.ID))
		require.NoError(t, err)
		require.Equal(t, "creds-fresh+refreshed", string(plain), "the refresh was stored, sealed")
		require.True(t, in30.Equal(*a.ReconnectBy), "the reconnect-by date KeepFresh returned")

		status := func(id string) string {
			a, err := st.Account(ctx, id)
			require.NoError(t, err)
			return a.Status
		}
		require.Equal(t, store.AccountNeedsReconnect, status(revoked.ID))
		require.Equal(t, store.AccountActive, status(down.ID), "a network that does not answer is tried again next run")
		require.Equal(t, store.AccountNeedsReconnect, status(gone.ID), "the access ran out")
		require.Equal(t, store.AccountActive, status(soon.ID))
		require.Equal(t, store.AccountActive, status(later.ID))

		// Two editors (Eddie, Erin), each emailed for: revoked, gone (needs reconnecting),
		// soon (reminder).
		subjects := func() map[string]int {
			out := map[string]int{}
			for _, m := range f.mail.sent {
				out[m.Subject]++
			}
			return out
		}
		require.Len(t, f.mail.sent, 6)
		require.Equal(t, 2, subjects()["[Brand] Reconnect the x account revoked"])
		require.Equal(t, 2, subjects()["[Brand] Reconnect the linkedin account gone"])
		reminder := "[Brand] Reconnect the linkedin account soon before " + in3.Format("2 January")
		require.Equal(t, 2, subjects()[reminder])

		// Again: nothing new is emailed (once per episode, once per date).
		res, err = f.acts.KeepAccountsFresh(ctx, activities.KeepFreshInput{Ahead: 90 * time.Minute})
		require.NoError(t, err)
		require.Equal(t, 1, res.Reminded)
		require.Len(t, f.mail.sent, 6, "reminders and reconnect emails go once")

		// A new date (the account was reconnected with a new token) reminds again.
		in5 := now.Add(5 * 24 * time.Hour)
		require.NoError(t, st.SetAccountReconnectBy(ctx, soon.ID, &in5))
		_, err = f.acts.KeepAccountsFresh(ctx, activities.KeepFreshInput{Ahead: 90 * time.Minute})
		require.NoError(t, err)
		require.Len(t, f.mail.sent, 8)
		for _, m := range f.mail.sent[6:] {
			require.True(t, strings.HasSuffix(m.Subject, in5.Format("2 January")), m.Subject)
		}
	})
}
