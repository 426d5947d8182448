package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// A Connector publishes to one social network through a client's connected account
// (store.Account). Each network package (publish/bluesky, publish/mastodon, …) provides one;
// the publishing activity picks it by the account's network.
//
// Publish separates invisible, retryable preparation (media uploads, waiting until media is
// ready) from the one visible create, which must be idempotent under Post.Key: a repeated
// call after a lost answer never makes a second post (a record key derived from the key, an
// Idempotency-Key header, or a look-up before deciding). When it cannot know whether the
// create happened, it returns an *Error of KindAmbiguous and the channel ends unconfirmed.
type Connector interface {
	// Network is the account network this connector serves ("bluesky", "mastodon", …).
	Network() string
	// Validate checks p against the network's rules for acct (the instance's own limits
	// where the network has them) before approval: a broken rule is a *RuleError.
	Validate(ctx context.Context, acct Account, p Post) error
	// Publish makes p's one visible post on acct.
	Publish(ctx context.Context, acct Account, p Post) (Result, error)
}

// Account is a connected account as a connector sees it: its opened (decrypted)
// credentials, and Save to persist credentials the connector refreshed. Save seals and
// stores them atomically before the connector uses them; a connector calls it after every
// refresh (refresh tokens may rotate: the old one stops working).
type Account struct {
	ID          string
	ClientID    string
	Network     string
	Handle      string
	ServiceURL  string // PDS or instance URL
	Credentials []byte // the connector's own JSON, opened
	Save        func(ctx context.Context, credentials []byte) error
	// Refresh runs fn with the account's current credentials (opened) while holding the
	// account's refresh lock, then seals and stores what fn returns, atomically: one
	// refresh at a time per account across every process. fn must re-check the expiry of
	// what it is given (another process may have refreshed meanwhile: return current
	// unchanged to store nothing) and must not call Save. Connectors whose tokens expire
	// or rotate (X refresh tokens work once) refresh through it, ahead of expiry and once
	// after a 401; Refresh returns the credentials to use. Nil in unit tests that give no
	// store: a connector then refreshes in memory and calls Save.
	Refresh func(ctx context.Context, fn func(current []byte) ([]byte, error)) ([]byte, error)
}

// RefreshWith is acct.Refresh when it is set, else fn on acct.Credentials followed by
// acct.Save (when set): the one way a connector refreshes.
func RefreshWith(ctx context.Context, acct Account, fn func(current []byte) ([]byte, error)) ([]byte, error) {
	if acct.Refresh != nil {
		return acct.Refresh(ctx, fn)
	}
	next, err := fn(acct.Credentials)
	if err != nil {
		return nil, err
	}
	if acct.Save != nil && string(next) != string(acct.Credentials) {
		if err := acct.Save(ctx, next); err != nil {
			return nil, err
		}
	}
	return next, nil
}

// Post is one version of a post going out on one channel of a connected account.
type Post struct {
	Key       string // the publication's idempotency key: post/<id>/v<version>/publish/<channel>
	PostID    string
	Version   int
	Channel   string
	Text      string // the body as the client approved it
	Title     string
	Media     []Media // in order
	CreatedAt time.Time
	PublishAt time.Time
}

// Media is one file of a post.
type Media struct {
	ID          string
	SHA256      string
	ContentType string // sniffed when uploaded: image/jpeg, image/png, image/webp, image/gif, video/mp4
	Size        int64
	Width       int
	Height      int
	DurationMS  int64
	Alt         string
	// Open reads the file's bytes (metadata already stripped).
	Open func() (io.ReadCloser, error)
	// URL is a signed, expiring public URL for networks that fetch media themselves; empty
	// when GREENLIGHT_PUBLIC_URL is not set.
	URL string
}

// Result is a published post.
type Result struct {
	RemoteID string // the network's id (Bluesky: the at:// URI)
	URL      string // where people see it
}

// Kind says what the publishing layer does with a connector's error.
type Kind int

const (
	// KindRetryable: try again later (network error, 5xx); nothing visible happened, or the
	// create is idempotent.
	KindRetryable Kind = iota
	// KindRateLimit: wait RetryAfter on a durable timer, then try again.
	KindRateLimit
	// KindAuth: the credentials no longer work even after one refresh: the account needs
	// to be reconnected by a person.
	KindAuth
	// KindPermanent: the network refused the post (a rule, a deleted resource); retrying
	// cannot help.
	KindPermanent
	// KindAmbiguous: the create may or may not have happened and the network gives no way
	// to check; never retried blindly: the channel is unconfirmed.
	KindAmbiguous
)

func (k Kind) String() string {
	switch k {
	case KindRetryable:
		return "retryable"
	case KindRateLimit:
		return "rate_limit"
	case KindAuth:
		return "auth"
	case KindPermanent:
		return "permanent"
	case KindAmbiguous:
		return "ambiguous"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is a connector's failure. Message is safe to show to staff (the network's own
// message, no credentials).
type Error struct {
	Kind       Kind
	Network    string
	Message    string
	RetryAfter time.Duration // KindRateLimit: how long the network asked to wait (0: unknown)
	Err        error
}

func (e *Error) Error() string { return e.Network + ": " + e.Message }
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns err's Kind: KindRetryable for errors that are not an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindRetryable
}

// RuleError is a post that breaks one of a network's rules; the API answers 422 naming the
// channel and the rule.
type RuleError struct {
	Channel string // set by the caller
	Rule    string // e.g. "text_length", "image_count", "image_size", "media_type"
	Message string
}

func (e *RuleError) Error() string {
	if e.Channel == "" {
		return e.Message
	}
	return fmt.Sprintf("channels: %s: %s (%s)", e.Channel, e.Message, e.Rule)
}

// CredentialStore stores accounts' sealed credentials under a per-account lock
// (store.Store).
type CredentialStore interface {
	RefreshAccountCredentials(ctx context.Context, id string, refresh func(sealed string) (string, error)) (string, error)
}

// Sealer seals and opens credentials (secrets.Box), with the account's id as associated
// data.
type Sealer interface {
	Seal(plaintext, aad []byte) string
	Open(sealed string, aad []byte) ([]byte, error)
}

// AccountRefresher is Account.Refresh for account id: fn runs on the opened credentials
// under the account's lock, and what it returns is sealed and stored before it is used.
func AccountRefresher(st CredentialStore, box Sealer, id string) func(context.Context, func([]byte) ([]byte, error)) ([]byte, error) {
	aad := []byte(id)
	return func(ctx context.Context, fn func([]byte) ([]byte, error)) ([]byte, error) {
		var opened []byte
		_, err := st.RefreshAccountCredentials(ctx, id, func(sealed string) (string, error) {
			current, err := box.Open(sealed, aad)
			if err != nil {
				return "", err
			}
			next, err := fn(current)
			if err != nil {
				return "", err
			}
			opened = next
			if string(next) == string(current) {
				return sealed, nil
			}
			return box.Seal(next, aad), nil
		})
		if err != nil {
			return nil, err
		}
		return opened, nil
	}
}
