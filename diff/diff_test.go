package diff_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/diff"
)

func apply(ps []diff.Piece) (a, b string) {
	var sa, sb strings.Builder
	for _, p := range ps {
		if p.Kind != diff.Insert {
			sa.WriteString(p.Text)
		}
		if p.Kind != diff.Delete {
			sb.WriteString(p.Text)
		}
	}
	return sa.String(), sb.String()
}

func TestWords(t *testing.T) {
	tests := []struct {
		name, a, b string
		want       []diff.Piece
	}{
		{"one word changed", "Notre menu d'hiver arrive", "Notre menu d'été arrive",
			[]diff.Piece{{diff.Equal, "Notre menu "}, {diff.Delete, "d'hiver"}, {diff.Insert, "d'été"}, {diff.Equal, " arrive"}}},
		{"a phrase replaced", "commence demain !", "commence ce vendredi !",
			[]diff.Piece{{diff.Equal, "commence "}, {diff.Delete, "demain "}, {diff.Insert, "ce vendredi "}, {diff.Equal, "!"}}},
		{"appended", "Hello", "Hello world!", []diff.Piece{{diff.Equal, "Hello"}, {diff.Insert, " world!"}}},
		{"same", "x y", "x y", []diff.Piece{{diff.Equal, "x y"}}},
		{"from empty", "", "new text", []diff.Piece{{diff.Insert, "new text"}}},
		{"both empty", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := diff.Words(tt.a, tt.b)
			require.Equal(t, tt.want, got)
			a, b := apply(got)
			require.Equal(t, tt.a, a)
			require.Equal(t, tt.b, b)
		})
	}
}

func FuzzWordsRoundTrip(f *testing.F) {
	f.Add("Notre menu d'hiver arrive ❄️", "Notre nouveau menu arrive !")
	f.Add("a b c", "c b a")
	f.Fuzz(func(t *testing.T, a, b string) {
		if len(a) > 2000 || len(b) > 2000 {
			return
		}
		x, y := apply(diff.Words(a, b))
		if x != a || y != b {
			t.Fatalf("diff does not rebuild the texts: %q %q", x, y)
		}
	})
}
