package mastodon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/clipperhouse/uax29/v2/graphemes"

	"github.com/greenlight/greenlight/publish"
)

// Credentials is what a connected Mastodon account keeps, sealed: the access token and
// the account it belongs to.
type Credentials struct {
	AccessToken string `json:"access_token"`
	Scope       string `json:"scope,omitempty"`
	AccountID   string `json:"account_id,omitempty"`
}

// Connector publishes to Mastodon-API instances (publish.Connector). It caches every
// instance's limits for LimitsTTL.
type Connector struct {
	http *http.Client
	// LimitsTTL is how long an instance's limits are kept before being read again.
	LimitsTTL time.Duration
	// PollInterval and PollTimeout bound the wait for media being processed (see Client).
	PollInterval, PollTimeout time.Duration

	mu     sync.Mutex
	limits map[string]cachedLimits
	now    func() time.Time
}

type cachedLimits struct {
	l    Limits
	read time.Time
}

// NewConnector returns a connector making every call through hc (the outbound client).
func NewConnector(hc *http.Client) *Connector {
	return &Connector{http: hc, LimitsTTL: time.Hour, PollInterval: time.Second, PollTimeout: 60 * time.Second,
		limits: map[string]cachedLimits{}, now: time.Now}
}

// Network returns "mastodon".
func (c *Connector) Network() string { return Network }

func (c *Connector) client(instance string) (*Client, error) {
	cl, err := New(c.http, instance)
	if err != nil {
		return nil, &publish.Error{Kind: publish.KindPermanent, Network: Network, Message: err.Error(), Err: err}
	}
	cl.PollInterval, cl.PollTimeout, cl.now = c.PollInterval, c.PollTimeout, c.now
	return cl, nil
}

// Limits returns the instance's limits, from the cache while they are fresher than
// LimitsTTL.
func (c *Connector) Limits(ctx context.Context, instance string) (Limits, error) {
	cl, err := c.client(instance)
	if err != nil {
		return Limits{}, err
	}
	c.mu.Lock()
	cached, ok := c.limits[cl.base]
	c.mu.Unlock()
	if ok && c.now().Sub(cached.read) < c.LimitsTTL {
		return cached.l, nil
	}
	l, err := cl.Instance(ctx)
	if err != nil {
		return Limits{}, toPublishError(err)
	}
	c.mu.Lock()
	c.limits[cl.base] = cachedLimits{l: l, read: c.now()}
	c.mu.Unlock()
	return l, nil
}

// Validate checks p against the instance's own limits (read from the instance, cached):
// its length, counting every URL as characters_reserved_per_url and a mention of a remote
// account by its local part only, as Mastodon does; the number, types and sizes of its
// media; no video mixed with images. A broken rule is a *publish.RuleError.
//
// With no account connected yet (no instance), Mastodon's defaults apply; submitting
// checks again once the account, and so its instance, is known.
func (c *Connector) Validate(ctx context.Context, acct publish.Account, p publish.Post) error {
	if acct.ServiceURL == "" {
		return CheckLimits(Limits{MaxCharacters: DefaultMaxCharacters, MaxMedia: DefaultMaxMedia, URLCharacters: DefaultURLCharacters}, p)
	}
	l, err := c.Limits(ctx, acct.ServiceURL)
	if err != nil {
		return err
	}
	return CheckLimits(l, p)
}

// CheckLimits checks p against l (see Connector.Validate).
func CheckLimits(l Limits, p publish.Post) error {
	if n := CountCharacters(p.Text, l.URLCharacters); n > l.MaxCharacters {
		return &publish.RuleError{Rule: "text_length", Message: fmt.Sprintf("the text is %d characters long; this instance allows %d", n, l.MaxCharacters)}
	}
	if strings.TrimSpace(p.Text) == "" && len(p.Media) == 0 {
		return &publish.RuleError{Rule: "text_length", Message: "a status needs text or media"}
	}
	if len(p.Media) > l.MaxMedia {
		return &publish.RuleError{Rule: "media_count", Message: fmt.Sprintf("%d media attached; this instance allows %d", len(p.Media), l.MaxMedia)}
	}
	videos := 0
	for i, m := range p.Media {
		if len(l.MimeTypes) > 0 && !contains(l.MimeTypes, m.ContentType) {
			return &publish.RuleError{Rule: "media_type", Message: fmt.Sprintf("media %d is %s, which this instance does not accept", i+1, m.ContentType)}
		}
		video := strings.HasPrefix(m.ContentType, "video/")
		limit := l.ImageSizeLimit
		if video {
			videos++
			limit = l.VideoSizeLimit
		}
		if limit > 0 && m.Size > limit {
			return &publish.RuleError{Rule: "media_size", Message: fmt.Sprintf("media %d is %d bytes; this instance accepts at most %d", i+1, m.Size, limit)}
		}
	}
	if videos > 0 && len(p.Media) > 1 {
		return &publish.RuleError{Rule: "media_mix", Message: "a video must be the only media of a status"}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

var (
	// urlPattern finds the http(s) URLs Mastodon counts at a fixed length.
	urlPattern = regexp.MustCompile(`(?i)(^|[\s(\[])(https?://[^\s<>"]+)`)
	// mentionPattern finds "@user@domain" mentions, counted without their domain.
	mentionPattern = regexp.MustCompile(`(^|[^\w@/])@(\w+)@[\w.-]+\w`)
)

// CountCharacters counts text as Mastodon does for its limit: user-perceived characters
// (grapheme clusters), every URL as urlChars, a remote mention as "@user".
func CountCharacters(text string, urlChars int) int {
	placeholder := strings.Repeat("x", urlChars)
	text = urlPattern.ReplaceAllStringFunc(text, func(m string) string {
		sub := urlPattern.FindStringSubmatch(m)
		link := publish.TrimLink(sub[2])
		return sub[1] + placeholder + sub[2][len(link):]
	})
	text = mentionPattern.ReplaceAllString(text, "${1}@${2}")
	n := 0
	for it := graphemes.FromString(text); it.Next(); {
		n++
	}
	return n
}

// Publish uploads p's media (invisible, safe to repeat), then makes the one create with
// p.Key as its Idempotency-Key. Errors are *publish.Error: 429 KindRateLimit, a refused
// token KindAuth, 422 KindPermanent with the server's message, 5xx and lost answers
// KindRetryable (the key makes the create safe to repeat) — except on a server known to
// ignore the key, where a create whose answer was lost is KindAmbiguous.
func (c *Connector) Publish(ctx context.Context, acct publish.Account, p publish.Post) (publish.Result, error) {
	var cred Credentials
	if err := json.Unmarshal(acct.Credentials, &cred); err != nil || cred.AccessToken == "" {
		return publish.Result{}, &publish.Error{Kind: publish.KindAuth, Network: Network, Message: "the account has no access token; connect it again"}
	}
	if p.Key == "" {
		return publish.Result{}, &publish.Error{Kind: publish.KindPermanent, Network: Network, Message: "no idempotency key"}
	}
	cl, err := c.client(acct.ServiceURL)
	if err != nil {
		return publish.Result{}, err
	}
	l, err := c.Limits(ctx, acct.ServiceURL)
	if err != nil {
		return publish.Result{}, err
	}
	if err := CheckLimits(l, p); err != nil {
		return publish.Result{}, &publish.Error{Kind: publish.KindPermanent, Network: Network, Message: err.Error(), Err: err}
	}
	ids := make([]string, 0, len(p.Media))
	for i, m := range p.Media {
		data, err := readMedia(m)
		if err != nil {
			return publish.Result{}, &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: fmt.Sprintf("reading media %d", i+1), Err: err}
		}
		a, err := cl.UploadMedia(ctx, cred.AccessToken, data, mediaName(m, i), m.ContentType, m.Alt)
		if err != nil {
			return publish.Result{}, toPublishError(err)
		}
		ids = append(ids, a.ID)
	}
	key := p.Key
	if !l.HonorsIdempotencyKey {
		// Not sent where it protects nothing: Go's transport would replay the create by
		// itself after a dropped connection, and the server would post it twice.
		key = ""
	}
	st, err := cl.CreateStatus(ctx, cred.AccessToken, key, NewStatus{Status: p.Text, MediaIDs: ids, Visibility: "public"})
	if err != nil {
		pe := toPublishError(err)
		var e *Error
		var op *net.OpError
		notSent := errors.As(err, &op) && op.Op == "dial"
		if !l.HonorsIdempotencyKey && errors.As(err, &e) && e.Status == 0 && !notSent {
			// The request may have arrived: without the key's protection a retry could post twice.
			pe.Kind = publish.KindAmbiguous
		}
		return publish.Result{}, pe
	}
	return publish.Result{RemoteID: st.ID, URL: st.URL}, nil
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

func mediaName(m publish.Media, i int) string {
	ext := "bin"
	if _, sub, ok := strings.Cut(m.ContentType, "/"); ok && sub != "" {
		ext = sub
	}
	name := m.SHA256
	if name == "" {
		name = fmt.Sprintf("media%d", i+1)
	}
	if len(name) > 16 {
		name = name[:16]
	}
	return name + "." + ext
}

// toPublishError turns a client error into the publishing layer's *publish.Error.
func toPublishError(err error) *publish.Error {
	var pe *publish.Error
	if errors.As(err, &pe) {
		return pe
	}
	var e *Error
	if errors.As(err, &e) {
		msg := e.Message
		if e.Status != 0 {
			msg = fmt.Sprintf("%s answered %d: %s", e.Op, e.Status, e.Message)
		} else if e.Err != nil {
			msg = fmt.Sprintf("%s: %s", e.Op, e.Message)
		}
		return &publish.Error{Kind: e.Kind, Network: Network, Message: strings.TrimSuffix(msg, ": "), RetryAfter: e.RetryAfter, Err: err}
	}
	return &publish.Error{Kind: publish.KindRetryable, Network: Network, Message: "failed", Err: err}
}

var _ publish.Connector = (*Connector)(nil)
