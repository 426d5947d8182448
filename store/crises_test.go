package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/store"
)

// TestStatementStepTakesSeveralStatements: a statement step whose statement failed takes a
// new statement run; migration 6 keeps the statements and decisions written before it.
func TestStatementStepTakesSeveralStatements(t *testing.T) {
	for name, dsn := range map[string]func(t testing.TB) string{"postgres": testdb.PostgresURL, "sqlite": testdb.SQLitePath} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s, err := store.Open(ctx, dsn(t))
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			require.NoError(t, s.MigrateTo(ctx, 4))

			now := time.Now().UTC().Truncate(time.Second)
			// The client row as migration 1 wrote it (later migrations add columns).
			cl := &store.Client{ID: greenlight.NewID("cli_")}
			require.NoError(t, s.DB().Exec(`INSERT INTO clients (id, name, approval_policy, created_at) VALUES (?, 'Brand', 'any', ?)`, cl.ID, now).Error)
			c := &store.Crisis{ID: greenlight.NewID("crs_"), ClientID: cl.ID, PlaybookKey: "bad-buzz", PlaybookVersion: "v",
				PlaybookTitle: "Bad buzz", Severity: "high", Summary: "s", Status: "active", StartedAt: now}
			require.NoError(t, s.CreateCrisis(ctx, c))
			statement := func(id, status string) store.StatementRecord {
				return store.StatementRecord{
					Statement: store.Statement{ID: id, CrisisID: c.ID, ClientID: cl.ID, StepKey: "holding-statement", Version: 1,
						Body: "We hear you", Channels: store.StringList{"x"}, Status: status, Publish: true, ApprovedAt: &now,
						Revision: 1, CreatedAt: now, UpdatedAt: now},
					Decisions: []store.StatementDecision{{StatementID: id, Seq: 1, Version: 1, ActorKind: "approver", ActorID: "apr_1",
						ActorName: "Ana", Role: "client", Decision: "approve", At: now}},
				}
			}
			first, second := greenlight.NewID("stm_"), greenlight.NewID("stm_")
			require.NoError(t, s.RecordStatement(ctx, statement(first, "failed")))

			require.NoError(t, s.Migrate(ctx))
			require.NoError(t, s.RecordStatement(ctx, statement(second, "awaiting_approval")))
			d, err := s.CrisisDetail(ctx, c.ID)
			require.NoError(t, err)
			require.Len(t, d.Statements, 2, "both statements of the step are kept")
			byID := map[string]store.StatementDetail{}
			for _, st := range d.Statements {
				byID[st.ID] = st
			}
			require.Equal(t, "failed", byID[first].Status, "the statement written before the migration is intact")
			require.Equal(t, now, byID[first].ApprovedAt.UTC())
			require.Equal(t, store.StringList{"x"}, byID[first].Channels)
			require.True(t, byID[first].Publish)
			require.Len(t, byID[first].Decisions, 1, "with its decisions")
			require.Equal(t, "Ana", byID[first].Decisions[0].ActorName)
			require.Len(t, byID[second].Decisions, 1)
		})
	}
}
