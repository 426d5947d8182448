package playbooks_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/playbooks"
)

func TestShippedPlaybooksLoad(t *testing.T) {
	c, err := playbooks.Load("")
	require.NoError(t, err)
	var keys []string
	for _, p := range c.All() {
		keys = append(keys, p.Key)
		require.NotEmpty(t, p.Version)
		require.NotEmpty(t, p.TitleFR, "%s has a French title", p.Key)
		kinds := map[string]bool{}
		phases := map[string]bool{}
		for _, s := range p.Steps {
			kinds[s.Kind] = true
			phases[s.Phase] = true
		}
		require.Len(t, phases, 4, "%s goes through the four phases", p.Key)
		require.True(t, kinds[playbooks.KindPausePublishing] && kinds[playbooks.KindStatement] && kinds[playbooks.KindReport], "%s pauses, speaks and reports", p.Key)
		require.True(t, p.FreezesAtStart(), "%s freezes scheduled posts as the crisis starts, before any human step", p.Key)
	}
	require.Equal(t, []string{"bad-buzz", "data-breach", "influencer-controversy", "product-recall"}, keys)
	bb, ok := c.Get("bad-buzz")
	require.True(t, ok)
	require.Equal(t, 2*time.Hour, bb.StepByKey("check-again").Wait)
	require.Equal(t, 60*time.Minute, bb.StepByKey("watch").Listen.Window)
	require.Equal(t, []string{"legal", "client"}, bb.StepByKey("holding-statement").Statement.Approvers)
}

func TestBrokenPlaybooksSayWhere(t *testing.T) {
	const head = "key: broken\ntitle: Broken\nsteps:\n"
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"unknown dependency", head + "  - {key: a, title: A, phase: prepare, role: crisis_lead, kind: task, depends_on: [nope]}\n",
			`broken.yaml: step "a": field depends_on: unknown step "nope"`},
		{"cycle", head + "  - {key: a, title: A, phase: prepare, role: crisis_lead, kind: task, depends_on: [b]}\n  - {key: b, title: B, phase: prepare, role: crisis_lead, kind: task, depends_on: [a]}\n",
			`broken.yaml: step "a": field depends_on: dependency cycle a → b → a`},
		{"unknown role", head + "  - {key: a, title: A, phase: prepare, role: janitor, kind: task}\n",
			`broken.yaml: step "a": field role: unknown role "janitor"`},
		{"unknown kind", head + "  - {key: a, title: A, phase: prepare, role: crisis_lead, kind: dance}\n",
			`broken.yaml: step "a": field kind: unknown kind "dance"`},
		{"bad duration", head + "  - {key: a, title: A, phase: prepare, role: crisis_lead, kind: task, sla: soon}\n",
			`broken.yaml: step "a": field sla: bad duration "soon"`},
		{"bad listen duration", head + "  - {key: a, title: A, phase: listen, role: crisis_lead, kind: listen, listen: {window: 1x, check_every: 5m, complete_below: 3}}\n",
			`broken.yaml: step "a": field listen.window: bad duration "1x"`},
		{"unknown phase", head + "  - {key: a, title: A, phase: panic, role: crisis_lead, kind: task}\n",
			`broken.yaml: step "a": field phase: unknown phase "panic"`},
		{"wait without duration", head + "  - {key: a, title: A, phase: act, role: crisis_lead, kind: wait}\n",
			`broken.yaml: step "a": field wait: required duration`},
		{"duplicate step", head + "  - {key: a, title: A, phase: act, role: crisis_lead, kind: task}\n  - {key: a, title: A, phase: act, role: crisis_lead, kind: task}\n",
			`broken.yaml: step "a": field key: duplicate step key`},
		{"unknown field", head + "  - {key: a, title: A, phase: act, role: crisis_lead, kind: task, colour: red}\n",
			`broken.yaml: yaml: unmarshal errors:`},
		{"statement without approvers", head + "  - {key: a, title: A, phase: communicate, role: crisis_lead, kind: statement}\n",
			`broken.yaml: step "a": field statement.approvers`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "broken.yaml"), []byte(tt.yaml), 0o644))
			_, err := playbooks.Load(dir)
			require.Error(t, err)
			require.Contains(t, err.Error(), filepath.Join(dir, tt.want))
		})
	}
}

func TestAgencyPlaybooksOverrideAndAdd(t *testing.T) {
	dir := t.TempDir()
	custom := "key: store-closure\ntitle: Store closure\nsteps:\n  - {key: tell, title: Tell staff, phase: prepare, role: crisis_lead, kind: task, sla: 1d2h}\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "store-closure.yml"), []byte(custom), 0o644))
	c, err := playbooks.Load(dir)
	require.NoError(t, err)
	p, ok := c.Get("store-closure")
	require.True(t, ok)
	require.Equal(t, 26*time.Hour, p.Steps[0].SLA)
	require.Equal(t, filepath.Join(dir, "store-closure.yml"), p.Source)
	require.Len(t, c.All(), 5)
}
