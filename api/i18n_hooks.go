package api

// The strings of the event webhooks pages, kept apart from i18n.go; init adds them to
// messages.
var hookMessages = map[string]map[string]string{
	"en": {
		"nav.webhooks": "Webhooks", "hooks.title": "Event webhooks",
		"hooks.intro": "Greenlight POSTs each event to the subscribed URLs, signed as the Standard Webhooks specification says, retried for 24 hours, in order per post or crisis.",
		"hooks.new":   "New subscription", "hooks.url": "Receiver URL", "hooks.description": "Description",
		"hooks.events": "Events", "hooks.create": "Subscribe", "hooks.state": "State", "hooks.enabled": "Enabled",
		"hooks.disabled": "Disabled", "hooks.delete": "Delete", "hooks.none": "No subscriptions yet.",
		"hooks.deleted": "Subscription deleted.", "hooks.redelivering": "Sending again: a new attempt with the same webhook-id.",
		"hooks.secret_once": "Signing secret: copy it now, it will not be shown again",
		"hooks.deliveries":  "Latest deliveries", "hooks.event": "Event", "hooks.attempts": "Attempts",
		"hooks.redeliver": "Redeliver", "hooks.no_deliveries": "Nothing delivered yet.",
		"hooks.status.pending": "Pending", "hooks.status.delivered": "Delivered", "hooks.status.failed": "Failed",
	},
	"fr": {
		"nav.webhooks": "Webhooks", "hooks.title": "Webhooks d'événements",
		"hooks.intro": "Greenlight envoie chaque événement (POST) aux URL abonnées, signé selon la spécification Standard Webhooks, réessayé pendant 24 heures, dans l'ordre pour chaque publication ou crise.",
		"hooks.new":   "Nouvel abonnement", "hooks.url": "URL du destinataire", "hooks.description": "Description",
		"hooks.events": "Événements", "hooks.create": "S'abonner", "hooks.state": "État", "hooks.enabled": "Actif",
		"hooks.disabled": "Désactivé", "hooks.delete": "Supprimer", "hooks.none": "Aucun abonnement pour l'instant.",
		"hooks.deleted": "Abonnement supprimé.", "hooks.redelivering": "Nouvel envoi : une nouvelle tentative avec le même webhook-id.",
		"hooks.secret_once": "Secret de signature : copiez-le maintenant, il ne sera plus affiché",
		"hooks.deliveries":  "Derniers envois", "hooks.event": "Événement", "hooks.attempts": "Tentatives",
		"hooks.redeliver": "Renvoyer", "hooks.no_deliveries": "Rien n'a encore été envoyé.",
		"hooks.status.pending": "En attente", "hooks.status.delivered": "Livré", "hooks.status.failed": "Échec",
	},
}

func init() { addMessages(hookMessages) }
