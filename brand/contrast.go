package brand

import (
	"math"
	"strconv"
)

// TextOn returns the text colour (#000000 or #ffffff) to write on the #rrggbb background bg:
// the one with the higher WCAG 2 contrast ratio, which for any colour is at least 4.5 with
// one of the two. An invalid colour gives black (the default light header).
func TextOn(bg string) string {
	l, ok := luminance(bg)
	if !ok {
		return "#000000"
	}
	if contrast(l, 0) >= contrast(l, 1) {
		return "#000000"
	}
	return "#ffffff"
}

// contrast is the WCAG 2 contrast ratio of two relative luminances.
func contrast(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	return (a + 0.05) / (b + 0.05)
}

// luminance is the WCAG 2 relative luminance of a #rrggbb colour.
func luminance(hex string) (float64, bool) {
	if len(hex) != 7 || hex[0] != '#' {
		return 0, false
	}
	var ch [3]float64
	for i := range ch {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			return 0, false
		}
		c := float64(v) / 255
		if c <= 0.04045 {
			ch[i] = c / 12.92
		} else {
			ch[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*ch[0] + 0.7152*ch[1] + 0.0722*ch[2], true
}
