package linkedin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/greenlight/greenlight/publish"
)

// Connector publishes to LinkedIn as a member or an organization (publish.Connector), and
// keeps partner apps' tokens fresh (publish.TokenRefresher).
type Connector struct {
	HTTP *http.Client
	// App is the operator's LinkedIn app (refreshing a token needs its secret).
	App publish.OAuthApp
	// Version is the LinkedIn-Version header (default DefaultVersion).
	Version string
	// AuthURL and APIURL default to DefaultAuthURL and DefaultAPIURL.
	AuthURL, APIURL string
	// RefreshAhead: before publishing, a token that expires within it is refreshed first
	// (when there is a refresh token).
	RefreshAhead time.Duration
	// PollInterval and PollTimeout bound the wait for an uploaded image to become
	// AVAILABLE; after PollTimeout the publication is retried later (KindRetryable).
	PollInterval, PollTimeout time.Duration

	now func() time.Time
}

var (
	_ publish.Connector      = (*Connector)(nil)
	_ publish.TokenRefresher = (*Connector)(nil)
)

// NewConnector returns a connector making every call through hc (the outbound client)
// with the operator's app and LinkedIn-Version (empty: DefaultVersion).
func NewConnector(hc *http.Client, app publish.OAuthApp, version string) *Connector {
	return &Connector{HTTP: hc, App: app, Version: version, RefreshAhead: 10 * time.Minute,
		PollInterval: time.Second, PollTimeout: 2 * time.Minute}
}

// Network returns "linkedin".
func (c *Connector) Network() string { return Network }

func (c *Connector) client() *client {
	cl := newClient(c.HTTP, c.AuthURL, c.APIURL, c.Version)
	if c.now != nil {
		cl.now = c.now
	}
	return cl
}

// Validate checks p against LinkedIn's rules (CheckRules); it needs no account.
func (c *Connector) Validate(_ context.Context, _ publish.Account, p publish.Post) error {
	return CheckRules(p)
}

// Publish uploads p's images or video (invisible, safe to repeat), then makes the one create (POST
// /rest/posts) as the account's author. Errors are *publish.Error: a 401 refreshes the
// token once when there is a refresh token, then KindAuth; 403 KindAuth; 429
// KindRateLimit (Retry-After, or the next midnight UTC for a daily limit); 5xx and
// network errors before the create KindRetryable; a create whose answer is lost (sent, no
// answer; a 502/504 from a gateway; a 201 without x-restli-id) KindAmbiguous — never
// retried blindly, as LinkedIn has no idempotency key; 422 (a duplicate, invalid content)
// and a retired LinkedIn-Version (426) KindPermanent with LinkedIn's message.
func (c *Connector) Publish(ctx context.Context, acct publish.Account, p publish.Post) (publish.Result, error) {
	s, err := c.session(acct)
	if err != nil {
		return publish.Result{}, err
	}
	if err := CheckRules(p); err != nil {
		return publish.Result{}, &publish.Error{Kind: publish.KindPermanent, Network: Network, Message: err.Error(), Err: err}
	}
	if err := s.fresh(ctx, c.RefreshAhead); err != nil {
		return publish.Result{}, err
	}
	images := make([]mediaRef, 0, len(p.Media))
	for i, m := range p.Media {
		if strings.HasPrefix(m.ContentType, "video/") {
			urn, err := s.uploadVideo(ctx, m)
			if err != nil {
				return publish.Result{}, err
			}
			images = append(images, mediaRef{ID: urn, Title: p.Title})
			continue
		}
		urn, err := s.uploadImage(ctx, m, i)
		if err != nil {
			return publish.Result{}, err
		}
		images = append(images, mediaRef{ID: urn, AltText: m.Alt})
	}
	body := postBody{
		Author: s.cred.Author, Commentary: Commentary(p.Text), Visibility: "PUBLIC",
		Distribution:   distribution{FeedDistribution: "MAIN_FEED", TargetEntities: []string{}, ThirdPartyDistributionChannels: []string{}},
		LifecycleState: "PUBLISHED",
	}
	switch len(images) {
	case 0:
	case 1:
		body.Content = &content{Media: &images[0]}
	default:
		body.Content = &content{MultiImage: &multiImage{Images: images}}
	}
	urn, err := s.create(ctx, body)
	if err != nil {
		return publish.Result{}, err
	}
	return publish.Result{RemoteID: urn, URL: "https://www.linkedin.com/feed/update/" + urn}, nil
}

// KeepFresh refreshes acct's token through publish.RefreshWith when it expires within
// ahead and there is a refresh token (partner apps), and returns when the account must be
// reconnected at the latest (Credentials.ReconnectBy). A refused refresh is KindAuth.
func (c *Connector) KeepFresh(ctx context.Context, acct publish.Account, ahead time.Duration) (time.Time, error) {
	s, err := c.session(acct)
	if err != nil {
		return time.Time{}, err
	}
	if s.cred.RefreshToken != "" && s.expiring(s.cred, ahead) {
		if err := s.refresh(ctx, func(cur Credentials) bool { return !s.expiring(cur, ahead) }); err != nil {
			return s.cred.ReconnectBy(), err
		}
	}
	return s.cred.ReconnectBy(), nil
}

// The Posts API's request body.
type (
	postBody struct {
		Author                    string       `json:"author"`
		Commentary                string       `json:"commentary"`
		Visibility                string       `json:"visibility"`
		Distribution              distribution `json:"distribution"`
		Content                   *content     `json:"content,omitempty"`
		LifecycleState            string       `json:"lifecycleState"`
		IsReshareDisabledByAuthor bool         `json:"isReshareDisabledByAuthor"`
	}
	distribution struct {
		FeedDistribution               string   `json:"feedDistribution"`
		TargetEntities                 []string `json:"targetEntities"`
		ThirdPartyDistributionChannels []string `json:"thirdPartyDistributionChannels"`
	}
	content struct {
		Media      *mediaRef   `json:"media,omitempty"`
		MultiImage *multiImage `json:"multiImage,omitempty"`
	}
	mediaRef struct {
		ID      string `json:"id"`
		AltText string `json:"altText,omitempty"` // images
		Title   string `json:"title,omitempty"`   // videos
	}
	multiImage struct {
		Images []mediaRef `json:"images"`
	}
)

// session is one publication's (or refresh's) calls with an account's credentials.
type session struct {
	c         *Connector
	cl        *client
	acct      publish.Account
	cred      Credentials
	refreshed bool
}

func (c *Connector) session(acct publish.Account) (*session, error) {
	var cred Credentials
	if err := json.Unmarshal(acct.Credentials, &cred); err != nil || cred.AccessToken == "" || cred.Author == "" {
		return nil, &publish.Error{Kind: publish.KindAuth, Network: Network, Message: "the account has no LinkedIn token or author; connect it again"}
	}
	return &session{c: c, cl: c.client(), acct: acct, cred: cred}, nil
}

func (s *session) expiring(cred Credentials, ahead time.Duration) bool {
	return !cred.ExpiresAt.IsZero() && !s.cl.now().Add(ahead).Before(cred.ExpiresAt)
}

// fresh refreshes a token that expires within ahead when it can; a token already expired
// without a refresh token is KindAuth without a call.
func (s *session) fresh(ctx context.Context, ahead time.Duration) error {
	if !s.expiring(s.cred, ahead) {
		return nil
	}
	if s.cred.RefreshToken == "" {
		if s.expiring(s.cred, 0) {
			return &publish.Error{Kind: publish.KindAuth, Network: Network,
				Message: fmt.Sprintf("the LinkedIn access token expired on %s: reconnect the account", s.cred.ExpiresAt.UTC().Format("2006-01-02"))}
		}
		return nil
	}
	return s.refresh(ctx, func(cur Credentials) bool { return !s.expiring(cur, ahead) })
}

// refresh runs the refresh_token grant under the account's refresh lock unless good says
// the current credentials (maybe refreshed meanwhile by another process) will do. LinkedIn
// keeps the refresh token and its expiry; a new one is stored if it sends one.
func (s *session) refresh(ctx context.Context, good func(Credentials) bool) error {
	s.refreshed = true
	raw, err := publish.RefreshWith(ctx, s.acct, func(current []byte) ([]byte, error) {
		var cur Credentials
		if err := json.Unmarshal(current, &cur); err != nil {
			return nil, &publish.Error{Kind: publish.KindAuth, Network: Network, Message: "unreadable LinkedIn credentials; connect the account again", Err: err}
		}
		if cur.AccessToken != "" && good(cur) {
			return current, nil
		}
		if cur.RefreshToken == "" {
			return nil, &publish.Error{Kind: publish.KindAuth, Network: Network, Message: "the LinkedIn token cannot be refreshed: reconnect the account"}
		}
		if !s.c.App.Configured() {
			return nil, &publish.Error{Kind: publish.KindAuth, Network: Network, Message: "the LinkedIn app is not configured (GREENLIGHT_LINKEDIN_CLIENT_ID, GREENLIGHT_LINKEDIN_CLIENT_SECRET): the token cannot be refreshed"}
		}
		tok, err := s.cl.token(ctx, url.Values{
			"grant_type":    {"refresh_token"},
			"refresh_token": {cur.RefreshToken},
			"client_id":     {s.c.App.ClientID},
			"client_secret": {s.c.App.ClientSecret},
		})
		if err != nil {
			var pe *publish.Error
			if errors.As(err, &pe) && pe.Kind == publish.KindAuth {
				pe.Message = "LinkedIn refused to refresh the token (" + pe.Message + "): reconnect the account"
			}
			return nil, err
		}
		cur.AccessToken, cur.ExpiresAt = tok.AccessToken, tok.ExpiresAt
		if tok.RefreshToken != "" {
			cur.RefreshToken = tok.RefreshToken
			if !tok.RefreshExpiresAt.IsZero() {
				cur.RefreshExpiresAt = tok.RefreshExpiresAt
			}
		}
		if tok.Scope != "" {
			cur.Scope = tok.Scope
		}
		return json.Marshal(cur)
	})
	if err != nil {
		var pe *publish.Error
		if !errors.As(err, &pe) {
			return &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: "storing the refreshed LinkedIn token", Err: err}
		}
		return err
	}
	var next Credentials
	if err := json.Unmarshal(raw, &next); err != nil {
		return &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: "unreadable refreshed credentials", Err: err}
	}
	s.cred, s.acct.Credentials = next, raw
	return nil
}

// call makes an authenticated call (unless anonymous); a 401 refreshes the token once
// when there is a refresh token and repeats the call (a 401 means LinkedIn did nothing).
func (s *session) call(ctx context.Context, r request, anonymous bool) (answer, error) {
	if !anonymous {
		r.token = s.cred.AccessToken
	}
	a, err := s.cl.do(ctx, r)
	if !anonymous && statusOf(err) == http.StatusUnauthorized && !s.refreshed && s.cred.RefreshToken != "" {
		used := r.token
		if rerr := s.refresh(ctx, func(cur Credentials) bool { return cur.AccessToken != used && !s.expiring(cur, 0) }); rerr != nil {
			return answer{}, rerr
		}
		r.token = s.cred.AccessToken
		a, err = s.cl.do(ctx, r)
	}
	var pe *publish.Error
	if errors.As(err, &pe) && pe.Kind == publish.KindAuth {
		switch statusOf(err) {
		case http.StatusUnauthorized:
			pe.Message += ": reconnect the LinkedIn account"
		case http.StatusForbidden:
			pe.Message += ": the account lacks a permission (reconnect it, and check the LinkedIn app's products)"
		}
	}
	return a, err
}

// create makes the one visible call. Without an idempotency key, an outcome that may
// hide a created post is KindAmbiguous.
func (s *session) create(ctx context.Context, body postBody) (string, error) {
	const op = "POST /rest/posts"
	raw, err := json.Marshal(body)
	if err != nil {
		return "", &publish.Error{Kind: publish.KindPermanent, Network: Network, Message: "encoding the post", Err: err}
	}
	a, err := s.call(ctx, request{method: "POST", url: s.cl.apiURL + "/rest/posts", op: op, body: raw, contentType: "application/json", rest: true}, false)
	if err != nil {
		var pe *publish.Error
		var te *errTransport
		switch {
		case errors.As(err, &te) && te.sent:
			return "", &publish.Error{Kind: publish.KindAmbiguous, Network: Network, Err: err,
				Message: op + ": the request was sent but no answer came back: the post may or may not be on LinkedIn"}
		case errors.As(err, &pe) && (statusOf(err) == http.StatusBadGateway || statusOf(err) == http.StatusGatewayTimeout):
			pe.Kind = publish.KindAmbiguous
			pe.Message += ": a gateway answered, the post may or may not be on LinkedIn"
		}
		return "", err
	}
	urn := a.header.Get("X-RestLi-Id")
	if urn == "" {
		return "", &publish.Error{Kind: publish.KindAmbiguous, Network: Network,
			Message: fmt.Sprintf("%s answered %d without x-restli-id: the post is probably on LinkedIn but its id is unknown", op, a.status)}
	}
	return urn, nil
}
