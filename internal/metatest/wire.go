package metatest

import (
	"net/http"
	"time"

	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/publish/meta"
)

// App is the seeded Meta app, as the operator would configure it
// (GREENLIGHT_META_APP_ID/_SECRET).
func App() publish.OAuthApp { return publish.OAuthApp{ClientID: AppID, ClientSecret: AppSecret} }

// Connectors returns the Instagram and Facebook connectors pointed at s, with the app's
// secret (appsecret_proof on every call), calling it through
// hc (which must be allowed to reach loopback). Instagram accepts media URLs on loopback,
// which s fetches as Meta would; it polls containers every 10 ms for at most 10 s.
func (s *Server) Connectors(hc *http.Client) map[string]publish.Connector {
	ig := meta.NewInstagram(hc, s.Version)
	ig.GraphURL, ig.AppSecret = s.URL, AppSecret
	ig.AllowPrivateMediaURLs = true
	ig.PollInterval, ig.PollTimeout = 10*time.Millisecond, 10*time.Second
	fb := meta.NewFacebook(hc, s.Version)
	fb.GraphURL, fb.AppSecret = s.URL, AppSecret
	return map[string]publish.Connector{meta.InstagramNetwork: ig, meta.FacebookNetwork: fb}
}

// Providers returns the Instagram and Facebook OAuth providers pointed at s (dialog and
// Graph API alike).
func (s *Server) Providers(hc *http.Client) map[string]publish.OAuthProvider {
	out := map[string]publish.OAuthProvider{}
	for _, p := range []*meta.Provider{meta.NewInstagramProvider(hc, s.Version), meta.NewFacebookProvider(hc, s.Version)} {
		p.GraphURL, p.DialogURL = s.URL, s.URL
		out[p.Network()] = p
	}
	return out
}
