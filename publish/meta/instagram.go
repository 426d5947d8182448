package meta

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/publish"
)

// Instagram publishes to an Instagram business or creator account linked to a Facebook
// Page (publish.Connector), with the Page's token. Meta fetches every file itself from
// publish.Media.URL, so GREENLIGHT_PUBLIC_URL must be a public https address.
type Instagram struct {
	HTTP     *http.Client
	GraphURL string // default DefaultGraphURL
	Version  string // default DefaultVersion
	// AppSecret is the Meta app's secret (GREENLIGHT_META_APP_SECRET): every call then
	// carries appsecret_proof. Empty: calls go without it (the app must not require it).
	AppSecret string
	// PublicURL is GREENLIGHT_PUBLIC_URL: when set, Validate refuses media posts early if
	// Meta could not fetch from it.
	PublicURL string
	// AllowPrivateMediaURLs lets media URLs on loopback or private addresses through: only
	// for tests against a local fake (internal/metatest), never for Meta itself.
	AllowPrivateMediaURLs bool
	// PollInterval and PollTimeout bound the wait for a container Meta is processing:
	// still IN_PROGRESS after PollTimeout (default 3 minutes), or when less than a minute
	// is left before ctx's deadline, is KindRetryable; PollInterval defaults to 3 s.
	PollInterval, PollTimeout time.Duration

	now func() time.Time
}

// NewInstagram returns an Instagram connector calling the Graph API version through hc.
func NewInstagram(hc *http.Client, version string) *Instagram {
	return &Instagram{HTTP: hc, GraphURL: DefaultGraphURL, Version: version}
}

// Network returns "instagram".
func (c *Instagram) Network() string { return InstagramNetwork }

func (c *Instagram) graph() graph {
	g := newGraph(c.HTTP, c.GraphURL, c.Version, InstagramNetwork)
	g.appSecret = c.AppSecret
	return g
}

func (c *Instagram) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

// Validate checks p against Instagram's rules: at least one image or video, at most 10
// (a carousel), JPEG images of at most 8 MB with an aspect ratio between 4:5 and 1.91:1,
// MP4/MOV videos (Reels: 3 s to 15 min; in a carousel at most 60 s), a caption of at most
// 2,200 characters, 30 hashtags and 20 @mentions; and, when PublicURL is set, that Meta
// can fetch media from it. A broken rule is a *publish.RuleError.
//
// The rules apply to a client with a connected Instagram account (acct.ID set): without
// one, the channel goes to the client's publishing webhook, whose receiver has its own
// rules (checkRouting refuses the channel when there is no webhook either), and submitting
// checks again once an account is connected.
func (c *Instagram) Validate(ctx context.Context, acct publish.Account, p publish.Post) error {
	if acct.ID == "" {
		return nil
	}
	if err := CheckInstagram(p); err != nil {
		return err
	}
	if c.PublicURL != "" && !c.AllowPrivateMediaURLs {
		if why := notPublic(c.PublicURL); why != "" {
			return &publish.RuleError{Rule: "public_url", Message: publicURLMessage(why)}
		}
	}
	return nil
}

// publishReserve is the time kept, before ctx's deadline, for media_publish and the
// checks after it.
const publishReserve = time.Minute

// containerStatus is GET /{container-id}?fields=status_code,status.
type containerStatus struct {
	ID         string `json:"id"`
	StatusCode string `json:"status_code"` // IN_PROGRESS, FINISHED, ERROR, EXPIRED, PUBLISHED
	Status     string `json:"status"`
}

// publishingLimit is GET /{ig-user-id}/content_publishing_limit?fields=config,quota_usage.
type publishingLimit struct {
	Data []struct {
		QuotaUsage int `json:"quota_usage"`
		Config     struct {
			QuotaTotal    int `json:"quota_total"`
			QuotaDuration int `json:"quota_duration"` // seconds
		} `json:"config"`
	} `json:"data"`
}

type igMedia struct {
	ID        string `json:"id"`
	Permalink string `json:"permalink"`
	Timestamp string `json:"timestamp"`
	Caption   string `json:"caption"`
}

// Publish makes p's one Instagram post: it checks the rules and that every file has a
// public URL, reads the 24-hour publishing limit (a used quota is KindRateLimit until the
// oldest post of the window leaves it), creates the media container(s) (an image, a video
// as a Reel, or a carousel of 2–10 items), waits until Meta has processed them (bounded by
// PollTimeout: then KindRetryable; ERROR or EXPIRED: KindPermanent with Meta's status),
// then publishes. Containers are invisible and expire by themselves, so everything before
// media_publish is safe to repeat. When media_publish's answer is lost or is a server
// error, the container's status says whether it went out: PUBLISHED is a success (the post
// is found among the account's media), otherwise a lost answer is KindAmbiguous and a
// server error KindRetryable.
func (c *Instagram) Publish(ctx context.Context, acct publish.Account, p publish.Post) (publish.Result, error) {
	cred, err := openCredentials(InstagramNetwork, acct.Credentials, true)
	if err != nil {
		return publish.Result{}, err
	}
	if err := CheckInstagram(p); err != nil {
		return publish.Result{}, &publish.Error{Kind: publish.KindPermanent, Network: InstagramNetwork, Message: err.Error(), Err: err}
	}
	for i, m := range p.Media {
		why := ""
		if m.URL == "" {
			why = "no public URL is configured"
		} else if !c.AllowPrivateMediaURLs {
			why = notPublic(m.URL)
		}
		if why != "" {
			return publish.Result{}, &publish.Error{Kind: publish.KindPermanent, Network: InstagramNetwork,
				Message: fmt.Sprintf("media %d: %s", i+1, publicURLMessage(why))}
		}
	}
	g := c.graph()
	if err := c.checkQuota(ctx, g, cred); err != nil {
		return publish.Result{}, err
	}
	started := c.clock()
	container, err := c.createContainers(ctx, g, cred, p)
	if err != nil {
		return publish.Result{}, publishError(InstagramNetwork, err)
	}
	var published struct {
		ID string `json:"id"`
	}
	perr := g.post(ctx, "POST /{ig-user-id}/media_publish", cred.IGUserID+"/media_publish", cred.PageToken,
		url.Values{"creation_id": {container}}, &published)
	if perr != nil {
		var ae *apiError
		if !errors.As(perr, &ae) || !(ae.lost() || ae.status >= 500 || ae.kind == publish.KindRetryable) {
			return publish.Result{}, publishError(InstagramNetwork, perr)
		}
		// Did it go out? The container knows.
		var st containerStatus
		if err := g.get(ctx, "GET /{container-id}", container, cred.PageToken, url.Values{"fields": {"status_code,status"}}, &st); err == nil && st.StatusCode == "PUBLISHED" {
			return c.findPublished(ctx, g, cred, p.Text, started), nil
		}
		pe := publishError(InstagramNetwork, perr)
		if ae.lost() {
			pe.Kind = publish.KindAmbiguous
			pe.Message += " (Instagram did not confirm the publication and the container is not marked published)"
		}
		return publish.Result{}, pe
	}
	return publish.Result{RemoteID: published.ID, URL: c.permalink(ctx, g, cred, published.ID)}, nil
}

// checkQuota refuses early when the account's 24-hour publishing quota is used. A failure
// to read the limit is ignored (the publish call itself would be refused), except a refused
// token.
func (c *Instagram) checkQuota(ctx context.Context, g graph, cred Credentials) error {
	var lim publishingLimit
	err := g.get(ctx, "GET /{ig-user-id}/content_publishing_limit", cred.IGUserID+"/content_publishing_limit", cred.PageToken,
		url.Values{"fields": {"config,quota_usage"}}, &lim)
	if err != nil {
		if pe := publishError(InstagramNetwork, err); pe.Kind == publish.KindAuth || pe.Kind == publish.KindRateLimit {
			return pe
		}
		return nil
	}
	if len(lim.Data) == 0 || lim.Data[0].Config.QuotaTotal <= 0 || lim.Data[0].QuotaUsage < lim.Data[0].Config.QuotaTotal {
		return nil
	}
	d := lim.Data[0]
	window := time.Duration(d.Config.QuotaDuration) * time.Second
	if window <= 0 {
		window = 24 * time.Hour
	}
	wait := c.quotaFrees(ctx, g, cred, window, d.Config.QuotaTotal)
	return &publish.Error{Kind: publish.KindRateLimit, Network: InstagramNetwork, RetryAfter: wait,
		Message: fmt.Sprintf("Instagram's publishing limit is used: %d of %d posts in the last %s; publishing waits until the window frees up", d.QuotaUsage, d.Config.QuotaTotal, hours(window))}
}

// hours writes a window as people do ("24 hours").
func hours(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	}
	return d.String()
}

// quotaFrees estimates when a post leaves the rolling window: the oldest of the account's
// posts within it, plus the window (at least a minute); an hour when it cannot tell.
func (c *Instagram) quotaFrees(ctx context.Context, g graph, cred Credentials, window time.Duration, total int) time.Duration {
	var list struct {
		Data []igMedia `json:"data"`
	}
	if total > 100 {
		total = 100
	}
	err := g.get(ctx, "GET /{ig-user-id}/media", cred.IGUserID+"/media", cred.PageToken,
		url.Values{"fields": {"id,timestamp"}, "limit": {fmt.Sprint(total)}}, &list)
	if err != nil {
		return time.Hour
	}
	now := c.clock()
	var oldest time.Time
	for _, m := range list.Data {
		t, err := parseTime(m.Timestamp)
		if err != nil || now.Sub(t) >= window {
			continue
		}
		if oldest.IsZero() || t.Before(oldest) {
			oldest = t
		}
	}
	if oldest.IsZero() {
		return time.Hour
	}
	return max(oldest.Add(window).Sub(now), time.Minute)
}

// parseTime reads Graph's timestamps ("2024-05-01T10:00:00+0000").
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02T15:04:05-0700", s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

// createContainers creates p's container (children first for a carousel) and waits until
// Meta has processed it; it returns the container to publish.
func (c *Instagram) createContainers(ctx context.Context, g graph, cred Credentials, p publish.Post) (string, error) {
	create := func(params url.Values) (string, error) {
		var out struct {
			ID string `json:"id"`
		}
		if err := g.post(ctx, "POST /{ig-user-id}/media", cred.IGUserID+"/media", cred.PageToken, params, &out); err != nil {
			return "", err
		}
		if out.ID == "" {
			return "", &apiError{op: "POST /{ig-user-id}/media", kind: publish.KindRetryable, message: "no container id in the answer"}
		}
		return out.ID, nil
	}
	if len(p.Media) == 1 {
		m := p.Media[0]
		params := url.Values{"caption": {p.Text}}
		if strings.HasPrefix(m.ContentType, "video/") {
			params.Set("media_type", "REELS")
			params.Set("video_url", m.URL)
			params.Set("share_to_feed", "true")
		} else {
			params.Set("image_url", m.URL)
		}
		id, err := create(params)
		if err != nil {
			return "", err
		}
		return id, c.wait(ctx, g, cred, id, "the post")
	}
	children := make([]string, 0, len(p.Media))
	for _, m := range p.Media {
		params := url.Values{"is_carousel_item": {"true"}}
		if strings.HasPrefix(m.ContentType, "video/") {
			params.Set("media_type", "VIDEO")
			params.Set("video_url", m.URL)
		} else {
			params.Set("image_url", m.URL)
		}
		id, err := create(params)
		if err != nil {
			return "", err
		}
		children = append(children, id)
	}
	for i, id := range children {
		if err := c.wait(ctx, g, cred, id, fmt.Sprintf("carousel item %d", i+1)); err != nil {
			return "", err
		}
	}
	id, err := create(url.Values{"media_type": {"CAROUSEL"}, "children": {strings.Join(children, ",")}, "caption": {p.Text}})
	if err != nil {
		return "", err
	}
	return id, c.wait(ctx, g, cred, id, "the carousel")
}

// wait polls a container until FINISHED: ERROR and EXPIRED are permanent with Meta's status
// text; still IN_PROGRESS after PollTimeout is retryable.
func (c *Instagram) wait(ctx context.Context, g graph, cred Credentials, id, what string) error {
	interval, timeout := c.PollInterval, c.PollTimeout
	if interval <= 0 {
		interval = 3 * time.Second
	}
	if timeout <= 0 {
		timeout = 3 * time.Minute
	}
	deadline := c.clock().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Add(-publishReserve).Before(deadline) {
		// Leave time to publish: an activity cut off during media_publish would not know.
		deadline = d.Add(-publishReserve)
	}
	for {
		var st containerStatus
		if err := g.get(ctx, "GET /{container-id}", id, cred.PageToken, url.Values{"fields": {"status_code,status"}}, &st); err != nil {
			return err
		}
		switch st.StatusCode {
		case "FINISHED", "PUBLISHED":
			return nil
		case "ERROR":
			return &apiError{op: "GET /{container-id}", kind: publish.KindPermanent,
				message: outbound.Sanitize(fmt.Sprintf("Instagram could not process %s: %s", what, orDefault(st.Status, "ERROR")), 400)}
		case "EXPIRED":
			return &apiError{op: "GET /{container-id}", kind: publish.KindPermanent,
				message: outbound.Sanitize(fmt.Sprintf("the container of %s expired before it was published: %s", what, orDefault(st.Status, "EXPIRED")), 400)}
		}
		if !c.clock().Before(deadline) {
			return &apiError{op: "GET /{container-id}", kind: publish.KindRetryable,
				message: fmt.Sprintf("Instagram is still processing %s after %s; trying again later", what, timeout)}
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return &apiError{op: "GET /{container-id}", kind: publish.KindRetryable, message: outbound.Cause(ctx.Err()), err: ctx.Err()}
		case <-t.C:
		}
	}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// permalink returns the published media's permalink, or the account's profile when Meta
// does not say.
func (c *Instagram) permalink(ctx context.Context, g graph, cred Credentials, id string) string {
	var m igMedia
	if err := g.get(ctx, "GET /{ig-media-id}", id, cred.PageToken, url.Values{"fields": {"permalink"}}, &m); err == nil && m.Permalink != "" {
		return m.Permalink
	}
	return profileURL(cred)
}

func profileURL(cred Credentials) string {
	if cred.IGUsername == "" {
		return ""
	}
	return "https://www.instagram.com/" + url.PathEscape(cred.IGUsername) + "/"
}

// findPublished finds, among the account's latest media, the post with caption published
// since started (a container marked PUBLISHED whose answer was lost); when it cannot, the
// post is out all the same and the result points at the profile.
func (c *Instagram) findPublished(ctx context.Context, g graph, cred Credentials, caption string, started time.Time) publish.Result {
	var list struct {
		Data []igMedia `json:"data"`
	}
	err := g.get(ctx, "GET /{ig-user-id}/media", cred.IGUserID+"/media", cred.PageToken,
		url.Values{"fields": {"id,permalink,timestamp,caption"}, "limit": {"25"}}, &list)
	if err == nil {
		for _, m := range list.Data {
			t, terr := parseTime(m.Timestamp)
			if m.Caption == caption && (terr != nil || !t.Before(started.Add(-time.Minute))) {
				return publish.Result{RemoteID: m.ID, URL: m.Permalink}
			}
		}
	}
	return publish.Result{URL: profileURL(cred)}
}

var _ publish.Connector = (*Instagram)(nil)
