package api

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/playbooks"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

func (p *pages) crises(c *fiber.Ctx) error {
	u := currentUser(c)
	list, err := p.svc.Crises(c.UserContext(), u, "", "")
	if err != nil {
		return err
	}
	clients, err := p.svc.Clients(c.UserContext(), u)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, cl := range clients {
		names[cl.ID] = cl.Name
	}
	lead := service.Can(u, service.ActCrisisStart)
	return p.render(c, fiber.StatusOK, "crises", translate(language(c), "crisis.list"), fiber.Map{
		"Crises": list, "Clients": clients, "ClientNames": names, "Playbooks": p.svc.Playbooks(),
		"Severities": service.Severities, "CanStart": lead,
	})
}

func (p *pages) startCrisis(c *fiber.Ctx) error {
	d, err := p.svc.StartCrisis(c.UserContext(), currentUser(c), service.NewCrisis{
		ClientID: c.FormValue("client_id"), Playbook: c.FormValue("playbook"), Severity: c.FormValue("severity"), Summary: c.FormValue("summary"),
	})
	if err != nil {
		return p.fail(c, "/crises", err)
	}
	return p.back(c, "/crises/"+d.ID, "")
}

type phaseView struct {
	Phase   string
	Current bool
	Done    bool
	Steps   []stepView
}

type stepView struct {
	store.CrisisStep
	Instructions string
	Open         bool
	Completable  bool
	Statement    bool
}

type barView struct {
	X, TotalY, TotalH, NegY, NegH float64
	Label                         string
	Total, Negative               int
}

// warRoomData is what the war room and its live fragment show.
func (p *pages) warRoomData(c *fiber.Ctx) (fiber.Map, error) {
	u := currentUser(c)
	d, err := p.svc.Crisis(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return nil, err
	}
	client, err := p.svc.Client(c.UserContext(), u, d.ClientID)
	if err != nil {
		return nil, err
	}
	lead := service.Can(u, service.ActCrisisStart)
	// Instructions come from the playbook when it is still the version the crisis runs.
	var pb *playbooks.Playbook
	if cur, ok := p.svc.Catalog.Get(d.PlaybookKey); ok && cur.Version == d.PlaybookVersion {
		pb = cur
	}
	active := d.Status == "active"
	phaseIdx := playbooks.PhaseIndex(d.Phase)
	var phases []phaseView
	for i, ph := range playbooks.Phases {
		pv := phaseView{Phase: ph, Current: i == phaseIdx && active, Done: i < phaseIdx || !active}
		for _, s := range d.Steps {
			if s.Phase != ph {
				continue
			}
			sv := stepView{CrisisStep: s, Open: s.Status == "ready" || s.Status == "in_progress", Statement: s.Kind == "statement"}
			if pb != nil {
				if spec := pb.StepByKey(s.StepKey); spec != nil {
					sv.Instructions = spec.Instructions
					if language(c) == "fr" && spec.InstructionsFR != "" {
						sv.Instructions = spec.InstructionsFR
					}
				}
			}
			sv.Completable = active && sv.Open && (lead || s.AssigneeID == u.ID) &&
				(s.Kind == "task" || s.Kind == "listen" || s.Kind == "wait" || strings.HasPrefix(s.Note, "failed"))
			pv.Steps = append(pv.Steps, sv)
		}
		phases = append(phases, pv)
	}
	var assignable []store.User
	if lead && active {
		if assignable, err = p.svc.Assignable(c.UserContext(), u, d.ClientID); err != nil {
			return nil, err
		}
	}
	stats, err := p.svc.MentionStats(c.UserContext(), u, d.ClientID, time.Hour)
	if err != nil {
		return nil, err
	}
	timeline := make([]store.CrisisEvent, len(d.Events))
	for i, e := range d.Events {
		timeline[len(d.Events)-1-i] = e
	}
	var statementStep *stepView
	for _, ph := range phases {
		for i := range ph.Steps {
			if ph.Steps[i].Statement && ph.Steps[i].Open && statementStep == nil {
				statementStep = &ph.Steps[i]
			}
		}
	}
	var warnings []service.CrisisWarning
	if active {
		// Advice only: a page that cannot compute it still shows the crisis.
		warnings, _ = p.svc.CrisisWarnings(c.UserContext(), d)
	}
	return fiber.Map{
		"Warnings": warnings, "Crisis": d, "Client": client, "Phases": phases, "Timeline": timeline, "Lead": lead && active, "Active": active,
		"Assignable": assignable, "Bars": bars(stats.Hourly), "Window": stats.Window, "StatementStep": statementStep,
		"Rev": d.Revision, "Channels": channelNames(),
	}, nil
}

// bars lays out the 24-hour mention chart (an SVG 480×120).
func bars(hours []service.HourCount) []barView {
	maxN := 1
	for _, h := range hours {
		maxN = max(maxN, h.Total)
	}
	var out []barView
	for i, h := range hours {
		th := 100 * float64(h.Total) / float64(maxN)
		nh := 100 * float64(h.Negative) / float64(maxN)
		out = append(out, barView{X: float64(i) * 20, TotalY: 110 - th, TotalH: th, NegY: 110 - nh, NegH: nh,
			Label: h.Hour.UTC().Format("15h"), Total: h.Total, Negative: h.Negative})
	}
	return out
}

func (p *pages) warRoom(c *fiber.Ctx) error {
	data, err := p.warRoomData(c)
	if err != nil {
		return err
	}
	d := data["Crisis"].(*store.CrisisDetail)
	return p.render(c, fiber.StatusOK, "warroom", d.PlaybookTitle+" — "+data["Client"].(*store.Client).Name, data)
}

// warRoomLive is the part of the war room the page refreshes without reloading.
func (p *pages) warRoomLive(c *fiber.Ctx) error {
	data, err := p.warRoomData(c)
	if err != nil {
		return err
	}
	data["L"] = language(c)
	if s, ok := c.Locals(sessionKey).(*store.Session); ok {
		data["CSRF"] = s.CSRF
	}
	c.Set("Cache-Control", "no-store")
	c.Set("X-Revision", strconv.FormatInt(data["Rev"].(int64), 10))
	return c.Render("warroom_live", data)
}

func (p *pages) crisisAction(c *fiber.Ctx) error {
	u, id := currentUser(c), c.Params("id")
	to := "/crises/" + id
	ctx := c.UserContext()
	var err error
	switch c.Params("action") {
	case "complete":
		_, err = p.svc.CompleteStep(ctx, u, id, c.FormValue("step"), c.FormValue("note"))
	case "assign":
		_, err = p.svc.AssignStep(ctx, u, id, c.FormValue("step"), c.FormValue("user_id"))
	case "statement":
		_, err = p.svc.SubmitStatement(ctx, u, id, strings.ReplaceAll(c.FormValue("body"), "\r\n", "\n"), formValues(c, "channels"))
	case "resolve":
		_, err = p.svc.ResolveCrisis(ctx, u, id, c.FormValue("summary"))
	default:
		return greenlight.Errorf(greenlight.ENOTFOUND, "no such action")
	}
	if err != nil {
		return p.fail(c, to, err)
	}
	return p.back(c, to, translate(language(c), "common.saved"))
}

func (p *pages) reportPage(c *fiber.Ctx) error {
	u := currentUser(c)
	md, err := p.svc.CrisisReport(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return err
	}
	if c.Query("format") == "md" {
		c.Set(fiber.HeaderContentType, "text/markdown; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="post-mortem-`+c.Params("id")+`.md"`)
		return c.SendString(md)
	}
	html, err := renderMarkdown(md)
	if err != nil {
		return err
	}
	return p.render(c, fiber.StatusOK, "report_page", translate(language(c), "crisis.report"), fiber.Map{"Report": html, "ID": c.Params("id")})
}
