package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/store"
)

// This file is the one OAuth 2.0 flow for the networks connected with the operator's own
// app (Instagram, Facebook Pages, LinkedIn, X): start (state, PKCE), callback (exchange,
// identities), picking the identity to publish as when there are several, storing it
// sealed. Each network's particulars are its publish.OAuthProvider.

// Networks connected by OAuth with the operator's app.
const (
	NetworkInstagram = "instagram"
	NetworkFacebook  = "facebook"
	NetworkLinkedIn  = "linkedin"
	NetworkX         = "x"
)

// OAuthNetworks are the networks connected by OAuth with the operator's app, in the order
// pages show them.
var OAuthNetworks = []string{NetworkInstagram, NetworkFacebook, NetworkLinkedIn, NetworkX}

// IsOAuthNetwork reports whether network is connected by OAuth with the operator's app.
func IsOAuthNetwork(network string) bool { return slices.Contains(OAuthNetworks, network) }

// OAuthEnv names the environment variables holding the operator's app for network
// (Instagram and Facebook share Meta's app); nil for other networks.
func OAuthEnv(network string) []string {
	switch network {
	case NetworkInstagram, NetworkFacebook:
		return []string{"GREENLIGHT_META_APP_ID", "GREENLIGHT_META_APP_SECRET"}
	case NetworkLinkedIn:
		return []string{"GREENLIGHT_LINKEDIN_CLIENT_ID", "GREENLIGHT_LINKEDIN_CLIENT_SECRET"}
	case NetworkX:
		return []string{"GREENLIGHT_X_CLIENT_ID", "GREENLIGHT_X_CLIENT_SECRET"}
	}
	return nil
}

// NetworkName is how people call network.
func NetworkName(network string) string {
	switch network {
	case NetworkInstagram:
		return "Instagram"
	case NetworkFacebook:
		return "Facebook"
	case NetworkLinkedIn:
		return "LinkedIn"
	case NetworkX:
		return "X"
	case NetworkBluesky:
		return "Bluesky"
	case NetworkMastodon:
		return "Mastodon"
	}
	return network
}

// OAuthCallbackPath is where network sends the browser back after its consent page
// (under GREENLIGHT_PUBLIC_URL): the redirect URI operators register in their app.
func OAuthCallbackPath(network string) string { return "/oauth/callback/" + network }

// pickNetwork is the oauth_states network of a pick token: the identity choice offered
// after network's callback.
func pickNetwork(network string) string { return network + ":pick" }

// NetworkInfo is one network an account can be connected on, as the listing shows it.
type NetworkInfo struct {
	Network string `json:"network"`
	Name    string `json:"name"`
	// Connect is how: "oauth" (the operator's app), "oauth_instance" (Mastodon: the
	// instance), "app_password" (Bluesky).
	Connect string `json:"connect"`
	// Configured is false when accounts cannot be connected until the operator sets Env.
	Configured bool     `json:"configured"`
	Env        []string `json:"env,omitempty"`
	// Reason says why it is not configured.
	Reason string `json:"reason,omitempty"`
	// CallbackURL is the redirect URI to register in the network's app (OAuth networks,
	// when GREENLIGHT_PUBLIC_URL is set).
	CallbackURL string `json:"callback_url,omitempty"`
}

// Networks lists the networks accounts can be connected on, each saying whether it is
// configured and, when not, which variables the operator must set.
func (s *Service) Networks(ctx context.Context, actor *store.User) ([]NetworkInfo, error) {
	if err := authorize(actor, ActAccountsList, Resource{}); err != nil {
		return nil, err
	}
	out := []NetworkInfo{
		{Network: NetworkBluesky, Name: NetworkName(NetworkBluesky), Connect: "app_password", Configured: s.Secrets != nil},
		{Network: NetworkMastodon, Name: NetworkName(NetworkMastodon), Connect: "oauth_instance", Configured: s.Secrets != nil},
	}
	for _, n := range OAuthNetworks {
		info := NetworkInfo{Network: n, Name: NetworkName(n), Connect: "oauth", Env: OAuthEnv(n)}
		if s.PublicURL != "" {
			info.CallbackURL = strings.TrimRight(s.PublicURL, "/") + OAuthCallbackPath(n)
		}
		if _, err := s.oauthProvider(n); err != nil {
			info.Reason = greenlight.ErrorMessage(err)
		} else {
			info.Configured = true
		}
		out = append(out, info)
	}
	for i := range out {
		if out[i].Configured && s.Secrets == nil {
			out[i].Configured, out[i].Reason = false, "connected accounts need GREENLIGHT_SECRET_KEY"
		}
	}
	return out, nil
}

// oauthProvider returns network's provider and the operator's app; EINVALID naming the
// variables to set when the app is not configured.
func (s *Service) oauthProvider(network string) (providerApp, error) {
	p, ok := s.Providers[network]
	app := s.OAuthApps[network]
	if !ok || !app.Configured() {
		env := OAuthEnv(network)
		return providerApp{}, greenlight.Errorf(greenlight.EINVALID, "network: %s is not configured: the operator must set %s (see the README, \"Connect Instagram, Facebook Pages, LinkedIn and X\")",
			NetworkName(network), strings.Join(env, " and "))
	}
	return providerApp{p, app}, nil
}

type providerApp struct {
	publish.OAuthProvider
	app publish.OAuthApp
}

// oauthRedirect is the redirect URI of network's app.
func (s *Service) oauthRedirect(network string) (string, error) {
	if s.PublicURL == "" {
		return "", greenlight.Errorf(greenlight.EUNAVAILABLE, "connecting a %s account needs GREENLIGHT_PUBLIC_URL (%s sends the browser back to %s under it); ask the operator to set it",
			NetworkName(network), NetworkName(network), OAuthCallbackPath(network))
	}
	return strings.TrimRight(s.PublicURL, "/") + OAuthCallbackPath(network), nil
}

// ConnectOAuth starts connecting (or reconnecting) a client's account on an OAuth network
// with the operator's app: it creates a pending account and returns the network's consent
// page (state single use for OAuthStateTTL; PKCE S256 when the provider uses it, the
// verifier sealed). OAuthCallback finishes it. Errors: EINVALID for an unknown network or
// one whose app is not configured (naming the variables to set), EUNAVAILABLE when
// GREENLIGHT_SECRET_KEY or GREENLIGHT_PUBLIC_URL is not set.
func (s *Service) ConnectOAuth(ctx context.Context, actor *store.User, clientID, network string) (*Connection, error) {
	if _, err := s.loadClient(ctx, actor, ActAccountConnect, clientID); err != nil {
		return nil, err
	}
	if !IsOAuthNetwork(network) {
		return nil, greenlight.Errorf(greenlight.EINVALID, "network: must be one of %s", strings.Join(OAuthNetworks, ", "))
	}
	p, err := s.oauthProvider(network)
	if err != nil {
		return nil, err
	}
	if s.Secrets == nil {
		return nil, greenlight.Errorf(greenlight.EUNAVAILABLE, "connected accounts need GREENLIGHT_SECRET_KEY to keep their credentials encrypted; ask the operator to set it")
	}
	redirect, err := s.oauthRedirect(network)
	if err != nil {
		return nil, err
	}
	now := s.now()
	// Sweep what abandoned authorizations left: pending accounts past their state's and
	// pick's lives, and states expired for a day (a late click then says "expired").
	if _, err := s.Store.DeletePendingAccounts(ctx, clientID, network, now.Add(-2*OAuthStateTTL)); err != nil {
		return nil, err
	}
	if _, err := s.Store.DeleteOAuthStates(ctx, now.Add(-24*time.Hour)); err != nil {
		return nil, err
	}
	a := &store.Account{
		ID: greenlight.NewID("acc_"), ClientID: clientID, Network: network,
		Status: store.AccountPending, CreatedBy: actor.ID, CreatedAt: now, UpdatedAt: now,
	}
	a.Handle = store.PendingHandle(a.ID)
	a.Credentials = s.Secrets.Seal([]byte("{}"), []byte(a.ID))
	if err := s.Store.CreateAccount(ctx, a); err != nil {
		return nil, err
	}
	state, stateHash := greenlight.NewToken("")
	verifier, challenge := "", ""
	if p.PKCE() {
		verifier, challenge = newPKCE()
	}
	if err := s.Store.CreateOAuthState(ctx, &store.OAuthState{
		StateHash: stateHash, Network: network, AccountID: a.ID,
		Verifier:  s.Secrets.Seal([]byte(verifier), []byte(stateHash)),
		CreatedAt: now, ExpiresAt: now.Add(OAuthStateTTL),
	}); err != nil {
		return nil, err
	}
	s.Log.Info("account authorization started", "client", clientID, "account", a.ID, "network", network, "by", actor.ID)
	return &Connection{Account: a, Created: true, AuthorizeURL: p.AuthorizeURL(p.app, redirect, state, challenge)}, nil
}

// newPKCE returns a PKCE verifier (32 random bytes, base64url) and its S256 challenge.
func newPKCE() (verifier, challenge string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// IdentityChoice is one identity offered on the picking page (never its credentials).
type IdentityChoice struct {
	ID     string
	Kind   string
	Handle string
	Name   string
}

// IdentityPick is the choice offered when the authorized person may publish as several
// identities: Token (single use, OAuthStateTTL) authenticates the pick; it is bound to
// the authorization's state and account, and is never put in a URL.
type IdentityPick struct {
	Network   string
	ClientID  string
	Token     string
	ExpiresAt time.Time
	Choices   []IdentityChoice
}

// OAuthOutcome is what a callback did: connected Account, or offered Pick.
type OAuthOutcome struct {
	Account *store.Account
	Pick    *IdentityPick
}

// OAuthCallback finishes an authorization started by ConnectOAuth. The state (single
// use, OAuthStateTTL) names the pending account and authenticates the call, so no session
// is needed. It exchanges the code (with the PKCE verifier) and lists the identities the
// token may publish as: one is connected at once; several are offered (Pick); none is
// EINVALID saying what is missing. Errors: EMALFORMED for a missing or unknown state,
// EGONE for a used or expired one, EFORBIDDEN when the person refused (nothing is
// connected), EINVALID when the network refuses the code, ETOOMANY / EUNAVAILABLE when it
// limits or does not answer.
func (s *Service) OAuthCallback(ctx context.Context, network, code, state, refusal string) (*OAuthOutcome, error) {
	if !IsOAuthNetwork(network) {
		return nil, greenlight.Errorf(greenlight.ENOTFOUND, "no such network")
	}
	if state == "" {
		return nil, greenlight.Errorf(greenlight.EMALFORMED, "this page needs the state %s sends back; start again from the client's accounts page", NetworkName(network))
	}
	if s.Secrets == nil {
		return nil, greenlight.Errorf(greenlight.EUNAVAILABLE, "connected accounts need GREENLIGHT_SECRET_KEY")
	}
	st, err := s.Store.UseOAuthState(ctx, network, greenlight.HashToken(state), s.now())
	if err != nil {
		if greenlight.ErrorCode(err) == greenlight.ENOTFOUND {
			return nil, greenlight.Errorf(greenlight.EMALFORMED, "unknown authorization; start again from the client's accounts page")
		}
		return nil, err
	}
	a, err := s.pendingAccount(ctx, st.AccountID)
	if err != nil {
		return nil, err
	}
	if refusal != "" || code == "" {
		_ = s.Store.DeleteAccount(ctx, a.ClientID, a.ID)
		s.Log.Info("account authorization refused", "client", a.ClientID, "account", a.ID, "network", network)
		return nil, greenlight.Errorf(greenlight.EFORBIDDEN, "the authorization was refused on %s (%s); nothing was connected", NetworkName(network), outbound.Sanitize(refusal, 100))
	}
	p, err := s.oauthProvider(network)
	if err != nil {
		return nil, err
	}
	verifier, err := s.Secrets.Open(st.Verifier, []byte(st.StateHash))
	if err != nil {
		return nil, err
	}
	redirect, err := s.oauthRedirect(network)
	if err != nil {
		return nil, err
	}
	tok, err := p.Exchange(ctx, p.app, redirect, code, string(verifier))
	if err != nil {
		return nil, networkError(network, "the authorization code", err)
	}
	ids, err := p.Identities(ctx, p.app, tok)
	if err != nil {
		return nil, networkError(network, "the list of accounts", err)
	}
	switch len(ids) {
	case 0:
		_ = s.Store.DeleteAccount(ctx, a.ClientID, a.ID)
		return nil, greenlight.Errorf(greenlight.EINVALID, "%s; nothing was connected", noIdentity(network))
	case 1:
		acct, err := s.connectIdentity(ctx, a, ids[0])
		if err != nil {
			return nil, err
		}
		return &OAuthOutcome{Account: acct}, nil
	}
	plain, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	now := s.now()
	token, hash := greenlight.NewToken("")
	pick := &store.OAuthState{
		StateHash: hash, Network: pickNetwork(network), AccountID: a.ID,
		Verifier:  s.Secrets.Seal(plain, []byte(hash)),
		CreatedAt: now, ExpiresAt: now.Add(OAuthStateTTL),
	}
	if err := s.Store.CreateOAuthState(ctx, pick); err != nil {
		return nil, err
	}
	out := &IdentityPick{Network: network, ClientID: a.ClientID, Token: token, ExpiresAt: pick.ExpiresAt}
	for _, id := range ids {
		out.Choices = append(out.Choices, IdentityChoice{ID: id.ID, Kind: id.Kind, Handle: id.Handle, Name: id.Name})
	}
	return &OAuthOutcome{Pick: out}, nil
}

// PickIdentity connects the identity identityID offered by the pick token (single use,
// OAuthStateTTL) and returns the account. Errors: EMALFORMED for a missing or unknown
// token, EGONE for a used or expired one (or an account removed meanwhile), EINVALID for
// an identity that was not offered.
func (s *Service) PickIdentity(ctx context.Context, network, token, identityID string) (*store.Account, error) {
	if !IsOAuthNetwork(network) {
		return nil, greenlight.Errorf(greenlight.ENOTFOUND, "no such network")
	}
	if token == "" {
		return nil, greenlight.Errorf(greenlight.EMALFORMED, "this form needs its pick token; start again from the client's accounts page")
	}
	if identityID == "" {
		return nil, greenlight.Errorf(greenlight.EINVALID, "identity: choose the account to publish as")
	}
	if s.Secrets == nil {
		return nil, greenlight.Errorf(greenlight.EUNAVAILABLE, "connected accounts need GREENLIGHT_SECRET_KEY")
	}
	hash := greenlight.HashToken(token)
	// Check the choice before using the token, so that a wrong choice can be corrected.
	st, err := s.Store.OAuthStateFor(ctx, pickNetwork(network), hash, s.now())
	if err != nil {
		if greenlight.ErrorCode(err) == greenlight.ENOTFOUND {
			return nil, greenlight.Errorf(greenlight.EMALFORMED, "unknown authorization; start again from the client's accounts page")
		}
		return nil, err
	}
	plain, err := s.Secrets.Open(st.Verifier, []byte(hash))
	if err != nil {
		return nil, err
	}
	var ids []publish.Identity
	if err := json.Unmarshal(plain, &ids); err != nil {
		return nil, err
	}
	i := slices.IndexFunc(ids, func(id publish.Identity) bool { return id.ID == identityID })
	if i < 0 {
		return nil, greenlight.Errorf(greenlight.EINVALID, "identity: not one of the accounts offered")
	}
	if _, err := s.Store.UseOAuthState(ctx, pickNetwork(network), hash, s.now()); err != nil {
		return nil, err
	}
	// The identities not picked (other Pages' tokens) are not kept.
	if err := s.Store.ClearOAuthState(ctx, pickNetwork(network), hash); err != nil {
		return nil, err
	}
	a, err := s.pendingAccount(ctx, st.AccountID)
	if err != nil {
		return nil, err
	}
	return s.connectIdentity(ctx, a, ids[i])
}

// pendingAccount returns the account an authorization connects; EGONE when it was
// removed meanwhile.
func (s *Service) pendingAccount(ctx context.Context, id string) (*store.Account, error) {
	a, err := s.Store.Account(ctx, id)
	if greenlight.ErrorCode(err) == greenlight.ENOTFOUND {
		return nil, greenlight.Errorf(greenlight.EGONE, "the account was removed while it was being connected; connect it again")
	}
	return a, err
}

// connectIdentity stores id's credentials, sealed, on the client's account publishing as
// it (a reconnection: the pending account goes) or on the pending account (a new one).
func (s *Service) connectIdentity(ctx context.Context, pending *store.Account, id publish.Identity) (*store.Account, error) {
	if id.ID == "" || id.Handle == "" {
		return nil, greenlight.Errorf(greenlight.EUNAVAILABLE, "%s answered an account without id or name; retry later", NetworkName(pending.Network))
	}
	target := pending.ID
	old, err := s.Store.AccountByRemoteID(ctx, pending.ClientID, pending.Network, id.ID)
	if greenlight.ErrorCode(err) == greenlight.ENOTFOUND {
		old, err = s.Store.AccountByHandle(ctx, pending.ClientID, pending.Network, id.Handle)
	}
	switch {
	case err == nil && old.ID != pending.ID:
		target = old.ID
	case err != nil && greenlight.ErrorCode(err) != greenlight.ENOTFOUND:
		return nil, err
	}
	var by *time.Time
	if !id.ReconnectBy.IsZero() {
		t := id.ReconnectBy.UTC()
		by = &t
	}
	conn := store.AccountConnection{Handle: id.Handle, RemoteID: id.ID, Credentials: s.Secrets.Seal(id.Credentials, []byte(target)), ReconnectBy: by}
	if err := s.Store.ConnectAccount(ctx, target, conn, s.now()); err != nil {
		return nil, err
	}
	if target != pending.ID {
		if err := s.Store.DeleteAccount(ctx, pending.ClientID, pending.ID); err != nil && greenlight.ErrorCode(err) != greenlight.ENOTFOUND {
			return nil, err
		}
		s.Log.Info("account reconnected", "client", pending.ClientID, "account", target, "network", pending.Network, "by", pending.CreatedBy)
	} else {
		s.Log.Info("account connected", "client", pending.ClientID, "account", target, "network", pending.Network, "by", pending.CreatedBy)
	}
	return s.Store.Account(ctx, target)
}

// noIdentity says why a token may publish as nothing on network.
func noIdentity(network string) string {
	switch network {
	case NetworkFacebook:
		return "this Facebook user manages no Page: Greenlight publishes as a Facebook Page, so create one or ask its admin for full control of it (and allow Greenlight access to it on Facebook's consent page)"
	case NetworkInstagram:
		return "none of the Pages this Facebook user manages is linked to an Instagram professional (business or creator) account: link the Instagram account to a Page in its settings, then connect again and allow access to that Page"
	case NetworkLinkedIn:
		return "this LinkedIn member can publish as no one: check that the app has the Share on LinkedIn product"
	}
	return NetworkName(network) + " gave no account to publish as"
}

// networkError turns a failed call to a network during the callback into an answer for
// the person connecting: what (the code, the list of accounts) was refused, limited or
// not answered.
func networkError(network, what string, err error) error {
	var pe *publish.Error
	msg := ""
	if errors.As(err, &pe) {
		msg = outbound.Sanitize(pe.Message, 200)
	}
	name := NetworkName(network)
	switch publish.KindOf(err) {
	case publish.KindAuth, publish.KindPermanent:
		return greenlight.Errorf(greenlight.EINVALID, "%s refused %s (%s); connect the account again", name, what, msg)
	case publish.KindRateLimit:
		d := time.Duration(0)
		if pe != nil {
			d = pe.RetryAfter
		}
		return greenlight.Errorf(greenlight.ETOOMANY, "%s is limiting requests; connect the account again in %s", name, d.Round(time.Second))
	}
	if msg == "" {
		msg = "no answer"
	}
	return greenlight.Errorf(greenlight.EUNAVAILABLE, "%s did not answer for %s (%s); connect the account again later", name, what, msg)
}
