package api

import (
	"fmt"
	"net/mail"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/service"
)

func (p *pages) users(c *fiber.Ctx) error {
	u := currentUser(c)
	users, err := p.svc.Users(c.UserContext(), u)
	if err != nil {
		return err
	}
	clients, err := p.svc.Clients(c.UserContext(), u)
	if err != nil {
		return err
	}
	return p.render(c, fiber.StatusOK, "admin_users", translate(language(c), "admin.users"), fiber.Map{
		"Users": users, "Clients": clients, "Roles": greenlight.Roles,
	})
}

// inviteUser creates a user and shows, once, their invite link and API key.
func (p *pages) inviteUser(c *fiber.Ctx) error {
	actor := currentUser(c)
	created, key, err := p.svc.CreateUser(c.UserContext(), actor, service.NewUser{
		Email: c.FormValue("email"), Name: c.FormValue("name"), Role: c.FormValue("role"), ClientIDs: formValues(c, "client_ids"),
	})
	if err != nil {
		return p.fail(c, "/admin/users", err)
	}
	token, err := p.svc.CreateInvite(c.UserContext(), actor, created.ID)
	if err != nil {
		return err
	}
	return p.render(c, fiber.StatusCreated, "admin_secret", translate(language(c), "admin.invite"), fiber.Map{
		"Who": created, "Key": key, "Invite": p.base(c) + "/invite/" + token,
	})
}

// base is the site's public URL for links shown to admins.
func (p *pages) base(c *fiber.Ctx) string {
	if p.publicURL != "" {
		return p.publicURL
	}
	return c.BaseURL()
}

func (p *pages) userAction(c *fiber.Ctx) error {
	actor, id := currentUser(c), c.Params("id")
	ctx := c.UserContext()
	switch c.Params("action") {
	case "update":
		if err := p.svc.UpdateUser(ctx, actor, id, c.FormValue("role"), formValues(c, "client_ids")); err != nil {
			return p.fail(c, "/admin/users", err)
		}
	case "revoke":
		if err := p.svc.RevokeKey(ctx, actor, id); err != nil {
			return p.fail(c, "/admin/users", err)
		}
	case "key", "invite":
		who, err := p.svc.User(ctx, actor, id)
		if err != nil {
			return p.fail(c, "/admin/users", err)
		}
		data := fiber.Map{"Who": who}
		if c.Params("action") == "key" {
			key, err := p.svc.NewKey(ctx, actor, id)
			if err != nil {
				return p.fail(c, "/admin/users", err)
			}
			data["Key"] = key
		} else {
			token, err := p.svc.CreateInvite(ctx, actor, id)
			if err != nil {
				return p.fail(c, "/admin/users", err)
			}
			data["Invite"] = p.base(c) + "/invite/" + token
		}
		return p.render(c, fiber.StatusOK, "admin_secret", translate(language(c), "admin.users"), data)
	default:
		return greenlight.Errorf(greenlight.ENOTFOUND, "no such action")
	}
	return p.back(c, "/admin/users", translate(language(c), "common.saved"))
}

func (p *pages) clientsPage(c *fiber.Ctx) error {
	clients, err := p.svc.Clients(c.UserContext(), currentUser(c))
	if err != nil {
		return err
	}
	return p.render(c, fiber.StatusOK, "admin_clients", translate(language(c), "admin.clients"), fiber.Map{
		"Clients": clients, "CanCreate": service.Can(currentUser(c), service.ActClientCreate),
	})
}

// parseApprovers reads "Name <email>" lines.
func parseApprovers(text string) ([]service.NewApprover, error) {
	var out []service.NewApprover
	for i, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		a, err := mail.ParseAddress(line)
		if err != nil {
			return nil, greenlight.Errorf(greenlight.EINVALID, "approvers: line %d is not “Name <email>”", i+1)
		}
		name := a.Name
		if name == "" {
			name = a.Address
		}
		out = append(out, service.NewApprover{Name: name, Email: a.Address})
	}
	return out, nil
}

func (p *pages) createClient(c *fiber.Ctx) error {
	approvers, err := parseApprovers(c.FormValue("approvers"))
	if err != nil {
		return p.fail(c, "/admin/clients", err)
	}
	cl, err := p.svc.CreateClient(c.UserContext(), currentUser(c), service.NewClient{
		Name: c.FormValue("name"), ApprovalPolicy: c.FormValue("approval_policy"), WebhookURL: strings.TrimSpace(c.FormValue("webhook_url")),
		SlackWebhookURL: strings.TrimSpace(c.FormValue("slack_webhook_url")), Approvers: approvers,
		DigestWindow: c.FormValue("digest_window"),
	})
	if err != nil {
		return p.fail(c, "/admin/clients", err)
	}
	return p.back(c, "/admin/clients/"+cl.ID, translate(language(c), "common.saved"))
}

func (p *pages) clientPage(c *fiber.Ctx) error {
	u := currentUser(c)
	cl, err := p.svc.Client(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return err
	}
	contacts, err := p.svc.Contacts(c.UserContext(), u, cl.ID)
	if err != nil {
		return err
	}
	rules, err := p.svc.Rules(c.UserContext(), u, cl.ID)
	if err != nil {
		return err
	}
	var approvers []string
	for _, a := range cl.Approvers {
		approvers = append(approvers, fmt.Sprintf("%s <%s>", a.Name, a.Email))
	}
	var lines []string
	for _, ct := range contacts {
		line := fmt.Sprintf("%s, %s, %s", ct.Role, ct.Name, ct.Email)
		if ct.BackupEmail != "" {
			line += fmt.Sprintf(", %s, %s", ct.BackupName, ct.BackupEmail)
		}
		lines = append(lines, line)
	}
	portalRows, err := p.portalRows(c, cl)
	if err != nil {
		return err
	}
	return p.render(c, fiber.StatusOK, "admin_client", cl.Name, fiber.Map{
		"CanSettings": service.Can(u, service.ActClientUpdate),
		"Timers":      clientTimers{Reminder: durationText(cl.ReminderAfter), Escalate: durationText(cl.EscalateAfter), Digest: cl.DigestWindow.String()},
		"PortalRows":  portalRows, "CanPortal": service.Can(u, service.ActPortalSend),
		"Client": cl, "ContactLines": strings.Join(lines, "\n"), "ApproverLines": strings.Join(approvers, "\n"), "Rules": rules, "Playbooks": p.svc.Playbooks(),
		"Severities": service.Severities, "ShowWebhooks": service.Can(u, service.ActClientWebhooks),
	})
}

func (p *pages) clientAction(c *fiber.Ctx) error {
	u, id := currentUser(c), c.Params("id")
	to := "/admin/clients/" + id
	ctx := c.UserContext()
	var err error
	switch c.Params("action") {
	case "contacts":
		var in []service.ContactInput
		for i, line := range strings.Split(c.FormValue("contacts"), "\n") {
			if line = strings.TrimSpace(line); line == "" {
				continue
			}
			f := strings.Split(line, ",")
			for j := range f {
				f[j] = strings.TrimSpace(f[j])
			}
			if len(f) != 3 && len(f) != 5 {
				return p.fail(c, to, greenlight.Errorf(greenlight.EINVALID, "contacts: line %d needs role, name, email[, backup name, backup email]", i+1))
			}
			ct := service.ContactInput{Role: f[0], Name: f[1], Email: f[2]}
			if len(f) == 5 {
				ct.BackupName, ct.BackupEmail = f[3], f[4]
			}
			in = append(in, ct)
		}
		_, err = p.svc.SetContacts(ctx, u, id, in)
	case "approvers":
		var as []service.NewApprover
		if as, err = parseApprovers(c.FormValue("approvers")); err == nil {
			_, err = p.svc.SetApprovers(ctx, u, id, as)
		}
	case "rule":
		minNeg, _ := strconv.Atoi(c.FormValue("min_negative"))
		window, _ := strconv.Atoi(c.FormValue("window_minutes"))
		_, err = p.svc.CreateRule(ctx, u, id, service.RuleInput{Playbook: c.FormValue("playbook"), MinNegative: minNeg,
			WindowMinutes: window, Severity: c.FormValue("severity")})
	case "delete-rule":
		err = p.svc.DeleteRule(ctx, u, id, c.FormValue("rule_id"))
	case "settings":
		field := func(name string) *string { v := c.FormValue(name); return &v }
		_, err = p.svc.UpdateClient(ctx, u, id, service.ClientPatch{
			TimeZone: field("time_zone"), Language: field("language"), SenderName: field("sender_name"),
			BrandColor: field("brand_color"), LogoMediaID: field("logo_media_id"), ReminderAfter: field("reminder_after"),
			EscalateAfter: field("escalate_after"), DigestWindow: field("digest_window"),
		})
	case "portal-send", "portal-revoke":
		return p.portalAction(c, u, id, to)
	default:
		return greenlight.Errorf(greenlight.ENOTFOUND, "no such action")
	}
	if err != nil {
		return p.fail(c, to, err)
	}
	return p.back(c, to, translate(language(c), "common.saved"))
}

// clientTimers are a client's default timers as the settings form shows them.
type clientTimers struct{ Reminder, Escalate, Digest string }
