package api

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Portal strings are also used from Go code (the 410 page, the staff page's notices), which
// the template scan cannot see: each one exists in both languages.
func TestPortalStringsInBothLanguages(t *testing.T) {
	require.NotEmpty(t, portalMessages["en"])
	for _, key := range []string{"portal.gone", "portal.unknown", "portal.gone_title", "portal.staff_sent", "portal.staff_revoked"} {
		require.Contains(t, portalMessages["en"], key)
	}
	for lang, msgs := range portalMessages {
		for key := range msgs {
			for _, other := range languages {
				require.Contains(t, portalMessages[other], key, "%s has %q, %s does not", lang, key, other)
			}
		}
	}
}
