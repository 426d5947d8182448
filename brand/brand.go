// Package brand owns a client's look, language and clock: the colours (with accessible
// contrast), logo, sender name, language and time zone that client pages and emails use,
// and how times are written for the client.
package brand

import (
	"fmt"
	"time"

	"github.com/greenlight/greenlight/store"
)

// Languages client pages and emails are written in; the first is the default.
var Languages = []string{"en", "fr"}

// Look is how one client's pages and emails look and speak. The zero value is not usable:
// build it with Of.
type Look struct {
	Client   string // the client's name
	Language string // en or fr
	Zone     *time.Location
	ZoneName string // the IANA name of Zone
	// Color is the header and button colour (#rrggbb), "" for the default look; Text is
	// the text colour on it (black or white, whichever reaches WCAG AA).
	Color, Text string
	// LogoURL is the signed URL of the client's logo ("" for none): a path on pages, an
	// absolute URL in emails (the caller signs it: see service.ClientLook).
	LogoURL    string
	SenderName string
}

// Of returns the look of c without its logo URL (signing needs the media library). Unknown
// or empty settings fall back to English, UTC and the default colours.
func Of(c *store.Client) Look {
	l := Look{Client: c.Name, Language: "en", Zone: time.UTC, ZoneName: "UTC", SenderName: c.SenderName}
	if c.Language == "fr" {
		l.Language = "fr"
	}
	if c.TimeZone != "" {
		if z, err := time.LoadLocation(c.TimeZone); err == nil {
			l.Zone, l.ZoneName = z, c.TimeZone
		}
	}
	if _, ok := luminance(c.BrandColor); ok {
		l.Color, l.Text = c.BrandColor, TextOn(c.BrandColor)
	}
	return l
}

// Sender is the display name of the client's emails: "<sender name> via <agency>", or the
// agency alone when the client has no sender name.
func (l Look) Sender(agency string) string {
	if l.SenderName == "" {
		return agency
	}
	return l.SenderName + " via " + agency
}

// Local is t in the client's zone.
func (l Look) Local(t time.Time) time.Time {
	if l.Zone == nil {
		return t.UTC()
	}
	return t.In(l.Zone)
}

// Time writes t for the client, in their language and zone, naming the zone:
// "Tuesday 3 March 2026, 14:00 (Europe/Paris)", "mardi 3 mars 2026, 14:00 (Europe/Paris)".
func (l Look) Time(t time.Time) string {
	return FormatTime(t, l.Language, l.Zone)
}

// FormatTime writes t in zone (UTC when nil) with lang's day and month names, naming the zone.
func FormatTime(t time.Time, lang string, zone *time.Location) string {
	if zone == nil {
		zone = time.UTC
	}
	lt := t.In(zone)
	name := zone.String()
	if lang == "fr" {
		return fmt.Sprintf("%s %d %s %d, %s (%s)", frDays[lt.Weekday()], lt.Day(), frMonths[lt.Month()-1], lt.Year(), lt.Format("15:04"), name)
	}
	return fmt.Sprintf("%s %d %s %d, %s (%s)", lt.Weekday(), lt.Day(), lt.Month(), lt.Year(), lt.Format("15:04"), name)
}

// MonthName is a month's name in lang ("March", "mars").
func MonthName(m time.Month, lang string) string {
	if lang == "fr" {
		return frMonths[m-1]
	}
	return m.String()
}

var (
	frDays   = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	frMonths = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
)
