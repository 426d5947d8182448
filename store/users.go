package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/greenlight/greenlight"
)

// CreateUser inserts u with its client scope. An email already taken is ECONFLICT.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	return s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(u).Error; err != nil {
			if isUnique(err) {
				return greenlight.Errorf(greenlight.ECONFLICT, "a user with email %s already exists", u.Email)
			}
			return wrap(err, "create user")
		}
		return setUserClients(tx, u.ID, u.ClientIDs)
	})
}

func setUserClients(tx *gorm.DB, userID string, clientIDs []string) error {
	if err := tx.Where("user_id = ?", userID).Delete(&userClient{}).Error; err != nil {
		return wrap(err, "user clients")
	}
	for _, c := range clientIDs {
		if err := tx.Create(&userClient{UserID: userID, ClientID: c}).Error; err != nil {
			return wrap(err, "user clients")
		}
	}
	return nil
}

// UserByKeyHash returns the enabled user whose API key hashes to hash, or ENOTFOUND.
func (s *Store) UserByKeyHash(ctx context.Context, hash string) (*User, error) {
	var u User
	err := s.ctx(ctx).Where("api_key_hash = ? AND disabled_at IS NULL", hash).Take(&u).Error
	if err != nil {
		return nil, wrap(err, "user")
	}
	return &u, s.loadScope(ctx, &u)
}

// UserByID returns a user with its client scope, or ENOTFOUND.
func (s *Store) UserByID(ctx context.Context, id string) (*User, error) {
	var u User
	if err := s.ctx(ctx).Where("id = ?", id).Take(&u).Error; err != nil {
		return nil, wrap(err, "user")
	}
	return &u, s.loadScope(ctx, &u)
}

// UserByEmail returns a user with its client scope, or ENOTFOUND.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	var u User
	if err := s.ctx(ctx).Where("email = ?", email).Take(&u).Error; err != nil {
		return nil, wrap(err, "user")
	}
	return &u, s.loadScope(ctx, &u)
}

func (s *Store) loadScope(ctx context.Context, u *User) error {
	err := s.ctx(ctx).Model(&userClient{}).Where("user_id = ?", u.ID).Order("client_id").Pluck("client_id", &u.ClientIDs).Error
	return wrap(err, "user clients")
}

// ListUsers returns every user, oldest first.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	var us []User
	if err := s.ctx(ctx).Order("id").Find(&us).Error; err != nil {
		return nil, wrap(err, "users")
	}
	var links []userClient
	if err := s.ctx(ctx).Order("client_id").Find(&links).Error; err != nil {
		return nil, wrap(err, "user clients")
	}
	byUser := map[string][]string{}
	for _, l := range links {
		byUser[l.UserID] = append(byUser[l.UserID], l.ClientID)
	}
	for i := range us {
		us[i].ClientIDs = byUser[us[i].ID]
	}
	return us, nil
}

// UsersWithRole returns the enabled users holding role who may act on clientID.
func (s *Store) UsersWithRole(ctx context.Context, role greenlight.Role, clientID string) ([]User, error) {
	var us []User
	err := s.ctx(ctx).
		Where("role = ? AND disabled_at IS NULL", string(role)).
		Where("NOT EXISTS (SELECT 1 FROM user_clients uc WHERE uc.user_id = users.id) OR EXISTS (SELECT 1 FROM user_clients uc WHERE uc.user_id = users.id AND uc.client_id = ?)", clientID).
		Order("id").Find(&us).Error
	return us, wrap(err, "users")
}

// SetAPIKeyHash replaces a user's API key hash (nil revokes the key).
func (s *Store) SetAPIKeyHash(ctx context.Context, userID string, hash *string) error {
	res := s.ctx(ctx).Model(&User{}).Where("id = ?", userID).Update("api_key_hash", hash)
	if res.Error != nil {
		return wrap(res.Error, "user")
	}
	if res.RowsAffected == 0 {
		return greenlight.Errorf(greenlight.ENOTFOUND, "user not found")
	}
	return nil
}

// EnsureUser creates u if no user has its email, else refreshes its API key hash and
// role. Dev mode uses it for the bootstrap admin.
func (s *Store) EnsureUser(ctx context.Context, u *User) error {
	existing, err := s.UserByEmail(ctx, u.Email)
	switch {
	case greenlight.IsCode(err, greenlight.ENOTFOUND):
		if u.CreatedAt.IsZero() {
			u.CreatedAt = time.Now().UTC()
		}
		return s.CreateUser(ctx, u)
	case err != nil:
		return err
	}
	u.ID = existing.ID
	err = s.ctx(ctx).Model(&User{}).Where("id = ?", existing.ID).
		Updates(map[string]any{"api_key_hash": u.APIKeyHash, "role": u.Role, "disabled_at": nil}).Error
	return wrap(err, "user")
}
