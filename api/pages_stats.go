package api

import (
	"fmt"
	"math"

	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight/service"
)

// statsBar is one month's bar of a chart: its label, the figure as text and the bar's
// width in percent of the chart's largest figure (0 when the month has nothing).
type statsBar struct {
	Month string
	Text  string
	Width int
}

// statsChart is one figure over the months, drawn as horizontal bars (plain HTML and CSS:
// no script, nothing from outside).
type statsChart struct {
	ID, Title, Help string
	Bars            []statsBar
}

// approvalStatsPage is GET /clients/:id/stats: the client's approval insights per month,
// as the monthly report needs them (the figures of GET /api/v1/clients/:id/approval-stats).
func (p *pages) approvalStatsPage(c *fiber.Ctx) error {
	u := currentUser(c)
	cl, err := p.svc.Client(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return err
	}
	st, err := p.svc.ApprovalStats(c.UserContext(), u, cl.ID, c.Query("from"), c.Query("to"))
	if err != nil {
		return err
	}
	lang := language(c)
	hours := func(v *float64) (float64, string) {
		if v == nil {
			return 0, "—"
		}
		h := *v / 3600
		return h, fmt.Sprintf("%.1f h", h)
	}
	share := func(v *float64) (float64, string) {
		if v == nil {
			return 0, "—"
		}
		return *v * 100, fmt.Sprintf("%.0f %%", *v*100)
	}
	rounds := func(v *float64) (float64, string) {
		if v == nil {
			return 0, "—"
		}
		return *v, fmt.Sprintf("%.2f", *v)
	}
	chart := func(id string, value func(service.MonthStats) (float64, string)) statsChart {
		ch := statsChart{ID: id, Title: translate(lang, "stats."+id), Help: translate(lang, "stats."+id+"_help")}
		top := 0.0
		for _, m := range st.Months {
			v, _ := value(m)
			top = math.Max(top, v)
		}
		for _, m := range st.Months {
			v, text := value(m)
			w := 0
			if top > 0 {
				w = int(math.Round(v / top * 100))
			}
			ch.Bars = append(ch.Bars, statsBar{Month: m.Month, Text: text, Width: w})
		}
		return ch
	}
	charts := []statsChart{
		chart("median", func(m service.MonthStats) (float64, string) { return hours(m.MedianDecisionSeconds) }),
		chart("p90", func(m service.MonthStats) (float64, string) { return hours(m.P90DecisionSeconds) }),
		chart("rounds", func(m service.MonthStats) (float64, string) { return rounds(m.RevisionRounds) }),
		chart("on_time", func(m service.MonthStats) (float64, string) { return share(m.OnTimeShare) }),
		chart("expired", func(m service.MonthStats) (float64, string) { return share(m.ExpiredShare) }),
	}
	return p.render(c, fiber.StatusOK, "stats", cl.Name, fiber.Map{
		"Client": cl, "Stats": st, "Charts": charts,
	})
}
