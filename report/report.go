// Package report writes a crisis post-mortem as Markdown from what was recorded: the
// timeline, response times, step durations and SLA breaches, mention volume and sentiment,
// statements and their approvers, then the agency's reporting sections — results,
// analysis, conclusion, recommendations.
package report

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/greenlight/greenlight/store"
)

// Input is everything a report is written from.
type Input struct {
	Crisis   store.CrisisDetail
	Client   string
	Agency   string
	Mentions []store.MentionPoint // from a day before the start to the end (or now)
	Now      time.Time
	// NegativeBelow is the sentiment under which a mention counts as negative.
	NegativeBelow float64
}

// Source is where Build reads a crisis from.
type Source interface {
	CrisisDetail(ctx context.Context, id string) (*store.CrisisDetail, error)
	Client(ctx context.Context, id string) (*store.Client, error)
	MentionPoints(ctx context.Context, clientID string, from, to time.Time) ([]store.MentionPoint, error)
}

// Build loads a crisis and renders its post-mortem as it stands at now.
func Build(ctx context.Context, src Source, crisisID, agency string, negativeBelow float64, now time.Time) (string, error) {
	d, err := src.CrisisDetail(ctx, crisisID)
	if err != nil {
		return "", err
	}
	client, err := src.Client(ctx, d.ClientID)
	if err != nil {
		return "", err
	}
	end := now
	if d.ResolvedAt != nil {
		end = *d.ResolvedAt
	}
	points, err := src.MentionPoints(ctx, d.ClientID, d.StartedAt.Add(-24*time.Hour), end.Add(time.Second))
	if err != nil {
		return "", err
	}
	return Markdown(Input{Crisis: *d, Client: client.Name, Agency: agency, Mentions: points, Now: now, NegativeBelow: negativeBelow}), nil
}

// Markdown renders the post-mortem.
func Markdown(in Input) string {
	c := in.Crisis
	end := in.Now
	if c.ResolvedAt != nil {
		end = *c.ResolvedAt
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	status := "Draft — crisis still active"
	if c.Status == "resolved" {
		status = "Final"
	}
	w("# Post-mortem: %s — %s\n\n", c.PlaybookTitle, in.Client)
	w("*%s · prepared by %s · %s*\n\n", status, in.Agency, end.UTC().Format("2 January 2006 15:04 MST"))
	w("| | |\n|---|---|\n")
	w("| Client | %s |\n", esc(in.Client))
	w("| Playbook | %s (`%s`, version %s) |\n", esc(c.PlaybookTitle), c.PlaybookKey, c.PlaybookVersion)
	w("| Severity | %s |\n", c.Severity)
	w("| Crisis lead | %s |\n", esc(c.LeadName))
	if c.TriggerReason != "" {
		w("| Trigger | %s |\n", esc(c.TriggerReason))
	}
	w("| Started | %s |\n", stamp(c.StartedAt))
	if c.ResolvedAt != nil {
		w("| Resolved | %s |\n", stamp(*c.ResolvedAt))
	}
	w("| Duration | %s |\n", human(end.Sub(c.StartedAt)))
	first, firstOK := firstResponse(c)
	if firstOK {
		w("| Time to first response | %s |\n", human(first))
	} else {
		w("| Time to first response | no step completed by a person |\n")
	}
	w("\n**Summary.** %s\n\n", esc(c.Summary))

	w("## Timeline\n\n| When | Who | What | Step | Note |\n|---|---|---|---|---|\n")
	for _, e := range c.Events {
		w("| %s | %s | %s | %s | %s |\n", stamp(e.At), esc(e.ActorName), strings.ReplaceAll(e.Event, "_", " "), e.StepKey, esc(oneLine(e.Note)))
	}

	w("\n## Steps, durations and deadlines\n\n| Step | Phase | Owner | Status | Ready | Done | Took | SLA | Breach |\n|---|---|---|---|---|---|---|---|---|\n")
	breaches := 0
	var slowest *store.CrisisStep
	var slowestTook time.Duration
	for i, s := range c.Steps {
		took, breach, done := "", "", ""
		if s.Status == "done" && s.ReadyAt != nil && s.CompletedAt != nil {
			done = stamp(*s.CompletedAt)
			d := s.CompletedAt.Sub(*s.ReadyAt)
			took = human(d)
			if s.Status == "done" && d > slowestTook {
				slowest, slowestTook = &c.Steps[i], d
			}
		}
		if s.DueAt != nil && (s.Escalation > 0 || (s.CompletedAt != nil && s.CompletedAt.After(*s.DueAt))) {
			breaches++
			over := ""
			if s.CompletedAt != nil {
				over = " by " + human(s.CompletedAt.Sub(*s.DueAt))
			}
			breach = "⚠ late" + over
			if s.Escalation >= 2 {
				breach += ", admins alerted"
			}
		}
		sla := "—"
		if s.SLA > 0 {
			sla = human(s.SLA)
		}
		owner := s.Role
		if s.AssigneeName != "" {
			owner = s.AssigneeName + " (" + s.Role + ")"
		}
		w("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", esc(s.Title), s.Phase, esc(owner), s.Status,
			stampPtr(s.ReadyAt), done, took, sla, breach)
	}

	w("\n## Mention volume and sentiment\n\n")
	buckets := bucket(in.Mentions, c.StartedAt.Add(-24*time.Hour), end, in.NegativeBelow)
	total, negative := 0, 0
	peak := bucketRow{}
	if len(buckets) == 0 {
		w("No mentions were recorded for this client around the crisis.\n")
	} else {
		w("| Hour (UTC) | Mentions | Negative | Average sentiment | |\n|---|---|---|---|---|\n")
		maxN := 1
		for _, r := range buckets {
			maxN = max(maxN, r.total)
		}
		for _, r := range buckets {
			total += r.total
			negative += r.negative
			if r.negative > peak.negative {
				peak = r
			}
			bar := strings.Repeat("█", (r.total*20+maxN-1)/maxN)
			w("| %s | %d | %d | %+.2f | %s |\n", r.start.UTC().Format("02 Jan 15:00"), r.total, r.negative, r.avg, bar)
		}
	}

	w("\n## Statements\n\n")
	if len(c.Statements) == 0 {
		w("No statement was issued.\n")
	}
	for _, st := range c.Statements {
		w("### %s — version %d, %s\n\n", st.StepKey, st.Version, strings.ReplaceAll(st.Status, "_", " "))
		w("> %s\n\n", strings.ReplaceAll(esc(st.Body), "\n", "\n> "))
		if len(st.Channels) > 0 {
			w("Channels: %s.", strings.Join(st.Channels, ", "))
		}
		if st.PublishedAt != nil {
			w(" Published %s.", stamp(*st.PublishedAt))
		}
		w("\n\n")
		if len(st.Decisions) > 0 {
			w("| Version | Approver | Role | Decision | Comment | When |\n|---|---|---|---|---|---|\n")
			for _, d := range st.Decisions {
				w("| %d | %s | %s | %s | %s | %s |\n", d.Version, esc(d.ActorName), d.Role, strings.ReplaceAll(d.Decision, "_", " "), esc(oneLine(d.Comment)), stamp(d.At))
			}
			w("\n")
		}
	}

	done, skipped := 0, 0
	var skippedWork []string // tasks and statements nobody did; waits and listening end anyway
	for _, s := range c.Steps {
		switch s.Status {
		case "done":
			done++
		case "skipped":
			skipped++
			if s.Kind == "task" || s.Kind == "statement" {
				skippedWork = append(skippedWork, "“"+esc(s.Title)+"”")
			}
		}
	}
	w("## Results\n\n")
	if c.Resolution != "" {
		w("%s\n\n", esc(c.Resolution))
	}
	w("- %d of %d playbook steps completed, %d skipped at resolution.\n", done, len(c.Steps), skipped)
	w("- %d mentions recorded around the crisis, %d of them negative", total, negative)
	if peak.total > 0 {
		w("; the negative peak was %d in the hour from %s", peak.negative, peak.start.UTC().Format("02 Jan 15:00 MST"))
	}
	w(".\n")
	approvedStatements := 0
	for _, st := range c.Statements {
		if st.Status == "published" || st.Status == "ready" {
			approvedStatements++
		}
	}
	w("- %d statement(s) approved and issued.\n", approvedStatements)
	failedPublications := failedStatements(c)
	for _, f := range failedPublications {
		w("- %s\n", f)
	}
	for _, e := range c.Events {
		if e.Event == "step_done" && strings.Contains(e.Note, "held") {
			w("- Scheduled posts were held from %s", stamp(e.At))
			if c.ResolvedAt != nil {
				w(" until the resolution, %s", stamp(*c.ResolvedAt))
			}
			w(".\n")
			break
		}
	}
	w("\n")

	w("## Analysis\n\n")
	if firstOK {
		w("The first human action came %s after the crisis opened", human(first))
		if first <= time.Hour {
			w(", within the hour that usually decides how a bad buzz is perceived.\n")
		} else {
			w(": more than an hour, long enough for the story to be told by others first.\n")
		}
	}
	if breaches == 0 {
		w("Every step with a deadline met it.\n")
	} else {
		w("%d step(s) missed their deadline.\n", breaches)
	}
	if slowest != nil {
		w("The longest step was “%s” (%s).\n", esc(slowest.Title), human(slowestTook))
	}
	if peak.total > 0 && len(buckets) > 1 {
		last := buckets[len(buckets)-1]
		if last.negative < peak.negative {
			w("Negative mentions fell from %d at the peak to %d in the last hour observed.\n", peak.negative, last.negative)
		} else {
			w("Negative mentions had not fallen from their peak when this report was written.\n")
		}
	}

	w("\n## Conclusion\n\n")
	switch {
	case c.Status != "resolved":
		w("The crisis is still active; this draft will be final once it is resolved.\n")
	case breaches == 0 && approvedStatements > 0:
		w("The crisis was handled within its deadlines and the brand spoke with an approved voice.\n")
	case approvedStatements == 0:
		w("The crisis was resolved without an approved public statement.\n")
	default:
		w("The crisis was resolved; the deadlines missed are the first things to improve.\n")
	}

	w("\n## Recommendations\n\n")
	recs := 0
	rec := func(s string) { recs++; w("%d. %s\n", recs, s) }
	for _, s := range c.Steps {
		if s.Escalation > 0 || (s.DueAt != nil && s.CompletedAt != nil && s.CompletedAt.After(*s.DueAt)) {
			rec(fmt.Sprintf("“%s” ran late: name a backup for the %s role and check the %s deadline is realistic.", esc(s.Title), s.Role, human(s.SLA)))
		}
	}
	if firstOK && first > time.Hour {
		rec("Shorten the time to first response: keep the crisis cell's contacts and the holding statement template up to date.")
	}
	if approvedStatements == 0 {
		rec("Prepare pre-approved holding statements with legal so that the brand can speak within the hour.")
	}
	if len(failedPublications) > 0 {
		rec("A statement failed to publish: check the client's publishing webhook and have a manual way to post on each channel.")
	}
	if len(skippedWork) > 0 {
		rec(fmt.Sprintf("%s %s not done before resolution: check whether they still matter, or whether the playbook should drop them for this kind of crisis.",
			strings.Join(skippedWork, ", "), map[bool]string{true: "was", false: "were"}[len(skippedWork) == 1]))
	}
	rec("Keep listening for a week: a second wave often follows when the topic resurfaces.")
	return b.String()
}

// failedStatements says, for each statement whose publication failed, what the crisis did
// next: a new draft (another statement of the same step), the step completed by hand with a
// note, or nothing yet.
func failedStatements(c store.CrisisDetail) []string {
	var out []string
	for _, st := range c.Statements {
		if st.Status != "failed" {
			continue
		}
		line := fmt.Sprintf("The approved statement of step %s (version %d) failed to publish", st.StepKey, st.Version)
		i := slices.IndexFunc(c.Steps, func(s store.CrisisStep) bool { return s.StepKey == st.StepKey })
		switch {
		case i < 0:
			line += "."
		case c.Steps[i].StatementID != "" && c.Steps[i].StatementID != st.ID:
			line += "; a new draft was sent for approval"
			for _, next := range c.Statements {
				if next.ID == c.Steps[i].StatementID {
					line += fmt.Sprintf(" and ended %s", strings.ReplaceAll(next.Status, "_", " "))
				}
			}
			line += "."
		case c.Steps[i].Status == "done":
			line += fmt.Sprintf("; the step was completed by hand: “%s”.", esc(oneLine(c.Steps[i].Note)))
		case c.Steps[i].Status == "skipped":
			line += "; the step was skipped at resolution."
		default:
			line += "; the step waits for a new draft or to be completed with a note."
		}
		out = append(out, line)
	}
	return out
}

// firstResponse is the time from the start to the first step a person completed.
func firstResponse(c store.CrisisDetail) (time.Duration, bool) {
	for _, e := range c.Events {
		if e.Event == "step_done" && e.ActorKind == "user" {
			return e.At.Sub(c.StartedAt), true
		}
	}
	return 0, false
}

type bucketRow struct {
	start           time.Time
	total, negative int
	avg             float64
}

// bucket groups mentions by hour from the first hour with mentions to end.
func bucket(ps []store.MentionPoint, from, to time.Time, negBelow float64) []bucketRow {
	by := map[time.Time]*bucketRow{}
	for _, p := range ps {
		if p.At.Before(from) || p.At.After(to) {
			continue
		}
		h := p.At.UTC().Truncate(time.Hour)
		r := by[h]
		if r == nil {
			r = &bucketRow{start: h}
			by[h] = r
		}
		r.total++
		r.avg += p.Sentiment
		if p.Sentiment < negBelow {
			r.negative++
		}
	}
	if len(by) == 0 {
		return nil
	}
	var hours []time.Time
	for h := range by {
		hours = append(hours, h)
	}
	sort.Slice(hours, func(i, j int) bool { return hours[i].Before(hours[j]) })
	var out []bucketRow
	for h := hours[0]; !h.After(to.UTC().Truncate(time.Hour)); h = h.Add(time.Hour) {
		r := bucketRow{start: h}
		if got := by[h]; got != nil {
			r = *got
			r.avg /= float64(r.total)
		}
		out = append(out, r)
	}
	return out
}

func stamp(t time.Time) string { return t.UTC().Format("02 Jan 15:04") }

func stampPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return stamp(*t)
}

// human prints a duration the way people say it: 45s, 12m, 2h05m, 3d4h.
func human(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
	}
}

// esc keeps user text from breaking the Markdown tables. (HTML in it is not rendered:
// the HTML view renders Markdown without raw HTML.)
func esc(s string) string {
	return strings.ReplaceAll(s, "|", "\\|")
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
