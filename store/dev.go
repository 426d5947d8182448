package store

import (
	"context"

	"gorm.io/gorm/clause"
)

// SaveDevMail keeps an email caught in dev mode; a second email with the same
// idempotency key is dropped.
func (s *Store) SaveDevMail(ctx context.Context, m *DevMail) error {
	return wrap(s.ctx(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(m).Error, "save mail")
}

// DevMails returns caught emails, newest first; to filters by recipient and subject by the
// post or statement the email is about (its idempotency key's second part), when non-empty.
func (s *Store) DevMails(ctx context.Context, to, subject string, limit int) ([]DevMail, error) {
	q := s.ctx(ctx).Order("id DESC").Limit(limit)
	if to != "" {
		q = q.Where("to_addr = ?", to)
	}
	if subject != "" {
		q = q.Where("(idem_key LIKE ? ESCAPE '\\' OR idem_key LIKE ? ESCAPE '\\')",
			"post/"+escapeLike(subject)+"/%", "crisis/%/statement/"+escapeLike(subject)+"/%")
	}
	var ms []DevMail
	return ms, wrap(q.Find(&ms).Error, "mails")
}

// DevMail returns one caught email, or ENOTFOUND.
func (s *Store) DevMail(ctx context.Context, id string) (*DevMail, error) {
	var m DevMail
	if err := s.ctx(ctx).Where("id = ?", id).Take(&m).Error; err != nil {
		return nil, wrap(err, "mail")
	}
	return &m, nil
}

// SaveDevPublication records a dev publication; the same idempotency key twice is one row.
func (s *Store) SaveDevPublication(ctx context.Context, p *DevPublication) error {
	return wrap(s.ctx(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(p).Error, "save publication")
}

// DevPublications returns dev publications, newest first.
func (s *Store) DevPublications(ctx context.Context, limit int) ([]DevPublication, error) {
	var ps []DevPublication
	return ps, wrap(s.ctx(ctx).Order("id DESC").Limit(limit).Find(&ps).Error, "publications")
}

// CountDevMailsByKey returns how many caught emails each idempotency key has (fault tests).
func (s *Store) CountDevMailsByKey(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		IdemKey string
		N       int
	}
	err := s.ctx(ctx).Model(&DevMail{}).Select("idem_key, COUNT(*) AS n").Group("idem_key").Scan(&rows).Error
	out := map[string]int{}
	for _, r := range rows {
		out[r.IdemKey] = r.N
	}
	return out, wrap(err, "mail counts")
}
