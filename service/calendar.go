package service

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/calendar"
	"github.com/greenlight/greenlight/store"
)

// Calendar feeds: a secret URL /calendar/{token}.ics that calendar applications poll. The
// token (prefix glc_) is shown once, when it is minted; only its SHA-256 is stored, as for
// approval links. A staff feed reads as its user, with read-only rights: it shows the
// scheduled and published posts of that user's clients, follows later scope changes, and
// stops working when the user is disabled. To get the URL again, revoke the feed and mint
// a new one (the old URL then stops working).

// CalendarTokenPrefix starts every calendar feed token.
const CalendarTokenPrefix = "glc_"

// Calendar window: posts published up to CalendarPast ago and scheduled up to
// CalendarAhead from now.
const (
	CalendarPast  = 90 * 24 * time.Hour
	CalendarAhead = 400 * 24 * time.Hour
)

// CalendarFeedInfo describes a user's feed. Token is set only by the call that minted it.
type CalendarFeedInfo struct {
	Token     string
	CreatedAt time.Time
}

// CalendarFeed returns the actor's calendar feed, minting it (with its token) when the
// actor has none. For an existing feed the token cannot be shown again: Token is empty.
func (s *Service) CalendarFeed(ctx context.Context, actor *store.User) (*CalendarFeedInfo, error) {
	if err := authorize(actor, ActCalendarFeed, Resource{}); err != nil {
		return nil, err
	}
	f, err := s.Store.UserCalendarFeed(ctx, actor.ID)
	if err == nil {
		return &CalendarFeedInfo{CreatedAt: f.CreatedAt}, nil
	}
	if !greenlight.IsCode(err, greenlight.ENOTFOUND) {
		return nil, err
	}
	token, hash := greenlight.NewToken(CalendarTokenPrefix)
	uid := actor.ID
	f = &store.CalendarFeed{TokenHash: hash, UserID: &uid, CreatedAt: s.now()}
	if err := s.Store.CreateCalendarFeed(ctx, f); err != nil {
		return nil, err // ECONFLICT: a concurrent call minted it first
	}
	s.Log.Info("calendar feed minted", "user", actor.ID)
	return &CalendarFeedInfo{Token: token, CreatedAt: f.CreatedAt}, nil
}

// RevokeCalendarFeed deletes the actor's feed; its URL stops working. ENOTFOUND when the
// actor has none.
func (s *Service) RevokeCalendarFeed(ctx context.Context, actor *store.User) error {
	if err := authorize(actor, ActCalendarFeed, Resource{}); err != nil {
		return err
	}
	if err := s.Store.DeleteUserCalendarFeed(ctx, actor.ID); err != nil {
		return err
	}
	s.Log.Info("calendar feed revoked", "user", actor.ID)
	return nil
}

// MintApproverCalendarFeed mints a calendar feed for an approver of a client, showing that
// client's posts only, and returns its token (shown once). An approver with a feed is
// ECONFLICT: RevokeApproverCalendarFeed first. The caller (the client portal, once it
// exists) has authenticated the approver; an email that is not an approver of the client is
// ENOTFOUND.
func (s *Service) MintApproverCalendarFeed(ctx context.Context, clientID, email string) (string, error) {
	if _, err := s.clientApprover(ctx, clientID, email); err != nil {
		return "", err
	}
	token, hash := greenlight.NewToken(CalendarTokenPrefix)
	cid, addr := clientID, strings.ToLower(email)
	return token, s.Store.CreateCalendarFeed(ctx, &store.CalendarFeed{TokenHash: hash, ClientID: &cid, ApproverEmail: &addr, CreatedAt: s.now()})
}

// RevokeApproverCalendarFeed deletes an approver's feed of a client (ENOTFOUND if none).
func (s *Service) RevokeApproverCalendarFeed(ctx context.Context, clientID, email string) error {
	return s.Store.DeleteApproverCalendarFeed(ctx, clientID, strings.ToLower(email))
}

func (s *Service) clientApprover(ctx context.Context, clientID, email string) (*store.Client, error) {
	c, err := s.Store.Client(ctx, clientID)
	if err != nil {
		return nil, err
	}
	for _, a := range c.Approvers {
		if strings.EqualFold(a.Email, email) {
			return c, nil
		}
	}
	return nil, greenlight.Errorf(greenlight.ENOTFOUND, "calendar feed not found")
}

// CalendarByToken renders the feed a token opens, as iCalendar text. baseURL is the site's
// public URL (post links and event UIDs' domain). A token that is unknown, revoked, or whose
// user is disabled (or approver removed) is ENOTFOUND.
func (s *Service) CalendarByToken(ctx context.Context, token, baseURL string) ([]byte, error) {
	missing := greenlight.Errorf(greenlight.ENOTFOUND, "calendar feed not found")
	if !strings.HasPrefix(token, CalendarTokenPrefix) {
		return nil, missing
	}
	f, err := s.Store.CalendarFeedByHash(ctx, greenlight.HashToken(token))
	if greenlight.IsCode(err, greenlight.ENOTFOUND) {
		return nil, missing
	} else if err != nil {
		return nil, err
	}
	var (
		scope    []string
		clientID string
		name     string
	)
	switch {
	case f.UserID != nil:
		u, err := s.Store.UserByID(ctx, *f.UserID)
		if greenlight.IsCode(err, greenlight.ENOTFOUND) {
			return nil, missing
		} else if err != nil {
			return nil, err
		}
		// The feed reads as its user: a disabled user, or a role that may not list posts,
		// gets nothing.
		if u.DisabledAt != nil || authorize(u, ActPostsList, Resource{}) != nil {
			return nil, missing
		}
		scope, name = Scope(u), fmt.Sprintf("%s – %s", s.agency(), u.Name)
	case f.ClientID != nil && f.ApproverEmail != nil:
		if f.PortalID != nil { // a portal's feed works while its portal does
			if open, err := s.portalFeedOpen(ctx, *f.PortalID); err != nil {
				return nil, err
			} else if !open {
				return nil, missing
			}
		}
		c, err := s.clientApprover(ctx, *f.ClientID, *f.ApproverEmail)
		if greenlight.IsCode(err, greenlight.ENOTFOUND) {
			return nil, missing
		} else if err != nil {
			return nil, err
		}
		clientID, name = c.ID, fmt.Sprintf("%s – %s", s.agency(), c.Name)
	default:
		return nil, missing
	}
	now := s.now()
	posts, err := s.Store.PostsBetween(ctx, scope, clientID, now.Add(-CalendarPast), now.Add(CalendarAhead))
	if err != nil {
		return nil, err
	}
	clients, err := s.Store.ListClients(ctx, scope)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, c := range clients {
		names[c.ID] = c.Name
	}
	base := strings.TrimRight(baseURL, "/")
	domain := "greenlight"
	if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
		domain = u.Hostname()
	}
	feed := calendar.Feed{Name: name, Stamp: now}
	for _, p := range posts {
		e := calendar.Event{
			UID:          p.ID + "@" + domain,
			Start:        p.PublishAt,
			Summary:      names[p.ClientID] + ": " + p.Title,
			LastModified: p.UpdatedAt,
			Sequence:     p.Revision,
			Categories:   []string{p.Status},
			Status:       "CONFIRMED",
		}
		if p.Status == string(greenlight.StatusScheduled) {
			e.Status = "TENTATIVE"
		}
		if p.PublishedAt != nil {
			e.Start = *p.PublishedAt
		}
		desc := []string{"Status: " + p.Status, "Channels: " + strings.Join(p.Channels, ", ")}
		if base != "" && clientID == "" { // the post page is for staff only
			e.URL = base + "/posts/" + p.ID
			desc = append(desc, e.URL)
		}
		e.Description = strings.Join(desc, "\n")
		feed.Events = append(feed.Events, e)
	}
	return calendar.Render(feed), nil
}

func (s *Service) agency() string {
	if s.Agency == "" {
		return "Greenlight"
	}
	return s.Agency
}
