package service_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

// people are the users of the user-administration tests: clients A and B, a global admin,
// an admin limited to A, and users of A, of B and of both.
type people struct {
	a, b                           string
	root, limitedAdmin             *store.User
	userA, userB, userAB, readerAB *store.User
}

func setupPeople(t *testing.T, st *store.Store) people {
	ctx := context.Background()
	client := func(name string) string {
		c := &store.Client{ID: greenlight.NewID("cli_"), Name: name, ApprovalPolicy: "any", CreatedAt: time.Now().UTC(),
			Approvers: []store.Approver{{ID: greenlight.NewID("apr_"), Name: "A", Email: name + "@brand.test"}}}
		require.NoError(t, st.CreateClient(ctx, c))
		return c.ID
	}
	user := func(name, role string, clients ...string) *store.User {
		h := greenlight.HashToken(name)
		u := &store.User{ID: greenlight.NewID("usr_"), Email: name + "@agency.test", Name: name, Role: role, APIKeyHash: &h,
			CreatedAt: time.Now().UTC(), ClientIDs: clients}
		require.NoError(t, st.CreateUser(ctx, u))
		return u
	}
	p := people{a: client("a"), b: client("b")}
	p.root = user("root", "admin")
	p.limitedAdmin = user("limited", "admin", p.a)
	p.userA = user("usera", "editor", p.a)
	p.userB = user("userb", "editor", p.b)
	p.userAB = user("userab", "editor", p.a, p.b)
	p.readerAB = user("readerab", "reviewer", p.a, p.b)
	return p
}

func newService(st *store.Store) *service.Service {
	return &service.Service{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// An admin limited to client A administers only users limited to some of A's clients and
// gives only such scopes: a global admin, users of B and users of A and B do not exist for
// it, and it cannot make anyone unlimited.
func TestLimitedAdminAdministersOnlyItsClients(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc := newService(st)
		p := setupPeople(t, st)
		la := p.limitedAdmin
		n := 0
		email := func() string { n++; return "new" + string(rune('a'+n)) + "@agency.test" }
		create := func(role string, clients ...string) error {
			_, _, err := svc.CreateUser(ctx, la, service.NewUser{Email: email(), Name: "New", Role: role, ClientIDs: clients})
			return err
		}
		newKey := func(id string) error { _, err := svc.NewKey(ctx, la, id); return err }
		revoke := func(id string) error { return svc.RevokeKey(ctx, la, id) }
		invite := func(id string) error { _, err := svc.CreateInvite(ctx, la, id); return err }
		update := func(id, role string, clients ...string) func() error {
			return func() error { return svc.UpdateUser(ctx, la, id, role, clients) }
		}
		for _, tc := range []struct {
			name string
			do   func() error
			want string // error code, "" for success
		}{
			{"create an unlimited admin", func() error { return create("admin") }, greenlight.EFORBIDDEN},
			{"create an unlimited editor", func() error { return create("editor") }, greenlight.EFORBIDDEN},
			{"create a user of another client", func() error { return create("editor", p.b) }, greenlight.EFORBIDDEN},
			{"create a user of its client and another", func() error { return create("admin", p.a, p.b) }, greenlight.EFORBIDDEN},
			{"change the global admin", update(p.root.ID, "admin", p.a), greenlight.ENOTFOUND},
			{"change a user of another client", update(p.userB.ID, "editor", p.a), greenlight.ENOTFOUND},
			{"change a user of two clients", update(p.userAB.ID, "editor", p.a), greenlight.ENOTFOUND},
			{"make its user unlimited", update(p.userA.ID, "admin"), greenlight.EFORBIDDEN},
			{"move its user to another client", update(p.userA.ID, "editor", p.b), greenlight.EFORBIDDEN},
			{"make itself unlimited", update(la.ID, "admin"), greenlight.EFORBIDDEN},
			{"re-key the global admin", func() error { return newKey(p.root.ID) }, greenlight.ENOTFOUND},
			{"re-key a user of another client", func() error { return newKey(p.userB.ID) }, greenlight.ENOTFOUND},
			{"re-key a user of two clients", func() error { return newKey(p.userAB.ID) }, greenlight.ENOTFOUND},
			{"revoke the global admin's key", func() error { return revoke(p.root.ID) }, greenlight.ENOTFOUND},
			{"revoke a key of another client's user", func() error { return revoke(p.userB.ID) }, greenlight.ENOTFOUND},
			{"invite the global admin", func() error { return invite(p.root.ID) }, greenlight.ENOTFOUND},
			{"invite a user of another client", func() error { return invite(p.userB.ID) }, greenlight.ENOTFOUND},
			// What stays allowed: users limited to its clients.
			{"create an admin of its client", func() error { return create("admin", p.a) }, ""},
			{"change its user", update(p.userA.ID, "reviewer", p.a), ""},
			{"re-key its user", func() error { return newKey(p.userA.ID) }, ""},
			{"invite its user", func() error { return invite(p.userA.ID) }, ""},
			{"revoke its user's key", func() error { return revoke(p.userA.ID) }, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := tc.do()
				if tc.want == "" {
					require.NoError(t, err)
					return
				}
				require.Equal(t, tc.want, greenlight.ErrorCode(err), "%v", err)
			})
		}

		// The global admin kept its key, and an invisible user answers like a missing one.
		u, err := svc.Authenticate(ctx, "root")
		require.NoError(t, err)
		require.Equal(t, p.root.ID, u.ID)
		_, ghost := svc.NewKey(ctx, la, "usr_00000000000000000000000000")
		_, real := svc.NewKey(ctx, la, p.root.ID)
		require.Equal(t, ghost.Error(), real.Error())

		// It sees only the users it administers.
		list, err := svc.Users(ctx, la)
		require.NoError(t, err)
		var ids []string
		for _, u := range list {
			ids = append(ids, u.ID)
			require.NotEmpty(t, u.ClientIDs, "%s is unlimited", u.Email)
			require.Subset(t, []string{p.a}, u.ClientIDs, "%s", u.Email)
		}
		require.Contains(t, ids, p.userA.ID)
		require.NotContains(t, ids, p.root.ID)
		require.NotContains(t, ids, p.userB.ID)
		require.NotContains(t, ids, p.userAB.ID)
		_, err = svc.User(ctx, la, p.root.ID)
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))

		// The global admin administers everyone.
		all, err := svc.Users(ctx, p.root)
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(all), 6)
		_, err = svc.NewKey(ctx, p.root, p.userAB.ID)
		require.NoError(t, err)
		require.NoError(t, svc.UpdateUser(ctx, p.root, p.userB.ID, "editor", nil))
	})
}

// A limited admin works on its clients only: it cannot create a client (the new client
// would be outside its scope), and other clients do not exist for it.
func TestLimitedAdminAndClients(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc := newService(st)
		p := setupPeople(t, st)
		la := p.limitedAdmin

		_, err := svc.CreateClient(ctx, la, service.NewClient{Name: "Mine", Approvers: []service.NewApprover{{Name: "A", Email: "a@x.test"}}})
		require.Equal(t, greenlight.EFORBIDDEN, greenlight.ErrorCode(err))
		_, err = svc.Client(ctx, la, p.b)
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))
		_, err = svc.SetApprovers(ctx, la, p.b, []service.NewApprover{{Name: "M", Email: "m@evil.test"}})
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))
		_, err = svc.SetContacts(ctx, la, p.b, nil)
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))
		cs, err := svc.Clients(ctx, la)
		require.NoError(t, err)
		require.Len(t, cs, 1)
		require.Equal(t, p.a, cs[0].ID)
		_, err = svc.SetApprovers(ctx, la, p.a, []service.NewApprover{{Name: "N", Email: "n@brand.test"}})
		require.NoError(t, err)

		_, err = svc.CreateClient(ctx, p.root, service.NewClient{Name: "New", Approvers: []service.NewApprover{{Name: "A", Email: "a@x.test"}}})
		require.NoError(t, err)
	})
}

// The policy's role table, as pages ask it.
func TestPolicyRoles(t *testing.T) {
	u := func(role string, clients ...string) *store.User {
		return &store.User{ID: "usr_" + role, Role: role, ClientIDs: clients}
	}
	for _, tc := range []struct {
		user *store.User
		act  service.Action
		want bool
	}{
		{u("admin"), service.ActUserCreate, true},
		{u("editor"), service.ActUserCreate, false},
		{u("admin", "cli_a"), service.ActUserCreate, true}, // within its clients, see above
		{u("admin"), service.ActClientCreate, true},
		{u("editor"), service.ActClientCreate, true},
		{u("admin", "cli_a"), service.ActClientCreate, false},
		{u("editor", "cli_a"), service.ActClientCreate, false},
		{u("reviewer"), service.ActClientCreate, false},
		{u("admin"), service.ActClientWebhooks, true},
		{u("editor"), service.ActClientWebhooks, false},
		{u("crisis_lead"), service.ActClientWebhooks, false},
		{u("admin"), service.ActWebhooksManage, true},
		{u("admin", "cli_a"), service.ActWebhooksManage, false}, // every client's events
		{u("editor"), service.ActWebhooksManage, false},
		{u("reviewer"), service.ActPostReview, true},
		{u("reviewer"), service.ActPostEdit, false},
		{u("crisis_lead"), service.ActCrisisResolve, true},
		{u("editor"), service.ActCrisisResolve, false},
		{u("editor"), service.ActStepComplete, true}, // as the step's assignee
		{u("reviewer"), service.Action("a new action nobody listed"), false},
		{nil, service.ActPostRead, false},
	} {
		name := "nil"
		if tc.user != nil {
			name = tc.user.Role
		}
		require.Equal(t, tc.want, service.Can(tc.user, tc.act), "%s %v: %s", name, tc.user, tc.act)
	}
}
