package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/pdftext"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/store"
)

const (
	internalText = "INTERNAL-ONLY marge négociée 12%"
	clientText   = "Bonjour Françoise, voici la version finale"
)

// seeded is a client, an editor with an API key and a web session, a post awaiting the
// client with an open approval link, and a scheduled post.
type seeded struct {
	clientID, key, session, csrf string
	waiting, scheduled           string
	token                        string
	approverName                 string
}

func seed(t *testing.T, st *store.Store) seeded {
	ctx := context.Background()
	now := time.Now().UTC()
	s := seeded{approverName: "Françoise Dupré"}
	c := &store.Client{ID: greenlight.NewID("cli_"), Name: "Crêperie Façon Müller", ApprovalPolicy: "any", CreatedAt: now,
		Approvers: []store.Approver{{ID: greenlight.NewID("apr_"), Name: s.approverName, Email: "francoise@brand.test"}}}
	require.NoError(t, st.CreateClient(ctx, c))
	s.clientID = c.ID
	key, hash := greenlight.NewToken("glk_")
	u := &store.User{ID: greenlight.NewID("usr_"), Email: "ed-" + c.ID + "@agency.test", Name: "Élodie", Role: "editor", APIKeyHash: &hash, CreatedAt: now}
	require.NoError(t, st.CreateUser(ctx, u))
	s.key = key
	session, shash := greenlight.NewToken("gls_")
	s.csrf, _ = greenlight.NewToken("")
	require.NoError(t, st.CreateSession(ctx, &store.Session{TokenHash: shash, UserID: u.ID, CSRF: s.csrf, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
	s.session = session
	post := func(status string) string {
		id := greenlight.NewID("pst_")
		ct := greenlight.Content{Title: "Fête d'été", Body: "Crème brûlée pour tous, garçon !", Channels: []string{"bluesky"}, MediaURLs: []string{}}
		rec := store.PostRecord{
			Post: store.Post{ID: id, ClientID: c.ID, AuthorID: u.ID, Title: ct.Title, Body: ct.Body, Channels: ct.Channels, MediaURLs: ct.MediaURLs,
				PublishAt: now.Add(time.Hour), Status: status, Version: 1, Revision: 1, CreatedAt: now, UpdatedAt: now},
			NewVersion: &store.PostVersion{PostID: id, Version: 1, Title: ct.Title, Body: ct.Body, Channels: ct.Channels, MediaURLs: ct.MediaURLs,
				Digest: ct.Digest(), AuthorID: u.ID, CreatedAt: now},
		}
		if status == "scheduled" {
			a := c.Approvers[0]
			rec.Decisions = []store.PostDecision{{PostID: id, Seq: 1, Version: 1, Stage: "client", Round: 1, ActorKind: "approver", ActorID: a.ID,
				ActorName: a.Name, Decision: "approve", Comment: "Parfait", At: now}}
			rec.Events = []store.PostEvent{{PostID: id, Seq: 1, At: now, ActorKind: "system", Action: "scheduled", Version: 1}}
		}
		require.NoError(t, st.RecordPost(ctx, rec))
		return id
	}
	s.waiting, s.scheduled = post("awaiting_client"), post("scheduled")
	token, thash := greenlight.NewToken("gl_")
	a := c.Approvers[0]
	require.NoError(t, st.SaveLink(ctx, &store.Link{ID: greenlight.NewID("lnk_"), TokenHash: thash, EffectKey: "test/" + s.waiting, SubjectKind: "post",
		SubjectID: s.waiting, Version: 1, ApproverID: a.ID, ApproverName: a.Name, ApproverEmail: a.Email, ExpiresAt: now.Add(time.Hour), CreatedAt: now}))
	s.token = token
	return s
}

type reply struct {
	status int
	header map[string]string
	body   string
}

func send(t *testing.T, app *fiber.App, method, path, contentType, body string, hdr map[string]string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := app.Test(req, -1)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := reply{status: resp.StatusCode, body: string(b), header: map[string]string{}}
	for _, h := range []string{"Content-Type", "Location", "Content-Disposition"} {
		out.header[h] = resp.Header.Get(h)
	}
	return out
}

func TestCommentsAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		app := newApp(t, st, 1000)
		s := seed(t, st)
		auth := map[string]string{"Authorization": "Bearer " + s.key}
		path := "/api/v1/posts/" + s.waiting + "/comments"
		for _, tc := range []struct {
			name, body string
			status     int
		}{
			{"empty body", `{"body":"","visibility":"internal"}`, 422},
			{"blank body", `{"body":"   ","visibility":"client"}`, 422},
			{"too long", `{"body":"` + strings.Repeat("x", 5001) + `","visibility":"internal"}`, 422},
			{"bad visibility", `{"body":"x","visibility":"everyone"}`, 422},
			{"no visibility", `{"body":"x"}`, 422},
			{"visibility not a string", `{"body":"x","visibility":1}`, 422},
			{"unknown field", `{"body":"x","visibility":"internal","author":"me"}`, 400},
			{"not JSON", `body=x`, 400},
			{"internal", `{"body":"` + internalText + `","visibility":"internal"}`, 201},
			{"client", `{"body":"` + clientText + `","visibility":"client"}`, 201},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := send(t, app, "POST", path, "application/json", tc.body, auth)
				require.Equal(t, tc.status, r.status, r.body)
			})
		}
		r := send(t, app, "POST", "/api/v1/posts/pst_00000000000000000000000000/comments", "application/json", `{"body":"x","visibility":"internal"}`, auth)
		require.Equal(t, 404, r.status)

		r = send(t, app, "GET", path, "", "", auth)
		require.Equal(t, 200, r.status)
		var list struct {
			Items []struct {
				ID, PostID, Visibility, Body string
				Version                      int
				Author                       struct{ Kind, ID, Name string }
				CreatedAt                    time.Time `json:"created_at"`
			}
		}
		require.NoError(t, json.Unmarshal([]byte(r.body), &list))
		require.Len(t, list.Items, 2)
		require.Equal(t, "internal", list.Items[0].Visibility)
		require.Equal(t, internalText, list.Items[0].Body)
		require.Equal(t, 1, list.Items[0].Version)
		require.Equal(t, "user", list.Items[0].Author.Kind)
		require.Equal(t, "Élodie", list.Items[0].Author.Name)
		require.WithinDuration(t, time.Now(), list.Items[0].CreatedAt, time.Minute)
		require.Equal(t, "client", list.Items[1].Visibility)

		t.Run("staff post page shows the thread", func(t *testing.T) {
			r := send(t, app, "GET", "/posts/"+s.waiting, "", "", map[string]string{"Cookie": "gl_session=" + s.session, "Accept": "text/html"})
			require.Equal(t, 200, r.status, r.body)
			require.Contains(t, r.body, internalText)
			require.Contains(t, r.body, clientText)
			form := url.Values{"_csrf": {s.csrf}, "body": {"Depuis la page"}, "visibility": {"internal"}}
			r = send(t, app, "POST", "/posts/"+s.waiting+"/comment", "application/x-www-form-urlencoded", form.Encode(),
				map[string]string{"Cookie": "gl_session=" + s.session, "Accept": "text/html"})
			require.Equal(t, 303, r.status, r.body)
			r = send(t, app, "GET", "/posts/"+s.waiting, "", "", map[string]string{"Cookie": "gl_session=" + s.session, "Accept": "text/html"})
			require.Contains(t, r.body, "Depuis la page")
		})

		t.Run("the approval page shows client comments only", func(t *testing.T) {
			r := send(t, app, "GET", "/approve/"+s.token, "", "", map[string]string{"Accept": "text/html"})
			require.Equal(t, 200, r.status, r.body)
			require.Contains(t, r.body, clientText)
			require.NotContains(t, r.body, "INTERNAL-ONLY")
			require.NotContains(t, r.body, "Depuis la page")
			require.Contains(t, r.body, `action="/approve/`+s.token+`/comment"`)
		})

		t.Run("the approver comments from the page", func(t *testing.T) {
			r := send(t, app, "POST", "/approve/"+s.token+"/comment", "application/x-www-form-urlencoded", url.Values{"body": {"Une question sur la photo"}}.Encode(),
				map[string]string{"Accept": "text/html"})
			require.Equal(t, 303, r.status, r.body)
			require.Equal(t, "/approve/"+s.token+"#comments", r.header["Location"])
			r = send(t, app, "POST", "/approve/"+s.token+"/comment", "application/x-www-form-urlencoded", url.Values{"body": {" "}}.Encode(),
				map[string]string{"Accept": "text/html"})
			require.Equal(t, 422, r.status)
			require.Contains(t, r.body, "at most 5000 characters")
			r = send(t, app, "POST", "/approve/"+s.token+"/comment", "application/json", `{"body":"Et en JSON"}`, map[string]string{"Accept": "application/json"})
			require.Equal(t, 201, r.status, r.body)
			require.Contains(t, r.body, `"visibility":"client"`)
			require.Contains(t, r.body, `"kind":"approver"`)

			page := send(t, app, "GET", "/approve/"+s.token, "", "", map[string]string{"Accept": "text/html"})
			require.Contains(t, page.body, "Une question sur la photo")
			require.NotContains(t, page.body, "INTERNAL-ONLY")
		})

		t.Run("a used link refuses", func(t *testing.T) {
			l, err := st.LinkByTokenHash(context.Background(), greenlight.HashToken(s.token))
			require.NoError(t, err)
			_, err = st.MarkLinkUsed(context.Background(), l.ID, time.Now().UTC())
			require.NoError(t, err)
			r := send(t, app, "POST", "/approve/"+s.token+"/comment", "application/x-www-form-urlencoded", url.Values{"body": {"Trop tard"}}.Encode(),
				map[string]string{"Accept": "text/html"})
			require.Equal(t, 410, r.status)
			require.NotContains(t, r.body, "INTERNAL-ONLY")
			r = send(t, app, "POST", "/approve/"+s.token+"/comment", "application/json", `{"body":"Trop tard"}`, map[string]string{"Accept": "application/json"})
			require.Equal(t, 410, r.status)
			r = send(t, app, "POST", "/approve/gl_forged/comment", "application/json", `{"body":"x"}`, map[string]string{"Accept": "application/json"})
			require.Equal(t, 404, r.status)
		})
	})
}

func TestCertificateAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		app := newApp(t, st, 1000)
		s := seed(t, st)
		auth := func(accept string) map[string]string {
			h := map[string]string{"Authorization": "Bearer " + s.key}
			if accept != "" {
				h["Accept"] = accept
			}
			return h
		}
		path := "/api/v1/posts/" + s.scheduled + "/certificate"
		digest := greenlight.Content{Title: "Fête d'été", Body: "Crème brûlée pour tous, garçon !", Channels: []string{"bluesky"}, MediaURLs: []string{}}.Digest()

		for _, accept := range []string{"", "application/pdf", "*/*", "application/pdf, application/json;q=0.5"} {
			t.Run("pdf for "+accept, func(t *testing.T) {
				r := send(t, app, "GET", path, "", "", auth(accept))
				require.Equal(t, 200, r.status)
				require.Equal(t, "application/pdf", r.header["Content-Type"])
				require.Contains(t, r.header["Content-Disposition"], "certificate-"+s.scheduled+"-v1.pdf")
				text := pdftext.Text(t, []byte(r.body))
				for _, want := range []string{"Crêperie Façon Müller", "Crème brûlée pour tous, garçon !", digest,
					"approve — Françoise Dupré (client approver, client stage)", "Comment: Parfait", "When (UTC)", "no channel results recorded"} {
					require.Contains(t, text, want)
				}
			})
		}
		r := send(t, app, "GET", path, "", "", auth("application/json"))
		require.Equal(t, 200, r.status, r.body)
		var c struct {
			TimeZone string `json:"time_zone"`
			Client   struct{ Name string }
			Version  struct {
				Number int
				SHA256 string
				Body   string
			} `json:"approved_version"`
			Decisions    []struct{ Decision, AtUTC, AtLocal string } `json:"decisions"`
			ChannelsNote string                                      `json:"channels_note"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.body), &c))
		require.Equal(t, "UTC", c.TimeZone)
		require.Equal(t, "Crêperie Façon Müller", c.Client.Name)
		require.Equal(t, digest, c.Version.SHA256)
		require.Len(t, c.Decisions, 1)
		require.Equal(t, "no channel results recorded", c.ChannelsNote)

		t.Run("staff page link", func(t *testing.T) {
			cookie := map[string]string{"Cookie": "gl_session=" + s.session, "Accept": "text/html"}
			r := send(t, app, "GET", "/posts/"+s.scheduled, "", "", cookie)
			require.Contains(t, r.body, `href="/posts/`+s.scheduled+`/certificate"`)
			r = send(t, app, "GET", "/posts/"+s.scheduled+"/certificate", "", "", cookie)
			require.Equal(t, 200, r.status)
			require.Contains(t, pdftext.Text(t, []byte(r.body)), digest)
			r = send(t, app, "GET", "/posts/"+s.waiting, "", "", cookie)
			require.NotContains(t, r.body, "/certificate")
			require.Equal(t, 409, send(t, app, "GET", "/posts/"+s.waiting+"/certificate", "", "", cookie).status)
		})

		r = send(t, app, "GET", "/api/v1/posts/"+s.waiting+"/certificate", "", "", auth(""))
		require.Equal(t, 409, r.status)
		require.Contains(t, r.body, "never approved")
		require.Contains(t, r.header["Content-Type"], "application/json")
	})
}
