package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

func createUser(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req struct {
			Email     string   `json:"email"`
			Name      string   `json:"name"`
			Role      string   `json:"role"`
			ClientIDs []string `json:"client_ids"`
		}
		if err := decode(c, &req); err != nil {
			return err
		}
		u, key, err := svc.CreateUser(c.UserContext(), currentUser(c), service.NewUser{
			Email: req.Email, Name: req.Name, Role: req.Role, ClientIDs: req.ClientIDs,
		})
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(toUser(u, key))
	}
}

func createClient(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req struct {
			Name            string `json:"name"`
			ApprovalPolicy  string `json:"approval_policy"`
			WebhookURL      string `json:"webhook_url"`
			SlackWebhookURL string `json:"slack_webhook_url"`
			DigestWindow    string `json:"digest_window"`
			TimeZone        string `json:"time_zone"`
			Language        string `json:"language"`
			SenderName      string `json:"sender_name"`
			BrandColor      string `json:"brand_color"`
			ReminderAfter   string `json:"reminder_after"`
			EscalateAfter   string `json:"escalate_after"`
			Approvers       []struct {
				Name  string `json:"name"`
				Email string `json:"email"`
			} `json:"approvers"`
		}
		if err := decode(c, &req); err != nil {
			return err
		}
		in := service.NewClient{Name: req.Name, ApprovalPolicy: req.ApprovalPolicy, WebhookURL: req.WebhookURL, SlackWebhookURL: req.SlackWebhookURL,
			DigestWindow:  req.DigestWindow,
			Brand:         service.Brand{TimeZone: req.TimeZone, Language: req.Language, SenderName: req.SenderName, BrandColor: req.BrandColor},
			ReminderAfter: req.ReminderAfter, EscalateAfter: req.EscalateAfter}
		for _, a := range req.Approvers {
			in.Approvers = append(in.Approvers, service.NewApprover{Name: a.Name, Email: a.Email})
		}
		cl, err := svc.CreateClient(c.UserContext(), currentUser(c), in)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(toClient(cl, currentUser(c)))
	}
}

func listClients(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cs, err := svc.Clients(c.UserContext(), currentUser(c))
		if err != nil {
			return err
		}
		out := make([]clientJSON, 0, len(cs))
		for i := range cs {
			out = append(out, toClient(&cs[i], currentUser(c)))
		}
		return c.JSON(fiber.Map{"items": out})
	}
}

func getClient(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cl, err := svc.Client(c.UserContext(), currentUser(c), c.Params("id"))
		if err != nil {
			return err
		}
		return c.JSON(toClient(cl, currentUser(c)))
	}
}

// postRequest is the body of POST and PATCH /posts; absent fields are nil.
type postRequest struct {
	ClientID      string                `json:"client_id"`
	Version       int                   `json:"version"`
	Title         *string               `json:"title"`
	Body          *string               `json:"body"`
	Channels      *[]string             `json:"channels"`
	MediaURLs     *[]string             `json:"media_urls"`
	MediaIDs      *[]string             `json:"media_ids"`
	Media         *[]service.MediaInput `json:"media"`
	PublishAt     *string               `json:"publish_at"`
	ReminderAfter *string               `json:"reminder_after"`
	EscalateAfter *string               `json:"escalate_after"`
}

func (r *postRequest) fields() (service.PostFields, error) {
	f := service.PostFields{Title: r.Title, Body: r.Body, Channels: r.Channels, MediaURLs: r.MediaURLs}
	switch {
	case r.MediaIDs != nil && r.Media != nil:
		return f, greenlight.Errorf(greenlight.EINVALID, "media_ids, media: give one of them (media carries alt texts: [{\"id\":…,\"alt\":…}])")
	case r.MediaIDs != nil:
		list := make([]service.MediaInput, 0, len(*r.MediaIDs))
		for _, id := range *r.MediaIDs {
			list = append(list, service.MediaInput{ID: id})
		}
		f.Media, f.MediaField = &list, "media_ids"
	case r.Media != nil:
		f.Media, f.MediaField = r.Media, "media"
	}
	var err error
	if f.PublishAt, err = parseTime("publish_at", r.PublishAt); err != nil {
		return f, err
	}
	if f.ReminderAfter, err = parseDuration("reminder_after", r.ReminderAfter); err != nil {
		return f, err
	}
	if f.EscalateAfter, err = parseDuration("escalate_after", r.EscalateAfter); err != nil {
		return f, err
	}
	return f, nil
}

func createPost(svc *service.Service, publicURL string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req postRequest
		if err := decode(c, &req); err != nil {
			return err
		}
		f, err := req.fields()
		if err != nil {
			return err
		}
		p, err := svc.CreatePost(c.UserContext(), currentUser(c), service.NewPost{ClientID: req.ClientID, PostFields: f})
		if err != nil {
			return err
		}
		out, err := toPostDetail(c.UserContext(), svc, publicURL, p)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(out)
	}
}

func editPost(svc *service.Service, publicURL string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req postRequest
		if err := decode(c, &req); err != nil {
			return err
		}
		f, err := req.fields()
		if err != nil {
			return err
		}
		p, err := svc.EditPost(c.UserContext(), currentUser(c), c.Params("id"), req.Version, f)
		if err != nil {
			return err
		}
		return postDetailJSON(c, svc, publicURL, p)
	}
}

func submitPost(svc *service.Service, publicURL string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := svc.SubmitPost(c.UserContext(), currentUser(c), c.Params("id"))
		if err != nil {
			return err
		}
		return postDetailJSON(c, svc, publicURL, p)
	}
}

func reviewPost(svc *service.Service, publicURL string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req struct {
			Version  int    `json:"version"`
			Decision string `json:"decision"`
			Comment  string `json:"comment"`
		}
		if err := decode(c, &req); err != nil {
			return err
		}
		p, err := svc.ReviewPost(c.UserContext(), currentUser(c), c.Params("id"), req.Version, req.Decision, req.Comment)
		if err != nil {
			return err
		}
		return postDetailJSON(c, svc, publicURL, p)
	}
}

func cancelPost(svc *service.Service, publicURL string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req struct {
			Reason string `json:"reason"`
		}
		if len(c.Body()) > 0 {
			if err := decode(c, &req); err != nil {
				return err
			}
		}
		p, err := svc.CancelPost(c.UserContext(), currentUser(c), c.Params("id"), req.Reason)
		if err != nil {
			return err
		}
		return postDetailJSON(c, svc, publicURL, p)
	}
}

func getPost(svc *service.Service, publicURL string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := svc.Post(c.UserContext(), currentUser(c), c.Params("id"))
		if err != nil {
			return err
		}
		return postDetailJSON(c, svc, publicURL, p)
	}
}

func listPosts(svc *service.Service, publicURL string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		limit, err := queryInt(c, "limit")
		if err != nil {
			return err
		}
		page, err := svc.Posts(c.UserContext(), currentUser(c), store.PostFilter{
			ClientID: c.Query("client_id"), Status: c.Query("status"), Search: c.Query("q"),
			Cursor: c.Query("cursor"), Limit: limit,
		})
		if err != nil {
			return err
		}
		lists := make([][]greenlight.MediaRef, 0, len(page.Items))
		for i := range page.Items {
			lists = append(lists, page.Items[i].Media)
		}
		set, err := svc.MediaSet(c.UserContext(), lists...)
		if err != nil {
			return err
		}
		items := make([]postJSON, 0, len(page.Items))
		for i := range page.Items {
			items = append(items, toPost(&page.Items[i], set, publicURL))
		}
		var next *string
		if page.NextCursor != "" {
			next = &page.NextCursor
		}
		return c.JSON(fiber.Map{"items": items, "next_cursor": next})
	}
}

// settleChannel is the author's decision on a channel of a failed post:
// {"action":"record_live","url":…} or {"action":"publish_again"}, with an optional
// "version" that must be the current one.
func settleChannel(svc *service.Service, publicURL string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req struct {
			Version int    `json:"version"`
			Action  string `json:"action"`
			URL     string `json:"url"`
		}
		if err := decode(c, &req); err != nil {
			return err
		}
		p, err := svc.SettleChannel(c.UserContext(), currentUser(c), c.Params("id"), c.Params("channel"),
			service.ChannelDecision{Version: req.Version, Action: req.Action, URL: req.URL})
		if err != nil {
			return err
		}
		return postDetailJSON(c, svc, publicURL, p)
	}
}
