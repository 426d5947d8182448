package e2e

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/devstack"
	"github.com/greenlight/greenlight/internal/linkedintest"
	"github.com/greenlight/greenlight/internal/metatest"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/internal/xtest"
	"github.com/greenlight/greenlight/outbound"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/publish/linkedin"
	"github.com/greenlight/greenlight/publish/networks"
	"github.com/greenlight/greenlight/publish/x"
	"github.com/greenlight/greenlight/store"
	"github.com/greenlight/greenlight/workflows"
)

// fourNetworks is a dev stack whose Instagram, Facebook, LinkedIn and X connectors and
// OAuth providers speak to the networks' contract fakes.
type fourNetworks struct {
	*devstack.Stack
	meta *metatest.Server
	li   *linkedintest.Server
	x    *xtest.Server
}

// startFourNetworks starts the fakes and a stack of its own (the package's shared stack
// has the shipped connectors) on a fresh database. The operator's apps are the fakes'
// seeded ones. Instagram's connector is the fake's (metatest.Connectors), which lets media
// URLs on loopback through for the fake to fetch, as Meta fetches the public URL.
func startFourNetworks(t *testing.T) *fourNetworks {
	t.Helper()
	hc := outbound.NewClient(loopbackReceivers, outbound.Options{})
	n := &fourNetworks{
		meta: metatest.Start(t, metatest.Options{}),
		li:   linkedintest.Start(t, linkedintest.Options{CommunityManagement: true}),
		x:    xtest.Start(t, xtest.Options{}),
	}
	apps := map[string]publish.OAuthApp{
		"instagram": metatest.App(), "facebook": metatest.App(),
		"linkedin": {ClientID: linkedintest.ClientID, ClientSecret: linkedintest.ClientSecret},
		"x":        {ClientID: n.x.ClientID, ClientSecret: n.x.ClientSecret},
	}
	conns := n.meta.Connectors(hc)
	providers := n.meta.Providers(hc)
	lc := linkedin.NewConnector(hc, apps["linkedin"], "")
	lc.AuthURL, lc.APIURL = n.li.URL, n.li.URL
	lc.PollInterval = 10 * time.Millisecond
	conns["linkedin"] = lc
	providers["linkedin"] = &linkedin.Provider{HTTP: hc, AuthURL: n.li.URL, APIURL: n.li.URL, Organizations: true}
	xc := x.New(hc, apps["x"])
	xc.AuthURL, xc.APIURL, xc.UploadURL = n.x.URL, n.x.URL, n.x.URL
	xc.PollInterval = 10 * time.Millisecond
	conns["x"], providers["x"] = xc, xc
	base := networks.Connectors(hc, networks.Config{}) // bluesky, mastodon
	for k, v := range base {
		if conns[k] == nil {
			conns[k] = v
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := devstack.Start(ctx, devstack.Config{
		Addr: "127.0.0.1:0", DataDir: t.TempDir(), DatabaseURL: testdb.PostgresURL(t), AdminKey: "glk_e2e-networks",
		ApproveRateLimit: 10000, Agency: "Agence Lumen",
		Log:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		Outbound:   loopbackReceivers,
		Networks:   networks.Config{Apps: apps, LinkedInOrganizations: true},
		Connectors: conns, Providers: providers,
	})
	require.NoError(t, err)
	t.Cleanup(func() { st.Stop() })
	n.Stack = st
	return n
}

var (
	pickTokenRE = regexp.MustCompile(`name="pick" value="([^"]+)"`)
	identityRE  = regexp.MustCompile(`name="identity" value="([^"]+)"`)
)

// connect connects an account of network for a client as a browser does: the API answers
// the authorize URL, the fake's consent page sends the browser back to the callback, and
// where several identities are offered the picking page's form is submitted with choose
// (the first offered when empty). It returns the account as listed.
func (n *fourNetworks) connect(t *testing.T, editor *api, clientID, network, choose string) map[string]any {
	t.Helper()
	started := editor.must(201, "POST", "/api/v1/clients/"+clientID+"/accounts", map[string]any{"network": network})
	require.Equal(t, "pending", started["status"])
	authorize := started["authorize_url"].(string)

	resp := browse(t, "GET", authorize, nil)
	require.Equal(t, http.StatusFound, resp.Status, "consent page of %s: %s", network, resp.Body)
	callback := resp.Header.Get("Location")
	require.True(t, strings.HasPrefix(callback, n.URL+"/oauth/callback/"+network+"?"), "back to the stack: %s", callback)
	resp = browse(t, "GET", callback, nil)
	if resp.Status == http.StatusOK { // several identities: the picking page
		body := string(resp.Body)
		token := pickTokenRE.FindStringSubmatch(body)
		require.NotNil(t, token, "pick form: %s", body)
		var offered []string
		for _, m := range identityRE.FindAllStringSubmatch(body, -1) {
			offered = append(offered, html.UnescapeString(m[1]))
		}
		require.NotEmpty(t, offered)
		if choose == "" {
			choose = offered[0]
		}
		require.Contains(t, offered, choose, "offered identities")
		resp = browse(t, "POST", n.URL+"/oauth/callback/"+network, url.Values{"pick": {html.UnescapeString(token[1])}, "identity": {choose}})
	}
	require.Equal(t, http.StatusSeeOther, resp.Status, "%s callback: %s", network, resp.Body)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "/clients/"+clientID+"/accounts", loc.Path)
	id := loc.Query().Get("connected")
	require.Equal(t, started["id"], id, "the pending account is the one connected")
	for _, a := range editor.must(200, "GET", "/api/v1/clients/"+clientID+"/accounts", nil)["items"].([]any) {
		if a := a.(map[string]any); a["id"] == id {
			return a
		}
	}
	t.Fatalf("account %s not listed", id)
	return nil
}

// browse sends a request as a browser without following redirects.
func browse(t *testing.T, method, u string, form url.Values) response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	require.NoError(t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html")
	resp, err := noRedirect.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: data, Header: resp.Header}
}

// staffPage fetches a staff page of st with a session of user made in its store.
func staffPage(t *testing.T, st *devstack.Stack, email, path string) string {
	t.Helper()
	u, err := st.Store.UserByEmail(context.Background(), email)
	require.NoError(t, err)
	token, hash := greenlight.NewToken("gls_")
	csrf, _ := greenlight.NewToken("")
	now := time.Now().UTC()
	require.NoError(t, st.Store.CreateSession(context.Background(), &store.Session{TokenHash: hash, UserID: u.ID, CSRF: csrf,
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
	req, err := http.NewRequest("GET", st.URL+path, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/html")
	req.AddCookie(&http.Cookie{Name: "gl_session", Value: token})
	resp, err := noRedirect.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	require.Equal(t, 200, resp.StatusCode, "%s", data)
	return string(data)
}

// channelsByName indexes a post's channels.
func channelsByName(p map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, c := range p["channels"].([]any) {
		c := c.(map[string]any)
		out[c["channel"].(string)] = c
	}
	return out
}

// TestPublishToFourNetworks connects Instagram, Facebook (a Page picked among two), LinkedIn
// (the organization picked over the member) and X for one client through the OAuth flow
// against the networks' contract fakes, driving the consent pages and callbacks as a
// browser would. A post with an image goes through the whole approval (the client approves
// from the emailed link) and is published at its time: each fake holds exactly one post
// with the text and the image, and the post shows four published channels with links. A
// second post meets X refusing it (403): the other three are published, the post is
// failed with X's message on the API and on the post page, and publishing X again once it
// accepts makes the post published without sending the others twice.
func TestPublishToFourNetworks(t *testing.T) {
	n := startFourNetworks(t)
	admin := &api{t: t, base: n.URL, key: n.AdminKey}
	editorEmail := "editor-networks@agency.test"
	u := admin.must(201, "POST", "/api/v1/users", map[string]any{"email": editorEmail, "name": "Staff editor", "role": "editor", "client_ids": []string{}})
	editor := &api{t: t, base: n.URL, key: u["api_key"].(string)}
	reviewer := admin.createUser("reviewer")
	ana := uniqueEmail("ana")
	client := admin.createClient("any", ana)

	accounts := map[string]map[string]any{
		"instagram": n.connect(t, editor, client.ID, "instagram", ""),
		"facebook":  n.connect(t, editor, client.ID, "facebook", metatest.PageID),
		"linkedin":  n.connect(t, editor, client.ID, "linkedin", linkedintest.OrganizationURN(linkedintest.DefaultOrganization.ID)),
		"x":         n.connect(t, editor, client.ID, "x", ""),
	}
	for network, handle := range map[string]string{"instagram": "@" + metatest.IGUsername, "facebook": metatest.PageName,
		"linkedin": linkedintest.DefaultOrganization.Vanity, "x": "@" + xtest.Username} {
		require.Equal(t, "active", accounts[network]["status"], network)
		require.Equal(t, handle, accounts[network]["handle"], network)
	}

	jpeg, err := os.ReadFile("../examples/winter-menu.jpg")
	require.NoError(t, err)
	img := editor.upload(client.ID, "winter-menu.jpg", jpeg)
	require.Equal(t, "image/jpeg", img["content_type"])
	const alt = "A bowl of onion soup on a wooden table"
	channels := []string{"instagram", "facebook", "linkedin", "x"}

	var link string // the client's link to the last post
	publishOne := func(text string) (string, map[string]any) {
		post := editor.createPost(client.ID, 10*time.Second, map[string]any{
			"title": "Winter menu", "body": text, "channels": channels,
			"media": []map[string]any{{"id": img["id"], "alt": alt}}, "media_urls": []string{},
		})
		id := post["id"].(string)
		editor.must(200, "POST", "/api/v1/posts/"+id+"/submit", nil)
		reviewer.must(200, "POST", "/api/v1/posts/"+id+"/review", map[string]any{"version": 1, "decision": "approve"})
		link = approvalLink(t, n.URL, ana, id)
		approved := form(t, link, url.Values{"decision": {"approve"}}, "application/json")
		require.Equal(t, 200, approved.Status, "%s", approved.Body)
		return id, post
	}

	t.Run("published to all four at its time", func(t *testing.T) {
		text := "Notre menu d'hiver arrive ❄️ soupe à l'oignon"
		id, post := publishOne(text)
		published := editor.waitStatus(id, "published", 90*time.Second)
		publishedAt, err := time.Parse(time.RFC3339Nano, published["published_at"].(string))
		require.NoError(t, err)
		publishAt, err := time.Parse(time.RFC3339Nano, post["publish_at"].(string))
		require.NoError(t, err)
		require.False(t, publishedAt.Before(publishAt), "published at its time, not before")
		chans := channelsByName(published)
		require.Len(t, chans, 4)
		for _, network := range channels {
			c := chans[network]
			require.Equal(t, "published", c["status"], "%s: %v", network, c)
			require.Equal(t, accounts[network]["id"], c["account_id"], network)
			require.NotEmpty(t, c["remote_id"], network)
			require.True(t, strings.HasPrefix(c["url"].(string), "https://"), "%s link: %v", network, c["url"])
			require.Empty(t, c["error"], network)
		}

		clientPage := string(page(t, link).Body)
		for _, network := range channels {
			require.Contains(t, clientPage, `href="`+html.EscapeString(chans[network]["url"].(string))+`"`, "the client's page links to the %s post", network)
		}

		posts := n.meta.Posts()
		require.Len(t, posts, 2, "one Instagram media, one Page post")
		for _, p := range posts {
			require.Equal(t, text, p.Text, p.Network)
			require.Equal(t, chans[p.Network]["remote_id"], p.ID, p.Network)
			switch p.Network {
			case "instagram":
				require.Equal(t, metatest.IGUserID, p.Account)
				require.Equal(t, "IMAGE", p.Type)
				require.Len(t, p.Media, 1)
				require.True(t, strings.HasPrefix(p.Media[0], n.URL+"/"), "Meta fetched the image from the stack's public URL: %s", p.Media[0])
				status, ct := fetchURL(t, p.Media[0])
				require.Equal(t, 200, status)
				require.Equal(t, "image/jpeg", ct)
			case "facebook":
				require.Equal(t, metatest.PageID, p.Account)
				require.Equal(t, "photo", p.Type)
				require.Len(t, p.Media, 1)
			default:
				t.Fatalf("unexpected %s post", p.Network)
			}
		}

		li := n.li.Posts()
		require.Len(t, li, 1)
		require.Equal(t, linkedintest.OrganizationURN(linkedintest.DefaultOrganization.ID), li[0].Author)
		require.Equal(t, text, li[0].Text)
		require.Equal(t, chans["linkedin"]["remote_id"], li[0].URN)
		require.Len(t, li[0].Images, 1)
		require.Equal(t, alt, li[0].Images[0].AltText)
		uploaded := n.li.Images()
		require.Len(t, uploaded, 1)
		require.Equal(t, li[0].Images[0].ID, uploaded[0].URN)
		require.True(t, uploaded[0].Uploaded)
		require.Equal(t, "image/jpeg", uploaded[0].ContentType)

		tweets := n.x.Tweets()
		require.Len(t, tweets, 1)
		require.Equal(t, text, tweets[0].Text)
		require.Equal(t, chans["x"]["remote_id"], tweets[0].ID)
		require.Len(t, tweets[0].MediaIDs, 1)
		m, ok := n.x.MediaByID(tweets[0].MediaIDs[0])
		require.True(t, ok)
		require.Equal(t, "image/jpeg", m.ContentType)
		require.Equal(t, alt, m.Alt)
	})

	t.Run("X refuses: the others published, the failure shown, X published again", func(t *testing.T) {
		const refusal = "You are not allowed to create a Tweet with duplicate content."
		n.x.Fail("POST /2/tweets", xtest.Problem(403, "Forbidden", refusal))
		n.x.ExpireAccessTokens() // X's two hours are over: the connector refreshes (the refresh token rotates)
		require.Empty(t, n.x.UsedRefreshTokens())
		text := "Le menu d'hiver, deuxième service 🍲"
		id, _ := publishOne(text)
		failed := editor.waitStatus(id, "failed", 90*time.Second)
		chans := channelsByName(failed)
		for _, network := range []string{"instagram", "facebook", "linkedin"} {
			require.Equal(t, "published", chans[network]["status"], "%s: %v", network, chans[network])
		}
		require.Equal(t, "failed", chans["x"]["status"])
		require.Contains(t, chans["x"]["error"], refusal, "X's message is shown")
		require.Contains(t, staffPage(t, n.Stack, editorEmail, "/posts/"+id), html.EscapeString(refusal), "the post page shows X's message")
		require.Len(t, n.x.UsedRefreshTokens(), 1, "one refresh before the create")
		acct := editor.must(200, "GET", "/api/v1/clients/"+client.ID+"/accounts", nil)
		for _, a := range acct["items"].([]any) {
			require.Equal(t, "active", a.(map[string]any)["status"], "%v", a)
		}

		editor.must(200, "POST", "/api/v1/posts/"+id+"/channels/x/settle", map[string]any{"action": "publish_again", "version": 1})
		published := editor.waitStatus(id, "published", 60*time.Second)
		chans = channelsByName(published)
		for _, network := range channels {
			require.Equal(t, "published", chans[network]["status"], "%s: %v", network, chans[network])
		}
		require.Len(t, n.meta.Posts(), 4, "Instagram and Facebook once more each, for the second post only")
		require.Len(t, n.li.Posts(), 2)
		tweets := n.x.Tweets()
		require.Len(t, tweets, 2)
		require.Equal(t, text, tweets[1].Text)
		require.Equal(t, chans["x"]["remote_id"], tweets[1].ID)
	})
	t.Run("answers lost: Instagram looks, X unconfirmed until recorded live", func(t *testing.T) {
		n.meta.Fail("POST /{ig-user-id}/media_publish", metatest.Fault{Drop: true})
		n.x.LoseResponse("POST /2/tweets", 1)
		text := "Le menu d'hiver, troisième service 🥖"
		id, _ := publishOne(text)
		failed := editor.waitStatus(id, "failed", 90*time.Second)
		chans := channelsByName(failed)
		for _, network := range []string{"instagram", "facebook", "linkedin"} {
			require.Equal(t, "published", chans[network]["status"], "%s: %v", network, chans[network])
		}
		igPosts := 0
		for _, p := range n.meta.Posts() {
			if p.Network == "instagram" && p.Text == text {
				igPosts++
				require.Equal(t, chans["instagram"]["remote_id"], p.ID, "the published media found by looking")
			}
		}
		require.Equal(t, 1, igPosts, "Instagram's create was not sent blindly again")
		require.Equal(t, "unconfirmed", chans["x"]["status"], "%v", chans["x"])
		require.NotEmpty(t, chans["x"]["error"])
		tweets := n.x.Tweets()
		require.Len(t, tweets, 3, "the tweet was made, its answer lost; it is not sent again")
		require.Equal(t, text, tweets[2].Text)
		require.Contains(t, staffPage(t, n.Stack, editorEmail, "/posts/"+id), "unconfirmed")

		live := "https://x.com/" + xtest.Username + "/status/" + tweets[2].ID
		editor.must(200, "POST", "/api/v1/posts/"+id+"/channels/x/settle", map[string]any{"action": "record_live", "url": live, "version": 1})
		published := editor.waitStatus(id, "published", 60*time.Second)
		chans = channelsByName(published)
		require.Equal(t, "published", chans["x"]["status"])
		require.Equal(t, live, chans["x"]["url"])
		require.Len(t, n.x.Tweets(), 3, "recording the link sends nothing")
		require.Len(t, n.meta.Posts(), 6)
		require.Len(t, n.li.Posts(), 3)
		recordHistoryOf(t, n.Stack, workflows.PostWorkflowID(id), "post_unconfirmed_then_recorded_live")
	})
}
