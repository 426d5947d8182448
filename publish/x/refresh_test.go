package x_test

import (
	"context"
	"encoding/json"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	greenlight "github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/internal/xtest"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/publish/x"
	"github.com/greenlight/greenlight/secrets"
	"github.com/greenlight/greenlight/store"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// Access tokens are refreshed ahead of expiry, or once after a 401; the refresh token
// rotates: the new credentials are saved, and the old refresh token stops working.
func TestRefresh(t *testing.T) {
	cases := []struct {
		name         string
		expiresIn    time.Duration // what the stored credentials say
		expireAtX    bool          // X refuses the access token anyway (revoked, clock skew)
		refreshes    int
		createCalls  int
		refusedFirst bool
	}{
		{name: "far from expiry", expiresIn: time.Hour, refreshes: 0, createCalls: 1},
		{name: "ahead of expiry", expiresIn: time.Minute, refreshes: 1, createCalls: 1},
		{name: "already expired", expiresIn: -time.Minute, refreshes: 1, createCalls: 1},
		{name: "401 then refresh", expiresIn: time.Hour, expireAtX: true, refreshes: 1, createCalls: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := xtest.Start(t, xtest.Options{})
			c := newConnector(fake)
			var s saved
			acct := account(t, fake, time.Now().Add(tc.expiresIn), &s)
			old := credsOf(t, acct.Credentials)
			if tc.expireAtX {
				fake.ExpireAccessTokens()
			}
			res, err := c.Publish(context.Background(), acct, publish.Post{Key: "k", Text: "Hello " + tc.name})
			require.NoError(t, err)
			require.NotEmpty(t, res.RemoteID)
			require.Len(t, fake.Tweets(), 1)
			require.Equal(t, tc.refreshes, fake.Calls("POST /2/oauth2/token"))
			require.Equal(t, tc.createCalls, fake.Calls("POST /2/tweets"))
			require.Len(t, s.creds, tc.refreshes, "every refresh is saved")
			if tc.refreshes == 0 {
				return
			}
			next := credsOf(t, s.creds[0])
			require.NotEqual(t, old.AccessToken, next.AccessToken)
			require.NotEqual(t, old.RefreshToken, next.RefreshToken, "the refresh token rotated")
			require.WithinDuration(t, time.Now().Add(2*time.Hour), next.ExpiresAt, time.Minute)
			require.Equal(t, xtest.UserID, next.UserID)
			require.Equal(t, []string{old.RefreshToken}, fake.UsedRefreshTokens())

			// The old refresh token no longer works: refreshing from the old credentials
			// is refused, and the account needs reconnecting.
			stale := account(t, fake, time.Now().Add(-time.Minute), nil)
			stale.Credentials, _ = json.Marshal(x.Credentials{AccessToken: old.AccessToken, RefreshToken: old.RefreshToken, ExpiresAt: time.Now().Add(-time.Minute)})
			_, err = c.KeepFresh(context.Background(), stale, x.RefreshAhead)
			var pe *publish.Error
			require.ErrorAs(t, err, &pe)
			require.Equal(t, publish.KindAuth, pe.Kind)
			require.Contains(t, pe.Message, "Value passed for the token was invalid.")
		})
	}
}

// KeepFresh refreshes only what expires within ahead; a refused refresh, or no refresh
// token, is KindAuth. X gives no reconnect-by date.
func TestKeepFresh(t *testing.T) {
	cases := []struct {
		name      string
		expiresIn time.Duration
		refresh   *string // replaces the refresh token
		kind      *publish.Kind
		refreshed bool
	}{
		{name: "fresh", expiresIn: time.Hour},
		{name: "expiring", expiresIn: 10 * time.Minute, refreshed: true},
		{name: "refused", expiresIn: time.Minute, refresh: ptr("rt-unknown"), kind: ptr(publish.KindAuth)},
		{name: "no refresh token", expiresIn: time.Minute, refresh: ptr(""), kind: ptr(publish.KindAuth)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := xtest.Start(t, xtest.Options{})
			c := newConnector(fake)
			var s saved
			acct := account(t, fake, time.Now().Add(tc.expiresIn), &s)
			if tc.refresh != nil {
				cr := credsOf(t, acct.Credentials)
				cr.RefreshToken = *tc.refresh
				acct.Credentials, _ = json.Marshal(cr)
			}
			by, err := c.KeepFresh(context.Background(), acct, 15*time.Minute)
			if tc.kind != nil {
				require.Equal(t, *tc.kind, publish.KindOf(err), "%v", err)
				require.Empty(t, s.creds)
				return
			}
			require.NoError(t, err)
			require.True(t, by.IsZero())
			if !tc.refreshed {
				require.Zero(t, fake.Calls("POST /2/oauth2/token"))
				require.Empty(t, s.creds)
				return
			}
			require.Len(t, s.creds, 1)
			next := credsOf(t, s.creds[0])
			require.WithinDuration(t, time.Now().Add(2*time.Hour), next.ExpiresAt, time.Minute)
			// The new access token works.
			u, err := c.Me(context.Background(), next.AccessToken)
			require.NoError(t, err)
			require.Equal(t, xtest.Username, u.Username)
		})
	}
}

func ptr[T any](v T) *T { return &v }

// Two publications for one account at once, its access token about to expire: through the
// real store (store.RefreshAccountCredentials under the account's row lock, via
// publish.AccountRefresher) the refresh token is used exactly once; the second publication
// finds the refreshed credentials and uses them.
func TestConcurrentPublishesRefreshOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		fake := xtest.Start(t, xtest.Options{})
		c := newConnector(fake)
		box, err := secrets.New([]byte("0123456789abcdef0123456789abcdef"), nil)
		require.NoError(t, err)

		now := time.Now().UTC()
		cl := &store.Client{ID: greenlight.NewID("cli_"), Name: "brand", ApprovalPolicy: greenlight.PolicyAny, CreatedAt: now,
			Approvers: []store.Approver{{ID: greenlight.NewID("apr_"), Name: "Ana", Email: "ana@brand.test"}}}
		require.NoError(t, st.CreateClient(ctx, cl))
		base := account(t, fake, now.Add(time.Minute), nil) // expires within RefreshAhead
		id := greenlight.NewID("acc_")
		require.NoError(t, st.CreateAccount(ctx, &store.Account{ID: id, ClientID: cl.ID, Network: "x", Handle: "@" + xtest.Username,
			ServiceURL: x.DefaultAPIURL, Status: store.AccountActive, Credentials: box.Seal(base.Credentials, []byte(id)),
			CreatedBy: "usr_x", CreatedAt: now, UpdatedAt: now}))
		old := credsOf(t, base.Credentials)

		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				acct := publish.Account{ID: id, ClientID: cl.ID, Network: "x", Handle: "@" + xtest.Username, Credentials: base.Credentials,
					Refresh: publish.AccountRefresher(st, box, id)}
				_, errs[i] = c.Publish(ctx, acct, publish.Post{Key: "k", Text: []string{"First post", "Second post"}[i]})
			}()
		}
		wg.Wait()
		require.NoError(t, errs[0])
		require.NoError(t, errs[1])
		require.Len(t, fake.Tweets(), 2)
		require.Equal(t, 1, fake.Calls("POST /2/oauth2/token"), "one refresh for both")
		require.Equal(t, []string{old.RefreshToken}, fake.UsedRefreshTokens())

		stored, err := st.Account(ctx, id)
		require.NoError(t, err)
		opened, err := box.Open(stored.Credentials, []byte(id))
		require.NoError(t, err)
		next := credsOf(t, opened)
		require.NotEqual(t, old.RefreshToken, next.RefreshToken, "the rotated refresh token is stored")
		require.WithinDuration(t, time.Now().Add(2*time.Hour), next.ExpiresAt, time.Minute)
	})
}
