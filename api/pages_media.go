package api

import (
	"errors"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

// mediaItem is one media of a post as pages show it: signed URLs of its file and thumbnail
// (relative, same origin), its type and alt text.
type mediaItem struct {
	ID          string
	ContentType string
	Alt         string
	URL         string // the file
	Thumb       string // the thumbnail; "" for videos
	Video       bool
}

// mediaItems signs URLs for a version's media, in order.
func mediaItems(svc *service.Service, refs []greenlight.MediaRef) []mediaItem {
	out := make([]mediaItem, 0, len(refs))
	for _, r := range refs {
		it := mediaItem{ID: r.ID, ContentType: r.ContentType, Alt: r.Alt, URL: svc.SignedMediaURL(r.ID, "file")}
		if strings.HasPrefix(r.ContentType, "video/") {
			it.Video = true
		} else {
			it.Thumb = svc.SignedMediaURL(r.ID, "thumb")
		}
		out = append(out, it)
	}
	return out
}

// mediaForm reads the editor's media: the ordered repeated field media_id, each with its
// alt text in media_alt_<id>. Present (possibly empty) whenever the editor's content is.
func mediaForm(c *fiber.Ctx) []service.MediaInput {
	out := []service.MediaInput{}
	seen := map[string]bool{}
	for _, id := range formValues(c, "media_id") {
		if id = strings.TrimSpace(id); id == "" || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, service.MediaInput{ID: id, Alt: strings.TrimSpace(c.FormValue("media_alt_" + id))})
	}
	return out
}

// uploadPageMedia is the editor's upload: the same service call as the API's
// POST /api/v1/clients/{id}/media, authenticated by the session and its CSRF token (a
// multipart field _csrf) instead of an API key. It answers JSON for the page's script.
func (p *pages) uploadPageMedia(c *fiber.Ctx) error {
	open := func() (string, io.ReadCloser, error) {
		fh, err := c.FormFile("file")
		if err != nil {
			if errors.Is(err, fasthttp.ErrMissingFile) {
				return "", nil, greenlight.Errorf(greenlight.EINVALID, "file: missing")
			}
			return "", nil, greenlight.Errorf(greenlight.EINVALID, "file: missing (send multipart/form-data with the file in the field \"file\")")
		}
		f, err := fh.Open()
		if err != nil {
			return "", nil, err
		}
		return fh.Filename, f, nil
	}
	m, created, err := p.svc.UploadMedia(c.UserContext(), currentUser(c), c.Params("id"), open)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(pageMediaJSON(p.svc, m))
}

// pageMediaJSON is what the editor's script needs to show an uploaded file.
func pageMediaJSON(svc *service.Service, m *store.Media) fiber.Map {
	it := mediaItems(svc, []greenlight.MediaRef{{ID: m.ID, ContentType: m.ContentType}})[0]
	return fiber.Map{"id": m.ID, "content_type": m.ContentType, "filename": m.Filename, "url": it.URL, "thumbnail_url": it.Thumb, "video": it.Video}
}

// formMedia is the media a refused form posted, shown again with their alt text; items the
// user may not see are left out.
func (p *pages) formMedia(c *fiber.Ctx) []mediaItem {
	var refs []greenlight.MediaRef
	for _, in := range mediaForm(c) {
		m, err := p.svc.Media(c.UserContext(), currentUser(c), in.ID)
		if err != nil {
			continue
		}
		refs = append(refs, greenlight.MediaRef{ID: m.ID, ContentType: m.ContentType, Alt: in.Alt})
	}
	return mediaItems(p.svc, refs)
}
