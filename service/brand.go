package service

import (
	"context"
	"strings"
	"time"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/brand"
	"github.com/greenlight/greenlight/store"
)

// ClientPatch is a partial update of a client's settings: nil fields stay as they are.
// Durations are Go durations ("36h"); "" or "0s" goes back to the default.
type ClientPatch struct {
	TimeZone      *string
	Language      *string
	SenderName    *string
	BrandColor    *string
	LogoMediaID   *string // "" removes the logo
	ReminderAfter *string
	EscalateAfter *string
	DigestWindow  *string // "0s": one email per post
}

// UpdateClient changes the given settings of a client (admins and editors of the client).
// Invalid values are EINVALID naming the field; a logo must be an image of this client's
// media library (another client's media answers like an unknown one).
func (s *Service) UpdateClient(ctx context.Context, actor *store.User, id string, p ClientPatch) (*store.Client, error) {
	c, err := s.loadClient(ctx, actor, ActClientUpdate, id)
	if err != nil {
		return nil, err
	}
	b := Brand{TimeZone: c.TimeZone, Language: c.Language, SenderName: c.SenderName, BrandColor: c.BrandColor}
	set := store.ClientSettings{}
	for _, f := range []struct {
		col string
		in  *string
		to  *string
	}{{"time_zone", p.TimeZone, &b.TimeZone}, {"language", p.Language, &b.Language}, {"sender_name", p.SenderName, &b.SenderName}, {"brand_color", p.BrandColor, &b.BrandColor}} {
		if f.in != nil {
			*f.to = *f.in
			set[f.col] = nil // filled once validated
		}
	}
	if p.TimeZone != nil && strings.TrimSpace(*p.TimeZone) == "" {
		return nil, greenlight.Errorf(greenlight.EINVALID, "time_zone: required (an IANA name such as Europe/Paris)")
	}
	if p.Language != nil && *p.Language == "" {
		return nil, greenlight.Errorf(greenlight.EINVALID, "language: must be en or fr")
	}
	if b, err = validBrand(b); err != nil {
		return nil, err
	}
	for col, v := range map[string]string{"time_zone": b.TimeZone, "language": b.Language, "sender_name": b.SenderName, "brand_color": b.BrandColor} {
		if _, ok := set[col]; ok {
			set[col] = v
		}
	}
	if p.LogoMediaID != nil {
		logo := strings.TrimSpace(*p.LogoMediaID)
		if logo != "" {
			if err := s.validLogo(ctx, c.ID, logo); err != nil {
				return nil, err
			}
		}
		set["logo_media_id"] = logo
	}
	for _, d := range []struct {
		field string
		in    *string
	}{{"reminder_after", p.ReminderAfter}, {"escalate_after", p.EscalateAfter}} {
		if d.in == nil {
			continue
		}
		v, err := validTimer(d.field, *d.in)
		if err != nil {
			return nil, err
		}
		set[d.field] = int64(v)
	}
	if p.DigestWindow != nil {
		if strings.TrimSpace(*p.DigestWindow) == "" {
			return nil, greenlight.Errorf(greenlight.EINVALID, "digest_window: required: a duration such as 10m, or 0s for one email per post")
		}
		w, err := ParseDigestWindow(*p.DigestWindow)
		if err != nil {
			return nil, err
		}
		set["digest_window"] = int64(w)
	}
	if err := s.Store.UpdateClientSettings(ctx, c.ID, set); err != nil {
		return nil, err
	}
	s.Log.Info("client settings changed", "client", c.ID, "by", actor.ID, "fields", len(set))
	return s.Store.Client(ctx, c.ID)
}

// validTimer reads a client's default reminder or escalation delay: "" or "0s" is the
// default (0), else between 1m and 8760h like a post's own timers.
func validTimer(field, raw string) (time.Duration, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		return 0, greenlight.Errorf(greenlight.EINVALID, "%s: %q is not a duration such as 36h or 90m", field, raw)
	}
	if d == 0 {
		return 0, nil
	}
	if d < time.Minute || d > 365*24*time.Hour {
		return 0, greenlight.Errorf(greenlight.EINVALID, "%s: must be between 1m and 8760h (or 0s for the default)", field)
	}
	return d, nil
}

// validLogo accepts an image of the client's own media library.
func (s *Service) validLogo(ctx context.Context, clientID, id string) error {
	unknown := greenlight.Errorf(greenlight.EINVALID, "logo_media_id: no media %s in this client's library", id)
	if !greenlight.ValidID("med_", id) {
		return unknown
	}
	m, err := s.Store.Media(ctx, id)
	if greenlight.IsCode(err, greenlight.ENOTFOUND) || err == nil && m.ClientID != clientID {
		return unknown
	}
	if err != nil {
		return err
	}
	if !strings.HasPrefix(m.ContentType, "image/") {
		return greenlight.Errorf(greenlight.EINVALID, "logo_media_id: must be an image, not %s", m.ContentType)
	}
	return nil
}

// ClientLook is how the client's pages look and speak: language, zone, colours with
// accessible contrast, sender name, and the logo as a signed path on this site (valid for
// MediaURLTTL; "" when there is none or the media library is not configured). Client pages
// (approval link, batch review, portal) build their header from it.
func (s *Service) ClientLook(ctx context.Context, c *store.Client) brand.Look {
	l := brand.Of(c)
	if c.LogoMediaID == "" || s.Library == nil {
		return l
	}
	m, err := s.Store.Media(ctx, c.LogoMediaID)
	if err != nil || m.ClientID != c.ID {
		if err != nil && !greenlight.IsCode(err, greenlight.ENOTFOUND) {
			s.Log.Warn("client logo", "client", c.ID, "error", err)
		}
		return l
	}
	variant := "file"
	if m.ThumbSHA256 != "" {
		variant = "thumb"
	}
	l.LogoURL = s.SignedMediaURL(m.ID, variant)
	return l
}

// timersFor returns the reminder and escalation delays of a new post of c: the client's
// defaults when set, else greenlight's.
func timersFor(c *store.Client) (reminder, escalate time.Duration) {
	reminder, escalate = greenlight.DefaultReminderAfter, greenlight.DefaultEscalateAfter
	if c.ReminderAfter > 0 {
		reminder = c.ReminderAfter
	}
	if c.EscalateAfter > 0 {
		escalate = c.EscalateAfter
	}
	return reminder, escalate
}
