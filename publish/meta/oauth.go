package meta

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/greenlight/greenlight/publish"
)

// Scopes asked by Facebook Login for each network (developers.facebook.com/docs/permissions).
var (
	// FacebookScopes let Greenlight list the person's Pages and post on them.
	FacebookScopes = []string{"pages_show_list", "pages_read_engagement", "pages_manage_posts"}
	// InstagramScopes let Greenlight list the Pages, their linked Instagram business
	// accounts, and publish to those accounts.
	InstagramScopes = []string{"pages_show_list", "pages_read_engagement", "instagram_basic", "instagram_content_publish"}
)

// Provider connects Facebook Pages or the Instagram business accounts linked to them by
// Facebook Login with the operator's Meta app (publish.OAuthProvider): the dialog at
// DialogURL, the code exchanged at GraphURL's oauth/access_token then turned into a
// long-lived user token (fb_exchange_token), and the identities read from /me/accounts,
// each carrying its Page token (which, obtained from a long-lived user token, does not
// expire).
type Provider struct {
	HTTP      *http.Client
	GraphURL  string // default DefaultGraphURL
	DialogURL string // default DefaultDialogURL
	Version   string // default DefaultVersion

	network string
}

// NewInstagramProvider returns the provider of "instagram" accounts.
func NewInstagramProvider(hc *http.Client, version string) *Provider {
	return &Provider{HTTP: hc, GraphURL: DefaultGraphURL, DialogURL: DefaultDialogURL, Version: version, network: InstagramNetwork}
}

// NewFacebookProvider returns the provider of "facebook" accounts (Pages).
func NewFacebookProvider(hc *http.Client, version string) *Provider {
	return &Provider{HTTP: hc, GraphURL: DefaultGraphURL, DialogURL: DefaultDialogURL, Version: version, network: FacebookNetwork}
}

// Network returns "instagram" or "facebook".
func (p *Provider) Network() string { return p.network }

// Scopes returns the permissions asked for.
func (p *Provider) Scopes() []string {
	if p.network == InstagramNetwork {
		return append([]string(nil), InstagramScopes...)
	}
	return append([]string(nil), FacebookScopes...)
}

// PKCE returns false: Facebook Login's web flow uses the app secret.
func (p *Provider) PKCE() bool { return false }

func (p *Provider) version() string {
	if p.Version == "" {
		return DefaultVersion
	}
	return p.Version
}

func (p *Provider) graph() graph { return newGraph(p.HTTP, p.GraphURL, p.version(), p.network) }

// AuthorizeURL is Facebook Login's dialog for app, coming back to redirectURI with code and
// state.
func (p *Provider) AuthorizeURL(app publish.OAuthApp, redirectURI, state, challenge string) string {
	base := p.DialogURL
	if base == "" {
		base = DefaultDialogURL
	}
	q := url.Values{
		"client_id":     {app.ClientID},
		"redirect_uri":  {redirectURI},
		"state":         {state},
		"response_type": {"code"},
		"scope":         {strings.Join(p.Scopes(), ",")},
	}
	return strings.TrimRight(base, "/") + "/" + p.version() + "/dialog/oauth?" + q.Encode()
}

type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// Exchange turns the code into a user token, then into a long-lived one (about 60 days;
// only used to read the Pages' tokens, which do not expire). A refused code or secret is a
// *publish.Error of KindAuth with Meta's message.
func (p *Provider) Exchange(ctx context.Context, app publish.OAuthApp, redirectURI, code, verifier string) (publish.OAuthToken, error) {
	g := p.graph()
	var short tokenAnswer
	err := g.get(ctx, "GET /oauth/access_token", "oauth/access_token", "", url.Values{
		"client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "redirect_uri": {redirectURI}, "code": {code},
	}, &short)
	if err != nil {
		return publish.OAuthToken{}, p.authError(err)
	}
	var long tokenAnswer
	err = g.get(ctx, "GET /oauth/access_token (fb_exchange_token)", "oauth/access_token", "", url.Values{
		"grant_type": {"fb_exchange_token"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "fb_exchange_token": {short.AccessToken},
	}, &long)
	if err != nil {
		return publish.OAuthToken{}, p.authError(err)
	}
	if long.AccessToken == "" {
		return publish.OAuthToken{}, &publish.Error{Kind: publish.KindAuth, Network: p.network, Message: "Meta answered no access token"}
	}
	tok := publish.OAuthToken{AccessToken: long.AccessToken, Scope: strings.Join(p.Scopes(), ",")}
	if long.ExpiresIn > 0 {
		tok.ExpiresAt = time.Now().Add(time.Duration(long.ExpiresIn) * time.Second)
	}
	return tok, nil
}

// authError: a 4xx on the token endpoint is a refused code or app (KindAuth); the rest keep
// their kind (a 5xx or a lost answer can be tried again).
func (p *Provider) authError(err error) error {
	pe := publishError(p.network, err)
	if ae, ok := err.(*apiError); ok && ae.status >= 400 && ae.status < 500 && pe.Kind != publish.KindRateLimit {
		pe.Kind = publish.KindAuth
	}
	return pe
}

type pageAnswer struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	AccessToken string   `json:"access_token"`
	Tasks       []string `json:"tasks"`
	IG          *struct {
		ID       string `json:"id"`
		Username string `json:"username"`
		Name     string `json:"name"`
	} `json:"instagram_business_account"`
}

// Identities lists what tok may publish as: for "facebook" the Pages on which the person
// may create content (Kind "page"); for "instagram" the Instagram business accounts linked
// to those Pages (Kind "instagram", Handle "@username"). Each carries Credentials (JSON
// Credentials with the Page token). Pages are read from /me/accounts, following its
// cursors.
func (p *Provider) Identities(ctx context.Context, app publish.OAuthApp, tok publish.OAuthToken) ([]publish.Identity, error) {
	g := p.graph()
	g.appSecret = app.ClientSecret
	var out []publish.Identity
	after := ""
	for range 20 { // 20 pages of 100: more Pages than anyone manages
		params := url.Values{"fields": {"id,name,access_token,tasks,instagram_business_account{id,username,name}"}, "limit": {"100"}}
		if after != "" {
			params.Set("after", after)
		}
		var list struct {
			Data   []pageAnswer `json:"data"`
			Paging struct {
				Cursors struct {
					After string `json:"after"`
				} `json:"cursors"`
				Next string `json:"next"`
			} `json:"paging"`
		}
		if err := g.get(ctx, "GET /me/accounts", "me/accounts", tok.AccessToken, params, &list); err != nil {
			return nil, publishError(p.network, err)
		}
		for _, pg := range list.Data {
			if pg.AccessToken == "" || !canPost(pg.Tasks) {
				continue
			}
			cred := Credentials{PageID: pg.ID, PageName: pg.Name, PageToken: pg.AccessToken}
			if p.network == FacebookNetwork {
				b, _ := json.Marshal(cred)
				out = append(out, publish.Identity{ID: pg.ID, Kind: "page", Handle: pg.Name, Name: pg.Name, Credentials: b})
				continue
			}
			if pg.IG == nil || pg.IG.ID == "" {
				continue
			}
			cred.IGUserID, cred.IGUsername = pg.IG.ID, pg.IG.Username
			b, _ := json.Marshal(cred)
			name := pg.IG.Name
			if name == "" {
				name = pg.Name
			}
			out = append(out, publish.Identity{ID: pg.IG.ID, Kind: "instagram", Handle: "@" + pg.IG.Username, Name: name, Credentials: b})
		}
		if list.Paging.Next == "" || list.Paging.Cursors.After == "" {
			break
		}
		after = list.Paging.Cursors.After
	}
	return out, nil
}

// canPost: a Page the person may create content on (tasks absent: Meta did not say, keep it).
func canPost(tasks []string) bool {
	if len(tasks) == 0 {
		return true
	}
	for _, t := range tasks {
		if t == "CREATE_CONTENT" || t == "MANAGE" {
			return true
		}
	}
	return false
}

var _ publish.OAuthProvider = (*Provider)(nil)

// Credentials is what a connected Instagram or Facebook account keeps, sealed: the Page's
// access token (it does not expire when obtained from a long-lived user token) and the ids
// to publish as.
type Credentials struct {
	PageID     string `json:"page_id"`
	PageName   string `json:"page_name,omitempty"`
	PageToken  string `json:"page_token"`
	IGUserID   string `json:"ig_user_id,omitempty"` // Instagram only: the business account
	IGUsername string `json:"ig_username,omitempty"`
}

func openCredentials(network string, raw []byte, needIG bool) (Credentials, error) {
	var c Credentials
	if err := json.Unmarshal(raw, &c); err != nil || c.PageToken == "" || (needIG && c.IGUserID == "") || (!needIG && c.PageID == "") {
		return c, &publish.Error{Kind: publish.KindAuth, Network: network, Message: "the account has no usable Page token; connect it again"}
	}
	return c, nil
}
