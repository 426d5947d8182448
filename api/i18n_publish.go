package api

// publishMessages are the strings of the publishing pages (connected accounts, media,
// per-channel status), merged into messages at start; kept apart so that the pages' strings
// read together.
var publishMessages = map[string]map[string]string{
	"en": {
		"acct.title": "Connected accounts", "acct.connected_list": "Accounts", "acct.none": "No connected account yet.",
		"acct.status.active": "Active", "acct.status.pending": "Pending authorization", "acct.status.needs_reconnect": "Needs reconnecting",
		"acct.by":        "connected by %s on %s",
		"acct.reconnect": "Reconnect", "acct.remove": "Remove…", "acct.remove_yes": "Yes, remove",
		"acct.remove_confirm": "Remove @%s? Posts will no longer publish to it. Revoke its app password or authorization at the network too.",
		"acct.connect_bsky":   "Connect a Bluesky account", "acct.reconnect_bsky": "Reconnect a Bluesky account",
		"acct.app_password_help": "Use an app password, never the account's main password: in Bluesky, open Settings → Privacy and security → App passwords, create one named “Greenlight” and paste it here. Greenlight uses it once to open a session and does not keep it; revoking it in Bluesky disconnects Greenlight.",
		"acct.service_url":       "Server (PDS) URL", "acct.handle": "Handle", "acct.app_password": "App password",
		"acct.connect": "Connect", "acct.connected": "Account connected.", "acct.reconnected": "Account reconnected.",
		"acct.removed": "Account removed.", "acct.connect_masto": "Connect a Mastodon account",
		"acct.masto_help":   "Enter the server's address: you will be sent there to sign in and authorize Greenlight, then brought back here.",
		"acct.instance_url": "Mastodon server URL", "acct.continue_masto": "Continue on the server",
		"acct.manage": "Connected accounts", "acct.warn": "needs reconnecting: posts to it will fail until someone reconnects it.",
		"media.title": "Images and video", "media.choose": "Add images or an MP4 video",
		"media.drop": "…or drop files here", "media.alt": "Alt text (describe the image for people who cannot see it)",
		"media.up": "Move up", "media.down": "Move down", "media.remove": "Remove", "media.video": "Video",
		"media.uploading": "Uploading", "media.failed": "Upload failed", "media.none": "No media.",
		"media.limits":      "JPEG, PNG, WebP, GIF or MP4. Order here is the order on the networks.",
		"media.pick_client": "Choose the client first.",
		"media.count":       "%d / %d media", "media.too_many": "too many media for this network",
		"chan.title": "Publication", "chan.none": "Not published yet.", "chan.view": "View the post",
		"chan.status.pending": "Pending", "chan.status.published": "Published", "chan.status.failed": "Failed",
		"chan.status.unconfirmed": "Unconfirmed", "chan.failed": "%s failed", "chan.webhook": "webhook",
		"chan.unconfirmed_help": "The network did not confirm: check the account before publishing again.",
	},
	"fr": {
		"acct.title": "Comptes connectés", "acct.connected_list": "Comptes", "acct.none": "Aucun compte connecté.",
		"acct.status.active": "Actif", "acct.status.pending": "En attente d'autorisation", "acct.status.needs_reconnect": "À reconnecter",
		"acct.by":        "connecté par %s le %s",
		"acct.reconnect": "Reconnecter", "acct.remove": "Retirer…", "acct.remove_yes": "Oui, retirer",
		"acct.remove_confirm": "Retirer @%s ? Les posts n'y seront plus publiés. Révoquez aussi son mot de passe d'application ou son autorisation sur le réseau.",
		"acct.connect_bsky":   "Connecter un compte Bluesky", "acct.reconnect_bsky": "Reconnecter un compte Bluesky",
		"acct.app_password_help": "Utilisez un mot de passe d'application, jamais le mot de passe principal du compte : dans Bluesky, ouvrez Paramètres → Confidentialité et sécurité → Mots de passe d'application, créez-en un nommé « Greenlight » et collez-le ici. Greenlight s'en sert une fois pour ouvrir une session et ne le garde pas ; le révoquer dans Bluesky déconnecte Greenlight.",
		"acct.service_url":       "URL du serveur (PDS)", "acct.handle": "Identifiant", "acct.app_password": "Mot de passe d'application",
		"acct.connect": "Connecter", "acct.connected": "Compte connecté.", "acct.reconnected": "Compte reconnecté.",
		"acct.removed": "Compte retiré.", "acct.connect_masto": "Connecter un compte Mastodon",
		"acct.masto_help":   "Indiquez l'adresse du serveur : vous y serez envoyé pour vous connecter et autoriser Greenlight, puis ramené ici.",
		"acct.instance_url": "URL du serveur Mastodon", "acct.continue_masto": "Continuer sur le serveur",
		"acct.manage": "Comptes connectés", "acct.warn": "est à reconnecter : les publications vers ce compte échoueront tant que personne ne l'aura reconnecté.",
		"media.title": "Images et vidéo", "media.choose": "Ajouter des images ou une vidéo MP4",
		"media.drop": "…ou déposez les fichiers ici", "media.alt": "Texte alternatif (décrivez l'image pour qui ne la voit pas)",
		"media.up": "Monter", "media.down": "Descendre", "media.remove": "Retirer", "media.video": "Vidéo",
		"media.uploading": "Envoi", "media.failed": "Échec de l'envoi", "media.none": "Aucun média.",
		"media.limits":      "JPEG, PNG, WebP, GIF ou MP4. L'ordre ici est l'ordre sur les réseaux.",
		"media.pick_client": "Choisissez d'abord le client.",
		"media.count":       "%d / %d médias", "media.too_many": "trop de médias pour ce réseau",
		"chan.title": "Publication", "chan.none": "Pas encore publié.", "chan.view": "Voir le post",
		"chan.status.pending": "En attente", "chan.status.published": "Publié", "chan.status.failed": "Échec",
		"chan.status.unconfirmed": "Non confirmé", "chan.failed": "échec %s", "chan.webhook": "webhook",
		"chan.unconfirmed_help": "Le réseau n'a pas confirmé : vérifiez le compte avant de republier.",
	},
}

func init() {
	for lang, m := range publishMessages {
		for k, v := range m {
			messages[lang][k] = v
		}
	}
}
