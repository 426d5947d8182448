package publish

import (
	"context"
	"time"
)

// OAuthApp is the operator's app on a network, from the environment
// (GREENLIGHT_META_APP_ID/_SECRET, GREENLIGHT_LINKEDIN_CLIENT_ID/_SECRET,
// GREENLIGHT_X_CLIENT_ID/_SECRET). A zero app means the network is not configured.
type OAuthApp struct {
	ClientID     string
	ClientSecret string
}

// Configured reports whether the operator gave the app's credentials.
func (a OAuthApp) Configured() bool { return a.ClientID != "" && a.ClientSecret != "" }

// OAuthToken is what a network's token endpoint answered for the person who authorized
// Greenlight (Meta: already turned into a long-lived token).
type OAuthToken struct {
	AccessToken      string
	RefreshToken     string    // empty when the network gives none
	ExpiresAt        time.Time // zero: does not expire
	RefreshExpiresAt time.Time // zero: unknown or does not expire
	Scope            string
}

// Identity is one account the authorized person may publish as: a Facebook Page, an
// Instagram business account, a LinkedIn member or organization, an X user. The person
// picks one when there are several.
type Identity struct {
	ID     string // the network's id of the page, account, organization or user
	Kind   string // "page", "instagram", "member", "organization", "user"
	Handle string // what staff recognise: @name, the page's name, the organization's vanity name
	Name   string // display name
	// Credentials are the connector's own JSON for publishing as this identity (a Page's
	// token, the member's token and URN, …); sealed when stored, never shown.
	Credentials []byte
	// ReconnectBy is when the credentials stop working and cannot be refreshed (LinkedIn
	// without refresh tokens: 60 days); zero when they last until revoked or refresh
	// themselves. Shown in the UI; editors are reminded before it.
	ReconnectBy time.Time
}

// An OAuthProvider connects a network's accounts by OAuth 2.0 (authorization code, PKCE
// where the network supports it) with the operator's app. Each network package that
// publishes through OAuth provides one next to its Connector; the service runs the flow
// (state, verifier, callback, picking the identity, storing it) for all of them.
type OAuthProvider interface {
	// Network is the account network ("instagram", "facebook", "linkedin", "x").
	Network() string
	// Scopes are the permissions asked for, as the README tells operators to configure.
	Scopes() []string
	// PKCE reports whether AuthorizeURL/Exchange use a PKCE S256 challenge (X requires it).
	PKCE() bool
	// AuthorizeURL is the network's consent page for app, coming back to redirectURI with
	// state; challenge is the PKCE S256 challenge ("" when PKCE() is false).
	AuthorizeURL(app OAuthApp, redirectURI, state, challenge string) string
	// Exchange turns the callback's code into a token (verifier: the PKCE verifier, or "").
	// A refused code is a *Error of KindAuth with the network's message.
	Exchange(ctx context.Context, app OAuthApp, redirectURI, code, verifier string) (OAuthToken, error)
	// Identities lists what the token may publish as on this network (Meta: the Pages, or
	// the Instagram business accounts linked to them; LinkedIn: the member and the
	// organizations they administer; X: the user). Empty when there is nothing to publish
	// as: the service says so.
	Identities(ctx context.Context, app OAuthApp, tok OAuthToken) ([]Identity, error)
}

// A TokenRefresher is a Connector whose credentials expire or rotate (X, LinkedIn with
// refresh tokens). A background schedule calls KeepFresh for each active account of its
// network so that an account nobody publishes to for weeks still works on the day a post
// goes out: it refreshes acct's credentials through RefreshWith when they expire within
// ahead, and returns when a person must reconnect the account at the latest (zero: never,
// or unknown). A refused refresh is a *Error of KindAuth: the account needs a reconnection.
type TokenRefresher interface {
	KeepFresh(ctx context.Context, acct Account, ahead time.Duration) (reconnectBy time.Time, err error)
}
