package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/playbooks"
	"github.com/greenlight/greenlight/report"
	"github.com/greenlight/greenlight/sentiment"
	"github.com/greenlight/greenlight/store"
	"github.com/greenlight/greenlight/workflows"
)

// Severities of a crisis.
var Severities = []string{"low", "medium", "high", "critical"}

// Playbooks lists the playbooks crises can run.
func (s *Service) Playbooks() []*playbooks.Playbook { return s.Catalog.All() }

// Playbook returns one playbook, or ENOTFOUND.
func (s *Service) Playbook(key string) (*playbooks.Playbook, error) {
	p, ok := s.Catalog.Get(key)
	if !ok {
		return nil, greenlight.Errorf(greenlight.ENOTFOUND, "no playbook %q", key)
	}
	return p, nil
}

// NewCrisis is the input of StartCrisis.
type NewCrisis struct {
	ClientID string
	Playbook string
	Severity string
	Summary  string
}

// StartCrisis starts a playbook for a client (crisis leads and admins). A crisis already
// active for the client is ECONFLICT.
func (s *Service) StartCrisis(ctx context.Context, actor *store.User, in NewCrisis) (*store.CrisisDetail, error) {
	if err := authorize(actor, ActCrisisStart, Resource{}); err != nil {
		return nil, err
	}
	if in.ClientID == "" {
		return nil, greenlight.Errorf(greenlight.EINVALID, "client_id: required")
	}
	if err := authorize(actor, ActCrisisStart, naming(in.ClientID)); err != nil {
		return nil, err
	}
	p, ok := s.Catalog.Get(in.Playbook)
	if !ok {
		return nil, greenlight.Errorf(greenlight.EINVALID, "playbook: unknown playbook %q", in.Playbook)
	}
	if !slices.Contains(Severities, in.Severity) {
		return nil, greenlight.Errorf(greenlight.EINVALID, "severity: must be low, medium, high or critical")
	}
	summary := strings.TrimSpace(in.Summary)
	if summary == "" || utf8.RuneCountInString(summary) > 2000 {
		return nil, greenlight.Errorf(greenlight.EINVALID, "summary: required, at most 2000 characters")
	}
	if _, err := s.Store.Client(ctx, in.ClientID); err != nil {
		if greenlight.IsCode(err, greenlight.ENOTFOUND) {
			return nil, greenlight.Errorf(greenlight.EINVALID, "client_id: no client %s", in.ClientID)
		}
		return nil, err
	}
	id, err := s.startCrisis(ctx, in.ClientID, p, in.Severity, summary, Actor(actor), "started by "+actor.Name)
	if err != nil {
		return nil, err
	}
	return s.Store.CrisisDetail(ctx, id)
}

// startCrisis takes the client's one active-crisis slot in the database (holding the
// client's publishing in the same transaction when the playbook freezes at start), then
// starts the workflow with its first update. The slot is given back only when the workflow
// is known not to exist: a start whose answer was lost (a client-side timeout) keeps a
// crisis whose workflow runs.
func (s *Service) startCrisis(ctx context.Context, clientID string, p *playbooks.Playbook, severity, summary string, lead greenlight.Actor, trigger string) (string, error) {
	c := &store.Crisis{
		ID: greenlight.NewID("crs_"), ClientID: clientID, PlaybookKey: p.Key, PlaybookVersion: p.Version,
		PlaybookTitle: p.Title, Severity: severity, Summary: summary, Status: workflows.CrisisActive,
		Phase: "", LeadID: lead.ID, LeadName: lead.Name, TriggerReason: trigger, StartedAt: s.now(),
	}
	if err := s.Store.StartCrisis(ctx, c, p.FreezesAtStart()); err != nil {
		return "", err
	}
	sctx, cancel := context.WithTimeout(ctx, s.decisionTimeout())
	defer cancel()
	start := s.Temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       workflows.CrisisWorkflowID(c.ID),
		TaskQueue:                s.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, workflows.Crisis, workflows.CrisisInput{
		CrisisID: c.ID, ClientID: clientID, Playbook: *p, Severity: severity, Summary: summary, Lead: lead,
	})
	h, err := s.Temporal.UpdateWithStartWorkflow(sctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateID: "create", UpdateName: workflows.CreateUpdate, Args: []any{workflows.CreateRequest{}},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err == nil {
		err = h.Get(sctx, nil)
	}
	if err != nil {
		return s.unconfirmedStart(ctx, c.ID, err)
	}
	s.Log.Info("crisis started", "crisis", c.ID, "client", clientID, "playbook", p.Key, "trigger", trigger)
	return c.ID, nil
}

// unconfirmedStart decides what a failed start call means. Only a workflow that does not
// exist frees the client's slot. A workflow that exists runs the crisis (the create update
// travels with the start): a timeout or an unreachable engine is then a success; a business
// error is returned, the crisis kept. If the engine cannot say, the crisis is kept too.
func (s *Service) unconfirmedStart(ctx context.Context, crisisID string, startErr error) (string, error) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.decisionTimeout())
	defer cancel()
	_, err := s.Temporal.DescribeWorkflowExecution(dctx, workflows.CrisisWorkflowID(crisisID), "")
	switch {
	case isClosed(err): // not found: the workflow never started
		if derr := s.Store.DeleteCrisis(context.WithoutCancel(ctx), crisisID); derr != nil {
			s.Log.Error("delete unstarted crisis", "crisis", crisisID, "error", derr)
		}
		return "", fromTemporal(startErr)
	case err != nil:
		s.Log.Error("crisis start unconfirmed", "crisis", crisisID, "error", startErr, "describe_error", err)
		return "", greenlight.Errorf(greenlight.EUNAVAILABLE,
			"crisis %s: the workflow engine did not confirm its start; the crisis is kept, check the crisis list shortly", crisisID)
	}
	var appErr *temporal.ApplicationError
	if errors.As(startErr, &appErr) {
		return "", fromTemporal(startErr)
	}
	s.Log.Warn("crisis start answer lost; its workflow runs", "crisis", crisisID, "error", startErr)
	return crisisID, nil
}

// crisisPlaybook returns the playbook snapshot a crisis runs: the catalog's when it is still
// the version the crisis started with, else the copy its workflow holds.
func (s *Service) crisisPlaybook(ctx context.Context, c *store.Crisis) (*playbooks.Playbook, error) {
	if p, ok := s.Catalog.Get(c.PlaybookKey); ok && p.Version == c.PlaybookVersion {
		return p, nil
	}
	qctx, cancel := context.WithTimeout(ctx, s.decisionTimeout())
	defer cancel()
	v, err := s.Temporal.QueryWorkflow(qctx, workflows.CrisisWorkflowID(c.ID), "", workflows.PlaybookQuery)
	if err != nil {
		return nil, fromTemporal(err)
	}
	var p playbooks.Playbook
	if err := v.Get(&p); err != nil {
		return nil, fmt.Errorf("crisis playbook: %w", err)
	}
	return &p, nil
}

// missingRoles returns the roles, among roles, that nobody holds for the client, as a
// statement approval counts them: "client" needs one of the client's approvers, every other
// role a crisis contact.
func (s *Service) missingRoles(ctx context.Context, clientID string, roles []string) ([]string, error) {
	cl, err := s.Store.Client(ctx, clientID)
	if err != nil {
		return nil, err
	}
	contacts, err := s.Store.Contacts(ctx, clientID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, role := range roles {
		held := len(cl.Approvers) > 0
		if role != "client" {
			held = slices.ContainsFunc(contacts, func(c store.CrisisContact) bool { return c.Role == role })
		}
		if !held && !slices.Contains(out, role) {
			out = append(out, role)
		}
	}
	return out, nil
}

// howToAddRoles says where the missing roles are added.
func howToAddRoles(clientID string, missing []string) string {
	var contacts []string
	client := false
	for _, r := range missing {
		if r == "client" {
			client = true
		} else {
			contacts = append(contacts, r)
		}
	}
	var fix []string
	if len(contacts) > 0 {
		fix = append(fix, fmt.Sprintf("add a crisis contact for %s on the client's admin page /admin/clients/%s (Crisis contacts) or with PUT /api/v1/clients/%s/contacts",
			strings.Join(contacts, ", "), clientID, clientID))
	}
	if client {
		fix = append(fix, fmt.Sprintf("add a client approver on /admin/clients/%s (Approvers)", clientID))
	}
	return strings.Join(fix, "; ")
}

// CrisisWarning is a role a crisis's statements need that nobody holds for the client: such
// a statement could never be approved.
type CrisisWarning struct {
	Role    string `json:"role"`
	Step    string `json:"step"`
	Message string `json:"message"`
}

// CrisisWarnings lists, for an active crisis the caller may see, the approver roles of its
// unfinished statement steps that nobody holds for the client, each with how to fix it.
func (s *Service) CrisisWarnings(ctx context.Context, d *store.CrisisDetail) ([]CrisisWarning, error) {
	if d.Status != workflows.CrisisActive {
		return nil, nil
	}
	p, err := s.crisisPlaybook(ctx, &d.Crisis)
	if err != nil {
		return nil, err
	}
	var out []CrisisWarning
	for _, st := range d.Steps {
		spec := p.StepByKey(st.StepKey)
		if spec == nil || spec.Statement == nil || st.Status == workflows.StepDone || st.Status == workflows.StepSkipped {
			continue
		}
		missing, err := s.missingRoles(ctx, d.ClientID, spec.Statement.Approvers)
		if err != nil {
			return nil, err
		}
		for _, role := range missing {
			out = append(out, CrisisWarning{Role: role, Step: st.StepKey, Message: fmt.Sprintf(
				"nobody holds the role %s for this client: the statement of step %q could never be approved; %s",
				role, st.Title, howToAddRoles(d.ClientID, []string{role}))})
		}
	}
	return out, nil
}

// Crisis returns a visible crisis with its steps, timeline and statements.
func (s *Service) Crisis(ctx context.Context, actor *store.User, id string) (*store.CrisisDetail, error) {
	if _, err := s.loadCrisis(ctx, actor, ActCrisisRead, id); err != nil {
		return nil, err
	}
	return s.Store.CrisisDetail(ctx, id)
}

// Crises lists visible crises, newest first.
func (s *Service) Crises(ctx context.Context, actor *store.User, clientID, status string) ([]store.Crisis, error) {
	if err := s.listing(actor, ActCrisesList, clientID); err != nil {
		return nil, err
	}
	if status != "" && status != workflows.CrisisActive && status != workflows.CrisisResolved {
		return nil, greenlight.Errorf(greenlight.EINVALID, "status: must be active or resolved")
	}
	return s.Store.ListCrises(ctx, Scope(actor), clientID, status, 200)
}

// CompleteStep marks a ready step done: crisis leads, admins and the step's assignee may.
func (s *Service) CompleteStep(ctx context.Context, actor *store.User, id, key, note string) (*store.CrisisDetail, error) {
	c, err := s.loadCrisis(ctx, actor, ActStepComplete, id)
	if err != nil {
		return nil, err
	}
	d, err := s.Store.CrisisDetail(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	assignee := ""
	if i := slices.IndexFunc(d.Steps, func(st store.CrisisStep) bool { return st.StepKey == key }); i >= 0 {
		assignee = d.Steps[i].AssigneeID
	}
	step := Resource{Kind: "crisis", Clients: []string{d.ClientID}, Assignee: &assignee}
	if err := authorize(actor, ActStepComplete, step); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(note) > 5000 {
		return nil, greenlight.Errorf(greenlight.EINVALID, "note: at most 5000 characters")
	}
	return s.crisisUpdate(ctx, &d.Crisis, workflows.CompleteStepUpdate, workflows.CompleteStepRequest{Actor: Actor(actor), Key: key, Note: strings.TrimSpace(note)})
}

// AssignStep gives a step to a staff user who may act on the client.
func (s *Service) AssignStep(ctx context.Context, actor *store.User, id, key, userID string) (*store.CrisisDetail, error) {
	c, err := s.loadCrisis(ctx, actor, ActStepAssign, id)
	if err != nil {
		return nil, err
	}
	if userID == "" {
		return nil, greenlight.Errorf(greenlight.EINVALID, "user_id: required")
	}
	u, err := s.Store.UserByID(ctx, userID)
	if greenlight.IsCode(err, greenlight.ENOTFOUND) || (err == nil && (u.DisabledAt != nil || !InScope(u, c.ClientID))) {
		return nil, greenlight.Errorf(greenlight.EINVALID, "user_id: no active user %s who works on this client", userID)
	}
	if err != nil {
		return nil, err
	}
	return s.crisisUpdate(ctx, c, workflows.AssignStepUpdate, workflows.AssignStepRequest{Actor: Actor(actor), Key: key, Assignee: Actor(u)})
}

// SubmitStatement drafts the current statement step's text and sends it for approval (or
// replaces the version being approved).
func (s *Service) SubmitStatement(ctx context.Context, actor *store.User, id, body string, channels []string) (*store.CrisisDetail, error) {
	c, err := s.loadCrisis(ctx, actor, ActStatementSubmit, id)
	if err != nil {
		return nil, err
	}
	body = strings.TrimSpace(body)
	if body == "" || utf8.RuneCountInString(body) > 5000 {
		return nil, greenlight.Errorf(greenlight.EINVALID, "body: required, at most 5000 characters")
	}
	var chs []string
	for _, ch := range channels {
		ch = strings.ToLower(strings.TrimSpace(ch))
		if _, ok := greenlight.Channels[ch]; !ok {
			return nil, greenlight.Errorf(greenlight.EINVALID, "channels: unknown channel %q", ch)
		}
		if !slices.Contains(chs, ch) {
			chs = append(chs, ch)
		}
	}
	if err := s.checkStatementStep(ctx, c); err != nil {
		return nil, err
	}
	return s.crisisUpdate(ctx, c, workflows.SubmitStatementUpdate, workflows.SubmitStatementRequest{Actor: Actor(actor), Body: body, Channels: chs})
}

// checkStatementStep refuses a draft that could never go anywhere: one for a statement step
// whose approver roles nobody holds for the client (EINVALID naming them and where to add
// them), or a redraft of a statement already approved and being published (ECONFLICT). The
// workflow checks the step's state itself.
func (s *Service) checkStatementStep(ctx context.Context, c *store.Crisis) error {
	if c.Status != workflows.CrisisActive {
		return nil // crisisUpdate says so
	}
	d, err := s.Store.CrisisDetail(ctx, c.ID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(d.Steps, func(st store.CrisisStep) bool {
		return st.Kind == "statement" && (st.Status == workflows.StepReady || st.Status == workflows.StepInProgress)
	})
	if i < 0 {
		return nil // the workflow answers "no statement step is ready"
	}
	step := d.Steps[i]
	for _, st := range d.Statements {
		if st.ID == step.StatementID && st.Status == workflows.StatementApproved {
			return greenlight.Errorf(greenlight.ECONFLICT,
				"statement version %d is approved and being published: a new draft cannot replace it now; if publishing fails, send the new draft then", st.Version)
		}
	}
	p, err := s.crisisPlaybook(ctx, c)
	if err != nil {
		return err
	}
	spec := p.StepByKey(step.StepKey)
	if spec == nil || spec.Statement == nil {
		return nil
	}
	missing, err := s.missingRoles(ctx, c.ClientID, spec.Statement.Approvers)
	if err != nil || len(missing) == 0 {
		return err
	}
	return greenlight.Errorf(greenlight.EINVALID,
		"statement: nobody can approve it: no one holds the role(s) %s for this client; %s, then send the statement again",
		strings.Join(missing, ", "), howToAddRoles(c.ClientID, missing))
}

// ResolveCrisis ends a crisis: remaining steps are skipped, publishing resumes, the report
// is built.
func (s *Service) ResolveCrisis(ctx context.Context, actor *store.User, id, summary string) (*store.CrisisDetail, error) {
	c, err := s.loadCrisis(ctx, actor, ActCrisisResolve, id)
	if err != nil {
		return nil, err
	}
	summary = strings.TrimSpace(summary)
	if summary == "" || utf8.RuneCountInString(summary) > 5000 {
		return nil, greenlight.Errorf(greenlight.EINVALID, "summary: required, at most 5000 characters")
	}
	return s.crisisUpdate(ctx, c, workflows.ResolveUpdate, workflows.ResolveRequest{Actor: Actor(actor), Summary: summary})
}

func (s *Service) crisisUpdate(ctx context.Context, c *store.Crisis, name string, arg any) (*store.CrisisDetail, error) {
	if c.Status != workflows.CrisisActive {
		return nil, greenlight.Errorf(greenlight.ECONFLICT, "crisis is %s", c.Status)
	}
	err := s.sendUpdate(ctx, workflows.CrisisWorkflowID(c.ID), "", name, arg, nil)
	if isClosed(err) {
		return nil, greenlight.Errorf(greenlight.ECONFLICT, "crisis is resolved")
	}
	if err != nil {
		return nil, err
	}
	return s.Store.CrisisDetail(ctx, c.ID)
}

// CrisisReport returns the post-mortem: the final one once resolved, else a live draft.
func (s *Service) CrisisReport(ctx context.Context, actor *store.User, id string) (string, error) {
	c, err := s.loadCrisis(ctx, actor, ActCrisisRead, id)
	if err != nil {
		return "", err
	}
	if c.Status == workflows.CrisisResolved && c.ReportMD != "" {
		return c.ReportMD, nil
	}
	return report.Build(ctx, s.Store, id, s.Agency, sentiment.Negative, s.now())
}

// --- mentions and trigger rules ---

// MentionInput is one mention from a listening feed.
type MentionInput struct {
	Source    string
	Author    string
	Text      string
	URL       string
	At        time.Time
	Sentiment *float64
}

// IngestResult says what an ingest did.
type IngestResult struct {
	Accepted int
	Negative int
	// CrisisID is the crisis a trigger rule started, if any.
	CrisisID string
}

// MaxMentionBatch is the largest batch IngestMentions takes.
const MaxMentionBatch = 1000

// IngestMentions stores a batch of mentions (scoring those without sentiment with the
// built-in lexicon), then applies the client's trigger rules.
func (s *Service) IngestMentions(ctx context.Context, actor *store.User, clientID string, in []MentionInput) (*IngestResult, error) {
	if _, err := s.loadClient(ctx, actor, ActMentionsIngest, clientID); err != nil {
		return nil, err
	}
	ms, err := s.buildMentions(clientID, in)
	if err != nil {
		return nil, err
	}
	if err := s.Store.InsertMentions(ctx, ms); err != nil {
		return nil, err
	}
	return s.afterIngest(ctx, clientID, ms), nil
}

// buildMentions validates a batch and scores the mentions without sentiment with the
// built-in lexicon. Every way mentions come in (the API, listening sources) goes through
// it, then stores them, then calls afterIngest.
func (s *Service) buildMentions(clientID string, in []MentionInput) ([]store.Mention, error) {
	if len(in) == 0 || len(in) > MaxMentionBatch {
		return nil, greenlight.Errorf(greenlight.EINVALID, "mentions: send between 1 and %d", MaxMentionBatch)
	}
	now := s.now()
	ms := make([]store.Mention, 0, len(in))
	for i, m := range in {
		field := func(f string) string { return fmt.Sprintf("[%d].%s", i, f) }
		m.Source, m.Text, m.Author = strings.TrimSpace(m.Source), strings.TrimSpace(m.Text), strings.TrimSpace(m.Author)
		switch {
		case m.Source == "" || len(m.Source) > 80:
			return nil, greenlight.Errorf(greenlight.EINVALID, "%s: required, at most 80 characters", field("source"))
		case m.Text == "" || utf8.RuneCountInString(m.Text) > 10000:
			return nil, greenlight.Errorf(greenlight.EINVALID, "%s: required, at most 10000 characters", field("text"))
		case len(m.Author) > 200:
			return nil, greenlight.Errorf(greenlight.EINVALID, "%s: at most 200 characters", field("author"))
		case m.At.IsZero():
			return nil, greenlight.Errorf(greenlight.EINVALID, "%s: required (RFC 3339)", field("at"))
		case m.At.After(now.Add(5 * time.Minute)):
			return nil, greenlight.Errorf(greenlight.EINVALID, "%s: is in the future", field("at"))
		case m.Sentiment != nil && (*m.Sentiment < -1 || *m.Sentiment > 1):
			return nil, greenlight.Errorf(greenlight.EINVALID, "%s: must be between -1 and 1", field("sentiment"))
		}
		if m.URL != "" {
			if err := validHTTPURL(field("url"), m.URL); err != nil {
				return nil, err
			}
		}
		score, scored := 0.0, m.Sentiment != nil
		if scored {
			score = *m.Sentiment
		} else {
			score = sentiment.Score(m.Text)
		}
		ms = append(ms, store.Mention{ID: greenlight.NewID("mnt_"), ClientID: clientID, Source: m.Source, Author: m.Author,
			Text: m.Text, URL: m.URL, At: m.At.UTC(), Sentiment: score, Scored: scored, CreatedAt: now})
	}
	return ms, nil
}

// afterIngest reports on stored mentions and applies the client's trigger rules.
func (s *Service) afterIngest(ctx context.Context, clientID string, ms []store.Mention) *IngestResult {
	res := &IngestResult{}
	for _, m := range ms {
		if m.Sentiment < sentiment.Negative {
			res.Negative++
		}
	}
	res.Accepted = len(ms)
	id, err := s.applyRules(ctx, clientID)
	if err != nil {
		// The mentions are stored; a failed rule start is reported in the log, not lost data.
		s.Log.Error("trigger rules", "client", clientID, "error", err)
	}
	res.CrisisID = id
	return res
}

// applyRules starts the first matching rule's playbook unless a crisis is already active.
func (s *Service) applyRules(ctx context.Context, clientID string) (string, error) {
	rules, err := s.Store.Rules(ctx, clientID)
	if err != nil || len(rules) == 0 {
		return "", err
	}
	if _, err := s.Store.ActiveCrisis(ctx, clientID); err == nil {
		return "", nil // once: no second crisis while one is active
	} else if !greenlight.IsCode(err, greenlight.ENOTFOUND) {
		return "", err
	}
	for _, r := range rules {
		if !r.Enabled {
			continue
		}
		window := time.Duration(r.WindowMinutes) * time.Minute
		counts, err := s.Store.CountMentions(ctx, clientID, s.now().Add(-window), sentiment.Negative, 0.25)
		if err != nil {
			return "", err
		}
		if counts.Negative < r.MinNegative {
			continue
		}
		p, ok := s.Catalog.Get(r.PlaybookKey)
		if !ok {
			return "", fmt.Errorf("rule %s names unknown playbook %q", r.ID, r.PlaybookKey)
		}
		lead, err := s.ruleLead(ctx, clientID)
		if err != nil {
			return "", err
		}
		trigger := fmt.Sprintf("rule %s: %d negative mentions in %d minutes (threshold %d)", r.ID, counts.Negative, r.WindowMinutes, r.MinNegative)
		summary := fmt.Sprintf("Started automatically: %d negative mentions in the last %d minutes.", counts.Negative, r.WindowMinutes)
		id, err := s.startCrisis(ctx, clientID, p, r.Severity, summary, lead, trigger)
		if greenlight.IsCode(err, greenlight.ECONFLICT) {
			return "", nil // another ingest started it first
		}
		return id, err
	}
	return "", nil
}

// ruleLead picks who leads an automatically started crisis: a crisis lead of the client,
// else an admin, else the system.
func (s *Service) ruleLead(ctx context.Context, clientID string) (greenlight.Actor, error) {
	for _, role := range []greenlight.Role{greenlight.RoleCrisisLead, greenlight.RoleAdmin} {
		us, err := s.Store.UsersWithRole(ctx, role, clientID)
		if err != nil {
			return greenlight.Actor{}, err
		}
		if len(us) > 0 {
			return Actor(&us[0]), nil
		}
	}
	return greenlight.System, nil
}

// MentionStats are rolling counts for a client.
type MentionStats struct {
	Window store.MentionCounts
	Hourly []HourCount // the last 24 hours, oldest first
}

// HourCount is one hour of mentions.
type HourCount struct {
	Hour     time.Time
	Total    int
	Negative int
	Avg      float64
}

// MentionStats returns counts over the last window and per hour over the last day.
func (s *Service) MentionStats(ctx context.Context, actor *store.User, clientID string, window time.Duration) (*MentionStats, error) {
	if _, err := s.loadClient(ctx, actor, ActMentionsRead, clientID); err != nil {
		return nil, err
	}
	if window <= 0 || window > 30*24*time.Hour {
		return nil, greenlight.Errorf(greenlight.EINVALID, "window: must be between 1m and 720h")
	}
	now := s.now()
	counts, err := s.Store.CountMentions(ctx, clientID, now.Add(-window), sentiment.Negative, 0.25)
	if err != nil {
		return nil, err
	}
	from := now.Truncate(time.Hour).Add(-23 * time.Hour)
	points, err := s.Store.MentionPoints(ctx, clientID, from, now.Add(time.Second))
	if err != nil {
		return nil, err
	}
	out := &MentionStats{Window: counts, Hourly: make([]HourCount, 24)}
	for i := range out.Hourly {
		out.Hourly[i].Hour = from.Add(time.Duration(i) * time.Hour)
	}
	for _, p := range points {
		i := int(p.At.Sub(from) / time.Hour)
		if i < 0 || i >= 24 {
			continue
		}
		h := &out.Hourly[i]
		h.Total++
		h.Avg += p.Sentiment
		if p.Sentiment < sentiment.Negative {
			h.Negative++
		}
	}
	for i := range out.Hourly {
		if out.Hourly[i].Total > 0 {
			out.Hourly[i].Avg /= float64(out.Hourly[i].Total)
		}
	}
	return out, nil
}

// RuleInput is a new trigger rule.
type RuleInput struct {
	Playbook      string
	MinNegative   int
	WindowMinutes int
	Severity      string
}

// CreateRule adds a trigger rule to a client (admins and crisis leads).
func (s *Service) CreateRule(ctx context.Context, actor *store.User, clientID string, in RuleInput) (*store.MentionRule, error) {
	if _, err := s.loadClient(ctx, actor, ActRulesManage, clientID); err != nil {
		return nil, err
	}
	if _, ok := s.Catalog.Get(in.Playbook); !ok {
		return nil, greenlight.Errorf(greenlight.EINVALID, "playbook: unknown playbook %q", in.Playbook)
	}
	if in.MinNegative < 1 || in.MinNegative > 1_000_000 {
		return nil, greenlight.Errorf(greenlight.EINVALID, "min_negative: must be at least 1")
	}
	if in.WindowMinutes < 1 || in.WindowMinutes > 7*24*60 {
		return nil, greenlight.Errorf(greenlight.EINVALID, "window_minutes: must be between 1 and 10080")
	}
	if in.Severity == "" {
		in.Severity = "high"
	}
	if !slices.Contains(Severities, in.Severity) {
		return nil, greenlight.Errorf(greenlight.EINVALID, "severity: must be low, medium, high or critical")
	}
	r := &store.MentionRule{ID: greenlight.NewID("rul_"), ClientID: clientID, PlaybookKey: in.Playbook, MinNegative: in.MinNegative,
		WindowMinutes: in.WindowMinutes, Severity: in.Severity, Enabled: true, CreatedAt: s.now()}
	if err := s.Store.CreateRule(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// Rules lists a client's trigger rules.
func (s *Service) Rules(ctx context.Context, actor *store.User, clientID string) ([]store.MentionRule, error) {
	if _, err := s.loadClient(ctx, actor, ActRulesRead, clientID); err != nil {
		return nil, err
	}
	return s.Store.Rules(ctx, clientID)
}

// DeleteRule removes a trigger rule.
func (s *Service) DeleteRule(ctx context.Context, actor *store.User, clientID, ruleID string) error {
	if _, err := s.loadClient(ctx, actor, ActRulesManage, clientID); err != nil {
		return err
	}
	return s.Store.DeleteRule(ctx, clientID, ruleID)
}

// ContactInput is a crisis contact of a client.
type ContactInput struct {
	Role        string
	Name        string
	Email       string
	UserID      string
	BackupName  string
	BackupEmail string
}

// SetContacts replaces a client's crisis contacts: who holds legal, exec, pr… for it, with
// an optional backup each (told when their steps run late).
func (s *Service) SetContacts(ctx context.Context, actor *store.User, clientID string, in []ContactInput) ([]store.CrisisContact, error) {
	if _, err := s.loadClient(ctx, actor, ActContactsManage, clientID); err != nil {
		return nil, err
	}
	if len(in) > 200 {
		return nil, greenlight.Errorf(greenlight.EINVALID, "contacts: at most 200")
	}
	var out []store.CrisisContact
	for i, c := range in {
		field := func(f string) string { return fmt.Sprintf("contacts[%d].%s", i, f) }
		if !slices.Contains(playbooks.Roles, c.Role) || c.Role == "client" || c.Role == "crisis_lead" {
			return nil, greenlight.Errorf(greenlight.EINVALID, "%s: unknown role %q (client approvers and the crisis lead are not contacts)", field("role"), c.Role)
		}
		email, err := ValidEmail(field("email"), c.Email)
		if err != nil {
			return nil, err
		}
		name := strings.TrimSpace(c.Name)
		if name == "" || len(name) > 200 {
			return nil, greenlight.Errorf(greenlight.EINVALID, "%s: required, at most 200 characters", field("name"))
		}
		backup := ""
		if c.BackupEmail != "" {
			if backup, err = ValidEmail(field("backup_email"), c.BackupEmail); err != nil {
				return nil, err
			}
		}
		out = append(out, store.CrisisContact{ID: greenlight.NewID("cnt_"), Role: c.Role, Name: name, Email: email,
			UserID: c.UserID, BackupName: strings.TrimSpace(c.BackupName), BackupEmail: backup})
	}
	if err := s.Store.SaveContacts(ctx, clientID, out); err != nil {
		return nil, err
	}
	return s.Store.Contacts(ctx, clientID)
}

// Contacts lists a client's crisis contacts.
func (s *Service) Contacts(ctx context.Context, actor *store.User, clientID string) ([]store.CrisisContact, error) {
	if _, err := s.loadClient(ctx, actor, ActContactsRead, clientID); err != nil {
		return nil, err
	}
	return s.Store.Contacts(ctx, clientID)
}

// Assignable lists the active staff who work on a client, for assigning crisis steps
// (crisis leads and admins).
func (s *Service) Assignable(ctx context.Context, actor *store.User, clientID string) ([]store.User, error) {
	if _, err := s.loadClient(ctx, actor, ActStepAssign, clientID); err != nil {
		return nil, err
	}
	all, err := s.Store.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	var out []store.User
	for _, u := range all {
		if u.DisabledAt == nil && InScope(&u, clientID) {
			out = append(out, u)
		}
	}
	return out, nil
}
