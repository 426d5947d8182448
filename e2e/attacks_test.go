package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/devstack"
	"github.com/greenlight/greenlight/store"
)

// access says who may call a route. Every route of the router needs an entry, JSON API and
// web pages alike: a new route without one fails TestEveryRouteChecksRoleAndScope.
type access struct {
	// who are the roles that may call the route.
	who []string
	// actions, for routes ending in /:action, are the roles allowed for each action.
	actions map[string][]string
	// public routes need no user: sign-in, invites and approval links (their token is the
	// credential), health checks, the dev mail catcher.
	public bool
	// body is sent by users limited to another client on routes without an id: it names
	// the other client (or asks for more than the user's scope) and must be refused.
	body any
	// form is body for pages.
	form url.Values
	// own routes act on the caller's own things (its calendar feed) and name no client:
	// a limited user may call them like any other.
	own bool
	// unlimited routes are refused (403) to every user limited to some clients, even of
	// an allowed role: they carry every client's data (event webhooks).
	unlimited bool
}

var (
	everyone    = []string{"admin", "editor", "reviewer", "crisis_lead"}
	editorRoles = []string{"admin", "editor"}
	leadRoles   = []string{"admin", "crisis_lead"}
	adminRole   = []string{"admin"}
)

// routeAccess is the table of every route.
var routeAccess = map[string]access{
	// JSON API.
	"POST /api/v1/users":                     {who: adminRole, body: map[string]any{"email": "x@agency.test", "name": "X", "role": "admin", "client_ids": []string{}}},
	"POST /api/v1/clients":                   {who: editorRoles, body: map[string]any{"name": "Mine now", "approvers": []map[string]string{{"name": "A", "email": "a@x.test"}}}},
	"GET /api/v1/clients":                    {who: everyone},
	"GET /api/v1/clients/:id":                {who: everyone},
	"PATCH /api/v1/clients/:id":              {who: editorRoles},
	"GET /api/v1/clients/:id/approval-stats": {who: everyone},
	"POST /api/v1/posts": {who: editorRoles, body: map[string]any{"client_id": ":mine", "title": "x", "body": "x", "channels": []string{"x"},
		"publish_at": "2099-01-01T00:00:00Z"}},
	"GET /api/v1/posts":                           {who: everyone},
	"GET /api/v1/posts/:id":                       {who: everyone},
	"PATCH /api/v1/posts/:id":                     {who: editorRoles},
	"POST /api/v1/posts/:id/submit":               {who: editorRoles},
	"POST /api/v1/posts/:id/review":               {who: []string{"admin", "editor", "reviewer"}},
	"POST /api/v1/posts/:id/cancel":               {who: editorRoles},
	"POST /api/v1/posts/:id/comments":             {who: everyone},
	"GET /api/v1/posts/:id/comments":              {who: everyone},
	"GET /api/v1/posts/:id/certificate":           {who: everyone},
	"GET /api/v1/playbooks":                       {who: everyone},
	"GET /api/v1/playbooks/:key":                  {who: everyone},
	"POST /api/v1/crises":                         {who: leadRoles, body: map[string]any{"client_id": ":mine", "playbook": "bad-buzz", "severity": "low", "summary": "x"}},
	"GET /api/v1/crises":                          {who: everyone},
	"GET /api/v1/crises/:id":                      {who: everyone},
	"POST /api/v1/crises/:id/steps/:key/complete": {who: leadRoles},
	"POST /api/v1/crises/:id/steps/:key/assign":   {who: leadRoles},
	"POST /api/v1/crises/:id/statements":          {who: leadRoles},
	"POST /api/v1/crises/:id/resolve":             {who: leadRoles},
	"GET /api/v1/crises/:id/report":               {who: everyone},
	"POST /api/v1/clients/:id/mentions":           {who: []string{"admin", "editor", "crisis_lead"}},
	"GET /api/v1/clients/:id/mentions/stats":      {who: everyone},
	"GET /api/v1/clients/:id/rules":               {who: everyone},
	"POST /api/v1/clients/:id/rules":              {who: leadRoles},
	"DELETE /api/v1/clients/:id/rules/:rule":      {who: leadRoles},
	"GET /api/v1/clients/:id/contacts":            {who: everyone},
	"PUT /api/v1/clients/:id/contacts":            {who: []string{"admin", "editor", "crisis_lead"}},
	"POST /api/v1/clients/:id/media":              {who: editorRoles},
	"GET /api/v1/media/:id":                       {who: everyone},

	"POST /api/v1/posts/:id/channels/:channel/settle": {who: editorRoles},

	// Calendar feeds (the caller's own) and listening sources (":source" stays unsubstituted).
	"GET /api/v1/calendar-feed":                  {who: everyone, own: true},
	"DELETE /api/v1/calendar-feed":               {who: everyone, own: true},
	"POST /api/v1/clients/:id/sources":           {who: []string{"admin", "editor", "crisis_lead"}},
	"GET /api/v1/clients/:id/sources":            {who: everyone},
	"DELETE /api/v1/clients/:id/sources/:source": {who: []string{"admin", "editor", "crisis_lead"}},

	// Event webhooks: admins limited to no client (":delivery" stays unsubstituted).
	"POST /api/v1/webhooks":                                    {who: adminRole, unlimited: true},
	"GET /api/v1/webhooks":                                     {who: adminRole, unlimited: true},
	"GET /api/v1/webhooks/:id":                                 {who: adminRole, unlimited: true},
	"DELETE /api/v1/webhooks/:id":                              {who: adminRole, unlimited: true},
	"GET /api/v1/webhooks/:id/deliveries":                      {who: adminRole, unlimited: true},
	"POST /api/v1/webhooks/:id/deliveries/:delivery/redeliver": {who: adminRole, unlimited: true},
	// Client portals (":approver" stays unsubstituted: 404 for allowed roles).
	"POST /api/v1/clients/:id/approvers/:approver/portal":   {who: editorRoles},
	"DELETE /api/v1/clients/:id/approvers/:approver/portal": {who: editorRoles},

	// Connected accounts (":account" stays unsubstituted: a malformed id, 404 for allowed roles).
	"GET /api/v1/networks":                         {who: everyone},
	"GET /api/v1/clients/:id/accounts":             {who: everyone},
	"POST /api/v1/clients/:id/accounts":            {who: editorRoles},
	"DELETE /api/v1/clients/:id/accounts/:account": {who: editorRoles},

	// Web pages (session cookie; forms carry the session's CSRF token).
	"POST /logout":               {who: everyone},
	"GET /board":                 {who: everyone},
	"GET /calendar":              {who: everyone},
	"GET /posts/new":             {who: everyone},
	"POST /posts":                {who: editorRoles, form: url.Values{"client_id": {":mine"}}},
	"GET /posts/:id":             {who: everyone},
	"GET /posts/:id/certificate": {who: everyone},
	"GET /clients/:id/accounts":  {who: everyone},
	"GET /clients/:id/stats":     {who: everyone},
	"POST /clients/:id/accounts/:action": {actions: map[string][]string{
		"bluesky": editorRoles, "mastodon": editorRoles, "oauth": editorRoles, "remove": editorRoles,
	}},
	"POST /clients/:id/media": {who: editorRoles},
	"POST /posts/:id/:action": {actions: map[string][]string{
		"edit": editorRoles, "reschedule": editorRoles, "submit": editorRoles, "cancel": editorRoles, "settle": editorRoles,
		"review": {"admin", "editor", "reviewer"}, "comment": everyone,
	}},
	"GET /crises":            {who: everyone},
	"POST /crises":           {who: leadRoles, form: url.Values{"client_id": {":mine"}, "playbook": {"bad-buzz"}, "severity": {"low"}, "summary": {"x"}}},
	"GET /crises/:id":        {who: everyone},
	"GET /crises/:id/live":   {who: everyone},
	"GET /crises/:id/report": {who: everyone},
	"POST /crises/:id/:action": {actions: map[string][]string{
		"complete": leadRoles, "assign": leadRoles, "statement": leadRoles, "resolve": leadRoles,
	}},
	"GET /admin/users":  {who: adminRole},
	"POST /admin/users": {who: adminRole, form: url.Values{"email": {"y@agency.test"}, "name": {"Y"}, "role": {"admin"}}},
	"POST /admin/users/:id/:action": {actions: map[string][]string{
		"update": adminRole, "revoke": adminRole, "key": adminRole, "invite": adminRole,
	}},
	"GET /admin/webhooks":     {who: adminRole, unlimited: true},
	"POST /admin/webhooks":    {who: adminRole, unlimited: true, form: url.Values{"url": {"https://example.com/hook"}}},
	"GET /admin/webhooks/:id": {who: adminRole, unlimited: true},
	"POST /admin/webhooks/:id/:action": {unlimited: true, actions: map[string][]string{
		"delete": adminRole, "redeliver": adminRole,
	}},
	"GET /admin/clients":     {who: everyone},
	"POST /admin/clients":    {who: editorRoles, form: url.Values{"name": {"Mine now"}, "approvers": {"A <a@x.test>"}}},
	"GET /admin/clients/:id": {who: everyone},
	"POST /admin/clients/:id/:action": {actions: map[string][]string{
		"contacts": {"admin", "editor", "crisis_lead"}, "approvers": editorRoles, "rule": leadRoles, "delete-rule": leadRoles,
		"portal-send": editorRoles, "portal-revoke": editorRoles, "settings": editorRoles,
	}},

	// Public: the token in the path is the credential, or there is nothing to protect.
	"GET /":                                          {public: true},
	"GET /login":                                     {public: true},
	"POST /login":                                    {public: true},
	"GET /invite/:token":                             {public: true},
	"POST /invite/:token":                            {public: true},
	"GET /lang/:lang":                                {public: true},
	"GET /healthz":                                   {public: true},
	"GET /readyz":                                    {public: true},
	"GET /api/openapi.json":                          {public: true}, // the API contract describes, it holds no data
	"GET /api/openapi.yaml":                          {public: true},
	"GET /api/docs":                                  {public: true},
	"GET /approve/:token":                            {public: true},
	"GET /media/:id/file":                            {public: true}, // the signed URL is the credential
	"GET /media/:id/thumb":                           {public: true},
	"POST /approve/:token":                           {public: true},
	"POST /approve/:token/comment":                   {public: true},
	"GET /review/:token":                             {public: true},
	"POST /review/:token":                            {public: true},
	"GET /dev/mail.json":                             {public: true},
	"GET /dev/mail":                                  {public: true},
	"GET /dev/mail/:id":                              {public: true},
	"GET /dev/mail/:id/html":                         {public: true},
	"GET /dev/stats":                                 {public: true},
	"GET /dev/publications.json":                     {public: true},
	"GET /calendar/:file":                            {public: true}, // the feed's token is the credential
	"POST /hooks/mentions/:source":                   {public: true}, // the batch's signature is the credential
	"GET /portal/:token":                             {public: true}, // the portal's token is the credential
	"POST /portal/:token/posts/:post/decision":       {public: true},
	"GET /portal/:token/posts/:post/certificate.pdf": {public: true},

	// The single-use OAuth state in the query is the credential.
	"GET /oauth/callback/mastodon": {public: true},
	"GET /oauth/callback/:network": {public: true},
	// The pick token in the form, bound to a used state, is the credential.
	"POST /oauth/callback/:network": {public: true},
}

// allRoutes is every route of the router, "METHOD /path".
func allRoutes(t *testing.T) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range stack.Routes() {
		k := r.Method + " " + r.Path
		if r.Method == "HEAD" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, k)
	}
	sort.Strings(out)
	require.Greater(t, len(out), 50)
	return out
}

// member is a staff user created for a test: its id, email, API client and web session.
type member struct {
	id, email string
	api       *api
	web       *web
}

func newMember(t *testing.T, admin *api, role string, clientIDs ...string) member {
	t.Helper()
	if clientIDs == nil {
		clientIDs = []string{}
	}
	email := fmt.Sprintf("%s-%d@agency.test", role, time.Now().UnixNano())
	u := admin.must(201, "POST", "/api/v1/users", map[string]any{"email": email, "name": "Staff " + role, "role": role, "client_ids": clientIDs})
	id := u["id"].(string)
	return member{id: id, email: email, api: &api{t: t, base: admin.base, key: u["api_key"].(string)}, web: signIn(t, id)}
}

// web is a browser session of one user, made directly in the store.
type web struct {
	t     *testing.T
	token string
	csrf  string
}

func signIn(t *testing.T, userID string) *web {
	t.Helper()
	token, hash := greenlight.NewToken("gls_")
	csrf, _ := greenlight.NewToken("")
	now := time.Now().UTC()
	require.NoError(t, stack.Store.CreateSession(context.Background(), &store.Session{TokenHash: hash, UserID: userID, CSRF: csrf,
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
	return &web{t: t, token: token, csrf: csrf}
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// do requests a page as a browser: session cookie, the CSRF token in forms, no redirects
// followed.
func (w *web) do(method, path string, form url.Values) response {
	w.t.Helper()
	var body io.Reader
	if method != "GET" {
		v := url.Values{}
		for k, vs := range form {
			v[k] = vs
		}
		v.Set("_csrf", w.csrf)
		body = strings.NewReader(v.Encode())
	}
	req, err := http.NewRequest(method, stack.URL+path, body)
	require.NoError(w.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html")
	req.AddCookie(&http.Cookie{Name: "gl_session", Value: w.token})
	resp, err := noRedirect.Do(req)
	require.NoError(w.t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: data, Header: resp.Header}
}

// call sends a request for route as m: JSON with its key under /api/, a form with its
// session elsewhere.
func (m member) call(method, path string, json any, form url.Values) response {
	if strings.HasPrefix(path, "/api/") {
		if json == nil {
			json = map[string]any{}
		}
		return m.api.do(method, path, json)
	}
	// A fresh session for each page: POST /logout ends the one it is sent with.
	return signIn(m.web.t, m.id).do(method, path, form)
}

// cases expands a route into concrete calls: one per action for /:action routes.
func cases(route string, a access) map[string][]string {
	if a.actions == nil {
		return map[string][]string{route: a.who}
	}
	out := map[string][]string{}
	for action, who := range a.actions {
		out[strings.Replace(route, ":action", action, 1)] = who
	}
	return out
}

// subst puts ids into a path or a body.
func subst(s string, ids map[string]string) string {
	for _, p := range []string{":rule", ":key", ":id", ":mine"} {
		s = strings.ReplaceAll(s, p, ids[p])
	}
	return s
}

func substAny(v any, ids map[string]string) any {
	switch x := v.(type) {
	case string:
		return subst(x, ids)
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = substAny(e, ids)
		}
		return out
	case url.Values:
		out := url.Values{}
		for k, vs := range x {
			for _, e := range vs {
				out.Add(k, subst(e, ids))
			}
		}
		return out
	}
	return v
}

// Every route of the router, API and pages, against every role (unlimited), then against
// every role limited to another client, the admin included: roles outside the table get
// 403; a resource of a client outside the user's scope answers exactly like one that does
// not exist; routes without an id refuse to name such a client or to grant more than the
// user's scope, and lists show nothing of it.
func TestEveryRouteChecksRoleAndScope(t *testing.T) {
	admin := adminAPI(t)
	mine := admin.createClient("any", uniqueEmail("mine"))
	other := admin.createClient("any", uniqueEmail("other"))
	editor := admin.createUser("editor")
	lead := admin.createUser("crisis_lead")
	post := editor.createPost(mine.ID, time.Hour, nil)["id"].(string)
	crisis := lead.must(201, "POST", "/api/v1/crises", map[string]any{"client_id": mine.ID, "playbook": "bad-buzz", "severity": "low", "summary": "route checks"})["id"].(string)
	rule := admin.must(201, "POST", "/api/v1/clients/"+mine.ID+"/rules", map[string]any{"playbook": "bad-buzz", "min_negative": 1000, "window_minutes": 5})["id"].(string)
	// victim is the target of user administration: a user of "mine".
	victim := newMember(t, admin, "editor", mine.ID)

	routes := allRoutes(t)
	for _, route := range routes {
		_, ok := routeAccess[route]
		require.True(t, ok, "route %s has no entry in routeAccess: say who may call it", route)
	}

	// The ids of "mine" each route acts on: the client, a post, a crisis, a rule, a user.
	idsFor := func(path string) map[string]string {
		ids := map[string]string{":key": "assemble", ":rule": rule, ":id": mine.ID, ":mine": mine.ID}
		switch {
		case strings.HasPrefix(path, "/api/v1/posts/"), strings.HasPrefix(path, "/posts/"):
			ids[":id"] = post
		case strings.HasPrefix(path, "/api/v1/crises/"), strings.HasPrefix(path, "/crises/"):
			ids[":id"] = crisis
		case strings.HasPrefix(path, "/admin/users/"):
			ids[":id"] = victim.id
		case strings.HasPrefix(path, "/api/v1/playbooks/"):
			ids[":key"] = "bad-buzz"
		}
		return ids
	}

	staff := map[string]member{}
	for _, role := range everyone {
		staff[role] = newMember(t, admin, role)
	}
	t.Run("roles", func(t *testing.T) {
		for _, route := range routes {
			a := routeAccess[route]
			if a.public {
				continue
			}
			for concrete, who := range cases(route, a) {
				method, path, _ := strings.Cut(concrete, " ")
				for _, role := range everyone {
					r := staff[role].call(method, subst(path, idsFor(path)), nil, nil)
					if contains(who, role) {
						require.NotContains(t, []int{401, 403}, r.Status, "%s may call %s: %s", role, concrete, r.Body)
					} else {
						require.Equal(t, 403, r.Status, "%s may not call %s: %s", role, concrete, r.Body)
					}
				}
			}
		}
	})
	// A resolve above may have ended the crisis; the scope checks below do not need it.

	// What a user limited to "other" must never see.
	globalAdmin, err := stack.Store.UserByEmail(context.Background(), devstack.AdminEmail)
	require.NoError(t, err)
	secrets := []string{mine.ID, post, crisis, rule, victim.id, victim.email, globalAdmin.ID, devstack.AdminEmail}
	ghostOf := func(s string) string {
		for _, id := range []string{mine.ID, post, crisis, victim.id} {
			s = strings.ReplaceAll(s, id, id[:4]+strings.Repeat("0", len(id)-4))
		}
		return s
	}
	for _, role := range everyone {
		scoped := newMember(t, admin, role, other.ID)
		t.Run("limited "+role, func(t *testing.T) {
			for _, route := range routes {
				a := routeAccess[route]
				if a.public || route == "POST /logout" {
					continue
				}
				for concrete, who := range cases(route, a) {
					method, path, _ := strings.Cut(concrete, " ")
					ids := idsFor(path)
					switch {
					case strings.Contains(path, ":id"):
						real := scoped.call(method, subst(path, ids), nil, nil)
						ghost := scoped.call(method, ghostOf(subst(path, ids)), nil, nil)
						require.Contains(t, []int{403, 404}, real.Status, "%s limited elsewhere, %s: %s", role, concrete, real.Body)
						require.Equal(t, ghost.Status, real.Status, "%s %s: another client's resource answers like none", role, concrete)
						require.Equal(t, string(ghost.Body), string(real.Body), "%s %s: same message", role, concrete)
					case method == "GET":
						r := scoped.call(method, subst(path, ids), nil, nil)
						if !contains(who, role) || a.unlimited {
							require.Equal(t, 403, r.Status, "%s may not call %s: %s", role, concrete, r.Body)
							continue
						}
						require.Equal(t, 200, r.Status, "%s %s: %s", role, concrete, r.Body)
						for _, s := range secrets {
							require.NotContains(t, string(r.Body), s, "%s %s shows something of another client or an unlimited user", role, concrete)
						}
					case a.own:
						r := scoped.call(method, subst(path, ids), nil, nil)
						require.NotContains(t, []int{401, 403}, r.Status, "%s %s acts on its own things: %s", role, concrete, r.Body)
					default:
						r := scoped.call(method, subst(path, ids), substAny(a.body, ids), substAny(a.form, ids).(url.Values))
						require.Equal(t, 403, r.Status, "%s %s naming another client or asking for more than its scope: %s", role, concrete, r.Body)
					}
				}
			}
			r := scoped.api.do("GET", "/api/v1/posts?client_id="+mine.ID, nil)
			g := scoped.api.do("GET", "/api/v1/posts?client_id=cli_00000000000000000000000000", nil)
			require.Equal(t, 403, r.Status)
			require.Equal(t, string(g.Body), string(r.Body))
		})
	}
	// Nothing the limited users asked for was created or changed.
	for _, email := range []string{"x@agency.test", "y@agency.test"} {
		_, err := stack.Store.UserByEmail(context.Background(), email)
		require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err), "%s was created", email)
	}
	_, err = stack.Service.Authenticate(context.Background(), stack.AdminKey)
	require.NoError(t, err, "the global admin's key still works")
}

// An admin limited to one client cannot step outside it through user administration,
// neither with the JSON API nor with the web admin pages: it cannot create an unlimited
// user or a user of another client, and cannot change, re-key, revoke or invite the global
// admin or another client's user.
func TestLimitedAdminCannotEscalate(t *testing.T) {
	admin := adminAPI(t)
	mine := admin.createClient("any", uniqueEmail("a"))
	other := admin.createClient("any", uniqueEmail("b"))
	la := newMember(t, admin, "admin", mine.ID)
	theirs := newMember(t, admin, "editor", other.ID)
	both := newMember(t, admin, "editor", mine.ID, other.ID)
	own := newMember(t, admin, "editor", mine.ID)
	root, err := stack.Store.UserByEmail(context.Background(), devstack.AdminEmail)
	require.NoError(t, err)

	t.Run("API", func(t *testing.T) {
		for _, body := range []map[string]any{
			{"email": uniqueEmail("esc"), "name": "Esc", "role": "admin", "client_ids": []string{}},
			{"email": uniqueEmail("esc"), "name": "Esc", "role": "admin"},
			{"email": uniqueEmail("esc"), "name": "Esc", "role": "editor", "client_ids": []string{other.ID}},
			{"email": uniqueEmail("esc"), "name": "Esc", "role": "admin", "client_ids": []string{mine.ID, other.ID}},
		} {
			r := la.api.do("POST", "/api/v1/users", body)
			require.Equal(t, 403, r.Status, "%v: %s", body, r.Body)
			_, err := stack.Store.UserByEmail(context.Background(), body["email"].(string))
			require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))
		}
		r := la.api.do("POST", "/api/v1/clients", map[string]any{"name": "Escape", "approvers": []map[string]string{{"name": "A", "email": "a@x.test"}}})
		require.Equal(t, 403, r.Status, "%s", r.Body)
		require.Equal(t, 404, la.api.do("GET", "/api/v1/clients/"+other.ID, nil).Status)
		// Within its client it still works.
		made := la.api.must(201, "POST", "/api/v1/users", map[string]any{"email": uniqueEmail("ok"), "name": "Ok", "role": "admin", "client_ids": []string{mine.ID}})
		require.Equal(t, []any{mine.ID}, made["client_ids"])
	})

	t.Run("pages", func(t *testing.T) {
		r := la.web.do("POST", "/admin/users", url.Values{"email": {uniqueEmail("esc")}, "name": {"Esc"}, "role": {"admin"}})
		require.Equal(t, 403, r.Status, "creating an unlimited admin: %s", r.Body)
		r = la.web.do("POST", "/admin/users", url.Values{"email": {uniqueEmail("esc")}, "name": {"Esc"}, "role": {"editor"}, "client_ids": {other.ID}})
		require.Equal(t, 403, r.Status, "creating a user of another client: %s", r.Body)
		for _, target := range []struct{ name, id string }{{"the global admin", root.ID}, {"another client's user", theirs.id}, {"a user of two clients", both.id}} {
			for action, form := range map[string]url.Values{
				"key": nil, "revoke": nil, "invite": nil,
				"update": {"role": {"admin"}, "client_ids": {mine.ID}},
			} {
				r := la.web.do("POST", "/admin/users/"+target.id+"/"+action, form)
				require.Equal(t, 404, r.Status, "%s %s: %s", action, target.name, r.Body)
				require.NotContains(t, string(r.Body), "glk_", "no key shown")
				require.NotContains(t, string(r.Body), "/invite/", "no invite shown")
			}
		}
		r = la.web.do("POST", "/admin/users/"+la.id+"/update", url.Values{"role": {"admin"}})
		require.Equal(t, 403, r.Status, "making itself unlimited: %s", r.Body)
		r = la.web.do("POST", "/admin/users/"+own.id+"/update", url.Values{"role": {"admin"}})
		require.Equal(t, 403, r.Status, "making its user unlimited: %s", r.Body)
		r = la.web.do("POST", "/admin/clients", url.Values{"name": {"Escape"}, "approvers": {"A <a@x.test>"}})
		require.Equal(t, 403, r.Status, "creating a client: %s", r.Body)

		// The users page lists only its users.
		r = la.web.do("GET", "/admin/users", nil)
		require.Equal(t, 200, r.Status)
		require.Contains(t, string(r.Body), own.email)
		for _, hidden := range []string{devstack.AdminEmail, theirs.email, both.email} {
			require.NotContains(t, string(r.Body), hidden)
		}
		// Its own users it still manages.
		r = la.web.do("POST", "/admin/users/"+own.id+"/key", nil)
		require.Equal(t, 200, r.Status, "%s", r.Body)
		require.Contains(t, string(r.Body), "glk_")
	})

	// Nothing changed for the others: their keys work, their scopes are as they were.
	_, err = stack.Service.Authenticate(context.Background(), stack.AdminKey)
	require.NoError(t, err, "the global admin's key still works")
	theirs.api.must(200, "GET", "/api/v1/clients", nil)
	u, err := stack.Store.UserByID(context.Background(), theirs.id)
	require.NoError(t, err)
	require.Equal(t, []string{other.ID}, u.ClientIDs)
	require.Equal(t, "editor", u.Role)
	u, err = stack.Store.UserByID(context.Background(), root.ID)
	require.NoError(t, err)
	require.Empty(t, u.ClientIDs)
	require.Equal(t, "admin", u.Role)
}

// Webhook and Slack URLs are secrets: only admins see them, in the API and on pages;
// others see that they are configured.
func TestWebhookURLsAreShownToAdminsOnly(t *testing.T) {
	admin := adminAPI(t)
	hook, slack := "https://hooks.example.test/secret-"+fmt.Sprint(time.Now().UnixNano()), "https://slack.example.test/services/T0/B0/secret"
	id := admin.createClient("any", uniqueEmail("a")).ID
	// Set in the store: what URLs a client may have is not this test's subject.
	require.NoError(t, stack.Store.DB().Model(&store.Client{}).Where("id = ?", id).
		Updates(map[string]any{"webhook_url": hook, "slack_webhook_url": slack}).Error)
	require.Equal(t, hook, admin.must(200, "GET", "/api/v1/clients/"+id, nil)["webhook_url"])
	adm := newMember(t, admin, "admin")
	r := adm.web.do("GET", "/admin/clients/"+id, nil)
	require.Equal(t, 200, r.Status)
	require.Contains(t, string(r.Body), hook)

	for _, role := range []string{"editor", "reviewer", "crisis_lead"} {
		m := newMember(t, admin, role)
		got := m.api.must(200, "GET", "/api/v1/clients/"+id, nil)
		require.Equal(t, true, got["webhook_configured"], role)
		require.Equal(t, true, got["slack_webhook_configured"], role)
		list := m.api.do("GET", "/api/v1/clients", nil)
		r := m.web.do("GET", "/admin/clients/"+id, nil)
		require.Equal(t, 200, r.Status)
		for _, body := range [][]byte{m.api.do("GET", "/api/v1/clients/"+id, nil).Body, list.Body, r.Body} {
			require.NotContains(t, string(body), hook, role)
			require.NotContains(t, string(body), slack, role)
		}
	}
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

func TestLinkAttacksChangeNothing(t *testing.T) {
	admin := adminAPI(t)
	editor := admin.createUser("editor")
	reviewer := admin.createUser("reviewer")
	ana := uniqueEmail("ana")
	c := admin.createClient("any", ana)
	stranger := admin.createClient("any", uniqueEmail("stranger"))
	id := editor.createPost(c.ID, time.Hour, nil)["id"].(string)
	editor.must(200, "POST", "/api/v1/posts/"+id+"/submit", nil)
	reviewer.must(200, "POST", "/api/v1/posts/"+id+"/review", map[string]any{"version": 1, "decision": "approve"})
	link := linkIn(t, waitMail(t, ana, 1)[0])
	token := link[strings.LastIndex(link, "/")+1:]
	before := editor.must(200, "GET", "/api/v1/posts/"+id, nil)
	ctx := context.Background()

	// Expired: the same link once its expiry has passed.
	require.NoError(t, stack.Store.DB().Model(&store.Link{}).Where("token_hash = ?", greenlight.HashToken(token)).
		Update("expires_at", time.Now().UTC().Add(-time.Minute)).Error)
	require.Equal(t, 410, page(t, link).Status)
	require.Equal(t, 410, form(t, link, url.Values{"decision": {"approve"}}, "application/json").Status)
	require.NoError(t, stack.Store.DB().Model(&store.Link{}).Where("token_hash = ?", greenlight.HashToken(token)).
		Update("expires_at", time.Now().UTC().Add(time.Hour)).Error)

	// Another approver's link: a valid token whose approver is not asked for this version.
	otherToken, hash := greenlight.NewToken("gl_")
	require.NoError(t, stack.Store.SaveLink(ctx, &store.Link{ID: greenlight.NewID("lnk_"), TokenHash: hash, EffectKey: "attack/" + otherToken[:12],
		SubjectKind: "post", SubjectID: id, Version: 1, ApproverID: stranger.ID, ApproverName: "Mallory", ApproverEmail: "m@evil.test",
		ExpiresAt: time.Now().UTC().Add(time.Hour), CreatedAt: time.Now().UTC()}))
	r := form(t, stack.URL+"/approve/"+otherToken, url.Values{"decision": {"approve"}}, "application/json")
	require.Equal(t, 403, r.Status, "%s", r.Body)

	// Forged tokens of every shape.
	for _, forged := range []string{"gl_" + strings.Repeat("A", 43), token + "x", strings.ToUpper(token), "%2e%2e%2fapi", strings.Repeat("a", 500)} {
		require.Contains(t, []int{404}, form(t, stack.URL+"/approve/"+forged, url.Values{"decision": {"approve"}}, "application/json").Status, forged)
	}
	after := editor.must(200, "GET", "/api/v1/posts/"+id, nil)
	require.Equal(t, before, after, "refused links change nothing")

	// Then the real one works, once.
	require.Equal(t, 200, form(t, link, url.Values{"decision": {"approve"}}, "application/json").Status)
	require.Equal(t, 410, form(t, link, url.Values{"decision": {"approve"}}, "application/json").Status)
	require.Equal(t, "scheduled", editor.must(200, "GET", "/api/v1/posts/"+id, nil)["status"])
	_ = fmt.Sprint
}
