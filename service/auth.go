package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/store"
)

// Lifetimes of browser sessions and invites.
const (
	SessionTTL = 12 * time.Hour
	InviteTTL  = 7 * 24 * time.Hour
)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// a bcrypt hash of a random password: comparing against it costs as much as a real check,
// so unknown emails take as long as wrong passwords.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("greenlight-no-such-user"), bcrypt.DefaultCost)

// Login checks an email and password and opens a session. Any mismatch is EUNAUTHORIZED
// with one message, so the answer does not tell which part was wrong.
func (s *Service) Login(ctx context.Context, email, password string) (*store.User, string, *store.Session, error) {
	bad := greenlight.Errorf(greenlight.EUNAUTHORIZED, "email or password is wrong")
	addr, err := ValidEmail("email", email)
	if err != nil {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return nil, "", nil, bad
	}
	u, err := s.Store.UserByEmail(ctx, addr)
	switch {
	case greenlight.IsCode(err, greenlight.ENOTFOUND):
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return nil, "", nil, bad
	case err != nil:
		return nil, "", nil, err
	}
	if u.PasswordHash == nil || u.DisabledAt != nil {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return nil, "", nil, bad
	}
	if bcrypt.CompareHashAndPassword([]byte(*u.PasswordHash), []byte(password)) != nil {
		return nil, "", nil, bad
	}
	token, sess, err := s.newSession(ctx, u.ID)
	if err != nil {
		return nil, "", nil, err
	}
	s.Log.Info("signed in", "user", u.ID)
	return u, token, sess, nil
}

func (s *Service) newSession(ctx context.Context, userID string) (string, *store.Session, error) {
	token, hash := greenlight.NewToken("gls_")
	now := s.now()
	sess := &store.Session{TokenHash: hash, UserID: userID, CSRF: randomHex(32), CreatedAt: now, ExpiresAt: now.Add(SessionTTL)}
	return token, sess, s.Store.CreateSession(ctx, sess)
}

// SessionUser returns the user and session of a session cookie, or EUNAUTHORIZED.
func (s *Service) SessionUser(ctx context.Context, token string) (*store.User, *store.Session, error) {
	if token == "" {
		return nil, nil, greenlight.Errorf(greenlight.EUNAUTHORIZED, "not signed in")
	}
	sess, u, err := s.Store.SessionUser(ctx, greenlight.HashToken(token), s.now())
	if greenlight.IsCode(err, greenlight.ENOTFOUND) {
		return nil, nil, greenlight.Errorf(greenlight.EUNAUTHORIZED, "your session has ended, sign in again")
	}
	return u, sess, err
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.Store.DeleteSession(ctx, greenlight.HashToken(token))
}

// CreateInvite returns a one-time link token letting a user set their password (admins,
// for users they administer).
func (s *Service) CreateInvite(ctx context.Context, actor *store.User, userID string) (string, error) {
	if _, err := s.loadUser(ctx, actor, ActUserInvite, userID); err != nil {
		return "", err
	}
	return s.invite(ctx, actor.ID, userID)
}

func (s *Service) invite(ctx context.Context, by, userID string) (string, error) {
	token, hash := greenlight.NewToken("gli_")
	now := s.now()
	err := s.Store.CreateInvite(ctx, &store.Invite{TokenHash: hash, UserID: userID, CreatedBy: by, CreatedAt: now, ExpiresAt: now.Add(InviteTTL)})
	return token, err
}

// BootstrapInvite is CreateInvite for the command line and dev mode, which act as admin.
func (s *Service) BootstrapInvite(ctx context.Context, userID string) (string, error) {
	return s.invite(ctx, "system", userID)
}

// InviteUser returns the user an invite is for, or ENOTFOUND/EGONE.
func (s *Service) InviteUser(ctx context.Context, token string) (*store.User, error) {
	inv, err := s.Store.Invite(ctx, greenlight.HashToken(token), s.now())
	if greenlight.IsCode(err, greenlight.ENOTFOUND) {
		return nil, greenlight.Errorf(greenlight.EGONE, "this invite was already used or has expired: ask an admin for a new one")
	}
	if err != nil {
		return nil, err
	}
	return s.Store.UserByID(ctx, inv.UserID)
}

// AcceptInvite sets the password of the invited user and opens a session.
func (s *Service) AcceptInvite(ctx context.Context, token, password string) (*store.User, string, *store.Session, error) {
	if _, err := s.InviteUser(ctx, token); err != nil {
		return nil, "", nil, err
	}
	if utf8.RuneCountInString(password) < MinPasswordLength || len(password) > 72 {
		return nil, "", nil, greenlight.Errorf(greenlight.EINVALID, "password: between %d and 72 characters", MinPasswordLength)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return nil, "", nil, err
	}
	u, err := s.Store.AcceptInvite(ctx, greenlight.HashToken(token), string(hash), s.now())
	if err != nil {
		return nil, "", nil, err
	}
	if err := s.Store.DeleteUserSessions(ctx, u.ID); err != nil {
		return nil, "", nil, err
	}
	sessToken, sess, err := s.newSession(ctx, u.ID)
	if err != nil {
		return nil, "", nil, err
	}
	s.Log.Info("password set from invite", "user", u.ID)
	return u, sessToken, sess, nil
}

// Users lists the staff the actor administers (admins; a limited admin sees only users
// limited to some of its clients).
func (s *Service) Users(ctx context.Context, actor *store.User) ([]store.User, error) {
	if err := authorize(actor, ActUsersList, Resource{}); err != nil {
		return nil, err
	}
	all, err := s.Store.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for i := range all {
		if authorize(actor, ActUserRead, Resource{Kind: "user", Target: &all[i]}) == nil {
			out = append(out, all[i])
		}
	}
	return out, nil
}

// User returns a user the actor administers, else ENOTFOUND.
func (s *Service) User(ctx context.Context, actor *store.User, id string) (*store.User, error) {
	return s.loadUser(ctx, actor, ActUserRead, id)
}

// UpdateUser changes a user's role and client scope (admins; a limited admin only for
// users it administers, giving them some of its own clients).
func (s *Service) UpdateUser(ctx context.Context, actor *store.User, id, role string, clientIDs []string) error {
	target, err := s.loadUser(ctx, actor, ActUserUpdate, id)
	if err != nil {
		return err
	}
	clientIDs = dedupe(clientIDs)
	if err := authorize(actor, ActUserUpdate, Resource{Kind: "user", Target: target, Grants: &clientIDs}); err != nil {
		return err
	}
	if !greenlight.ValidRole(greenlight.Role(role)) {
		return greenlight.Errorf(greenlight.EINVALID, "role: must be one of admin, editor, reviewer, crisis_lead")
	}
	if id == actor.ID && role != string(greenlight.RoleAdmin) {
		return greenlight.Errorf(greenlight.ECONFLICT, "you cannot remove your own admin role")
	}
	if err := s.Store.ClientsExist(ctx, clientIDs); err != nil {
		return greenlight.Errorf(greenlight.EINVALID, "client_ids: %s", greenlight.ErrorMessage(err))
	}
	if err := s.Store.UpdateUser(ctx, id, role, clientIDs); err != nil {
		return err
	}
	s.Log.Info("user changed", "user", id, "role", role, "by", actor.ID)
	return nil
}

// RevokeKey removes a user's API key (admins, for users they administer).
func (s *Service) RevokeKey(ctx context.Context, actor *store.User, id string) error {
	if _, err := s.loadUser(ctx, actor, ActUserRevoke, id); err != nil {
		return err
	}
	return s.Store.SetAPIKeyHash(ctx, id, nil)
}

// NewKey replaces a user's API key and returns the new one, shown once (admins, for users
// they administer).
func (s *Service) NewKey(ctx context.Context, actor *store.User, id string) (string, error) {
	if _, err := s.loadUser(ctx, actor, ActUserNewKey, id); err != nil {
		return "", err
	}
	key, hash := greenlight.NewToken("glk_")
	if err := s.Store.SetAPIKeyHash(ctx, id, &hash); err != nil {
		return "", err
	}
	s.Log.Info("api key issued", "user", id, "by", actor.ID)
	return key, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
