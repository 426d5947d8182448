// Package service is what staff and clients can do, independent of HTTP: it checks roles
// and client scope, validates input, sends decisions to workflows as Updates and reads the
// projections. The JSON API and the web pages both call it.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/media"
	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/playbooks"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/secrets"
	"github.com/greenlight/greenlight/store"
)

// Service holds the dependencies of every operation. It uses the store's concrete type:
// it needs most of its methods, and tests run it on real databases.
type Service struct {
	Store     *store.Store
	Temporal  client.Client
	TaskQueue string
	Catalog   *playbooks.Catalog
	// Agency is the agency's name in reports and on client pages.
	Agency string
	Log    *slog.Logger
	// Library keeps uploaded media files (uploads are refused when nil).
	Library *media.Library
	// Outbound says which internal addresses webhook URLs may point to (none when nil).
	Outbound *outbound.Policy
	// HTTP is the shared outbound client (outbound.NewClient with Outbound) for calls to
	// social networks; one is built from Outbound when nil.
	HTTP *http.Client
	// Secrets seals connected accounts' credentials; nil when GREENLIGHT_SECRET_KEY is not
	// set, and then accounts cannot be connected.
	Secrets *secrets.Box
	// Connectors publish to social networks, by network ("bluesky", "mastodon"): a post's
	// channel of that name is checked against the connector's rules when saved, and needs
	// the client's connected account (or webhook) when submitted. Empty: every channel goes
	// to the client's webhook.
	Connectors map[string]publish.Connector
	// Providers connect accounts by OAuth with the operator's app, by network
	// ("instagram", "facebook", "linkedin", "x"); OAuthApps are the operator's apps by
	// network (Instagram and Facebook share Meta's). A network without both is listed as
	// not configured.
	Providers map[string]publish.OAuthProvider
	OAuthApps map[string]publish.OAuthApp
	// DevPublisher says publications without a webhook are recorded (greenlight dev), so
	// a channel needs no webhook to be submitted.
	DevPublisher bool
	// MediaFetchTimeout bounds the download of one media_urls entry
	// (DefaultMediaFetchTimeout when 0).
	MediaFetchTimeout time.Duration
	// PublicURL is the site's base URL (GREENLIGHT_PUBLIC_URL): OAuth authorizations send the
	// browser back under it. Empty: accounts that need an authorization cannot be connected.
	PublicURL string
	// PortalTTL is how long a client portal link works (DefaultPortalTTL when 0).
	PortalTTL time.Duration
	// DecisionTimeout bounds how long a request waits for a workflow to record a decision.
	DecisionTimeout time.Duration
	// Now is the clock (tests may replace it).
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) decisionTimeout() time.Duration {
	if s.DecisionTimeout > 0 {
		return s.DecisionTimeout
	}
	return 30 * time.Second
}

// Actor returns the workflow actor for a staff user.
func Actor(u *store.User) greenlight.Actor {
	return greenlight.Actor{Kind: "user", ID: u.ID, Name: u.Name}
}

// fromTemporal maps errors from the Temporal client to domain errors: application errors
// raised by validators and handlers keep their code; an unreachable server or a timeout is
// EUNAVAILABLE.
func fromTemporal(err error) error {
	if err == nil {
		return nil
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() != "" {
		return greenlight.Errorf(appErr.Type(), "%s", appErr.Message())
	}
	var timeoutErr *client.WorkflowUpdateServiceTimeoutOrCanceledError
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	switch {
	case errors.As(err, &timeoutErr), errors.As(err, &deadline), errors.Is(err, context.DeadlineExceeded):
		return greenlight.Errorf(greenlight.EUNAVAILABLE, "the workflow engine did not answer in time; the request may still complete, check again shortly")
	case errors.As(err, &unavailable):
		return greenlight.Errorf(greenlight.EUNAVAILABLE, "the workflow engine is unavailable, retry shortly")
	}
	return fmt.Errorf("temporal: %w", err)
}

// isClosed reports whether err says the workflow already completed.
func isClosed(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}
