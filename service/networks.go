package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/store"
)

// checkNetworkRules runs, for each of the content's channels that a connector publishes
// to, the connector's rules (publish.Connector.Validate) against the client's connected
// account for that network (a zero account naming the network when there is none). A
// broken rule is EINVALID naming the channel and the rule.
func (s *Service) checkNetworkRules(ctx context.Context, postID, clientID string, version int, c greenlight.Content) error {
	var accounts []store.Account
	for _, ch := range c.Channels {
		conn, ok := s.Connectors[ch]
		if !ok {
			continue
		}
		if accounts == nil {
			var err error
			if accounts, err = s.Store.ListAccounts(ctx, clientID); err != nil {
				return err
			}
		}
		acct := s.publishAccount(ctx, clientID, ch, accounts)
		p, err := s.publishPost(ctx, postID, version, ch, c)
		if err != nil {
			return err
		}
		if err := conn.Validate(ctx, acct, p); err != nil {
			return ruleError(ch, err)
		}
	}
	return nil
}

// ruleError is the one mapping of a connector's Validate error to the API's answer: a
// broken rule is EINVALID "channels: <channel>: <what> (<rule>)"; any other error means
// the rules could not be checked now (EUNAVAILABLE).
func ruleError(channel string, err error) error {
	var re *publish.RuleError
	if errors.As(err, &re) {
		named := *re
		named.Channel = channel
		return greenlight.Errorf(greenlight.EINVALID, "%s", named.Error())
	}
	if code := greenlight.ErrorCode(err); code == greenlight.EINVALID {
		return greenlight.Errorf(greenlight.EINVALID, "channels: %s: %s", channel, greenlight.ErrorMessage(err))
	}
	return greenlight.Errorf(greenlight.EUNAVAILABLE, "channels: %s: the network's rules could not be checked (%s); retry shortly", channel, sanitizeErr(err))
}

func sanitizeErr(err error) string {
	var pe *publish.Error
	if errors.As(err, &pe) {
		return pe.Message
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, truncate(err.Error(), 200))
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// connectedAccount returns the client's account on network that publishing would use:
// the first active one, else the first needing a reconnection; nil when none (accounts
// still waiting for an authorization do not count).
func connectedAccount(accounts []store.Account, network string) *store.Account {
	var fallback *store.Account
	for i := range accounts {
		a := &accounts[i]
		if a.Network != network {
			continue
		}
		switch a.Status {
		case store.AccountActive:
			return a
		case store.AccountNeedsReconnect:
			if fallback == nil {
				fallback = a
			}
		}
	}
	return fallback
}

// publishAccount is the connector's view of the client's account on network: opened
// credentials when a secret key is configured and they open, a zero account naming the
// network when the client has none.
func (s *Service) publishAccount(ctx context.Context, clientID, network string, accounts []store.Account) publish.Account {
	a := connectedAccount(accounts, network)
	if a == nil {
		return publish.Account{ClientID: clientID, Network: network}
	}
	out := publish.Account{ID: a.ID, ClientID: a.ClientID, Network: a.Network, Handle: a.Handle, ServiceURL: a.ServiceURL}
	if s.Secrets != nil && a.Credentials != "" {
		plain, err := s.Secrets.Open(a.Credentials, []byte(a.ID))
		if err != nil {
			s.Log.Warn("account credentials do not open", "account", a.ID, "error", err)
		} else {
			out.Credentials = plain
			id := a.ID
			out.Save = func(ctx context.Context, credentials []byte) error {
				return s.Store.SaveAccountCredentials(ctx, id, s.Secrets.Seal(credentials, []byte(id)), store.AccountActive, s.now())
			}
			out.Refresh = publish.AccountRefresher(s.Store, s.Secrets, id)
		}
	}
	return out
}

// publishPost is content as a connector receives it on channel: its files with their
// sizes, pixels and a way to read them from the library.
func (s *Service) publishPost(ctx context.Context, postID string, version int, channel string, c greenlight.Content) (publish.Post, error) {
	p := publish.Post{
		Key: fmt.Sprintf("post/%s/v%d/publish/%s", postID, version, channel), PostID: postID, Version: version,
		Channel: channel, Text: c.Body, Title: c.Title, CreatedAt: s.now(),
	}
	if len(c.Media) == 0 {
		return p, nil
	}
	set, err := s.MediaSet(ctx, c.Media)
	if err != nil {
		return p, err
	}
	for _, v := range set.Views(c.Media) {
		p.Media = append(p.Media, publish.Media{
			ID: v.ID, SHA256: v.SHA256, ContentType: v.ContentType, Size: v.Size, Width: v.Width, Height: v.Height,
			DurationMS: v.DurationMS, Alt: v.Alt, Open: s.opener(v.SHA256),
		})
	}
	return p, nil
}

// checkRouting says, before a post goes to review, where each of its channels would be
// published: a connector network needs the client's connected account for it or the
// client's webhook; any other channel needs the webhook, unless the dev publisher records
// publications. EINVALID naming the first channel with nowhere to go.
func (s *Service) checkRouting(ctx context.Context, p *store.Post) error {
	client, err := s.Store.Client(ctx, p.ClientID)
	if err != nil {
		return err
	}
	if client.WebhookURL != "" {
		return nil
	}
	var accounts []store.Account
	for _, ch := range p.Channels {
		if _, ok := s.Connectors[ch]; ok {
			if accounts == nil {
				if accounts, err = s.Store.ListAccounts(ctx, p.ClientID); err != nil {
					return err
				}
			}
			if connectedAccount(accounts, ch) == nil {
				return greenlight.Errorf(greenlight.EINVALID, "channels: %s: connect a %s account for %s or set the client's publishing webhook",
					ch, networkName(ch), client.Name)
			}
			continue
		}
		if !s.DevPublisher {
			return greenlight.Errorf(greenlight.EINVALID, "channels: %s: set the publishing webhook of %s (Greenlight does not publish to %s itself)",
				ch, client.Name, ch)
		}
	}
	return nil
}

// networkName is a network's name as people write it.
func networkName(network string) string {
	switch network {
	case "bluesky":
		return "Bluesky"
	case "mastodon":
		return "Mastodon"
	}
	if network == "" {
		return network
	}
	return strings.ToUpper(network[:1]) + network[1:]
}
