package workflows

import (
	"fmt"
	"net/url"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/store"
)

// versionChannelDecisions: a post that failed on some channel stays open for
// channelDecisionWindow so that its author settles each channel that did not go out from
// the post page: an unconfirmed channel (the network may have published it and gives no
// way to check) is recorded as live with its link, or published again; a failed one (a
// refusal, an account to reconnect) is published again. The post becomes published when
// every channel is. Runs that failed before this change ended at once (they replay so).
const versionChannelDecisions = "channel-decisions"

// channelDecisionWindow is how long a failed post waits for its author's decisions.
const channelDecisionWindow = 14 * 24 * time.Hour

// Channel decisions.
const (
	// ChannelRecordLive: the author checked the account and found the post: it is live at
	// URL. Only for an unconfirmed channel.
	ChannelRecordLive = "record_live"
	// ChannelPublishAgain: publish the channel again, now (after a reconnection, or when
	// the author checked that an unconfirmed post is not there).
	ChannelPublishAgain = "publish_again"
)

// ChannelDecisionRequest is the author's decision on one channel of a failed post.
// Version, when not 0, must be the post's current version.
type ChannelDecisionRequest struct {
	Actor   greenlight.Actor
	Version int
	Channel string
	Action  string
	URL     string
}

// ValidLiveURL checks the link an author gives for a post found live: an absolute http(s)
// URL of at most 2000 characters.
func ValidLiveURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(raw) > 2000 {
		return fail(greenlight.EINVALID, "url: the live post's address, such as https://www.instagram.com/p/…")
	}
	return nil
}

// finished reports whether the run is over: a final status with nothing in flight, and for
// a failed post no channel decision still possible.
func (r *postRun) finished(ctx workflow.Context) bool {
	st := &r.st
	if !st.Status.Final() || r.inflight != 0 {
		return false
	}
	if st.DecideUntil.IsZero() {
		return true
	}
	return !st.Publishing && !workflow.Now(ctx).Before(st.DecideUntil)
}

// openChannelDecisions, in the step that fails the post, keeps each channel's result and
// opens the author's window to settle them (runs under versionChannelDecisions only).
func (r *postRun) openChannelDecisions(ctx workflow.Context, results []activities.ChannelOutcome) {
	if workflow.GetVersion(ctx, versionChannelDecisions, workflow.DefaultVersion, 1) != 1 {
		return
	}
	r.st.ChannelResults = make(map[string]string, len(results))
	for _, res := range results {
		r.st.ChannelResults[res.Channel] = res.Status
	}
	r.st.DecideUntil = workflow.Now(ctx).Add(channelDecisionWindow)
}

func (r *postRun) checkChannelDecision(ctx workflow.Context, req ChannelDecisionRequest) error {
	st := &r.st
	switch {
	case st.Status != greenlight.StatusFailed || st.DecideUntil.IsZero():
		return fail(greenlight.ECONFLICT, "post is %s: only the channels of a post that failed can be settled", st.Status)
	case !workflow.Now(ctx).Before(st.DecideUntil):
		return fail(greenlight.ECONFLICT, "the channels of this post could be settled until %s; create the post again",
			st.DecideUntil.UTC().Format(time.RFC3339))
	case st.Publishing:
		return fail(greenlight.ECONFLICT, "a channel of this post is being published again: wait for its result")
	case req.Version != 0 && req.Version != st.Version:
		return fail(greenlight.ECONFLICT, "version %d is not the current version (%d)", req.Version, st.Version)
	}
	status, ok := st.ChannelResults[req.Channel]
	if !ok {
		return fail(greenlight.EINVALID, "channel: %q is not a channel of this post", req.Channel)
	}
	switch req.Action {
	case ChannelRecordLive:
		if status != store.ChannelUnconfirmed {
			return fail(greenlight.ECONFLICT, "%s is %s: only an unconfirmed channel can be recorded as live", req.Channel, status)
		}
		return ValidLiveURL(req.URL)
	case ChannelPublishAgain:
		if status == store.ChannelPublished {
			return fail(greenlight.ECONFLICT, "%s is already published", req.Channel)
		}
		return nil
	}
	return fail(greenlight.EINVALID, "action: must be %s or %s", ChannelRecordLive, ChannelPublishAgain)
}

// channelDecision settles one channel: record_live records the link at once; publish_again
// marks the post as publishing and publishes the channel beside the main loop (a rate
// limit may make it wait), then records the result. The post is published when every
// channel is; a channel failing again re-opens the window.
func (r *postRun) channelDecision(ctx workflow.Context, req ChannelDecisionRequest) (PostView, error) {
	check := func() error { return r.checkChannelDecision(ctx, req) }
	if req.Action == ChannelRecordLive {
		return r.step(ctx, check, func(ctx workflow.Context, c *change) error {
			live := activities.ChannelLive{PostID: r.in.PostID, Version: r.st.Version, Channel: req.Channel, URL: req.URL}
			if err := workflow.ExecuteLocalActivity(localCtx(ctx), a.RecordChannelLive, live).Get(ctx, nil); err != nil {
				return err
			}
			r.st.ChannelResults[req.Channel] = store.ChannelPublished
			r.event(ctx, c, req.Actor, "channel_recorded_live", req.Channel+": "+req.URL)
			r.publishedIfAll(ctx, c)
			return nil
		})
	}
	view, err := r.step(ctx, check, func(ctx workflow.Context, c *change) error {
		r.st.Publishing = true
		r.event(ctx, c, req.Actor, "channel_publish_again", req.Channel)
		return nil
	})
	if err != nil {
		return view, err
	}
	version := r.st.Version
	r.inflight++
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { r.inflight--; r.wake = true }()
		if err := r.publishAgain(ctx, version, req.Channel); err != nil {
			workflow.GetLogger(ctx).Error("channel published again, result not recorded", "channel", req.Channel, "error", err)
		}
	})
	return view, nil
}

// publishAgain publishes one channel of a failed post again, unless a crisis holds the
// client's publishing meanwhile, and records the result.
func (r *postRun) publishAgain(ctx workflow.Context, version int, channel string) error {
	var hold activities.HoldStatus
	holdErr := workflow.ExecuteLocalActivity(localCtx(ctx), a.PublishingHold, r.in.ClientID).Get(ctx, &hold)
	var out activities.ChannelOutcome
	if holdErr == nil && !hold.Held {
		out = r.publishChannel(ctx, version, channel)
	}
	_, err := r.auto(ctx, r.publishing, func(ctx workflow.Context, c *change) error {
		r.st.Publishing = false
		switch {
		case holdErr != nil: // never publish without knowing that no crisis holds the client
			r.event(ctx, c, greenlight.System, "publish_again_failed",
				fmt.Sprintf("%s not published again: the crisis hold could not be checked (%s); try again", channel, errorMessage(holdErr)))
			return nil
		case hold.Held:
			r.event(ctx, c, greenlight.System, "held", fmt.Sprintf("%s not published again: publishing is paused by crisis %s", channel, hold.CrisisID))
			return nil
		}
		r.st.ChannelResults[channel] = out.Status
		note := channelNote([]activities.ChannelOutcome{out})
		if out.Status != store.ChannelPublished {
			r.st.DecideUntil = workflow.Now(ctx).Add(channelDecisionWindow)
			r.event(ctx, c, greenlight.System, "publish_failed", note)
			r.notify(ctx, activities.NotifyFailed, note)
			return nil
		}
		r.event(ctx, c, greenlight.System, "channel_published", note)
		r.publishedIfAll(ctx, c)
		return nil
	})
	return err
}

// publishedIfAll makes the post published once every channel of the version is.
func (r *postRun) publishedIfAll(ctx workflow.Context, c *change) {
	for _, ch := range r.st.Content.Channels {
		if r.st.ChannelResults[ch] != store.ChannelPublished {
			return
		}
	}
	now := workflow.Now(ctx)
	r.st.Status = greenlight.StatusPublished
	r.st.PublishedAt = &now
	r.st.DecideUntil = time.Time{}
	r.event(ctx, c, greenlight.System, "published", "every channel is published")
}
