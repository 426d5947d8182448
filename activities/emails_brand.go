package activities

import (
	"context"
	"fmt"
	htmltemplate "html/template"
	texttemplate "text/template"
	"time"

	"github.com/greenlight/greenlight/brand"
	"github.com/greenlight/greenlight/media"
	"github.com/greenlight/greenlight/store"
)

// Client emails (approval requests and reminders) are written in the client's language,
// with times in its zone, its colour (text colour chosen for contrast) and logo, and sent
// as "<sender name> via <agency>".

// clientStrings are the words of client emails, by language.
var clientStrings = map[string]map[string]string{
	"en": {
		"reminder_subject": "Reminder: ", "subject": "Approval needed",
		"hello": "Hello %s,", "reminder": "This is a reminder: ", "intro": "%s has prepared a post for %s and needs your approval.",
		"title": "Title", "channels": "Channels", "publish_at": "Publish at", "version": "Version",
		"files": "%d files with this post:", "file": "1 file with this post:", "image": "Image", "video": "Video", "watch": "Watch video %d",
		"cta_text": "Approve it or request changes here:", "cta": "Review the post",
		"deadline": "Approve before %s to publish on time.",
		"after":    "After that, the post is not published: it expires and the agency is told.",
		"personal": "This link is personal, works once, for this exact version only, until %s.",
		"opening":  "Opening it changes nothing: only your decision on the page does.",
		"logo":     "%s logo",
	},
	"fr": {
		"reminder_subject": "Relance : ", "subject": "Validation demandée",
		"hello": "Bonjour %s,", "reminder": "Ceci est une relance : ", "intro": "%s a préparé un post pour %s et attend votre validation.",
		"title": "Titre", "channels": "Réseaux", "publish_at": "Publication", "version": "Version",
		"files": "%d fichiers avec ce post :", "file": "1 fichier avec ce post :", "image": "Image", "video": "Vidéo", "watch": "Voir la vidéo %d",
		"cta_text": "Validez-le ou demandez des modifications ici :", "cta": "Voir le post",
		"deadline": "Validez avant %s pour une publication à l'heure.",
		"after":    "Passé ce délai, le post n'est pas publié : il expire et l'agence en est avertie.",
		"personal": "Ce lien est personnel, ne sert qu'une fois, pour cette version précise uniquement, jusqu'au %s.",
		"opening":  "L'ouvrir ne change rien : seule votre décision sur la page compte.",
		"logo":     "Logo de %s",
	},
}

// clientLook is the look of a client's emails, its logo signed as an absolute URL valid
// until expires (none without a media library, or when the logo is gone).
func (a *Activities) clientLook(ctx context.Context, c *store.Client, expires time.Time) brand.Look {
	l := brand.Of(c)
	if c.LogoMediaID == "" || a.Library == nil {
		return l
	}
	m, err := a.Store.Media(ctx, c.LogoMediaID)
	if err != nil || m.ClientID != c.ID {
		if a.Log != nil {
			a.Log.Warn("client logo left out", "client", c.ID, "error", fmt.Sprint(err))
		}
		return l
	}
	variant := "file"
	if m.ThumbSHA256 != "" {
		variant = "thumb"
	}
	l.LogoURL = a.BaseURL + a.Library.SignURL(media.URLPath(m.ID, variant), expires)
	return l
}

// brandApproval fills the client-facing parts of an approval email from the client's look.
func brandApproval(d *approvalData, l brand.Look) {
	d.Lang, d.S = l.Language, clientStrings[l.Language]
	d.PublishAtText, d.ExpiresText = l.Time(d.PublishAt), l.Time(d.Expires)
	d.Color, d.TextColor, d.LogoURL = "#0b6e4f", "#ffffff", l.LogoURL
	if l.Color != "" {
		d.Color, d.TextColor = l.Color, l.Text
	}
}

var (
	approvalSubject = texttemplate.Must(texttemplate.New("").Funcs(funcs).Parse(
		`{{if .Reminder}}{{.S.reminder_subject}}{{end}}[{{.Client}}] {{.S.subject}}: {{.Title}}`))
	approvalText = texttemplate.Must(texttemplate.New("").Funcs(funcs).Parse(`{{printf .S.hello .Approver}}

{{if .Reminder}}{{.S.reminder}}{{end}}{{printf .S.intro .Agency .Client}}

  {{.S.title}}: {{.Title}}
  {{.S.channels}}: {{join .Channels ", "}}
  {{.S.publish_at}}: {{.PublishAtText}}
  {{.S.version}}: {{.Version}}

{{.Body}}
{{if .Media}}
{{if gt (len .Media) 1}}{{printf .S.files (len .Media)}}{{else}}{{.S.file}}{{end}}
{{range $i, $m := .Media}}  {{if $m.Video}}{{$.S.video}}{{else}}{{$.S.image}}{{end}} {{inc $i}}{{if $m.Alt}} ({{$m.Alt}}){{end}}: {{$m.URL}}
{{end}}{{end}}
{{printf .S.deadline .PublishAtText}}
{{.S.after}}

{{.S.cta_text}}
{{.URL}}

{{printf .S.personal .ExpiresText}}
{{.S.opening}}
`))
	approvalHTML = htmltemplate.Must(htmltemplate.New("").Funcs(funcs).Parse(`<!doctype html>
<html lang="{{.Lang}}"><body style="font-family:sans-serif;max-width:600px;margin:auto;color:#1a1a1a">
{{if .LogoURL}}<p><img src="{{.LogoURL}}" alt="{{printf .S.logo .Client}}" style="max-height:48px;max-width:200px;height:auto"></p>
{{end}}<p>{{printf .S.hello .Approver}}</p>
<p>{{if .Reminder}}{{.S.reminder}}{{end}}{{printf .S.intro .Agency .Client}}</p>
<table style="border-collapse:collapse">
<tr><td style="padding:2px 8px 2px 0;color:#555">{{.S.title}}</td><td><strong>{{.Title}}</strong></td></tr>
<tr><td style="padding:2px 8px 2px 0;color:#555">{{.S.channels}}</td><td>{{join .Channels ", "}}</td></tr>
<tr><td style="padding:2px 8px 2px 0;color:#555">{{.S.publish_at}}</td><td>{{.PublishAtText}}</td></tr>
<tr><td style="padding:2px 8px 2px 0;color:#555">{{.S.version}}</td><td>{{.Version}}</td></tr>
</table>
<blockquote style="white-space:pre-wrap;border-left:3px solid #ccc;margin:16px 0;padding-left:12px">{{.Body}}</blockquote>
{{if .Media}}<p>{{range $i, $m := .Media}}{{if $m.Video}}<a href="{{$m.URL}}" style="display:inline-block;margin:0 8px 8px 0;padding:8px 12px;border:1px solid #ccc;border-radius:4px;color:#0b6e4f">&#9654; {{printf $.S.watch (inc $i)}}</a>{{else}}<a href="{{$m.URL}}"><img src="{{$m.ImageURL}}" alt="{{$m.Alt}}" width="160" style="max-width:160px;height:auto;margin:0 8px 8px 0;border:1px solid #ddd;border-radius:4px"></a>{{end}}{{end}}</p>
{{end}}<p><strong>{{printf .S.deadline .PublishAtText}}</strong> {{.S.after}}</p>
<p><a href="{{.URL}}" style="display:inline-block;background:{{.Color}};color:{{.TextColor}};padding:10px 18px;border-radius:4px;text-decoration:none">{{.S.cta}}</a></p>
<p style="color:#555;font-size:90%">{{printf .S.personal .ExpiresText}} {{.S.opening}}</p>
</body></html>`))
)
