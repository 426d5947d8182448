package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/store"
)

// seed stores n posts of one client, each with a version, a decision and two events, as
// the approval path leaves them.
func seed(b *testing.B, s *store.Store, n int) (clientID string, ids []string) {
	b.Helper()
	ctx := context.Background()
	c := &store.Client{ID: greenlight.NewID("cli_"), Name: "Bench", ApprovalPolicy: "any", CreatedAt: time.Now().UTC(),
		Approvers: []store.Approver{{ID: greenlight.NewID("apr_"), Name: "A", Email: "a@bench.test"}}}
	if err := s.CreateClient(ctx, c); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		p := newPost(c.ID, 3, greenlight.StatusAwaitingClient)
		p.Body = "Notre menu d'hiver arrive, réservez dès maintenant ! #bistro"
		rec := store.PostRecord{Post: p,
			NewVersion: &store.PostVersion{PostID: p.ID, Version: 1, Title: p.Title, Body: p.Body, Channels: p.Channels, MediaURLs: p.MediaURLs, AuthorID: "usr_x", CreatedAt: p.CreatedAt},
			Decisions:  []store.PostDecision{{PostID: p.ID, Seq: 3, Version: 1, Stage: "internal", Round: 1, ActorKind: "user", ActorID: "usr_r", ActorName: "R", Decision: "approve", At: p.CreatedAt}},
			Events: []store.PostEvent{{PostID: p.ID, Seq: 1, At: p.CreatedAt, ActorKind: "user", ActorID: "usr_x", ActorName: "X", Action: "created", Version: 1},
				{PostID: p.ID, Seq: 2, At: p.CreatedAt, ActorKind: "user", ActorID: "usr_x", ActorName: "X", Action: "submitted", Version: 1}}}
		if err := s.RecordPost(ctx, rec); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, p.ID)
		if i%500 == 0 {
			time.Sleep(time.Millisecond) // ids sort by millisecond
		}
	}
	return c.ID, ids
}

func eachDB(b *testing.B, f func(b *testing.B, s *store.Store)) {
	b.Run("postgres", func(b *testing.B) { f(b, testdb.Open(b, testdb.PostgresURL(b))) })
	b.Run("sqlite", func(b *testing.B) { f(b, testdb.Open(b, testdb.SQLitePath(b))) })
}

func BenchmarkPostRead(b *testing.B) {
	eachDB(b, func(b *testing.B, s *store.Store) {
		_, ids := seed(b, s, 2000)
		ctx := context.Background()
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			if _, err := s.PostDetail(ctx, ids[i%len(ids)]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkListPage(b *testing.B) {
	eachDB(b, func(b *testing.B, s *store.Store) {
		clientID, _ := seed(b, s, 10000)
		ctx := context.Background()
		b.ResetTimer()
		for b.Loop() {
			ps, _, err := s.ListPosts(ctx, store.PostFilter{ClientID: clientID, Status: "awaiting_client", Limit: 50})
			if err != nil || len(ps) != 50 {
				b.Fatal(err, len(ps))
			}
		}
	})
}

func BenchmarkRecordPost(b *testing.B) {
	eachDB(b, func(b *testing.B, s *store.Store) {
		_, ids := seed(b, s, 1)
		ctx := context.Background()
		p, err := s.Post(ctx, ids[0])
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			p.Revision = int64(10 + i)
			ev := store.PostEvent{PostID: p.ID, Seq: 10 + i, At: time.Now().UTC(), ActorKind: "system", ActorID: "system", ActorName: "G", Action: "bench", Version: 1}
			if err := s.RecordPost(ctx, store.PostRecord{Post: *p, Events: []store.PostEvent{ev}}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
