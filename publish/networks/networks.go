// Package networks lists the network publishers (publish.Connector) and OAuth providers
// (publish.OAuthProvider) Greenlight ships, for the processes that publish (worker, dev),
// check posts against network rules and connect accounts (api).
package networks

import (
	"net/http"

	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/publish/bluesky"
	"github.com/greenlight/greenlight/publish/mastodon"
)

// Config is the operator's network settings: the OAuth apps by network ("instagram" and
// "facebook" share Meta's app), and versions that networks retire.
type Config struct {
	Apps map[string]publish.OAuthApp
	// LinkedInVersion is the LinkedIn-Version header (YYYYMM), GREENLIGHT_LINKEDIN_VERSION.
	LinkedInVersion string
	// MetaGraphVersion is the Graph API version (e.g. v21.0), GREENLIGHT_META_GRAPH_VERSION.
	MetaGraphVersion string
}

// App returns the operator's app for network (zero when not configured).
func (c Config) App(network string) publish.OAuthApp { return c.Apps[network] }

// Connectors returns every shipped connector by network name, each reaching networks
// through hc (the shared outbound client).
func Connectors(hc *http.Client, cfg Config) map[string]publish.Connector {
	return map[string]publish.Connector{
		bluesky.Network:  bluesky.Connector{HTTP: hc},
		mastodon.Network: mastodon.NewConnector(hc),
	}
}

// Providers returns the OAuth providers of the networks connected with the operator's
// app, by network name; a network whose app is not configured is still listed (the
// service answers "not configured: set …" for it).
func Providers(hc *http.Client, cfg Config) map[string]publish.OAuthProvider {
	return map[string]publish.OAuthProvider{}
}
