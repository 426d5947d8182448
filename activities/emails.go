package activities

import (
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/mail"
	"github.com/greenlight/greenlight/media"
)

type approvalData struct {
	Agency, Client, Approver, Title, Body, URL string
	Channels                                   []string
	PublishAt, Expires                         time.Time
	Version                                    int
	Reminder                                   bool
	Media                                      []emailMedia
	// In the client's look (brandApproval): language and its words, times in the client's
	// zone, button colours, logo.
	Lang                       string
	S                          map[string]string
	PublishAtText, ExpiresText string
	Color, TextColor, LogoURL  string
}

// emailMedia is one file of the version in an approval email: absolute signed URLs, valid
// as long as the approval link.
type emailMedia struct {
	URL      string // the file
	ImageURL string // what the email shows: the thumbnail, else the file; "" for a video
	Alt      string
	Video    bool
}

// emailMedia signs the URLs of a version's files under BaseURL until expires.
func (a *Activities) emailMedia(refs []greenlight.MediaRef, expires time.Time) []emailMedia {
	if a.Library == nil {
		return nil
	}
	var out []emailMedia
	for _, r := range refs {
		m := emailMedia{URL: a.BaseURL + a.Library.SignURL(media.URLPath(r.ID, "file"), expires), Alt: r.Alt}
		if strings.HasPrefix(r.ContentType, "video/") {
			m.Video = true
		} else {
			// Every image the library keeps has a thumbnail: small enough for an email.
			m.ImageURL = a.BaseURL + a.Library.SignURL(media.URLPath(r.ID, "thumb"), expires)
		}
		out = append(out, m)
	}
	return out
}

type notificationData struct {
	Kind, Recipient, Client, Title, Comment, URL string
	Version                                      int
	PublishAt                                    time.Time
	EscalateAfter                                time.Duration
}

var funcs = map[string]any{
	"join": strings.Join,
	"inc":  func(i int) int { return i + 1 },
	"when": func(t time.Time) string { return t.UTC().Format("Mon 2 Jan 2006 15:04 MST") },
}

var (
	notificationSubjects = map[string]string{
		NotifyEscalation:       "[{{.Client}}] No client decision yet: {{.Title}}",
		NotifyExpired:          "[{{.Client}}] Post expired before approval: {{.Title}}",
		NotifyChangesRequested: "[{{.Client}}] Client requested changes: {{.Title}}",
		NotifyFailed:           "[{{.Client}}] Publishing failed: {{.Title}}",
		NotifyReturned:         "[{{.Client}}] Back to you after the crisis: {{.Title}}",
	}
	notificationBodies = map[string]string{
		NotifyEscalation:       "The client has not decided on version {{.Version}} after {{.EscalateAfter}}. It is due to publish on {{when .PublishAt}}; if nobody approves by then it expires.",
		NotifyExpired:          "The publish time ({{when .PublishAt}}) passed before the client approved version {{.Version}}. The post was not published and is now expired.",
		NotifyChangesRequested: "The client requested changes on version {{.Version}}:\n\n{{.Comment}}\n\nEdit the post and submit it again.",
		NotifyFailed:           "Version {{.Version}} could not be published: {{.Comment}}",
		NotifyReturned:         "Publishing was paused by a crisis when version {{.Version}} was due ({{when .PublishAt}}). It was not published. Set a new publish time, then submit it for approval again.",
	}
	notificationText = texttemplate.Must(texttemplate.New("").Parse(`Hello {{.Recipient}},

{{.Message}}

{{.URL}}
`))
	notificationHTML = htmltemplate.Must(htmltemplate.New("").Parse(`<!doctype html>
<html><body style="font-family:sans-serif;max-width:600px;margin:auto;color:#1a1a1a">
<p>Hello {{.Recipient}},</p><p style="white-space:pre-wrap">{{.Message}}</p>
<p><a href="{{.URL}}">Open the post</a></p></body></html>`))
)

// compose renders one email from its subject, plain-text and HTML templates.
func compose(subject, text *texttemplate.Template, html *htmltemplate.Template, data any) (mail.Message, error) {
	var m mail.Message
	var err error
	if m.Subject, err = execText(subject, data); err != nil {
		return m, err
	}
	if m.Text, err = execText(text, data); err != nil {
		return m, err
	}
	var sb strings.Builder
	if err := html.Execute(&sb, data); err != nil {
		return m, err
	}
	m.HTML = sb.String()
	return m, nil
}

func approvalEmail(d approvalData) (mail.Message, error) {
	return compose(approvalSubject, approvalText, approvalHTML, d)
}

// Notification templates, parsed once.
var (
	notificationSubjectTmpl = parseAll(notificationSubjects)
	notificationBodyTmpl    = parseAll(notificationBodies)
	staffSubject            = texttemplate.Must(texttemplate.New("").Parse("{{.Subject}}"))
)

func parseAll(src map[string]string) map[string]*texttemplate.Template {
	out := map[string]*texttemplate.Template{}
	for kind, text := range src {
		out[kind] = texttemplate.Must(texttemplate.New(kind).Funcs(funcs).Parse(text))
	}
	return out
}

func notificationEmail(d notificationData) (mail.Message, error) {
	subject, err := execText(notificationSubjectTmpl[d.Kind], d)
	if err != nil {
		return mail.Message{}, err
	}
	msg, err := execText(notificationBodyTmpl[d.Kind], d)
	if err != nil {
		return mail.Message{}, err
	}
	return staffEmail(subject, d.Recipient, msg, d.URL)
}

// staffEmail is what staff get: a subject, a message and a link to the page it is about.
func staffEmail(subject, recipient, message, url string) (mail.Message, error) {
	page := struct{ Subject, Recipient, Message, URL string }{subject, recipient, message, url}
	return compose(staffSubject, notificationText, notificationHTML, page)
}

func execText(t *texttemplate.Template, data any) (string, error) {
	var sb strings.Builder
	err := t.Execute(&sb, data)
	return sb.String(), err
}

type statementData struct {
	Agency, Client, Approver, Role, Crisis, Body, URL string
	Channels                                          []string
	Version                                           int
	Expires                                           time.Time
}

var (
	statementSubject = texttemplate.Must(texttemplate.New("").Parse(`[{{.Client}}] Holding statement to approve ({{.Crisis}})`))
	statementText    = texttemplate.Must(texttemplate.New("").Funcs(funcs).Parse(`Hello {{.Approver}},

{{.Agency}} is handling a crisis for {{.Client}} ({{.Crisis}}) and needs your approval, as {{.Role}}, of this holding statement (version {{.Version}}){{if .Channels}}, to be published on {{join .Channels ", "}}{{end}}:

{{.Body}}

Approve it or request changes here:
{{.URL}}

This link is personal, works once, for this exact version only, until {{when .Expires}}.
`))
	statementHTML = htmltemplate.Must(htmltemplate.New("").Funcs(funcs).Parse(`<!doctype html>
<html><body style="font-family:sans-serif;max-width:600px;margin:auto;color:#1a1a1a">
<p>Hello {{.Approver}},</p>
<p>{{.Agency}} is handling a crisis for <strong>{{.Client}}</strong> ({{.Crisis}}) and needs your approval, as {{.Role}}, of this holding statement (version {{.Version}}){{if .Channels}}, to be published on {{join .Channels ", "}}{{end}}:</p>
<blockquote style="white-space:pre-wrap;border-left:3px solid #a4161a;margin:16px 0;padding-left:12px">{{.Body}}</blockquote>
<p><a href="{{.URL}}" style="display:inline-block;background:#0b6e4f;color:#fff;padding:10px 18px;border-radius:4px;text-decoration:none">Review the statement</a></p>
<p style="color:#555;font-size:90%">This link is personal, works once, for this exact version only, until {{when .Expires}}.</p>
</body></html>`))
)

func statementEmail(d statementData) (mail.Message, error) {
	return compose(statementSubject, statementText, statementHTML, d)
}

type crisisData struct{ Recipient, Subject, Message, URL string }

func crisisEmail(d crisisData) (mail.Message, error) {
	return staffEmail(d.Subject, d.Recipient, d.Message, d.URL)
}
