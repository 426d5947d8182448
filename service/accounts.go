package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/publish/bluesky"
	"github.com/greenlight/greenlight/secrets"
	"github.com/greenlight/greenlight/store"
)

// Networks an account can be connected on.
const (
	NetworkBluesky = "bluesky"
)

// DefaultBlueskyService is the PDS used when a Bluesky connection names none.
const DefaultBlueskyService = "https://bsky.social"

// ConnectAccount is a request to connect a client's account. For Bluesky: the PDS
// (ServiceURL), the handle (or DID or email) and an app password; the password is used
// once to create a session and never stored.
type ConnectAccount struct {
	Network     string
	ServiceURL  string
	Handle      string
	AppPassword string
}

// ConnectAccount logs in to the network with the given credentials and keeps the session,
// sealed, for publishing. It returns the account and whether it is new: connecting an
// account the client already has (same network and handle) replaces its credentials and
// makes it active again (a reconnection). Errors: EINVALID naming the field (unknown
// network, bad service_url, missing handle or password, credentials the network refuses),
// ETOOMANY when the network limits logins, EUNAVAILABLE when it does not answer or no
// secret key is configured.
func (s *Service) ConnectAccount(ctx context.Context, actor *store.User, clientID string, in ConnectAccount) (*store.Account, bool, error) {
	if _, err := s.loadClient(ctx, actor, ActAccountConnect, clientID); err != nil {
		return nil, false, err
	}
	if in.Network != NetworkBluesky {
		return nil, false, greenlight.Errorf(greenlight.EINVALID, "network: must be %s, %s, %s or %s", NetworkBluesky, NetworkMastodon,
			strings.Join(OAuthNetworks[:len(OAuthNetworks)-1], ", "), OAuthNetworks[len(OAuthNetworks)-1])
	}
	if in.ServiceURL == "" {
		in.ServiceURL = DefaultBlueskyService
	}
	service, err := s.validServiceURL(ctx, "service_url", in.ServiceURL, DefaultBlueskyService)
	if err != nil {
		return nil, false, err
	}
	handle := strings.TrimPrefix(strings.TrimSpace(in.Handle), "@")
	switch {
	case handle == "":
		return nil, false, greenlight.Errorf(greenlight.EINVALID, "handle: required (e.g. brand.bsky.social)")
	case len(handle) > 253 || strings.ContainsFunc(handle, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return nil, false, greenlight.Errorf(greenlight.EINVALID, "handle: not a handle, DID or email address")
	case in.AppPassword == "":
		return nil, false, greenlight.Errorf(greenlight.EINVALID, "app_password: required (create one in Bluesky's settings, under App passwords)")
	case s.Secrets == nil:
		return nil, false, greenlight.Errorf(greenlight.EUNAVAILABLE, "connected accounts need GREENLIGHT_SECRET_KEY to keep their credentials encrypted; ask the operator to set it")
	}

	bc, err := bluesky.New(s.httpClient(), service)
	if err != nil {
		return nil, false, greenlight.Errorf(greenlight.EINVALID, "service_url: %v", err)
	}
	sess, err := bc.Login(ctx, handle, in.AppPassword)
	if err != nil {
		return nil, false, loginError(err)
	}
	if sess.Handle != "" {
		handle = sess.Handle
	}
	handle = strings.ToLower(handle)
	plain, err := json.Marshal(sess)
	if err != nil {
		return nil, false, err
	}

	now := s.now()
	if old, err := s.Store.AccountByHandle(ctx, clientID, NetworkBluesky, handle); err == nil {
		if err := s.Store.SaveAccountCredentials(ctx, old.ID, s.Secrets.Seal(plain, []byte(old.ID)), store.AccountActive, now); err != nil {
			return nil, false, err
		}
		s.Log.Info("account reconnected", "client", clientID, "account", old.ID, "network", NetworkBluesky, "by", actor.ID)
		a, err := s.Store.Account(ctx, old.ID)
		return a, false, err
	} else if greenlight.ErrorCode(err) != greenlight.ENOTFOUND {
		return nil, false, err
	}
	a := &store.Account{
		ID: greenlight.NewID("acc_"), ClientID: clientID, Network: NetworkBluesky, Handle: handle, ServiceURL: service,
		Status: store.AccountActive, CreatedBy: actor.ID, CreatedAt: now, UpdatedAt: now,
	}
	a.Credentials = s.Secrets.Seal(plain, []byte(a.ID))
	if err := s.Store.CreateAccount(ctx, a); err != nil {
		return nil, false, err
	}
	s.Log.Info("account connected", "client", clientID, "account", a.ID, "network", NetworkBluesky, "by", actor.ID)
	return a, true, nil
}

// loginError turns a failed createSession into an answer for the person connecting.
func loginError(err error) error {
	var be *bluesky.Error
	if errors.As(err, &be) && errors.Is(be.Err, outbound.ErrRefused) {
		return greenlight.Errorf(greenlight.EINVALID, "service_url: %s; the PDS may not be an internal address unless GREENLIGHT_OUTBOUND_ALLOW lists it", outbound.Cause(be.Err))
	}
	switch bluesky.KindOf(err) {
	case bluesky.KindAuth:
		return greenlight.Errorf(greenlight.EINVALID, "app_password: wrong handle or app password")
	case bluesky.KindRateLimit:
		d, _ := bluesky.RetryAfter(err)
		return greenlight.Errorf(greenlight.ETOOMANY, "the PDS is limiting logins; retry in %s", d.Round(time.Second))
	case bluesky.KindPermanent:
		msg := "refused"
		if errors.As(err, &be) {
			msg = outbound.Sanitize(strings.TrimSpace(be.Code+" "+be.Message), 200)
		}
		return greenlight.Errorf(greenlight.EINVALID, "handle: the PDS refused the login: %s", msg)
	}
	cause := "no answer"
	if errors.As(err, &be) && be.Err != nil {
		cause = outbound.Cause(be.Err)
	} else if errors.As(err, &be) && be.Status != 0 {
		cause = outbound.Describe("the PDS", be.Status)
	}
	return greenlight.Errorf(greenlight.EUNAVAILABLE, "service_url: the PDS did not answer (%s); retry later", cause)
}

// validServiceURL checks a network's base URL and returns it normalized
// (scheme://host[:port]). It must be https, or http for a host GREENLIGHT_OUTBOUND_ALLOW
// lists (a local test server); its host must resolve to addresses the outbound client may
// reach. EINVALID naming the field otherwise.
func (s *Service) validServiceURL(ctx context.Context, field, raw, example string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || len(raw) > 2000 {
		return "", greenlight.Errorf(greenlight.EINVALID, "%s: must be the server's base URL, such as %s", field, example)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !s.allowedPlain(u.Hostname()) {
			return "", greenlight.Errorf(greenlight.EINVALID, "%s: must be https (http only for hosts GREENLIGHT_OUTBOUND_ALLOW lists)", field)
		}
	default:
		return "", greenlight.Errorf(greenlight.EINVALID, "%s: must be an https URL", field)
	}
	if err := s.Outbound.CheckURL(ctx, raw); err != nil {
		if errors.Is(err, outbound.ErrRefused) {
			return "", greenlight.Errorf(greenlight.EINVALID, "%s: %v; servers may not be internal addresses unless GREENLIGHT_OUTBOUND_ALLOW lists them", field, err)
		}
		return "", greenlight.Errorf(greenlight.EINVALID, "%s: %v", field, err)
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), nil
}

// allowedPlain reports whether plain http may be used with host: a name the outbound
// policy allows, or an internal address inside an allowed prefix.
func (s *Service) allowedPlain(host string) bool {
	if s.Outbound.AllowsHost(host) {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && outbound.Internal(ip.Unmap()) && s.Outbound.Permits(ip)
}

func (s *Service) httpClient() *http.Client {
	if s.HTTP != nil {
		return s.HTTP
	}
	return outbound.NewClient(s.Outbound, outbound.Options{})
}

// Accounts lists a client's connected accounts, without their credentials.
func (s *Service) Accounts(ctx context.Context, actor *store.User, clientID string) ([]store.Account, error) {
	if _, err := s.loadClient(ctx, actor, ActAccountsList, clientID); err != nil {
		return nil, err
	}
	return s.Store.ListAccounts(ctx, clientID)
}

// DeleteAccount removes a client's connected account and its credentials; ENOTFOUND when
// the client has no such account. The session is not revoked at the network: its app
// password stays valid until revoked there.
func (s *Service) DeleteAccount(ctx context.Context, actor *store.User, clientID, accountID string) error {
	if _, err := s.loadClient(ctx, actor, ActAccountRemove, clientID); err != nil {
		return err
	}
	if !greenlight.ValidID("acc_", accountID) {
		return greenlight.Errorf(greenlight.ENOTFOUND, "account not found")
	}
	if err := s.Store.DeleteAccount(ctx, clientID, accountID); err != nil {
		return err
	}
	s.Log.Info("account removed", "client", clientID, "account", accountID, "by", actor.ID)
	return nil
}

// RekeyAccounts seals again, under box's current key, every account's credentials and every
// OAuth app's client secret sealed under another key (GREENLIGHT_SECRET_KEY_OLD during a
// rotation), and returns how many it changed. It stops at the first value it cannot open.
// Pending authorizations (10 minutes) are not resealed: finish them before dropping the old
// key. An operator's command: no actor.
func RekeyAccounts(ctx context.Context, st *store.Store, box *secrets.Box) (int, error) {
	n := 0
	err := st.EachOAuthApp(ctx, func(a *store.OAuthApp) error {
		if !box.Stale(a.ClientSecret) {
			return nil
		}
		aad := store.OAuthAppAAD(a.Network, a.InstanceURL, a.RedirectURI)
		plain, err := box.Open(a.ClientSecret, aad)
		if err != nil {
			return fmt.Errorf("oauth app %s %s: %w", a.Network, a.InstanceURL, err)
		}
		done, err := st.ResealOAuthApp(ctx, a, box.Seal(plain, aad))
		if done {
			n++
		}
		return err
	})
	if err != nil {
		return n, err
	}
	err = st.EachAccount(ctx, func(a *store.Account) error {
		if !box.Stale(a.Credentials) {
			return nil
		}
		plain, err := box.Open(a.Credentials, []byte(a.ID))
		if err != nil {
			return fmt.Errorf("account %s: %w", a.ID, err)
		}
		done, err := st.ResealAccount(ctx, a.ID, a.Credentials, box.Seal(plain, []byte(a.ID)))
		if done {
			n++
		}
		return err
	})
	return n, err
}
