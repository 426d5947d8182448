package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Effect statuses.
const (
	effectPending = "pending"
	effectDone    = "done"
)

// BeginEffect records that the side effect named key is about to happen. It returns
// done=true, with the result stored then, when the effect already completed: the caller
// must not do it again. A pending row left by a crashed attempt lets the caller retry
// (with the same key, so that receivers honouring idempotency keys drop the repeat).
func (s *Store) BeginEffect(ctx context.Context, key, kind string) (done bool, result string, err error) {
	e := effect{IdemKey: key, Kind: kind, Status: effectPending, CreatedAt: time.Now().UTC()}
	if err := s.ctx(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&e).Error; err != nil {
		return false, "", wrap(err, "begin effect")
	}
	var cur effect
	if err := s.ctx(ctx).Where("idem_key = ?", key).Take(&cur).Error; err != nil {
		return false, "", wrap(err, "begin effect")
	}
	return cur.Status == effectDone, cur.Result, nil
}

// FinishEffect marks the effect done with its result (a message or publication id) and,
// in the same transaction, forgets the token an email under that key kept in the link
// outbox (see LinkForEmail): once sent, no plaintext token stays in the database.
func (s *Store) FinishEffect(ctx context.Context, key, result string) error {
	now := time.Now().UTC()
	err := s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&effect{}).Where("idem_key = ?", key).
			Updates(map[string]any{"status": effectDone, "result": result, "done_at": now}).Error; err != nil {
			return err
		}
		return tx.Where("effect_key = ?", key).Delete(&linkOutbox{}).Error
	})
	return wrap(err, "finish effect")
}
