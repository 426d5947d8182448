package activities

import (
	"context"
	htmltemplate "html/template"
	texttemplate "text/template"
	"time"

	"github.com/greenlight/greenlight"
)

// PortalEmailInput names the portal whose link is emailed to its approver.
type PortalEmailInput struct {
	PortalID string
}

// EmailPortal emails an approver the link of their portal, once under the key
// portal/<id>/email (an idempotency key per portal: sending the portal again makes a new
// portal, hence a new email). The link's token is read from the portal's outbox, kept only
// until the email is sent: a portal revoked or replaced before its email went out is not
// sent (its token is gone with the outbox row).
func (a *Activities) EmailPortal(ctx context.Context, in PortalEmailInput) error {
	ps := a.Store
	p, err := ps.Portal(ctx, in.PortalID)
	if err != nil {
		return asTemporal(err)
	}
	key := "portal/" + p.ID + "/email"
	err = a.once(ctx, key, "email", func() (string, error) {
		token, err := ps.PortalEmailToken(ctx, p.ID)
		if greenlight.IsCode(err, greenlight.ENOTFOUND) {
			return "not sent: the portal was revoked or replaced first", nil
		} else if err != nil {
			return "", err
		}
		client, err := a.Store.Client(ctx, p.ClientID)
		if err != nil {
			return "", err
		}
		name := p.ApproverEmail
		for _, ap := range client.Approvers {
			if ap.ID == p.ApproverID {
				name = ap.Name
			}
		}
		msg, err := compose(portalSubject, portalText, portalHTML, portalData{
			Agency: a.Agency, Client: client.Name, Approver: name, URL: a.BaseURL + "/portal/" + token, Expires: p.ExpiresAt,
		})
		if err != nil {
			return "", err
		}
		msg.Key, msg.To, msg.ToName = key, p.ApproverEmail, name
		return "sent", a.Mail.Send(ctx, msg)
	})
	if err != nil {
		return asTemporal(err)
	}
	return asTemporal(ps.PortalEmailSent(ctx, p.ID))
}

type portalData struct {
	Agency, Client, Approver, URL string
	Expires                       time.Time
}

var (
	portalSubject = texttemplate.Must(texttemplate.New("").Parse(`[{{.Client}}] Your approval portal`))
	portalText    = texttemplate.Must(texttemplate.New("").Funcs(funcs).Parse(`Hello {{.Approver}},

{{.Agency}} opened a portal for you as an approver of {{.Client}}: the posts waiting for
your decision, the calendar of what is scheduled, what was published (with approval
certificates) and your past decisions, all in one place.

{{.URL}}

Keep this link to yourself: it opens your portal without a password, until
{{when .Expires}}. A new link from the agency replaces this one.
`))
	portalHTML = htmltemplate.Must(htmltemplate.New("").Funcs(funcs).Parse(`<!doctype html>
<html><body style="font-family:sans-serif;max-width:600px;margin:auto;color:#1a1a1a">
<p>Hello {{.Approver}},</p>
<p>{{.Agency}} opened a portal for you as an approver of <strong>{{.Client}}</strong>: the posts waiting for your decision, the calendar of what is scheduled, what was published (with approval certificates) and your past decisions, all in one place.</p>
<p><a href="{{.URL}}" style="display:inline-block;background:#0b6e4f;color:#fff;padding:10px 18px;border-radius:4px;text-decoration:none">Open my portal</a></p>
<p style="color:#555;font-size:90%">Keep this link to yourself: it opens your portal without a password, until {{when .Expires}}. A new link from the agency replaces this one.</p>
</body></html>`))
)
