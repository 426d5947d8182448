package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/greenlight/greenlight"
)

// Account statuses.
const (
	// AccountActive: the credentials worked when last used.
	AccountActive = "active"
	// AccountPending: waiting for the user to finish an authorization (OAuth).
	AccountPending = "pending"
	// AccountNeedsReconnect: the network refused the credentials; a person must connect the
	// account again.
	AccountNeedsReconnect = "needs_reconnect"
)

// Account is a client's connected social network account. Credentials is the sealed
// (encrypted) session or token, never in clear: the secrets package seals it with the
// account's id as associated data. It never leaves the process in JSON.
type Account struct {
	ID          string    `json:"id"`
	ClientID    string    `json:"client_id"`
	Network     string    `json:"network"`
	Handle      string    `json:"handle"`
	ServiceURL  string    `json:"service_url"`
	Status      string    `json:"status"`
	Credentials string    `json:"-"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	LastError   string    `json:"last_error,omitempty"`
}

// CreateAccount inserts a. An account with the same client, network and handle answers
// ECONFLICT.
func (s *Store) CreateAccount(ctx context.Context, a *Account) error {
	if err := s.ctx(ctx).Create(a).Error; err != nil {
		if isUnique(err) {
			return greenlight.Errorf(greenlight.ECONFLICT, "handle: %s is already connected to this client", a.Handle)
		}
		return wrap(err, "create account")
	}
	return nil
}

// Account returns an account, or ENOTFOUND.
func (s *Store) Account(ctx context.Context, id string) (*Account, error) {
	var a Account
	if err := s.ctx(ctx).Where("id = ?", id).Take(&a).Error; err != nil {
		return nil, wrap(err, "account")
	}
	return &a, nil
}

// AccountByHandle returns the client's account on network with handle, or ENOTFOUND.
func (s *Store) AccountByHandle(ctx context.Context, clientID, network, handle string) (*Account, error) {
	var a Account
	if err := s.ctx(ctx).Where("client_id = ? AND network = ? AND handle = ?", clientID, network, handle).Take(&a).Error; err != nil {
		return nil, wrap(err, "account")
	}
	return &a, nil
}

// ListAccounts returns a client's accounts, oldest first.
func (s *Store) ListAccounts(ctx context.Context, clientID string) ([]Account, error) {
	out := []Account{}
	err := s.ctx(ctx).Where("client_id = ?", clientID).Order("id").Find(&out).Error
	return out, wrap(err, "list accounts")
}

// DeleteAccount removes a client's account; ENOTFOUND when the client has no such account.
func (s *Store) DeleteAccount(ctx context.Context, clientID, id string) error {
	res := s.ctx(ctx).Where("id = ? AND client_id = ?", id, clientID).Delete(&Account{})
	if res.Error != nil {
		return wrap(res.Error, "delete account")
	}
	if res.RowsAffected == 0 {
		return greenlight.Errorf(greenlight.ENOTFOUND, "account not found")
	}
	return nil
}

// SaveAccountCredentials replaces an account's sealed credentials and status (a new
// session, a reconnection, a rekey), clearing its last error; ENOTFOUND when it is gone.
func (s *Store) SaveAccountCredentials(ctx context.Context, id, credentials, status string, at time.Time) error {
	return s.updateAccount(ctx, id, map[string]any{
		"credentials": credentials, "status": status, "last_error": "", "updated_at": at.UTC(),
	})
}

// ResealAccount replaces an account's credentials with the same credentials sealed under
// another key, only if they are still old (a session refreshed meanwhile is kept); it
// reports whether it replaced them. Status, error and times are left as they are.
func (s *Store) ResealAccount(ctx context.Context, id, old, resealed string) (bool, error) {
	res := s.ctx(ctx).Model(&Account{}).Where("id = ? AND credentials = ?", id, old).Update("credentials", resealed)
	return res.RowsAffected == 1, wrap(res.Error, "reseal account")
}

// NetworkAccounts returns a client's accounts on network, oldest first (creation time,
// then id).
func (s *Store) NetworkAccounts(ctx context.Context, clientID, network string) ([]Account, error) {
	out := []Account{}
	err := s.ctx(ctx).Where("client_id = ? AND network = ?", clientID, network).Order("created_at, id").Find(&out).Error
	return out, wrap(err, "list accounts")
}

// SaveAccountSession replaces an account's sealed credentials with ones a publisher just
// refreshed, in one statement, leaving its status, error and times alone (a refresh is
// not a reconnection, and the time an account was marked needs_reconnect must not move);
// ENOTFOUND when it is gone.
func (s *Store) SaveAccountSession(ctx context.Context, id, credentials string) error {
	// UpdateColumn: GORM's Updates would set updated_at too.
	res := s.ctx(ctx).Model(&Account{}).Where("id = ?", id).UpdateColumn("credentials", credentials)
	if res.Error != nil {
		return wrap(res.Error, "update account")
	}
	if res.RowsAffected == 0 {
		return greenlight.Errorf(greenlight.ENOTFOUND, "account not found")
	}
	return nil
}

// MarkNeedsReconnect sets an account's status to needs_reconnect with the network's
// message, unless it already is, and returns since: when it was marked. Every caller
// during one episode (until a reconnection makes it active again) gets the same since, so
// that it can name the episode (the editors' email is sent once per episode).
func (s *Store) MarkNeedsReconnect(ctx context.Context, id, lastError string, at time.Time) (since time.Time, err error) {
	res := s.ctx(ctx).Model(&Account{}).Where("id = ? AND status <> ?", id, AccountNeedsReconnect).
		Updates(map[string]any{"status": AccountNeedsReconnect, "last_error": lastError, "updated_at": at.UTC()})
	if res.Error != nil {
		return time.Time{}, wrap(res.Error, "update account")
	}
	a, err := s.Account(ctx, id)
	if err != nil {
		return time.Time{}, err
	}
	return a.UpdatedAt.UTC(), nil
}

// SetAccountStatus records an account's status and the error that caused it (empty when
// none); ENOTFOUND when it is gone.
func (s *Store) SetAccountStatus(ctx context.Context, id, status, lastError string, at time.Time) error {
	return s.updateAccount(ctx, id, map[string]any{"status": status, "last_error": lastError, "updated_at": at.UTC()})
}

func (s *Store) updateAccount(ctx context.Context, id string, cols map[string]any) error {
	res := s.ctx(ctx).Model(&Account{}).Where("id = ?", id).Updates(cols)
	if res.Error != nil {
		return wrap(res.Error, "update account")
	}
	if res.RowsAffected == 0 {
		return greenlight.Errorf(greenlight.ENOTFOUND, "account not found")
	}
	return nil
}

// CountAccounts returns how many accounts exist, of every client.
func (s *Store) CountAccounts(ctx context.Context) (int64, error) {
	var n int64
	err := s.ctx(ctx).Model(&Account{}).Count(&n).Error
	return n, wrap(err, "count accounts")
}

// EachAccount calls f with every account, in id order, a page at a time; f's error stops
// the walk and is returned.
func (s *Store) EachAccount(ctx context.Context, f func(*Account) error) error {
	after := ""
	for {
		var page []Account
		if err := s.ctx(ctx).Where("id > ?", after).Order("id").Limit(100).Find(&page).Error; err != nil {
			return wrap(err, "list accounts")
		}
		for i := range page {
			if err := f(&page[i]); err != nil {
				return err
			}
		}
		if len(page) < 100 {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

// PendingHandle is the placeholder handle of an account waiting for its authorization:
// unique per account (the table is unique on client, network and handle) until the real
// handle is known.
func PendingHandle(id string) string { return "pending:" + id }

// ActivateAccount records a pending account's handle and credentials and makes it active;
// ENOTFOUND when it is gone, ECONFLICT when the client has that handle already.
func (s *Store) ActivateAccount(ctx context.Context, id, handle, credentials string, at time.Time) error {
	err := s.updateAccount(ctx, id, map[string]any{
		"handle": handle, "credentials": credentials, "status": AccountActive, "last_error": "", "updated_at": at.UTC(),
	})
	if err != nil && isUnique(err) {
		return greenlight.Errorf(greenlight.ECONFLICT, "handle: %s is already connected to this client", handle)
	}
	return err
}

// DeletePendingAccounts removes a client's accounts on network still pending since before
// cutoff (authorizations never finished) and returns how many it removed.
func (s *Store) DeletePendingAccounts(ctx context.Context, clientID, network string, cutoff time.Time) (int64, error) {
	res := s.ctx(ctx).Where("client_id = ? AND network = ? AND status = ? AND created_at < ?", clientID, network, AccountPending, cutoff.UTC()).Delete(&Account{})
	return res.RowsAffected, wrap(res.Error, "delete pending accounts")
}

// RefreshAccountCredentials runs refresh with an account's current sealed credentials
// while holding the account's row lock, and stores what it returns, in one transaction:
// one refresh at a time per account across every process (a second caller waits, then
// sees the credentials the first one stored and can use them as they are). refresh returns
// the new sealed credentials, or its argument unchanged to store nothing. It must not use
// the store (SQLite holds its one write lock meanwhile) and should be quick (one network
// call with a timeout). The status, error and times are left alone, as SaveAccountSession
// does. ENOTFOUND when the account is gone.
func (s *Store) RefreshAccountCredentials(ctx context.Context, id string, refresh func(sealed string) (string, error)) (string, error) {
	var out string
	var refreshErr error
	err := s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		// A no-op write first takes the lock: PostgreSQL's row lock, SQLite's write lock
		// (a read first would have to upgrade, and could fail instead of waiting).
		res := tx.Model(&Account{}).Where("id = ?", id).UpdateColumn("credentials", gorm.Expr("credentials"))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return greenlight.Errorf(greenlight.ENOTFOUND, "account not found")
		}
		var a Account
		if err := tx.Where("id = ?", id).Take(&a).Error; err != nil {
			return err
		}
		next, err := refresh(a.Credentials)
		if err != nil {
			refreshErr = err
			return err
		}
		out = next
		if next == a.Credentials {
			return nil
		}
		return tx.Model(&Account{}).Where("id = ?", id).UpdateColumn("credentials", next).Error
	})
	switch {
	case refreshErr != nil:
		return "", refreshErr // the refresh's own error, as it is
	case greenlight.ErrorCode(err) == greenlight.ENOTFOUND:
		return "", err
	case err != nil:
		return "", wrap(err, "refresh account")
	}
	return out, nil
}
