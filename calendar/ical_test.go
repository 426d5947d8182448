package calendar_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/calendar"
	"github.com/greenlight/greenlight/internal/icaltest"
)

func TestRenderParsedByICALJS(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	// Paris leaves summer time on 25 October 2026 at 03:00 (UTC+2 → UTC+1).
	beforeDST := time.Date(2026, 10, 24, 9, 0, 0, 0, paris)
	afterDST := time.Date(2026, 10, 26, 9, 0, 0, 0, paris)
	tricky := "Soldes, promos; et «crème brûlée»\nligne 2 \\ fin"
	long := strings.Repeat("é", 120) // 240 octets: folds inside multi-byte runs
	ascii := strings.Repeat("a", 200)
	edited := time.Date(2026, 10, 1, 8, 30, 0, 0, time.UTC)
	feed := calendar.Feed{Name: "Greenlight – Ana", Stamp: time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC), Events: []calendar.Event{
		{UID: "pst_1@greenlight.example", Start: beforeDST, Summary: "Biscuits: " + tricky, Description: "Status: scheduled\nChannels: x, linkedin",
			URL: "https://greenlight.example/posts/pst_1", LastModified: edited, Sequence: 3, Status: "TENTATIVE", Categories: []string{"scheduled"}},
		{UID: "pst_2@greenlight.example", Start: afterDST, Summary: long, Description: long + "\n" + ascii, Sequence: 0, Status: "CONFIRMED"},
	}}
	got := icaltest.Parse(t, calendar.Render(feed))

	tests := []struct {
		name string
		ev   icaltest.Event
		want icaltest.Event
	}{
		{"before the DST change", got.Events[0], icaltest.Event{UID: "pst_1@greenlight.example", Start: time.Date(2026, 10, 24, 7, 0, 0, 0, time.UTC),
			End: time.Date(2026, 10, 24, 7, 15, 0, 0, time.UTC), Summary: "Biscuits: " + tricky, Description: "Status: scheduled\nChannels: x, linkedin",
			URL: "https://greenlight.example/posts/pst_1", Sequence: 3, LastModified: &edited, Status: "TENTATIVE", Categories: []string{"scheduled"}}},
		{"after the DST change, folded accents", got.Events[1], icaltest.Event{UID: "pst_2@greenlight.example", Start: time.Date(2026, 10, 26, 8, 0, 0, 0, time.UTC),
			End: time.Date(2026, 10, 26, 8, 15, 0, 0, time.UTC), Summary: long, Description: long + "\n" + ascii, Status: "CONFIRMED", Categories: []string{}}},
	}
	require.Len(t, got.Events, len(tests))
	require.Equal(t, "Greenlight – Ana", got.Name)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := tt.ev
			ev.Start, ev.End = ev.Start.UTC(), ev.End.UTC()
			if ev.LastModified != nil {
				lm := ev.LastModified.UTC()
				ev.LastModified = &lm
			}
			require.Equal(t, tt.want, ev)
		})
	}
	for i, n := range got.LineOctets {
		require.LessOrEqual(t, n, 75, "line %d is %d octets", i, n)
	}
}

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a,b;c", `a\,b\;c`},
		{"back\\slash", `back\\slash`},
		{"l1\r\nl2\nl3", `l1\nl2\nl3`},
		{"bell\a", "bell "},
		{"crème brûlée", "crème brûlée"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			require.Equal(t, tt.want, calendar.Escape(tt.in))
		})
	}
}
