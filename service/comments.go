package service

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/store"
)

// MaxCommentRunes is the longest comment body accepted.
const MaxCommentRunes = 5000

// NewComment is the input of AddComment.
type NewComment struct {
	Body       string `json:"body"`
	Visibility string `json:"visibility"` // store.CommentInternal or store.CommentClient
}

// validComment trims body and checks it: EINVALID naming the field.
func validComment(body string) (string, error) {
	body = strings.TrimSpace(body)
	if body == "" || utf8.RuneCountInString(body) > MaxCommentRunes {
		return "", greenlight.Errorf(greenlight.EINVALID, "body: required, at most %d characters", MaxCommentRunes)
	}
	if !utf8.ValidString(body) || strings.ContainsRune(body, 0) {
		return "", greenlight.Errorf(greenlight.EINVALID, "body: not valid text")
	}
	return body, nil
}

// AddComment adds a staff comment on the post's current version. Internal comments stay
// with staff; client ones are shown to the client's approvers on their pages. Errors:
// EFORBIDDEN/ENOTFOUND from the policy, EINVALID for an empty or too long body or an
// unknown visibility.
func (s *Service) AddComment(ctx context.Context, actor *store.User, postID string, in NewComment) (*store.Comment, error) {
	p, err := s.loadPost(ctx, actor, ActPostComment, postID)
	if err != nil {
		return nil, err
	}
	if in.Visibility != store.CommentInternal && in.Visibility != store.CommentClient {
		return nil, greenlight.Errorf(greenlight.EINVALID, "visibility: must be %q or %q", store.CommentInternal, store.CommentClient)
	}
	body, err := validComment(in.Body)
	if err != nil {
		return nil, err
	}
	c := &store.Comment{
		ID: greenlight.NewID("cmt_"), PostID: p.ID, Version: p.Version, Visibility: in.Visibility,
		AuthorKind: "user", AuthorID: actor.ID, AuthorName: actor.Name, Body: body, CreatedAt: s.now(),
	}
	if err := s.Store.AddComment(ctx, c); err != nil {
		return nil, err
	}
	s.Log.Info("comment added", "post", p.ID, "comment", c.ID, "visibility", c.Visibility, "by", actor.ID)
	return c, nil
}

// Comments lists a post's comments, internal and client ones, oldest first.
func (s *Service) Comments(ctx context.Context, actor *store.User, postID string) ([]store.Comment, error) {
	p, err := s.loadPost(ctx, actor, ActPostRead, postID)
	if err != nil {
		return nil, err
	}
	return s.Store.Comments(ctx, p.ID)
}

// LinkComments returns the client-visible comments of the post a link is for (none for
// statements). It is what client pages show: internal comments are never read here. An
// unknown token is ENOTFOUND.
func (s *Service) LinkComments(ctx context.Context, token string) ([]store.Comment, error) {
	ls, err := s.lookupLink(ctx, token)
	if err != nil {
		return nil, err
	}
	if ls.link.SubjectKind != "post" {
		return nil, nil
	}
	return s.Store.Comments(ctx, ls.link.SubjectID, store.CommentClient)
}

// CommentFromLink adds an approver's comment, always visible to the client, on the version
// their link is for. The link is the credential: only an open link may comment (a used,
// expired or replaced one answers EGONE, a closed one ECONFLICT, as for decisions); a
// statement's link cannot comment (EINVALID); the body is checked as for staff.
func (s *Service) CommentFromLink(ctx context.Context, token, body string) (*store.Comment, error) {
	ls, err := s.lookupLink(ctx, token)
	if err != nil {
		return nil, err
	}
	if state, msg := ls.state(s.now()); state != LinkOpen {
		v := LinkView{State: state, Message: msg}
		return nil, v.Err()
	}
	l := ls.link
	if l.SubjectKind != "post" {
		return nil, greenlight.Errorf(greenlight.EINVALID, "comments are for posts")
	}
	body, err = validComment(body)
	if err != nil {
		return nil, err
	}
	c := &store.Comment{
		ID: greenlight.NewID("cmt_"), PostID: l.SubjectID, Version: l.Version, Visibility: store.CommentClient,
		AuthorKind: "approver", AuthorID: l.ApproverID, AuthorName: l.ApproverName, LinkID: l.ID, Body: body, CreatedAt: s.now(),
	}
	if err := s.Store.AddComment(ctx, c); err != nil {
		return nil, err
	}
	s.Log.Info("client comment added", "post", l.SubjectID, "comment", c.ID, "approver", l.ApproverID, "link", l.ID)
	return c, nil
}
