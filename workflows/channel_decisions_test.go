package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/store"
	"github.com/greenlight/greenlight/workflows"
)

// failedOn makes the harness's post fail at its publish time: bluesky published, x
// failed (an account to reconnect), mastodon unconfirmed. fixed, once true, makes every
// channel publish.
func (h *harness) failedOn(fixed *bool) {
	h.in.Content.Channels = []string{"bluesky", "x", "mastodon"}
	h.channelFn = func(p activities.PublishRequest) (activities.ChannelOutcome, error) {
		switch {
		case p.Channel == "bluesky" || *fixed:
			return activities.ChannelOutcome{Channel: p.Channel, Status: store.ChannelPublished, URL: "https://" + p.Channel + ".test/p/1"}, nil
		case p.Channel == "x":
			return activities.ChannelOutcome{Channel: "x", Status: store.ChannelFailed, Error: "reconnect the x account @brand"}, nil
		}
		return activities.ChannelOutcome{Channel: p.Channel, Status: store.ChannelUnconfirmed, Error: "mastodon: no answer to the create"}, nil
	}
	h.approved()
}

func (h *harness) recordsLive() *[]timed[activities.ChannelLive] {
	var live []timed[activities.ChannelLive]
	var acts *activities.Activities
	h.env.OnActivity(acts.RecordChannelLive, mock.Anything, mock.Anything).Return(func(_ context.Context, l activities.ChannelLive) error {
		live = append(live, timed[activities.ChannelLive]{h.env.Now().UTC(), l})
		return nil
	})
	return &live
}

func settle(channel, action, url string) workflows.ChannelDecisionRequest {
	return workflows.ChannelDecisionRequest{Actor: author, Version: 1, Channel: channel, Action: action, URL: url}
}

func TestAuthorSettlesEachChannelOfAFailedPost(t *testing.T) {
	h := newHarness(t)
	fixed := false
	h.failedOn(&fixed)
	live := h.recordsLive()
	failAt := h.in.PublishAt.Sub(t0)

	wrongKind := h.update(failAt+time.Hour, workflows.ChannelDecisionUpdate, settle("x", workflows.ChannelRecordLive, "https://x.com/brand/status/1"))
	badURL := h.update(failAt+time.Hour, workflows.ChannelDecisionUpdate, settle("mastodon", workflows.ChannelRecordLive, "not a link"))
	unknown := h.update(failAt+time.Hour, workflows.ChannelDecisionUpdate, settle("tiktok", workflows.ChannelPublishAgain, ""))
	published := h.update(failAt+time.Hour, workflows.ChannelDecisionUpdate, settle("bluesky", workflows.ChannelPublishAgain, ""))
	recorded := h.update(failAt+2*time.Hour, workflows.ChannelDecisionUpdate, settle("mastodon", workflows.ChannelRecordLive, "https://mastodon.test/@brand/1"))
	h.env.RegisterDelayedCallback(func() { fixed = true }, failAt+3*time.Hour) // the account was reconnected
	again := h.update(failAt+4*time.Hour, workflows.ChannelDecisionUpdate, settle("x", workflows.ChannelPublishAgain, ""))
	res := h.run(0)

	require.Equal(t, greenlight.ECONFLICT, errCode(wrongKind.err), "only an unconfirmed channel can be recorded as live")
	require.Equal(t, greenlight.EINVALID, errCode(badURL.err))
	require.Equal(t, greenlight.EINVALID, errCode(unknown.err))
	require.Equal(t, greenlight.ECONFLICT, errCode(published.err), "a published channel is not published again")
	require.NoError(t, recorded.err)
	require.Equal(t, greenlight.StatusFailed, recorded.view.Status, "x is still failed")
	require.NoError(t, again.err)

	require.Equal(t, greenlight.StatusPublished, res.Status, "published once every channel is")
	require.Equal(t, h.in.PublishAt.Add(4*time.Hour), *res.PublishedAt)
	require.Equal(t, []activities.ChannelLive{{PostID: "pst_1", Version: 1, Channel: "mastodon", URL: "https://mastodon.test/@brand/1"}},
		[]activities.ChannelLive{(*live)[0].Val})
	require.Equal(t, []time.Time{h.in.PublishAt, h.in.PublishAt.Add(4 * time.Hour)}, h.callsOn("x"), "x was published again on request")
	require.Len(t, h.callsOn("mastodon"), 1, "the channel recorded as live was never published again")
	require.Len(t, h.callsOn("bluesky"), 1)
	require.Equal(t, []string{"publish_failed", "channel_recorded_live", "channel_publish_again", "channel_published", "published"},
		h.actions()[len(h.actions())-5:])
	require.Equal(t, []greenlight.PostStatus{greenlight.StatusFailed, greenlight.StatusPublished}, h.statuses()[len(h.statuses())-2:])
	require.Equal(t, h.in.PublishAt.Add(4*time.Hour), h.env.Now().UTC(), "the run ended as soon as the post was published")
}

func TestFailingAgainReopensTheWindowWhichThenCloses(t *testing.T) {
	h := newHarness(t)
	fixed := false
	h.failedOn(&fixed)
	failAt := h.in.PublishAt.Sub(t0)
	again := h.update(failAt+24*time.Hour, workflows.ChannelDecisionUpdate, settle("x", workflows.ChannelPublishAgain, ""))
	res := h.run(0)

	require.NoError(t, again.err)
	require.Equal(t, greenlight.StatusFailed, res.Status)
	require.Len(t, h.callsOn("x"), 2)
	require.Len(t, h.notes, 2, "the author is told of each failure")
	require.Equal(t, h.in.PublishAt.Add(24*time.Hour+14*24*time.Hour), h.env.Now().UTC(),
		"the window to decide re-opened at the second failure and the run ended when it closed")
}

func TestPublishAgainWaitsForTheCrisisToEnd(t *testing.T) {
	h := newHarness(t)
	fixed := false
	h.failedOn(&fixed)
	failAt := h.in.PublishAt.Sub(t0)
	h.env.RegisterDelayedCallback(func() {
		fixed = true
		h.hold = activities.HoldStatus{Held: true, CrisisID: "crs_1"}
	}, failAt+time.Hour)
	again := h.update(failAt+2*time.Hour, workflows.ChannelDecisionUpdate, settle("x", workflows.ChannelPublishAgain, ""))
	res := h.run(0)

	require.NoError(t, again.err)
	require.Equal(t, greenlight.StatusFailed, res.Status)
	require.Len(t, h.callsOn("x"), 1, "nothing is published while a crisis holds the client")
	require.Equal(t, "held", h.lastEvent().Action)
	require.Contains(t, h.lastEvent().Comment, "paused by crisis crs_1")
}
