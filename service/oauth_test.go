package service_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/oauthtest"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/secrets"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

// oauthFixture is a service with two OAuth networks on one test authorization server: "x"
// (PKCE) and "facebook" (no PKCE, identities decided by the test).
type oauthFixture struct {
	svc   *service.Service
	st    *store.Store
	p     people
	srv   *oauthtest.Server
	x, fb *oauthtest.Provider
	box   *secrets.Box
	now   time.Time
}

func newOAuthFixture(t *testing.T, st *store.Store) *oauthFixture {
	box, err := secrets.Parse(secrets.NewKey(), "")
	require.NoError(t, err)
	f := &oauthFixture{st: st, p: setupPeople(t, st), srv: oauthtest.Start(t), box: box, now: time.Now().UTC()}
	f.x = &oauthtest.Provider{Name: "x", Server: f.srv, UsePKCE: true, ScopeList: []string{"tweet.write"}}
	f.fb = &oauthtest.Provider{Name: "facebook", Server: f.srv}
	f.svc = newService(st)
	f.svc.Secrets = box
	f.svc.PublicURL = "https://gl.example"
	f.svc.Providers = map[string]publish.OAuthProvider{"x": f.x, "facebook": f.fb}
	f.svc.OAuthApps = map[string]publish.OAuthApp{"x": oauthtest.App, "facebook": oauthtest.App}
	f.svc.Now = func() time.Time { return f.now }
	return f
}

// connect starts a connection and consents at the network; it returns the pending account
// and what the network sends back to the callback.
func (f *oauthFixture) connect(t *testing.T, network string, deny bool) (*store.Account, url.Values) {
	t.Helper()
	conn, err := f.svc.ConnectOAuth(context.Background(), f.p.userA, f.p.a, network)
	require.NoError(t, err)
	require.Equal(t, store.AccountPending, conn.Account.Status)
	require.True(t, conn.Created)
	return conn.Account, f.srv.Consent(t, conn.AuthorizeURL, deny)
}

func (f *oauthFixture) callback(network string, q url.Values) (*service.OAuthOutcome, error) {
	refusal := q.Get("error")
	return f.svc.OAuthCallback(context.Background(), network, q.Get("code"), q.Get("state"), refusal)
}

func identity(id, handle, creds string) publish.Identity {
	return publish.Identity{ID: id, Kind: "page", Handle: handle, Name: handle, Credentials: []byte(creds)}
}

// The whole flow on PostgreSQL and SQLite: the authorize URL carries the state and, for a
// PKCE network, an S256 challenge whose verifier reaches the token endpoint; one identity
// is connected at once, sealed; the state works once.
func TestOAuthConnectOneIdentity(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newOAuthFixture(t, st)
		conn, err := f.svc.ConnectOAuth(ctx, f.p.userA, f.p.a, "x")
		require.NoError(t, err)
		u, err := url.Parse(conn.AuthorizeURL)
		require.NoError(t, err)
		q := u.Query()
		require.Equal(t, "https://gl.example/oauth/callback/x", q.Get("redirect_uri"))
		require.Equal(t, "S256", q.Get("code_challenge_method"))
		require.NotEmpty(t, q.Get("state"))

		back := f.srv.Consent(t, conn.AuthorizeURL, false)
		out, err := f.callback("x", back)
		require.NoError(t, err)
		require.Nil(t, out.Pick)
		a := out.Account
		require.Equal(t, conn.Account.ID, a.ID, "the pending account becomes the connected one")
		require.Equal(t, store.AccountActive, a.Status)
		require.Equal(t, "brand", a.Handle)
		require.Equal(t, "u1", a.RemoteID)
		require.Nil(t, a.ReconnectBy)
		plain, err := f.box.Open(a.Credentials, []byte(a.ID))
		require.NoError(t, err)
		require.Contains(t, string(plain), "token-for-"+back.Get("code"))

		require.Len(t, f.srv.Verifiers, 1)
		sum := sha256.Sum256([]byte(f.srv.Verifiers[0]))
		require.Equal(t, q.Get("code_challenge"), base64.RawURLEncoding.EncodeToString(sum[:]), "the verifier of the challenge was sent")

		_, err = f.callback("x", back)
		require.Equal(t, greenlight.EGONE, greenlight.ErrorCode(err), "a state works once")
		require.Equal(t, 1, f.srv.Exchanges, "a reused state never reaches the network")
	})
}

// A network without PKCE gets no challenge and no verifier.
func TestOAuthWithoutPKCE(t *testing.T) {
	f := newOAuthFixture(t, testdb.Open(t, testdb.SQLitePath(t)))
	conn, err := f.svc.ConnectOAuth(context.Background(), f.p.userA, f.p.a, "facebook")
	require.NoError(t, err)
	require.NotContains(t, conn.AuthorizeURL, "code_challenge")
	_, err = f.callback("facebook", f.srv.Consent(t, conn.AuthorizeURL, false))
	require.NoError(t, err)
	require.Equal(t, []string{""}, f.srv.Verifiers)
}

// States: unknown, missing, expired after 10 minutes, or of another network: refused
// before the network is asked anything.
func TestOAuthStateChecks(t *testing.T) {
	f := newOAuthFixture(t, testdb.Open(t, testdb.SQLitePath(t)))
	_, back := f.connect(t, "x", false)
	tests := []struct {
		name    string
		network string
		state   string
		advance time.Duration
		code    string
	}{
		{"missing", "x", "", 0, greenlight.EMALFORMED},
		{"unknown", "x", "nope", 0, greenlight.EMALFORMED},
		{"another network's", "facebook", back.Get("state"), 0, greenlight.EMALFORMED},
		{"expired", "x", back.Get("state"), service.OAuthStateTTL + time.Second, greenlight.EGONE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.now = f.now.Add(tt.advance)
			_, err := f.svc.OAuthCallback(context.Background(), tt.network, back.Get("code"), tt.state, "")
			require.Equal(t, tt.code, greenlight.ErrorCode(err), "%v", err)
		})
	}
	require.Zero(t, f.srv.Exchanges)
}

// Refusing at the network connects nothing: the pending account goes, the code is never
// exchanged, and the answer says so.
func TestOAuthRefusal(t *testing.T) {
	f := newOAuthFixture(t, testdb.Open(t, testdb.SQLitePath(t)))
	pending, back := f.connect(t, "x", true)
	require.Equal(t, "access_denied", back.Get("error"))
	_, err := f.callback("x", back)
	require.Equal(t, greenlight.EFORBIDDEN, greenlight.ErrorCode(err))
	require.Contains(t, greenlight.ErrorMessage(err), "nothing was connected")
	_, err = f.st.Account(context.Background(), pending.ID)
	require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))
	require.Zero(t, f.srv.Exchanges)
}

// A code the network refuses (here: exchanged already, as a replayed callback would be
// if the state were not single use) is a 422 saying so.
func TestOAuthCodeRefused(t *testing.T) {
	f := newOAuthFixture(t, testdb.Open(t, testdb.SQLitePath(t)))
	_, first := f.connect(t, "x", false)
	_, err := f.callback("x", first)
	require.NoError(t, err)
	_, second := f.connect(t, "x", false)
	second.Set("code", first.Get("code"))
	_, err = f.callback("x", second)
	require.Equal(t, greenlight.EINVALID, greenlight.ErrorCode(err))
	require.Contains(t, greenlight.ErrorMessage(err), "refused the authorization code")
}

// Several identities: the person picks one with a token bound to the authorization; a
// choice not offered is refused without spending the token; the token works once.
func TestOAuthPickAmongSeveral(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newOAuthFixture(t, st)
		by := f.now.Add(60 * 24 * time.Hour).Truncate(time.Second)
		f.fb.IdentitiesFor = func(publish.OAuthToken) ([]publish.Identity, error) {
			two := identity("p2", "Brand Shop", `{"page_token":"p2"}`)
			two.ReconnectBy = by
			return []publish.Identity{identity("p1", "Brand", `{"page_token":"p1"}`), two}, nil
		}
		pending, back := f.connect(t, "facebook", false)
		out, err := f.callback("facebook", back)
		require.NoError(t, err)
		require.Nil(t, out.Account)
		pick := out.Pick
		require.Equal(t, f.p.a, pick.ClientID)
		require.Equal(t, []service.IdentityChoice{{ID: "p1", Kind: "page", Handle: "Brand", Name: "Brand"}, {ID: "p2", Kind: "page", Handle: "Brand Shop", Name: "Brand Shop"}}, pick.Choices)
		a, err := st.Account(ctx, pending.ID)
		require.NoError(t, err)
		require.Equal(t, store.AccountPending, a.Status, "nothing connected before the pick")

		_, err = f.svc.PickIdentity(ctx, "facebook", pick.Token, "p3")
		require.Equal(t, greenlight.EINVALID, greenlight.ErrorCode(err))
		_, err = f.svc.PickIdentity(ctx, "facebook", "forged", "p1")
		require.Equal(t, greenlight.EMALFORMED, greenlight.ErrorCode(err))
		_, err = f.svc.PickIdentity(ctx, "x", pick.Token, "p1")
		require.Equal(t, greenlight.EMALFORMED, greenlight.ErrorCode(err), "a pick token is bound to its network")
		_, err = f.svc.PickIdentity(ctx, "facebook", back.Get("state"), "p1")
		require.Equal(t, greenlight.EMALFORMED, greenlight.ErrorCode(err), "the state is not a pick token")

		got, err := f.svc.PickIdentity(ctx, "facebook", pick.Token, "p2")
		require.NoError(t, err)
		require.Equal(t, pending.ID, got.ID)
		require.Equal(t, store.AccountActive, got.Status)
		require.Equal(t, "Brand Shop", got.Handle)
		require.NotNil(t, got.ReconnectBy)
		require.True(t, by.Equal(*got.ReconnectBy), "%v", got.ReconnectBy)
		plain, err := f.box.Open(got.Credentials, []byte(got.ID))
		require.NoError(t, err)
		require.JSONEq(t, `{"page_token":"p2"}`, string(plain))

		_, err = f.svc.PickIdentity(ctx, "facebook", pick.Token, "p1")
		require.Equal(t, greenlight.EGONE, greenlight.ErrorCode(err), "a pick token works once")
		var kept []store.OAuthState
		require.NoError(t, st.DB().Where("network = ?", "facebook:pick").Find(&kept).Error)
		require.Len(t, kept, 1)
		require.Empty(t, kept[0].Verifier, "the identities not picked, with their tokens, are not kept")
		as, err := st.ListAccounts(ctx, f.p.a)
		require.NoError(t, err)
		require.Len(t, as, 1)
	})
}

// The pick expires with its authorization's life.
func TestOAuthPickExpires(t *testing.T) {
	f := newOAuthFixture(t, testdb.Open(t, testdb.SQLitePath(t)))
	f.fb.IdentitiesFor = func(publish.OAuthToken) ([]publish.Identity, error) {
		return []publish.Identity{identity("p1", "Brand", "{}"), identity("p2", "Shop", "{}")}, nil
	}
	_, back := f.connect(t, "facebook", false)
	out, err := f.callback("facebook", back)
	require.NoError(t, err)
	f.now = f.now.Add(service.OAuthStateTTL + time.Second)
	_, err = f.svc.PickIdentity(context.Background(), "facebook", out.Pick.Token, "p1")
	require.Equal(t, greenlight.EGONE, greenlight.ErrorCode(err))
}

// No identity: a clear answer and nothing connected.
func TestOAuthNoIdentity(t *testing.T) {
	f := newOAuthFixture(t, testdb.Open(t, testdb.SQLitePath(t)))
	f.fb.IdentitiesFor = func(publish.OAuthToken) ([]publish.Identity, error) { return nil, nil }
	pending, back := f.connect(t, "facebook", false)
	_, err := f.callback("facebook", back)
	require.Equal(t, greenlight.EINVALID, greenlight.ErrorCode(err))
	require.Contains(t, greenlight.ErrorMessage(err), "manages no Page")
	_, err = f.st.Account(context.Background(), pending.ID)
	require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))
}

// Connecting the identity a client already has replaces that account's credentials (and
// makes it active again) instead of adding a second account.
func TestOAuthReconnectReplaces(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newOAuthFixture(t, st)
		_, back := f.connect(t, "x", false)
		out, err := f.callback("x", back)
		require.NoError(t, err)
		first := out.Account
		_, err = st.MarkNeedsReconnect(ctx, first.ID, "token revoked", f.now)
		require.NoError(t, err)

		pending, back := f.connect(t, "x", false)
		out, err = f.callback("x", back)
		require.NoError(t, err)
		again := out.Account
		require.Equal(t, first.ID, again.ID, "the same account")
		require.Equal(t, store.AccountActive, again.Status)
		require.Empty(t, again.LastError)
		plain, err := f.box.Open(again.Credentials, []byte(again.ID))
		require.NoError(t, err)
		require.Contains(t, string(plain), "token-for-"+back.Get("code"), "the new credentials")
		_, err = st.Account(ctx, pending.ID)
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err), "the pending account went")
		as, err := st.ListAccounts(ctx, f.p.a)
		require.NoError(t, err)
		require.Len(t, as, 1)
	})
}

// What stops a connection from starting: the network, its app, the secret key, the public
// URL, the role and the client scope.
func TestConnectOAuthRefusals(t *testing.T) {
	f := newOAuthFixture(t, testdb.Open(t, testdb.SQLitePath(t)))
	ctx := context.Background()
	tests := []struct {
		name    string
		edit    func(*service.Service)
		actor   *store.User
		client  string
		network string
		code    string
		message string
	}{
		{name: "unknown network", network: "myspace", code: greenlight.EINVALID, message: "network: must be one of instagram, facebook, linkedin, x"},
		{name: "no app", network: "instagram", code: greenlight.EINVALID, message: "GREENLIGHT_META_APP_ID and GREENLIGHT_META_APP_SECRET"},
		{name: "no linkedin app", network: "linkedin", code: greenlight.EINVALID, message: "GREENLIGHT_LINKEDIN_CLIENT_ID and GREENLIGHT_LINKEDIN_CLIENT_SECRET"},
		{name: "half an app", network: "x", edit: func(s *service.Service) { s.OAuthApps["x"] = publish.OAuthApp{ClientID: "id"} },
			code: greenlight.EINVALID, message: "GREENLIGHT_X_CLIENT_ID and GREENLIGHT_X_CLIENT_SECRET"},
		{name: "no secret key", network: "x", edit: func(s *service.Service) { s.Secrets = nil }, code: greenlight.EUNAVAILABLE, message: "GREENLIGHT_SECRET_KEY"},
		{name: "no public URL", network: "x", edit: func(s *service.Service) { s.PublicURL = "" }, code: greenlight.EUNAVAILABLE, message: "GREENLIGHT_PUBLIC_URL"},
		{name: "reviewer", network: "x", actor: f.p.readerAB, code: greenlight.EFORBIDDEN},
		{name: "another client", network: "x", client: f.p.b, code: greenlight.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := *f.svc
			svc.OAuthApps = map[string]publish.OAuthApp{"x": oauthtest.App, "facebook": oauthtest.App}
			if tt.edit != nil {
				tt.edit(&svc)
			}
			actor, client := f.p.userA, f.p.a
			if tt.actor != nil {
				actor = tt.actor
			}
			if tt.client != "" {
				client = tt.client
			}
			_, err := svc.ConnectOAuth(ctx, actor, client, tt.network)
			require.Equal(t, tt.code, greenlight.ErrorCode(err), "%v", err)
			require.Contains(t, greenlight.ErrorMessage(err), tt.message)
		})
	}
	as, err := f.st.ListAccounts(ctx, f.p.a)
	require.NoError(t, err)
	require.Empty(t, as, "no pending account was left behind")
}

// The listing says which networks are configured and, when not, what to set.
func TestNetworksListing(t *testing.T) {
	f := newOAuthFixture(t, testdb.Open(t, testdb.SQLitePath(t)))
	ns, err := f.svc.Networks(context.Background(), f.p.readerAB)
	require.NoError(t, err)
	got := map[string]service.NetworkInfo{}
	for _, n := range ns {
		got[n.Network] = n
	}
	require.Len(t, got, 6)
	require.True(t, got["x"].Configured)
	require.Equal(t, "https://gl.example/oauth/callback/x", got["x"].CallbackURL)
	require.True(t, got["facebook"].Configured)
	require.False(t, got["instagram"].Configured)
	require.Equal(t, []string{"GREENLIGHT_META_APP_ID", "GREENLIGHT_META_APP_SECRET"}, got["instagram"].Env)
	require.Contains(t, got["linkedin"].Reason, "GREENLIGHT_LINKEDIN_CLIENT_ID")
	require.True(t, got["bluesky"].Configured)
}
