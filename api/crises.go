package api

import (
	"bytes"
	"html/template"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/playbooks"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

func listPlaybooks(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var out []fiber.Map
		for _, p := range svc.Playbooks() {
			out = append(out, fiber.Map{"key": p.Key, "version": p.Version, "title": p.Title, "title_fr": p.TitleFR,
				"description": p.Description, "source": p.Source, "steps": len(p.Steps)})
		}
		return c.JSON(fiber.Map{"items": out})
	}
}

func getPlaybook(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := svc.Playbook(c.Params("key"))
		if err != nil {
			return err
		}
		return c.JSON(toPlaybook(p))
	}
}

type stepSpecJSON struct {
	playbooks.Step
	SLA  string `json:"sla"`
	Wait string `json:"wait,omitempty"`
}

func toPlaybook(p *playbooks.Playbook) fiber.Map {
	steps := make([]stepSpecJSON, 0, len(p.Steps))
	for _, s := range p.Steps {
		j := stepSpecJSON{Step: s}
		if s.SLA > 0 {
			j.SLA = s.SLA.String()
		}
		if s.Wait > 0 {
			j.Wait = s.Wait.String()
		}
		steps = append(steps, j)
	}
	return fiber.Map{"key": p.Key, "version": p.Version, "title": p.Title, "title_fr": p.TitleFR,
		"description": p.Description, "description_fr": p.DescriptionFR, "source": p.Source, "steps": steps}
}

func startCrisis(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req struct {
			ClientID string `json:"client_id"`
			Playbook string `json:"playbook"`
			Severity string `json:"severity"`
			Summary  string `json:"summary"`
		}
		if err := decode(c, &req); err != nil {
			return err
		}
		d, err := svc.StartCrisis(c.UserContext(), currentUser(c), service.NewCrisis{
			ClientID: req.ClientID, Playbook: req.Playbook, Severity: req.Severity, Summary: req.Summary,
		})
		if err != nil {
			return err
		}
		out := toCrisisDetail(d)
		// Roles nobody holds for the client: a statement that needs them could never be approved.
		out.Warnings = []service.CrisisWarning{}
		if ws, err := svc.CrisisWarnings(c.UserContext(), d); err == nil && ws != nil {
			out.Warnings = ws
		}
		return c.Status(fiber.StatusCreated).JSON(out)
	}
}

func listCrises(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cs, err := svc.Crises(c.UserContext(), currentUser(c), c.Query("client_id"), c.Query("status"))
		if err != nil {
			return err
		}
		items := make([]crisisJSON, 0, len(cs))
		for i := range cs {
			items = append(items, toCrisis(&cs[i]))
		}
		return c.JSON(fiber.Map{"items": items})
	}
}

func getCrisis(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		d, err := svc.Crisis(c.UserContext(), currentUser(c), c.Params("id"))
		if err != nil {
			return err
		}
		return c.JSON(toCrisisDetail(d))
	}
}

func completeStep(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req struct {
			Note string `json:"note"`
		}
		if len(c.Body()) > 0 {
			if err := decode(c, &req); err != nil {
				return err
			}
		}
		d, err := svc.CompleteStep(c.UserContext(), currentUser(c), c.Params("id"), c.Params("key"), req.Note)
		if err != nil {
			return err
		}
		return c.JSON(toCrisisDetail(d))
	}
}

func assignStep(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req struct {
			UserID string `json:"user_id"`
		}
		if err := decode(c, &req); err != nil {
			return err
		}
		d, err := svc.AssignStep(c.UserContext(), currentUser(c), c.Params("id"), c.Params("key"), req.UserID)
		if err != nil {
			return err
		}
		return c.JSON(toCrisisDetail(d))
	}
}

func submitStatement(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req struct {
			Body     string   `json:"body"`
			Channels []string `json:"channels"`
		}
		if err := decode(c, &req); err != nil {
			return err
		}
		d, err := svc.SubmitStatement(c.UserContext(), currentUser(c), c.Params("id"), req.Body, req.Channels)
		if err != nil {
			return err
		}
		return c.JSON(toCrisisDetail(d))
	}
}

func resolveCrisis(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req struct {
			Summary string `json:"summary"`
		}
		if err := decode(c, &req); err != nil {
			return err
		}
		d, err := svc.ResolveCrisis(c.UserContext(), currentUser(c), c.Params("id"), req.Summary)
		if err != nil {
			return err
		}
		return c.JSON(toCrisisDetail(d))
	}
}

var markdown = goldmark.New(goldmark.WithExtensions(extension.GFM))

// crisisReport answers Markdown, or an HTML page for Accept: text/html.
func crisisReport(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		md, err := svc.CrisisReport(c.UserContext(), currentUser(c), c.Params("id"))
		if err != nil {
			return err
		}
		if c.Accepts("text/markdown", fiber.MIMETextHTML) == fiber.MIMETextHTML {
			html, err := renderMarkdown(md)
			if err != nil {
				return err
			}
			return c.Render("report", fiber.Map{"Title": "Post-mortem", "Report": html}, "layout")
		}
		c.Set(fiber.HeaderContentType, "text/markdown; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, `inline; filename="post-mortem-`+c.Params("id")+`.md"`)
		return c.SendString(md)
	}
}

// renderMarkdown renders report Markdown to HTML; raw HTML in the text is not rendered.
func renderMarkdown(md string) (template.HTML, error) {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(md), &buf); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil // #nosec: goldmark escapes raw HTML by default
}

// mentionJSON is one mention in an ingest batch.
type mentionJSON struct {
	Source    string   `json:"source"`
	Author    string   `json:"author"`
	Text      string   `json:"text"`
	URL       string   `json:"url"`
	At        string   `json:"at"`
	Sentiment *float64 `json:"sentiment"`
}

func ingestMentions(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		in, err := mentionBatch(c.Body())
		if err != nil {
			return err
		}
		res, err := svc.IngestMentions(c.UserContext(), currentUser(c), c.Params("id"), in)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusAccepted).JSON(ingestAnswer(res))
	}
}

// mentionBatch decodes a mention batch: an array of mentions or {"mentions": [...]}.
func mentionBatch(raw []byte) ([]service.MentionInput, error) {
	var batch []mentionJSON
	body := bytes.TrimSpace(raw)
	if len(body) > 0 && body[0] == '{' {
		var wrapped struct {
			Mentions []mentionJSON `json:"mentions"`
		}
		if err := decodeJSON(body, &wrapped); err != nil {
			return nil, err
		}
		batch = wrapped.Mentions
	} else if err := decodeJSON(body, &batch); err != nil {
		return nil, err
	}
	in := make([]service.MentionInput, 0, len(batch))
	for i, m := range batch {
		at, err := time.Parse(time.RFC3339, m.At)
		if err != nil {
			return nil, greenlight.Errorf(greenlight.EINVALID, "[%d].at: must be an RFC 3339 time", i)
		}
		in = append(in, service.MentionInput{Source: m.Source, Author: m.Author, Text: m.Text, URL: m.URL, At: at, Sentiment: m.Sentiment})
	}
	return in, nil
}

// ingestAnswer is the JSON answer to an ingested batch.
func ingestAnswer(res *service.IngestResult) fiber.Map {
	out := fiber.Map{"accepted": res.Accepted, "negative": res.Negative, "crisis_id": nil}
	if res.CrisisID != "" {
		out["crisis_id"] = res.CrisisID
	}
	return out
}

func mentionStats(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		window := time.Hour
		if w := c.Query("window"); w != "" {
			d, err := time.ParseDuration(w)
			if err != nil {
				return greenlight.Errorf(greenlight.EINVALID, "window: must be a duration such as 60m")
			}
			window = d
		}
		st, err := svc.MentionStats(c.UserContext(), currentUser(c), c.Params("id"), window)
		if err != nil {
			return err
		}
		hours := make([]fiber.Map, 0, len(st.Hourly))
		for _, h := range st.Hourly {
			hours = append(hours, fiber.Map{"hour": h.Hour, "total": h.Total, "negative": h.Negative, "avg_sentiment": h.Avg})
		}
		return c.JSON(fiber.Map{"window": window.String(), "counts": st.Window, "last_24h": hours})
	}
}

func listRules(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		rs, err := svc.Rules(c.UserContext(), currentUser(c), c.Params("id"))
		if err != nil {
			return err
		}
		if rs == nil {
			rs = []store.MentionRule{}
		}
		return c.JSON(fiber.Map{"items": rs})
	}
}

func createRule(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req struct {
			Playbook      string `json:"playbook"`
			MinNegative   int    `json:"min_negative"`
			WindowMinutes int    `json:"window_minutes"`
			Severity      string `json:"severity"`
		}
		if err := decode(c, &req); err != nil {
			return err
		}
		r, err := svc.CreateRule(c.UserContext(), currentUser(c), c.Params("id"), service.RuleInput{
			Playbook: req.Playbook, MinNegative: req.MinNegative, WindowMinutes: req.WindowMinutes, Severity: req.Severity,
		})
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(r)
	}
}

func deleteRule(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := svc.DeleteRule(c.UserContext(), currentUser(c), c.Params("id"), c.Params("rule")); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

func listContacts(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cs, err := svc.Contacts(c.UserContext(), currentUser(c), c.Params("id"))
		if err != nil {
			return err
		}
		if cs == nil {
			cs = []store.CrisisContact{}
		}
		return c.JSON(fiber.Map{"items": cs})
	}
}

func setContacts(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req struct {
			Contacts []struct {
				Role        string `json:"role"`
				Name        string `json:"name"`
				Email       string `json:"email"`
				UserID      string `json:"user_id"`
				BackupName  string `json:"backup_name"`
				BackupEmail string `json:"backup_email"`
			} `json:"contacts"`
		}
		if err := decode(c, &req); err != nil {
			return err
		}
		in := make([]service.ContactInput, 0, len(req.Contacts))
		for _, x := range req.Contacts {
			in = append(in, service.ContactInput{Role: x.Role, Name: x.Name, Email: x.Email, UserID: x.UserID,
				BackupName: x.BackupName, BackupEmail: x.BackupEmail})
		}
		cs, err := svc.SetContacts(c.UserContext(), currentUser(c), c.Params("id"), in)
		if err != nil {
			return err
		}
		if cs == nil {
			cs = []store.CrisisContact{}
		}
		return c.JSON(fiber.Map{"items": cs})
	}
}

// --- crisis JSON ---

type crisisJSON struct {
	ID         string          `json:"id"`
	ClientID   string          `json:"client_id"`
	Playbook   fiber.Map       `json:"playbook"`
	Severity   string          `json:"severity"`
	Summary    string          `json:"summary"`
	Status     string          `json:"status"`
	Phase      string          `json:"phase"`
	Lead       actorJSON       `json:"lead"`
	Trigger    string          `json:"trigger"`
	StartedAt  time.Time       `json:"started_at"`
	ResolvedAt *time.Time      `json:"resolved_at"`
	Resolution string          `json:"resolution"`
	Steps      []stepJSON      `json:"steps,omitempty"`
	Timeline   []timelineJSON  `json:"timeline,omitempty"`
	Statements []statementJSON `json:"statements,omitempty"`
	// Warnings (start only): approver roles nobody holds for the client.
	Warnings []service.CrisisWarning `json:"warnings,omitempty"`
}

type stepJSON struct {
	Key         string     `json:"key"`
	Title       string     `json:"title"`
	Phase       string     `json:"phase"`
	Kind        string     `json:"kind"`
	Role        string     `json:"role"`
	Assignee    *actorJSON `json:"assignee"`
	Status      string     `json:"status"`
	SLA         string     `json:"sla"`
	ReadyAt     *time.Time `json:"ready_at"`
	DueAt       *time.Time `json:"due_at"`
	CompletedAt *time.Time `json:"completed_at"`
	Escalation  int        `json:"escalation"`
	Note        string     `json:"note"`
	StatementID string     `json:"statement_id,omitempty"`
}

type timelineJSON struct {
	Seq   int       `json:"seq"`
	At    time.Time `json:"at"`
	Actor actorJSON `json:"actor"`
	Event string    `json:"event"`
	Step  string    `json:"step"`
	Note  string    `json:"note"`
}

type statementJSON struct {
	ID          string         `json:"id"`
	Step        string         `json:"step"`
	Version     int            `json:"version"`
	Body        string         `json:"body"`
	Channels    []string       `json:"channels"`
	Status      string         `json:"status"`
	ApprovedAt  *time.Time     `json:"approved_at"`
	PublishedAt *time.Time     `json:"published_at"`
	Approvals   []approvalJSON `json:"approvals"`
}

func toCrisis(c *store.Crisis) crisisJSON {
	return crisisJSON{
		ID: c.ID, ClientID: c.ClientID, Playbook: fiber.Map{"key": c.PlaybookKey, "version": c.PlaybookVersion, "title": c.PlaybookTitle},
		Severity: c.Severity, Summary: c.Summary, Status: c.Status, Phase: c.Phase,
		Lead: actorJSON{Kind: "user", ID: c.LeadID, Name: c.LeadName}, Trigger: c.TriggerReason,
		StartedAt: c.StartedAt, ResolvedAt: c.ResolvedAt, Resolution: c.Resolution,
	}
}

func toCrisisDetail(d *store.CrisisDetail) crisisJSON {
	out := toCrisis(&d.Crisis)
	out.Steps = make([]stepJSON, 0, len(d.Steps))
	for _, s := range d.Steps {
		j := stepJSON{Key: s.StepKey, Title: s.Title, Phase: s.Phase, Kind: s.Kind, Role: s.Role, Status: s.Status,
			ReadyAt: s.ReadyAt, DueAt: s.DueAt, CompletedAt: s.CompletedAt, Escalation: s.Escalation, Note: s.Note, StatementID: s.StatementID}
		if s.SLA > 0 {
			j.SLA = s.SLA.String()
		}
		if s.AssigneeID != "" {
			j.Assignee = &actorJSON{Kind: "user", ID: s.AssigneeID, Name: s.AssigneeName}
		}
		out.Steps = append(out.Steps, j)
	}
	out.Timeline = make([]timelineJSON, 0, len(d.Events))
	for _, e := range d.Events {
		out.Timeline = append(out.Timeline, toTimeline(e))
	}
	out.Statements = make([]statementJSON, 0, len(d.Statements))
	for _, st := range d.Statements {
		j := statementJSON{ID: st.ID, Step: st.StepKey, Version: st.Version, Body: st.Body, Channels: nonNil(st.Channels),
			Status: st.Status, ApprovedAt: st.ApprovedAt, PublishedAt: st.PublishedAt, Approvals: []approvalJSON{}}
		for _, dd := range st.Decisions {
			j.Approvals = append(j.Approvals, approvalJSON{Stage: dd.Role, Version: dd.Version, Actor: actorJSON{dd.ActorKind, dd.ActorID, dd.ActorName},
				Decision: dd.Decision, Comment: dd.Comment, At: dd.At})
		}
		out.Statements = append(out.Statements, j)
	}
	return out
}

func toTimeline(e store.CrisisEvent) timelineJSON {
	return timelineJSON{Seq: e.Seq, At: e.At, Actor: actorJSON{e.ActorKind, e.ActorID, e.ActorName}, Event: e.Event, Step: e.StepKey, Note: e.Note}
}
