package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/devstack"
	"github.com/greenlight/greenlight/internal/icaltest"
	"github.com/greenlight/greenlight/listening"
	"github.com/greenlight/greenlight/store"
)

// seedPost writes a post's projection directly: the calendar reads projections, and the
// approval flow that leads to them is covered elsewhere.
func seedPost(t *testing.T, clientID, title, status string, at time.Time, revision int64) string {
	t.Helper()
	root, err := stack.Store.UserByEmail(context.Background(), devstack.AdminEmail)
	require.NoError(t, err)
	id := greenlight.NewID("pst_")
	now := time.Now().UTC()
	p := store.Post{ID: id, ClientID: clientID, AuthorID: root.ID, Title: title, Body: "x", Channels: []string{"x", "linkedin"},
		PublishAt: at.UTC(), Status: status, Version: 1, Revision: revision, CreatedAt: now, UpdatedAt: now.Truncate(time.Second)}
	if status == "published" {
		pub := at.UTC()
		p.PublishedAt = &pub
	}
	require.NoError(t, stack.Store.RecordPost(context.Background(), store.PostRecord{Post: p}))
	return id
}

func fetch(t *testing.T, url string) (int, []byte, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, body, resp.Header
}

// A staff member's calendar feed, read by ical.js: the scheduled and published posts of the
// member's clients only, at the right instants across the end of summer time, with titles
// full of commas, accents and newlines; the URL is shown once, and stops working when the
// feed is revoked or the user disabled.
func TestCalendarFeed(t *testing.T) {
	admin := adminAPI(t)
	mine := admin.createClient("any", uniqueEmail("cal"))
	other := admin.createClient("any", uniqueEmail("calother"))
	m := newMember(t, admin, "reviewer", mine.ID)

	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	year := time.Now().Year() + 1
	// The last Sunday of October: summer time ends in Paris at 03:00.
	dstEnd := time.Date(year, 10, 31, 0, 0, 0, 0, paris)
	for dstEnd.Weekday() != time.Sunday {
		dstEnd = dstEnd.AddDate(0, 0, -1)
	}
	// Both within the feed's window (400 days ahead) only if next October is; use this
	// year's when next year's is too far.
	if time.Until(dstEnd) > 390*24*time.Hour {
		dstEnd = dstEnd.AddDate(-1, 0, 0)
		for dstEnd.Weekday() != time.Sunday {
			dstEnd = dstEnd.AddDate(0, 0, 1)
		}
	}
	before := time.Date(dstEnd.Year(), dstEnd.Month(), dstEnd.Day()-1, 9, 0, 0, 0, paris)
	after := time.Date(dstEnd.Year(), dstEnd.Month(), dstEnd.Day()+1, 9, 0, 0, 0, paris)
	tricky := "Soldes, -30 %; «crème brûlée»\net deuxième ligne"
	pBefore := seedPost(t, mine.ID, tricky, "scheduled", before, 7)
	pAfter := seedPost(t, mine.ID, "Après le changement d'heure", "scheduled", after, 2)
	published := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	pPub := seedPost(t, mine.ID, "Déjà publié", "published", published, 9)
	seedPost(t, mine.ID, "Brouillon", "draft", after, 1)
	seedPost(t, other.ID, "Autre client", "scheduled", after, 1)

	feed := m.api.must(200, "GET", "/api/v1/calendar-feed", nil)
	url, ok := feed["url"].(string)
	require.True(t, ok, "the first GET shows the URL: %v", feed)
	require.True(t, strings.HasPrefix(url, stack.URL+"/calendar/glc_"), url)
	again := m.api.must(200, "GET", "/api/v1/calendar-feed", nil)
	require.Nil(t, again["url"], "the URL is shown once")

	status, body, header := fetch(t, url)
	require.Equal(t, 200, status, "%s", body)
	require.Equal(t, "text/calendar; charset=utf-8", header.Get("Content-Type"))
	require.Equal(t, "no-store", header.Get("Cache-Control"))
	cal := icaltest.Parse(t, body)
	byUID := map[string]icaltest.Event{}
	for _, e := range cal.Events {
		byUID[e.UID] = e
	}
	require.Len(t, byUID, 3, "scheduled and published posts of the member's clients only: %+v", cal.Events)
	host := strings.TrimPrefix(strings.Split(stack.URL, ":")[1], "//")
	brand := "Brand " + mine.Approvers[0]
	tests := []struct {
		name, post, summary, status string
		start                       time.Time
		seq                         int64
	}{
		{"before the DST change", pBefore, brand + ": " + tricky, "scheduled", before, 7},
		{"after the DST change", pAfter, brand + ": Après le changement d'heure", "scheduled", after, 2},
		{"published", pPub, brand + ": Déjà publié", "published", published, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := byUID[tt.post+"@"+host]
			require.True(t, ok, "stable UID post@domain for %s in %v", tt.post, byUID)
			require.True(t, tt.start.Equal(e.Start), "start %s, want %s", e.Start, tt.start.UTC())
			require.Equal(t, tt.summary, e.Summary)
			require.Equal(t, tt.seq, e.Sequence)
			require.Equal(t, "Status: "+tt.status+"\nChannels: x, linkedin\n"+stack.URL+"/posts/"+tt.post, e.Description)
			require.Equal(t, stack.URL+"/posts/"+tt.post, e.URL)
			require.NotNil(t, e.LastModified)
		})
	}
	require.Equal(t, 49*time.Hour, byUID[pAfter+"@"+host].Start.Sub(byUID[pBefore+"@"+host].Start),
		"two days apart at 09:00 in Paris across the change are 49 hours apart")

	t.Run("revoked", func(t *testing.T) {
		require.Equal(t, 204, m.api.do("DELETE", "/api/v1/calendar-feed", nil).Status)
		status, _, _ := fetch(t, url)
		require.Equal(t, 404, status)
		fresh := m.api.must(200, "GET", "/api/v1/calendar-feed", nil)["url"].(string)
		require.NotEqual(t, url, fresh)
		url = fresh
		status, _, _ = fetch(t, url)
		require.Equal(t, 200, status)
	})
	t.Run("disabled user", func(t *testing.T) {
		require.NoError(t, stack.Store.DB().Exec("UPDATE users SET disabled_at = ? WHERE id = ?", time.Now().UTC(), m.id).Error)
		status, _, _ := fetch(t, url)
		require.Equal(t, 404, status)
	})
	t.Run("unknown token", func(t *testing.T) {
		status, _, _ := fetch(t, stack.URL+"/calendar/glc_nothing.ics")
		require.Equal(t, 404, status)
	})
}

// feedServer serves an RSS document with an ETag, answering 304 to a matching
// If-None-Match, and counts the requests.
type feedServer struct {
	mu       sync.Mutex
	body     string
	etag     string
	requests int
	notMod   int
}

func (f *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	if f.etag != "" && r.Header.Get("If-None-Match") == f.etag {
		f.notMod++
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", f.etag)
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	_, _ = io.WriteString(w, f.body)
}

func (f *feedServer) set(body, etag string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.body, f.etag = body, etag
}

// angryFeed is an RSS 2.0 document (WordPress-shaped) with n angry items about the brand,
// within the last minutes, and one unrelated item.
func angryFeed(n int) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel><title>Forum Conso &#8211; biscuits</title><link>https://forum.example</link><description>Fil</description>
<atom:link href="https://forum.example/feed/" rel="self" type="application/rss+xml"/>
`)
	now := time.Now().UTC()
	for i := range n {
		fmt.Fprintf(&b, `<item><title>BISCUITERIE DOREE : arnaque n&deg;%d</title><link>https://forum.example/t/%d</link>
<guid isPermaLink="false">forum-%d</guid><dc:creator><![CDATA[client%d]]></dc:creator><pubDate>%s</pubDate>
<description><![CDATA[<p>C'est une honte, les biscuits de la Biscuiterie Dorée sont immangeables, arnaque totale !!</p>]]></description></item>
`, i, i, i, i, now.Add(-time.Duration(i)*time.Second).Format(time.RFC1123Z))
	}
	fmt.Fprintf(&b, `<item><title>Recette de sablés</title><link>https://forum.example/t/recette</link><guid>recette</guid><pubDate>%s</pubDate><description>Rien à voir.</description></item>
</channel></rss>`, now.Format(time.RFC1123Z))
	return b.String()
}

// An RSS feed with a burst of angry items starts a crisis by itself: the source's schedule
// polls it through the outbound client, the matching items become mentions scored by the
// lexicon, and the client's trigger rule fires. Items are stored once, the ETag is
// honoured, and a malformed feed is reported on its source.
func TestRSSSourceStartsCrisis(t *testing.T) {
	admin := adminAPI(t)
	cc := newCrisisClient(t, admin, true) // rule: 20 negative mentions in 60 minutes
	feed := &feedServer{}
	feed.set(angryFeed(25), `"v1"`)
	srv := httptest.NewServer(feed)
	t.Cleanup(srv.Close)
	path := "/api/v1/clients/" + cc.ID + "/sources"

	invalid := []struct {
		name string
		body map[string]any
	}{
		{"every below a minute", map[string]any{"kind": "rss", "url": srv.URL, "every": "30s"}},
		{"every not a duration", map[string]any{"kind": "rss", "url": srv.URL, "every": "often"}},
		{"no url", map[string]any{"kind": "rss", "every": "5m"}},
		{"internal address", map[string]any{"kind": "rss", "url": "http://10.0.0.1/feed", "every": "5m"}},
		{"unknown kind", map[string]any{"kind": "ftp", "url": srv.URL, "every": "5m"}},
		{"empty keyword", map[string]any{"kind": "rss", "url": srv.URL, "every": "5m", "keywords": []string{" "}}},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			r := admin.do("POST", path, tt.body)
			require.Equal(t, 422, r.Status, "%s", r.Body)
		})
	}

	src := admin.must(201, "POST", path, map[string]any{"kind": "rss", "url": srv.URL + "/feed", "every": "1h", "keywords": []string{"biscuiterie dorée"}})
	srcID := src["id"].(string)
	require.Equal(t, "1h0m0s", src["every"])

	var crisisID string
	eventually(t, 60*time.Second, func() bool {
		cs := admin.must(200, "GET", "/api/v1/crises?client_id="+cc.ID, nil)
		list, _ := cs["items"].([]any)
		for _, c := range list {
			if c.(map[string]any)["status"] == "active" {
				crisisID = c.(map[string]any)["id"].(string)
				return true
			}
		}
		return false
	}, "the feed's burst starts a crisis")
	c := admin.must(200, "GET", "/api/v1/crises/"+crisisID, nil)
	require.Contains(t, c["trigger"], "negative mentions in 60 minutes")

	list := admin.must(200, "GET", path, nil)["sources"].([]any)
	require.Len(t, list, 1)
	got := list[0].(map[string]any)
	require.Equal(t, "ok", got["last_status"])
	require.EqualValues(t, 25, got["item_count"], "the unrelated item does not match the keywords")
	require.NotNil(t, got["last_item_at"])

	ctx := context.Background()
	desc, err := stack.Temporal.ScheduleClient().GetHandle(ctx, "source:"+srcID).Describe(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, desc.Info.RecentActions, "the schedule polled at once")
	run := desc.Info.RecentActions[0].StartWorkflowResult
	var polled activities.PollSourceResult
	require.NoError(t, stack.Temporal.GetWorkflow(ctx, run.WorkflowID, run.FirstExecutionRunID).Get(ctx, &polled))
	require.Equal(t, 25, polled.New)
	recordHistory(t, run.WorkflowID, "source_poll")

	t.Run("not modified", func(t *testing.T) {
		n, err := stack.Service.PollSource(ctx, srcID)
		require.NoError(t, err)
		require.Zero(t, n)
		feed.mu.Lock()
		notModified := feed.notMod
		feed.mu.Unlock()
		require.Equal(t, 1, notModified, "the second poll sent If-None-Match")
		s, err := stack.Store.Source(ctx, srcID)
		require.NoError(t, err)
		require.Equal(t, store.PollNotModified, s.LastStatus)
	})
	t.Run("deduplicated", func(t *testing.T) {
		feed.set(angryFeed(27), `"v2"`) // the same 25 items and two new ones
		n, err := stack.Service.PollSource(ctx, srcID)
		require.NoError(t, err)
		require.Equal(t, 2, n)
		s, err := stack.Store.Source(ctx, srcID)
		require.NoError(t, err)
		require.Equal(t, 27, s.ItemCount)
	})
	t.Run("malformed feed", func(t *testing.T) {
		feed.set(`<rss version="2.0"><channel><item><title>Broken & bad</title></channel>`, `"v3"`)
		n, err := stack.Service.PollSource(ctx, srcID)
		require.NoError(t, err, "a malformed feed is recorded, not an error")
		require.Zero(t, n)
		got := admin.must(200, "GET", path, nil)["sources"].([]any)[0].(map[string]any)
		require.Equal(t, "error", got["last_status"])
		require.Contains(t, got["last_error"], "parse: rss: XML syntax error")
		require.EqualValues(t, 27, got["item_count"])
	})
	t.Run("deleted", func(t *testing.T) {
		require.Equal(t, 204, admin.do("DELETE", path+"/"+srcID, nil).Status)
		require.Equal(t, 404, admin.do("DELETE", path+"/"+srcID, nil).Status)
		_, err := stack.Temporal.ScheduleClient().GetHandle(ctx, "source:"+srcID).Describe(ctx)
		require.Error(t, err, "the schedule went with the source")
		n, err := stack.Service.PollSource(ctx, srcID)
		require.NoError(t, err)
		require.Zero(t, n)
	})
}

// A webhook source gives a signing secret once and an inbound URL that takes mention
// batches signed with it (HMAC-SHA256 over timestamp.body); unsigned, mis-signed and
// replayed batches are refused.
func TestWebhookSource(t *testing.T) {
	admin := adminAPI(t)
	cc := newCrisisClient(t, admin, true)
	src := admin.must(201, "POST", "/api/v1/clients/"+cc.ID+"/sources", map[string]any{"kind": "webhook"})
	secret, _ := src["secret"].(string)
	hook, _ := src["hook_url"].(string)
	require.True(t, strings.HasPrefix(secret, "glw_"), "%v", src)
	require.Equal(t, stack.URL+"/hooks/mentions/"+src["id"].(string), hook)
	listed := admin.must(200, "GET", "/api/v1/clients/"+cc.ID+"/sources", nil)["sources"].([]any)[0].(map[string]any)
	require.Nil(t, listed["secret"], "the secret is shown once")

	body := []byte(fmt.Sprintf(`{"mentions":%s}`, string(must(json.Marshal(negativeSpike(22))))))
	post := func(ts time.Time, sig string) response {
		req, err := http.NewRequest("POST", hook, strings.NewReader(string(body)))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(listening.TimestampHeader, fmt.Sprint(ts.Unix()))
		if sig != "" {
			req.Header.Set(listening.SignatureHeader, sig)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return response{Status: resp.StatusCode, Body: data}
	}
	now := time.Now()
	refused := []struct {
		name string
		ts   time.Time
		sig  string
	}{
		{"unsigned", now, ""},
		{"other secret", now, listening.Sign("glw_other", now, body)},
		{"replayed after ten minutes", now.Add(-10 * time.Minute), listening.Sign(secret, now.Add(-10*time.Minute), body)},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			r := post(tt.ts, tt.sig)
			require.Equal(t, 401, r.Status, "%s", r.Body)
		})
	}
	r := post(now, listening.Sign(secret, now, body))
	require.Equal(t, 202, r.Status, "%s", r.Body)
	res := r.json(t)
	require.EqualValues(t, 22, res["accepted"])
	require.NotNil(t, res["crisis_id"], "the trigger rule fired from the pushed batch")
	listed = admin.must(200, "GET", "/api/v1/clients/"+cc.ID+"/sources", nil)["sources"].([]any)[0].(map[string]any)
	require.EqualValues(t, 22, listed["item_count"])
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
