package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/greenlight/greenlight"
)

// Crisis is the projection of a crisis workflow. ActiveClientID equals ClientID while the
// crisis is active and is NULL afterwards: its unique constraint allows one active crisis
// per client.
type Crisis struct {
	ID              string
	ClientID        string
	ActiveClientID  *string
	PlaybookKey     string
	PlaybookVersion string
	PlaybookTitle   string
	Severity        string
	Summary         string
	Status          string
	Phase           string
	LeadID          string
	LeadName        string
	TriggerReason   string
	StartedAt       time.Time
	ResolvedAt      *time.Time
	Resolution      string
	ReportMD        string `gorm:"column:report_md"`
	Revision        int64
}

// CrisisStep is one step's projection.
type CrisisStep struct {
	CrisisID     string
	StepKey      string
	Position     int
	Title        string
	Phase        string
	Kind         string
	Role         string
	AssigneeID   string
	AssigneeName string
	Status       string
	SLA          time.Duration `gorm:"column:sla"`
	ReadyAt      *time.Time
	DueAt        *time.Time
	CompletedAt  *time.Time
	Escalation   int
	Note         string
	StatementID  string
}

// CrisisEvent is one line of a crisis timeline.
type CrisisEvent struct {
	CrisisID  string
	Seq       int
	At        time.Time
	ActorKind string
	ActorID   string
	ActorName string
	Event     string
	StepKey   string
	Note      string
}

// CrisisContact is a person holding a crisis role for a client, with an optional backup
// who is told when their steps run late.
type CrisisContact struct {
	ID          string `json:"id"`
	ClientID    string `json:"-"`
	Role        string `json:"role"`
	Name        string `json:"name"`
	Email       string `json:"email"`
	UserID      string `json:"user_id"`
	BackupName  string `json:"backup_name"`
	BackupEmail string `json:"backup_email"`
}

// Statement is the projection of a holding statement's approval.
type Statement struct {
	ID          string
	CrisisID    string
	ClientID    string
	StepKey     string
	Version     int
	Body        string
	Channels    StringList
	Status      string
	Publish     bool
	ApprovedAt  *time.Time
	PublishedAt *time.Time
	Revision    int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// StatementDecision is an approver's decision on a statement version.
type StatementDecision struct {
	StatementID string
	Seq         int
	Version     int
	ActorKind   string
	ActorID     string
	ActorName   string
	Role        string
	Decision    string
	Comment     string
	At          time.Time
}

func (Crisis) TableName() string        { return "crises" }
func (CrisisContact) TableName() string { return "crisis_contacts" }

// CreateCrisis inserts a new active crisis. A crisis already active for the client is
// ECONFLICT naming it.
func (s *Store) CreateCrisis(ctx context.Context, c *Crisis) error {
	return s.StartCrisis(ctx, c, false)
}

// StartCrisis inserts a new active crisis and, with holdPublishing, holds the client's
// publishing for it in the same transaction: scheduled posts are frozen from the moment
// the crisis exists, before its workflow runs a single step. A crisis already active for
// the client is ECONFLICT naming it.
func (s *Store) StartCrisis(ctx context.Context, c *Crisis, holdPublishing bool) error {
	active := c.ClientID
	c.ActiveClientID = &active
	err := s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(c).Error; err != nil {
			return err
		}
		if holdPublishing {
			return setHold(tx, c.ClientID, c.ID, c.StartedAt)
		}
		return nil
	})
	if err != nil {
		if isUnique(err) {
			var cur Crisis
			if s.ctx(ctx).Where("active_client_id = ?", c.ClientID).Take(&cur).Error == nil {
				return greenlight.Errorf(greenlight.ECONFLICT, "crisis %s is already active for this client", cur.ID)
			}
			return greenlight.Errorf(greenlight.ECONFLICT, "a crisis is already active for this client")
		}
		return wrap(err, "create crisis")
	}
	return nil
}

// DeleteCrisis removes a crisis whose workflow could not start, with its hold if any.
func (s *Store) DeleteCrisis(ctx context.Context, id string) error {
	return wrap(s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("crisis_id = ?", id).Delete(&PublishingHold{}).Error; err != nil {
			return err
		}
		return tx.Where("id = ?", id).Delete(&Crisis{}).Error
	}), "delete crisis")
}

// CrisisRecord is what a crisis workflow step writes.
type CrisisRecord struct {
	Crisis Crisis
	Steps  []CrisisStep
	Events []CrisisEvent
	// Outbox holds the webhook events the timeline lines stand for (see emit).
	Outbox []Event
}

// RecordCrisis applies a crisis workflow step: the crisis row and its steps move forward
// only (by revision); events are inserted if missing.
func (s *Store) RecordCrisis(ctx context.Context, r CrisisRecord) error {
	return wrap(s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		c := r.Crisis
		var active *string
		if c.Status == "active" {
			active = &c.ClientID
		}
		res := tx.Model(&Crisis{}).Where("id = ? AND revision < ?", c.ID, c.Revision).Updates(map[string]any{
			"status": c.Status, "phase": c.Phase, "active_client_id": active, "resolved_at": c.ResolvedAt,
			"resolution": c.Resolution, "lead_id": c.LeadID, "lead_name": c.LeadName, "revision": c.Revision,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 1 && c.Status != "active" {
			// A hold belongs to its crisis: closing the crisis releases it, whatever its
			// workflow's pause and resume activities are doing.
			if err := tx.Where("crisis_id = ?", c.ID).Delete(&PublishingHold{}).Error; err != nil {
				return err
			}
		}
		if res.RowsAffected == 1 {
			for _, st := range r.Steps {
				err := tx.Clauses(clause.OnConflict{
					Columns: []clause.Column{{Name: "crisis_id"}, {Name: "step_key"}},
					DoUpdates: clause.AssignmentColumns([]string{"assignee_id", "assignee_name", "status", "ready_at",
						"due_at", "completed_at", "escalation", "note", "statement_id"}),
				}).Create(&st).Error
				if err != nil {
					return err
				}
			}
		}
		if len(r.Events) > 0 {
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&r.Events).Error; err != nil {
				return err
			}
		}
		return emit(tx, r.Outbox)
	}), "record crisis")
}

// SetCrisisReport stores the latest post-mortem.
func (s *Store) SetCrisisReport(ctx context.Context, id, md string) error {
	return wrap(s.ctx(ctx).Model(&Crisis{}).Where("id = ?", id).Update("report_md", md).Error, "crisis report")
}

// Crisis returns a crisis, or ENOTFOUND.
func (s *Store) Crisis(ctx context.Context, id string) (*Crisis, error) {
	var c Crisis
	if err := s.ctx(ctx).Where("id = ?", id).Take(&c).Error; err != nil {
		return nil, wrap(err, "crisis")
	}
	return &c, nil
}

// ActiveCrisis returns the client's active crisis, or ENOTFOUND.
func (s *Store) ActiveCrisis(ctx context.Context, clientID string) (*Crisis, error) {
	var c Crisis
	if err := s.ctx(ctx).Where("active_client_id = ?", clientID).Take(&c).Error; err != nil {
		return nil, wrap(err, "active crisis")
	}
	return &c, nil
}

// CrisisDetail is a crisis with its steps, timeline and statements.
type CrisisDetail struct {
	Crisis
	Steps      []CrisisStep
	Events     []CrisisEvent
	Statements []StatementDetail
}

// StatementDetail is a statement with its decisions.
type StatementDetail struct {
	Statement
	Decisions []StatementDecision
}

// CrisisDetail returns a crisis with everything recorded about it, or ENOTFOUND.
func (s *Store) CrisisDetail(ctx context.Context, id string) (*CrisisDetail, error) {
	c, err := s.Crisis(ctx, id)
	if err != nil {
		return nil, err
	}
	d := &CrisisDetail{Crisis: *c}
	if err := s.ctx(ctx).Where("crisis_id = ?", id).Order("position").Find(&d.Steps).Error; err != nil {
		return nil, wrap(err, "crisis steps")
	}
	if err := s.ctx(ctx).Where("crisis_id = ?", id).Order("seq").Find(&d.Events).Error; err != nil {
		return nil, wrap(err, "crisis timeline")
	}
	var sts []Statement
	if err := s.ctx(ctx).Where("crisis_id = ?", id).Order("created_at").Find(&sts).Error; err != nil {
		return nil, wrap(err, "statements")
	}
	for _, st := range sts {
		sd := StatementDetail{Statement: st}
		if err := s.ctx(ctx).Where("statement_id = ?", st.ID).Order("seq").Find(&sd.Decisions).Error; err != nil {
			return nil, wrap(err, "statement decisions")
		}
		d.Statements = append(d.Statements, sd)
	}
	return d, nil
}

// ListCrises returns crises newest first, limited to scope when non-empty.
func (s *Store) ListCrises(ctx context.Context, scope []string, clientID, status string, limit int) ([]Crisis, error) {
	q := s.ctx(ctx).Order("id DESC").Limit(limit)
	if len(scope) > 0 {
		q = q.Where("client_id IN ?", scope)
	}
	if clientID != "" {
		q = q.Where("client_id = ?", clientID)
	}
	if status != "" {
		q = q.Where("status = ?", status)
	}
	var cs []Crisis
	return cs, wrap(q.Find(&cs).Error, "crises")
}

// StatementRecord is what a statement workflow step writes.
type StatementRecord struct {
	Statement Statement
	Decisions []StatementDecision
	// Outbox holds the webhook events of the decisions (see emit).
	Outbox []Event
}

// RecordStatement upserts a statement (forward only by revision) and inserts decisions.
func (s *Store) RecordStatement(ctx context.Context, r StatementRecord) error {
	return wrap(s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		st := r.Statement
		res := tx.Model(&Statement{}).Where("id = ? AND revision < ?", st.ID, st.Revision).Updates(map[string]any{
			"version": st.Version, "body": st.Body, "channels": st.Channels, "status": st.Status,
			"approved_at": st.ApprovedAt, "published_at": st.PublishedAt, "revision": st.Revision, "updated_at": st.UpdatedAt,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&st).Error; err != nil {
				return err
			}
		}
		if len(r.Decisions) > 0 {
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&r.Decisions).Error; err != nil {
				return err
			}
		}
		return emit(tx, r.Outbox)
	}), "record statement")
}

// Statement returns a statement, or ENOTFOUND.
func (s *Store) Statement(ctx context.Context, id string) (*Statement, error) {
	var st Statement
	if err := s.ctx(ctx).Where("id = ?", id).Take(&st).Error; err != nil {
		return nil, wrap(err, "statement")
	}
	return &st, nil
}

// SaveContacts replaces a client's crisis contacts.
func (s *Store) SaveContacts(ctx context.Context, clientID string, cs []CrisisContact) error {
	return wrap(s.ctx(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("client_id = ?", clientID).Delete(&CrisisContact{}).Error; err != nil {
			return err
		}
		for i := range cs {
			cs[i].ClientID = clientID
			if err := tx.Create(&cs[i]).Error; err != nil {
				if isUnique(err) {
					return greenlight.Errorf(greenlight.EINVALID, "contacts: %s is listed twice for role %s", cs[i].Email, cs[i].Role)
				}
				return err
			}
		}
		return nil
	}), "save contacts")
}

// Contacts returns a client's crisis contacts, by role then name.
func (s *Store) Contacts(ctx context.Context, clientID string) ([]CrisisContact, error) {
	var cs []CrisisContact
	err := s.ctx(ctx).Where("client_id = ?", clientID).Order("role, name, id").Find(&cs).Error
	return cs, wrap(err, "contacts")
}
