package api

// The strings of the approval insights page.
var statsMessages = map[string]map[string]string{
	"en": {
		"stats.heading": "Approval insights: %s", "stats.link": "Approval insights", "stats.range": "Period",
		"stats.from": "From", "stats.to": "To", "stats.show": "Show", "stats.zone": "Months of %s", "stats.month": "Month",
		"stats.median": "Median time to the client's decision", "stats.median_help": "From the approval request to the client's first decision on that version.",
		"stats.p90": "90th percentile time to decision", "stats.p90_help": "Nine decisions in ten came faster than this.",
		"stats.rounds": "Revision rounds per post", "stats.rounds_help": "Versions of a post on which the client requested changes, on average.",
		"stats.on_time": "Published on time", "stats.on_time_help": "Share of the posts due in the month published at most 5 minutes after their time.",
		"stats.expired": "Expired", "stats.expired_help": "Share of the posts due in the month never approved in time.",
		"stats.counts": "Counts", "stats.requests": "Requests", "stats.decided": "Decided", "stats.posts": "Posts sent",
		"stats.due": "Due", "stats.on_time_n": "On time", "stats.expired_n": "Expired",
	},
	"fr": {
		"stats.heading": "Indicateurs de validation : %s", "stats.link": "Indicateurs de validation", "stats.range": "Période",
		"stats.from": "Du", "stats.to": "Au", "stats.show": "Afficher", "stats.zone": "Mois de %s", "stats.month": "Mois",
		"stats.median": "Délai médian de décision du client", "stats.median_help": "De la demande de validation à la première décision du client sur cette version.",
		"stats.p90": "Délai de décision au 90e centile", "stats.p90_help": "Neuf décisions sur dix sont arrivées plus vite.",
		"stats.rounds": "Tours de révision par post", "stats.rounds_help": "Nombre moyen de versions d'un post sur lesquelles le client a demandé des modifications.",
		"stats.on_time": "Publiés à l'heure", "stats.on_time_help": "Part des posts prévus dans le mois publiés au plus 5 minutes après leur heure.",
		"stats.expired": "Expirés", "stats.expired_help": "Part des posts prévus dans le mois jamais validés à temps.",
		"stats.counts": "Effectifs", "stats.requests": "Demandes", "stats.decided": "Décidées", "stats.posts": "Posts envoyés",
		"stats.due": "Prévus", "stats.on_time_n": "À l'heure", "stats.expired_n": "Expirés",
	},
}

func init() { addMessages(statsMessages) }
