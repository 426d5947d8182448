package playbooks_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/greenlight/greenlight/playbooks"
)

// FuzzParse feeds the playbook loader arbitrary files: it must never panic, and what it
// accepts must be a DAG whose dependencies exist.
func FuzzParse(f *testing.F) {
	shipped, _ := filepath.Glob("*.yaml")
	for _, p := range shipped {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("key: x\ntitle: X\nsteps:\n  - {key: a, title: A, phase: act, role: crisis_lead, kind: wait, wait: 1d2h}\n"))
	f.Add([]byte("key: x\ntitle: X\nsteps:\n  - {key: a, title: A, phase: act, role: crisis_lead, kind: task, depends_on: [a]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := playbooks.Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		done := map[string]bool{}
		for range p.Steps { // every step becomes ready within len(steps) rounds, or there is a cycle
			for _, s := range p.Steps {
				ready := true
				for _, d := range s.DependsOn {
					if p.StepByKey(d) == nil {
						t.Fatalf("step %s depends on unknown %s", s.Key, d)
					}
					ready = ready && done[d]
				}
				if ready {
					done[s.Key] = true
				}
			}
		}
		if len(done) != len(p.Steps) {
			t.Fatalf("accepted a playbook with a dependency cycle")
		}
		for _, s := range p.Steps {
			if s.SLA < 0 || s.Wait < 0 {
				t.Fatalf("negative duration in step %s", s.Key)
			}
		}
	})
}
