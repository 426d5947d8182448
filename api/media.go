package api

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

// jsonBodyLimit is the body limit of every route but media uploads.
const jsonBodyLimit = 1 << 20

// multipartOverhead is what an upload's body may have beyond the file: boundaries, part
// headers, the file name.
const multipartOverhead = 64 << 10

// bodyLimits gives POST /api/v1/clients/{id}/media a body limit of the media maximum (plus
// multipart overhead) and leaves every other route at the app's 1 MiB. fasthttp asks before
// it reads the body, so an announced larger body is refused with 413 unread.
func bodyLimits(maxMedia int64) func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	limit := int(maxMedia) + multipartOverhead
	return func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
		if string(h.Method()) == fiber.MethodPost && isUploadPath(string(h.RequestURI())) {
			return fasthttp.RequestConfig{MaxRequestBodySize: limit}
		}
		return fasthttp.RequestConfig{}
	}
}

// isUploadPath reports whether uri is an upload: the API's or the post editor's
// (/clients/{id}/media, a page route).
func isUploadPath(uri string) bool {
	path, _, _ := strings.Cut(uri, "?")
	rest, ok := strings.CutPrefix(path, "/api/v1/clients/")
	if !ok {
		if rest, ok = strings.CutPrefix(path, "/clients/"); !ok {
			return false
		}
	}
	id, ok := strings.CutSuffix(rest, "/media")
	return ok && id != "" && !strings.Contains(id, "/")
}

type mediaJSON struct {
	ID           string    `json:"id"`
	ClientID     string    `json:"client_id"`
	ContentType  string    `json:"content_type"`
	Size         int64     `json:"size"`
	Width        int       `json:"width"`
	Height       int       `json:"height"`
	DurationMS   *int64    `json:"duration_ms,omitempty"`
	SHA256       string    `json:"sha256"`
	Filename     string    `json:"filename"`
	URL          string    `json:"url"`
	ThumbnailURL string    `json:"thumbnail_url,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

func toMedia(svc *service.Service, publicURL string, m *store.Media) mediaJSON {
	out := mediaJSON{
		ID: m.ID, ClientID: m.ClientID, ContentType: m.ContentType, Size: m.Size, Width: m.Width, Height: m.Height,
		DurationMS: m.DurationMS, SHA256: m.SHA256, Filename: m.Filename, CreatedAt: m.CreatedAt,
		URL: publicURL + svc.SignedMediaURL(m.ID, "file"),
	}
	if m.ThumbSHA256 != "" {
		out.ThumbnailURL = publicURL + svc.SignedMediaURL(m.ID, "thumb")
	}
	return out
}

// uploadMedia takes a multipart body with the file in field "file": 201 with the new
// media, 200 with the existing one when the client already has this file.
func uploadMedia(svc *service.Service, publicURL string) fiber.Handler {
	return func(c *fiber.Ctx) error {
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
		m, created, err := svc.UploadMedia(c.UserContext(), currentUser(c), c.Params("id"), open)
		if err != nil {
			return err
		}
		status := fiber.StatusOK
		if created {
			status = fiber.StatusCreated
		}
		return c.Status(status).JSON(toMedia(svc, publicURL, m))
	}
}

func getMedia(svc *service.Service, publicURL string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m, err := svc.Media(c.UserContext(), currentUser(c), c.Params("id"))
		if err != nil {
			return err
		}
		return c.JSON(toMedia(svc, publicURL, m))
	}
}

// serveMedia serves a media's bytes (or thumbnail) to whoever holds a signed URL, with
// the type sniffed at upload, nosniff, and caching no longer than the URL lives.
func serveMedia(svc *service.Service, variant string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := c.Params("id")
		exp := c.Query("exp")
		m, f, err := svc.MediaFile(c.UserContext(), id, variant, service.MediaPath(id, variant), exp, c.Query("sig"))
		if err != nil {
			return err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return err
		}
		ct, sha := m.ContentType, m.SHA256
		if variant == "thumb" {
			ct, sha = "image/jpeg", m.ThumbSHA256
		}
		maxAge := int64(0)
		if t, err := strconv.ParseInt(exp, 10, 64); err == nil {
			maxAge = min(max(t-time.Now().Unix(), 0), 86400)
		}
		etag := `"` + sha + `"`
		c.Set(fiber.HeaderContentType, ct)
		c.Set("X-Content-Type-Options", "nosniff")
		c.Set(fiber.HeaderCacheControl, "private, max-age="+strconv.FormatInt(maxAge, 10))
		c.Set(fiber.HeaderETag, etag)
		c.Set(fiber.HeaderAcceptRanges, "bytes")
		c.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		c.Set("Referrer-Policy", "no-referrer")
		if c.Get(fiber.HeaderIfNoneMatch) == etag {
			f.Close()
			return c.SendStatus(fiber.StatusNotModified)
		}
		size := st.Size()
		start, end, ranged, ok := byteRange(c.Get(fiber.HeaderRange), size)
		if !ranged {
			return c.SendStream(f, int(size)) // fasthttp closes f once sent
		}
		if !ok {
			f.Close()
			c.Set(fiber.HeaderContentRange, "bytes */"+strconv.FormatInt(size, 10))
			return c.Status(fiber.StatusRequestedRangeNotSatisfiable).JSON(fiber.Map{"error": fiber.Map{"code": greenlight.EINVALID, "message": "range: not satisfiable"}})
		}
		if _, err := f.Seek(start, io.SeekStart); err != nil {
			f.Close()
			return err
		}
		n := end - start + 1
		c.Set(fiber.HeaderContentRange, "bytes "+strconv.FormatInt(start, 10)+"-"+strconv.FormatInt(end, 10)+"/"+strconv.FormatInt(size, 10))
		c.Status(fiber.StatusPartialContent)
		return c.SendStream(struct {
			io.Reader
			io.Closer
		}{io.LimitReader(f, n), f}, int(n))
	}
}

// byteRange reads a Range header of one range ("bytes=a-b", "bytes=a-", "bytes=-n")
// against size: ranged is false when there is none to honour (absent, several ranges, not
// bytes), which sends the whole file; ok is false when it is not satisfiable (416).
func byteRange(h string, size int64) (start, end int64, ranged, ok bool) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, false
	}
	a, b, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, true, false
	}
	var err error
	switch {
	case a == "": // the last b bytes
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 || size == 0 {
			return 0, 0, true, false
		}
		return max(size-n, 0), size - 1, true, true
	default:
		if start, err = strconv.ParseInt(a, 10, 64); err != nil || start < 0 || start >= size {
			return 0, 0, true, false
		}
		end = size - 1
		if b != "" {
			if end, err = strconv.ParseInt(b, 10, 64); err != nil || end < start {
				return 0, 0, true, false
			}
			end = min(end, size-1)
		}
		return start, end, true, true
	}
}
