package brand

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The header text on a brand colour is black or white, whichever contrasts more, and that
// choice always reaches the WCAG AA ratio of 4.5.
func TestTextOnBrandColour(t *testing.T) {
	for _, tc := range []struct{ bg, want string }{
		{"#ffffff", "#000000"},
		{"#000000", "#ffffff"},
		{"#ffd700", "#000000"}, // gold
		{"#1a2b3c", "#ffffff"}, // navy
		{"#777777", "#000000"}, // mid grey: black 4.69, white 4.48
		{"#0070f3", "#000000"}, // bright blue: black 4.62, white 4.55
		{"#e60023", "#ffffff"},
		{"nonsense", "#000000"},
	} {
		t.Run(tc.bg, func(t *testing.T) {
			require.Equal(t, tc.want, TextOn(tc.bg))
			if l, ok := luminance(tc.bg); ok {
				tl, _ := luminance(tc.want)
				require.GreaterOrEqual(t, contrast(l, tl), 4.5)
			}
		})
	}
}
