package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/greenlight/greenlight"
)

// Session is a signed-in browser. Only the hash of its cookie token is kept; CSRF is the
// token its forms must carry.
type Session struct {
	TokenHash string
	UserID    string
	CSRF      string `gorm:"column:csrf"`
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Invite lets a user set their password once.
type Invite struct {
	TokenHash string
	UserID    string
	CreatedBy string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// CreateSession stores a session.
func (s *Store) CreateSession(ctx context.Context, ss *Session) error {
	return wrap(s.ctx(ctx).Create(ss).Error, "create session")
}

// SessionUser returns the session and its enabled user for a token hash; an unknown or
// expired session is ENOTFOUND.
func (s *Store) SessionUser(ctx context.Context, hash string, now time.Time) (*Session, *User, error) {
	var ss Session
	if err := s.ctx(ctx).Where("token_hash = ? AND expires_at > ?", hash, now.UTC()).Take(&ss).Error; err != nil {
		return nil, nil, wrap(err, "session")
	}
	u, err := s.UserByID(ctx, ss.UserID)
	if err != nil {
		return nil, nil, err
	}
	if u.DisabledAt != nil {
		return nil, nil, greenlight.Errorf(greenlight.ENOTFOUND, "session not found")
	}
	return &ss, u, nil
}

// DeleteSession signs a browser out.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	return wrap(s.ctx(ctx).Where("token_hash = ?", hash).Delete(&Session{}).Error, "delete session")
}

// DeleteUserSessions signs a user out everywhere (after a password change).
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	return wrap(s.ctx(ctx).Where("user_id = ?", userID).Delete(&Session{}).Error, "delete sessions")
}

// CreateInvite stores an invite.
func (s *Store) CreateInvite(ctx context.Context, inv *Invite) error {
	return wrap(s.ctx(ctx).Create(inv).Error, "create invite")
}

// Invite returns an unused, unexpired invite by token hash, or ENOTFOUND.
func (s *Store) Invite(ctx context.Context, hash string, now time.Time) (*Invite, error) {
	var inv Invite
	err := s.ctx(ctx).Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", hash, now.UTC()).Take(&inv).Error
	return &inv, wrap(err, "invite")
}

// AcceptInvite sets the user's password hash and spends the invite, atomically; an invite
// spent meanwhile is EGONE.
func (s *Store) AcceptInvite(ctx context.Context, hash, passwordHash string, now time.Time) (*User, error) {
	var userID string
	err := s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		var inv Invite
		if err := tx.Where("token_hash = ?", hash).Take(&inv).Error; err != nil {
			return err
		}
		res := tx.Model(&Invite{}).Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", hash, now.UTC()).Update("used_at", now.UTC())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return greenlight.Errorf(greenlight.EGONE, "this invite was already used or has expired")
		}
		userID = inv.UserID
		return tx.Model(&User{}).Where("id = ?", inv.UserID).Update("password_hash", passwordHash).Error
	})
	if err != nil {
		return nil, wrap(err, "invite")
	}
	return s.UserByID(ctx, userID)
}

// UpdateUser changes a user's role and client scope.
func (s *Store) UpdateUser(ctx context.Context, id, role string, clientIDs []string) error {
	return wrap(s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&User{}).Where("id = ?", id).Update("role", role)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return greenlight.Errorf(greenlight.ENOTFOUND, "user not found")
		}
		return setUserClients(tx, id, clientIDs)
	}), "update user")
}
