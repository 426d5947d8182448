package api

// The strings of comments and certificates, kept apart from i18n.go so that features
// touching the interface at once merge cleanly; init adds them to messages.
var commentMessages = map[string]map[string]string{
	"en": {
		"comments.title": "Comments", "comments.none": "No comments yet.", "comments.add": "Add a comment",
		"comments.add_client": "A question or a remark for the agency? (This does not approve or refuse the post.)",
		"comments.visibility": "Who sees it", "comments.internal": "Internal (agency only)",
		"comments.client": "Client (the client's approvers see it)", "comments.send": "Send comment",
		"comments.client_author": "client", "comments.invalid": "Please write a comment of at most 5000 characters.",
		"certificate.download": "Certificate of approval (PDF)", "comments.badge_internal": "Internal", "comments.badge_client": "Client",
	},
	"fr": {
		"comments.title": "Commentaires", "comments.none": "Aucun commentaire pour l'instant.", "comments.add": "Ajouter un commentaire",
		"comments.add_client": "Une question ou une remarque pour l'agence ? (Cela ne valide ni ne refuse la publication.)",
		"comments.visibility": "Qui le voit", "comments.internal": "Interne (agence seulement)",
		"comments.client": "Client (les validateurs du client le voient)", "comments.send": "Envoyer le commentaire",
		"comments.client_author": "client", "comments.invalid": "Merci d'écrire un commentaire de 5000 caractères au plus.",
		"certificate.download": "Certificat de validation (PDF)", "comments.badge_internal": "Interne", "comments.badge_client": "Client",
	},
}

func init() { addMessages(commentMessages) }
