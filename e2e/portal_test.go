package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/icaltest"
	"github.com/greenlight/greenlight/internal/pdftext"
	"github.com/greenlight/greenlight/store"
	"github.com/greenlight/greenlight/workflows"
)

var (
	portalRE = regexp.MustCompile(`https?://\S+/portal/glp_[A-Za-z0-9_-]+`)
	feedRE   = regexp.MustCompile(`value="([^"]*/calendar/glc_[^"]+)" id="feed-url"`)
)

// portalIn returns the portal URL in an email.
func portalIn(t *testing.T, m mail) string {
	t.Helper()
	u := portalRE.FindString(m.Text)
	require.NotEmpty(t, u, "no portal link in %q", m.Text)
	return u
}

// getAs requests url as a browser (accept) would, without following redirects.
func getAs(t *testing.T, u, accept string) response {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", accept)
	resp, err := noRedirect.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{Status: resp.StatusCode, Body: data, Header: resp.Header}
}

// awaiting creates a post of clientID and brings it to the client (submit, review), then
// returns its id and the approval link emailed to approver (the n-th email to them).
func awaiting(t *testing.T, editor, reviewer *api, clientID, approver, title string, publishIn time.Duration, n int) (string, string) {
	t.Helper()
	id := editor.createPost(clientID, publishIn, map[string]any{"title": title, "media_urls": []string{}})["id"].(string)
	editor.must(200, "POST", "/api/v1/posts/"+id+"/submit", nil)
	reviewer.must(200, "POST", "/api/v1/posts/"+id+"/review", map[string]any{"version": 1, "decision": "approve"})
	return id, linkIn(t, waitMail(t, approver, n)[0])
}

// The portal end to end through the API: staff send it (the approver gets an email), it
// shows what waits (and a decision from it goes through the approver's link), what is
// scheduled and published with live links and certificates, the approver's decisions, and
// the calendar feed (read by ical.js, right across the end of summer time); never drafts,
// internal comments or other clients. Sending again, revoking and expiry make the link
// answer 410 with a page saying so.
func TestClientPortal(t *testing.T) {
	admin := adminAPI(t)
	editor := admin.createUser("editor")
	reviewer := admin.createUser("reviewer")
	ana := uniqueEmail("ana-portal")
	mine := admin.createClient("any", ana)
	other := admin.createClient("any", uniqueEmail("other-portal"))

	soon, soonLink := awaiting(t, editor, reviewer, mine.ID, ana, "Menu du printemps", 8*time.Second, 1)
	waiting, _ := awaiting(t, editor, reviewer, mine.ID, ana, "Brunch du dimanche", 2*time.Hour, 2)
	editor.must(201, "POST", "/api/v1/posts/"+soon+"/comments", map[string]any{"body": "INTERNE-7f2 marge", "visibility": "internal"})
	editor.must(201, "POST", "/api/v1/posts/"+soon+"/comments", map[string]any{"body": "Pour Ana : photo retouchée", "visibility": "client"})
	draft := editor.createPost(mine.ID, time.Hour, map[string]any{"title": "BROUILLON-3a1", "media_urls": []string{}})["id"].(string)
	elsewhere := seedPost(t, other.ID, "AUTRE-CLIENT-5b2", "scheduled", time.Now().Add(time.Hour), 1)

	// Staff send the portal: the approver gets it by email.
	sent := editor.must(201, "POST", "/api/v1/clients/"+mine.ID+"/approvers/"+url.PathEscape(ana)+"/portal", nil)
	portal := sent["url"].(string)
	require.True(t, strings.HasPrefix(portal, stack.URL+"/portal/glp_"), portal)
	expires, err := time.Parse(time.RFC3339Nano, sent["expires_at"].(string))
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(90*24*time.Hour), expires, time.Minute, "90 days by default")
	var m mail
	eventually(t, 20*time.Second, func() bool {
		for _, x := range mails(t, ana) {
			if strings.Contains(x.Subject, "Your approval portal") {
				m = x
				return true
			}
		}
		return false
	}, "the portal email")
	require.Equal(t, portal, portalIn(t, m))
	pt, err := stack.Store.PortalByHash(context.Background(), greenlight.HashToken(strings.TrimPrefix(portal, stack.URL+"/portal/")))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, stack.Temporal.GetWorkflow(ctx, workflows.PortalEmailWorkflowID(pt.ID), "").Get(ctx, nil), "the email workflow completes")
	recordHistory(t, workflows.PortalEmailWorkflowID(pt.ID), "portal_email")
	_, err = stack.Store.PortalEmailToken(context.Background(), pt.ID)
	require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err), "the token left the outbox once sent")

	// The first post is approved through its emailed link, the portal shows it decided.
	require.Equal(t, 200, form(t, soonLink, url.Values{"decision": {"approve"}, "comment": {"Parfait pour moi"}}, "application/json").Status)
	editor.waitStatus(soon, "published", 30*time.Second)
	require.NoError(t, stack.Store.DB().Model(&store.PostChannel{}).Where("post_id = ? AND channel = ?", soon, "instagram").
		Update("url", "https://social.example/p/menu").Error)

	p := getAs(t, portal, "text/html")
	require.Equal(t, 200, p.Status, "%s", p.Body)
	require.Equal(t, "no-referrer", p.Header.Get("Referrer-Policy"))
	require.Equal(t, "no-store", p.Header.Get("Cache-Control"))
	body := string(p.Body)
	for _, want := range []string{"Brunch du dimanche", "Menu du printemps", "https://social.example/p/menu", "Parfait pour moi",
		"/portal/", "/posts/" + soon + "/certificate.pdf", "/posts/" + waiting + "/decision"} {
		require.Contains(t, body, want)
	}
	for _, never := range []string{"INTERNE-7f2", "BROUILLON-3a1", draft, "AUTRE-CLIENT-5b2", elsewhere, other.ID} {
		require.NotContains(t, body, never)
	}

	t.Run("certificate", func(t *testing.T) {
		pdf := getAs(t, portal+"/posts/"+soon+"/certificate.pdf", "application/pdf")
		require.Equal(t, 200, pdf.Status, "%s", pdf.Body)
		require.Equal(t, "application/pdf", pdf.Header.Get("Content-Type"))
		require.True(t, strings.HasPrefix(string(pdf.Body), "%PDF-"))
		text := pdftext.Text(t, pdf.Body)
		require.Contains(t, text, "Menu du printemps", "the same certificate staff download")
		require.Contains(t, text, "Parfait pour moi")
		for _, id := range []string{elsewhere, draft, waiting} {
			r := getAs(t, portal+"/posts/"+id+"/certificate.pdf", "application/json")
			require.Equal(t, 404, r.Status, "certificate of %s: %s", id, r.Body)
		}
	})

	t.Run("decide from the portal", func(t *testing.T) {
		bad := formTo(t, portal+"/posts/"+waiting+"/decision", url.Values{"decision": {"request_changes"}}, "text/html")
		require.Equal(t, 422, bad.Status)
		require.Contains(t, string(bad.Body), "Please write a comment")
		notMine := formTo(t, portal+"/posts/"+elsewhere+"/decision", url.Values{"decision": {"approve"}}, "application/json")
		require.Equal(t, 404, notMine.Status)
		// The emailed link has expired: the portal, the lasting credential, still decides.
		require.NoError(t, stack.Store.DB().Exec("UPDATE links SET expires_at = ? WHERE subject_id = ?", time.Now().UTC().Add(-time.Minute), waiting).Error)
		ok := formTo(t, portal+"/posts/"+waiting+"/decision", url.Values{"decision": {"approve"}}, "text/html")
		require.Equal(t, 303, ok.Status, "%s", ok.Body)
		require.Equal(t, "scheduled", editor.must(200, "GET", "/api/v1/posts/"+waiting, nil)["status"])
		again := formTo(t, portal+"/posts/"+waiting+"/decision", url.Values{"decision": {"approve"}}, "application/json")
		require.Equal(t, 409, again.Status, "decided: nothing waits any more")
		j := getAs(t, portal, "application/json").json(t)
		require.Empty(t, j["waiting"])
		require.Len(t, j["decisions"], 2)

		// The certificate names the approver's link the portal decided through.
		req, err := http.NewRequest("GET", stack.URL+"/api/v1/posts/"+waiting+"/certificate", nil)
		require.NoError(t, err)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Authorization", "Bearer "+editor.key)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var cert struct {
			Decisions []struct {
				Stage  string `json:"stage"`
				LinkID string `json:"link_id"`
			} `json:"decisions"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&cert))
		require.Len(t, cert.Decisions, 2)
		require.Equal(t, "client", cert.Decisions[1].Stage)
		require.True(t, strings.HasPrefix(cert.Decisions[1].LinkID, "lnk_"), "%+v", cert.Decisions)
		var via store.Link
		require.NoError(t, stack.Store.DB().Where("id = ?", cert.Decisions[1].LinkID).Take(&via).Error)
		require.Equal(t, fmt.Sprintf("portal/%s/%s/v1", pt.ID, waiting), via.EffectKey, "the decision's link records the portal")
		require.NotNil(t, via.DecidedAt)
	})

	t.Run("calendar feed", func(t *testing.T) {
		paris, err := time.LoadLocation("Europe/Paris")
		require.NoError(t, err)
		year := time.Now().Year()
		dstEnd := time.Date(year, 10, 31, 0, 0, 0, 0, paris)
		for dstEnd.Weekday() != time.Sunday {
			dstEnd = dstEnd.AddDate(0, 0, -1)
		}
		if dstEnd.Before(time.Now()) {
			dstEnd = time.Date(year+1, 10, 31, 0, 0, 0, 0, paris)
			for dstEnd.Weekday() != time.Sunday {
				dstEnd = dstEnd.AddDate(0, 0, -1)
			}
		}
		before := time.Date(dstEnd.Year(), dstEnd.Month(), dstEnd.Day()-1, 9, 0, 0, 0, paris)
		after := time.Date(dstEnd.Year(), dstEnd.Month(), dstEnd.Day()+1, 9, 0, 0, 0, paris)
		pBefore := seedPost(t, mine.ID, "Avant, l'heure d'été", "scheduled", before, 3)
		pAfter := seedPost(t, mine.ID, "Après l'heure d'été", "scheduled", after, 1)

		match := feedRE.FindStringSubmatch(string(getAs(t, portal, "text/html").Body))
		require.Len(t, match, 2, "the portal shows its feed's URL")
		feed := match[1]
		require.True(t, strings.HasPrefix(feed, stack.URL+"/calendar/glc_"), feed)
		status, ics, _ := fetch(t, feed)
		require.Equal(t, 200, status, "%s", ics)
		cal := icaltest.Parse(t, ics)
		host := strings.TrimPrefix(strings.Split(stack.URL, ":")[1], "//")
		byUID := map[string]icaltest.Event{}
		for _, e := range cal.Events {
			byUID[e.UID] = e
		}
		require.Len(t, byUID, 4, "this client's scheduled and published posts only: %+v", cal.Events)
		for _, id := range []string{soon, waiting, pBefore, pAfter} {
			require.Contains(t, byUID, id+"@"+host, "stable UID for %s", id)
		}
		for _, e := range cal.Events {
			require.Empty(t, e.URL, "no staff page link in a client's feed")
			require.NotContains(t, e.Summary, "AUTRE")
		}
		require.True(t, before.Equal(byUID[pBefore+"@"+host].Start))
		require.Equal(t, 49*time.Hour, byUID[pAfter+"@"+host].Start.Sub(byUID[pBefore+"@"+host].Start), "09:00 in Paris two days apart across the change")

		// Sending the portal again: the old link answers 410 with a page, its feed stops.
		fresh := editor.must(201, "POST", "/api/v1/clients/"+mine.ID+"/approvers/"+url.PathEscape(ana)+"/portal", nil)["url"].(string)
		require.NotEqual(t, portal, fresh)
		gone := getAs(t, portal, "text/html")
		require.Equal(t, 410, gone.Status)
		require.Contains(t, string(gone.Body), "revoked, replaced by a newer one, or has expired")
		require.Equal(t, 410, getAs(t, portal+"/posts/"+soon+"/certificate.pdf", "application/pdf").Status)
		status, _, _ = fetch(t, feed)
		require.Equal(t, 404, status, "the old feed stopped with its portal")
		require.Equal(t, 200, getAs(t, fresh, "text/html").Status)
		portal = fresh
	})

	t.Run("revoked", func(t *testing.T) {
		require.Equal(t, 204, editor.do("DELETE", "/api/v1/clients/"+mine.ID+"/approvers/"+url.PathEscape(ana)+"/portal", nil).Status)
		gone := getAs(t, portal, "text/html")
		require.Equal(t, 410, gone.Status)
		require.Contains(t, string(gone.Body), "This portal link does not work")
		j := getAs(t, portal, "application/json")
		require.Equal(t, 410, j.Status)
		require.Equal(t, "gone", j.errCode(t))
		require.Equal(t, 404, editor.do("DELETE", "/api/v1/clients/"+mine.ID+"/approvers/"+url.PathEscape(ana)+"/portal", nil).Status)
	})

	t.Run("expired", func(t *testing.T) {
		u := editor.must(201, "POST", "/api/v1/clients/"+mine.ID+"/approvers/"+url.PathEscape(ana)+"/portal", nil)["url"].(string)
		require.Equal(t, 200, getAs(t, u, "text/html").Status)
		require.NoError(t, stack.Store.DB().Exec("UPDATE portals SET expires_at = ? WHERE client_id = ? AND revoked_at IS NULL",
			time.Now().UTC().Add(-time.Second), mine.ID).Error)
		gone := getAs(t, u, "text/html")
		require.Equal(t, 410, gone.Status)
		require.Contains(t, string(gone.Body), "expired")
	})

	t.Run("unknown", func(t *testing.T) {
		r := getAs(t, stack.URL+"/portal/glp_nothing", "text/html")
		require.Equal(t, 404, r.Status)
		require.Contains(t, string(r.Body), "not valid")
	})
}

// formTo posts a form to any URL (not only /approve links), without following redirects.
func formTo(t *testing.T, u string, values url.Values, accept string) response {
	t.Helper()
	req, err := http.NewRequest("POST", u, strings.NewReader(values.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", accept)
	resp, err := noRedirect.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{Status: resp.StatusCode, Body: data, Header: resp.Header}
}

// The portal by clicking: an editor sends it from the client's page; the approver opens
// it on a desktop and on a 360 px phone, sees what waits, what is scheduled and what was
// published, switches the calendar between month and week, decides a post, and downloads
// a certificate.
func TestBrowserClientPortal(t *testing.T) {
	alloc := browser(t)
	admin := adminAPI(t)
	reviewer := admin.createUser("reviewer")
	lea := uniqueEmail("lea-portal")
	c := admin.must(201, "POST", "/api/v1/clients", map[string]any{"digest_window": "0s", "name": "Fromagerie Éloïse", "approval_policy": "any",
		"approvers": []map[string]string{{"name": "Léa", "email": lea}}})
	clientID := c["id"].(string)
	staff, sm := invitedPerson(t, alloc, admin, "editor")

	pub, pubLink := awaiting(t, sm.api, reviewer, clientID, lea, "Comté 24 mois", 6*time.Second, 1)
	sched, schedLink := awaiting(t, sm.api, reviewer, clientID, lea, "Raclette party", 3*time.Hour, 2)
	wait1, _ := awaiting(t, sm.api, reviewer, clientID, lea, "Plateau de Noël", 4*time.Hour, 3)
	wait2, _ := awaiting(t, sm.api, reviewer, clientID, lea, "Fondue savoyarde", 5*time.Hour, 4)
	require.Equal(t, 200, form(t, pubLink, url.Values{"decision": {"approve"}}, "application/json").Status)
	require.Equal(t, 200, form(t, schedLink, url.Values{"decision": {"approve"}}, "application/json").Status)
	sm.api.waitStatus(pub, "published", 30*time.Second)
	require.NoError(t, stack.Store.DB().Model(&store.PostChannel{}).Where("post_id = ? AND channel = ?", pub, "x").
		Update("url", "https://social.example/comte").Error)
	schedAt, err := time.Parse(time.RFC3339Nano, sm.api.must(200, "GET", "/api/v1/posts/"+sched, nil)["publish_at"].(string))
	require.NoError(t, err)

	// The editor sends the portal from the client's page.
	staff.open("/admin/clients/" + clientID)
	staff.submit("#portals button")
	require.Contains(t, staff.text("main"), "Portal sent to "+lea)
	require.Contains(t, staff.text("#portals"), "portal active until")
	staff.shot("portal-01-staff-sent")
	var link string
	eventually(t, 20*time.Second, func() bool {
		for _, m := range mails(t, lea) {
			if strings.Contains(m.Subject, "Your approval portal") {
				link = portalIn(t, m)
				return true
			}
		}
		return false
	}, "the portal email")
	day := schedAt.UTC().Format("2006-01-02") // the stack's zone is UTC

	for _, size := range []struct {
		name          string
		width, height int64
	}{{"desktop", 1280, 900}, {"phone", 360, 740}} {
		t.Run(size.name, func(t *testing.T) {
			lp := newPerson(t, alloc, "portal-"+size.name, size.width, size.height)
			lp.open(link + "?date=" + day)
			waitingText := lp.text("#waiting")
			require.Contains(t, waitingText, "Fondue savoyarde")
			if size.name == "phone" { // decided on the desktop
				require.NotContains(t, waitingText, "Plateau de Noël")
				require.Contains(t, lp.text("#decisions"), "Plateau de Noël")
			} else {
				require.Contains(t, waitingText, "Plateau de Noël")
			}
			require.Equal(t, "month", eval[string](lp, `document.querySelector(".calendar").dataset.view`))
			require.Contains(t, lp.text("#calendar"), "Raclette party")
			require.True(t, eval[bool](lp, `!!document.querySelector('#calendar .event[data-post="`+sched+`"]').offsetParent`),
				"the scheduled post is visible in the month")
			published := lp.text("#published")
			require.Contains(t, published, "Comté 24 mois")
			require.Contains(t, published, "https://social.example/comte")
			lp.accessible(int(size.width))
			lp.shot("portal-02-month-" + size.name)

			lp.submit("#cal-week") // a link: submit waits for the next page
			require.Equal(t, "week", eval[string](lp, `document.querySelector(".calendar").dataset.view`))
			require.Contains(t, lp.text("#calendar"), "Raclette party", "the week of the anchor date")
			require.Equal(t, 7, eval[int](lp, `document.querySelectorAll(".calendar .day").length`))
			lp.accessible(int(size.width))
			lp.shot("portal-03-week-" + size.name)
			lp.submit("#cal-next")
			require.Equal(t, "week", eval[string](lp, `document.querySelector(".calendar").dataset.view`))
			require.False(t, eval[bool](lp, `!!document.querySelector('.event[data-post="`+sched+`"]')`), "the next week")
			lp.submit("#cal-month")
			require.Equal(t, "month", eval[string](lp, `document.querySelector(".calendar").dataset.view`))

			href := eval[string](lp, `document.querySelector('#published .certificate').getAttribute("href")`)
			require.True(t, strings.HasSuffix(href, "/posts/"+pub+"/certificate.pdf"), href)
			got := get(lp, chromedp.Evaluate[string](`(async function(){ const r = await fetch("`+href+`"); const b = await r.arrayBuffer();
				return r.status + " " + r.headers.get("content-type") + " " + String.fromCharCode.apply(null, new Uint8Array(b.slice(0, 5)))})()`, chromedp.EvalAwaitPromise))
			require.Equal(t, "200 application/pdf %PDF-", strings.TrimSpace(got))

			// Each size decides one of the waiting posts.
			decide := wait1
			if size.name == "phone" {
				decide = wait2
			}
			sel := `article[data-post="` + decide + `"] button[value=approve]`
			lp.submit(sel)
			require.Contains(t, lp.text("#portal-done"), "your approval is recorded")
			require.False(t, eval[bool](lp, `!!document.querySelector('article[data-post="`+decide+`"]')`), "decided: no longer waiting")
			require.Contains(t, lp.text("#decisions"), map[string]string{wait1: "Plateau de Noël", wait2: "Fondue savoyarde"}[decide])
			lp.shot("portal-04-decided-" + size.name)
		})
	}
	require.Equal(t, "scheduled", sm.api.must(200, "GET", "/api/v1/posts/"+wait1, nil)["status"])
	require.Equal(t, "scheduled", sm.api.must(200, "GET", "/api/v1/posts/"+wait2, nil)["status"])

	// The editor revokes it from the client's page: the link now says so.
	staff.open("/admin/clients/" + clientID)
	staff.submit(`#portals form[action$="portal-revoke"] button`)
	require.Contains(t, staff.text("main"), "Portal revoked.")
	require.Contains(t, staff.text("#portals"), "no portal")
	phone := newPerson(t, alloc, "portal-revoked", 360, 740)
	phone.open(link)
	require.Contains(t, phone.text("#portal-gone"), "This portal link does not work")
	phone.accessible(360)
	phone.shot("portal-05-revoked-phone")
}
