// Package events owns Greenlight's outgoing event webhooks: the catalogue of event types,
// one versioned payload type per event, the messages built from posts' and crises' history
// (each with an id derived from its subject and position, so that writing the same history
// twice yields the same message), and Standard Webhooks signatures.
package events

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Event types a subscription may ask for.
const (
	PostSubmitted          = "post.submitted"
	PostReviewed           = "post.reviewed"
	PostClientDecided      = "post.client_decided"
	PostScheduled          = "post.scheduled"
	PostPublished          = "post.published"
	PostFailed             = "post.failed"
	PostExpired            = "post.expired"
	CrisisStarted          = "crisis.started"
	CrisisStepOverdue      = "crisis.step_overdue"
	CrisisStatementDecided = "crisis.statement_decided"
	CrisisResolved         = "crisis.resolved"
)

// Types lists every event type, in the order the documentation shows them.
var Types = []string{
	PostSubmitted, PostReviewed, PostClientDecided, PostScheduled, PostPublished, PostFailed, PostExpired,
	CrisisStarted, CrisisStepOverdue, CrisisStatementDecided, CrisisResolved,
}

// Known reports whether t is an event type.
func Known(t string) bool { return slices.Contains(Types, t) }

// PayloadVersion is the version of every payload type; a change that is not backward
// compatible gets a new version number.
const PayloadVersion = 1

// Message is one event ready to be stored in the outbox and sent: Body is the exact JSON
// that is signed and delivered.
type Message struct {
	// ID is the webhook-id: derived from the subject and the history line it comes from.
	ID string
	// Type is one of Types.
	Type string
	// Subject is what the event is about ("post:<id>" or "crisis:<id>"): deliveries to one
	// subscription keep the order of a subject's events.
	Subject  string
	ClientID string
	// At is when the event happened (workflow time); Seq orders events of one subject
	// that happened at the same time.
	At   time.Time
	Seq  int
	Body []byte
}

// PostSubject and CrisisSubject name the subjects of events.
func PostSubject(id string) string   { return "post:" + id }
func CrisisSubject(id string) string { return "crisis:" + id }

// messageID derives a message id from the history line it comes from.
func messageID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "msg_" + hex.EncodeToString(sum[:12])
}

func message(key, typ, subject, clientID string, at time.Time, seq int, data any) Message {
	at = at.UTC()
	body, err := json.Marshal(Envelope{Type: typ, Version: PayloadVersion, Timestamp: at, Data: data})
	if err != nil {
		panic(fmt.Sprintf("events: marshal %s: %v", typ, err)) // payload types are plain data
	}
	return Message{ID: messageID(key), Type: typ, Subject: subject, ClientID: clientID, At: at, Seq: seq, Body: body}
}

// PostChange is one line of a post's history with what its event tells about the post.
type PostChange struct {
	PostID    string
	ClientID  string
	Title     string
	Channels  []string
	PublishAt time.Time
	// The history line.
	Seq     int
	At      time.Time
	Actor   Actor
	Action  string
	Version int
	Comment string
}

// FromPost returns the event a post history line stands for, and false for lines that
// are no event (edits, reminders…).
func FromPost(c PostChange) (Message, bool) {
	ref := PostRef{PostID: c.PostID, ClientID: c.ClientID, Version: c.Version, Title: c.Title}
	var typ string
	var data any
	switch c.Action {
	case "submitted":
		typ, data = PostSubmitted, PostSubmittedData{PostRef: ref, SubmittedBy: c.Actor, PublishAt: c.PublishAt.UTC()}
	case "review_approved", "review_changes_requested":
		typ, data = PostReviewed, PostReviewedData{PostRef: ref, Decision: decision(c.Action), Reviewer: c.Actor, Comment: c.Comment}
	case "client_approved", "client_changes_requested":
		typ, data = PostClientDecided, PostClientDecidedData{PostRef: ref, Decision: decision(c.Action), Approver: c.Actor, Comment: c.Comment}
	case "scheduled":
		typ, data = PostScheduled, PostScheduledData{PostRef: ref, PublishAt: c.PublishAt.UTC()}
	case "published":
		typ, data = PostPublished, PostPublishedData{PostRef: ref, PublishedAt: c.At.UTC(), Channels: nonNil(c.Channels), Note: c.Comment}
	case "publish_failed":
		typ, data = PostFailed, PostFailedData{PostRef: ref, Error: c.Comment}
	case "expired":
		typ, data = PostExpired, PostExpiredData{PostRef: ref, Reason: c.Comment}
	default:
		return Message{}, false
	}
	subject := PostSubject(c.PostID)
	return message(fmt.Sprintf("%s/event/%d", subject, c.Seq), typ, subject, c.ClientID, c.At, c.Seq, data), true
}

func decision(action string) string {
	if action == "review_approved" || action == "client_approved" {
		return "approved"
	}
	return "changes_requested"
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// CrisisChange is one line of a crisis timeline.
type CrisisChange struct {
	CrisisID string
	ClientID string
	Seq      int
	At       time.Time
	Actor    Actor
	Event    string
	Step     string
	Note     string
}

// FromCrisis returns the event a crisis timeline line stands for, and false for lines
// that are no event.
func FromCrisis(c CrisisChange) (Message, bool) {
	ref := CrisisRef{CrisisID: c.CrisisID, ClientID: c.ClientID}
	var typ string
	var data any
	switch c.Event {
	case "crisis_started":
		typ, data = CrisisStarted, CrisisStartedData{CrisisRef: ref, Lead: c.Actor, Note: c.Note}
	case "sla_breached":
		typ, data = CrisisStepOverdue, CrisisStepOverdueData{CrisisRef: ref, Step: c.Step, Note: c.Note}
	case "crisis_resolved":
		typ, data = CrisisResolved, CrisisResolvedData{CrisisRef: ref, ResolvedBy: c.Actor, Summary: c.Note}
	default:
		return Message{}, false
	}
	subject := CrisisSubject(c.CrisisID)
	return message(fmt.Sprintf("%s/event/%d", subject, c.Seq), typ, subject, c.ClientID, c.At, c.Seq, data), true
}

// StatementDecision is an approver's decision on a crisis statement.
type StatementDecision struct {
	CrisisID    string
	ClientID    string
	StatementID string
	Step        string
	Seq         int
	At          time.Time
	Version     int
	Approver    Actor
	Role        string
	// Decision is the workflow's: "approve" or "request_changes".
	Decision string
	Comment  string
}

// FromStatementDecision returns the crisis.statement_decided event of a decision; its
// subject is the crisis, so that it arrives among the crisis's other events.
func FromStatementDecision(d StatementDecision) Message {
	decision := "changes_requested" // the workflow's "request_changes"
	if d.Decision == "approve" {
		decision = "approved"
	}
	data := CrisisStatementDecidedData{CrisisRef: CrisisRef{CrisisID: d.CrisisID, ClientID: d.ClientID},
		StatementID: d.StatementID, Step: d.Step, Version: d.Version, Decision: decision, Role: d.Role,
		Approver: d.Approver, Comment: d.Comment}
	return message(fmt.Sprintf("statement:%s/decision/%d", d.StatementID, d.Seq), CrisisStatementDecided,
		CrisisSubject(d.CrisisID), d.ClientID, d.At, d.Seq, data)
}
