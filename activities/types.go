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
