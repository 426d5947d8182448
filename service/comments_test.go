package service_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/certificate"
	"github.com/greenlight/greenlight/internal/pdftext"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/media"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

// world is a client with one approver, staff of that client and of another, and helpers to
// write posts and links straight into the store (no workflow needed to read them back).
type world struct {
	t                          *testing.T
	st                         *store.Store
	client                     *store.Client
	editor, reviewer, outsider *store.User
	now                        time.Time
}

func newWorld(t *testing.T, st *store.Store) *world {
	ctx := context.Background()
	w := &world{t: t, st: st, now: time.Now().UTC().Truncate(time.Second)}
	w.client = &store.Client{ID: greenlight.NewID("cli_"), Name: "Crêperie Façon Müller", ApprovalPolicy: "any", CreatedAt: w.now,
		Approvers: []store.Approver{{ID: greenlight.NewID("apr_"), Name: "Françoise Dupré", Email: "francoise@brand.test"}}}
	require.NoError(t, st.CreateClient(ctx, w.client))
	other := &store.Client{ID: greenlight.NewID("cli_"), Name: "Other", ApprovalPolicy: "any", CreatedAt: w.now,
		Approvers: []store.Approver{{ID: greenlight.NewID("apr_"), Name: "O", Email: "o@other.test"}}}
	require.NoError(t, st.CreateClient(ctx, other))
	user := func(name, role string, clients ...string) *store.User {
		h := greenlight.HashToken(name + w.client.ID)
		u := &store.User{ID: greenlight.NewID("usr_"), Email: name + "-" + w.client.ID + "@agency.test", Name: name, Role: role, APIKeyHash: &h,
			CreatedAt: w.now, ClientIDs: clients}
		require.NoError(t, st.CreateUser(ctx, u))
		return u
	}
	w.editor = user("Élodie Éditrice", "editor", w.client.ID)
	w.reviewer = user("Zoé Relecture", "reviewer")
	w.outsider = user("Outsider", "admin", other.ID)
	return w
}

func (w *world) svc() *service.Service {
	s := newService(w.st)
	s.Agency = "Agence Éclair"
	s.Now = func() time.Time { // a second passes at each reading: comments sort by time
		w.now = w.now.Add(time.Second)
		return w.now
	}
	return s
}

func content(v int) greenlight.Content {
	return greenlight.Content{Title: "Fête d'été", Body: "Crème brûlée et garçon über-süß, version " + string(rune('0'+v)), Channels: []string{"bluesky"},
		MediaURLs: []string{}, Media: []greenlight.MediaRef{{ID: "med_1", SHA256: strings.Repeat("cd", 32), ContentType: "image/webp", Alt: "Façade"}}}
}

// post writes a post at version `versions` (each version saved), with status, decisions
// and events.
func (w *world) post(status string, versions int, decisions []store.PostDecision, events []store.PostEvent) string {
	ctx := context.Background()
	id := greenlight.NewID("pst_")
	for v := 1; v <= versions; v++ {
		c := content(v)
		rec := store.PostRecord{
			Post: store.Post{ID: id, ClientID: w.client.ID, AuthorID: w.editor.ID, Title: c.Title, Body: c.Body, Channels: c.Channels,
				MediaURLs: c.MediaURLs, Media: c.Media, PublishAt: w.now.Add(time.Hour), Status: status, Version: v, Revision: int64(v),
				CreatedAt: w.now, UpdatedAt: w.now},
			NewVersion: &store.PostVersion{PostID: id, Version: v, Title: c.Title, Body: c.Body, Channels: c.Channels, MediaURLs: c.MediaURLs,
				Media: c.Media, Digest: c.Digest(), AuthorID: w.editor.ID, CreatedAt: w.now},
		}
		if v == versions {
			for i := range decisions {
				decisions[i].PostID = id
			}
			for i := range events {
				events[i].PostID = id
			}
			rec.Decisions, rec.Events = decisions, events
		}
		require.NoError(w.t, w.st.RecordPost(ctx, rec))
	}
	return id
}

// link stores an approval link of the client's approver for postID's version; it returns
// the token.
func (w *world) link(postID string, version int, expires time.Time, used, decided *time.Time) (string, *store.Link) {
	token, hash := greenlight.NewToken("gl_")
	a := w.client.Approvers[0]
	l := &store.Link{ID: greenlight.NewID("lnk_"), TokenHash: hash, EffectKey: greenlight.NewID("eff_"), SubjectKind: "post", SubjectID: postID,
		Version: version, ApproverID: a.ID, ApproverName: a.Name, ApproverEmail: a.Email, ExpiresAt: expires, UsedAt: used, DecidedAt: decided,
		CreatedAt: w.now}
	require.NoError(w.t, w.st.SaveLink(context.Background(), l))
	return token, l
}

func TestStaffComments(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		svc := w.svc()
		id := w.post("in_review", 2, nil, nil)

		for _, tc := range []struct {
			name string
			in   service.NewComment
			code string
		}{
			{"empty body", service.NewComment{Body: "", Visibility: "internal"}, greenlight.EINVALID},
			{"blank body", service.NewComment{Body: " \n\t", Visibility: "client"}, greenlight.EINVALID},
			{"too long", service.NewComment{Body: strings.Repeat("é", service.MaxCommentRunes+1), Visibility: "internal"}, greenlight.EINVALID},
			{"no visibility", service.NewComment{Body: "x"}, greenlight.EINVALID},
			{"bad visibility", service.NewComment{Body: "x", Visibility: "public"}, greenlight.EINVALID},
			{"longest", service.NewComment{Body: strings.Repeat("é", service.MaxCommentRunes), Visibility: "internal"}, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c, err := svc.AddComment(ctx, w.reviewer, id, tc.in)
				if tc.code != "" {
					require.Equal(t, tc.code, greenlight.ErrorCode(err), "%v", err)
					return
				}
				require.NoError(t, err)
				require.Equal(t, 2, c.Version)
			})
		}

		internal, err := svc.AddComment(ctx, w.editor, id, service.NewComment{Body: "  Interne : marge trop faible  ", Visibility: "internal"})
		require.NoError(t, err)
		require.Equal(t, "Interne : marge trop faible", internal.Body)
		require.Equal(t, store.Comment{ID: internal.ID, PostID: id, Version: 2, Visibility: "internal", AuthorKind: "user", AuthorID: w.editor.ID,
			AuthorName: w.editor.Name, Body: internal.Body, CreatedAt: w.now}, *internal)
		_, err = svc.AddComment(ctx, w.reviewer, id, service.NewComment{Body: "Pour le client", Visibility: "client"})
		require.NoError(t, err)

		all, err := svc.Comments(ctx, w.reviewer, id)
		require.NoError(t, err)
		require.Len(t, all, 3) // the longest one, internal, client
		require.Equal(t, []string{"internal", "internal", "client"}, []string{all[0].Visibility, all[1].Visibility, all[2].Visibility})

		t.Run("other client's staff", func(t *testing.T) {
			_, err := svc.AddComment(ctx, w.outsider, id, service.NewComment{Body: "x", Visibility: "internal"})
			require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))
			_, err = svc.Comments(ctx, w.outsider, id)
			require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))
			_, err = svc.AddComment(ctx, w.outsider, "pst_00000000000000000000000000", service.NewComment{Body: "x", Visibility: "internal"})
			require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))
		})
	})
}

// An approver comments from their open link, always client-visible, on the link's version;
// a used, expired or replaced link refuses. Client pages read client comments only.
func TestLinkComments(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		svc := w.svc()
		id := w.post("awaiting_client", 1, nil, nil)
		open, link := w.link(id, 1, w.now.Add(time.Hour), nil, nil)
		_, err := svc.AddComment(ctx, w.editor, id, service.NewComment{Body: "SECRET interne", Visibility: "internal"})
		require.NoError(t, err)
		_, err = svc.AddComment(ctx, w.editor, id, service.NewComment{Body: "Bonjour Françoise", Visibility: "client"})
		require.NoError(t, err)

		c, err := svc.CommentFromLink(ctx, open, "Pouvez-vous changer la photo ?")
		require.NoError(t, err)
		require.Equal(t, store.Comment{ID: c.ID, PostID: id, Version: 1, Visibility: "client", AuthorKind: "approver",
			AuthorID: link.ApproverID, AuthorName: "Françoise Dupré", LinkID: link.ID, Body: "Pouvez-vous changer la photo ?", CreatedAt: w.now}, *c)

		seen, err := svc.LinkComments(ctx, open)
		require.NoError(t, err)
		require.Len(t, seen, 2)
		for _, s := range seen {
			require.Equal(t, "client", s.Visibility)
			require.NotContains(t, s.Body, "SECRET")
		}

		past := w.now.Add(-time.Minute)
		used, _ := w.link(id, 1, w.now.Add(time.Hour), &past, nil)
		expired, _ := w.link(id, 1, past, nil, nil)
		for _, tc := range []struct {
			name, token, body, code string
		}{
			{"empty", open, "  ", greenlight.EINVALID},
			{"too long", open, strings.Repeat("a", service.MaxCommentRunes+1), greenlight.EINVALID},
			{"used link", used, "hello", greenlight.EGONE},
			{"expired link", expired, "hello", greenlight.EGONE},
			{"unknown token", "gl_nope", "hello", greenlight.ENOTFOUND},
			{"no token", "", "hello", greenlight.ENOTFOUND},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := svc.CommentFromLink(ctx, tc.token, tc.body)
				require.Equal(t, tc.code, greenlight.ErrorCode(err), "%v", err)
			})
		}
		t.Run("replaced version", func(t *testing.T) {
			id2 := w.post("awaiting_client", 2, nil, nil)
			old, _ := w.link(id2, 1, w.now.Add(time.Hour), nil, nil)
			_, err := svc.CommentFromLink(ctx, old, "hello")
			require.Equal(t, greenlight.EGONE, greenlight.ErrorCode(err))
		})
		all, err := svc.Comments(ctx, w.editor, id)
		require.NoError(t, err)
		require.Len(t, all, 3, "refused comments were not stored")
	})
}

func TestCertificate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		svc := w.svc()
		a := w.client.Approvers[0]
		at := time.Date(2026, 3, 2, 13, 4, 5, 0, time.UTC)
		user := func(u *store.User) (string, string, string) { return "user", u.ID, u.Name }
		dec := func(seq, version int, stage, kind, actorID, name, decision, comment string) store.PostDecision {
			return store.PostDecision{Seq: seq, Version: version, Stage: stage, Round: 1, ActorKind: kind, ActorID: actorID, ActorName: name,
				Decision: decision, Comment: comment, At: at.Add(time.Duration(seq) * time.Minute)}
		}
		k, rid, rname := user(w.reviewer)

		t.Run("never approved", func(t *testing.T) {
			id := w.post("awaiting_client", 1, []store.PostDecision{dec(1, 1, "internal", k, rid, rname, "approve", "")},
				[]store.PostEvent{{Seq: 1, At: at, ActorKind: "user", ActorID: w.editor.ID, Action: "submitted", Version: 1}})
			_, err := svc.Certificate(ctx, w.editor, id)
			require.Equal(t, greenlight.ECONFLICT, greenlight.ErrorCode(err))
			require.Contains(t, greenlight.ErrorMessage(err), "never approved")
		})

		// v1 got changes requested; v2 was approved by the reviewer, then by the client
		// through the second (reminder) link, and scheduled.
		id := w.post("scheduled", 2, []store.PostDecision{
			dec(1, 1, "internal", k, rid, rname, "request_changes", "trop long"),
			dec(2, 2, "internal", k, rid, rname, "approve", ""),
			dec(3, 2, "client", "approver", a.ID, a.Name, "approve", "Très bien, ça me va"),
		}, []store.PostEvent{
			{Seq: 1, At: at, ActorKind: "system", Action: "scheduled", Version: 2, Comment: "publish at"},
		})
		decided := at.Add(3 * time.Minute)
		w.link(id, 2, w.now.Add(time.Hour), &decided, nil) // the first email's link, spent by the decision
		_, through := w.link(id, 2, w.now.Add(time.Hour), &decided, &decided)

		t.Run("other client's staff", func(t *testing.T) {
			_, err := svc.Certificate(ctx, w.outsider, id)
			require.Equal(t, greenlight.ENOTFOUND, greenlight.ErrorCode(err))
		})

		c, err := svc.Certificate(ctx, w.reviewer, id)
		require.NoError(t, err)
		v2 := content(2)
		require.Equal(t, "UTC", c.TimeZone)
		require.Equal(t, certificate.Client{ID: w.client.ID, Name: "Crêperie Façon Müller"}, c.Client)
		require.Equal(t, 2, c.Version.Number)
		require.Equal(t, v2.Body, c.Version.Body)
		require.Equal(t, v2.Digest(), c.Version.Digest)
		require.Equal(t, []certificate.Media{{ID: "med_1", SHA256: strings.Repeat("cd", 32), ContentType: "image/webp", Alt: "Façade"}}, c.Version.Media)
		require.Len(t, c.Decisions, 2, "decisions on the approved version only")
		require.Equal(t, certificate.Decision{Stage: "internal", Role: "reviewer", ActorID: rid, ActorName: rname, Decision: "approve",
			At: at.Add(2 * time.Minute), AtUTC: "2026-03-02 13:06:05 UTC", AtLocal: "2026-03-02 13:06:05 UTC"}, c.Decisions[0])
		require.Equal(t, "client approver", c.Decisions[1].Role)
		require.Equal(t, through.ID, c.Decisions[1].LinkID, "the link that carried the decision, not the other spent one")
		require.Empty(t, c.Decisions[1].LinkNote)
		require.Empty(t, c.Channels)
		require.Equal(t, "no channel results recorded", c.ChannelsNote)

		pdf, err := certificate.PDF(c)
		require.NoError(t, err)
		text := pdftext.Text(t, pdf)
		for _, want := range []string{"Crêperie Façon Müller", v2.Body, v2.Digest(), "approve — " + rname + " (reviewer, internal stage)",
			"approve — Françoise Dupré (client approver, client stage)", "Through link: " + through.ID, "Très bien, ça me va",
			"When (UTC): 2026-03-02 13:07:05 UTC", "no channel results recorded"} {
			require.Contains(t, text, want)
		}
		require.NotContains(t, text, "trop long", "a decision on another version")

		t.Run("channels and local time", func(t *testing.T) {
			require.NoError(t, st.SavePostChannel(ctx, &store.PostChannel{PostID: id, Version: 2, Channel: "bluesky", Status: store.ChannelPublished,
				URL: "https://bsky.app/profile/x/post/1", RemoteID: "at://x/1", UpdatedAt: at}))
			c, err := svc.Certificate(ctx, w.editor, id)
			require.NoError(t, err)
			require.Equal(t, []certificate.Channel{{Channel: "bluesky", Status: "published", URL: "https://bsky.app/profile/x/post/1",
				RemoteID: "at://x/1", UpdatedAt: at}}, c.Channels)
			require.Empty(t, c.ChannelsNote)
		})
		t.Run("library images are embedded", func(t *testing.T) {
			lib, err := media.New(t.TempDir(), 0, make([]byte, 32))
			require.NoError(t, err)
			img := image.NewRGBA(image.Rect(0, 0, 30, 10))
			var buf bytes.Buffer
			require.NoError(t, png.Encode(&buf, img))
			sha, err := lib.Put(buf.Bytes())
			require.NoError(t, err)
			ct := greenlight.Content{Title: "Photo", Body: "Avec photo", Channels: []string{"bluesky"}, MediaURLs: []string{},
				Media: []greenlight.MediaRef{{ID: "med_png", SHA256: sha, ContentType: "image/png", Alt: "Vitrine"}}}
			pid := greenlight.NewID("pst_")
			require.NoError(t, st.RecordPost(ctx, store.PostRecord{
				Post: store.Post{ID: pid, ClientID: w.client.ID, AuthorID: w.editor.ID, Title: ct.Title, Body: ct.Body, Channels: ct.Channels,
					MediaURLs: ct.MediaURLs, Media: ct.Media, PublishAt: at, Status: "scheduled", Version: 1, Revision: 1, CreatedAt: at, UpdatedAt: at},
				NewVersion: &store.PostVersion{PostID: pid, Version: 1, Title: ct.Title, Body: ct.Body, Channels: ct.Channels, MediaURLs: ct.MediaURLs,
					Media: ct.Media, Digest: ct.Digest(), AuthorID: w.editor.ID, CreatedAt: at},
				Events: []store.PostEvent{{PostID: pid, Seq: 1, At: at, ActorKind: "system", Action: "scheduled", Version: 1}},
			}))
			withLib := w.svc()
			withLib.Library = lib
			c, err := withLib.Certificate(ctx, w.editor, pid)
			require.NoError(t, err)
			require.Equal(t, buf.Bytes(), c.Version.Media[0].Image)
			pdf, err := certificate.PDF(c)
			require.NoError(t, err)
			require.Contains(t, pdftext.Text(t, pdf), "SHA-256 "+sha)
			path := filepath.Join(t.TempDir(), "c.pdf")
			require.NoError(t, os.WriteFile(path, pdf, 0o600))
			out, err := exec.Command("pdfimages", "-list", path).CombinedOutput()
			require.NoError(t, err, "%s", out)
			require.Contains(t, string(out), " 30    10 ", "the 30×10 image is in the PDF:\n%s", out)
		})
		t.Run("decisions made before deciding links were recorded", func(t *testing.T) {
			id := w.post("published", 1, []store.PostDecision{dec(1, 1, "client", "approver", a.ID, a.Name, "approve", "")},
				[]store.PostEvent{{Seq: 1, At: at, ActorKind: "system", Action: "scheduled", Version: 1}})
			_, l1 := w.link(id, 1, w.now.Add(time.Hour), &decided, nil)
			_, l2 := w.link(id, 1, w.now.Add(time.Hour), &decided, nil)
			c, err := svc.Certificate(ctx, w.editor, id)
			require.NoError(t, err)
			require.Empty(t, c.Decisions[0].LinkID)
			require.Contains(t, c.Decisions[0].LinkNote, l1.ID)
			require.Contains(t, c.Decisions[0].LinkNote, l2.ID)
		})
	})
}
