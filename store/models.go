package store

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"github.com/greenlight/greenlight"
)

// StringList is a []string kept as a JSON array in a text column on both databases.
type StringList []string

// Value implements driver.Valuer.
func (l StringList) Value() (driver.Value, error) {
	if l == nil {
		l = StringList{}
	}
	b, err := json.Marshal([]string(l))
	return string(b), err
}

// Scan implements sql.Scanner.
func (l *StringList) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	case nil:
		*l = StringList{}
		return nil
	default:
		return fmt.Errorf("string list: unexpected %T", src)
	}
	return json.Unmarshal(b, (*[]string)(l))
}

// MediaList is a post's ordered media, kept as a JSON array in a text column.
type MediaList []greenlight.MediaRef

// Value implements driver.Valuer.
func (l MediaList) Value() (driver.Value, error) {
	if l == nil {
		l = MediaList{}
	}
	b, err := json.Marshal([]greenlight.MediaRef(l))
	return string(b), err
}

// Scan implements sql.Scanner.
func (l *MediaList) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	case nil:
		*l = MediaList{}
		return nil
	default:
		return fmt.Errorf("media list: unexpected %T", src)
	}
	return json.Unmarshal(b, (*[]greenlight.MediaRef)(l))
}

// User is a staff member. APIKeyHash is the SHA-256 of the API key; the key itself is
// shown once and never stored.
type User struct {
	ID           string
	Email        string
	Name         string
	Role         string
	APIKeyHash   *string
	PasswordHash *string
	CreatedAt    time.Time
	DisabledAt   *time.Time
	// ClientIDs limits the user to these clients; empty means all clients.
	ClientIDs []string `gorm:"-"`
}

// Client is a brand the agency publishes for.
type Client struct {
	ID              string
	Name            string
	ApprovalPolicy  string
	WebhookURL      string
	SlackWebhookURL string
	// DigestWindow: posts that start waiting for an approver within this window after the
	// first go out in one email (a batch); 0 sends one email per post.
	DigestWindow time.Duration
	TimeZone     string // IANA name; "UTC" by default
	Language     string // en or fr: the language of client pages and emails
	SenderName   string // shown as "<SenderName> via <agency>" in emails; empty = agency
	BrandColor   string // #rrggbb header accent, empty = default
	LogoMediaID  string // an image of the client's media library shown on its pages and emails; empty = none
	// ReminderAfter and EscalateAfter are the timers of the client's new posts; 0 = the
	// defaults (greenlight.DefaultReminderAfter, DefaultEscalateAfter).
	ReminderAfter time.Duration
	EscalateAfter time.Duration
	CreatedAt     time.Time
	Approvers     []Approver `gorm:"-"`
}

// Approver is a client contact who approves posts from emailed links.
type Approver struct {
	ID       string `json:"id"`
	ClientID string `json:"-"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Position int    `json:"-"`
}

// Post is the projection of a post's workflow state plus its current version's content.
type Post struct {
	ID            string
	ClientID      string
	AuthorID      string
	Title         string
	Body          string
	Channels      StringList
	MediaURLs     StringList `gorm:"column:media_urls"`
	Media         MediaList
	PublishAt     time.Time
	Status        string
	Version       int
	ReminderAfter time.Duration
	EscalateAfter time.Duration
	Held          bool
	PublishedAt   *time.Time
	Revision      int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// PostVersion is one saved version of a post's content; versions are never changed.
type PostVersion struct {
	PostID    string
	Version   int
	Title     string
	Body      string
	Channels  StringList
	MediaURLs StringList `gorm:"column:media_urls"`
	Media     MediaList
	Digest    string // greenlight.Content.Digest of this version: what an approval applies to
	AuthorID  string
	CreatedAt time.Time
}

// PostDecision is a reviewer's or client approver's decision on one version.
type PostDecision struct {
	PostID    string
	Seq       int
	Version   int
	Stage     string // "internal" or "client"
	Round     int
	ActorKind string
	ActorID   string
	ActorName string
	Decision  string
	Comment   string
	At        time.Time
}

// PostEvent is one line of a post's history.
type PostEvent struct {
	PostID    string
	Seq       int
	At        time.Time
	ActorKind string
	ActorID   string
	ActorName string
	Action    string
	Version   int
	Comment   string
}

// Link is an emailed approval link; only the SHA-256 of its token is kept.
type Link struct {
	ID            string
	TokenHash     string
	EffectKey     string
	SubjectKind   string // "post" or "statement"
	SubjectID     string
	Version       int
	ApproverID    string
	ApproverName  string
	ApproverEmail string
	ExpiresAt     time.Time
	UsedAt        *time.Time
	// DecidedAt is set on the one link whose token carried the approver's decision (the
	// approver's other links for the version are only marked used).
	DecidedAt *time.Time
	CreatedAt time.Time
}

// DevMail is an email kept by the dev mail catcher.
type DevMail struct {
	ID       string    `json:"id"`
	IdemKey  string    `json:"-"`
	ToAddr   string    `json:"to"`
	ToName   string    `json:"-"`
	Subject  string    `json:"subject"`
	TextBody string    `json:"text"`
	HTMLBody string    `json:"html"`
	SentAt   time.Time `json:"sent_at"`
}

// DevPublication is a post publication recorded by the dev publisher.
type DevPublication struct {
	ID          string     `json:"id"`
	IdemKey     string     `json:"idempotency_key"`
	ClientID    string     `json:"client_id"`
	PostID      string     `json:"post_id"`
	Version     int        `json:"version"`
	Channel     string     `json:"channel"`
	Title       string     `json:"title"`
	Body        string     `json:"body"`
	MediaURLs   StringList `json:"media_urls" gorm:"column:media_urls"`
	PublishedAt time.Time  `json:"published_at"`
}

type effect struct {
	IdemKey   string `gorm:"primaryKey"`
	Kind      string
	Status    string
	Result    string
	CreatedAt time.Time
	DoneAt    *time.Time
}

type userClient struct {
	UserID   string
	ClientID string
}

type rateLimit struct {
	Bucket      string `gorm:"primaryKey"`
	WindowStart time.Time
	Count       int
}

func (effect) TableName() string     { return "effects" }
func (userClient) TableName() string { return "user_clients" }
func (rateLimit) TableName() string  { return "rate_limits" }
