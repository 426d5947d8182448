// Package activities holds every side effect of Greenlight's workflows: projection writes,
// emails, publications. Each effect that leaves the system carries an idempotency key
// recorded in the database, so a retried activity never sends or publishes twice.
package activities

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/events"
	"github.com/greenlight/greenlight/mail"
	"github.com/greenlight/greenlight/media"
	"github.com/greenlight/greenlight/metrics"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/secrets"
	"github.com/greenlight/greenlight/store"
)

// Store is what the activities need from the database.
type Store interface {
	RecordPost(ctx context.Context, r store.PostRecord) error
	Client(ctx context.Context, id string) (*store.Client, error)
	Post(ctx context.Context, id string) (*store.Post, error)
	PostVersion(ctx context.Context, postID string, version int) (*store.PostVersion, error)
	UserByID(ctx context.Context, id string) (*store.User, error)
	UsersWithRole(ctx context.Context, role greenlight.Role, clientID string) ([]store.User, error)
	BeginEffect(ctx context.Context, key, kind string) (bool, string, error)
	FinishEffect(ctx context.Context, key, result string) error
	LinkForEmail(ctx context.Context, l *store.Link, token string, now time.Time) (*store.Link, string, error)

	// Publication on channels (channels.go).
	PostChannel(ctx context.Context, postID string, version int, channel string) (*store.PostChannel, error)
	SavePostChannel(ctx context.Context, c *store.PostChannel) error
	NetworkAccounts(ctx context.Context, clientID, network string) ([]store.Account, error)
	SaveAccountSession(ctx context.Context, id, credentials string) error
	RefreshAccountCredentials(ctx context.Context, id string, refresh func(sealed string) (string, error)) (string, error)
	MarkNeedsReconnect(ctx context.Context, id, lastError string, at time.Time) (time.Time, error)
	Media(ctx context.Context, id string) (*store.Media, error)
}

// Activities is registered on the worker with its dependencies.
type Activities struct {
	Store     Store
	Crises    CrisisStore
	Retention RetentionStore // prunes old records (the retention workflow)
	Sources   SourcePoller   // polls listening sources (the SourcePoll workflow)
	// Webhooks keeps event webhook deliveries; with Temporal, history writes dispatch the
	// events they add to their delivery workflows (nil: the sweep alone dispatches).
	Webhooks WebhookStore
	Temporal client.Client
	// TaskQueue is where delivery workflows run (the activity's own queue when empty).
	TaskQueue string
	Mail      mail.Sender
	// Publisher takes channels no connector serves: the client's webhook (dev: a recorder).
	Publisher publish.Publisher
	// Connectors publish to social networks through clients' connected accounts, by
	// network name: a channel named like a network whose client has an account there goes
	// through it (see PublishChannel). Empty: every channel goes to Publisher.
	Connectors map[string]publish.Connector
	// Secrets opens connected accounts' credentials (sealed with the account id as
	// associated data) and seals the ones connectors refresh.
	Secrets *secrets.Box
	// SlackWebhookURL receives crisis notifications of clients without their own webhook.
	SlackWebhookURL string
	// HTTP is the client for Slack-compatible webhooks (a default one when nil).
	HTTP *http.Client
	// BaseURL is the public URL links in emails start with (never taken from a request).
	BaseURL string
	// Library holds posts' media files: it signs their URLs in approval emails (nil: the
	// emails list no media), and connectors read them and get signed URLs to them (nil: a
	// post with media fails on a network channel).
	Library *media.Library
	// LinkTTL is how long an approval link works.
	LinkTTL time.Duration
	// Agency is the agency's name, shown to clients.
	Agency string
	Log    *slog.Logger
}

// RecordPost writes a post workflow step to the projection (run as a local activity).
func (a *Activities) RecordPost(ctx context.Context, r PostRecord) error {
	p := r.Post
	rec := store.PostRecord{Post: store.Post{
		ID: p.ID, ClientID: p.ClientID, AuthorID: p.AuthorID, Title: p.Content.Title, Body: p.Content.Body,
		Channels: p.Content.Channels, MediaURLs: p.Content.MediaURLs, Media: p.Content.Media, PublishAt: p.PublishAt.UTC(),
		Status: string(p.Status), Version: p.Version, ReminderAfter: p.ReminderAfter, EscalateAfter: p.EscalateAfter,
		Held: p.Held, PublishedAt: utcPtr(p.PublishedAt), Revision: p.Revision,
		CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC(),
	}}
	if v := r.NewVersion; v != nil {
		rec.NewVersion = &store.PostVersion{
			PostID: p.ID, Version: v.Version, Title: v.Content.Title, Body: v.Content.Body,
			Channels: v.Content.Channels, MediaURLs: v.Content.MediaURLs, Media: v.Content.Media,
			Digest: v.Content.Digest(), AuthorID: v.AuthorID, CreatedAt: v.At.UTC(),
		}
	}
	for _, d := range r.Decisions {
		rec.Decisions = append(rec.Decisions, store.PostDecision{
			PostID: p.ID, Seq: d.Seq, Version: d.Version, Stage: d.Stage, Round: d.Round,
			ActorKind: d.Actor.Kind, ActorID: d.Actor.ID, ActorName: d.Actor.Name,
			Decision: d.Decision, Comment: d.Comment, At: d.At.UTC(),
		})
	}
	for _, e := range r.Events {
		rec.Events = append(rec.Events, store.PostEvent{
			PostID: p.ID, Seq: e.Seq, At: e.At.UTC(), ActorKind: e.Actor.Kind, ActorID: e.Actor.ID,
			ActorName: e.Actor.Name, Action: e.Action, Version: e.Version, Comment: e.Comment,
		})
	}
	rec.Outbox = postOutbox(p, r.Events)
	if err := a.Store.RecordPost(ctx, rec); err != nil {
		return asTemporal(err)
	}
	if len(rec.Outbox) > 0 {
		a.dispatch(ctx, events.PostSubject(p.ID))
	}
	return nil
}

// ClientApprovers returns a client's approval policy and approvers (local activity).
func (a *Activities) ClientApprovers(ctx context.Context, clientID string) (ClientApprovers, error) {
	c, err := a.Store.Client(ctx, clientID)
	if err != nil {
		return ClientApprovers{}, asTemporal(err)
	}
	out := ClientApprovers{Policy: c.ApprovalPolicy}
	for _, ap := range c.Approvers {
		out.Approvers = append(out.Approvers, Approver{ID: ap.ID, Name: ap.Name, Email: ap.Email})
	}
	return out, nil
}

// RequestApproval emails each approver a personal link to one version. Per approver the
// effect key is post/<id>/v<version>/r<round>/client-request|client-reminder/<email>.
func (a *Activities) RequestApproval(ctx context.Context, req ApprovalRequest) error {
	post, err := a.Store.Post(ctx, req.PostID)
	if err != nil {
		return asTemporal(err)
	}
	v, err := a.Store.PostVersion(ctx, req.PostID, req.Version)
	if err != nil {
		return asTemporal(err)
	}
	client, err := a.Store.Client(ctx, req.ClientID)
	if err != nil {
		return asTemporal(err)
	}
	kind := "client-request"
	if req.Reminder {
		kind = "client-reminder"
	}
	for _, ap := range req.Approvers {
		key := fmt.Sprintf("post/%s/v%d/r%d/%s/%s", req.PostID, req.Version, req.Round, kind, ap.Email)
		err := a.emailLink(ctx, key, "post", req.PostID, req.Version, ap, func(url string, expires time.Time) (mail.Message, error) {
			return approvalEmail(approvalData{
				Agency: a.Agency, Client: client.Name, Approver: ap.Name, Title: v.Title, Body: v.Body,
				Channels: v.Channels, PublishAt: post.PublishAt, Version: req.Version,
				URL: url, Expires: expires, Reminder: req.Reminder, Media: a.emailMedia(v.Media, expires),
			})
		})
		if err != nil {
			return asTemporal(err)
		}
	}
	return nil
}

// emailLink sends, once under key, an email carrying an approval link for one approver
// and one version; render writes the email around the link's URL. A retry (the send
// failed, maybe after the server accepted the email, or the activity died after sending)
// sends the same link again: every copy of the email works. The token never leaves the
// database and the email: no history, no log.
func (a *Activities) emailLink(ctx context.Context, key, kind, subjectID string, version int, ap Approver,
	render func(url string, expires time.Time) (mail.Message, error)) error {
	return a.once(ctx, key, "email", func() (string, error) {
		token, expires, err := a.linkFor(ctx, key, kind, subjectID, version, ap)
		if err != nil {
			return "", err
		}
		msg, err := render(a.BaseURL+"/approve/"+token, expires)
		if err != nil {
			return "", err
		}
		msg.Key, msg.To, msg.ToName = key, ap.Email, ap.Name
		return "", a.Mail.Send(ctx, msg)
	})
}

// linkFor returns the approval link the email under key carries: a new one on the first
// attempt, the same one on a retry (see store.LinkForEmail).
func (a *Activities) linkFor(ctx context.Context, key, kind, subjectID string, version int, ap Approver) (string, time.Time, error) {
	token, hash := greenlight.NewToken("gl_")
	now := time.Now().UTC()
	l, token, err := a.Store.LinkForEmail(ctx, &store.Link{
		ID: greenlight.NewID("lnk_"), TokenHash: hash, EffectKey: key, SubjectKind: kind, SubjectID: subjectID,
		Version: version, ApproverID: ap.ID, ApproverName: ap.Name, ApproverEmail: ap.Email,
		ExpiresAt: now.Add(a.linkTTL()), CreatedAt: now,
	}, token, now)
	if err != nil {
		return "", time.Time{}, err
	}
	return token, l.ExpiresAt, nil
}

// Notify emails staff about a post: the author, plus the client's admins for escalations.
// Per recipient the effect key is post/<id>/v<version>/r<round>/<kind>/<email>.
func (a *Activities) Notify(ctx context.Context, n Notification) error {
	post, err := a.Store.Post(ctx, n.PostID)
	if err != nil {
		return asTemporal(err)
	}
	client, err := a.Store.Client(ctx, n.ClientID)
	if err != nil {
		return asTemporal(err)
	}
	var to []store.User
	if author, err := a.Store.UserByID(ctx, n.AuthorID); err == nil && author.DisabledAt == nil {
		to = append(to, *author)
	} else if err != nil && !greenlight.IsCode(err, greenlight.ENOTFOUND) {
		return asTemporal(err)
	}
	if n.Kind == NotifyEscalation {
		admins, err := a.Store.UsersWithRole(ctx, greenlight.RoleAdmin, n.ClientID)
		if err != nil {
			return asTemporal(err)
		}
		for _, u := range admins {
			if u.ID != n.AuthorID {
				to = append(to, u)
			}
		}
	}
	for _, u := range to {
		key := fmt.Sprintf("post/%s/v%d/r%d/%s/%s", n.PostID, n.Version, n.Round, n.Kind, u.Email)
		err := a.once(ctx, key, "email", func() (string, error) {
			msg, err := notificationEmail(notificationData{
				Kind: n.Kind, Recipient: u.Name, Client: client.Name, Title: post.Title, Version: n.Version,
				PublishAt: post.PublishAt, Comment: n.Comment, URL: a.BaseURL + "/posts/" + n.PostID,
				EscalateAfter: post.EscalateAfter,
			})
			if err != nil {
				return "", err
			}
			msg.Key, msg.To, msg.ToName = key, u.Email, u.Name
			return "", a.Mail.Send(ctx, msg)
		})
		if err != nil {
			return asTemporal(err)
		}
	}
	return nil
}

// Publish publishes one version of a post on one channel, once, under the effect key
// post/<id>/v<version>/publish/<channel> (sent to webhooks as the Idempotency-Key). It
// refuses a version that is no longer the post's current one.
func (a *Activities) Publish(ctx context.Context, req PublishRequest) (string, error) {
	key := fmt.Sprintf("post/%s/v%d/publish/%s", req.PostID, req.Version, req.Channel)
	var ref string
	err := a.once(ctx, key, "publish", func() (string, error) {
		post, err := a.Store.Post(ctx, req.PostID)
		if err != nil {
			return "", err
		}
		if post.Version != req.Version {
			return "", greenlight.Errorf(greenlight.ECONFLICT, "version %d was replaced by version %d", req.Version, post.Version)
		}
		v, err := a.Store.PostVersion(ctx, req.PostID, req.Version)
		if err != nil {
			return "", err
		}
		client, err := a.Store.Client(ctx, req.ClientID)
		if err != nil {
			return "", err
		}
		ref, err = a.Publisher.Publish(ctx, publish.Publication{
			Key: key, ClientID: req.ClientID, PostID: req.PostID, Version: req.Version, Channel: req.Channel,
			Title: v.Title, Body: v.Body, MediaURLs: v.MediaURLs, PublishAt: post.PublishAt, WebhookURL: client.WebhookURL,
		})
		metrics.Publication(req.Channel, metrics.PublicationResult(err))
		return ref, err
	}, &ref)
	return ref, asTemporal(err)
}

// once runs f unless the effect named key already completed, then records it done. The
// optional out receives f's result, or the stored one when the effect was done before.
func (a *Activities) once(ctx context.Context, key, kind string, f func() (string, error), out ...*string) error {
	done, result, err := a.Store.BeginEffect(ctx, key, kind)
	if err != nil {
		return err
	}
	if !done {
		if result, err = f(); err != nil {
			return err
		}
		if err := a.Store.FinishEffect(ctx, key, result); err != nil {
			return err
		}
	}
	for _, o := range out {
		*o = result
	}
	return nil
}

func (a *Activities) linkTTL() time.Duration {
	if a.LinkTTL > 0 {
		return a.LinkTTL
	}
	return greenlight.DefaultLinkTTL
}

// asTemporal makes domain errors that retrying cannot fix non-retryable, with the code as
// the error type; other errors stay retryable.
func asTemporal(err error) error {
	if err == nil {
		return nil
	}
	switch code := greenlight.ErrorCode(err); code {
	case greenlight.EINVALID, greenlight.ENOTFOUND, greenlight.ECONFLICT, greenlight.EFORBIDDEN, greenlight.EGONE:
		return temporal.NewNonRetryableApplicationError(greenlight.ErrorMessage(err), code, err)
	default:
		return err
	}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
