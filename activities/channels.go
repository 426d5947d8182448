package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/metrics"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/store"
)

// ChannelRateLimited is the outcome of a publication the network rate-limited: the
// workflow waits RetryAfter on a durable timer and calls PublishChannel again. It is never
// a row's status (the row stays pending).
const ChannelRateLimited = "rate_limited"

// ChannelOutcome is how one channel's publication ended (Status: store.ChannelPublished,
// ChannelFailed, ChannelUnconfirmed) or why it must be tried again later
// (ChannelRateLimited). The same values are in the channel's post_channels row.
type ChannelOutcome struct {
	Channel    string
	AccountID  string // "" for the client's webhook
	Status     string
	RemoteID   string
	URL        string
	Error      string        // failed, unconfirmed, rate limited: what the network or webhook said
	RetryAfter time.Duration // rate limited: how long the network asked to wait (0: unknown)
	Attempts   int
}

// ChannelFailure is a channel the workflow gave up on (its activity failed for good, or
// rate limits lasted too long): RecordChannelFailure writes it to the channel's row.
type ChannelFailure struct {
	PostID    string
	Version   int
	Channel   string
	AccountID string
	Error     string
}

// publishKey is the idempotency key of one version on one channel; webhooks receive it as
// the Idempotency-Key, connectors derive their idempotent create from it.
func publishKey(postID string, version int, channel string) string {
	return fmt.Sprintf("post/%s/v%d/publish/%s", postID, version, channel)
}

// published is what a done publication effect keeps: enough to answer a repeated call.
type published struct {
	AccountID string `json:"account_id,omitempty"`
	RemoteID  string `json:"remote_id"`
	URL       string `json:"url,omitempty"`
}

// decodePublished reads a done effect's result: JSON, or a webhook's bare reference as
// the Publish activity stored it.
func decodePublished(result string) published {
	var p published
	if err := json.Unmarshal([]byte(result), &p); err != nil {
		return published{RemoteID: result}
	}
	return p
}

// errOutcome ends a publication attempt without success but without an activity error:
// the outcome says what happened (failed, unconfirmed, rate limited).
type errOutcome struct{ out ChannelOutcome }

func (e *errOutcome) Error() string { return e.out.Status + ": " + e.out.Error }

// PublishChannel publishes one version of a post on one channel, once, under the effect
// key post/<id>/v<version>/publish/<channel>, and keeps the channel's post_channels row
// current (pending with its attempts, then published, failed or unconfirmed).
//
// Route: when the channel is the network of a connector (Connectors) and the client has
// an account on that network, it goes to the oldest active one of those accounts through
// the connector (with no active account left, it fails: "reconnect the <network>
// account"); any other channel goes to the client's webhook (Publisher), as Publish does.
//
// Outcomes: published; rate limited (RetryAfter, not an error: the workflow waits on a
// durable timer and calls again); failed (a refusal, a replaced version, credentials the
// network no longer takes: the account becomes needs_reconnect and the client's editors
// are emailed once per episode); unconfirmed (the create may have happened and cannot be
// checked: never retried blindly). A retryable failure (network, 5xx) is an activity
// error: Temporal retries it.
func (a *Activities) PublishChannel(ctx context.Context, req PublishRequest) (ChannelOutcome, error) {
	key := publishKey(req.PostID, req.Version, req.Channel)
	out := ChannelOutcome{Channel: req.Channel}
	done, result, err := a.Store.BeginEffect(ctx, key, "publish")
	if err != nil {
		return out, asTemporal(err)
	}
	row, err := a.Store.PostChannel(ctx, req.PostID, req.Version, req.Channel)
	if err != nil && !greenlight.IsCode(err, greenlight.ENOTFOUND) {
		return out, asTemporal(err)
	}
	if row == nil {
		row = &store.PostChannel{PostID: req.PostID, Version: req.Version, Channel: req.Channel}
	}
	if done { // published before: the answer or the row write was lost
		p := decodePublished(result)
		out.AccountID, out.Status, out.RemoteID, out.URL, out.Attempts = p.AccountID, store.ChannelPublished, p.RemoteID, p.URL, row.Attempts
		return out, a.saveChannel(ctx, row, out)
	}

	res, err := a.publishChannel(ctx, key, req, row)
	var eo *errOutcome
	switch {
	case errors.As(err, &eo):
		out = eo.out
		out.Channel, out.AccountID, out.Attempts = req.Channel, row.AccountID, row.Attempts
		if err := a.saveChannel(ctx, row, out); err != nil {
			return out, err
		}
		return out, nil
	case err != nil:
		// Retryable: the row says pending, with what went wrong, until the next attempt.
		row.Status, row.Error, row.UpdatedAt = store.ChannelPending, errorText(err), time.Now().UTC()
		if serr := a.Store.SavePostChannel(ctx, row); serr != nil && a.Log != nil {
			a.Log.Error("channel row not saved", "post", req.PostID, "channel", req.Channel, "error", serr)
		}
		return out, asTemporal(err)
	}
	b, err := json.Marshal(published{AccountID: row.AccountID, RemoteID: res.RemoteID, URL: res.URL})
	if err != nil {
		return out, err
	}
	if err := a.Store.FinishEffect(ctx, key, string(b)); err != nil {
		return out, err
	}
	out.AccountID, out.Status, out.RemoteID, out.URL, out.Attempts = row.AccountID, store.ChannelPublished, res.RemoteID, res.URL, row.Attempts
	return out, a.saveChannel(ctx, row, out)
}

// publishChannel checks the version, routes the channel, records the attempt and
// publishes. Outcomes other than success come back as *errOutcome; other errors are
// retryable.
func (a *Activities) publishChannel(ctx context.Context, key string, req PublishRequest, row *store.PostChannel) (publish.Result, error) {
	failed := func(format string, args ...any) error {
		return &errOutcome{ChannelOutcome{Status: store.ChannelFailed, Error: fmt.Sprintf(format, args...)}}
	}
	post, err := a.Store.Post(ctx, req.PostID)
	if err != nil {
		if greenlight.IsCode(err, greenlight.ENOTFOUND) {
			return publish.Result{}, failed("the post was deleted")
		}
		return publish.Result{}, err
	}
	if post.Version != req.Version {
		return publish.Result{}, failed("version %d was replaced by version %d", req.Version, post.Version)
	}
	v, err := a.Store.PostVersion(ctx, req.PostID, req.Version)
	if err != nil {
		return publish.Result{}, err
	}
	acct, conn, err := a.route(ctx, req.ClientID, req.Channel)
	if err != nil {
		return publish.Result{}, err
	}
	row.AccountID = ""
	if acct != nil {
		row.AccountID = acct.ID
	}
	row.Attempts++
	row.Status, row.Error, row.UpdatedAt = store.ChannelPending, "", time.Now().UTC()
	if err := a.Store.SavePostChannel(ctx, row); err != nil {
		return publish.Result{}, err
	}
	switch {
	case acct == nil || acct.Status == store.AccountActive:
	case acct.Status == store.AccountNeedsReconnect:
		// Make sure the editors were told (an earlier attempt may have failed to email).
		if err := a.reconnectNotice(ctx, acct, acct.LastError); err != nil {
			return publish.Result{}, err
		}
		return publish.Result{}, failed("reconnect the %s account %s: it needs to be connected again", acct.Network, acct.Handle)
	default:
		return publish.Result{}, failed("the %s account %s is %s: finish connecting it", acct.Network, acct.Handle, acct.Status)
	}
	if conn == nil {
		return a.publishWebhook(ctx, key, req, post, v)
	}
	return a.publishConnector(ctx, key, req, post, v, acct, conn)
}

// route picks where a channel goes: the oldest active account of the client on the
// channel's network when a connector serves it (or, when none is active, the oldest
// account, which cannot be used), else nothing: the webhook.
func (a *Activities) route(ctx context.Context, clientID, channel string) (*store.Account, publish.Connector, error) {
	conn, ok := a.Connectors[channel]
	if !ok {
		return nil, nil, nil
	}
	accts, err := a.Store.NetworkAccounts(ctx, clientID, conn.Network())
	if err != nil || len(accts) == 0 {
		return nil, nil, err
	}
	for i := range accts {
		if accts[i].Status == store.AccountActive {
			return &accts[i], conn, nil
		}
	}
	for i := range accts {
		if accts[i].Status == store.AccountNeedsReconnect {
			return &accts[i], conn, nil
		}
	}
	return &accts[0], conn, nil
}

// publishWebhook is the webhook (or dev recorder) path, as the Publish activity does it.
func (a *Activities) publishWebhook(ctx context.Context, key string, req PublishRequest, post *store.Post, v *store.PostVersion) (publish.Result, error) {
	client, err := a.Store.Client(ctx, req.ClientID)
	if err != nil {
		return publish.Result{}, err
	}
	// The receiver fetches the version's library files from signed URLs, after any URLs of
	// versions saved before the library.
	urls := append([]string{}, v.MediaURLs...)
	files, err := a.postMedia(ctx, req.ClientID, v.Media)
	if err != nil {
		return publish.Result{}, err
	}
	for _, f := range files {
		if f.URL != "" {
			urls = append(urls, f.URL)
		}
	}
	ref, err := a.Publisher.Publish(ctx, publish.Publication{
		Key: key, ClientID: req.ClientID, PostID: req.PostID, Version: req.Version, Channel: req.Channel,
		Title: v.Title, Body: v.Body, MediaURLs: urls, PublishAt: post.PublishAt, WebhookURL: client.WebhookURL,
	})
	metrics.Publication(req.Channel, metrics.PublicationResult(err))
	if err != nil {
		if greenlight.IsCode(err, greenlight.EINVALID) {
			return publish.Result{}, &errOutcome{ChannelOutcome{Status: store.ChannelFailed, Error: greenlight.ErrorMessage(err)}}
		}
		return publish.Result{}, err
	}
	return publish.Result{RemoteID: ref}, nil
}

// publishConnector opens the account's credentials and hands the approved version, with
// its media, to the network's connector; it maps the connector's error kinds to outcomes.
func (a *Activities) publishConnector(ctx context.Context, key string, req PublishRequest, post *store.Post, v *store.PostVersion,
	acct *store.Account, conn publish.Connector) (publish.Result, error) {
	failed := func(format string, args ...any) error {
		return &errOutcome{ChannelOutcome{Status: store.ChannelFailed, Error: fmt.Sprintf(format, args...)}}
	}
	if a.Secrets == nil {
		return publish.Result{}, failed("the worker has no GREENLIGHT_SECRET_KEY: it cannot open the %s account's credentials", acct.Network)
	}
	creds, err := a.Secrets.Open(acct.Credentials, []byte(acct.ID))
	if err != nil {
		return publish.Result{}, failed("the %s account's credentials cannot be opened with the worker's GREENLIGHT_SECRET_KEY (or _OLD)", acct.Network)
	}
	files, err := a.postMedia(ctx, req.ClientID, v.Media)
	if err != nil {
		return publish.Result{}, err
	}
	id := acct.ID
	res, err := conn.Publish(ctx, publish.Account{
		ID: acct.ID, ClientID: acct.ClientID, Network: acct.Network, Handle: acct.Handle, ServiceURL: acct.ServiceURL,
		Credentials: creds,
		Save: func(ctx context.Context, credentials []byte) error {
			return a.Store.SaveAccountSession(ctx, id, a.Secrets.Seal(credentials, []byte(id)))
		},
		Refresh: publish.AccountRefresher(a.Store, a.Secrets, id),
	}, publish.Post{
		Key: key, PostID: req.PostID, Version: req.Version, Channel: req.Channel, Text: v.Body, Title: v.Title,
		Media: files, CreatedAt: post.CreatedAt, PublishAt: post.PublishAt,
	})
	metrics.Publication(req.Channel, metrics.PublicationResult(err))
	if err == nil {
		return res, nil
	}
	msg := errorText(err)
	switch publish.KindOf(err) {
	case publish.KindRateLimit:
		var pe *publish.Error
		errors.As(err, &pe)
		return publish.Result{}, &errOutcome{ChannelOutcome{Status: ChannelRateLimited, Error: msg, RetryAfter: pe.RetryAfter}}
	case publish.KindAuth:
		if err := a.reconnectNotice(ctx, acct, msg); err != nil {
			return publish.Result{}, err
		}
		return publish.Result{}, failed("reconnect the %s account %s: %s", acct.Network, acct.Handle, msg)
	case publish.KindPermanent:
		return publish.Result{}, failed("%s", msg)
	case publish.KindAmbiguous:
		return publish.Result{}, &errOutcome{ChannelOutcome{Status: store.ChannelUnconfirmed, Error: msg +
			": it may or may not be online; check the account before publishing it again"}}
	}
	return publish.Result{}, err
}

// mediaURLTTL is how long the signed URL of a file handed to a network works.
const mediaURLTTL = 24 * time.Hour

// postMedia describes a version's files for a connector: the approved bytes (by digest,
// never the library's current file of that id) and, when a public URL is configured, a
// signed URL to them.
func (a *Activities) postMedia(ctx context.Context, clientID string, refs []greenlight.MediaRef) ([]publish.Media, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	if a.Library == nil {
		return nil, &errOutcome{ChannelOutcome{Status: store.ChannelFailed,
			Error: "the worker has no media library: set GREENLIGHT_MEDIA_DIR to the API's media directory"}}
	}
	out := make([]publish.Media, 0, len(refs))
	for _, ref := range refs {
		m, err := a.Store.Media(ctx, ref.ID)
		if err != nil {
			if greenlight.IsCode(err, greenlight.ENOTFOUND) {
				return nil, &errOutcome{ChannelOutcome{Status: store.ChannelFailed, Error: "media " + ref.ID + " is no longer in the library"}}
			}
			return nil, err
		}
		if m.ClientID != clientID {
			return nil, &errOutcome{ChannelOutcome{Status: store.ChannelFailed, Error: "media " + ref.ID + " belongs to another client"}}
		}
		sha := ref.SHA256
		pm := publish.Media{
			ID: ref.ID, SHA256: sha, ContentType: ref.ContentType, Size: m.Size, Width: m.Width, Height: m.Height, Alt: ref.Alt,
			Open: func() (io.ReadCloser, error) { return a.Library.Open(sha) },
		}
		if m.DurationMS != nil {
			pm.DurationMS = *m.DurationMS
		}
		if a.BaseURL != "" {
			// The path the API serves media at (service.MediaPath).
			pm.URL = a.BaseURL + a.Library.SignURL("/media/"+ref.ID+"/file", time.Now().Add(mediaURLTTL))
		}
		out = append(out, pm)
	}
	return out, nil
}

// reconnectNotice marks an account needs_reconnect (if it is not already) and emails the
// client's editors, once per episode: the effect key names the account and the time it
// was marked, so every publication failing on it until a reconnection finds the emails
// sent, and the next episode emails again.
func (a *Activities) reconnectNotice(ctx context.Context, acct *store.Account, reason string) error {
	since, err := a.Store.MarkNeedsReconnect(ctx, acct.ID, reason, time.Now())
	if err != nil {
		return err
	}
	client, err := a.Store.Client(ctx, acct.ClientID)
	if err != nil {
		return err
	}
	return a.emailAccountEditors(ctx, acct, fmt.Sprintf("needs-reconnect/%d", since.UnixMicro()),
		fmt.Sprintf("[%s] Reconnect the %s account %s", client.Name, acct.Network, acct.Handle),
		fmt.Sprintf("%s no longer accepts the credentials of %s's account %s (%s). Posts for this account fail until someone connects it again.",
			acct.Network, client.Name, acct.Handle, reason),
		a.BaseURL+"/admin/clients/"+acct.ClientID)
}

// emailAccountEditors emails the editors of an account's client, once each under the
// effect key account/<id>/<episode>/<email>: episode names what the email is about (a
// needs_reconnect episode, a reconnect-by date), so a later episode emails again.
func (a *Activities) emailAccountEditors(ctx context.Context, acct *store.Account, episode, subject, body, link string) error {
	editors, err := a.Store.UsersWithRole(ctx, greenlight.RoleEditor, acct.ClientID)
	if err != nil {
		return err
	}
	for _, u := range editors {
		key := fmt.Sprintf("account/%s/%s/%s", acct.ID, episode, u.Email)
		err := a.once(ctx, key, "email", func() (string, error) {
			msg, err := staffEmail(subject, u.Name, body, link)
			if err != nil {
				return "", err
			}
			msg.Key, msg.To, msg.ToName = key, u.Email, u.Name
			return "", a.Mail.Send(ctx, msg)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// RecordChannelFailure writes that the workflow gave up on a channel (run as a local
// activity): its row becomes failed with the reason, unless the channel was published
// meanwhile (a late success wins).
func (a *Activities) RecordChannelFailure(ctx context.Context, f ChannelFailure) error {
	row, err := a.Store.PostChannel(ctx, f.PostID, f.Version, f.Channel)
	switch {
	case err == nil && row.Status == store.ChannelPublished:
		return nil
	case err == nil:
	case greenlight.IsCode(err, greenlight.ENOTFOUND):
		row = &store.PostChannel{PostID: f.PostID, Version: f.Version, Channel: f.Channel, AccountID: f.AccountID}
	default:
		return err
	}
	row.Status, row.Error, row.UpdatedAt = store.ChannelFailed, f.Error, time.Now().UTC()
	return asTemporal(a.Store.SavePostChannel(ctx, row))
}

// saveChannel writes an outcome to the channel's row (a rate limit leaves it pending).
func (a *Activities) saveChannel(ctx context.Context, row *store.PostChannel, out ChannelOutcome) error {
	row.AccountID, row.Status, row.RemoteID, row.URL, row.Error = out.AccountID, out.Status, out.RemoteID, out.URL, out.Error
	if out.Status == ChannelRateLimited {
		row.Status = store.ChannelPending
	}
	row.UpdatedAt = time.Now().UTC()
	return a.Store.SavePostChannel(ctx, row)
}

// errorText is an error's message for a row and the history: a connector's own message,
// a domain error's message, or the error.
func errorText(err error) string {
	var pe *publish.Error
	if errors.As(err, &pe) {
		return pe.Network + ": " + pe.Message
	}
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae.Message()
	}
	if greenlight.ErrorCode(err) != greenlight.EINTERNAL {
		return greenlight.ErrorMessage(err)
	}
	return err.Error()
}

// ChannelLive is an author's finding that an unconfirmed channel is live at URL.
type ChannelLive struct {
	PostID  string
	Version int
	Channel string
	URL     string
}

// RecordChannelLive records that a channel the network did not confirm is live (run as a
// local activity): its publication effect is marked done with the link, so that nothing
// ever publishes it again under its key, and its row becomes published with that link.
func (a *Activities) RecordChannelLive(ctx context.Context, in ChannelLive) error {
	key := publishKey(in.PostID, in.Version, in.Channel)
	row, err := a.Store.PostChannel(ctx, in.PostID, in.Version, in.Channel)
	switch {
	case err == nil:
	case greenlight.IsCode(err, greenlight.ENOTFOUND):
		row = &store.PostChannel{PostID: in.PostID, Version: in.Version, Channel: in.Channel}
	default:
		return asTemporal(err)
	}
	done, _, err := a.Store.BeginEffect(ctx, key, "publish")
	if err != nil {
		return asTemporal(err)
	}
	if !done {
		b, err := json.Marshal(published{AccountID: row.AccountID, URL: in.URL})
		if err != nil {
			return err
		}
		if err := a.Store.FinishEffect(ctx, key, string(b)); err != nil {
			return asTemporal(err)
		}
	}
	row.Status, row.URL, row.Error, row.UpdatedAt = store.ChannelPublished, in.URL, "", time.Now().UTC()
	return asTemporal(a.Store.SavePostChannel(ctx, row))
}
