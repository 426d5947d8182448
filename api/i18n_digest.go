package api

// The strings of the batch review page (/review), kept apart from i18n.go so that
// features touching the interface at once merge cleanly; init adds them to messages.
var digestMessages = map[string]map[string]string{
	"en": {
		"review.heading": "Posts to approve", "review.hello": "Hello %s, your decisions apply to these exact versions only.",
		"review.waiting": "%d of %d still wait for your decision.", "review.your_decision": "Your decision",
		"review.help": "Choose a decision for the posts you want to decide now (a comment is required to request changes), then send. Posts left without a decision stay waiting.",
		"review.send": "Send my decisions", "review.approve_all": "Approve all remaining",
		"review.gone":             "Nothing in this batch waits for your decision any more: every post was decided, replaced or expired.",
		"review.comment_required": "Please write a comment for each post on which you request changes.",
		"review.invalid":          "Something in the form is not valid: please check your choices.",
		"review.state_replaced":   "This post was edited since the email: this version can no longer be decided. You will receive the new version.",
		"review.state_decided":    "Your decision on this version is recorded.",
		"review.state_closed":     "This post no longer waits for your approval.",
		"review.state_expired":    "This link has expired. Ask the agency for a new one.",
		"review.done":             "Thank you, your decisions are recorded",
		"review.result_scheduled": "approved, scheduled to publish", "review.result_awaiting_client": "approved, waiting for the other approvers",
		"review.result_changes_requested": "changes requested: the agency will send a new version",
		"review.result_replaced":          "not decided: replaced by a newer version", "review.result_decided": "already decided",
		"review.result_closed": "not decided: no longer waiting for you", "review.result_expired": "not decided: the link expired",
		"review.still_open":   "%d post(s) still wait for your decision",
		"admin.digest_window": "Approval emails: gather within", "admin.digest_hint": "One email per approver for the posts waiting within this time (10m, 1h); 0s sends one email per post.",
	},
	"fr": {
		"review.heading": "Publications à valider", "review.hello": "Bonjour %s, vos décisions ne valent que pour ces versions précises.",
		"review.waiting": "%d sur %d attendent encore votre décision.", "review.your_decision": "Votre décision",
		"review.help": "Choisissez une décision pour les publications à traiter maintenant (un commentaire est obligatoire pour demander des modifications), puis envoyez. Les autres restent en attente.",
		"review.send": "Envoyer mes décisions", "review.approve_all": "Tout valider (le reste)",
		"review.gone":             "Plus rien dans ce lot n'attend votre décision : chaque publication a été traitée, remplacée ou a expiré.",
		"review.comment_required": "Merci d'écrire un commentaire pour chaque publication sur laquelle vous demandez des modifications.",
		"review.invalid":          "Un élément du formulaire n'est pas valide : merci de vérifier vos choix.",
		"review.state_replaced":   "Cette publication a été modifiée depuis l'e-mail : cette version ne peut plus être validée. Vous recevrez la nouvelle version.",
		"review.state_decided":    "Votre décision sur cette version est enregistrée.",
		"review.state_closed":     "Cette publication n'attend plus votre validation.",
		"review.state_expired":    "Ce lien a expiré. Demandez-en un nouveau à l'agence.",
		"review.done":             "Merci, vos décisions sont enregistrées",
		"review.result_scheduled": "validée, publication programmée", "review.result_awaiting_client": "validée, en attente des autres valideurs",
		"review.result_changes_requested": "modifications demandées : l'agence enverra une nouvelle version",
		"review.result_replaced":          "non traitée : remplacée par une version plus récente", "review.result_decided": "déjà traitée",
		"review.result_closed": "non traitée : n'attend plus votre décision", "review.result_expired": "non traitée : le lien a expiré",
		"review.still_open":   "%d publication(s) attendent encore votre décision",
		"admin.digest_window": "E-mails de validation : regrouper sur", "admin.digest_hint": "Un e-mail par valideur pour les publications en attente sur cette durée (10m, 1h) ; 0s envoie un e-mail par publication.",
	},
}

func init() { addMessages(digestMessages) }
