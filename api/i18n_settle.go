package api

// The strings of settling a failed post's channels (record the live link, publish again).
var settleMessages = map[string]map[string]string{
	"en": {
		"settle.url":           "Live post's link",
		"settle.record_live":   "It is live: record the link",
		"settle.publish_again": "Publish again",
	},
	"fr": {
		"settle.url":           "Lien de la publication en ligne",
		"settle.record_live":   "Elle est en ligne : enregistrer le lien",
		"settle.publish_again": "Republier",
	},
}

func init() { addMessages(settleMessages) }
