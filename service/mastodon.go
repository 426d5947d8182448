package service

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/publish/mastodon"
	"github.com/greenlight/greenlight/store"
)

// NetworkMastodon is a Mastodon-API instance (Mastodon, GoToSocial, …).
const NetworkMastodon = mastodon.Network

// OAuthStateTTL is how long an authorization started with ConnectMastodon can be finished.
const OAuthStateTTL = 10 * time.Minute

// MastodonCallbackPath is where instances send the account's owner back after they
// authorize Greenlight (under GREENLIGHT_PUBLIC_URL).
const MastodonCallbackPath = "/oauth/callback/mastodon"

// ConnectMastodon is a request to connect a Mastodon account: the instance, and either an
// access token (scripts: used at once) or nothing (an OAuth authorization the account's
// owner finishes in a browser).
type ConnectMastodon struct {
	InstanceURL string
	AccessToken string
}

// Connection is the result of ConnectMastodon: the account and, while it is pending, the
// instance's page where its owner authorizes Greenlight.
type Connection struct {
	Account      *store.Account
	AuthorizeURL string
	Created      bool
}

// ConnectMastodon connects a client's Mastodon account. With an access token it reads the
// token's account (verify_credentials) and stores the token, sealed: the account is active
// (a token the instance refuses is EINVALID). Without one it registers Greenlight on the
// instance (once per instance), creates a pending account and returns the authorization
// URL (PKCE S256 and a single-use state, valid OAuthStateTTL); MastodonCallback finishes
// it. Connecting a handle the client already has replaces its token (a reconnection).
// Errors: EINVALID naming the field, EUNAVAILABLE when the instance does not answer or
// GREENLIGHT_SECRET_KEY / GREENLIGHT_PUBLIC_URL are not set, ETOOMANY when it rate-limits.
func (s *Service) ConnectMastodon(ctx context.Context, actor *store.User, clientID string, in ConnectMastodon) (*Connection, error) {
	if _, err := s.loadClient(ctx, actor, ActAccountConnect, clientID); err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.InstanceURL) == "" {
		return nil, greenlight.Errorf(greenlight.EINVALID, "instance_url: required (e.g. https://mastodon.social)")
	}
	instance, err := s.validServiceURL(ctx, "instance_url", strings.TrimSpace(in.InstanceURL), "https://mastodon.social")
	if err != nil {
		return nil, err
	}
	if s.Secrets == nil {
		return nil, greenlight.Errorf(greenlight.EUNAVAILABLE, "connected accounts need GREENLIGHT_SECRET_KEY to keep their credentials encrypted; ask the operator to set it")
	}
	cl, err := mastodon.New(s.httpClient(), instance)
	if err != nil {
		return nil, greenlight.Errorf(greenlight.EINVALID, "instance_url: %v", err)
	}
	if in.AccessToken != "" {
		a, created, err := s.connectMastodonToken(ctx, actor, clientID, cl, mastodon.Credentials{AccessToken: strings.TrimSpace(in.AccessToken)}, "")
		if err != nil {
			return nil, err
		}
		return &Connection{Account: a, Created: created}, nil
	}

	redirect, err := s.mastodonRedirect()
	if err != nil {
		return nil, err
	}
	app, err := s.mastodonApp(ctx, cl, redirect)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if _, err := s.Store.DeletePendingAccounts(ctx, clientID, NetworkMastodon, now.Add(-OAuthStateTTL)); err != nil {
		return nil, err
	}
	a := &store.Account{
		ID: greenlight.NewID("acc_"), ClientID: clientID, Network: NetworkMastodon, ServiceURL: instance,
		Status: store.AccountPending, CreatedBy: actor.ID, CreatedAt: now, UpdatedAt: now,
	}
	a.Handle = store.PendingHandle(a.ID)
	a.Credentials = s.Secrets.Seal([]byte("{}"), []byte(a.ID))
	if err := s.Store.CreateAccount(ctx, a); err != nil {
		return nil, err
	}
	state, stateHash := greenlight.NewToken("")
	verifier, challenge := mastodon.NewPKCE()
	if err := s.Store.CreateOAuthState(ctx, &store.OAuthState{
		StateHash: stateHash, Network: NetworkMastodon, AccountID: a.ID,
		Verifier:  s.Secrets.Seal([]byte(verifier), []byte(stateHash)),
		CreatedAt: now, ExpiresAt: now.Add(OAuthStateTTL),
	}); err != nil {
		return nil, err
	}
	s.Log.Info("account authorization started", "client", clientID, "account", a.ID, "network", NetworkMastodon, "by", actor.ID)
	return &Connection{Account: a, Created: true, AuthorizeURL: cl.AuthorizeURL(app, redirect, mastodon.Scopes, state, challenge)}, nil
}

// mastodonRedirect is the callback URL registered with instances.
func (s *Service) mastodonRedirect() (string, error) {
	if s.PublicURL == "" {
		return "", greenlight.Errorf(greenlight.EUNAVAILABLE, "connecting a Mastodon account by authorization needs GREENLIGHT_PUBLIC_URL (the instance sends the browser back there); ask the operator to set it, or connect with an access_token")
	}
	return strings.TrimRight(s.PublicURL, "/") + MastodonCallbackPath, nil
}

// mastodonApp returns Greenlight's app on the instance, registering it the first time.
func (s *Service) mastodonApp(ctx context.Context, cl *mastodon.Client, redirect string) (mastodon.App, error) {
	instance := cl.Base()
	aad := store.OAuthAppAAD(NetworkMastodon, instance, redirect)
	for range 2 {
		row, err := s.Store.OAuthApp(ctx, NetworkMastodon, instance, redirect)
		if err == nil {
			secret, err := s.Secrets.Open(row.ClientSecret, aad)
			if err != nil {
				return mastodon.App{}, err
			}
			return mastodon.App{ClientID: row.ClientID, ClientSecret: string(secret)}, nil
		}
		if greenlight.ErrorCode(err) != greenlight.ENOTFOUND {
			return mastodon.App{}, err
		}
		app, err := cl.RegisterApp(ctx, "Greenlight", redirect, mastodon.Scopes, strings.TrimRight(s.PublicURL, "/"))
		if err != nil {
			return mastodon.App{}, instanceError(err)
		}
		err = s.Store.CreateOAuthApp(ctx, &store.OAuthApp{
			Network: NetworkMastodon, InstanceURL: instance, RedirectURI: redirect,
			ClientID: app.ClientID, ClientSecret: s.Secrets.Seal([]byte(app.ClientSecret), aad), CreatedAt: s.now(),
		})
		if err == nil {
			s.Log.Info("oauth app registered", "network", NetworkMastodon, "instance", instance)
			return app, nil
		}
		if greenlight.ErrorCode(err) != greenlight.ECONFLICT {
			return mastodon.App{}, err
		}
		// Another request registered it meanwhile: use that one.
	}
	return mastodon.App{}, greenlight.Errorf(greenlight.EUNAVAILABLE, "instance_url: could not register Greenlight on the instance; retry")
}

// connectMastodonToken checks a token with verify_credentials and stores it on the
// client's account for that handle: a new active account, the existing one (reconnected),
// or — after an authorization — the pending account pendingID.
func (s *Service) connectMastodonToken(ctx context.Context, actor *store.User, clientID string, cl *mastodon.Client, cred mastodon.Credentials, pendingID string) (*store.Account, bool, error) {
	me, err := cl.VerifyCredentials(ctx, cred.AccessToken)
	if err != nil {
		if mastodon.KindOf(err) == publish.KindAuth {
			return nil, false, greenlight.Errorf(greenlight.EINVALID, "access_token: the instance refused this token")
		}
		return nil, false, instanceError(err)
	}
	cred.AccountID = me.ID
	handle := strings.ToLower(cl.Handle(me))
	plain, err := json.Marshal(cred)
	if err != nil {
		return nil, false, err
	}
	by := "oauth"
	if actor != nil {
		by = actor.ID
	}
	now := s.now()
	if old, err := s.Store.AccountByHandle(ctx, clientID, NetworkMastodon, handle); err == nil {
		if err := s.Store.SaveAccountCredentials(ctx, old.ID, s.Secrets.Seal(plain, []byte(old.ID)), store.AccountActive, now); err != nil {
			return nil, false, err
		}
		if pendingID != "" {
			if err := s.Store.DeleteAccount(ctx, clientID, pendingID); err != nil && greenlight.ErrorCode(err) != greenlight.ENOTFOUND {
				return nil, false, err
			}
		}
		s.Log.Info("account reconnected", "client", clientID, "account", old.ID, "network", NetworkMastodon, "by", by)
		a, err := s.Store.Account(ctx, old.ID)
		return a, false, err
	} else if greenlight.ErrorCode(err) != greenlight.ENOTFOUND {
		return nil, false, err
	}
	if pendingID != "" {
		if err := s.Store.ActivateAccount(ctx, pendingID, handle, s.Secrets.Seal(plain, []byte(pendingID)), now); err != nil {
			return nil, false, err
		}
		s.Log.Info("account connected", "client", clientID, "account", pendingID, "network", NetworkMastodon, "by", by)
		a, err := s.Store.Account(ctx, pendingID)
		return a, true, err
	}
	a := &store.Account{
		ID: greenlight.NewID("acc_"), ClientID: clientID, Network: NetworkMastodon, Handle: handle, ServiceURL: cl.Base(),
		Status: store.AccountActive, CreatedBy: actor.ID, CreatedAt: now, UpdatedAt: now,
	}
	a.Credentials = s.Secrets.Seal(plain, []byte(a.ID))
	if err := s.Store.CreateAccount(ctx, a); err != nil {
		return nil, false, err
	}
	s.Log.Info("account connected", "client", clientID, "account", a.ID, "network", NetworkMastodon, "by", by)
	return a, true, nil
}

// MastodonCallback finishes an authorization started by ConnectMastodon: the state (single
// use, OAuthStateTTL) names the pending account and authenticates the call, so no session
// is needed. It exchanges the code with the PKCE verifier, reads the account and makes it
// active; it returns the account. Errors: EMALFORMED for a missing or unknown state, EGONE
// for a used or expired one (or an account removed meanwhile), EFORBIDDEN when the owner
// refused, EINVALID when the instance refuses the code, EUNAVAILABLE when it does not
// answer.
func (s *Service) MastodonCallback(ctx context.Context, code, state, refusal string) (*store.Account, error) {
	if state == "" {
		return nil, greenlight.Errorf(greenlight.EMALFORMED, "this page needs the state the instance sends back; start again from the client's accounts page")
	}
	if s.Secrets == nil {
		return nil, greenlight.Errorf(greenlight.EUNAVAILABLE, "connected accounts need GREENLIGHT_SECRET_KEY")
	}
	st, err := s.Store.UseOAuthState(ctx, NetworkMastodon, greenlight.HashToken(state), s.now())
	if err != nil {
		if greenlight.ErrorCode(err) == greenlight.ENOTFOUND {
			return nil, greenlight.Errorf(greenlight.EMALFORMED, "unknown authorization; start again from the client's accounts page")
		}
		return nil, err
	}
	a, err := s.Store.Account(ctx, st.AccountID)
	if err != nil {
		if greenlight.ErrorCode(err) == greenlight.ENOTFOUND {
			return nil, greenlight.Errorf(greenlight.EGONE, "the account was removed while it was being connected")
		}
		return nil, err
	}
	if refusal != "" || code == "" {
		_ = s.Store.DeleteAccount(ctx, a.ClientID, a.ID)
		return nil, greenlight.Errorf(greenlight.EFORBIDDEN, "the authorization was refused at the instance (%s); nothing was connected", outbound.Sanitize(refusal, 100))
	}
	verifier, err := s.Secrets.Open(st.Verifier, []byte(st.StateHash))
	if err != nil {
		return nil, err
	}
	redirect, err := s.mastodonRedirect()
	if err != nil {
		return nil, err
	}
	cl, err := mastodon.New(s.httpClient(), a.ServiceURL)
	if err != nil {
		return nil, err
	}
	app, err := s.mastodonApp(ctx, cl, redirect)
	if err != nil {
		return nil, err
	}
	tok, err := cl.ExchangeCode(ctx, app, redirect, code, string(verifier))
	if err != nil {
		if k := mastodon.KindOf(err); k == publish.KindPermanent || k == publish.KindAuth {
			return nil, greenlight.Errorf(greenlight.EINVALID, "the instance refused the authorization code; connect the account again")
		}
		return nil, instanceError(err)
	}
	acct, _, err := s.connectMastodonToken(ctx, nil, a.ClientID, cl, mastodon.Credentials{AccessToken: tok.AccessToken, Scope: tok.Scope}, a.ID)
	return acct, err
}

// instanceError turns a failed call to an instance into an answer for the person
// connecting.
func instanceError(err error) error {
	var me *mastodon.Error
	if errors.As(err, &me) && errors.Is(me.Err, outbound.ErrRefused) {
		return greenlight.Errorf(greenlight.EINVALID, "instance_url: %s; the instance may not be an internal address unless GREENLIGHT_OUTBOUND_ALLOW lists it", outbound.Cause(me.Err))
	}
	switch mastodon.KindOf(err) {
	case publish.KindRateLimit:
		d := time.Duration(0)
		if me != nil {
			d = me.RetryAfter
		}
		return greenlight.Errorf(greenlight.ETOOMANY, "the instance is limiting requests; retry in %s", d.Round(time.Second))
	case publish.KindPermanent, publish.KindAuth:
		msg := "refused"
		if me != nil {
			msg = outbound.Sanitize(me.Message, 200)
		}
		return greenlight.Errorf(greenlight.EINVALID, "instance_url: the instance refused the request: %s", msg)
	}
	cause := "no answer"
	if me != nil && me.Err != nil {
		cause = outbound.Cause(me.Err)
	} else if me != nil && me.Status != 0 {
		cause = outbound.Describe("the instance", me.Status)
	}
	return greenlight.Errorf(greenlight.EUNAVAILABLE, "instance_url: the instance did not answer (%s); retry later", cause)
}
