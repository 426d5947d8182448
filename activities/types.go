package activities

import (
	"time"

	"github.com/greenlight/greenlight"
)

// PostSnapshot is a post's state as its workflow sees it, written to the projection.
type PostSnapshot struct {
	ID            string
	ClientID      string
	AuthorID      string
	Content       greenlight.Content
	PublishAt     time.Time
	Status        greenlight.PostStatus
	Version       int
	ReminderAfter time.Duration
	EscalateAfter time.Duration
	Held          bool
	PublishedAt   *time.Time
	Revision      int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// VersionRecord is a newly saved version.
type VersionRecord struct {
	Version  int
	Content  greenlight.Content
	AuthorID string
	At       time.Time
}

// DecisionRecord is a reviewer's or client approver's decision.
type DecisionRecord struct {
	Seq      int
	Version  int
	Stage    string // "internal" or "client"
	Round    int
	Actor    greenlight.Actor
	Decision string
	Comment  string
	At       time.Time
}

// EventRecord is one history line.
type EventRecord struct {
	Seq     int
	At      time.Time
	Actor   greenlight.Actor
	Action  string
	Version int
	Comment string
}

// PostRecord is what a post workflow step writes: the new snapshot and what it added.
type PostRecord struct {
	Post       PostSnapshot
	NewVersion *VersionRecord
	Decisions  []DecisionRecord
	Events     []EventRecord
}

// Approver is a client contact asked to approve.
type Approver struct {
	ID    string
	Name  string
	Email string
}

// ClientApprovers is a client's approval policy and approvers at the time of asking.
type ClientApprovers struct {
	Policy    string
	Approvers []Approver
	// DigestWindow batches the approval emails (see store.Client); 0: one email per post.
	DigestWindow time.Duration
}

// ApprovalRequest asks approvers for their decision on one version (Reminder: again).
type ApprovalRequest struct {
	PostID    string
	ClientID  string
	Version   int
	Round     int
	Approvers []Approver
	Reminder  bool
}

// Notification kinds sent to staff.
const (
	NotifyEscalation       = "escalation"
	NotifyExpired          = "expired"
	NotifyChangesRequested = "changes-requested"
	NotifyFailed           = "publish-failed"
	NotifyReturned         = "returned-after-crisis"
)

// Notification tells staff about a post: its author, and admins for escalations.
type Notification struct {
	Kind     string
	PostID   string
	ClientID string
	AuthorID string
	Version  int
	Round    int
	Comment  string
}

// PublishRequest publishes one version of a post on one channel.
type PublishRequest struct {
	PostID   string
	ClientID string
	Version  int
	Channel  string
}

// CrisisSnapshot is a crisis's state as its workflow sees it.
type CrisisSnapshot struct {
	ID         string
	ClientID   string
	Status     string
	Phase      string
	Lead       greenlight.Actor
	ResolvedAt *time.Time
	Resolution string
	Revision   int64
}

// StepSnapshot is one crisis step's state.
type StepSnapshot struct {
	Key         string
	Position    int
	Title       string
	Phase       string
	Kind        string
	Role        string
	SLA         time.Duration
	Assignee    greenlight.Actor
	Status      string
	ReadyAt     *time.Time
	DueAt       *time.Time
	CompletedAt *time.Time
	Escalation  int
	Note        string
	StatementID string
}

// CrisisEventRecord is one timeline line.
type CrisisEventRecord struct {
	Seq   int
	At    time.Time
	Actor greenlight.Actor
	Event string
	Step  string
	Note  string
}

// CrisisRecord is what a crisis workflow step writes.
type CrisisRecord struct {
	Crisis CrisisSnapshot
	Steps  []StepSnapshot
	Events []CrisisEventRecord
}

// Crisis notification kinds.
const (
	CrisisNotifyStep      = "step"        // a notify step: the roles it names
	CrisisNotifyLate      = "late"        // SLA breached: the owner's backup and the lead
	CrisisNotifyAdmins    = "late-admins" // still late one SLA later: admins
	CrisisNotifySpike     = "spike"       // a listen step crossed its escalation threshold
	CrisisNotifyStatement = "statement"   // a statement needs a new draft
)

// CrisisNotification tells people about a crisis; Key makes it idempotent together with
// each recipient.
type CrisisNotification struct {
	Kind      string
	CrisisID  string
	ClientID  string
	Step      string
	StepTitle string
	Role      string
	Roles     []string
	Lead      greenlight.Actor
	Message   string
	Key       string
}

// MentionWindow asks for the client's mention counts over the last Window.
type MentionWindow struct {
	ClientID string
	Window   time.Duration
}

// HoldRequest holds or releases a client's publishing for a crisis.
type HoldRequest struct {
	ClientID string
	CrisisID string
}

// StatementSnapshot is a statement's state as its workflow sees it.
type StatementSnapshot struct {
	ID          string
	CrisisID    string
	ClientID    string
	StepKey     string
	Version     int
	Body        string
	Channels    []string
	Status      string
	Publish     bool
	ApprovedAt  *time.Time
	PublishedAt *time.Time
	Revision    int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// StatementDecisionRecord is an approver's decision on a statement version.
type StatementDecisionRecord struct {
	Seq      int
	Version  int
	Actor    greenlight.Actor
	Role     string
	Decision string
	Comment  string
	At       time.Time
}

// StatementRecord is what a statement workflow step writes.
type StatementRecord struct {
	Statement StatementSnapshot
	Decisions []StatementDecisionRecord
}

// RoleApprover is an approver of a statement, with the role they approve for.
type RoleApprover struct {
	Approver
	Role string
}

// StatementApprovalRequest emails statement approvers their links.
type StatementApprovalRequest struct {
	StatementID string
	CrisisID    string
	ClientID    string
	Version     int
	Approvers   []RoleApprover
}

// StatementPublishRequest publishes one statement version on one channel.
type StatementPublishRequest struct {
	StatementID string
	CrisisID    string
	ClientID    string
	Version     int
	Channel     string
}

// StatementApproversRequest asks who approves a statement for the given roles.
type StatementApproversRequest struct {
	ClientID string
	Roles    []string
}
