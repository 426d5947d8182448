package x

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/greenlight/greenlight/publish"
)

// Scopes returns the scopes asked for (see the package variable Scopes).
func (c *Connector) Scopes() []string { return append([]string(nil), Scopes...) }

// PKCE reports true: X requires PKCE (S256) for the authorization code flow.
func (c *Connector) PKCE() bool { return true }

// AuthorizeURL is X's consent page for app, coming back to redirectURI with state;
// challenge is the PKCE S256 challenge.
func (c *Connector) AuthorizeURL(app publish.OAuthApp, redirectURI, state, challenge string) string {
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {app.ClientID},
		"redirect_uri":          {redirectURI},
		"scope":                 {strings.Join(Scopes, " ")},
		"state":                 {state},
		"code_challenge":        {challenge},
		"code_challenge_method": {"S256"},
	}
	return strings.TrimSuffix(c.AuthURL, "/") + "/i/oauth2/authorize?" + q.Encode()
}

// tokenAnswer is POST /2/oauth2/token's answer.
type tokenAnswer struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	AccessToken  string `json:"access_token"`
	Scope        string `json:"scope"`
	RefreshToken string `json:"refresh_token"`
}

// token calls the token endpoint as a confidential client (HTTP Basic with the app's id
// and secret, client_id repeated in the form as X's examples do).
func (c *Connector) token(ctx context.Context, app publish.OAuthApp, form url.Values) (publish.OAuthToken, error) {
	form.Set("client_id", app.ClientID)
	var a tokenAnswer
	err := c.do(ctx, request{method: "POST", url: strings.TrimSuffix(c.APIURL, "/") + "/2/oauth2/token", op: "POST /2/oauth2/token",
		basic: &app, contentType: "application/x-www-form-urlencoded", body: []byte(form.Encode())}, &a)
	if err != nil {
		return publish.OAuthToken{}, err
	}
	if a.AccessToken == "" {
		return publish.OAuthToken{}, &apiError{op: "POST /2/oauth2/token", status: 200, message: "no access token in the answer"}
	}
	tok := publish.OAuthToken{AccessToken: a.AccessToken, RefreshToken: a.RefreshToken, Scope: a.Scope}
	if a.ExpiresIn > 0 {
		tok.ExpiresAt = c.clock().Add(time.Duration(a.ExpiresIn) * time.Second).UTC()
	}
	return tok, nil
}

// tokenError turns a token endpoint failure into a *publish.Error: a refused code or
// refresh token (4xx) is KindAuth with X's message; 5xx and lost answers stay retryable.
func tokenError(err error) *publish.Error {
	e, ok := err.(*apiError)
	if !ok {
		return &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: "token request failed", Err: err}
	}
	kind := e.kind()
	if e.status >= 400 && e.status < 500 && e.status != 429 && e.status != 408 {
		kind = publish.KindAuth
	}
	return e.publish(kind)
}

// Exchange turns the callback's code into tokens (verifier: the PKCE verifier). A refused
// code is a *publish.Error of KindAuth with X's message.
func (c *Connector) Exchange(ctx context.Context, app publish.OAuthApp, redirectURI, code, verifier string) (publish.OAuthToken, error) {
	tok, err := c.token(ctx, app, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {redirectURI},
		"code_verifier": {verifier},
	})
	if err != nil {
		return publish.OAuthToken{}, tokenError(err)
	}
	return tok, nil
}

// User is GET /2/users/me's answer.
type User struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Username string `json:"username"`
}

// Me returns the user the access token belongs to.
func (c *Connector) Me(ctx context.Context, accessToken string) (User, error) {
	var a struct {
		Data User `json:"data"`
	}
	err := c.do(ctx, request{method: "GET", url: strings.TrimSuffix(c.APIURL, "/") + "/2/users/me", op: "GET /2/users/me", token: accessToken}, &a)
	if err != nil {
		return User{}, err
	}
	if a.Data.ID == "" {
		return User{}, &apiError{op: "GET /2/users/me", status: 200, message: "no user in the answer"}
	}
	return a.Data, nil
}

// Identities returns the one X user the token belongs to (Kind "user", Handle "@username"),
// with its Credentials. X tokens refresh themselves: ReconnectBy is zero.
func (c *Connector) Identities(ctx context.Context, app publish.OAuthApp, tok publish.OAuthToken) ([]publish.Identity, error) {
	u, err := c.Me(ctx, tok.AccessToken)
	var e *apiError
	if errors.As(err, &e) {
		return nil, e.publish(e.kind())
	}
	if err != nil {
		return nil, err
	}
	cred, err := json.Marshal(Credentials{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, ExpiresAt: tok.ExpiresAt,
		RefreshExpiresAt: tok.RefreshExpiresAt, Scope: tok.Scope, UserID: u.ID, Username: u.Username})
	if err != nil {
		return nil, err
	}
	return []publish.Identity{{ID: u.ID, Kind: "user", Handle: "@" + u.Username, Name: u.Name, Credentials: cred}}, nil
}

// refreshed returns acct's credentials, refreshed through publish.RefreshWith when the
// access token expires within ahead or, with stale set, when the stored access token is
// still stale (the one X just refused). Inside the refresh the stored credentials are
// checked again: another publication or process may have refreshed them meanwhile, and a
// refresh token works only once. acct.Credentials is updated to what is now current.
func (c *Connector) refreshed(ctx context.Context, acct *publish.Account, ahead time.Duration, stale string) (Credentials, error) {
	cred, err := parseCredentials(acct.Credentials)
	if err != nil {
		return Credentials{}, err
	}
	if stale == "" && !c.expiring(cred, ahead) {
		return cred, nil
	}
	next, err := publish.RefreshWith(ctx, *acct, func(current []byte) ([]byte, error) {
		cur, err := parseCredentials(current)
		if err != nil {
			return nil, err
		}
		if stale != "" && cur.AccessToken != stale {
			return current, nil // refreshed meanwhile
		}
		if stale == "" && !c.expiring(cur, ahead) {
			return current, nil // refreshed meanwhile
		}
		if cur.RefreshToken == "" {
			return nil, &publish.Error{Kind: publish.KindAuth, Network: Network, Message: "the access token expired and there is no refresh token: connect the account again"}
		}
		tok, err := c.token(ctx, c.App, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {cur.RefreshToken}})
		if err != nil {
			return nil, tokenError(err)
		}
		cur.AccessToken, cur.ExpiresAt = tok.AccessToken, tok.ExpiresAt
		if tok.RefreshToken != "" {
			cur.RefreshToken = tok.RefreshToken
		}
		if tok.Scope != "" {
			cur.Scope = tok.Scope
		}
		return json.Marshal(cur)
	})
	if err != nil {
		return Credentials{}, err
	}
	acct.Credentials = next
	return parseCredentials(next)
}

func (c *Connector) expiring(cred Credentials, ahead time.Duration) bool {
	return !cred.ExpiresAt.IsZero() && !cred.ExpiresAt.After(c.clock().Add(ahead))
}

func parseCredentials(b []byte) (Credentials, error) {
	var cred Credentials
	if err := json.Unmarshal(b, &cred); err != nil || cred.AccessToken == "" {
		return Credentials{}, &publish.Error{Kind: publish.KindAuth, Network: Network, Message: "the account has no access token: connect it again"}
	}
	return cred, nil
}

// KeepFresh refreshes acct's tokens through publish.RefreshWith when the access token
// expires within ahead (X access tokens last two hours; the rotating refresh token keeps
// the account alive as long as it is used). A refused refresh is a *publish.Error of
// KindAuth. X gives no date by which the account must be reconnected: the answer is zero
// unless the credentials carry one.
func (c *Connector) KeepFresh(ctx context.Context, acct publish.Account, ahead time.Duration) (time.Time, error) {
	cred, err := c.refreshed(ctx, &acct, ahead, "")
	if err != nil {
		return time.Time{}, err
	}
	return cred.RefreshExpiresAt, nil
}
