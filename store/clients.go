package store

import (
	"context"

	"gorm.io/gorm"

	"github.com/greenlight/greenlight"
)

// CreateClient inserts c and its approvers atomically. Two approvers with one email is
// EINVALID.
func (s *Store) CreateClient(ctx context.Context, c *Client) error {
	return s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(c).Error; err != nil {
			return wrap(err, "create client")
		}
		for i := range c.Approvers {
			a := &c.Approvers[i]
			a.ClientID, a.Position = c.ID, i
			if err := tx.Create(a).Error; err != nil {
				if isUnique(err) {
					return greenlight.Errorf(greenlight.EINVALID, "approvers: %s is listed twice", a.Email)
				}
				return wrap(err, "create approver")
			}
		}
		return nil
	})
}

// Client returns a client with its approvers, or ENOTFOUND.
func (s *Store) Client(ctx context.Context, id string) (*Client, error) {
	var c Client
	if err := s.ctx(ctx).Where("id = ?", id).Take(&c).Error; err != nil {
		return nil, wrap(err, "client")
	}
	err := s.ctx(ctx).Where("client_id = ?", id).Order("position").Find(&c.Approvers).Error
	return &c, wrap(err, "approvers")
}

// ListClients returns clients with approvers, by name; scope limits them when non-empty.
func (s *Store) ListClients(ctx context.Context, scope []string) ([]Client, error) {
	q := s.ctx(ctx).Order("name, id")
	if len(scope) > 0 {
		q = q.Where("id IN ?", scope)
	}
	var cs []Client
	if err := q.Find(&cs).Error; err != nil {
		return nil, wrap(err, "clients")
	}
	if len(cs) == 0 {
		return cs, nil
	}
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	var as []Approver
	if err := s.ctx(ctx).Where("client_id IN ?", ids).Order("client_id, position").Find(&as).Error; err != nil {
		return nil, wrap(err, "approvers")
	}
	byClient := map[string][]Approver{}
	for _, a := range as {
		byClient[a.ClientID] = append(byClient[a.ClientID], a)
	}
	for i := range cs {
		cs[i].Approvers = byClient[cs[i].ID]
	}
	return cs, nil
}

// ClientsExist returns ENOTFOUND naming the first id that is no client.
func (s *Store) ClientsExist(ctx context.Context, ids []string) error {
	for _, id := range ids {
		var n int64
		if err := s.ctx(ctx).Model(&Client{}).Where("id = ?", id).Count(&n).Error; err != nil {
			return wrap(err, "client")
		}
		if n == 0 {
			return greenlight.Errorf(greenlight.ENOTFOUND, "client %s not found", id)
		}
	}
	return nil
}

// SetApprovers replaces a client's approvers: approvers whose email stays keep their id
// (links already sent to them keep working), others are added or removed.
func (s *Store) SetApprovers(ctx context.Context, clientID string, approvers []Approver) error {
	return wrap(s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		var current []Approver
		if err := tx.Where("client_id = ?", clientID).Find(&current).Error; err != nil {
			return err
		}
		byEmail := map[string]Approver{}
		for _, a := range current {
			byEmail[a.Email] = a
		}
		keep := map[string]bool{}
		for i, a := range approvers {
			if old, ok := byEmail[a.Email]; ok {
				keep[old.ID] = true
				if err := tx.Model(&Approver{}).Where("id = ?", old.ID).Updates(map[string]any{"name": a.Name, "position": i}).Error; err != nil {
					return err
				}
				continue
			}
			a.ClientID, a.Position = clientID, i
			if err := tx.Create(&a).Error; err != nil {
				if isUnique(err) {
					return greenlight.Errorf(greenlight.EINVALID, "approvers: %s is listed twice", a.Email)
				}
				return err
			}
		}
		for _, a := range current {
			if !keep[a.ID] {
				if err := tx.Where("id = ?", a.ID).Delete(&Approver{}).Error; err != nil {
					return err
				}
			}
		}
		return nil
	}), "set approvers")
}
