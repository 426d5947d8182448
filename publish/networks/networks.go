// Package networks lists the network publishers (publish.Connector) and OAuth providers
// (publish.OAuthProvider) Greenlight ships, for the processes that publish (worker, dev),
// check posts against network rules and connect accounts (api).
package networks

import (
	"net/http"

	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/publish/bluesky"
	"github.com/greenlight/greenlight/publish/linkedin"
	"github.com/greenlight/greenlight/publish/mastodon"
	"github.com/greenlight/greenlight/publish/meta"
	"github.com/greenlight/greenlight/publish/x"
)

// Config is the operator's network settings: the OAuth apps by network ("instagram" and
// "facebook" share Meta's app), and versions that networks retire.
type Config struct {
	Apps map[string]publish.OAuthApp
	// LinkedInVersion is the LinkedIn-Version header (YYYYMM), GREENLIGHT_LINKEDIN_VERSION.
	LinkedInVersion string
	// LinkedInOrganizations says the LinkedIn app has the Community Management API
	// product: Greenlight then asks for the organization scopes and offers the Pages the
	// member administers, GREENLIGHT_LINKEDIN_ORGANIZATIONS.
	LinkedInOrganizations bool
	// MetaGraphVersion is the Graph API version (e.g. v21.0), GREENLIGHT_META_GRAPH_VERSION.
	MetaGraphVersion string
	// PublicURL is GREENLIGHT_PUBLIC_URL: Instagram fetches media from it, so its rules
	// refuse media posts at save time when it is not a public https address.
	PublicURL string
}

// App returns the operator's app for network (zero when not configured).
func (c Config) App(network string) publish.OAuthApp { return c.Apps[network] }

// Connectors returns every shipped connector by network name, each reaching networks
// through hc (the shared outbound client). Instagram and Facebook are included only when
// the operator configured the Meta app (cfg.App): without it no account can be connected,
// and those channels keep going to the client's webhook as before. Every process that
// publishes (worker, dev) must therefore be given the Meta app too.
func Connectors(hc *http.Client, cfg Config) map[string]publish.Connector {
	conns := map[string]publish.Connector{
		bluesky.Network:  bluesky.Connector{HTTP: hc},
		mastodon.Network: mastodon.NewConnector(hc),
	}
	// The OAuth networks only with the operator's app: their accounts are connected and
	// their tokens refreshed with the app's credentials, so without them no account can
	// work; their channel then goes to the client's webhook (or the dev publisher).
	if app := cfg.App(x.Network); app.Configured() {
		conns[x.Network] = x.New(hc, app)
	}
	if app := cfg.App(linkedin.Network); app.Configured() {
		conns[linkedin.Network] = linkedin.NewConnector(hc, app, cfg.LinkedInVersion)
	}
	if app := cfg.App(meta.InstagramNetwork); app.Configured() {
		ig := meta.NewInstagram(hc, cfg.MetaGraphVersion)
		ig.PublicURL, ig.AppSecret = cfg.PublicURL, app.ClientSecret
		conns[meta.InstagramNetwork] = ig
	}
	if app := cfg.App(meta.FacebookNetwork); app.Configured() {
		fb := meta.NewFacebook(hc, cfg.MetaGraphVersion)
		fb.AppSecret = app.ClientSecret
		conns[meta.FacebookNetwork] = fb
	}
	return conns
}

// Providers returns the OAuth providers of the networks connected with the operator's
// app, by network name; a network whose app is not configured is still listed (the
// service answers "not configured: set …" for it).
func Providers(hc *http.Client, cfg Config) map[string]publish.OAuthProvider {
	return map[string]publish.OAuthProvider{
		x.Network:        x.New(hc, cfg.App(x.Network)),
		linkedin.Network: &linkedin.Provider{HTTP: hc, Version: cfg.LinkedInVersion, Organizations: cfg.LinkedInOrganizations},
		// Both use the operator's one Meta app (GREENLIGHT_META_APP_ID/_SECRET), given to
		// them as cfg.App("instagram") and cfg.App("facebook"); the Graph API version
		// defaults to meta.DefaultVersion.
		meta.InstagramNetwork: meta.NewInstagramProvider(hc, cfg.MetaGraphVersion),
		meta.FacebookNetwork:  meta.NewFacebookProvider(hc, cfg.MetaGraphVersion),
	}
}
