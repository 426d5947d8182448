package api

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/certificate"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

// commentJSON is a comment in API answers.
type commentJSON struct {
	ID         string     `json:"id"`
	PostID     string     `json:"post_id"`
	Version    int        `json:"version"`
	Visibility string     `json:"visibility"`
	Author     authorJSON `json:"author"`
	Body       string     `json:"body"`
	CreatedAt  time.Time  `json:"created_at"`
}

type authorJSON struct {
	Kind string `json:"kind"` // "user" or "approver"
	ID   string `json:"id"`
	Name string `json:"name"`
}

func toComment(c *store.Comment) commentJSON {
	return commentJSON{ID: c.ID, PostID: c.PostID, Version: c.Version, Visibility: c.Visibility,
		Author: authorJSON{Kind: c.AuthorKind, ID: c.AuthorID, Name: c.AuthorName}, Body: c.Body, CreatedAt: c.CreatedAt.UTC()}
}

// addComment: POST /api/v1/posts/:id/comments {body, visibility} → 201 with the comment.
func addComment(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in service.NewComment
		if err := decode(c, &in); err != nil {
			return err
		}
		cm, err := svc.AddComment(c.UserContext(), currentUser(c), c.Params("id"), in)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(toComment(cm))
	}
}

// listComments: GET /api/v1/posts/:id/comments → {"items": [...]}, internal and client
// comments, oldest first.
func listComments(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cs, err := svc.Comments(c.UserContext(), currentUser(c), c.Params("id"))
		if err != nil {
			return err
		}
		out := make([]commentJSON, 0, len(cs))
		for i := range cs {
			out = append(out, toComment(&cs[i]))
		}
		return c.JSON(fiber.Map{"items": out})
	}
}

// certificate: GET /posts/:id/certificate, the PDF for a signed-in staff member.
func (p *pages) certificate(c *fiber.Ctx) error {
	cert, err := p.svc.Certificate(c.UserContext(), currentUser(c), c.Params("id"))
	if err != nil {
		return err
	}
	return sendCertificatePDF(c, cert)
}

// getCertificate: GET /api/v1/posts/:id/certificate → the PDF, or the same content as
// JSON for Accept: application/json.
func getCertificate(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cert, err := svc.Certificate(c.UserContext(), currentUser(c), c.Params("id"))
		if err != nil {
			return err
		}
		if c.Accepts("application/pdf", fiber.MIMEApplicationJSON) == fiber.MIMEApplicationJSON {
			return c.JSON(cert)
		}
		return sendCertificatePDF(c, cert)
	}
}

func sendCertificatePDF(c *fiber.Ctx, cert *certificate.Certificate) error {
	b, err := certificate.PDF(cert)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="certificate-`+cert.Post.ID+`-v`+strconv.Itoa(cert.Version.Number)+`.pdf"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(b)
}

// linkComment: POST /approve/:token/comment, the approver's comment from their approval
// page (the token is the credential, as for the decision form). A page answer goes back to
// the approval page; with Accept: application/json, 201 and the comment.
func linkComment(svc *service.Service, agency string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		token := c.Params("token")
		body := c.FormValue("body")
		if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON) {
			var in struct {
				Body string `json:"body"`
			}
			if err := decode(c, &in); err != nil {
				return err
			}
			body = in.Body
		}
		cm, err := svc.CommentFromLink(c.UserContext(), token, body)
		if wantsJSON(c) {
			if err != nil {
				return err
			}
			return c.Status(fiber.StatusCreated).JSON(toComment(cm))
		}
		if err != nil {
			v, verr := svc.OpenLink(c.UserContext(), token)
			if verr != nil {
				return err
			}
			if greenlight.IsCode(err, greenlight.EINVALID) {
				err = greenlight.Errorf(greenlight.EINVALID, "%s", translate(v.Look.Language, "comments.invalid"))
			}
			return renderLink(c, svc, v, agency, "", err)
		}
		return c.Redirect("/approve/"+token+"#comments", fiber.StatusSeeOther)
	}
}
