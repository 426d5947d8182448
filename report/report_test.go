package report_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/report"
	"github.com/greenlight/greenlight/store"
)

func at(m int) *time.Time {
	t := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC).Add(time.Duration(m) * time.Minute)
	return &t
}

func TestMarkdownTellsTheStory(t *testing.T) {
	start := *at(0)
	d := store.CrisisDetail{
		Crisis: store.Crisis{ID: "crs_1", PlaybookKey: "bad-buzz", PlaybookVersion: "abc", PlaybookTitle: "Bad buzz",
			Severity: "high", Summary: "Video | of a burnt cake", Status: "resolved", LeadName: "Léa", StartedAt: start,
			ResolvedAt: at(300), Resolution: "Calm again"},
		Steps: []store.CrisisStep{
			{StepKey: "assemble", Title: "Open the cell", Phase: "prepare", Kind: "task", Role: "crisis_lead", Status: "done",
				SLA: 30 * time.Minute, ReadyAt: at(0), DueAt: at(30), CompletedAt: at(45), Escalation: 1},
			{StepKey: "qualify", Title: "Qualify", Phase: "listen", Kind: "task", Role: "community_manager", Status: "skipped",
				ReadyAt: at(45), CompletedAt: at(300)},
			{StepKey: "wait", Title: "Wait", Phase: "act", Kind: "wait", Role: "community_manager", Status: "skipped", ReadyAt: at(45), CompletedAt: at(300)},
		},
		Events: []store.CrisisEvent{
			{Seq: 1, At: start, ActorKind: "user", ActorName: "Léa", Event: "crisis_started"},
			{Seq: 2, At: *at(45), ActorKind: "user", ActorName: "Léa", Event: "step_done", StepKey: "assemble", Note: "cell open"},
			{Seq: 3, At: *at(50), ActorKind: "system", ActorName: "Greenlight", Event: "step_done", StepKey: "pause", Note: "scheduled posts of the client are held"},
		},
		Statements: []store.StatementDetail{{
			Statement: store.Statement{StepKey: "holding-statement", Version: 2, Body: "We hear you", Channels: store.StringList{"x"}, Status: "published", PublishedAt: at(120)},
			Decisions: []store.StatementDecision{{Version: 2, ActorName: "Louise", Role: "legal", Decision: "approve", At: *at(110)}},
		}},
	}
	md := report.Markdown(report.Input{Crisis: d, Client: "Biscuiterie", Agency: "Agence Lumen", Now: *at(400), NegativeBelow: -0.25,
		Mentions: []store.MentionPoint{{At: *at(10), Sentiment: -0.9}, {At: *at(20), Sentiment: -0.8}, {At: *at(70), Sentiment: 0.5}}})

	for _, want := range []string{
		"# Post-mortem: Bad buzz — Biscuiterie", "*Final · prepared by Agence Lumen",
		"| Time to first response | 45m |", "Video \\| of a burnt cake",
		"| Open the cell | prepare | crisis_lead | done | 23 Nov 09:00 | 23 Nov 09:45 | 45m | 30m | ⚠ late by 15m |",
		"| Qualify | listen | community_manager | skipped | 23 Nov 09:45 |  |  | — |  |",
		"| 23 Nov 09:00 | 2 | 2 | -0.85 |", "| 23 Nov 10:00 | 1 | 0 | +0.50 |",
		"### holding-statement — version 2, published", "| 2 | Louise | legal | approve |",
		"- Scheduled posts were held from 23 Nov 09:50 until the resolution, 23 Nov 14:00.",
		"1 step(s) missed their deadline.", "Negative mentions fell from 2 at the peak to 0",
		"“Open the cell” ran late: name a backup for the crisis_lead role",
		"“Qualify” was not done before resolution",
	} {
		require.Contains(t, md, want)
	}
	require.NotContains(t, md, "“Wait”", "waits ending at resolution are not work left undone")
	require.Equal(t, 1, strings.Count(md, "## Recommendations"))
}

func TestReportSaysWhatFollowedAFailedStatement(t *testing.T) {
	base := store.CrisisDetail{Crisis: store.Crisis{ID: "crs_1", PlaybookTitle: "Bad buzz", Status: "resolved", StartedAt: *at(0), ResolvedAt: at(300)}}
	failed := store.StatementDetail{Statement: store.Statement{ID: "stm_1", StepKey: "holding-statement", Version: 1, Body: "We hear you", Status: "failed"}}
	tests := []struct {
		name       string
		step       store.CrisisStep
		statements []store.StatementDetail
		want       string
	}{
		{"a new draft", store.CrisisStep{StepKey: "holding-statement", Kind: "statement", Status: "done", StatementID: "stm_2"},
			[]store.StatementDetail{failed, {Statement: store.Statement{ID: "stm_2", StepKey: "holding-statement", Version: 1, Status: "published"}}},
			"The approved statement of step holding-statement (version 1) failed to publish; a new draft was sent for approval and ended published."},
		{"completed by hand", store.CrisisStep{StepKey: "holding-statement", Kind: "statement", Status: "done", StatementID: "stm_1", Note: "posted by hand on X"},
			[]store.StatementDetail{failed},
			"failed to publish; the step was completed by hand: “posted by hand on X”."},
		{"nothing yet", store.CrisisStep{StepKey: "holding-statement", Kind: "statement", Status: "in_progress", StatementID: "stm_1"},
			[]store.StatementDetail{failed},
			"failed to publish; the step waits for a new draft or to be completed with a note."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := base
			d.Steps, d.Statements = []store.CrisisStep{tt.step}, tt.statements
			md := report.Markdown(report.Input{Crisis: d, Client: "Biscuiterie", Agency: "Agence", Now: *at(400), NegativeBelow: -0.25})
			require.Contains(t, md, tt.want)
			require.Contains(t, md, "A statement failed to publish: check the client's publishing webhook")
		})
	}
}
