// Package mail sends Greenlight's emails: over SMTP in production, into the database's
// dev mail catcher in dev mode. Every message carries the idempotency key of the effect
// that sent it.
package mail

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/store"
)

// Message is one email to one recipient, as plain text and HTML.
type Message struct {
	Key    string // idempotency key of the effect; also the X-Greenlight-Key header
	To     string
	ToName string
	// FromName, when set, is the sender's display name instead of the configured one (a
	// client's "<sender name> via <agency>"); the address stays the agency's.
	FromName string
	Subject  string
	Text     string
	HTML     string
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// KeyHeader carries the idempotency key so that receivers and tests can de-duplicate.
const KeyHeader = "X-Greenlight-Key"

// SMTP sends over an SMTP server.
type SMTP struct {
	host     string
	port     int
	from     string
	fromName string
	opts     []gomail.Option
}

// NewSMTP parses rawURL — smtp://[user:pass@]host[:port][?tls=none|starttls|opportunistic]
// or smtps://… for implicit TLS — and returns a sender writing from the given address.
func NewSMTP(rawURL, from, fromName string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("SMTP URL: %w", err)
	}
	s := &SMTP{host: u.Hostname(), from: from, fromName: fromName}
	if s.host == "" {
		return nil, fmt.Errorf("SMTP URL %q has no host", rawURL)
	}
	s.opts = []gomail.Option{gomail.WithTimeout(15 * time.Second)}
	switch u.Scheme {
	case "smtps":
		s.port = 465
		s.opts = append(s.opts, gomail.WithSSL())
	case "smtp":
		s.port = 587
		switch u.Query().Get("tls") {
		case "none":
			s.opts = append(s.opts, gomail.WithTLSPolicy(gomail.NoTLS))
		case "starttls":
			s.opts = append(s.opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
		case "", "opportunistic":
			s.opts = append(s.opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
		default:
			return nil, fmt.Errorf("SMTP URL: tls must be none, starttls or opportunistic")
		}
	default:
		return nil, fmt.Errorf("SMTP URL scheme must be smtp or smtps, not %q", u.Scheme)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("SMTP URL port: %w", err)
		}
		s.port = n
	}
	s.opts = append(s.opts, gomail.WithPort(s.port))
	if u.User != nil {
		pw, _ := u.User.Password()
		s.opts = append(s.opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pw))
	}
	return s, nil
}

// Send delivers m in one SMTP session. The Message-ID derives from the idempotency key, so
// a repeat after a crash carries the same id.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg := gomail.NewMsg()
	fromName := s.fromName
	if m.FromName != "" {
		fromName = m.FromName
	}
	if err := msg.FromFormat(fromName, s.from); err != nil {
		return fmt.Errorf("mail from: %w", err)
	}
	if err := msg.AddToFormat(m.ToName, m.To); err != nil {
		return greenlight.Errorf(greenlight.EINVALID, "recipient %q: %v", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetGenHeader(KeyHeader, m.Key)
	msg.SetMessageIDWithValue(messageID(m.Key, s.from))
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp send: %w", err)
	}
	return nil
}

func messageID(key, from string) string {
	domain := "greenlight.local"
	for i := len(from) - 1; i >= 0; i-- {
		if from[i] == '@' {
			domain = from[i+1:]
			break
		}
	}
	return fmt.Sprintf("%x@%s", hashKey(key), domain)
}

// Catcher keeps every email in the database instead of sending it (dev mode). The same key
// twice is kept once.
type Catcher struct {
	Store *store.Store
}

// Send stores m.
func (c *Catcher) Send(ctx context.Context, m Message) error {
	return c.Store.SaveDevMail(ctx, &store.DevMail{
		ID: greenlight.NewID("mail_"), IdemKey: m.Key, ToAddr: m.To, ToName: m.ToName,
		Subject: m.Subject, TextBody: m.Text, HTMLBody: m.HTML, SentAt: time.Now().UTC(),
	})
}
