// Package certificate is proof of approval: what a client approved (the exact version,
// its media and their digests), who decided and when, and where it was published, as a
// JSON document and as a PDF with embedded fonts.
package certificate

import (
	"time"
)

// Certificate is the proof of approval of one post version. Times are UTC; each has a
// local rendering in the client's time zone beside it.
type Certificate struct {
	GeneratedAt time.Time `json:"generated_at"`
	// TimeZone is the IANA name of the zone the *_local fields are in ("UTC" when the
	// client has none).
	TimeZone  string     `json:"time_zone"`
	Agency    string     `json:"agency"`
	Client    Client     `json:"client"`
	Post      Post       `json:"post"`
	Version   Version    `json:"approved_version"`
	Decisions []Decision `json:"decisions"`
	// Channels are the publication results of the approved version, by channel; empty
	// when none were recorded (ChannelsNote then says so).
	Channels     []Channel `json:"channels"`
	ChannelsNote string    `json:"channels_note,omitempty"`
}

// Client is the brand the post is for.
type Client struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Post is the post the certificate is about.
type Post struct {
	ID          string     `json:"id"`
	Status      string     `json:"status"`
	PublishAt   time.Time  `json:"publish_at"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
}

// Version is the approved version's full content and the digest an approval applies to.
type Version struct {
	Number    int       `json:"number"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	Channels  []string  `json:"channels"`
	Media     []Media   `json:"media"`
	MediaURLs []string  `json:"media_urls,omitempty"` // media given as URLs, not kept by Greenlight
	Digest    string    `json:"sha256"`               // greenlight.Content.Digest of this version
	CreatedAt time.Time `json:"created_at"`
}

// Media is one file of the approved version. Image, when set, is embedded in the PDF.
type Media struct {
	ID          string `json:"id"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"content_type"`
	Alt         string `json:"alt"`
	Image       []byte `json:"-"`
}

// Decision is one decision on the approved version.
type Decision struct {
	Stage     string    `json:"stage"` // "internal" (agency review) or "client"
	Role      string    `json:"role"`  // the staff member's role, or "client approver"
	ActorID   string    `json:"actor_id"`
	ActorName string    `json:"actor_name"`
	Decision  string    `json:"decision"`
	Comment   string    `json:"comment"`
	At        time.Time `json:"at"`
	AtUTC     string    `json:"at_utc"`
	AtLocal   string    `json:"at_local"`
	// LinkID is the approval link the decision was made through (client decisions).
	LinkID string `json:"link_id,omitempty"`
	// LinkNote explains a missing or uncertain link id.
	LinkNote string `json:"link_note,omitempty"`
}

// Channel is the publication result of the approved version on one channel.
type Channel struct {
	Channel   string    `json:"channel"`
	Status    string    `json:"status"`
	URL       string    `json:"url,omitempty"`
	RemoteID  string    `json:"remote_id,omitempty"`
	Error     string    `json:"error,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NoChannels is ChannelsNote when no per-channel result was recorded (posts published
// before results were kept per channel, or not published yet).
const NoChannels = "no channel results recorded"

// UTC renders t in UTC, naming the zone.
func UTC(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// Local renders t in loc, naming the zone and its offset ("UTC" when loc is UTC or nil).
func Local(t time.Time, loc *time.Location) string {
	if loc == nil || loc == time.UTC || loc.String() == "UTC" {
		return UTC(t)
	}
	return t.In(loc).Format("2006-01-02 15:04:05 MST (-07:00) ") + loc.String()
}

// ZoneName is the name the certificate gives loc.
func ZoneName(loc *time.Location) string {
	if loc == nil {
		return "UTC"
	}
	return loc.String()
}
