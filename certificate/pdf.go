package certificate

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // decode configs of embedded media
	_ "image/png"
	"strings"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
)

// A4 in points, with margins.
const (
	pageW, pageH = 595.28, 841.89
	margin       = 50.0
	textW        = pageW - 2*margin
	bottom       = pageH - margin
)

// PDF renders c as an A4 PDF. The Go fonts are embedded (subset), so accented text renders
// and text extraction gives it back. Images of JPEG or PNG media are embedded.
func PDF(c *Certificate) ([]byte, error) {
	w := &writer{pdf: &gopdf.GoPdf{}}
	w.pdf.Start(gopdf.Config{PageSize: gopdf.Rect{W: pageW, H: pageH}, Unit: gopdf.UnitPT})
	w.pdf.SetInfo(gopdf.PdfInfo{Title: "Certificate of approval " + c.Post.ID, Creator: "Greenlight", CreationDate: c.GeneratedAt})
	for name, ttf := range map[string][]byte{"regular": goregular.TTF, "bold": gobold.TTF, "mono": gomono.TTF} {
		if err := w.pdf.AddTTFFontData(name, ttf); err != nil {
			return nil, fmt.Errorf("certificate font: %w", err)
		}
	}
	w.page()

	w.text("bold", 18, "Certificate of approval")
	w.text("regular", 10, fmt.Sprintf("%s · generated %s · local times in %s", c.Agency, UTC(c.GeneratedAt), c.TimeZone))
	w.gap(8)

	w.heading("Client and post")
	w.field("Client", fmt.Sprintf("%s (%s)", c.Client.Name, c.Client.ID))
	w.field("Post", c.Post.ID)
	w.field("Status", c.Post.Status)
	w.field("Publish at", UTC(c.Post.PublishAt))
	if c.Post.PublishedAt != nil {
		w.field("Published at", UTC(*c.Post.PublishedAt))
	}

	v := c.Version
	w.heading(fmt.Sprintf("Approved version %d", v.Number))
	w.field("Title", v.Title)
	w.field("Channels", strings.Join(v.Channels, ", "))
	w.field("Saved at", UTC(v.CreatedAt))
	w.text("bold", 10, "SHA-256 of this exact content:")
	w.text("mono", 9, v.Digest)
	w.gap(4)
	w.text("bold", 10, "Full text:")
	w.text("regular", 11, v.Body)
	w.gap(4)
	if len(v.Media) == 0 && len(v.MediaURLs) == 0 {
		w.field("Media", "none")
	}
	for i, m := range v.Media {
		w.text("bold", 10, fmt.Sprintf("Media %d: %s (%s)", i+1, m.ID, m.ContentType))
		w.text("mono", 9, "SHA-256 "+m.SHA256)
		if m.Alt != "" {
			w.field("Alt text", m.Alt)
		}
		if err := w.image(m.Image); err != nil {
			w.text("regular", 9, "(image not embedded: "+err.Error()+")")
		}
	}
	for _, u := range v.MediaURLs {
		w.field("Media URL", u+" (not kept by Greenlight: no digest)")
	}

	w.heading("Decisions on this version")
	if len(c.Decisions) == 0 {
		w.text("regular", 10, "none recorded")
	}
	for _, d := range c.Decisions {
		w.text("bold", 10, fmt.Sprintf("%s — %s (%s, %s stage)", d.Decision, d.ActorName, d.Role, d.Stage))
		w.field("When (UTC)", d.AtUTC)
		w.field("When ("+c.TimeZone+")", d.AtLocal)
		if d.LinkID != "" {
			w.field("Through link", d.LinkID)
		}
		if d.LinkNote != "" {
			w.field("Link", d.LinkNote)
		}
		if d.Comment != "" {
			w.field("Comment", d.Comment)
		}
		w.gap(4)
	}

	w.heading("Publication per channel")
	if len(c.Channels) == 0 {
		w.text("regular", 10, c.ChannelsNote)
	}
	for _, ch := range c.Channels {
		line := fmt.Sprintf("%s: %s", ch.Channel, ch.Status)
		if ch.URL != "" {
			line += " · " + ch.URL
		}
		if ch.Error != "" {
			line += " · error: " + ch.Error
		}
		w.text("regular", 10, line+" · "+UTC(ch.UpdatedAt))
	}
	if w.err != nil {
		return nil, fmt.Errorf("certificate pdf: %w", w.err)
	}
	return w.pdf.GetBytesPdf(), nil
}

// writer lays text out top to bottom, wrapping lines and adding pages; the first error
// stops the writing and is kept.
type writer struct {
	pdf *gopdf.GoPdf
	y   float64
	err error
}

func (w *writer) page() {
	w.pdf.AddPage()
	w.y = margin
}

func (w *writer) gap(h float64) { w.y += h }

func (w *writer) heading(s string) {
	w.gap(10)
	w.text("bold", 13, s)
	w.pdf.SetLineWidth(0.5)
	w.pdf.Line(margin, w.y, pageW-margin, w.y)
	w.gap(4)
}

func (w *writer) field(label, value string) { w.text("regular", 10, label+": "+value) }

// text writes s in font at size, wrapped to the text width; newlines in s are kept.
func (w *writer) text(font string, size float64, s string) {
	if w.err != nil {
		return
	}
	if w.err = w.pdf.SetFont(font, "", size); w.err != nil {
		return
	}
	lineH := size * 1.35
	for _, para := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		lines := []string{""}
		if strings.TrimSpace(para) != "" {
			if lines, w.err = w.pdf.SplitTextWithWordWrap(para, textW); w.err != nil {
				return
			}
		}
		for _, line := range lines {
			if w.y+lineH > bottom {
				w.page()
				if w.err = w.pdf.SetFont(font, "", size); w.err != nil {
					return
				}
			}
			w.pdf.SetXY(margin, w.y)
			if w.err = w.pdf.Cell(nil, line); w.err != nil {
				return
			}
			w.y += lineH
		}
	}
}

// image embeds a JPEG or PNG at most 250 points high, scaled to fit the text width.
func (w *writer) image(b []byte) error {
	if len(b) == 0 || w.err != nil {
		return nil
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil || cfg.Width == 0 || cfg.Height == 0 {
		return fmt.Errorf("not a JPEG or PNG image")
	}
	width, height := float64(cfg.Width), float64(cfg.Height)
	scale := min(1, textW/width, 250/height)
	width, height = width*scale, height*scale
	h, err := gopdf.ImageHolderByBytes(b)
	if err != nil {
		return err
	}
	if w.y+height > bottom {
		w.page()
	}
	if err := w.pdf.ImageByHolder(h, margin, w.y, &gopdf.Rect{W: width, H: height}); err != nil {
		return err
	}
	w.y += height + 6
	return nil
}
