package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/workflows"
)

// A version is its text and its files: replacing an image is an edit like a text edit (a
// new version, back to draft, the pending approval void, a new digest); sending the same
// files again changes nothing.
func TestReplacingAnImageMakesANewVersion(t *testing.T) {
	red := greenlight.MediaRef{ID: "med_red", SHA256: "aa", ContentType: "image/png", Alt: "Red"}
	blue := greenlight.MediaRef{ID: "med_blue", SHA256: "bb", ContentType: "image/png", Alt: "Red"}
	h := newHarness(t)
	h.in.Content.Media = []greenlight.MediaRef{red}
	h.toAwaitingClient()
	same := h.update(time.Hour, workflows.EditUpdate, workflows.EditRequest{Actor: author, Media: &[]greenlight.MediaRef{red}})
	replaced := h.update(2*time.Hour, workflows.EditUpdate, workflows.EditRequest{Actor: author, Media: &[]greenlight.MediaRef{blue}})
	stale := h.update(3*time.Hour, workflows.ClientDecisionUpdate, workflows.ClientDecisionRequest{Approver: asActor(ana), Version: 1, Decision: greenlight.DecisionApprove})
	h.run(4 * time.Hour)

	require.NoError(t, same.err)
	require.Equal(t, 1, same.view.Version, "the same files: no new version")
	require.Equal(t, greenlight.StatusAwaitingClient, same.view.Status)
	require.NoError(t, replaced.err)
	require.Equal(t, greenlight.StatusDraft, replaced.view.Status)
	require.Equal(t, 2, replaced.view.Version)
	require.Equal(t, greenlight.EGONE, errCode(stale.err), "the client's link for the old image cannot approve the new one")

	var versions []greenlight.Content
	for _, r := range h.records {
		if r.NewVersion != nil {
			versions = append(versions, r.NewVersion.Content)
		}
	}
	require.Len(t, versions, 2)
	require.Equal(t, []greenlight.MediaRef{red}, versions[0].Media)
	require.Equal(t, []greenlight.MediaRef{blue}, versions[1].Media)
	require.Equal(t, versions[0].Body, versions[1].Body)
	require.NotEqual(t, versions[0].Digest(), versions[1].Digest(), "the digest names the files")
}
