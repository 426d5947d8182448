package activities

import (
	"context"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/store"
)

// The digest workflow's names, here because the activity that starts it (EnqueueDigest)
// cannot import the workflows package.
const (
	// DigestWorkflowName is the registered name of workflows.Digest.
	DigestWorkflowName = "Digest"
	// DigestSignal carries one DigestItem to an approver's digest workflow.
	DigestSignal = "digest_item"
)

// DigestWorkflowID is the workflow ID of one approver's digest: one per (client, approver).
func DigestWorkflowID(clientID, approverID string) string {
	return "digest:" + clientID + ":" + approverID
}

// DigestItem is one post version waiting for one approver, queued for the approver's next
// batch email. Window, ReminderAfter and EscalateAfter are the post's settings when it
// started waiting.
type DigestItem struct {
	PostID        string
	ClientID      string
	AuthorID      string
	Version       int
	Round         int
	Approver      Approver
	Window        time.Duration
	ReminderAfter time.Duration
	EscalateAfter time.Duration
}

// Key names the item: one post version in one round.
func (i DigestItem) Key() string { return fmt.Sprintf("%s/v%d/r%d", i.PostID, i.Version, i.Round) }

// DigestBatch is one batch email already sent, waiting for its reminder and escalation.
type DigestBatch struct {
	Key           string // names the batch in every effect key: digest/<client>/<approver>/<first item>
	SentAt        time.Time
	Items         []DigestItem
	ReminderAfter time.Duration
	EscalateAfter time.Duration
	Reminded      bool
}

// DigestInput starts an approver's digest workflow, or continues it as new with its state.
type DigestInput struct {
	ClientID     string
	ApproverID   string
	Pending      []DigestItem // queued for the next email
	PendingSince time.Time    // when the first pending item arrived
	Open         []DigestBatch
}

// DigestSend asks for one batch email: Kind is "client-request", "client-reminder" or
// "escalation".
type DigestSend struct {
	Batch string
	Kind  string
	Items []DigestItem
}

// Digest email kinds (also the last-but-one part of their effect keys).
const (
	DigestRequest    = "client-request"
	DigestReminder   = "client-reminder"
	DigestEscalation = "escalation"
)

// EnqueueDigest hands one waiting post version to its approver's digest workflow,
// starting the workflow when none runs (signal-with-start). A retry may signal twice:
// the workflow keeps one item per post version and round.
func (a *Activities) EnqueueDigest(ctx context.Context, item DigestItem) error {
	if a.Temporal == nil {
		return asTemporal(greenlight.Errorf(greenlight.EINTERNAL, "digest: no Temporal client configured"))
	}
	id := DigestWorkflowID(item.ClientID, item.Approver.ID)
	_, err := a.Temporal.SignalWithStartWorkflow(ctx, id, DigestSignal, item, client.StartWorkflowOptions{
		ID: id, TaskQueue: a.TaskQueue, WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, DigestWorkflowName, DigestInput{ClientID: item.ClientID, ApproverID: item.Approver.ID})
	return err
}

// SendDigest sends one batch email to one approver, once under
// digest/<client>/<approver>/<batch>/<kind>/<email>, listing the items still waiting for
// that approver (the post at that version, awaiting the client, no decision of theirs)
// that no email of this kind named yet. Each listed item's own key
// post/<id>/v<version>/r<round>/<kind>/<email> — the key a per-post email would use — is
// marked done with it, so no item is ever emailed twice for one kind. It returns the
// items the email listed (the same ones on a retry); none: no email.
func (a *Activities) SendDigest(ctx context.Context, req DigestSend) ([]DigestItem, error) {
	if len(req.Items) == 0 {
		return nil, nil
	}
	first := req.Items[0]
	ap := first.Approver
	key := fmt.Sprintf("digest/%s/%s/%s/%s/%s", first.ClientID, ap.ID, req.Batch, req.Kind, ap.Email)
	var listed string
	err := a.once(ctx, key, "email", func() (string, error) {
		items, err := a.stillWaiting(ctx, req.Kind, req.Items)
		if err != nil || len(items) == 0 {
			return "[]", err
		}
		if req.Kind == DigestEscalation {
			err = a.escalateBatch(ctx, key, items)
		} else {
			err = a.emailBatch(ctx, key, req.Kind == DigestReminder, items)
		}
		if err != nil {
			return "", err
		}
		b, err := json.Marshal(items)
		return string(b), err
	}, &listed)
	if err != nil {
		return nil, asTemporal(err)
	}
	var items []DigestItem
	if err := json.Unmarshal([]byte(listed), &items); err != nil {
		return nil, asTemporal(err)
	}
	// Done with the batch (now or in an attempt that died before this): every item's own
	// key says so.
	for _, it := range items {
		if err := a.Store.FinishEffect(ctx, itemKey(it, req.Kind), key); err != nil {
			return nil, asTemporal(err)
		}
	}
	return items, nil
}

// itemKey is the effect key of one item's email of one kind, the per-post email's key.
func itemKey(it DigestItem, kind string) string {
	return fmt.Sprintf("post/%s/v%d/r%d/%s/%s", it.PostID, it.Version, it.Round, kind, it.Approver.Email)
}

// stillWaiting keeps the items whose post still waits for the approver's decision on
// that version, and whose email of this kind no other email sent.
func (a *Activities) stillWaiting(ctx context.Context, kind string, items []DigestItem) ([]DigestItem, error) {
	var out []DigestItem
	for _, it := range items {
		p, err := a.Store.Post(ctx, it.PostID)
		if greenlight.IsCode(err, greenlight.ENOTFOUND) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if p.Version != it.Version || greenlight.PostStatus(p.Status) != greenlight.StatusAwaitingClient {
			continue
		}
		decided, err := a.Store.ClientDecided(ctx, it.PostID, it.Version, it.Round, it.Approver.ID)
		if err != nil {
			return nil, err
		}
		if decided {
			continue
		}
		done, _, err := a.Store.BeginEffect(ctx, itemKey(it, kind), "email")
		if err != nil {
			return nil, err
		}
		if !done {
			out = append(out, it)
		}
	}
	return out, nil
}

// emailBatch creates the batch's review link (items and token, kept for a retry) and
// sends the approver one email listing the items, with that one link.
func (a *Activities) emailBatch(ctx context.Context, key string, reminder bool, items []DigestItem) error {
	ap := items[0].Approver
	reviewID := "rvw_" + greenlight.HashToken(key)[:24]
	token, expires, err := a.linkFor(ctx, key, "review", reviewID, 0, ap)
	if err != nil {
		return err
	}
	rows := make([]store.ReviewItem, len(items))
	client, err := a.Store.Client(ctx, items[0].ClientID)
	if err != nil {
		return err
	}
	look := a.clientLook(ctx, client, expires) // times in the client's zone, sent as "<sender> via <agency>"
	d := digestData{Agency: a.Agency, Approver: ap.Name, URL: a.BaseURL + "/review/" + token, Expires: expires, Reminder: reminder}
	for i, it := range items {
		rows[i] = store.ReviewItem{ReviewID: reviewID, PostID: it.PostID, Version: it.Version, Round: it.Round, Position: i}
		p, err := a.Store.Post(ctx, it.PostID)
		if err != nil {
			return err
		}
		v, err := a.Store.PostVersion(ctx, it.PostID, it.Version)
		if err != nil {
			return err
		}
		row := digestRow{Title: v.Title, Channels: v.Channels, PublishAt: p.PublishAt, When: look.Time(p.PublishAt)}
		if m := a.emailMedia(v.Media, expires); len(m) > 0 {
			row.ImageURL, row.Video = m[0].ImageURL, m[0].Video
		}
		d.Items = append(d.Items, row)
	}
	if err := a.Store.SaveReviewItems(ctx, rows); err != nil {
		return err
	}
	d.Client = client.Name
	msg, err := compose(digestSubject, digestText, digestHTML, d)
	if err != nil {
		return err
	}
	msg.Key, msg.To, msg.ToName = key, ap.Email, ap.Name
	msg.FromName = look.Sender(a.Agency)
	return a.Mail.Send(ctx, msg)
}

// escalateBatch tells the posts' authors and the client's admins, once each, that the
// approver has not decided on the batch.
func (a *Activities) escalateBatch(ctx context.Context, key string, items []DigestItem) error {
	clientID, ap := items[0].ClientID, items[0].Approver
	client, err := a.Store.Client(ctx, clientID)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	var to []store.User
	add := func(u store.User) {
		if u.DisabledAt == nil && !seen[u.ID] {
			seen[u.ID] = true
			to = append(to, u)
		}
	}
	var lines []string
	for _, it := range items {
		p, err := a.Store.Post(ctx, it.PostID)
		if err != nil {
			return err
		}
		lines = append(lines, fmt.Sprintf("- %s (version %d, due %s)", p.Title, it.Version, funcs["when"].(func(time.Time) string)(p.PublishAt)))
		if u, err := a.Store.UserByID(ctx, it.AuthorID); err == nil {
			add(*u)
		} else if !greenlight.IsCode(err, greenlight.ENOTFOUND) {
			return err
		}
	}
	admins, err := a.Store.UsersWithRole(ctx, greenlight.RoleAdmin, clientID)
	if err != nil {
		return err
	}
	for _, u := range admins {
		add(u)
	}
	subject := fmt.Sprintf("[%s] No client decision yet from %s: %d post(s)", client.Name, ap.Name, len(items))
	message := fmt.Sprintf("%s has not decided on these posts after %s. Each expires if nobody approves it before its publish time:\n\n%s",
		ap.Name, items[0].EscalateAfter, strings.Join(lines, "\n"))
	for _, u := range to {
		rkey := key + "/" + u.Email
		err := a.once(ctx, rkey, "email", func() (string, error) {
			msg, err := staffEmail(subject, u.Name, message, a.BaseURL+"/board?client="+clientID)
			if err != nil {
				return "", err
			}
			msg.Key, msg.To, msg.ToName = rkey, u.Email, u.Name
			return "", a.Mail.Send(ctx, msg)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

type digestData struct {
	Agency, Client, Approver, URL string
	Expires                       time.Time
	Reminder                      bool
	Items                         []digestRow
}

type digestRow struct {
	Title     string
	Channels  []string
	PublishAt time.Time
	When      string // PublishAt in the client's zone and language
	ImageURL  string // the first file's thumbnail, "" when none or a video
	Video     bool
}

var (
	digestSubject = texttemplate.Must(texttemplate.New("").Funcs(funcs).Parse(
		`{{if .Reminder}}Reminder: {{end}}[{{.Client}}] {{len .Items}} post{{if gt (len .Items) 1}}s{{end}} to approve`))
	digestText = texttemplate.Must(texttemplate.New("").Funcs(funcs).Parse(`Hello {{.Approver}},

{{if .Reminder}}This is a reminder: {{end}}{{.Agency}} has prepared {{len .Items}} post{{if gt (len .Items) 1}}s{{end}} for {{.Client}} that need{{if eq (len .Items) 1}}s{{end}} your approval:

{{range $i, $it := .Items}}{{inc $i}}. {{$it.Title}}
   {{join $it.Channels ", "}} · publishes {{$it.When}}
{{end}}
Review them all on one page, approve or request changes post by post:
{{.URL}}

This link is personal, for these exact versions only, until {{when .Expires}}.
Opening it changes nothing: only your decisions on the page do.
`))
	digestHTML = htmltemplate.Must(htmltemplate.New("").Funcs(funcs).Parse(`<!doctype html>
<html><body style="font-family:sans-serif;max-width:600px;margin:auto;color:#1a1a1a">
<p>Hello {{.Approver}},</p>
<p>{{if .Reminder}}This is a reminder: {{end}}{{.Agency}} has prepared {{len .Items}} post{{if gt (len .Items) 1}}s{{end}} for <strong>{{.Client}}</strong> that need{{if eq (len .Items) 1}}s{{end}} your approval.</p>
<table style="border-collapse:collapse;width:100%">
{{range .Items}}<tr style="border-top:1px solid #eee">
<td style="padding:8px 8px 8px 0;width:96px;vertical-align:top">{{if .ImageURL}}<img src="{{.ImageURL}}" alt="" width="88" style="max-width:88px;height:auto;border-radius:4px">{{else if .Video}}&#9654;{{end}}</td>
<td style="padding:8px 0;vertical-align:top"><strong>{{.Title}}</strong><br><span style="color:#555">{{join .Channels ", "}} · {{.When}}</span></td>
</tr>
{{end}}</table>
<p><a href="{{.URL}}" style="display:inline-block;background:#0b6e4f;color:#fff;padding:10px 18px;border-radius:4px;text-decoration:none">Review the posts</a></p>
<p style="color:#555;font-size:90%">This link is personal, for these exact versions only, until {{when .Expires}}. Opening it changes nothing: only your decisions on the page do.</p>
</body></html>`))
)
