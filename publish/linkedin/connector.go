package linkedin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/greenlight/greenlight/publish"
)

// LinkedIn's rules for a post, from the Posts and Images API documentation.
const (
	MaxCharacters  = 3000     // commentary
	MaxImages      = 20       // a multi-image post has 2 to 20 images
	MaxAltText     = 4086     // an image's altText
	MaxImagePixels = 36152320 // an image's width × height
	// A video (MP4, one per post, never with images) weighs 75 KB to 500 MB and lasts 3
	// seconds to 30 minutes.
	MinVideoBytes    = 75 << 10
	MaxVideoBytes    = 500 << 20
	MinVideoDuration = 3 * time.Second
	MaxVideoDuration = 30 * time.Minute
)

// imageTypes are the image formats the Images API takes.
var imageTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true}

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

// CheckRules checks p against LinkedIn's rules: text or media; at most MaxCharacters of
// text (CountCharacters); either one MP4 video (MinVideoBytes to MaxVideoBytes,
// MinVideoDuration to MaxVideoDuration when known) or up to MaxImages JPEG, PNG or GIF
// images, each at most MaxImagePixels with alt text of at most MaxAltText; never a video
// with images. A broken rule is a *publish.RuleError.
func CheckRules(p publish.Post) error {
	if n := CountCharacters(p.Text); n > MaxCharacters {
		return &publish.RuleError{Rule: "text_length", Message: fmt.Sprintf("the text is %d characters long; LinkedIn allows %d", n, MaxCharacters)}
	}
	if strings.TrimSpace(p.Text) == "" && len(p.Media) == 0 {
		return &publish.RuleError{Rule: "text_length", Message: "a LinkedIn post needs text or media"}
	}
	videos := 0
	for _, m := range p.Media {
		if strings.HasPrefix(m.ContentType, "video/") {
			videos++
		}
	}
	if videos > 0 && videos < len(p.Media) {
		return &publish.RuleError{Rule: "media_mix", Message: "LinkedIn does not mix a video with images in one post"}
	}
	if videos > 1 {
		return &publish.RuleError{Rule: "media_count", Message: fmt.Sprintf("%d videos attached; a LinkedIn post has one", videos)}
	}
	if videos == 1 {
		return checkVideo(p.Media[0])
	}
	if len(p.Media) > MaxImages {
		return &publish.RuleError{Rule: "media_count", Message: fmt.Sprintf("%d images attached; LinkedIn allows %d", len(p.Media), MaxImages)}
	}
	for i, m := range p.Media {
		if !imageTypes[m.ContentType] {
			return &publish.RuleError{Rule: "media_type", Message: fmt.Sprintf("media %d is %s; LinkedIn takes JPEG, PNG and GIF images, or one MP4 video", i+1, m.ContentType)}
		}
		if m.Width > 0 && m.Height > 0 && int64(m.Width)*int64(m.Height) > MaxImagePixels {
			return &publish.RuleError{Rule: "image_size", Message: fmt.Sprintf("image %d is %d×%d pixels; LinkedIn accepts at most %d pixels", i+1, m.Width, m.Height, MaxImagePixels)}
		}
		if n := CountCharacters(m.Alt); n > MaxAltText {
			return &publish.RuleError{Rule: "alt_text_length", Message: fmt.Sprintf("the alt text of image %d is %d characters long; LinkedIn allows %d", i+1, n, MaxAltText)}
		}
	}
	return nil
}

func checkVideo(m publish.Media) error {
	if m.ContentType != "video/mp4" {
		return &publish.RuleError{Rule: "media_type", Message: fmt.Sprintf("the video is %s; LinkedIn takes MP4", m.ContentType)}
	}
	if m.Size > 0 && (m.Size < MinVideoBytes || m.Size > MaxVideoBytes) {
		return &publish.RuleError{Rule: "media_size", Message: fmt.Sprintf("the video weighs %d bytes; LinkedIn takes 75 KB to 500 MB", m.Size)}
	}
	if d := time.Duration(m.DurationMS) * time.Millisecond; d > 0 && (d < MinVideoDuration || d > MaxVideoDuration) {
		return &publish.RuleError{Rule: "video_duration", Message: fmt.Sprintf("the video lasts %s; LinkedIn takes 3 seconds to 30 minutes", d.Round(time.Second))}
	}
	return nil
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

// uploadImage uploads one image through the Images API: initializeUpload with the author
// as owner, a PUT of the bytes to the upload URL, then the image's status until it is
// AVAILABLE. Nothing is visible until a post references it, so every step may be repeated.
func (s *session) uploadImage(ctx context.Context, m publish.Media, i int) (string, error) {
	data, err := readMedia(m)
	if err != nil {
		return "", &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: fmt.Sprintf("reading image %d", i+1), Err: err}
	}
	const op = "POST /rest/images?action=initializeUpload"
	body, _ := json.Marshal(map[string]any{"initializeUploadRequest": map[string]string{"owner": s.cred.Author}})
	a, err := s.call(ctx, request{method: "POST", url: s.cl.apiURL + "/rest/images?action=initializeUpload", op: op,
		body: body, contentType: "application/json", rest: true}, false)
	if err != nil {
		return "", err
	}
	var init struct {
		Value struct {
			UploadURL string `json:"uploadUrl"`
			Image     string `json:"image"`
		} `json:"value"`
	}
	if err := json.Unmarshal(a.body, &init); err != nil || init.Value.UploadURL == "" || init.Value.Image == "" {
		return "", &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: op + ": the answer has no uploadUrl or image", Err: err}
	}
	up, err := url.Parse(init.Value.UploadURL)
	if err != nil || (up.Scheme != "https" && up.Scheme != "http") {
		return "", &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: op + ": unusable uploadUrl", Err: err}
	}
	ct := m.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	// The token goes only to LinkedIn's own hosts.
	if _, err := s.call(ctx, request{method: "PUT", url: up.String(), op: "PUT image upload", body: data, contentType: ct}, !s.trusted(up)); err != nil {
		return "", err
	}
	return init.Value.Image, s.waitMedia(ctx, "images", init.Value.Image)
}

// uploadVideo uploads one video through the Videos API: initializeUpload with its size,
// a PUT of each part to the upload URL LinkedIn gives for it (collecting their ETags),
// finalizeUpload, then the video's status until it is AVAILABLE. Nothing is visible until
// a post references it.
func (s *session) uploadVideo(ctx context.Context, m publish.Media) (string, error) {
	data, err := readMedia(m)
	if err != nil {
		return "", &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: "reading the video", Err: err}
	}
	const op = "POST /rest/videos?action=initializeUpload"
	body, _ := json.Marshal(map[string]any{"initializeUploadRequest": map[string]any{
		"owner": s.cred.Author, "fileSizeBytes": len(data), "uploadCaptions": false, "uploadThumbnail": false}})
	a, err := s.call(ctx, request{method: "POST", url: s.cl.apiURL + "/rest/videos?action=initializeUpload", op: op,
		body: body, contentType: "application/json", rest: true}, false)
	if err != nil {
		return "", err
	}
	var init struct {
		Value struct {
			Video        string `json:"video"`
			UploadToken  string `json:"uploadToken"`
			Instructions []struct {
				UploadURL string `json:"uploadUrl"`
				FirstByte int64  `json:"firstByte"`
				LastByte  int64  `json:"lastByte"`
			} `json:"uploadInstructions"`
		} `json:"value"`
	}
	if err := json.Unmarshal(a.body, &init); err != nil || init.Value.Video == "" || len(init.Value.Instructions) == 0 {
		return "", &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: op + ": the answer has no video or upload instructions", Err: err}
	}
	etags := make([]string, 0, len(init.Value.Instructions))
	for i, in := range init.Value.Instructions {
		up, err := url.Parse(in.UploadURL)
		if err != nil || (up.Scheme != "https" && up.Scheme != "http") || in.FirstByte < 0 || in.LastByte < in.FirstByte || in.LastByte >= int64(len(data)) {
			return "", &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: fmt.Sprintf("%s: unusable upload instruction %d", op, i+1), Err: err}
		}
		pa, err := s.call(ctx, request{method: "PUT", url: up.String(), op: "PUT video upload", body: data[in.FirstByte : in.LastByte+1],
			contentType: "application/octet-stream"}, !s.trusted(up))
		if err != nil {
			return "", err
		}
		etags = append(etags, pa.header.Get("ETag"))
	}
	fin, _ := json.Marshal(map[string]any{"finalizeUploadRequest": map[string]any{
		"video": init.Value.Video, "uploadToken": init.Value.UploadToken, "uploadedPartIds": etags}})
	if _, err := s.call(ctx, request{method: "POST", url: s.cl.apiURL + "/rest/videos?action=finalizeUpload", op: "POST /rest/videos?action=finalizeUpload",
		body: fin, contentType: "application/json", rest: true}, false); err != nil {
		return "", err
	}
	return init.Value.Video, s.waitMedia(ctx, "videos", init.Value.Video)
}

// trusted reports whether u is on a LinkedIn host (or the configured API or auth host).
func (s *session) trusted(u *url.URL) bool {
	host := strings.ToLower(u.Hostname())
	if host == "linkedin.com" || strings.HasSuffix(host, ".linkedin.com") {
		return true
	}
	for _, base := range []string{s.cl.apiURL, s.cl.authURL} {
		if b, err := url.Parse(base); err == nil && strings.EqualFold(b.Host, u.Host) {
			return true
		}
	}
	return false
}

// waitMedia reads an image's or a video's status (GET /rest/images/{urn}, GET
// /rest/videos/{urn}) until AVAILABLE, every PollInterval for at most PollTimeout.
func (s *session) waitMedia(ctx context.Context, kind, urn string) error {
	op := "GET /rest/" + kind + "/{urn}"
	interval, timeout := s.c.PollInterval, s.c.PollTimeout
	if interval <= 0 {
		interval = time.Second
	}
	deadline := time.Now().Add(timeout)
	for {
		a, err := s.call(ctx, request{method: "GET", url: s.cl.apiURL + "/rest/" + kind + "/" + url.PathEscape(urn), op: op, rest: true}, false)
		if err != nil {
			return err
		}
		var st struct {
			Status string `json:"status"`
		}
		if err := json.Unmarshal(a.body, &st); err != nil {
			return &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: op + ": unreadable answer", Err: err}
		}
		switch st.Status {
		case "AVAILABLE":
			return nil
		case "PROCESSING_FAILED":
			return &publish.Error{Kind: publish.KindPermanent, Network: Network, Message: "LinkedIn could not process " + urn}
		}
		if !time.Now().Before(deadline) {
			return &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: fmt.Sprintf("%s still %s after %s", urn, st.Status, timeout)}
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: "stopped while LinkedIn processed " + urn, Err: ctx.Err()}
		case <-t.C:
		}
	}
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

func readMedia(m publish.Media) ([]byte, error) {
	if m.Open == nil {
		return nil, errors.New("no file")
	}
	r, err := m.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}
