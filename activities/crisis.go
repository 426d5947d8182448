package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/events"
	"github.com/greenlight/greenlight/mail"
	"github.com/greenlight/greenlight/metrics"
	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/report"
	"github.com/greenlight/greenlight/sentiment"
	"github.com/greenlight/greenlight/store"
)

// CrisisStore is what the crisis activities need from the database.
type CrisisStore interface {
	RecordCrisis(ctx context.Context, r store.CrisisRecord) error
	RecordStatement(ctx context.Context, r store.StatementRecord) error
	Crisis(ctx context.Context, id string) (*store.Crisis, error)
	CrisisDetail(ctx context.Context, id string) (*store.CrisisDetail, error)
	Client(ctx context.Context, id string) (*store.Client, error)
	SetCrisisReport(ctx context.Context, id, md string) error
	Statement(ctx context.Context, id string) (*store.Statement, error)
	Contacts(ctx context.Context, clientID string) ([]store.CrisisContact, error)
	CountMentions(ctx context.Context, clientID string, since time.Time, negBelow, posAbove float64) (store.MentionCounts, error)
	MentionPoints(ctx context.Context, clientID string, from, to time.Time) ([]store.MentionPoint, error)
	SetHold(ctx context.Context, clientID, crisisID string, since time.Time) error
	ReleaseHold(ctx context.Context, clientID, crisisID string) error
	Hold(ctx context.Context, clientID string) (*store.PublishingHold, error)
	PostsHeldFor(ctx context.Context, clientID string) ([]string, error)
}

// MentionCounts are the counts a listen step decides on.
type MentionCounts = store.MentionCounts

// RecordCrisis writes a crisis workflow step to the projection (local activity).
func (a *Activities) RecordCrisis(ctx context.Context, r CrisisRecord) error {
	c := r.Crisis
	rec := store.CrisisRecord{Crisis: store.Crisis{
		ID: c.ID, ClientID: c.ClientID, Status: c.Status, Phase: c.Phase, LeadID: c.Lead.ID, LeadName: c.Lead.Name,
		ResolvedAt: utcPtr(c.ResolvedAt), Resolution: c.Resolution, Revision: c.Revision,
	}}
	for _, s := range r.Steps {
		rec.Steps = append(rec.Steps, store.CrisisStep{
			CrisisID: c.ID, StepKey: s.Key, Position: s.Position, Title: s.Title, Phase: s.Phase, Kind: s.Kind, Role: s.Role,
			AssigneeID: s.Assignee.ID, AssigneeName: s.Assignee.Name, Status: s.Status, SLA: s.SLA,
			ReadyAt: utcPtr(s.ReadyAt), DueAt: utcPtr(s.DueAt), CompletedAt: utcPtr(s.CompletedAt),
			Escalation: s.Escalation, Note: s.Note, StatementID: s.StatementID,
		})
	}
	for _, e := range r.Events {
		rec.Events = append(rec.Events, store.CrisisEvent{
			CrisisID: c.ID, Seq: e.Seq, At: e.At.UTC(), ActorKind: e.Actor.Kind, ActorID: e.Actor.ID, ActorName: e.Actor.Name,
			Event: e.Event, StepKey: e.Step, Note: e.Note,
		})
	}
	rec.Outbox = crisisOutbox(c, r.Events)
	if err := a.Crises.RecordCrisis(ctx, rec); err != nil {
		return asTemporal(err)
	}
	if len(rec.Outbox) > 0 {
		a.dispatch(ctx, events.CrisisSubject(c.ID))
	}
	return nil
}

// RecordStatement writes a statement workflow step to the projection (local activity).
func (a *Activities) RecordStatement(ctx context.Context, r StatementRecord) error {
	s := r.Statement
	rec := store.StatementRecord{Statement: store.Statement{
		ID: s.ID, CrisisID: s.CrisisID, ClientID: s.ClientID, StepKey: s.StepKey, Version: s.Version, Body: s.Body,
		Channels: s.Channels, Status: s.Status, Publish: s.Publish, ApprovedAt: utcPtr(s.ApprovedAt),
		PublishedAt: utcPtr(s.PublishedAt), Revision: s.Revision, CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC(),
	}}
	for _, d := range r.Decisions {
		rec.Decisions = append(rec.Decisions, store.StatementDecision{
			StatementID: s.ID, Seq: d.Seq, Version: d.Version, ActorKind: d.Actor.Kind, ActorID: d.Actor.ID,
			ActorName: d.Actor.Name, Role: d.Role, Decision: d.Decision, Comment: d.Comment, At: d.At.UTC(),
		})
	}
	rec.Outbox = statementOutbox(s, r.Decisions)
	if err := a.Crises.RecordStatement(ctx, rec); err != nil {
		return asTemporal(err)
	}
	if len(rec.Outbox) > 0 {
		a.dispatch(ctx, events.CrisisSubject(s.CrisisID))
	}
	return nil
}

// CountMentions counts a client's mentions over the last window (local activity).
func (a *Activities) CountMentions(ctx context.Context, w MentionWindow) (MentionCounts, error) {
	c, err := a.Crises.CountMentions(ctx, w.ClientID, time.Now().Add(-w.Window), sentiment.Negative, 0.25)
	return c, asTemporal(err)
}

// HoldStatus says whether a client's publishing is held, and by which crisis.
type HoldStatus struct {
	Held     bool
	CrisisID string
}

// PublishingHold reports the client's publishing hold (local activity for post workflows).
func (a *Activities) PublishingHold(ctx context.Context, clientID string) (HoldStatus, error) {
	h, err := a.Crises.Hold(ctx, clientID)
	if err != nil || h == nil {
		return HoldStatus{}, asTemporal(err)
	}
	return HoldStatus{Held: true, CrisisID: h.CrisisID}, nil
}

// HoldPublishing holds the client's scheduled posts for the crisis.
func (a *Activities) HoldPublishing(ctx context.Context, r HoldRequest) error {
	return asTemporal(a.Crises.SetHold(ctx, r.ClientID, r.CrisisID, time.Now()))
}

// ReleasePublishing lifts the crisis's hold and returns the posts it held, whose workflows
// the crisis then tells.
func (a *Activities) ReleasePublishing(ctx context.Context, r HoldRequest) ([]string, error) {
	if err := a.Crises.ReleaseHold(ctx, r.ClientID, r.CrisisID); err != nil {
		return nil, asTemporal(err)
	}
	ids, err := a.Crises.PostsHeldFor(ctx, r.ClientID)
	return ids, asTemporal(err)
}

// BuildReport writes the crisis post-mortem from the projections and stores it.
func (a *Activities) BuildReport(ctx context.Context, crisisID string) error {
	md, err := a.Report(ctx, crisisID)
	if err != nil {
		return asTemporal(err)
	}
	return asTemporal(a.Crises.SetCrisisReport(ctx, crisisID, md))
}

// Report renders a crisis post-mortem as it stands now.
func (a *Activities) Report(ctx context.Context, crisisID string) (string, error) {
	return report.Build(ctx, a.Crises, crisisID, a.Agency, sentiment.Negative, time.Now().UTC())
}

// StatementApprovers returns who approves a statement for each role: the client's
// approvers for "client", the client's crisis contacts for the others (local activity).
func (a *Activities) StatementApprovers(ctx context.Context, r StatementApproversRequest) ([]RoleApprover, error) {
	client, err := a.Store.Client(ctx, r.ClientID)
	if err != nil {
		return nil, asTemporal(err)
	}
	contacts, err := a.Crises.Contacts(ctx, r.ClientID)
	if err != nil {
		return nil, asTemporal(err)
	}
	var out []RoleApprover
	for _, role := range r.Roles {
		if role == "client" {
			for _, ap := range client.Approvers {
				out = append(out, RoleApprover{Approver: Approver{ID: ap.ID, Name: ap.Name, Email: ap.Email}, Role: role})
			}
			continue
		}
		for _, c := range contacts {
			if c.Role == role {
				out = append(out, RoleApprover{Approver: Approver{ID: c.ID, Name: c.Name, Email: c.Email}, Role: role})
			}
		}
	}
	return out, nil
}

// RequestStatementApproval emails each approver a link to one statement version, under
// crisis/<id>/statement/<statement>/v<version>/request/<role>/<email>.
func (a *Activities) RequestStatementApproval(ctx context.Context, r StatementApprovalRequest) error {
	st, err := a.Crises.Statement(ctx, r.StatementID)
	if err != nil {
		return asTemporal(err)
	}
	crisis, err := a.Crises.Crisis(ctx, r.CrisisID)
	if err != nil {
		return asTemporal(err)
	}
	client, err := a.Store.Client(ctx, r.ClientID)
	if err != nil {
		return asTemporal(err)
	}
	for _, ap := range r.Approvers {
		key := fmt.Sprintf("crisis/%s/statement/%s/v%d/request/%s/%s", r.CrisisID, r.StatementID, r.Version, ap.Role, ap.Email)
		err := a.emailLink(ctx, key, "statement", r.StatementID, r.Version, ap.Approver, func(url string, expires time.Time) (mail.Message, error) {
			return statementEmail(statementData{
				Agency: a.Agency, Client: client.Name, Approver: ap.Name, Role: ap.Role, Crisis: crisis.PlaybookTitle,
				Body: st.Body, Channels: st.Channels, Version: r.Version, URL: url, Expires: expires,
			})
		})
		if err != nil {
			return asTemporal(err)
		}
	}
	return nil
}

// PublishStatement publishes one approved statement version on one channel, once.
func (a *Activities) PublishStatement(ctx context.Context, r StatementPublishRequest) (string, error) {
	key := fmt.Sprintf("crisis/%s/statement/%s/v%d/publish/%s", r.CrisisID, r.StatementID, r.Version, r.Channel)
	var ref string
	err := a.once(ctx, key, "publish", func() (string, error) {
		st, err := a.Crises.Statement(ctx, r.StatementID)
		if err != nil {
			return "", err
		}
		if st.Version != r.Version {
			return "", greenlight.Errorf(greenlight.ECONFLICT, "statement version %d was replaced by version %d", r.Version, st.Version)
		}
		client, err := a.Store.Client(ctx, r.ClientID)
		if err != nil {
			return "", err
		}
		ref, err = a.Publisher.Publish(ctx, publish.Publication{
			Key: key, ClientID: r.ClientID, PostID: r.StatementID, Version: r.Version, Channel: r.Channel,
			Title: "Holding statement", Body: st.Body, MediaURLs: []string{}, PublishAt: time.Now().UTC(), WebhookURL: client.WebhookURL,
		})
		metrics.Publication(r.Channel, metrics.PublicationResult(err))
		return ref, err
	}, &ref)
	return ref, asTemporal(err)
}

// NotifyCrisis emails the people a crisis notification is for, once each (key
// <n.Key>/<email>), and posts it once to the client's Slack-compatible webhook if any.
func (a *Activities) NotifyCrisis(ctx context.Context, n CrisisNotification) error {
	crisis, err := a.Crises.Crisis(ctx, n.CrisisID)
	if err != nil {
		return asTemporal(err)
	}
	client, err := a.Store.Client(ctx, n.ClientID)
	if err != nil {
		return asTemporal(err)
	}
	to, err := a.crisisRecipients(ctx, n, crisis, client)
	if err != nil {
		return asTemporal(err)
	}
	subject, text := crisisMessage(n, crisis, client.Name)
	link := a.BaseURL + "/crises/" + n.CrisisID
	for _, r := range to {
		key := n.Key + "/" + r.Email
		err := a.once(ctx, key, "email", func() (string, error) {
			msg, err := crisisEmail(crisisData{Recipient: r.Name, Subject: subject, Message: text, URL: link})
			if err != nil {
				return "", err
			}
			msg.Key, msg.To, msg.ToName = key, r.Email, r.Name
			return "", a.Mail.Send(ctx, msg)
		})
		if err != nil {
			return asTemporal(err)
		}
	}
	hook := client.SlackWebhookURL
	if hook == "" {
		hook = a.SlackWebhookURL
	}
	if hook != "" {
		err := a.once(ctx, n.Key+"/slack", "slack", func() (string, error) {
			return "", a.postSlack(ctx, hook, n.Key+"/slack", fmt.Sprintf("*%s*\n%s\n<%s|Open the war room>", subject, text, link))
		})
		if err != nil {
			return asTemporal(err)
		}
	}
	return nil
}

type recipient struct{ Name, Email string }

func (a *Activities) crisisRecipients(ctx context.Context, n CrisisNotification, crisis *store.Crisis, client *store.Client) ([]recipient, error) {
	var out []recipient
	add := func(name, email string) {
		if email != "" && !slices.ContainsFunc(out, func(r recipient) bool { return r.Email == email }) {
			out = append(out, recipient{name, email})
		}
	}
	contacts, err := a.Crises.Contacts(ctx, n.ClientID)
	if err != nil {
		return nil, err
	}
	lead := func() error {
		if crisis.LeadID == "" || crisis.LeadID == greenlight.System.ID {
			return a.addRole(ctx, greenlight.RoleCrisisLead, n.ClientID, add)
		}
		u, err := a.Store.UserByID(ctx, crisis.LeadID)
		if greenlight.IsCode(err, greenlight.ENOTFOUND) {
			return a.addRole(ctx, greenlight.RoleCrisisLead, n.ClientID, add)
		}
		if err != nil {
			return err
		}
		add(u.Name, u.Email)
		return nil
	}
	roles := n.Roles
	switch n.Kind {
	case CrisisNotifyLate:
		for _, c := range contacts {
			if c.Role == n.Role {
				add(c.BackupName, c.BackupEmail)
			}
		}
		roles = []string{"crisis_lead"}
	case CrisisNotifyAdmins:
		return out, a.addRole(ctx, greenlight.RoleAdmin, n.ClientID, add)
	case CrisisNotifySpike:
		roles = []string{"crisis_lead", "exec", "community_manager"}
	}
	for _, role := range roles {
		switch role {
		case "crisis_lead":
			if err := lead(); err != nil {
				return nil, err
			}
		case "client":
			for _, ap := range client.Approvers {
				add(ap.Name, ap.Email)
			}
		default:
			for _, c := range contacts {
				if c.Role == role {
					add(c.Name, c.Email)
				}
			}
		}
	}
	return out, nil
}

func (a *Activities) addRole(ctx context.Context, role greenlight.Role, clientID string, add func(name, email string)) error {
	us, err := a.Store.UsersWithRole(ctx, role, clientID)
	if err != nil {
		return err
	}
	for _, u := range us {
		add(u.Name, u.Email)
	}
	return nil
}

func crisisMessage(n CrisisNotification, c *store.Crisis, client string) (subject, text string) {
	prefix := fmt.Sprintf("[%s] Crisis %s (%s)", client, c.PlaybookTitle, c.Severity)
	switch n.Kind {
	case CrisisNotifyStep:
		return prefix + ": " + n.StepTitle, n.Message
	case CrisisNotifyLate:
		return prefix + ": step late — " + n.StepTitle,
			fmt.Sprintf("The step “%s” (owner: %s) is past its deadline. You are told as the crisis lead or the owner's backup: please make sure it gets done.", n.StepTitle, n.Role)
	case CrisisNotifyAdmins:
		return prefix + ": step still late — " + n.StepTitle,
			fmt.Sprintf("The step “%s” (owner: %s) is still not done a full deadline after it was due. The crisis lead and the backup were told.", n.StepTitle, n.Role)
	case CrisisNotifySpike:
		return prefix + ": negative mentions rising", n.Message
	default:
		return prefix + ": holding statement", n.Message
	}
}

func (a *Activities) postSlack(ctx context.Context, url, key, text string) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second) // within the activity's 30 s, emails included
	defer cancel()
	body, _ := json.Marshal(map[string]string{"text": text})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return greenlight.Errorf(greenlight.EINVALID, "slack webhook URL is not valid")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(publish.IdempotencyHeader, key)
	client := a.HTTP
	if client == nil {
		client = outbound.NewClient(nil, outbound.Options{})
	}
	resp, err := client.Do(req)
	if err != nil {
		// The URL is a secret (Slack's carry their key) and stays out of the error.
		if errors.Is(err, outbound.ErrRefused) {
			return greenlight.Errorf(greenlight.EINVALID, "slack webhook: %s", outbound.Cause(err))
		}
		return fmt.Errorf("slack webhook: %s", outbound.Cause(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout {
			return errors.New(outbound.Describe("slack webhook", resp.StatusCode))
		}
		return greenlight.Errorf(greenlight.EINVALID, "%s: the message was refused", outbound.Describe("slack webhook", resp.StatusCode))
	}
	return nil
}
