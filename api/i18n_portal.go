package api

// The strings of client portals (portal.html, portal_gone.html and the portal card of the
// client's staff page); init adds them to messages.
var portalMessages = map[string]map[string]string{
	"en": {
		"portal.hello": "Hello %s", "portal.zone": "Times are in %s", "portal.expires": "this link works until %s",
		"portal.sections": "Portal sections", "portal.waiting": "Waiting for you", "portal.calendar": "Calendar",
		"portal.published": "Published", "portal.decisions": "Your decisions",
		"portal.waiting_none":   "Nothing is waiting for your decision.",
		"portal.decide_before":  "Approve before %s to publish on time: without approval by then, it is not published.",
		"portal.feed":           "Add this calendar to your calendar app:",
		"portal.feed_link":      "Subscribe",
		"portal.published_at":   "published %s",
		"portal.published_none": "Nothing published yet.",
		"portal.approved":       "approved", "portal.changes": "changes requested",
		"portal.decisions_none": "You have not decided on any post yet.",
		"portal.gone_title":     "This portal link does not work",
		"portal.gone":           "This portal link was revoked, replaced by a newer one, or has expired. Use the latest link the agency sent you, or ask them for a new one.",
		"portal.unknown":        "This portal link is not valid. Check that you copied the whole link from the email.",
		"portal.staff_title":    "Client portals",
		"portal.staff_help":     "A portal is a lasting personal link for one approver: what waits for them, the calendar, what was published with its certificates, and their past decisions. Sending it again replaces the previous link.",
		"portal.staff_active":   "portal active until %s", "portal.staff_none": "no portal",
		"portal.staff_send": "Send portal", "portal.staff_resend": "Send a new link", "portal.staff_revoke": "Revoke",
		"portal.staff_sent": "Portal sent to %s.", "portal.staff_revoked": "Portal revoked.",
	},
	"fr": {
		"portal.hello": "Bonjour %s", "portal.zone": "Heures en %s", "portal.expires": "ce lien fonctionne jusqu'au %s",
		"portal.sections": "Rubriques du portail", "portal.waiting": "En attente de votre décision", "portal.calendar": "Calendrier",
		"portal.published": "Publié", "portal.decisions": "Vos décisions",
		"portal.waiting_none":   "Rien n'attend votre décision.",
		"portal.decide_before":  "Validez avant le %s pour publier à temps : sans validation d'ici là, la publication n'a pas lieu.",
		"portal.feed":           "Ajoutez ce calendrier à votre agenda :",
		"portal.feed_link":      "S'abonner",
		"portal.published_at":   "publié le %s",
		"portal.published_none": "Rien n'a encore été publié.",
		"portal.approved":       "validé", "portal.changes": "modifications demandées",
		"portal.decisions_none": "Vous n'avez encore décidé d'aucune publication.",
		"portal.gone_title":     "Ce lien de portail ne fonctionne pas",
		"portal.gone":           "Ce lien de portail a été révoqué, remplacé par un plus récent, ou a expiré. Utilisez le dernier lien envoyé par l'agence, ou demandez-lui en un nouveau.",
		"portal.unknown":        "Ce lien de portail n'est pas valide. Vérifiez que vous avez copié le lien entier depuis l'e-mail.",
		"portal.staff_title":    "Portails client",
		"portal.staff_help":     "Un portail est un lien personnel durable pour un valideur : ce qui attend sa décision, le calendrier, ce qui a été publié avec ses certificats, et ses décisions passées. Le renvoyer remplace le lien précédent.",
		"portal.staff_active":   "portail actif jusqu'au %s", "portal.staff_none": "pas de portail",
		"portal.staff_send": "Envoyer le portail", "portal.staff_resend": "Envoyer un nouveau lien", "portal.staff_revoke": "Révoquer",
		"portal.staff_sent": "Portail envoyé à %s.", "portal.staff_revoked": "Portail révoqué.",
	},
}

func init() { addMessages(portalMessages) }
