package store

import (
	"context"
	"time"

	"github.com/greenlight/greenlight"
)

// OAuthApp is Greenlight's OAuth application on one server of a network (a Mastodon
// instance), registered once per (network, instance, redirect URI). ClientSecret is sealed
// by the secrets package with OAuthAppAAD as associated data.
type OAuthApp struct {
	Network      string `gorm:"primaryKey"`
	InstanceURL  string `gorm:"primaryKey"`
	RedirectURI  string `gorm:"primaryKey"`
	ClientID     string
	ClientSecret string
	CreatedAt    time.Time
}

// OAuthAppAAD is the associated data an app's client secret is sealed with: it binds the
// secret to its row.
func OAuthAppAAD(network, instanceURL, redirectURI string) []byte {
	return []byte("oauth_app\x00" + network + "\x00" + instanceURL + "\x00" + redirectURI)
}

// OAuthApp returns the app registered on instanceURL for redirectURI, or ENOTFOUND.
func (s *Store) OAuthApp(ctx context.Context, network, instanceURL, redirectURI string) (*OAuthApp, error) {
	var a OAuthApp
	err := s.ctx(ctx).Where("network = ? AND instance_url = ? AND redirect_uri = ?", network, instanceURL, redirectURI).Take(&a).Error
	if err != nil {
		return nil, wrap(err, "oauth app")
	}
	return &a, nil
}

// CreateOAuthApp inserts a; an app already registered for the same key answers ECONFLICT
// (another request registered it first: read that one).
func (s *Store) CreateOAuthApp(ctx context.Context, a *OAuthApp) error {
	if err := s.ctx(ctx).Create(a).Error; err != nil {
		if isUnique(err) {
			return greenlight.Errorf(greenlight.ECONFLICT, "oauth app already registered")
		}
		return wrap(err, "create oauth app")
	}
	return nil
}

// EachOAuthApp calls f with every registered app; f's error stops the walk.
func (s *Store) EachOAuthApp(ctx context.Context, f func(*OAuthApp) error) error {
	var all []OAuthApp
	if err := s.ctx(ctx).Order("network, instance_url, redirect_uri").Find(&all).Error; err != nil {
		return wrap(err, "list oauth apps")
	}
	for i := range all {
		if err := f(&all[i]); err != nil {
			return err
		}
	}
	return nil
}

// ResealOAuthApp replaces an app's sealed secret only if it is still old; it reports
// whether it did.
func (s *Store) ResealOAuthApp(ctx context.Context, a *OAuthApp, resealed string) (bool, error) {
	res := s.ctx(ctx).Model(&OAuthApp{}).
		Where("network = ? AND instance_url = ? AND redirect_uri = ? AND client_secret = ?", a.Network, a.InstanceURL, a.RedirectURI, a.ClientSecret).
		Update("client_secret", resealed)
	return res.RowsAffected == 1, wrap(res.Error, "reseal oauth app")
}

// OAuthState is one pending authorization: the SHA-256 of the state sent to the network,
// the account it will connect and the PKCE verifier (sealed with the state hash as
// associated data). It can be used once, before ExpiresAt.
type OAuthState struct {
	StateHash string `gorm:"primaryKey"`
	Network   string
	AccountID string
	Verifier  string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// CreateOAuthState inserts st.
func (s *Store) CreateOAuthState(ctx context.Context, st *OAuthState) error {
	return wrap(s.ctx(ctx).Create(st).Error, "create oauth state")
}

// UseOAuthState marks the state with stateHash used, at now, and returns it. Only one
// caller can use a state: ENOTFOUND when no such state exists (for network), EGONE when it
// was already used or has expired.
func (s *Store) UseOAuthState(ctx context.Context, network, stateHash string, now time.Time) (*OAuthState, error) {
	now = now.UTC()
	res := s.ctx(ctx).Model(&OAuthState{}).
		Where("state_hash = ? AND network = ? AND used_at IS NULL AND expires_at > ?", stateHash, network, now).
		Update("used_at", now)
	if res.Error != nil {
		return nil, wrap(res.Error, "use oauth state")
	}
	var st OAuthState
	if err := s.ctx(ctx).Where("state_hash = ? AND network = ?", stateHash, network).Take(&st).Error; err != nil {
		return nil, wrap(err, "authorization request")
	}
	if res.RowsAffected == 0 {
		if st.UsedAt != nil {
			return nil, greenlight.Errorf(greenlight.EGONE, "this authorization was already used; connect the account again")
		}
		return nil, greenlight.Errorf(greenlight.EGONE, "this authorization has expired (after 10 minutes); connect the account again")
	}
	return &st, nil
}

// OAuthStateFor returns the state with stateHash (for network) without using it: ENOTFOUND
// when none exists, EGONE when it was already used or has expired.
func (s *Store) OAuthStateFor(ctx context.Context, network, stateHash string, now time.Time) (*OAuthState, error) {
	var st OAuthState
	if err := s.ctx(ctx).Where("state_hash = ? AND network = ?", stateHash, network).Take(&st).Error; err != nil {
		return nil, wrap(err, "authorization request")
	}
	if st.UsedAt != nil {
		return nil, greenlight.Errorf(greenlight.EGONE, "this authorization was already used; connect the account again")
	}
	if !st.ExpiresAt.After(now) {
		return nil, greenlight.Errorf(greenlight.EGONE, "this authorization has expired (after 10 minutes); connect the account again")
	}
	return &st, nil
}

// ClearOAuthState forgets what a used state kept sealed (a pick's identities and their
// credentials), keeping the row so that a second use still answers "already used".
func (s *Store) ClearOAuthState(ctx context.Context, network, stateHash string) error {
	res := s.ctx(ctx).Model(&OAuthState{}).Where("state_hash = ? AND network = ? AND used_at IS NOT NULL", stateHash, network).
		Update("verifier", "")
	return wrap(res.Error, "clear oauth state")
}

// DeleteOAuthStates removes states that expired before cutoff.
func (s *Store) DeleteOAuthStates(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.ctx(ctx).Where("expires_at < ?", cutoff.UTC()).Delete(&OAuthState{})
	return res.RowsAffected, wrap(res.Error, "delete oauth states")
}

// TableName is the table's name (GORM would say o_auth_apps).
func (OAuthApp) TableName() string { return "oauth_apps" }

// TableName is the table's name (GORM would say o_auth_states).
func (OAuthState) TableName() string { return "oauth_states" }
