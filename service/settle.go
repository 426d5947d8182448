package service

import (
	"context"
	"strings"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/store"
	"github.com/greenlight/greenlight/workflows"
)

// ChannelDecision is the author's decision on a channel of a post that failed:
// Action record_live (an unconfirmed channel found live at URL) or publish_again.
type ChannelDecision struct {
	Version int
	Action  string
	URL     string
}

// SettleChannel sends the author's decision on one channel of a failed post to its
// workflow, which checks it against the post as it is (the channel's last result, the
// version, the window to decide) and returns the post as recorded. publish_again is
// refused while a crisis holds the client's publishing. Errors: EINVALID naming the field,
// ECONFLICT when the post or the channel is not in a state to settle (or no longer can
// be: the window closed), ENOTFOUND.
func (s *Service) SettleChannel(ctx context.Context, actor *store.User, postID, channel string, in ChannelDecision) (*store.PostDetail, error) {
	p, err := s.loadPost(ctx, actor, ActPostSettle, postID)
	if err != nil {
		return nil, err
	}
	in.URL = strings.TrimSpace(in.URL)
	switch in.Action {
	case workflows.ChannelRecordLive:
		if err := workflows.ValidLiveURL(in.URL); err != nil {
			return nil, fromTemporal(err)
		}
	case workflows.ChannelPublishAgain:
		hold, err := s.Store.Hold(ctx, p.ClientID)
		if err != nil {
			return nil, err
		}
		if hold != nil {
			return nil, greenlight.Errorf(greenlight.ECONFLICT, "publishing for this client is paused by crisis %s: publish again once it is resolved", hold.CrisisID)
		}
	default:
		return nil, greenlight.Errorf(greenlight.EINVALID, "action: must be %s or %s", workflows.ChannelRecordLive, workflows.ChannelPublishAgain)
	}
	if greenlight.PostStatus(p.Status) != greenlight.StatusFailed {
		return nil, greenlight.Errorf(greenlight.ECONFLICT, "post is %s: only the channels of a post that failed can be settled", p.Status)
	}
	err = s.sendUpdate(ctx, workflows.PostWorkflowID(p.ID), "", workflows.ChannelDecisionUpdate, workflows.ChannelDecisionRequest{
		Actor: Actor(actor), Version: in.Version, Channel: channel, Action: in.Action, URL: in.URL,
	}, nil)
	if isClosed(err) {
		return nil, greenlight.Errorf(greenlight.ECONFLICT, "the time to settle this post's channels is over; create the post again")
	}
	if err != nil {
		return nil, err
	}
	return s.Store.PostDetail(ctx, p.ID)
}
