package linkedin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/greenlight/greenlight/publish"
)

// Scopes Greenlight asks for.
var (
	// MemberScopes come with the self-serve products "Sign In with LinkedIn using OpenID
	// Connect" (openid, profile: who the member is) and "Share on LinkedIn"
	// (w_member_social: post as the member).
	MemberScopes = []string{"openid", "profile", "w_member_social"}
	// OrganizationScopes come with the "Community Management API" product, which LinkedIn
	// grants after a review: list the Pages the member administers (r_organization_admin)
	// and post as them (w_organization_social). Asked for only when the operator says the
	// app has them (GREENLIGHT_LINKEDIN_ORGANIZATIONS): LinkedIn refuses the whole
	// authorization when an app asks for a scope it was not granted.
	OrganizationScopes = []string{"w_organization_social", "r_organization_admin"}
)

// Identity kinds.
const (
	KindMember       = "member"
	KindOrganization = "organization"
)

// Credentials is what a connected LinkedIn account keeps, sealed: the member's token and
// the author the account publishes as (the member's person URN, or an organization's URN
// for a Page).
type Credentials struct {
	AccessToken      string    `json:"access_token"`
	ExpiresAt        time.Time `json:"expires_at,omitzero"`
	RefreshToken     string    `json:"refresh_token,omitempty"`
	RefreshExpiresAt time.Time `json:"refresh_expires_at,omitzero"`
	Scope            string    `json:"scope,omitempty"`
	// Author is the URN posts are created as: urn:li:person:{sub} or urn:li:organization:{id}.
	Author string `json:"author"`
	// Member is the person URN of whoever authorized Greenlight.
	Member string `json:"member"`
}

// ReconnectBy is when a person must reconnect the account at the latest: the refresh
// token's expiry when there is one (LinkedIn does not extend it when refreshing), else the
// access token's; zero when unknown.
func (c Credentials) ReconnectBy() time.Time {
	if c.RefreshToken != "" {
		return c.RefreshExpiresAt
	}
	return c.ExpiresAt
}

// Provider connects LinkedIn members and the Pages they administer (publish.OAuthProvider).
// LinkedIn's web flow has no PKCE (it is for native apps only); state protects the callback.
type Provider struct {
	HTTP *http.Client
	// AuthURL and APIURL default to DefaultAuthURL and DefaultAPIURL (tests point them at
	// internal/linkedintest).
	AuthURL, APIURL string
	// Version is the LinkedIn-Version header (default DefaultVersion).
	Version string
	// Organizations asks for OrganizationScopes and lists the Pages the member
	// administers as identities: the app must have the Community Management API product.
	Organizations bool
}

var _ publish.OAuthProvider = (*Provider)(nil)

func (p *Provider) client() *client { return newClient(p.HTTP, p.AuthURL, p.APIURL, p.Version) }

// Network returns "linkedin".
func (p *Provider) Network() string { return Network }

// Scopes returns MemberScopes, plus OrganizationScopes when Organizations is set.
func (p *Provider) Scopes() []string {
	s := append([]string(nil), MemberScopes...)
	if p.Organizations {
		s = append(s, OrganizationScopes...)
	}
	return s
}

// PKCE reports false: LinkedIn supports PKCE for native clients only.
func (p *Provider) PKCE() bool { return false }

// AuthorizeURL returns LinkedIn's consent page for app.
func (p *Provider) AuthorizeURL(app publish.OAuthApp, redirectURI, state, _ string) string {
	q := url.Values{
		"response_type": {"code"},
		"client_id":     {app.ClientID},
		"redirect_uri":  {redirectURI},
		"state":         {state},
		"scope":         {strings.Join(p.Scopes(), " ")},
	}
	return p.client().authURL + "/oauth/v2/authorization?" + q.Encode()
}

// Exchange trades the callback's code for the member's token (60 days; with a refresh
// token of 365 days for partner apps). A refused code (used, expired, another redirect
// URI) is a KindAuth *publish.Error with LinkedIn's message.
func (p *Provider) Exchange(ctx context.Context, app publish.OAuthApp, redirectURI, code, _ string) (publish.OAuthToken, error) {
	return p.client().token(ctx, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {redirectURI},
		"client_id":     {app.ClientID},
		"client_secret": {app.ClientSecret},
	})
}

// Identities lists the member (GET /v2/userinfo: urn:li:person:{sub}) and, when
// Organizations is set and the token was granted r_organization_admin, each Page the
// member administers (organizationAcls with role ADMINISTRATOR and state APPROVED, named
// through the Organization Lookup API). Each identity's Credentials carry the token and
// the author URN; ReconnectBy is when the token (or refresh token) expires.
func (p *Provider) Identities(ctx context.Context, _ publish.OAuthApp, tok publish.OAuthToken) ([]publish.Identity, error) {
	c := p.client()
	var me struct {
		Sub  string `json:"sub"`
		Name string `json:"name"`
	}
	if err := c.getJSON(ctx, tok.AccessToken, "/v2/userinfo", "GET /v2/userinfo", false, &me); err != nil {
		return nil, err
	}
	if me.Sub == "" {
		return nil, &publish.Error{Kind: publish.KindPermanent, Network: Network, Message: "GET /v2/userinfo: the answer has no sub"}
	}
	member := "urn:li:person:" + me.Sub
	cred := Credentials{AccessToken: tok.AccessToken, ExpiresAt: tok.ExpiresAt, RefreshToken: tok.RefreshToken,
		RefreshExpiresAt: tok.RefreshExpiresAt, Scope: tok.Scope, Member: member}
	identity := func(id, kind, handle, name string) (publish.Identity, error) {
		cr := cred
		cr.Author = id
		raw, err := json.Marshal(cr)
		if err != nil {
			return publish.Identity{}, err
		}
		return publish.Identity{ID: id, Kind: kind, Handle: handle, Name: name, Credentials: raw, ReconnectBy: cr.ReconnectBy()}, nil
	}
	m, err := identity(member, KindMember, me.Name, me.Name)
	if err != nil {
		return nil, err
	}
	out := []publish.Identity{m}
	if !p.Organizations || (tok.Scope != "" && !hasScope(tok.Scope, "r_organization_admin", "rw_organization_admin")) {
		return out, nil
	}
	orgs, err := administered(ctx, c, tok.AccessToken)
	if err != nil {
		return nil, err
	}
	for _, o := range orgs {
		id, err := identity(o.urn, KindOrganization, o.vanity, o.name)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

// hasScope reports whether granted (LinkedIn separates scopes with commas; spaces are
// accepted too) holds one of want.
func hasScope(granted string, want ...string) bool {
	for _, g := range strings.FieldsFunc(granted, func(r rune) bool { return r == ',' || r == ' ' }) {
		for _, w := range want {
			if g == w {
				return true
			}
		}
	}
	return false
}

type organization struct{ urn, name, vanity string }

// administered lists the organizations the token's member administers, paging through
// organizationAcls (100 at a time, at most 1000), and names each.
func administered(ctx context.Context, c *client, token string) ([]organization, error) {
	const count = 100
	var urns []string
	for start := 0; start < 1000; start += count {
		var page struct {
			Elements []struct {
				Organization string `json:"organization"`
				Target       string `json:"organizationalTarget"` // the name before organizationAcls
				Role         string `json:"role"`
				State        string `json:"state"`
			} `json:"elements"`
			Paging struct {
				Total int `json:"total"`
			} `json:"paging"`
		}
		path := fmt.Sprintf("/rest/organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED&start=%d&count=%d", start, count)
		if err := c.getJSON(ctx, token, path, "GET /rest/organizationAcls", true, &page); err != nil {
			return nil, err
		}
		for _, e := range page.Elements {
			if e.Organization == "" {
				e.Organization = e.Target
			}
			if e.Role == "ADMINISTRATOR" && e.State == "APPROVED" && strings.HasPrefix(e.Organization, "urn:li:organization:") {
				urns = append(urns, e.Organization)
			}
		}
		if len(page.Elements) < count || (page.Paging.Total > 0 && start+count >= page.Paging.Total) {
			break
		}
	}
	out := make([]organization, 0, len(urns))
	for _, urn := range urns {
		id := strings.TrimPrefix(urn, "urn:li:organization:")
		var o struct {
			LocalizedName string `json:"localizedName"`
			VanityName    string `json:"vanityName"`
		}
		if err := c.getJSON(ctx, token, "/rest/organizations/"+url.PathEscape(id), "GET /rest/organizations/{id}", true, &o); err != nil {
			return nil, err
		}
		name := o.LocalizedName
		if name == "" {
			name = urn
		}
		vanity := o.VanityName
		if vanity == "" {
			vanity = name
		}
		out = append(out, organization{urn: urn, name: name, vanity: vanity})
	}
	return out, nil
}
