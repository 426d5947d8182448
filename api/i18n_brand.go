package api

import "fmt"

// The strings of client looks, deadlines, client settings and approval insights, kept apart
// from i18n.go so that features touching the interface at once merge cleanly; init adds
// them to messages.
var brandMessages = map[string]map[string]string{
	"en": {
		"deadline.title":      "Deadline",
		"deadline.approve":    "Approve before %s to publish on time.",
		"deadline.after":      "After that, the post is not published: it expires and the agency is told.",
		"deadline.escalation": "If nobody has decided by %s, the agency's team is alerted.",
		"brand.logo":          "%s logo",
		"settings.title":      "Client settings", "settings.time_zone": "Time zone (IANA, e.g. Europe/Paris)",
		"settings.language": "Language of client pages and emails", "settings.sender_name": "Sender name in emails (“… via agency”)",
		"settings.brand_color": "Brand colour (#rrggbb, empty for the default)", "settings.logo": "Logo (an image of this client's media)",
		"settings.no_logo": "No logo", "settings.reminder_after": "Remind approvers after (e.g. 24h; empty for the default)",
		"settings.escalate_after": "Escalate to the agency after (e.g. 72h; empty for the default)",
		"settings.preview":        "Header preview", "settings.save": "Save settings",
		"stats.title": "Approval insights", "stats.link": "Approval insights", "stats.from": "From", "stats.to": "To",
		"stats.show": "Show", "stats.month": "Month", "stats.median": "Median time to decision",
		"stats.p90": "90th percentile", "stats.rounds": "Revision rounds per post", "stats.on_time": "Published on time",
		"stats.expired": "Expired", "stats.requests": "Requests", "stats.decided": "Decided", "stats.due": "Due",
		"stats.none": "—", "stats.zone": "Months and dates in %s.", "stats.json": "As JSON",
		"stats.hours": "hours",
	},
	"fr": {
		"deadline.title":      "Échéance",
		"deadline.approve":    "Validez avant %s pour une publication à l'heure.",
		"deadline.after":      "Passé ce délai, le post n'est pas publié : il expire et l'agence en est avertie.",
		"deadline.escalation": "Si personne n'a décidé avant %s, l'équipe de l'agence est alertée.",
		"brand.logo":          "Logo de %s",
		"settings.title":      "Réglages du client", "settings.time_zone": "Fuseau horaire (IANA, p. ex. Europe/Paris)",
		"settings.language": "Langue des pages et e-mails du client", "settings.sender_name": "Nom d'expéditeur des e-mails (« … via agence »)",
		"settings.brand_color": "Couleur de marque (#rrggbb, vide pour celle par défaut)", "settings.logo": "Logo (une image des médias de ce client)",
		"settings.no_logo": "Pas de logo", "settings.reminder_after": "Relancer les validateurs après (p. ex. 24h ; vide pour la valeur par défaut)",
		"settings.escalate_after": "Alerter l'agence après (p. ex. 72h ; vide pour la valeur par défaut)",
		"settings.preview":        "Aperçu de l'en-tête", "settings.save": "Enregistrer les réglages",
		"stats.title": "Statistiques de validation", "stats.link": "Statistiques de validation", "stats.from": "Du", "stats.to": "Au",
		"stats.show": "Afficher", "stats.month": "Mois", "stats.median": "Délai médian de décision",
		"stats.p90": "90e centile", "stats.rounds": "Tours de corrections par post", "stats.on_time": "Publiés à l'heure",
		"stats.expired": "Expirés", "stats.requests": "Demandes", "stats.decided": "Décidées", "stats.due": "Prévus",
		"stats.none": "—", "stats.zone": "Mois et dates en %s.", "stats.json": "En JSON",
		"stats.hours": "heures",
	},
}

func init() { addMessages(brandMessages) }

// sprintf is translate with arguments.
func sprintf(lang, key string, args ...any) string { return fmt.Sprintf(translate(lang, key), args...) }
