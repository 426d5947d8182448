package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

// decode reads a JSON body into v strictly: bad UTF-8, syntax errors, unknown fields and
// trailing data are EMALFORMED; a wrong type is EINVALID naming the field.
func decode(c *fiber.Ctx, v any) error {
	return decodeJSON(c.Body(), v)
}

func decodeJSON(body []byte, v any) error {
	if !utf8.Valid(body) {
		return greenlight.Errorf(greenlight.EMALFORMED, "request body is not valid UTF-8")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return greenlight.Errorf(greenlight.EMALFORMED, "request body is empty: send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr):
			return greenlight.Errorf(greenlight.EINVALID, "%s: must be %s", typeErr.Field, typeErr.Type.String())
		case errors.As(err, &syntaxErr):
			return greenlight.Errorf(greenlight.EMALFORMED, "malformed JSON at byte %d: %v", syntaxErr.Offset, err)
		default:
			return greenlight.Errorf(greenlight.EMALFORMED, "malformed JSON: %v", err)
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return greenlight.Errorf(greenlight.EMALFORMED, "malformed JSON: unexpected data after the object")
	}
	return nil
}

func parseTime(field string, s *string) (*time.Time, error) {
	if s == nil {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, *s)
	if err != nil {
		return nil, greenlight.Errorf(greenlight.EINVALID, "%s: must be an RFC 3339 time such as 2026-12-01T09:00:00Z", field)
	}
	return &t, nil
}

func parseDuration(field string, s *string) (*time.Duration, error) {
	if s == nil {
		return nil, nil
	}
	d, err := time.ParseDuration(*s)
	if err != nil {
		return nil, greenlight.Errorf(greenlight.EINVALID, "%s: must be a duration such as 24h or 90m", field)
	}
	return &d, nil
}

// --- responses ---

type userJSON struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	ClientIDs []string  `json:"client_ids"`
	CreatedAt time.Time `json:"created_at"`
	APIKey    string    `json:"api_key,omitempty"`
}

func toUser(u *store.User, key string) userJSON {
	ids := u.ClientIDs
	if ids == nil {
		ids = []string{}
	}
	return userJSON{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, ClientIDs: ids, CreatedAt: u.CreatedAt, APIKey: key}
}

// clientJSON is a client as the API shows it. Webhook URLs are secrets (whoever knows
// one can post to it): only users the policy lets see them get the URLs; everyone gets
// whether they are configured.
type clientJSON struct {
	ID                     string           `json:"id"`
	Name                   string           `json:"name"`
	ApprovalPolicy         string           `json:"approval_policy"`
	WebhookURL             string           `json:"webhook_url,omitempty"`
	WebhookConfigured      bool             `json:"webhook_configured"`
	SlackWebhookURL        string           `json:"slack_webhook_url,omitempty"`
	SlackWebhookConfigured bool             `json:"slack_webhook_configured"`
	Approvers              []store.Approver `json:"approvers"`
	DigestWindow           string           `json:"digest_window"` // Go duration; "0s": one email per post
	TimeZone               string           `json:"time_zone"`
	Language               string           `json:"language"`
	SenderName             string           `json:"sender_name"`
	BrandColor             string           `json:"brand_color"`
	LogoMediaID            string           `json:"logo_media_id"`
	ReminderAfter          string           `json:"reminder_after"` // "" = the default (24h)
	EscalateAfter          string           `json:"escalate_after"` // "" = the default (72h)
	CreatedAt              time.Time        `json:"created_at"`
}

func toClient(c *store.Client, viewer *store.User) clientJSON {
	as := c.Approvers
	if as == nil {
		as = []store.Approver{}
	}
	out := clientJSON{ID: c.ID, Name: c.Name, ApprovalPolicy: c.ApprovalPolicy, WebhookConfigured: c.WebhookURL != "",
		SlackWebhookConfigured: c.SlackWebhookURL != "", Approvers: as, DigestWindow: c.DigestWindow.String(), CreatedAt: c.CreatedAt,
		TimeZone: c.TimeZone, Language: c.Language, SenderName: c.SenderName, BrandColor: c.BrandColor,
		LogoMediaID: c.LogoMediaID, ReminderAfter: durationText(c.ReminderAfter), EscalateAfter: durationText(c.EscalateAfter)}
	if service.Can(viewer, service.ActClientWebhooks) {
		out.WebhookURL, out.SlackWebhookURL = c.WebhookURL, c.SlackWebhookURL
	}
	return out
}

type postJSON struct {
	ID            string          `json:"id"`
	ClientID      string          `json:"client_id"`
	AuthorID      string          `json:"author_id"`
	Title         string          `json:"title"`
	Body          string          `json:"body"`
	Channels      []string        `json:"channels"`
	MediaURLs     []string        `json:"media_urls"`
	Media         []postMediaJSON `json:"media"`
	Digest        string          `json:"digest"` // the current version's: what an approval applies to
	PublishAt     time.Time       `json:"publish_at"`
	Status        string          `json:"status"`
	Version       int             `json:"version"`
	ReminderAfter string          `json:"reminder_after"`
	EscalateAfter string          `json:"escalate_after"`
	Held          bool            `json:"held"`
	PublishedAt   *time.Time      `json:"published_at"`
	CreatedAt     time.Time       `json:"created_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
	Versions      []versionJSON   `json:"versions,omitempty"`
	Approvals     []approvalJSON  `json:"approvals,omitempty"`
	History       []eventJSON     `json:"history,omitempty"`
}

// postDetailOut is a post with everything that happened to it. Its channels are the
// current version's publication on each channel, not only their names (those are each
// entry's channel, and each version's channels).
type postDetailOut struct {
	postJSON
	Channels []channelJSON `json:"channels"`
}

// channelJSON is one channel's publication: status pending, published, failed or
// unconfirmed; account_id empty for the client's webhook.
type channelJSON struct {
	Channel   string `json:"channel"`
	AccountID string `json:"account_id"`
	Status    string `json:"status"`
	RemoteID  string `json:"remote_id"`
	URL       string `json:"url"`
	Error     string `json:"error"`
}

type versionJSON struct {
	Version   int             `json:"version"`
	Title     string          `json:"title"`
	Body      string          `json:"body"`
	Channels  []string        `json:"channels"`
	MediaURLs []string        `json:"media_urls"`
	Media     []postMediaJSON `json:"media"`
	Digest    string          `json:"digest"`
	AuthorID  string          `json:"author_id"`
	CreatedAt time.Time       `json:"created_at"`
}

type actorJSON struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Name string `json:"name"`
}

type approvalJSON struct {
	Stage    string    `json:"stage"`
	Version  int       `json:"version"`
	Round    int       `json:"round"`
	Actor    actorJSON `json:"actor"`
	Decision string    `json:"decision"`
	Comment  string    `json:"comment"`
	At       time.Time `json:"at"`
}

type eventJSON struct {
	At      time.Time `json:"at"`
	Actor   actorJSON `json:"actor"`
	Action  string    `json:"action"`
	Version int       `json:"version"`
	Comment string    `json:"comment"`
}

// postMediaJSON is one file of a post or version, in order. url and thumb_url are signed,
// expiring URLs (thumb_url is empty for videos); sha256 names the exact bytes approved.
type postMediaJSON struct {
	ID          string `json:"id"`
	ContentType string `json:"content_type"`
	SHA256      string `json:"sha256"`
	Alt         string `json:"alt"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	URL         string `json:"url"`
	ThumbURL    string `json:"thumb_url"`
}

func toPostMedia(set *service.MediaSet, publicURL string, refs []greenlight.MediaRef) []postMediaJSON {
	out := []postMediaJSON{}
	for _, v := range set.Views(refs) {
		m := postMediaJSON{ID: v.ID, ContentType: v.ContentType, SHA256: v.SHA256, Alt: v.Alt, Width: v.Width, Height: v.Height}
		if v.URL != "" {
			m.URL = publicURL + v.URL
		}
		if v.ThumbURL != "" {
			m.ThumbURL = publicURL + v.ThumbURL
		}
		out = append(out, m)
	}
	return out
}

func toPost(p *store.Post, set *service.MediaSet, publicURL string) postJSON {
	return postJSON{
		ID: p.ID, ClientID: p.ClientID, AuthorID: p.AuthorID, Title: p.Title, Body: p.Body,
		Channels: nonNil(p.Channels), MediaURLs: nonNil(p.MediaURLs), Media: toPostMedia(set, publicURL, p.Media),
		Digest:    greenlight.Content{Title: p.Title, Body: p.Body, Channels: p.Channels, MediaURLs: p.MediaURLs, Media: p.Media}.Digest(),
		PublishAt: p.PublishAt, Status: p.Status,
		Version: p.Version, ReminderAfter: p.ReminderAfter.String(), EscalateAfter: p.EscalateAfter.String(),
		Held: p.Held, PublishedAt: p.PublishedAt, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
}

// postDetailJSON answers with a post, its versions, decisions and history.
func postDetailJSON(c *fiber.Ctx, svc *service.Service, publicURL string, d *store.PostDetail) error {
	out, err := toPostDetail(c.UserContext(), svc, publicURL, d)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func toPostDetail(ctx context.Context, svc *service.Service, publicURL string, d *store.PostDetail) (postDetailOut, error) {
	lists := [][]greenlight.MediaRef{d.Post.Media}
	for _, v := range d.Versions {
		lists = append(lists, v.Media)
	}
	set, err := svc.MediaSet(ctx, lists...)
	if err != nil {
		return postDetailOut{}, err
	}
	out := postDetailOut{postJSON: toPost(&d.Post, set, publicURL)}
	out.Versions = make([]versionJSON, 0, len(d.Versions))
	for _, v := range d.Versions {
		out.Versions = append(out.Versions, versionJSON{
			Version: v.Version, Title: v.Title, Body: v.Body, Channels: nonNil(v.Channels),
			MediaURLs: nonNil(v.MediaURLs), Media: toPostMedia(set, publicURL, v.Media), Digest: v.Digest,
			AuthorID: v.AuthorID, CreatedAt: v.CreatedAt,
		})
	}
	out.Approvals = make([]approvalJSON, 0, len(d.Decisions))
	for _, a := range d.Decisions {
		out.Approvals = append(out.Approvals, approvalJSON{
			Stage: a.Stage, Version: a.Version, Round: a.Round, Actor: actorJSON{a.ActorKind, a.ActorID, a.ActorName},
			Decision: a.Decision, Comment: a.Comment, At: a.At,
		})
	}
	out.History = make([]eventJSON, 0, len(d.Events))
	for _, e := range d.Events {
		out.History = append(out.History, eventJSON{
			At: e.At, Actor: actorJSON{e.ActorKind, e.ActorID, e.ActorName}, Action: e.Action, Version: e.Version, Comment: e.Comment,
		})
	}
	out.Channels = make([]channelJSON, 0, len(d.ChannelResults))
	for _, c := range d.ChannelResults {
		out.Channels = append(out.Channels, channelJSON{
			Channel: c.Channel, AccountID: c.AccountID, Status: c.Status, RemoteID: c.RemoteID, URL: c.URL, Error: c.Error,
		})
	}
	return out, nil
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// queryInt parses an optional integer query parameter.
func queryInt(c *fiber.Ctx, name string) (int, error) {
	s := c.Query(name)
	if s == "" {
		return 0, nil
	}
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil || fmt.Sprint(n) != s {
		return 0, greenlight.Errorf(greenlight.EINVALID, "%s: must be an integer", name)
	}
	return n, nil
}
