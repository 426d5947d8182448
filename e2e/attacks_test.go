package e2e

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/store"
)

// allowed is who may call each API route. A new route without an entry fails the test, so
// every route gets its role and scope checks.
var allowed = map[string][]string{
	"POST /api/v1/users":                          {"admin"},
	"POST /api/v1/clients":                        {"admin", "editor"},
	"GET /api/v1/clients":                         {"admin", "editor", "reviewer", "crisis_lead"},
	"GET /api/v1/clients/:id":                     {"admin", "editor", "reviewer", "crisis_lead"},
	"POST /api/v1/posts":                          {"admin", "editor"},
	"GET /api/v1/posts":                           {"admin", "editor", "reviewer", "crisis_lead"},
	"GET /api/v1/posts/:id":                       {"admin", "editor", "reviewer", "crisis_lead"},
	"PATCH /api/v1/posts/:id":                     {"admin", "editor"},
	"POST /api/v1/posts/:id/submit":               {"admin", "editor"},
	"POST /api/v1/posts/:id/review":               {"admin", "editor", "reviewer"},
	"POST /api/v1/posts/:id/cancel":               {"admin", "editor"},
	"GET /api/v1/playbooks":                       {"admin", "editor", "reviewer", "crisis_lead"},
	"GET /api/v1/playbooks/:key":                  {"admin", "editor", "reviewer", "crisis_lead"},
	"POST /api/v1/crises":                         {"admin", "crisis_lead"},
	"GET /api/v1/crises":                          {"admin", "editor", "reviewer", "crisis_lead"},
	"GET /api/v1/crises/:id":                      {"admin", "editor", "reviewer", "crisis_lead"},
	"POST /api/v1/crises/:id/steps/:key/complete": {"admin", "crisis_lead"},
	"POST /api/v1/crises/:id/steps/:key/assign":   {"admin", "crisis_lead"},
	"POST /api/v1/crises/:id/statements":          {"admin", "crisis_lead"},
	"POST /api/v1/crises/:id/resolve":             {"admin", "crisis_lead"},
	"GET /api/v1/crises/:id/report":               {"admin", "editor", "reviewer", "crisis_lead"},
	"POST /api/v1/clients/:id/mentions":           {"admin", "editor", "crisis_lead"},
	"GET /api/v1/clients/:id/mentions/stats":      {"admin", "editor", "reviewer", "crisis_lead"},
	"GET /api/v1/clients/:id/rules":               {"admin", "editor", "reviewer", "crisis_lead"},
	"POST /api/v1/clients/:id/rules":              {"admin", "crisis_lead"},
	"DELETE /api/v1/clients/:id/rules/:rule":      {"admin", "crisis_lead"},
	"GET /api/v1/clients/:id/contacts":            {"admin", "editor", "reviewer", "crisis_lead"},
	"PUT /api/v1/clients/:id/contacts":            {"admin", "editor", "crisis_lead"},
}

var roles = []string{"admin", "editor", "reviewer", "crisis_lead"}

func apiRoutes(t *testing.T) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range stack.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Method == "HEAD" || seen[r.Method+" "+r.Path] {
			continue
		}
		seen[r.Method+" "+r.Path] = true
		out = append(out, r.Method+" "+r.Path)
	}
	sort.Strings(out)
	require.Greater(t, len(out), 25)
	return out
}

// fill puts real ids (or the given ones) into a route's path.
func fill(path string, ids map[string]string) string {
	for _, p := range []string{":rule", ":key", ":id"} {
		path = strings.ReplaceAll(path, p, ids[p])
	}
	return path
}

func TestEveryRouteChecksRoleAndScope(t *testing.T) {
	admin := adminAPI(t)
	mine := admin.createClient("any", uniqueEmail("mine"))
	other := admin.createClient("any", uniqueEmail("other"))
	editor := admin.createUser("editor")
	lead := admin.createUser("crisis_lead")
	post := editor.createPost(mine.ID, time.Hour, nil)["id"].(string)
	crisis := lead.must(201, "POST", "/api/v1/crises", map[string]any{"client_id": mine.ID, "playbook": "bad-buzz", "severity": "low", "summary": "route checks"})["id"].(string)
	rule := admin.must(201, "POST", "/api/v1/clients/"+mine.ID+"/rules", map[string]any{"playbook": "bad-buzz", "min_negative": 1000, "window_minutes": 5})["id"].(string)

	users := map[string]*api{}
	for _, role := range roles {
		users[role] = admin.createUser(role)
	}
	// Resources of "mine" seen by each route: the client, a post, a crisis, a rule.
	idsFor := func(path string) map[string]string {
		ids := map[string]string{":key": "assemble", ":rule": rule, ":id": mine.ID}
		switch {
		case strings.HasPrefix(path, "/api/v1/posts/"):
			ids[":id"] = post
		case strings.HasPrefix(path, "/api/v1/crises/"):
			ids[":id"] = crisis
		case strings.HasPrefix(path, "/api/v1/playbooks/"):
			ids[":key"] = "bad-buzz"
		}
		return ids
	}
	for _, route := range apiRoutes(t) {
		who, ok := allowed[route]
		require.True(t, ok, "route %s has no entry in allowed: say who may call it", route)
		method, path, _ := strings.Cut(route, " ")
		t.Run(route, func(t *testing.T) {
			for _, role := range roles {
				r := users[role].do(method, fill(path, idsFor(path)), map[string]any{})
				if contains(who, role) {
					require.NotContains(t, []int{401, 403}, r.Status, "%s may call %s: %s", role, route, r.Body)
				} else {
					require.Equal(t, 403, r.Status, "%s may not call %s: %s", role, route, r.Body)
				}
			}
		})
	}
	// A resolve above may have ended the crisis; the scope checks below do not need it.

	// Scope: a user limited to "other" gets the same answer for mine's resources as for
	// resources that do not exist — existence does not leak.
	for _, role := range roles {
		scoped := admin.createUser(role, other.ID)
		for _, route := range apiRoutes(t) {
			method, path, _ := strings.Cut(route, " ")
			if !strings.Contains(path, ":id") {
				continue
			}
			real := scoped.do(method, fill(path, idsFor(path)), map[string]any{})
			fake := fill(path, idsFor(path))
			for _, id := range []string{mine.ID, post, crisis} {
				fake = strings.ReplaceAll(fake, id, id[:4]+strings.Repeat("0", len(id)-4))
			}
			ghost := scoped.do(method, fake, map[string]any{})
			require.Contains(t, []int{403, 404}, real.Status, "%s scoped elsewhere, %s: %s", role, route, real.Body)
			require.Equal(t, ghost.Status, real.Status, "%s %s: the answer for another client's resource equals the answer for none", role, route)
			require.Equal(t, string(ghost.Body), string(real.Body), "%s %s: same message", role, route)
		}
		r := scoped.do("GET", "/api/v1/posts?client_id="+mine.ID, nil)
		g := scoped.do("GET", "/api/v1/posts?client_id=cli_00000000000000000000000000", nil)
		require.Equal(t, 403, r.Status)
		require.Equal(t, string(g.Body), string(r.Body))
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
