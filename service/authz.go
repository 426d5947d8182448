package service

import (
	"context"
	"slices"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/store"
)

// This file is the one authorization policy. Every service method acting for a staff user
// asks authorize before it reads or changes anything; no other file decides on roles or
// client scope. A user with client_ids is limited to those clients in every action, user
// administration included.
//
// Answers:
//   - a role that may never do the action: EFORBIDDEN, checked before anything is loaded,
//     so the answer does not depend on whether the resource exists;
//   - a resource outside the user's clients, addressed by id: ENOTFOUND, the same answer
//     as for a resource that does not exist;
//   - a client named in the request's input (a filter, a new post's client, the clients
//     given to a user) outside the user's clients: EFORBIDDEN.

// Action is something a staff user asks to do.
type Action string

// Actions, by resource.
const (
	ActUsersList    Action = "list users"
	ActUserRead     Action = "see users"
	ActUserCreate   Action = "create users"
	ActUserUpdate   Action = "change users"
	ActUserNewKey   Action = "issue keys"
	ActUserRevoke   Action = "revoke keys"
	ActUserInvite   Action = "invite users"
	ActClientsList  Action = "list clients"
	ActClientRead   Action = "see clients"
	ActClientCreate Action = "create clients"
	// ActClientWebhooks is seeing a client's webhook and Slack URLs (secrets: whoever knows
	// a webhook URL can post to it).
	ActClientWebhooks  Action = "see webhook URLs"
	ActApproversSet    Action = "change approvers"
	ActPostsList       Action = "list posts"
	ActPostRead        Action = "see posts"
	ActPostCreate      Action = "create posts"
	ActPostEdit        Action = "edit posts"
	ActPostSubmit      Action = "submit posts"
	ActPostReview      Action = "review posts"
	ActPostCancel      Action = "cancel posts"
	ActPostSettle      Action = "settle the channels of failed posts"
	ActCrisesList      Action = "list crises"
	ActCrisisRead      Action = "see crises"
	ActCrisisStart     Action = "start crises"
	ActStepComplete    Action = "complete crisis steps"
	ActStepAssign      Action = "assign crisis steps"
	ActStatementSubmit Action = "submit statements"
	ActCrisisResolve   Action = "resolve crises"
	ActMentionsIngest  Action = "ingest mentions"
	ActMentionsRead    Action = "see mentions"
	ActRulesRead       Action = "see trigger rules"
	ActRulesManage     Action = "manage trigger rules"
	ActContactsRead    Action = "see crisis contacts"
	ActContactsManage  Action = "manage crisis contacts"
	ActAccountsList    Action = "list connected accounts"
	ActAccountConnect  Action = "connect accounts"
	ActAccountRemove   Action = "remove connected accounts"
	ActMediaUpload     Action = "upload media"
	ActMediaRead       Action = "see media"
	ActPostComment     Action = "comment on posts"
	ActCertificate     Action = "download approval certificates"
	// ActCalendarFeed is minting or revoking one's own calendar feed (the feed then reads
	// posts as its user, with ActPostsList).
	ActCalendarFeed  Action = "subscribe to calendar feeds"
	ActSourcesRead   Action = "see listening sources"
	ActSourcesManage Action = "manage listening sources"
	// ActWebhooksManage is subscribing to, seeing and redelivering event webhooks: they
	// carry every client's events, so only admins limited to no client.
	ActWebhooksManage Action = "manage event webhooks"
)

// rule is who may do an action.
type rule struct {
	roles []greenlight.Role
	// assignee: a crisis step's assignee may do it whatever their role.
	assignee bool
	// unlimited: only users not limited to some clients (a limited user cannot create a
	// client: it would be outside its own scope).
	unlimited bool
}

var (
	everyone    = []greenlight.Role{greenlight.RoleAdmin, greenlight.RoleEditor, greenlight.RoleReviewer, greenlight.RoleCrisisLead}
	admins      = []greenlight.Role{greenlight.RoleAdmin}
	editors     = []greenlight.Role{greenlight.RoleAdmin, greenlight.RoleEditor}
	reviewers   = []greenlight.Role{greenlight.RoleAdmin, greenlight.RoleEditor, greenlight.RoleReviewer}
	crisisLeads = []greenlight.Role{greenlight.RoleAdmin, greenlight.RoleCrisisLead}
)

// policy is the table of every action: a new action without an entry is refused to all.
var policy = map[Action]rule{
	ActUsersList:  {roles: admins},
	ActUserRead:   {roles: admins},
	ActUserCreate: {roles: admins},
	ActUserUpdate: {roles: admins},
	ActUserNewKey: {roles: admins},
	ActUserRevoke: {roles: admins},
	ActUserInvite: {roles: admins},

	ActClientsList:    {roles: everyone},
	ActClientRead:     {roles: everyone},
	ActClientCreate:   {roles: editors, unlimited: true},
	ActClientWebhooks: {roles: admins},
	ActApproversSet:   {roles: editors},

	ActPostsList:  {roles: everyone},
	ActPostRead:   {roles: everyone},
	ActPostCreate: {roles: editors},
	ActPostEdit:   {roles: editors},
	ActPostSubmit: {roles: editors},
	ActPostReview: {roles: reviewers},
	ActPostCancel: {roles: editors},
	ActPostSettle: {roles: editors},

	ActCrisesList:      {roles: everyone},
	ActCrisisRead:      {roles: everyone},
	ActCrisisStart:     {roles: crisisLeads},
	ActStepComplete:    {roles: crisisLeads, assignee: true},
	ActStepAssign:      {roles: crisisLeads},
	ActStatementSubmit: {roles: crisisLeads},
	ActCrisisResolve:   {roles: crisisLeads},

	ActMentionsIngest: {roles: []greenlight.Role{greenlight.RoleAdmin, greenlight.RoleEditor, greenlight.RoleCrisisLead}},
	ActMentionsRead:   {roles: everyone},
	ActRulesRead:      {roles: everyone},
	ActRulesManage:    {roles: crisisLeads},
	ActContactsRead:   {roles: everyone},
	ActContactsManage: {roles: []greenlight.Role{greenlight.RoleAdmin, greenlight.RoleCrisisLead, greenlight.RoleEditor}},

	ActAccountsList:   {roles: everyone},
	ActAccountConnect: {roles: editors},
	ActAccountRemove:  {roles: editors},
	ActMediaUpload:    {roles: editors},
	ActMediaRead:      {roles: everyone},

	ActPostComment: {roles: everyone},
	ActCertificate: {roles: everyone},

	ActCalendarFeed:  {roles: everyone},
	ActSourcesRead:   {roles: everyone},
	ActSourcesManage: {roles: []greenlight.Role{greenlight.RoleAdmin, greenlight.RoleEditor, greenlight.RoleCrisisLead}},

	ActWebhooksManage: {roles: admins, unlimited: true},
}

// Resource is what an action is on. The zero Resource asks only whether the actor's role
// could ever do the action; methods ask that before loading anything.
type Resource struct {
	// Kind names the resource in a not-found answer ("post" → "post not found").
	Kind string
	// Clients are the clients the resource belongs to.
	Clients []string
	// Named says the clients come from the request's input rather than from a resource
	// addressed by id: outside the actor's scope is then EFORBIDDEN, not ENOTFOUND.
	Named bool
	// Target is the user administered (nil when creating one).
	Target *store.User
	// Grants, when not nil, is the client scope given to a user being created or changed
	// (empty means every client).
	Grants *[]string
	// Assignee, when not nil, is the assignee of the crisis step acted on. Actions open to
	// assignees are refused to other roles only once it is given.
	Assignee *string
}

// onClient is a resource of one client, addressed by id.
func onClient(kind, clientID string) Resource {
	return Resource{Kind: kind, Clients: []string{clientID}}
}

// naming is a client named in a request's input (a filter or a new resource's client).
func naming(clientID string) Resource {
	return Resource{Kind: "client", Clients: []string{clientID}, Named: true}
}

// authorize is the policy: it returns nil when actor may do act on res, else EFORBIDDEN
// or ENOTFOUND as the file comment says.
func authorize(actor *store.User, act Action, res Resource) error {
	r, ok := policy[act]
	if actor == nil || !ok {
		return greenlight.Errorf(greenlight.EFORBIDDEN, "not allowed")
	}
	roleOK := slices.Contains(r.roles, greenlight.Role(actor.Role))
	if !roleOK && !r.assignee {
		return greenlight.Errorf(greenlight.EFORBIDDEN, "role %s cannot %s", actor.Role, act)
	}
	if r.unlimited && limited(actor) {
		return greenlight.Errorf(greenlight.EFORBIDDEN, "users limited to some clients cannot %s", act)
	}
	if !inScope(actor, res.Clients...) {
		if res.Named {
			return greenlight.Errorf(greenlight.EFORBIDDEN, "client_id: outside your client scope")
		}
		return greenlight.Errorf(greenlight.ENOTFOUND, "%s not found", kindOf(res))
	}
	// Other roles may act as the assignee, once the step is known (after its scope, so the
	// refusal says nothing about steps of other clients).
	if !roleOK && res.Assignee != nil && *res.Assignee != actor.ID {
		return greenlight.Errorf(greenlight.EFORBIDDEN, "role %s cannot %s: only the crisis lead, an admin or the step's assignee can", actor.Role, act)
	}
	// User administration: a limited admin administers only users limited to some of its
	// own clients, and can only give such scopes. Others' users do not exist for it.
	if res.Target != nil && !administers(actor, res.Target.ClientIDs) {
		return greenlight.Errorf(greenlight.ENOTFOUND, "user not found")
	}
	if res.Grants != nil && !administers(actor, *res.Grants) {
		return greenlight.Errorf(greenlight.EFORBIDDEN, "client_ids: you are limited to some clients, so the users you manage must be limited to some of them too")
	}
	return nil
}

// Can reports whether actor's role allows act at all; pages use it to show only the
// actions a user may take (the service still decides on each request).
func Can(actor *store.User, act Action) bool {
	return authorize(actor, act, Resource{}) == nil
}

// Scope is the clients a user is limited to (empty: every client), for filtering lists.
func Scope(actor *store.User) []string { return actor.ClientIDs }

// InScope reports whether u may see and act on every one of clientIDs.
func InScope(u *store.User, clientIDs ...string) bool { return inScope(u, clientIDs...) }

func inScope(u *store.User, clientIDs ...string) bool {
	if !limited(u) {
		return true
	}
	for _, id := range clientIDs {
		if !slices.Contains(u.ClientIDs, id) {
			return false
		}
	}
	return true
}

func limited(u *store.User) bool { return len(u.ClientIDs) > 0 }

// administers reports whether actor may manage a user with scope: unlimited actors any,
// limited ones only a non-empty subset of their own clients.
func administers(actor *store.User, scope []string) bool {
	if !limited(actor) {
		return true
	}
	return len(scope) > 0 && inScope(actor, scope...)
}

func kindOf(r Resource) string {
	if r.Kind == "" {
		return "resource"
	}
	return r.Kind
}

// The loaders below read a resource addressed by id for an action: the role first (a
// refusal says nothing about existence), then the resource, then its clients. A malformed
// id, a missing resource and one outside the actor's clients all answer ENOTFOUND with the
// same message.

func (s *Service) loadPost(ctx context.Context, actor *store.User, act Action, id string) (*store.Post, error) {
	if err := authorize(actor, act, Resource{}); err != nil {
		return nil, err
	}
	if !greenlight.ValidID("pst_", id) {
		return nil, greenlight.Errorf(greenlight.ENOTFOUND, "post not found")
	}
	p, err := s.Store.Post(ctx, id)
	if err != nil {
		return nil, err
	}
	return p, authorize(actor, act, onClient("post", p.ClientID))
}

func (s *Service) loadCrisis(ctx context.Context, actor *store.User, act Action, id string) (*store.Crisis, error) {
	if err := authorize(actor, act, Resource{}); err != nil {
		return nil, err
	}
	if !greenlight.ValidID("crs_", id) {
		return nil, greenlight.Errorf(greenlight.ENOTFOUND, "crisis not found")
	}
	c, err := s.Store.Crisis(ctx, id)
	if err != nil {
		return nil, err
	}
	return c, authorize(actor, act, onClient("crisis", c.ClientID))
}

func (s *Service) loadMedia(ctx context.Context, actor *store.User, act Action, id string) (*store.Media, error) {
	if err := authorize(actor, act, Resource{}); err != nil {
		return nil, err
	}
	if !greenlight.ValidID("med_", id) {
		return nil, greenlight.Errorf(greenlight.ENOTFOUND, "media not found")
	}
	m, err := s.Store.Media(ctx, id)
	if err != nil {
		return nil, err
	}
	return m, authorize(actor, act, onClient("media", m.ClientID))
}

// loadClient checks scope before reading: whether a client outside it exists is not told.
func (s *Service) loadClient(ctx context.Context, actor *store.User, act Action, id string) (*store.Client, error) {
	if err := authorize(actor, act, Resource{}); err != nil {
		return nil, err
	}
	if !greenlight.ValidID("cli_", id) {
		return nil, greenlight.Errorf(greenlight.ENOTFOUND, "client not found")
	}
	if err := authorize(actor, act, onClient("client", id)); err != nil {
		return nil, err
	}
	return s.Store.Client(ctx, id)
}

// loadUser reads a user to administer; users a limited admin may not manage answer as
// missing ones.
func (s *Service) loadUser(ctx context.Context, actor *store.User, act Action, id string) (*store.User, error) {
	if err := authorize(actor, act, Resource{}); err != nil {
		return nil, err
	}
	if !greenlight.ValidID("usr_", id) {
		return nil, greenlight.Errorf(greenlight.ENOTFOUND, "user not found")
	}
	u, err := s.Store.UserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	return u, authorize(actor, act, Resource{Kind: "user", Target: u})
}

// listing checks a list action, with the client the list is filtered on if any (named in
// the request: outside the actor's scope is EFORBIDDEN). Lists are then limited to Scope.
func (s *Service) listing(actor *store.User, act Action, clientID string) error {
	if err := authorize(actor, act, Resource{}); err != nil {
		return err
	}
	if clientID == "" {
		return nil
	}
	return authorize(actor, act, naming(clientID))
}
