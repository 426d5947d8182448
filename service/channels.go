package service

import (
	"context"

	"github.com/greenlight/greenlight/store"
)

// PostChannels returns where a visible post's current version stands on each of its
// channels, in the post's order: published (remote id, URL), failed or unconfirmed (the
// error), or pending (not tried yet, or waiting for a retry). Post's detail carries the
// same list (store.PostDetail.ChannelResults); this is the light read for boards and pages.
func (s *Service) PostChannels(ctx context.Context, actor *store.User, postID string) ([]store.PostChannel, error) {
	p, err := s.loadPost(ctx, actor, ActPostRead, postID)
	if err != nil {
		return nil, err
	}
	return s.Store.CurrentChannels(ctx, p)
}
