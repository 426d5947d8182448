package api

// The strings of a client's settings form (staff).
var settingsMessages = map[string]map[string]string{
	"en": {
		"settings.title":     "Client's look, language and clock",
		"settings.help":      "Client pages and emails use these; empty timers take the defaults (24h, 72h); a digest window of 0s sends one email per post.",
		"settings.time_zone": "Time zone (IANA)", "settings.language": "Language", "settings.sender_name": "Sender name (\"… via agency\")",
		"settings.brand_color": "Brand colour (#rrggbb)", "settings.logo": "Logo (an image id of the client's media library)",
		"settings.reminder_after": "Remind approvers after", "settings.escalate_after": "Escalate after", "settings.digest_window": "Batch approval emails over",
	},
	"fr": {
		"settings.title":     "Apparence, langue et fuseau du client",
		"settings.help":      "Les pages et e-mails du client les utilisent ; des délais vides prennent les valeurs par défaut (24h, 72h) ; une fenêtre de 0s envoie un e-mail par post.",
		"settings.time_zone": "Fuseau horaire (IANA)", "settings.language": "Langue", "settings.sender_name": "Nom d'expéditeur (« … via l'agence »)",
		"settings.brand_color": "Couleur de marque (#rrggbb)", "settings.logo": "Logo (identifiant d'une image de la médiathèque du client)",
		"settings.reminder_after": "Relancer les validateurs après", "settings.escalate_after": "Escalader après", "settings.digest_window": "Regrouper les e-mails de validation sur",
	},
}

func init() { addMessages(settingsMessages) }
