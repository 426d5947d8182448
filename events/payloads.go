package events

import "time"

// Envelope is the JSON body of every delivery:
// {"type":"post.published","version":1,"timestamp":"…","data":{…}}. The webhook-id header
// identifies the event; it stays the same across retries and redeliveries.
type Envelope struct {
	// Type is the event type, one of Types.
	Type string `json:"type"`
	// Version is the version of Data's schema for this type (PayloadVersion).
	Version int `json:"version"`
	// Timestamp is when the event happened (RFC 3339, UTC); the webhook-timestamp header
	// is when the attempt was made.
	Timestamp time.Time `json:"timestamp"`
	// Data is the event's payload: one of the *Data types of this package.
	Data any `json:"data"`
}

// Actor is who acted: a staff user ("user"), a client approver ("approver") or Greenlight
// itself ("system").
type Actor struct {
	Kind string `json:"kind"`
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// PostRef identifies the post and version an event is about.
type PostRef struct {
	PostID   string `json:"post_id"`
	ClientID string `json:"client_id"`
	// Version is the post version the event applies to.
	Version int `json:"version"`
	// Title is the post's title when the event happened.
	Title string `json:"title"`
}

// PostSubmittedData is the payload of post.submitted: an editor sent a version for review.
type PostSubmittedData struct {
	PostRef
	SubmittedBy Actor     `json:"submitted_by"`
	PublishAt   time.Time `json:"publish_at"`
}

// PostReviewedData is the payload of post.reviewed: an internal reviewer decided.
type PostReviewedData struct {
	PostRef
	// Decision is "approved" or "changes_requested".
	Decision string `json:"decision"`
	Reviewer Actor  `json:"reviewer"`
	Comment  string `json:"comment,omitempty"`
}

// PostClientDecidedData is the payload of post.client_decided: a client approver decided
// (from the emailed link or a page of theirs).
type PostClientDecidedData struct {
	PostRef
	// Decision is "approved" or "changes_requested".
	Decision string `json:"decision"`
	Approver Actor  `json:"approver"`
	Comment  string `json:"comment,omitempty"`
}

// PostScheduledData is the payload of post.scheduled: the version is approved and waits
// for its publish time.
type PostScheduledData struct {
	PostRef
	PublishAt time.Time `json:"publish_at"`
}

// PostPublishedData is the payload of post.published: the version is live on its
// channels.
type PostPublishedData struct {
	PostRef
	PublishedAt time.Time `json:"published_at"`
	Channels    []string  `json:"channels"`
	// Note says where it was published, as the post's history does.
	Note string `json:"note,omitempty"`
}

// PostFailedData is the payload of post.failed: publishing failed on at least one channel.
type PostFailedData struct {
	PostRef
	Error string `json:"error"`
}

// PostExpiredData is the payload of post.expired: the publish time passed without the
// approvals it needed.
type PostExpiredData struct {
	PostRef
	Reason string `json:"reason,omitempty"`
}

// CrisisRef identifies the crisis an event is about.
type CrisisRef struct {
	CrisisID string `json:"crisis_id"`
	ClientID string `json:"client_id"`
}

// CrisisStartedData is the payload of crisis.started.
type CrisisStartedData struct {
	CrisisRef
	Lead Actor `json:"lead"`
	// Note is the timeline's line (playbook and reason).
	Note string `json:"note,omitempty"`
}

// CrisisStepOverdueData is the payload of crisis.step_overdue: a step passed its SLA.
type CrisisStepOverdueData struct {
	CrisisRef
	// Step is the playbook step's key.
	Step string `json:"step"`
	Note string `json:"note,omitempty"`
}

// CrisisStatementDecidedData is the payload of crisis.statement_decided: an approver
// decided on a version of a crisis statement.
type CrisisStatementDecidedData struct {
	CrisisRef
	StatementID string `json:"statement_id"`
	Step        string `json:"step"`
	Version     int    `json:"version"`
	// Decision is "approved" or "changes_requested".
	Decision string `json:"decision"`
	// Role is the crisis role the approver decided for.
	Role     string `json:"role,omitempty"`
	Approver Actor  `json:"approver"`
	Comment  string `json:"comment,omitempty"`
}

// CrisisResolvedData is the payload of crisis.resolved.
type CrisisResolvedData struct {
	CrisisRef
	ResolvedBy Actor  `json:"resolved_by"`
	Summary    string `json:"summary,omitempty"`
}

// Payloads maps each event type to an example value of its Data type, for documentation
// (the OpenAPI document) and tests.
var Payloads = map[string]any{
	PostSubmitted:          PostSubmittedData{},
	PostReviewed:           PostReviewedData{},
	PostClientDecided:      PostClientDecidedData{},
	PostScheduled:          PostScheduledData{},
	PostPublished:          PostPublishedData{},
	PostFailed:             PostFailedData{},
	PostExpired:            PostExpiredData{},
	CrisisStarted:          CrisisStartedData{},
	CrisisStepOverdue:      CrisisStepOverdueData{},
	CrisisStatementDecided: CrisisStatementDecidedData{},
	CrisisResolved:         CrisisResolvedData{},
}
