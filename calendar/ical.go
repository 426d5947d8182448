// Package calendar writes iCalendar (RFC 5545) feeds: one VEVENT per post, times in UTC
// (so they are right across daylight-saving changes without VTIMEZONE blocks), text
// escaped and lines folded at 75 octets without splitting a UTF-8 character.
package calendar

import (
	"bytes"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Event is one calendar entry.
type Event struct {
	// UID is stable across versions of the feed (a post's id and the site's domain).
	UID          string
	Start        time.Time
	Duration     time.Duration // 15 minutes when zero
	Summary      string
	Description  string
	URL          string
	LastModified time.Time
	// Sequence grows when the entry changes (the post's revision).
	Sequence int64
	// Status is CONFIRMED or TENTATIVE (empty: none).
	Status string
	// Categories are free labels (the post's status).
	Categories []string
}

// Feed is a calendar.
type Feed struct {
	// ProdID names the producer, "-//Greenlight//Calendar//EN" when empty.
	ProdID string
	// Name is the calendar's display name (X-WR-CALNAME).
	Name string
	// Stamp is DTSTAMP for every event: when the feed was generated.
	Stamp  time.Time
	Events []Event
}

// Render returns the feed as iCalendar text with CRLF line ends.
func Render(f Feed) []byte {
	var b bytes.Buffer
	w := func(name, value string) { writeLine(&b, name+":"+value) }
	prod := f.ProdID
	if prod == "" {
		prod = "-//Greenlight//Calendar//EN"
	}
	w("BEGIN", "VCALENDAR")
	w("VERSION", "2.0")
	w("PRODID", prod)
	w("CALSCALE", "GREGORIAN")
	w("METHOD", "PUBLISH")
	if f.Name != "" {
		w("X-WR-CALNAME", Escape(f.Name))
	}
	for _, e := range f.Events {
		d := e.Duration
		if d <= 0 {
			d = 15 * time.Minute
		}
		w("BEGIN", "VEVENT")
		w("UID", Escape(e.UID))
		w("DTSTAMP", utc(f.Stamp))
		w("DTSTART", utc(e.Start))
		w("DTEND", utc(e.Start.Add(d)))
		w("SUMMARY", Escape(e.Summary))
		if e.Description != "" {
			w("DESCRIPTION", Escape(e.Description))
		}
		if e.URL != "" {
			w("URL", e.URL)
		}
		if len(e.Categories) > 0 {
			cs := make([]string, len(e.Categories))
			for i, c := range e.Categories {
				cs[i] = Escape(c)
			}
			w("CATEGORIES", strings.Join(cs, ","))
		}
		if e.Status != "" {
			w("STATUS", e.Status)
		}
		if !e.LastModified.IsZero() {
			w("LAST-MODIFIED", utc(e.LastModified))
		}
		w("SEQUENCE", strconv.FormatInt(e.Sequence, 10))
		w("END", "VEVENT")
	}
	w("END", "VCALENDAR")
	return b.Bytes()
}

func utc(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// Escape escapes a TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newlines.
// Other control characters, which TEXT does not allow, become spaces.
func Escape(s string) string {
	var b strings.Builder
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == ';':
			b.WriteString(`\;`)
		case r == ',':
			b.WriteString(`\,`)
		case r == '\n' || r == '\r':
			b.WriteString(`\n`)
		case r < 0x20 && r != '\t' || r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// writeLine writes a content line folded so that no line is longer than 75 octets
// (RFC 5545 3.1): a continuation starts with one space, and a fold never splits a UTF-8
// sequence.
func writeLine(b *bytes.Buffer, line string) {
	limit := 75
	for len(line) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		b.WriteString(line[:cut])
		b.WriteString("\r\n ")
		line = line[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(line)
	b.WriteString("\r\n")
}
