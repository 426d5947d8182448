package api

import (
	"fmt"
	"time"
)

// oauthMessages are the strings of connecting Instagram, Facebook Pages, LinkedIn and X
// (accounts page, consent hand-off, identity picking), merged into messages at start.
var oauthMessages = map[string]map[string]string{
	"en": {
		"oauth.connect_title":     "Connect Instagram, Facebook, LinkedIn or X",
		"oauth.connect_help":      "You will be sent to the network to sign in and authorize Greenlight, then brought back here. If you manage several Pages or organizations, you will choose the one to publish as.",
		"oauth.connect.instagram": "Connect Instagram", "oauth.connect.facebook": "Connect a Facebook Page",
		"oauth.connect.linkedin": "Connect LinkedIn", "oauth.connect.x": "Connect X",
		"oauth.not_configured": "Not configured: the operator must set %s.",
		"oauth.reconnect_by":   "Reconnect before %s.",
		"oauth.reconnect_soon": "Reconnect before %s, or posts to it will fail.",
		"oauth.continue_title": "Authorize Greenlight", "oauth.continue_heading": "Authorize Greenlight on %s",
		"oauth.continue_link": "Continue to %s",
		"oauth.pick_title":    "Choose the account", "oauth.pick_heading": "Which %s account should Greenlight publish as?",
		"oauth.pick_help":   "Your %s authorization gives access to several accounts. Choose the one this client's posts go to; connect again to add another.",
		"oauth.pick_legend": "Publish as", "oauth.pick_submit": "Connect this account",
		"oauth.pick_expires": "This choice must be made within 10 minutes; after that, connect again from the accounts page.",
		"oauth.kind.page":    "Facebook Page", "oauth.kind.instagram": "Instagram account",
		"oauth.kind.member": "Member (personal profile)", "oauth.kind.organization": "Organization page", "oauth.kind.user": "User",
	},
	"fr": {
		"oauth.connect_title":     "Connecter Instagram, Facebook, LinkedIn ou X",
		"oauth.connect_help":      "Vous serez envoyé sur le réseau pour vous connecter et autoriser Greenlight, puis ramené ici. Si vous gérez plusieurs Pages ou organisations, vous choisirez celle au nom de laquelle publier.",
		"oauth.connect.instagram": "Connecter Instagram", "oauth.connect.facebook": "Connecter une Page Facebook",
		"oauth.connect.linkedin": "Connecter LinkedIn", "oauth.connect.x": "Connecter X",
		"oauth.not_configured": "Non configuré : l'opérateur doit définir %s.",
		"oauth.reconnect_by":   "À reconnecter avant le %s.",
		"oauth.reconnect_soon": "À reconnecter avant le %s, sinon les publications vers ce compte échoueront.",
		"oauth.continue_title": "Autoriser Greenlight", "oauth.continue_heading": "Autoriser Greenlight sur %s",
		"oauth.continue_link": "Continuer vers %s",
		"oauth.pick_title":    "Choisir le compte", "oauth.pick_heading": "Au nom de quel compte %s Greenlight doit-il publier ?",
		"oauth.pick_help":   "Votre autorisation %s donne accès à plusieurs comptes. Choisissez celui où vont les publications de ce client ; connectez-vous à nouveau pour en ajouter un autre.",
		"oauth.pick_legend": "Publier en tant que", "oauth.pick_submit": "Connecter ce compte",
		"oauth.pick_expires": "Ce choix doit être fait dans les 10 minutes ; ensuite, reconnectez-vous depuis la page des comptes.",
		"oauth.kind.page":    "Page Facebook", "oauth.kind.instagram": "Compte Instagram",
		"oauth.kind.member": "Membre (profil personnel)", "oauth.kind.organization": "Page d'organisation", "oauth.kind.user": "Utilisateur",
	},
}

func init() { addMessages(oauthMessages) }

// longDate writes a day in lang: "21 January 2027", "21 janvier 2027".
func longDate(lang string, t time.Time) string {
	return fmt.Sprintf("%d %s %d", t.Day(), monthName(lang, t.Month()), t.Year())
}
