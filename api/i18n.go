package api

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Languages of the interface; the first is the default.
var languages = []string{"en", "fr"}

// messages holds every interface string by language. A missing French string falls back
// to English, a missing key shows the key (a test checks there are none).
var messages = map[string]map[string]string{
	"en": {
		"app.name": "Greenlight", "nav.board": "Board", "nav.calendar": "Calendar", "nav.new": "New post",
		"nav.crises": "Crises", "nav.users": "Users", "nav.clients": "Clients", "nav.mail": "Mail (dev)",
		"nav.logout": "Sign out", "nav.lang": "Français", "nav.menu": "Main menu",
		"login.title": "Sign in", "login.email": "Email", "login.password": "Password", "login.submit": "Sign in",
		"invite.title": "Set your password", "invite.hello": "Welcome %s: choose a password of at least 10 characters.",
		"invite.submit": "Set password and sign in",
		"board.title":   "Board", "board.client": "Client", "board.all": "All clients", "board.search": "Search",
		"board.filter": "Filter", "board.empty": "No posts.", "board.status": "Status", "board.all_status": "All statuses",
		"board.more":   "Next page",
		"status.draft": "Draft", "status.in_review": "In review", "status.changes_requested": "Changes requested",
		"status.awaiting_client": "Awaiting client", "status.scheduled": "Scheduled", "status.published": "Published",
		"status.expired": "Expired", "status.cancelled": "Cancelled", "status.failed": "Failed",
		"cal.title": "Calendar", "cal.week": "Week", "cal.month": "Month", "cal.prev": "Previous", "cal.next": "Next",
		"cal.today": "Today", "cal.none": "Nothing scheduled.",
		"post.new": "New post", "post.title": "Title", "post.body": "Text", "post.channels": "Channels",
		"post.publish_at": "Publish at", "post.media": "Media URLs (one per line)", "post.client": "Client",
		"post.create": "Create draft", "post.save": "Save (new version)", "post.submit": "Submit for review",
		"post.approve": "Approve", "post.request_changes": "Request changes", "post.comment": "Comment",
		"post.cancel": "Cancel post", "post.reschedule": "Reschedule", "post.version": "Version",
		"post.versions": "Versions", "post.compare": "Compare", "post.history": "History", "post.approvals": "Approvals",
		"post.preview": "Preview per channel", "post.over": "over by %d", "post.edit": "Edit", "post.review": "Review",
		"post.held": "Held by a crisis", "post.reason": "Reason", "post.timezone": "Times are in %s.",
		"post.needs_time": "The publish time passed while a crisis held publishing: set a new time, then submit again.",
		"crisis.list":     "Crises", "crisis.start": "Start a crisis", "crisis.playbook": "Playbook", "crisis.severity": "Severity",
		"crisis.summary": "What is happening", "crisis.go": "Start", "crisis.phase": "Phase", "crisis.steps": "Steps",
		"crisis.owner": "Owner", "crisis.due": "Due", "crisis.complete": "Complete", "crisis.assign": "Assign",
		"crisis.note": "Note", "crisis.timeline": "Timeline", "crisis.statement": "Holding statement",
		"crisis.statement_send": "Send for approval", "crisis.resolve": "Resolve the crisis", "crisis.report": "Report",
		"crisis.mentions": "Mentions, last 24 hours", "crisis.negative": "negative", "crisis.live": "Updates live",
		"crisis.none": "No crisis.", "crisis.active": "Active", "crisis.resolved": "Resolved",
		"crisis.download": "Download Markdown", "crisis.warnings": "Nobody can approve the statement yet", "crisis.late": "late", "crisis.left": "left",
		"admin.users": "Users", "admin.invite": "Invite a user", "admin.name": "Name", "admin.role": "Role",
		"admin.scope": "Limited to clients", "admin.save": "Save", "admin.revoke": "Revoke API key",
		"admin.newkey": "New API key", "admin.reinvite": "New invite link", "admin.clients": "Clients",
		"admin.new_client": "New client", "admin.approvers": "Approvers (one per line: Name <email>)",
		"admin.policy": "Approval policy", "admin.contacts": "Crisis contacts", "admin.rules": "Trigger rules",
		"admin.contacts_help": "One per line: role, name, email[, backup name, backup email]",
		"admin.min_negative":  "Negative mentions", "admin.window": "Within minutes", "admin.add_rule": "Add rule",
		"admin.delete": "Delete", "admin.webhook": "Publishing webhook URL", "admin.slack": "Slack webhook URL",
		"admin.configured": "configured (shown to admins only)", "admin.not_configured": "not configured",
		"admin.key_once": "API key (shown once)", "admin.invite_link": "Invite link (send it to the user)",
		"common.saved": "Saved.", "common.error": "Something went wrong", "common.back": "Back",
		"mail.title": "Caught mail", "mail.all": "All mail",
		"approve.for": "%s for %s", "approve.version": "Version %d", "approve.to_publish": "to publish %s",
		"approve.where": "Where it will appear", "approve.published": "Live now", "approve.chars": "characters", "approve.text": "Text to approve",
		"approve.hello":   "Hello %s, your decision applies to this exact version only.",
		"approve.comment": "Comment", "approve.required": "(required to request changes)",
		"approve.approve": "Approve", "approve.request": "Request changes", "approve.cut": "beyond this network's limit", "approve.crisis": "crisis: %s",
		"done.thanks": "Thank you", "done.approved": "Thank you, your approval is recorded",
		"done.approved_text": "You approved version %d of “%s”.", "done.scheduled": "It is scheduled to publish %s.",
		"done.all":              "It will be scheduled once every approver has approved.",
		"done.changes":          "Thank you, your request is sent",
		"done.changes_text":     "The agency will prepare a new version of “%s” and send it to you for approval.",
		"done.close":            "You can close this page.",
		"link.used":             "This link was already used: your decision on this version is recorded.",
		"link.replaced":         "This version was replaced by a newer one. You will receive a new link when it is ready for your approval.",
		"link.expired":          "This link has expired. Ask the agency for a new one.",
		"link.closed":           "This is not waiting for your approval any more.",
		"link.comment_required": "Please write a comment to say what should change.",
		"crisis.resolution":     "How it ended (goes into the report)", "event.prefix": "",
	},
	"fr": {
		"nav.board": "Tableau", "nav.calendar": "Calendrier", "nav.new": "Nouveau post", "nav.crises": "Crises",
		"nav.users": "Utilisateurs", "nav.clients": "Clients", "nav.mail": "Mails (dev)", "nav.logout": "Se déconnecter",
		"nav.lang": "English", "nav.menu": "Menu principal",
		"login.title": "Connexion", "login.email": "E-mail", "login.password": "Mot de passe", "login.submit": "Se connecter",
		"invite.title": "Choisir votre mot de passe", "invite.hello": "Bienvenue %s : choisissez un mot de passe d'au moins 10 caractères.",
		"invite.submit": "Enregistrer et se connecter",
		"board.title":   "Tableau", "board.client": "Client", "board.all": "Tous les clients", "board.search": "Rechercher",
		"board.filter": "Filtrer", "board.empty": "Aucun post.", "board.status": "Statut", "board.all_status": "Tous les statuts",
		"board.more":   "Page suivante",
		"status.draft": "Brouillon", "status.in_review": "En relecture", "status.changes_requested": "Modifications demandées",
		"status.awaiting_client": "Attente client", "status.scheduled": "Programmé", "status.published": "Publié",
		"status.expired": "Expiré", "status.cancelled": "Annulé", "status.failed": "Échec",
		"cal.title": "Calendrier", "cal.week": "Semaine", "cal.month": "Mois", "cal.prev": "Précédent", "cal.next": "Suivant",
		"cal.today": "Aujourd'hui", "cal.none": "Rien de programmé.",
		"post.new": "Nouveau post", "post.title": "Titre", "post.body": "Texte", "post.channels": "Réseaux",
		"post.publish_at": "Publier le", "post.media": "URL des médias (une par ligne)", "post.client": "Client",
		"post.create": "Créer le brouillon", "post.save": "Enregistrer (nouvelle version)", "post.submit": "Envoyer en relecture",
		"post.approve": "Valider", "post.request_changes": "Demander des modifications", "post.comment": "Commentaire",
		"post.cancel": "Annuler le post", "post.reschedule": "Reprogrammer", "post.version": "Version",
		"post.versions": "Versions", "post.compare": "Comparer", "post.history": "Historique", "post.approvals": "Validations",
		"post.preview": "Aperçu par réseau", "post.over": "%d de trop", "post.edit": "Modifier", "post.review": "Relecture",
		"post.held": "Bloqué par une crise", "post.reason": "Motif", "post.timezone": "Heures en %s.",
		"post.needs_time": "L'heure de publication est passée pendant le gel des publications : choisissez une nouvelle heure puis renvoyez en relecture.",
		"crisis.list":     "Crises", "crisis.start": "Déclencher une crise", "crisis.playbook": "Playbook", "crisis.severity": "Gravité",
		"crisis.summary": "Ce qui se passe", "crisis.go": "Déclencher", "crisis.phase": "Phase", "crisis.steps": "Étapes",
		"crisis.owner": "Responsable", "crisis.due": "Échéance", "crisis.complete": "Terminer", "crisis.assign": "Attribuer",
		"crisis.note": "Note", "crisis.timeline": "Chronologie", "crisis.statement": "Déclaration d'attente",
		"crisis.statement_send": "Envoyer en validation", "crisis.resolve": "Clore la crise", "crisis.report": "Bilan",
		"crisis.mentions": "Mentions, dernières 24 heures", "crisis.negative": "négatives", "crisis.live": "Mise à jour en direct",
		"crisis.none": "Aucune crise.", "crisis.active": "En cours", "crisis.resolved": "Close",
		"crisis.download": "Télécharger en Markdown", "crisis.warnings": "Personne ne peut encore valider la déclaration", "crisis.late": "en retard", "crisis.left": "restant",
		"admin.users": "Utilisateurs", "admin.invite": "Inviter un utilisateur", "admin.name": "Nom", "admin.role": "Rôle",
		"admin.scope": "Limité aux clients", "admin.save": "Enregistrer", "admin.revoke": "Révoquer la clé API",
		"admin.newkey": "Nouvelle clé API", "admin.reinvite": "Nouveau lien d'invitation", "admin.clients": "Clients",
		"admin.new_client": "Nouveau client", "admin.approvers": "Valideurs (un par ligne : Nom <email>)",
		"admin.policy": "Règle de validation", "admin.contacts": "Contacts de crise", "admin.rules": "Règles de déclenchement",
		"admin.contacts_help": "Un par ligne : rôle, nom, email[, nom du suppléant, email du suppléant]",
		"admin.min_negative":  "Mentions négatives", "admin.window": "En minutes", "admin.add_rule": "Ajouter la règle",
		"admin.delete": "Supprimer", "admin.webhook": "URL du webhook de publication", "admin.slack": "URL du webhook Slack",
		"admin.configured": "configurée (visible des admins seulement)", "admin.not_configured": "non configurée",
		"admin.key_once": "Clé API (affichée une seule fois)", "admin.invite_link": "Lien d'invitation (à envoyer)",
		"common.saved": "Enregistré.", "common.error": "Une erreur est survenue", "common.back": "Retour",
		"mail.title": "Mails interceptés", "mail.all": "Tous les mails",
		"approve.for": "%s pour %s", "approve.version": "Version %d", "approve.to_publish": "publication prévue %s",
		"approve.where": "Où il sera publié", "approve.published": "En ligne", "approve.chars": "caractères", "approve.text": "Texte à valider",
		"approve.hello":   "Bonjour %s, votre décision ne vaut que pour cette version précise.",
		"approve.comment": "Commentaire", "approve.required": "(obligatoire pour demander des modifications)",
		"approve.approve": "Valider", "approve.request": "Demander des modifications", "approve.cut": "au-delà de la limite de ce réseau", "approve.crisis": "crise : %s",
		"done.thanks": "Merci", "done.approved": "Merci, votre validation est enregistrée",
		"done.approved_text": "Vous avez validé la version %d de « %s ».", "done.scheduled": "Publication programmée %s.",
		"done.all":              "Il sera programmé quand tous les valideurs auront validé.",
		"done.changes":          "Merci, votre demande est transmise",
		"done.changes_text":     "L'agence va préparer une nouvelle version de « %s » et vous l'enverra pour validation.",
		"done.close":            "Vous pouvez fermer cette page.",
		"link.used":             "Ce lien a déjà servi : votre décision sur cette version est enregistrée.",
		"link.replaced":         "Cette version a été remplacée par une plus récente. Vous recevrez un nouveau lien quand elle sera prête.",
		"link.expired":          "Ce lien a expiré. Demandez-en un nouveau à l'agence.",
		"link.closed":           "Ceci n'attend plus votre validation.",
		"link.comment_required": "Merci d'écrire un commentaire pour dire ce qui doit changer.",
		"crisis.resolution":     "Comment la crise s'est terminée (repris dans le bilan)",
	},
}

// translate returns the string for key in lang.
func translate(lang, key string) string {
	if s, ok := messages[lang][key]; ok {
		return s
	}
	if s, ok := messages["en"][key]; ok {
		return s
	}
	return key
}

// language picks the interface language: the lang cookie, else Accept-Language.
func language(c *fiber.Ctx) string {
	if l := c.Cookies("lang"); l == "fr" || l == "en" {
		return l
	}
	for _, part := range strings.Split(c.Get(fiber.HeaderAcceptLanguage), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		if strings.HasPrefix(tag, "fr") {
			return "fr"
		}
		if strings.HasPrefix(tag, "en") {
			return "en"
		}
	}
	return languages[0]
}

// addMessages adds a feature's strings (kept in their own i18n_<feature>.go file, so that
// features merge cleanly) to messages; a test checks that every key exists in both
// languages.
func addMessages(m map[string]map[string]string) {
	for lang, msgs := range m {
		for k, v := range msgs {
			messages[lang][k] = v
		}
	}
}
