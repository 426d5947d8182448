package service

import (
	"context"
	"net/mail"
	"strings"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/store"
)

// NewUser is the input of CreateUser.
type NewUser struct {
	Email     string
	Name      string
	Role      string
	ClientIDs []string
}

// CreateUser creates a staff user (admins only) and returns it with its API key, which is
// shown this once and stored as a hash. An admin limited to some clients can only create
// users limited to some of its own clients (else EFORBIDDEN).
func (s *Service) CreateUser(ctx context.Context, actor *store.User, in NewUser) (*store.User, string, error) {
	clientIDs := dedupe(in.ClientIDs)
	if err := authorize(actor, ActUserCreate, Resource{Kind: "user", Grants: &clientIDs}); err != nil {
		return nil, "", err
	}
	email, err := ValidEmail("email", in.Email)
	if err != nil {
		return nil, "", err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 200 {
		return nil, "", greenlight.Errorf(greenlight.EINVALID, "name: required, at most 200 characters")
	}
	if !greenlight.ValidRole(greenlight.Role(in.Role)) {
		return nil, "", greenlight.Errorf(greenlight.EINVALID, "role: must be one of admin, editor, reviewer, crisis_lead")
	}
	if err := s.Store.ClientsExist(ctx, clientIDs); err != nil {
		if greenlight.IsCode(err, greenlight.ENOTFOUND) {
			return nil, "", greenlight.Errorf(greenlight.EINVALID, "client_ids: %s", greenlight.ErrorMessage(err))
		}
		return nil, "", err
	}
	key, hash := greenlight.NewToken("glk_")
	u := &store.User{
		ID: greenlight.NewID("usr_"), Email: email, Name: name, Role: in.Role, APIKeyHash: &hash,
		CreatedAt: s.now(), ClientIDs: clientIDs,
	}
	if err := s.Store.CreateUser(ctx, u); err != nil {
		return nil, "", err
	}
	s.Log.Info("user created", "user", u.ID, "role", u.Role, "by", actor.ID)
	return u, key, nil
}

// Authenticate returns the user holding an API key, or EUNAUTHORIZED.
func (s *Service) Authenticate(ctx context.Context, apiKey string) (*store.User, error) {
	if apiKey == "" {
		return nil, greenlight.Errorf(greenlight.EUNAUTHORIZED, "missing API key: send Authorization: Bearer <key>")
	}
	u, err := s.Store.UserByKeyHash(ctx, greenlight.HashToken(apiKey))
	if greenlight.IsCode(err, greenlight.ENOTFOUND) {
		return nil, greenlight.Errorf(greenlight.EUNAUTHORIZED, "invalid API key")
	}
	return u, err
}

// ValidEmail normalises an email address or returns EINVALID naming field.
func ValidEmail(field, raw string) (string, error) {
	addr, err := mail.ParseAddress(strings.TrimSpace(raw))
	if err != nil || addr.Name != "" || len(addr.Address) > 320 {
		return "", greenlight.Errorf(greenlight.EINVALID, "%s: %q is not an email address", field, raw)
	}
	return strings.ToLower(addr.Address), nil
}

func dedupe(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
