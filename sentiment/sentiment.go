// Package sentiment scores short social-media texts in French and English with a small
// built-in lexicon: enough to count negative mentions when a feed does not send scores.
package sentiment

import (
	"math"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Negative is the score below which a mention counts as negative.
const Negative = -0.25

// words maps lowercase, accent-stripped words to a polarity in [-1, 1].
var words = map[string]float64{
	// English, negative
	"awful": -0.9, "terrible": -0.9, "horrible": -0.9, "worst": -1, "hate": -0.9, "hated": -0.8,
	"disgusting": -1, "disgusted": -0.9, "scam": -1, "fraud": -1, "liar": -0.9, "liars": -0.9, "lies": -0.7,
	"shame": -0.7, "shameful": -0.9, "boycott": -0.9, "angry": -0.7, "furious": -0.9, "disappointed": -0.7,
	"disappointing": -0.7, "bad": -0.6, "poor": -0.5, "broken": -0.6, "dangerous": -0.8, "toxic": -0.8,
	"unacceptable": -0.9, "never": -0.3, "refund": -0.4, "recall": -0.4, "sick": -0.6, "rip-off": -0.9,
	"ripoff": -0.9, "racist": -1, "sexist": -1, "leak": -0.6, "leaked": -0.7, "hack": -0.5, "hacked": -0.7,
	"useless": -0.8, "rude": -0.7, "fail": -0.6, "failed": -0.6, "fake": -0.7, "ugly": -0.6, "sucks": -0.8,
	"pathetic": -0.9, "outrage": -0.9, "outrageous": -0.9, "disaster": -0.9, "complaint": -0.5, "worse": -0.7,
	// English, positive
	"love": 0.8, "loved": 0.8, "great": 0.7, "excellent": 0.9, "amazing": 0.9, "awesome": 0.9, "good": 0.5,
	"thanks": 0.5, "thank": 0.5, "perfect": 0.9, "best": 0.8, "delicious": 0.8, "happy": 0.7, "nice": 0.5,
	"recommend": 0.6, "brilliant": 0.9, "fantastic": 0.9, "wonderful": 0.9, "fast": 0.3, "helpful": 0.6,
	// French, negative (accents stripped)
	"nul": -0.8, "nulle": -0.8, "nuls": -0.8, "honte": -0.8, "honteux": -0.9, "honteuse": -0.9, "scandale": -0.9,
	"scandaleux": -0.9, "arnaque": -1, "arnaqueurs": -1, "escroquerie": -1, "escrocs": -1, "menteurs": -0.9,
	"mensonge": -0.8, "mensonges": -0.8, "boycotter": -0.9, "boycott!": -0.9, "degoutant": -1, "degueulasse": -1,
	"inadmissible": -0.9, "inacceptable": -0.9, "decu": -0.7, "decue": -0.7, "decevant": -0.7, "colere": -0.7,
	"furieux": -0.9, "mauvais": -0.6, "mauvaise": -0.6, "pire": -0.9, "horreur": -0.9, "dangereux": -0.8,
	"toxique": -0.8, "raciste": -1, "sexiste": -1, "fuite": -0.6, "pirate": -0.5, "pirates": -0.5,
	"rembourser": -0.4, "remboursement": -0.4, "rappel": -0.3, "malade": -0.6, "intoxication": -0.9,
	"catastrophe": -0.9, "lamentable": -0.9, "pathetique": -0.9, "minable": -0.9, "jamais": -0.3, "plainte": -0.5,
	"moche": -0.6, "inutile": -0.7, "degoute": -0.9, "ras-le-bol": -0.8, "marre": -0.7,
	// French, positive
	"super": 0.7, "genial": 0.9, "geniale": 0.9, "excellente": 0.9, "parfait": 0.9, "parfaite": 0.9,
	"merci": 0.5, "bravo": 0.8, "adore": 0.8, "j'adore": 0.9, "aime": 0.6, "bon": 0.5, "bonne": 0.5, "top": 0.7,
	"delicieux": 0.8, "delicieuse": 0.8, "magnifique": 0.9, "recommande": 0.6, "content": 0.6, "contente": 0.6,
	"heureux": 0.7, "heureuse": 0.7, "rapide": 0.3, "sympa": 0.6,
}

var negations = map[string]bool{
	"not": true, "no": true, "don't": true, "doesn't": true, "didn't": true, "isn't": true, "wasn't": true,
	"never": true, "ne": true, "pas": true, "plus": false, "n'est": true, "n'ai": true, "aucun": true, "aucune": true,
}

var intensifiers = map[string]float64{
	"very": 1.5, "so": 1.4, "really": 1.4, "extremely": 1.8, "totally": 1.5,
	"tres": 1.5, "trop": 1.4, "vraiment": 1.4, "completement": 1.6, "tellement": 1.5,
}

// Score returns the polarity of text in [-1, 1]: below Negative reads as a complaint.
func Score(text string) float64 {
	tokens := tokenize(text)
	var sum float64
	var hits int
	for i, tok := range tokens {
		w, ok := words[tok]
		if !ok {
			continue
		}
		for j := max(0, i-3); j < i; j++ {
			if negations[tokens[j]] {
				w = -w * 0.8
				break
			}
		}
		if i > 0 {
			if f, ok := intensifiers[tokens[i-1]]; ok {
				w *= f
			}
		}
		sum += w
		hits++
	}
	if hits == 0 {
		return 0
	}
	if strings.Count(text, "!") >= 2 {
		sum *= 1.2
	}
	// Normalise like VADER: sum / sqrt(sum² + α) keeps scores in (-1, 1).
	return clamp(sum / math.Sqrt(sum*sum+1.5))
}

func tokenize(text string) []string {
	text = strings.ToLower(norm.NFD.String(text))
	var b strings.Builder
	for _, r := range text {
		if unicode.Is(unicode.Mn, r) {
			continue // strip accents
		}
		b.WriteRune(r)
	}
	return strings.FieldsFunc(b.String(), func(r rune) bool {
		return !(unicode.IsLetter(r) || r == '\'' || r == '-' || unicode.IsDigit(r))
	})
}

func clamp(v float64) float64 {
	return math.Max(-1, math.Min(1, v))
}
