package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/pdftext"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/store"
)

// apiKeyUser adds a staff member with an API key and returns the key.
func apiKeyUser(t *testing.T, st *store.Store, role string, clients ...string) string {
	key, hash := greenlight.NewToken("glk_")
	u := &store.User{ID: greenlight.NewID("usr_"), Email: greenlight.NewID("u") + "@agency.test", Name: role, Role: role,
		APIKeyHash: &hash, ClientIDs: clients, CreatedAt: time.Now().UTC()}
	require.NoError(t, st.CreateUser(context.Background(), u))
	return key
}

// addMedia puts a media row in a client's library.
func addMedia(t *testing.T, st *store.Store, clientID, contentType string) string {
	m := &store.Media{ID: greenlight.NewID("med_"), ClientID: clientID, SHA256: greenlight.NewID("sha"), ContentType: contentType,
		Size: 10, Width: 10, Height: 10, ThumbSHA256: "", Filename: "logo", CreatedBy: "test", CreatedAt: time.Now().UTC()}
	_, err := st.CreateMedia(context.Background(), m)
	require.NoError(t, err)
	return m.ID
}

// PATCH /api/v1/clients/{id} changes only the fields given, answers 422 naming a bad
// field, refuses roles that may not change clients and hides other clients; GET shows the
// settings.
func TestPatchClientSettings(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		app := newApp(t, st, 1000)
		s := seed(t, st)
		ctx := context.Background()
		other := &store.Client{ID: greenlight.NewID("cli_"), Name: "Other", ApprovalPolicy: "any", CreatedAt: time.Now().UTC(),
			Approvers: []store.Approver{{ID: greenlight.NewID("apr_"), Name: "O", Email: "o@other.test"}}}
		require.NoError(t, st.CreateClient(ctx, other))
		logo := addMedia(t, st, s.clientID, "image/png")
		video := addMedia(t, st, s.clientID, "video/mp4")
		foreign := addMedia(t, st, other.ID, "image/png")
		path := "/api/v1/clients/" + s.clientID
		hdr := func(key string) map[string]string {
			return map[string]string{"Authorization": "Bearer " + key, "Accept": "application/json"}
		}
		patch := func(key, body string) reply {
			return send(t, app, "PATCH", path, "application/json", body, hdr(key))
		}

		r := patch(s.key, `{"time_zone":"Europe/Paris","language":"fr","sender_name":"Maison Lune","brand_color":"#1A2B3C","logo_media_id":"`+logo+`","reminder_after":"36h","escalate_after":"90h"}`)
		require.Equal(t, 200, r.status, r.body)
		for _, want := range []string{`"time_zone":"Europe/Paris"`, `"language":"fr"`, `"sender_name":"Maison Lune"`, `"brand_color":"#1a2b3c"`,
			`"logo_media_id":"` + logo + `"`, `"reminder_after":"36h0m0s"`, `"escalate_after":"90h0m0s"`} {
			require.Contains(t, r.body, want)
		}
		r = patch(s.key, `{"sender_name":"Lune"}`)
		require.Equal(t, 200, r.status, r.body)
		require.Contains(t, r.body, `"time_zone":"Europe/Paris"`, "absent fields stay")
		require.Contains(t, r.body, `"sender_name":"Lune"`)
		r = send(t, app, "GET", path, "", "", hdr(s.key))
		require.Equal(t, 200, r.status)
		require.Contains(t, r.body, `"logo_media_id":"`+logo+`"`)
		require.Contains(t, r.body, `"reminder_after":"36h0m0s"`)

		for _, tc := range []struct{ name, body, field string }{
			{"unknown zone", `{"time_zone":"Mars/Olympus"}`, "time_zone:"},
			{"empty zone", `{"time_zone":""}`, "time_zone:"},
			{"language", `{"language":"de"}`, "language:"},
			{"colour", `{"brand_color":"blue"}`, "brand_color:"},
			{"sender header injection", `{"sender_name":"A\r\nBcc: x@y.test"}`, "sender_name:"},
			{"logo of another client", `{"logo_media_id":"` + foreign + `"}`, "logo_media_id: no media " + foreign + " in this client's library"},
			{"unknown logo", `{"logo_media_id":"med_unknown"}`, "logo_media_id: no media med_unknown in this client's library"},
			{"video logo", `{"logo_media_id":"` + video + `"}`, "logo_media_id: must be an image"},
			{"duration", `{"reminder_after":"tomorrow"}`, "reminder_after:"},
			{"too short", `{"escalate_after":"30s"}`, "escalate_after:"},
			{"wrong type", `{"reminder_after":36}`, "reminder_after"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := patch(s.key, tc.body)
				require.Equal(t, 422, r.status, r.body)
				require.Contains(t, r.body, tc.field)
			})
		}
		r = patch(s.key, `{"logo_media_id":"","reminder_after":"0s","brand_color":""}`)
		require.Equal(t, 200, r.status, r.body)
		require.Contains(t, r.body, `"logo_media_id":""`)
		require.Contains(t, r.body, `"reminder_after":""`, "0s is the default again")
		require.Contains(t, r.body, `"escalate_after":"90h0m0s"`)

		require.Equal(t, 403, patch(apiKeyUser(t, st, "reviewer"), `{"language":"en"}`).status, "reviewers cannot change clients")
		require.Equal(t, 404, patch(apiKeyUser(t, st, "editor", other.ID), `{"language":"en"}`).status, "outside the editor's clients")
		require.Equal(t, 200, patch(apiKeyUser(t, st, "editor", s.clientID), `{"language":"en"}`).status, "an editor of the client")
		require.Equal(t, 404, send(t, app, "PATCH", "/api/v1/clients/cli_unknown", "application/json", `{"language":"en"}`, hdr(s.key)).status)
	})
}

// awaitingPost records a post waiting for the client since requested, due at publishAt,
// with an open link; it returns the link token.
func awaitingPost(t *testing.T, st *store.Store, clientID string, requested, publishAt time.Time, escalate time.Duration) string {
	ctx := context.Background()
	c, err := st.Client(ctx, clientID)
	require.NoError(t, err)
	id := greenlight.NewID("pst_")
	ct := greenlight.Content{Title: "Soldes", Body: "Les soldes commencent", Channels: []string{"bluesky"}, MediaURLs: []string{}}
	now := time.Now().UTC()
	require.NoError(t, st.RecordPost(ctx, store.PostRecord{
		Post: store.Post{ID: id, ClientID: clientID, AuthorID: "usr_x", Title: ct.Title, Body: ct.Body, Channels: ct.Channels, MediaURLs: ct.MediaURLs,
			PublishAt: publishAt, Status: "awaiting_client", Version: 1, Revision: 1, ReminderAfter: time.Hour, EscalateAfter: escalate, CreatedAt: now, UpdatedAt: now},
		NewVersion: &store.PostVersion{PostID: id, Version: 1, Title: ct.Title, Body: ct.Body, Channels: ct.Channels, MediaURLs: ct.MediaURLs,
			Digest: ct.Digest(), AuthorID: "usr_x", CreatedAt: now},
		Events: []store.PostEvent{{PostID: id, Seq: 1, At: requested, ActorKind: "system", Action: "client_approval_requested", Version: 1}},
	}))
	token, hash := greenlight.NewToken("gl_")
	a := c.Approvers[0]
	require.NoError(t, st.SaveLink(ctx, &store.Link{ID: greenlight.NewID("lnk_"), TokenHash: hash, EffectKey: "test/" + id, SubjectKind: "post",
		SubjectID: id, Version: 1, ApproverID: a.ID, ApproverName: a.Name, ApproverEmail: a.Email, ExpiresAt: now.Add(time.Hour), CreatedAt: now}))
	return token
}

// The approval page says, in the client's language and time zone, by when to approve and
// what happens after: the same UTC hour reads 13:00 in Paris before the switch to summer
// time and 14:00 after it; New York switches two weeks earlier. The visitor's language does
// not change a client page.
func TestApprovalPageDeadlineInClientZone(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		app := newApp(t, st, 1000)
		s := seed(t, st)
		ctx := context.Background()
		for _, tc := range []struct {
			name, zone, lang   string
			requested, publish time.Time
			escalate           time.Duration
			want               []string
			not                []string
		}{
			{"Paris after the switch to summer time", "Europe/Paris", "fr",
				time.Date(2027, 3, 27, 12, 0, 0, 0, time.UTC), time.Date(2027, 3, 30, 12, 0, 0, 0, time.UTC), 48 * time.Hour,
				[]string{"Validez avant mardi 30 mars 2027, 14:00 (Europe/Paris) pour une publication à l&#39;heure.",
					"Si personne n&#39;a décidé avant lundi 29 mars 2027, 14:00 (Europe/Paris), l&#39;équipe de l&#39;agence est alertée.",
					"Passé ce délai, le post n&#39;est pas publié : il expire et l&#39;agence en est avertie.", `lang="fr"`},
				[]string{"12:00 (Europe/Paris)", "Approve before"}},
			{"Paris before it", "Europe/Paris", "fr",
				time.Date(2027, 3, 20, 12, 0, 0, 0, time.UTC), time.Date(2027, 3, 27, 12, 0, 0, 0, time.UTC), 24 * time.Hour,
				[]string{"Validez avant samedi 27 mars 2027, 13:00 (Europe/Paris)", "dimanche 21 mars 2027, 13:00 (Europe/Paris)"}, nil},
			{"New York, escalation after the deadline is not promised", "America/New_York", "en",
				time.Date(2027, 3, 13, 18, 0, 0, 0, time.UTC), time.Date(2027, 3, 16, 18, 0, 0, 0, time.UTC), 96 * time.Hour,
				[]string{"Approve before Tuesday 16 March 2027, 14:00 (America/New_York) to publish on time.",
					"After that, the post is not published: it expires and the agency is told.", `lang="en"`},
				[]string{"the agency&#39;s team is alerted"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				require.NoError(t, st.UpdateClientSettings(ctx, s.clientID, store.ClientSettings{"time_zone": tc.zone, "language": tc.lang}))
				token := awaitingPost(t, st, s.clientID, tc.requested, tc.publish, tc.escalate)
				for _, accept := range []string{"en-GB,en", "fr-FR,fr"} {
					r := send(t, app, "GET", "/approve/"+token, "", "", map[string]string{"Accept-Language": accept})
					require.Equal(t, 200, r.status, r.body)
					for _, w := range tc.want {
						require.Contains(t, r.body, w)
					}
					for _, w := range tc.not {
						require.NotContains(t, r.body, w)
					}
				}
			})
		}
	})
}

// A client page wears the client's colour with the text colour that keeps WCAG AA contrast,
// and the client's logo; without a colour it keeps the default look.
func TestApprovalPageInClientColours(t *testing.T) {
	st := testdb.Open(t, testdb.PostgresURL(t))
	app := newApp(t, st, 1000)
	s := seed(t, st)
	ctx := context.Background()
	for _, tc := range []struct{ colour, want string }{{"#1a2b3c", "--brand:#1a2b3c;--brand-text:#ffffff"}, {"#ffd700", "--brand:#ffd700;--brand-text:#000000"}} {
		require.NoError(t, st.UpdateClientSettings(ctx, s.clientID, store.ClientSettings{"brand_color": tc.colour}))
		r := send(t, app, "GET", "/approve/"+s.token, "", "", nil)
		require.Equal(t, 200, r.status)
		require.Contains(t, r.body, `class="page branded" style="`+tc.want+`"`)
		require.NotContains(t, r.body, `class="langswitch"`, "client pages speak the client's language")
	}
	require.NoError(t, st.UpdateClientSettings(ctx, s.clientID, store.ClientSettings{"brand_color": ""}))
	r := send(t, app, "GET", "/approve/"+s.token, "", "", nil)
	require.Contains(t, r.body, `<main class="page">`)
}

// The certificate gives decision times in the client's time zone as well as UTC.
func TestCertificateInClientZone(t *testing.T) {
	st := testdb.Open(t, testdb.PostgresURL(t))
	app := newApp(t, st, 1000)
	s := seed(t, st)
	require.NoError(t, st.UpdateClientSettings(context.Background(), s.clientID, store.ClientSettings{"time_zone": "Asia/Kolkata"}))
	d, err := st.PostDetail(context.Background(), s.scheduled)
	require.NoError(t, err)
	local := d.Decisions[0].At.In(mustZone(t, "Asia/Kolkata")).Format("2006-01-02 15:04:05") + " IST (+05:30) Asia/Kolkata"
	auth := map[string]string{"Authorization": "Bearer " + s.key}
	r := send(t, app, "GET", "/api/v1/posts/"+s.scheduled+"/certificate", "", "", auth)
	require.Equal(t, 200, r.status)
	text := pdftext.Text(t, []byte(r.body))
	require.Contains(t, text, "Asia/Kolkata")
	require.Contains(t, strings.Join(strings.Fields(text), " "), local)
	auth["Accept"] = "application/json"
	r = send(t, app, "GET", "/api/v1/posts/"+s.scheduled+"/certificate", "", "", auth)
	var c struct {
		TimeZone  string `json:"time_zone"`
		Decisions []struct {
			AtLocal string `json:"at_local"`
		} `json:"decisions"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &c))
	require.Equal(t, "Asia/Kolkata", c.TimeZone)
	require.Equal(t, local, c.Decisions[0].AtLocal)
}

func mustZone(t *testing.T, name string) *time.Location {
	z, err := time.LoadLocation(name)
	require.NoError(t, err)
	return z
}
