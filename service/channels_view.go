package service

import (
	"context"

	"github.com/greenlight/greenlight/store"
)

// PostChannelStatus returns the publication rows of a post's current version, one per
// channel (pending, published, failed, unconfirmed), for staff who see the post; empty
// before publication starts. ENOTFOUND for a post outside the actor's clients.
func (s *Service) PostChannelStatus(ctx context.Context, actor *store.User, postID string) ([]store.PostChannel, error) {
	p, err := s.loadPost(ctx, actor, ActPostRead, postID)
	if err != nil {
		return nil, err
	}
	return s.Store.PostChannels(ctx, p.ID, p.Version)
}
