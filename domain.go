package greenlight

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"
)

// Role is what a staff user may do.
type Role string

// Staff roles.
const (
	RoleAdmin      Role = "admin"
	RoleEditor     Role = "editor"
	RoleReviewer   Role = "reviewer"
	RoleCrisisLead Role = "crisis_lead"
)

// Roles lists every role, in the order forms show them.
var Roles = []Role{RoleAdmin, RoleEditor, RoleReviewer, RoleCrisisLead}

// ValidRole reports whether r is a known role.
func ValidRole(r Role) bool { return slices.Contains(Roles, r) }

// PostStatus is the state of a post in its approval pipeline.
type PostStatus string

// Post states. Published, expired, cancelled and failed are final.
const (
	StatusDraft            PostStatus = "draft"
	StatusInReview         PostStatus = "in_review"
	StatusChangesRequested PostStatus = "changes_requested"
	StatusAwaitingClient   PostStatus = "awaiting_client"
	StatusScheduled        PostStatus = "scheduled"
	StatusPublished        PostStatus = "published"
	StatusExpired          PostStatus = "expired"
	StatusCancelled        PostStatus = "cancelled"
	StatusFailed           PostStatus = "failed"
)

// PostStatuses lists every state in pipeline order.
var PostStatuses = []PostStatus{
	StatusDraft, StatusInReview, StatusChangesRequested, StatusAwaitingClient,
	StatusScheduled, StatusPublished, StatusExpired, StatusCancelled, StatusFailed,
}

// Final reports whether no further transition can leave s.
func (s PostStatus) Final() bool {
	switch s {
	case StatusPublished, StatusExpired, StatusCancelled, StatusFailed:
		return true
	}
	return false
}

// BeforeApproval reports whether the client has not approved the current version yet;
// such a post expires when its publish time passes.
func (s PostStatus) BeforeApproval() bool {
	switch s {
	case StatusDraft, StatusInReview, StatusChangesRequested, StatusAwaitingClient:
		return true
	}
	return false
}

// Approval policies of a client.
const (
	PolicyAny = "any" // one approver's approval is enough
	PolicyAll = "all" // every approver must approve
)

// Decisions on a post version, by a reviewer or a client approver.
const (
	DecisionApprove        = "approve"
	DecisionRequestChanges = "request_changes"
)

// Channels are the networks a post can target, with the caption limit each enforces.
var Channels = map[string]int{
	"instagram": 2200,
	"facebook":  63206,
	"linkedin":  3000,
	"x":         280,
	"tiktok":    2200,
	"threads":   500,
	"bluesky":   300,
	"mastodon":  500, // Mastodon's default; each instance's own limit is checked when saved
	"youtube":   5000,
	"pinterest": 500,
}

// Defaults of a post's approval timers and of link lifetimes.
const (
	DefaultReminderAfter = 24 * time.Hour
	DefaultEscalateAfter = 72 * time.Hour
	DefaultLinkTTL       = 14 * 24 * time.Hour
)

// Content is one version's text and media as the client approves it and the networks
// receive it. An approval applies to exactly this content: Digest names it.
type Content struct {
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	Channels  []string   `json:"channels"`
	MediaURLs []string   `json:"media_urls"` // versions saved before the media library; new saves download URLs into Media
	Media     []MediaRef `json:"media,omitempty"`
}

// MediaRef is one file of a post, in order: a media library item (content-addressed, so its
// SHA256 names exactly the bytes the client saw) and its alt text.
type MediaRef struct {
	ID          string `json:"id"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"content_type"`
	Alt         string `json:"alt,omitempty"`
}

// Equal reports whether two contents are the same text, channels and media.
func (c Content) Equal(o Content) bool {
	return c.Title == o.Title && c.Body == o.Body &&
		slices.Equal(c.Channels, o.Channels) && slices.Equal(c.MediaURLs, o.MediaURLs) &&
		slices.Equal(c.Media, o.Media)
}

// Digest is the SHA-256 (hex) of the content's canonical JSON: its text, channels, media
// URLs and every file's SHA-256 and alt text, in order. Two versions with the same digest
// show the client the same thing; replacing an image changes it like a text edit.
func (c Content) Digest() string {
	canon := struct {
		Title     string     `json:"title"`
		Body      string     `json:"body"`
		Channels  []string   `json:"channels"`
		MediaURLs []string   `json:"media_urls"`
		Media     []MediaRef `json:"media"`
	}{c.Title, c.Body, nonNilStrings(c.Channels), nonNilStrings(c.MediaURLs), c.Media}
	if canon.Media == nil {
		canon.Media = []MediaRef{}
	}
	b, _ := json.Marshal(canon) // plain strings: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Actor is who did something: a staff user, a client approver, or the system itself.
type Actor struct {
	Kind string `json:"kind"` // "user", "approver" or "system"
	ID   string `json:"id"`
	Name string `json:"name"`
}

// System is the actor of timer-driven steps.
var System = Actor{Kind: "system", ID: "system", Name: "Greenlight"}
