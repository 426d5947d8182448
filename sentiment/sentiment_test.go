package sentiment_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/sentiment"
)

func TestScore(t *testing.T) {
	tests := []struct {
		text     string
		negative bool
		positive bool
	}{
		{"C'est une honte, arnaque totale, je boycotte !!", true, false},
		{"Service client nul, très déçu", true, false},
		{"Worst brand ever, total scam", true, false},
		{"I hate this so much", true, false},
		{"Merci, le menu est délicieux, bravo !", false, true},
		{"Love it, great job", false, true},
		{"Not bad at all", false, true},
		{"Ce n'est pas génial", true, false},
		{"Le magasin ouvre à 9h", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			s := sentiment.Score(tt.text)
			require.GreaterOrEqual(t, s, -1.0)
			require.LessOrEqual(t, s, 1.0)
			require.Equal(t, tt.negative, s < sentiment.Negative, "score %.2f", s)
			require.Equal(t, tt.positive, s > 0.25, "score %.2f", s)
		})
	}
}
