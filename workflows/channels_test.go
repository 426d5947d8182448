package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/store"
	"github.com/greenlight/greenlight/workflows"
)

// approved makes the harness's post scheduled: submitted, reviewed, approved by Ana at +1h.
func (h *harness) approved() {
	h.toAwaitingClient()
	h.update(time.Hour, workflows.ClientDecisionUpdate, workflows.ClientDecisionRequest{Approver: asActor(ana), Version: 1, Decision: greenlight.DecisionApprove})
}

func (h *harness) callsOn(channel string) []time.Time {
	var out []time.Time
	for _, p := range h.published {
		if p.Val.Channel == channel {
			out = append(out, p.At)
		}
	}
	return out
}

func (h *harness) lastEvent() activities.EventRecord {
	r := h.records[len(h.records)-1]
	return r.Events[len(r.Events)-1]
}

func blueskyPublished(p activities.PublishRequest) activities.ChannelOutcome {
	return activities.ChannelOutcome{Channel: p.Channel, AccountID: "acc_1", Status: store.ChannelPublished,
		RemoteID: "at://did:plc:x/app.bsky.feed.post/3k", URL: "https://bsky.app/profile/brand.test/post/3k"}
}

func TestRateLimitedChannelWaitsOnATimerThenPublishes(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter time.Duration
		wait       time.Duration
	}{
		{"the network's Retry-After", 90 * time.Second, 90 * time.Second},
		{"a default wait when it gave none", 0, time.Minute},
		{"capped when it asks for too long", 6 * time.Hour, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.in.Content.Channels = []string{"bluesky", "x"}
			calls := 0
			h.channelFn = func(p activities.PublishRequest) (activities.ChannelOutcome, error) {
				if p.Channel != "bluesky" {
					return activities.ChannelOutcome{Channel: p.Channel, Status: store.ChannelPublished, RemoteID: "ref-x"}, nil
				}
				if calls++; calls == 1 {
					return activities.ChannelOutcome{Channel: p.Channel, AccountID: "acc_1", Status: activities.ChannelRateLimited,
						Error: "bluesky: RateLimitExceeded", RetryAfter: tt.retryAfter}, nil
				}
				return blueskyPublished(p), nil
			}
			h.approved()
			publishAt := h.in.PublishAt.Sub(t0)
			body := "too late"
			edit := h.update(publishAt+30*time.Second, workflows.EditUpdate, workflows.EditRequest{Actor: author, Body: &body})
			res := h.run(0)

			require.Equal(t, greenlight.StatusPublished, res.Status)
			require.Equal(t, []time.Time{h.in.PublishAt, h.in.PublishAt.Add(tt.wait)}, h.callsOn("bluesky"), "tried again after the wait")
			require.Equal(t, []time.Time{h.in.PublishAt}, h.callsOn("x"), "the other channel did not wait")
			require.Equal(t, h.in.PublishAt.Add(tt.wait), *res.PublishedAt, "published once every channel is")
			require.Equal(t, greenlight.ECONFLICT, errCode(edit.err), "an edit while a channel waits is refused")
			ev := h.lastEvent()
			require.Equal(t, "published", ev.Action)
			require.Equal(t, "bluesky: published https://bsky.app/profile/brand.test/post/3k; x: published (ref-x)", ev.Comment,
				"the history links to the live post")
			require.Empty(t, h.failures)
			require.Empty(t, h.notes)
		})
	}
}

func TestRateLimitedForTooLongFailsTheChannel(t *testing.T) {
	h := newHarness(t)
	h.in.Content.Channels = []string{"bluesky"}
	h.channelFn = func(p activities.PublishRequest) (activities.ChannelOutcome, error) {
		return activities.ChannelOutcome{Channel: p.Channel, AccountID: "acc_1", Status: activities.ChannelRateLimited,
			Error: "bluesky: RateLimitExceeded", RetryAfter: time.Hour}, nil
	}
	h.approved()
	res := h.run(0)

	require.Equal(t, greenlight.StatusFailed, res.Status)
	require.Len(t, h.callsOn("bluesky"), 25, "24 hours of hourly waits, then it gives up")
	require.Len(t, h.failures, 1)
	require.Equal(t, h.in.PublishAt.Add(24*time.Hour), h.failures[0].At)
	require.Equal(t, activities.ChannelFailure{PostID: "pst_1", Version: 1, Channel: "bluesky", AccountID: "acc_1",
		Error: "still rate limited after 24h0m0s: bluesky: RateLimitExceeded"}, h.failures[0].Val)
	require.Equal(t, "bluesky: failed: still rate limited after 24h0m0s: bluesky: RateLimitExceeded", h.lastEvent().Comment)
}

func TestFailedChannelsFailThePostAndTheOthersStayPublished(t *testing.T) {
	h := newHarness(t)
	h.in.Content.Channels = []string{"bluesky", "x", "mastodon", "linkedin"}
	h.channelFn = func(p activities.PublishRequest) (activities.ChannelOutcome, error) {
		switch p.Channel {
		case "bluesky":
			return blueskyPublished(p), nil
		case "x":
			return activities.ChannelOutcome{Channel: "x", Status: store.ChannelFailed, Error: "reconnect the x account brand"}, nil
		case "mastodon":
			return activities.ChannelOutcome{Channel: "mastodon", AccountID: "acc_2", Status: store.ChannelUnconfirmed,
				Error: "mastodon: no answer to the create: it may or may not be online"}, nil
		}
		return activities.ChannelOutcome{}, temporal.NewApplicationError("webhook: 503", "")
	}
	h.approved()
	res := h.run(0)

	require.Equal(t, greenlight.StatusFailed, res.Status)
	require.Nil(t, res.PublishedAt)
	want := "bluesky: published https://bsky.app/profile/brand.test/post/3k; x: failed: reconnect the x account brand; " +
		"mastodon: unconfirmed: mastodon: no answer to the create: it may or may not be online; linkedin: failed: gave up retrying: webhook: 503"
	ev := h.lastEvent()
	require.Equal(t, "publish_failed", ev.Action)
	require.Equal(t, want, ev.Comment, "every channel's result is in the history, in the post's order")
	require.Len(t, h.notes, 1, "the author is told")
	require.Equal(t, activities.NotifyFailed, h.notes[0].Val.Kind)
	require.Equal(t, want, h.notes[0].Val.Comment)
	require.Len(t, h.failures, 1, "the workflow records only the channel whose activity gave up")
	require.Equal(t, "linkedin", h.failures[0].Val.Channel)
	require.Greater(t, len(h.callsOn("linkedin")), 1, "a retryable failure was retried first")
	require.Len(t, h.callsOn("bluesky"), 1)
}

func TestRunsBeforeChannelResultsPublishTheOldWay(t *testing.T) {
	h := newHarness(t)
	// A run that reached publication before channel-results also started before
	// resolved-at-start.
	h.env.OnGetVersion("resolved-at-start", workflow.DefaultVersion, workflow.Version(1)).Return(workflow.DefaultVersion)
	h.env.OnGetVersion("channel-results", workflow.DefaultVersion, workflow.Version(1)).Return(workflow.DefaultVersion)
	newPath := 0
	h.channelFn = func(p activities.PublishRequest) (activities.ChannelOutcome, error) {
		newPath++
		return activities.ChannelOutcome{Channel: p.Channel, Status: store.ChannelPublished}, nil
	}
	h.approved()
	res := h.run(0)

	require.Equal(t, greenlight.StatusPublished, res.Status)
	require.Len(t, h.published, 2, "one Publish per channel")
	require.Zero(t, newPath, "PublishChannel is not part of the old path")
	require.Equal(t, "on [instagram x]", h.lastEvent().Comment)
}

// A run started under resolved-at-start publishes the newest way without asking
// GetVersion about channel-results or atomic-steps at the publish time (each first ask
// would add a marker and a search-attribute upsert there): were it to ask about
// channel-results, the mock would send it down the old path (Publish, not PublishChannel).
func TestRunsResolvedAtStartDoNotAskAtPublication(t *testing.T) {
	h := newHarness(t)
	h.env.OnGetVersion("channel-results", workflow.DefaultVersion, workflow.Version(1)).Return(workflow.DefaultVersion)
	h.env.OnGetVersion("atomic-steps", workflow.DefaultVersion, workflow.Version(1)).Return(workflow.DefaultVersion)
	calls := 0
	h.channelFn = func(p activities.PublishRequest) (activities.ChannelOutcome, error) {
		calls++
		return activities.ChannelOutcome{Channel: p.Channel, Status: store.ChannelPublished}, nil
	}
	h.approved()
	res := h.run(0)

	require.Equal(t, greenlight.StatusPublished, res.Status)
	require.Equal(t, 2, calls, "one PublishChannel per channel, no old-path Publish")
	require.Len(t, h.published, 2)
}
