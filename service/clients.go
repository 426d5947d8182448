package service

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/store"
)

// NewClient is the input of CreateClient.
type NewClient struct {
	Name            string
	ApprovalPolicy  string
	WebhookURL      string
	SlackWebhookURL string
	// DigestWindow is a Go duration ("10m", "0s"); empty means DefaultDigestWindow.
	DigestWindow string

	Approvers []NewApprover
	Brand     Brand
	// ReminderAfter and EscalateAfter are the default timers of the client's posts (Go
	// durations; "" for greenlight's defaults).
	ReminderAfter, EscalateAfter string
}

// DefaultDigestWindow is how long a client's approval emails are gathered into one per
// approver unless the client says otherwise; MaxDigestWindow is the longest allowed.
const (
	DefaultDigestWindow = 10 * time.Minute
	MaxDigestWindow     = 24 * time.Hour
)

// ParseDigestWindow reads a client's digest window: a Go duration from 0s (one email per
// post) to MaxDigestWindow; empty means DefaultDigestWindow. Anything else is EINVALID
// naming the field.
func ParseDigestWindow(raw string) (time.Duration, error) {
	if strings.TrimSpace(raw) == "" {
		return DefaultDigestWindow, nil
	}
	d, err := time.ParseDuration(strings.TrimSpace(raw))
	if err != nil || d < 0 || d > MaxDigestWindow {
		return 0, greenlight.Errorf(greenlight.EINVALID, "digest_window: a duration from 0s (one email per post) to %s, like 10m", MaxDigestWindow)
	}
	return d, nil
}

// Brand is a client's look, language and clock; empty fields take the defaults (UTC, en).
type Brand struct {
	TimeZone   string
	Language   string
	SenderName string
	BrandColor string
}

var hexColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// validBrand checks b and returns it with defaults applied; errors name the field.
func validBrand(b Brand) (Brand, error) {
	b.TimeZone = strings.TrimSpace(b.TimeZone)
	if b.TimeZone == "" {
		b.TimeZone = "UTC"
	}
	if strings.EqualFold(b.TimeZone, "local") {
		return b, greenlight.Errorf(greenlight.EINVALID, "time_zone: must be an IANA time zone name such as Europe/Paris")
	}
	if _, err := time.LoadLocation(b.TimeZone); err != nil || len(b.TimeZone) > 64 {
		return b, greenlight.Errorf(greenlight.EINVALID, "time_zone: unknown time zone %q (an IANA name such as Europe/Paris)", b.TimeZone)
	}
	if b.Language == "" {
		b.Language = "en"
	}
	if b.Language != "en" && b.Language != "fr" {
		return b, greenlight.Errorf(greenlight.EINVALID, "language: must be en or fr")
	}
	b.SenderName = strings.TrimSpace(b.SenderName)
	if len(b.SenderName) > 100 || strings.ContainsAny(b.SenderName, "\r\n<>\"") {
		return b, greenlight.Errorf(greenlight.EINVALID, "sender_name: at most 100 characters, no line breaks, quotes or angle brackets")
	}
	if b.BrandColor != "" && !hexColor.MatchString(b.BrandColor) {
		return b, greenlight.Errorf(greenlight.EINVALID, "brand_color: must be #rrggbb")
	}
	b.BrandColor = strings.ToLower(b.BrandColor)
	return b, nil
}

// NewApprover is a client contact.
type NewApprover struct {
	Name  string
	Email string
}

// CreateClient creates a client with its approvers (admins and editors not limited to
// some clients).
func (s *Service) CreateClient(ctx context.Context, actor *store.User, in NewClient) (*store.Client, error) {
	if err := authorize(actor, ActClientCreate, Resource{}); err != nil {
		return nil, err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 200 {
		return nil, greenlight.Errorf(greenlight.EINVALID, "name: required, at most 200 characters")
	}
	policy := in.ApprovalPolicy
	if policy == "" {
		policy = greenlight.PolicyAny
	}
	if policy != greenlight.PolicyAny && policy != greenlight.PolicyAll {
		return nil, greenlight.Errorf(greenlight.EINVALID, "approval_policy: must be any or all")
	}
	if err := s.validWebhookURL(ctx, "webhook_url", in.WebhookURL); err != nil {
		return nil, err
	}
	if err := s.validWebhookURL(ctx, "slack_webhook_url", in.SlackWebhookURL); err != nil {
		return nil, err
	}
	window, err := ParseDigestWindow(in.DigestWindow)
	if err != nil {
		return nil, err
	}
	brand, err := validBrand(in.Brand)
	if err != nil {
		return nil, err
	}
	reminder, err := validTimer("reminder_after", in.ReminderAfter)
	if err != nil {
		return nil, err
	}
	escalate, err := validTimer("escalate_after", in.EscalateAfter)
	if err != nil {
		return nil, err
	}
	if len(in.Approvers) == 0 {
		return nil, greenlight.Errorf(greenlight.EINVALID, "approvers: at least one approver is required")
	}
	if len(in.Approvers) > 50 {
		return nil, greenlight.Errorf(greenlight.EINVALID, "approvers: at most 50")
	}
	c := &store.Client{ID: greenlight.NewID("cli_"), Name: name, ApprovalPolicy: policy, WebhookURL: in.WebhookURL,
		SlackWebhookURL: in.SlackWebhookURL, DigestWindow: window, TimeZone: brand.TimeZone, Language: brand.Language, SenderName: brand.SenderName,
		BrandColor: brand.BrandColor, ReminderAfter: reminder, EscalateAfter: escalate, CreatedAt: s.now()}
	for i, a := range in.Approvers {
		email, err := ValidEmail(fmt.Sprintf("approvers[%d].email", i), a.Email)
		if err != nil {
			return nil, err
		}
		an := strings.TrimSpace(a.Name)
		if an == "" || len(an) > 200 {
			return nil, greenlight.Errorf(greenlight.EINVALID, "approvers[%d].name: required, at most 200 characters", i)
		}
		c.Approvers = append(c.Approvers, store.Approver{ID: greenlight.NewID("apr_"), Name: an, Email: email})
	}
	if err := s.Store.CreateClient(ctx, c); err != nil {
		return nil, err
	}
	s.Log.Info("client created", "client", c.ID, "by", actor.ID)
	return c, nil
}

// Client returns a client the user may see, else ENOTFOUND.
func (s *Service) Client(ctx context.Context, actor *store.User, id string) (*store.Client, error) {
	return s.loadClient(ctx, actor, ActClientRead, id)
}

// Clients lists the clients the user may see.
func (s *Service) Clients(ctx context.Context, actor *store.User) ([]store.Client, error) {
	if err := authorize(actor, ActClientsList, Resource{}); err != nil {
		return nil, err
	}
	return s.Store.ListClients(ctx, Scope(actor))
}

func validHTTPURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(raw) > 2000 {
		return greenlight.Errorf(greenlight.EINVALID, "%s: %q is not an http(s) URL", field, raw)
	}
	return nil
}

// validWebhookURL accepts an empty URL, or an http(s) URL whose host resolves to addresses
// the outbound client may reach (GREENLIGHT_OUTBOUND_ALLOW); EINVALID naming the field
// otherwise, so that a webhook aimed at an internal address fails now, not at delivery.
func (s *Service) validWebhookURL(ctx context.Context, field, raw string) error {
	if raw == "" {
		return nil
	}
	if err := validHTTPURL(field, raw); err != nil {
		return err
	}
	if err := s.Outbound.CheckURL(ctx, raw); err != nil {
		if errors.Is(err, outbound.ErrRefused) {
			return greenlight.Errorf(greenlight.EINVALID, "%s: %v; webhooks may not reach internal addresses unless GREENLIGHT_OUTBOUND_ALLOW lists them", field, err)
		}
		return greenlight.Errorf(greenlight.EINVALID, "%s: %v", field, err)
	}
	return nil
}

// SetApprovers replaces a client's approvers (admins and editors of the client). Approvals in
// progress keep the approvers they were sent to.
func (s *Service) SetApprovers(ctx context.Context, actor *store.User, clientID string, in []NewApprover) (*store.Client, error) {
	if _, err := s.loadClient(ctx, actor, ActApproversSet, clientID); err != nil {
		return nil, err
	}
	if len(in) == 0 || len(in) > 50 {
		return nil, greenlight.Errorf(greenlight.EINVALID, "approvers: between 1 and 50")
	}
	var as []store.Approver
	for i, a := range in {
		email, err := ValidEmail(fmt.Sprintf("approvers[%d].email", i), a.Email)
		if err != nil {
			return nil, err
		}
		name := strings.TrimSpace(a.Name)
		if name == "" || len(name) > 200 {
			return nil, greenlight.Errorf(greenlight.EINVALID, "approvers[%d].name: required, at most 200 characters", i)
		}
		as = append(as, store.Approver{ID: greenlight.NewID("apr_"), Name: name, Email: email})
	}
	if err := s.Store.SetApprovers(ctx, clientID, as); err != nil {
		return nil, err
	}
	return s.Store.Client(ctx, clientID)
}
