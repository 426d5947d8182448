// Package listening owns what listening sources need apart from storage: parsing RSS 2.0
// and Atom feeds into items, matching items on keywords (case- and accent-insensitive),
// and verifying signed mention batches pushed to inbound webhooks.
package listening

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Item is one entry of a feed.
type Item struct {
	// Key identifies the item within its feed: the SHA-256 of its GUID (RSS) or id (Atom),
	// else of its link, else of its title and date.
	Key    string
	Title  string
	Text   string // the summary or content with markup removed
	Link   string
	Author string
	At     time.Time // zero when the feed gives no date
}

type rssDoc struct {
	XMLName xml.Name `xml:"rss"`
	Items   []struct {
		Title       string `xml:"title"`
		Link        string `xml:"link"`
		GUID        string `xml:"guid"`
		Description string `xml:"description"`
		Encoded     string `xml:"http://purl.org/rss/1.0/modules/content/ encoded"`
		Author      string `xml:"author"`
		Creator     string `xml:"http://purl.org/dc/elements/1.1/ creator"`
		PubDate     string `xml:"pubDate"`
		Date        string `xml:"http://purl.org/dc/elements/1.1/ date"`
	} `xml:"channel>item"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",innerxml"`
}

type atomDoc struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	Entries []struct {
		ID    string   `xml:"id"`
		Title atomText `xml:"title"`
		Links []struct {
			Href string `xml:"href,attr"`
			Rel  string `xml:"rel,attr"`
		} `xml:"link"`
		Summary   atomText `xml:"summary"`
		Content   atomText `xml:"content"`
		Author    string   `xml:"author>name"`
		Published string   `xml:"published"`
		Updated   string   `xml:"updated"`
	} `xml:"entry"`
}

// Parse reads an RSS 2.0 or Atom 1.0 document. Named HTML entities (&eacute;) are
// accepted as feeds use them; anything else malformed is an error that says what.
func Parse(r io.Reader) ([]Item, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	root, err := rootName(data)
	if err != nil {
		return nil, err
	}
	switch {
	case root.Local == "rss":
		var doc rssDoc
		if err := decoder(data).Decode(&doc); err != nil {
			return nil, fmt.Errorf("rss: %w", err)
		}
		items := make([]Item, 0, len(doc.Items))
		for _, it := range doc.Items {
			text := it.Description
			if strings.TrimSpace(it.Encoded) != "" && strings.TrimSpace(text) == "" {
				text = it.Encoded
			}
			author := first(it.Creator, it.Author)
			items = append(items, newItem(it.GUID, it.Link, it.Title, text, author, parseDate(first(it.PubDate, it.Date))))
		}
		return items, nil
	case root.Local == "feed" && root.Space == "http://www.w3.org/2005/Atom":
		var doc atomDoc
		if err := decoder(data).Decode(&doc); err != nil {
			return nil, fmt.Errorf("atom: %w", err)
		}
		items := make([]Item, 0, len(doc.Entries))
		for _, e := range doc.Entries {
			link := ""
			for _, l := range e.Links {
				if l.Rel == "" || l.Rel == "alternate" {
					link = l.Href
					break
				}
			}
			text := atomBody(e.Summary)
			if strings.TrimSpace(text) == "" {
				text = atomBody(e.Content)
			}
			items = append(items, newItem(e.ID, link, atomBody(e.Title), text, e.Author, parseDate(first(e.Published, e.Updated))))
		}
		return items, nil
	}
	return nil, fmt.Errorf("not an RSS 2.0 or Atom feed (root element <%s>)", root.Local)
}

func decoder(data []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Entity = xml.HTMLEntity
	d.CharsetReader = charsetReader
	return d
}

// charsetReader accepts the encodings feeds declare that are UTF-8 compatible for our
// purpose; others are refused rather than misread.
func charsetReader(charset string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return in, nil
	case "iso-8859-1", "latin1", "latin-1", "windows-1252":
		return transform.NewReader(in, latin1{}), nil
	}
	return nil, fmt.Errorf("unsupported encoding %q", charset)
}

// latin1 decodes ISO-8859-1 (a byte is its code point).
type latin1 struct{ transform.NopResetter }

func (latin1) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		r := rune(src[nSrc])
		var buf [4]byte
		n := copy(buf[:], string(r))
		if nDst+n > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		copy(dst[nDst:], buf[:n])
		nDst += n
		nSrc++
	}
	return nDst, nSrc, nil
}

func rootName(data []byte) (xml.Name, error) {
	d := decoder(data)
	for {
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return xml.Name{}, errors.New("empty document")
			}
			return xml.Name{}, fmt.Errorf("not XML: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name, nil
		}
	}
}

// atomBody is an Atom text construct as plain text: xhtml content is markup already,
// html and text content are escaped (and CDATA is kept by innerxml as written).
func atomBody(t atomText) string {
	body := t.Body
	if t.Type != "xhtml" {
		body = unescapeInner(body)
	}
	return body
}

var cdata = regexp.MustCompile(`(?s)<!\[CDATA\[(.*?)\]\]>`)

// unescapeInner turns raw inner XML of a text element into its character data.
func unescapeInner(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range cdata.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(html.UnescapeString(s[last:m[0]]))
		b.WriteString(s[m[2]:m[3]])
		last = m[1]
	}
	b.WriteString(html.UnescapeString(s[last:]))
	return b.String()
}

var (
	tags   = regexp.MustCompile(`(?s)<[^>]*>`)
	spaces = regexp.MustCompile(`\s+`)
)

// plain removes markup from an HTML fragment and collapses white space.
func plain(s string) string {
	s = tags.ReplaceAllString(s, " ")
	s = html.UnescapeString(s)
	return strings.TrimSpace(spaces.ReplaceAllString(s, " "))
}

func newItem(id, link, title, text, author string, at time.Time) Item {
	id, link = strings.TrimSpace(id), strings.TrimSpace(link)
	it := Item{Title: plain(title), Text: plain(text), Link: link, Author: plain(author), At: at}
	key := id
	if key == "" {
		key = link
	}
	if key == "" {
		key = it.Title + "\x00" + at.UTC().Format(time.RFC3339)
	}
	sum := sha256.Sum256([]byte(key))
	it.Key = hex.EncodeToString(sum[:])
	return it
}

func first(vs ...string) string {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

var dateLayouts = []string{
	time.RFC1123Z, time.RFC1123, time.RFC3339, time.RFC3339Nano,
	"Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 MST", "2 Jan 2006 15:04:05 -0700",
	"Mon, 02 Jan 2006 15:04 -0700", "2006-01-02T15:04:05", "2006-01-02",
}

// parseDate reads the date formats feeds use (RFC 822 variants, RFC 3339); zero when none fits.
func parseDate(s string) time.Time {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// Fold lowercases s and removes its accents, for keyword matching.
func Fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

// Matches reports whether text contains any keyword, ignoring case and accents; every
// text matches an empty keyword list.
func Matches(text string, keywords []string) bool {
	if len(keywords) == 0 {
		return true
	}
	t := Fold(text)
	for _, k := range keywords {
		if k = Fold(strings.TrimSpace(k)); k != "" && strings.Contains(t, k) {
			return true
		}
	}
	return false
}
