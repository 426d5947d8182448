package service_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/service"
	"github.com/greenlight/greenlight/store"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// BenchmarkTokenCheck is what GET /approve/{token} costs before rendering: hash, link,
// post, version and client.
func BenchmarkTokenCheck(b *testing.B) {
	for _, db := range []string{"postgres", "sqlite"} {
		b.Run(db, func(b *testing.B) {
			dsn := testdb.SQLitePath(b)
			if db == "postgres" {
				dsn = testdb.PostgresURL(b)
			}
			st := testdb.Open(b, dsn)
			ctx := context.Background()
			svc := &service.Service{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			c := &store.Client{ID: greenlight.NewID("cli_"), Name: "B", ApprovalPolicy: "any", CreatedAt: time.Now().UTC(),
				Approvers: []store.Approver{{ID: greenlight.NewID("apr_"), Name: "A", Email: "a@b.test"}}}
			if err := st.CreateClient(ctx, c); err != nil {
				b.Fatal(err)
			}
			now := time.Now().UTC()
			p := store.Post{ID: greenlight.NewID("pst_"), ClientID: c.ID, AuthorID: "usr_x", Title: "T", Body: "B", Channels: store.StringList{"x"},
				MediaURLs: store.StringList{}, PublishAt: now.Add(time.Hour), Status: "awaiting_client", Version: 1, Revision: 1, CreatedAt: now, UpdatedAt: now}
			if err := st.RecordPost(ctx, store.PostRecord{Post: p, NewVersion: &store.PostVersion{PostID: p.ID, Version: 1, Title: "T", Body: "B",
				Channels: p.Channels, MediaURLs: p.MediaURLs, AuthorID: "usr_x", CreatedAt: now}}); err != nil {
				b.Fatal(err)
			}
			token, hash := greenlight.NewToken("gl_")
			if err := st.SaveLink(ctx, &store.Link{ID: greenlight.NewID("lnk_"), TokenHash: hash, EffectKey: "k", SubjectKind: "post", SubjectID: p.ID,
				Version: 1, ApproverID: c.Approvers[0].ID, ApproverName: "A", ApproverEmail: "a@b.test", ExpiresAt: now.Add(time.Hour), CreatedAt: now}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				v, err := svc.OpenLink(ctx, token)
				if err != nil || v.State != service.LinkOpen {
					b.Fatal(err)
				}
			}
		})
	}
}
