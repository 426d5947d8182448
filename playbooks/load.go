package playbooks

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

//go:embed *.yaml
var builtin embed.FS

// Catalog is the set of playbooks a process offers, by key.
type Catalog struct {
	byKey map[string]*Playbook
}

// Load returns the shipped playbooks plus those in dir (when not empty), which replace a
// shipped playbook with the same key. Any invalid file fails the whole load with an error
// naming the file, the step and the field.
func Load(dir string) (*Catalog, error) {
	c := &Catalog{byKey: map[string]*Playbook{}}
	if err := c.addFS(builtin, ".", "builtin"); err != nil {
		return nil, err
	}
	if dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("playbooks dir: %w", err)
		}
		if err := c.addFS(os.DirFS(dir), ".", dir); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Catalog) addFS(fsys fs.FS, root, source string) error {
	var errs []error
	err := fs.WalkDir(fsys, root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			return nil
		}
		data, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		name := path
		if source != "builtin" {
			name = filepath.Join(source, path)
		}
		p, err := Parse(name, data)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		p.Source = source
		if source != "builtin" {
			p.Source = name
		}
		c.byKey[p.Key] = p
		return nil
	})
	if err != nil {
		return fmt.Errorf("playbooks: %w", err)
	}
	return errors.Join(errs...)
}

// Get returns a playbook by key.
func (c *Catalog) Get(key string) (*Playbook, bool) {
	p, ok := c.byKey[key]
	return p, ok
}

// All returns every playbook, by key.
func (c *Catalog) All() []*Playbook {
	out := make([]*Playbook, 0, len(c.byKey))
	for _, p := range c.byKey {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// file mirrors the YAML; durations are strings so errors can name them.
type file struct {
	Key           string     `yaml:"key"`
	Title         string     `yaml:"title"`
	TitleFR       string     `yaml:"title_fr"`
	Description   string     `yaml:"description"`
	DescriptionFR string     `yaml:"description_fr"`
	Steps         []fileStep `yaml:"steps"`
}

type fileStep struct {
	Key            string   `yaml:"key"`
	Title          string   `yaml:"title"`
	TitleFR        string   `yaml:"title_fr"`
	Phase          string   `yaml:"phase"`
	Role           string   `yaml:"role"`
	Kind           string   `yaml:"kind"`
	Instructions   string   `yaml:"instructions"`
	InstructionsFR string   `yaml:"instructions_fr"`
	SLA            string   `yaml:"sla"`
	DependsOn      []string `yaml:"depends_on"`
	Notify         *struct {
		Roles   []string `yaml:"roles"`
		Message string   `yaml:"message"`
	} `yaml:"notify"`
	Listen *struct {
		Window        string `yaml:"window"`
		CheckEvery    string `yaml:"check_every"`
		CompleteBelow *int   `yaml:"complete_below"`
		EscalateAbove *int   `yaml:"escalate_above"`
	} `yaml:"listen"`
	Statement *struct {
		Approvers []string `yaml:"approvers"`
		Channels  []string `yaml:"channels"`
		Publish   bool     `yaml:"publish"`
		Template  string   `yaml:"template"`
	} `yaml:"statement"`
	Wait string `yaml:"wait"`
}

var keyRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Parse validates one playbook file. name is used in errors.
func Parse(name string, data []byte) (*Playbook, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	bad := func(step, field, format string, args ...any) error {
		where := name
		if step != "" {
			where += fmt.Sprintf(": step %q", step)
		}
		return fmt.Errorf("%s: field %s: %s", where, field, fmt.Sprintf(format, args...))
	}
	if !keyRE.MatchString(f.Key) {
		return nil, bad("", "key", "must be lowercase letters, digits and dashes, got %q", f.Key)
	}
	if strings.TrimSpace(f.Title) == "" {
		return nil, bad("", "title", "required")
	}
	if len(f.Steps) == 0 {
		return nil, bad("", "steps", "at least one step is required")
	}
	sum := sha256.Sum256(data)
	p := &Playbook{Key: f.Key, Version: hex.EncodeToString(sum[:6]), Title: f.Title, TitleFR: f.TitleFR,
		Description: strings.TrimSpace(f.Description), DescriptionFR: strings.TrimSpace(f.DescriptionFR)}
	seen := map[string]bool{}
	for i, fs := range f.Steps {
		if !keyRE.MatchString(fs.Key) {
			return nil, bad(fmt.Sprintf("#%d", i+1), "key", "must be lowercase letters, digits and dashes, got %q", fs.Key)
		}
		if seen[fs.Key] {
			return nil, bad(fs.Key, "key", "duplicate step key")
		}
		seen[fs.Key] = true
		s := Step{Key: fs.Key, Title: strings.TrimSpace(fs.Title), TitleFR: fs.TitleFR, Phase: fs.Phase, Role: fs.Role, Kind: fs.Kind,
			Instructions: strings.TrimSpace(fs.Instructions), InstructionsFR: strings.TrimSpace(fs.InstructionsFR), DependsOn: fs.DependsOn}
		if s.DependsOn == nil {
			s.DependsOn = []string{}
		}
		if s.Title == "" {
			return nil, bad(fs.Key, "title", "required")
		}
		if PhaseIndex(s.Phase) < 0 {
			return nil, bad(fs.Key, "phase", "unknown phase %q (known: %s)", s.Phase, strings.Join(Phases, ", "))
		}
		if !slices.Contains(Roles, s.Role) {
			return nil, bad(fs.Key, "role", "unknown role %q (known: %s)", s.Role, strings.Join(Roles, ", "))
		}
		if !slices.Contains(Kinds, s.Kind) {
			return nil, bad(fs.Key, "kind", "unknown kind %q (known: %s)", s.Kind, strings.Join(Kinds, ", "))
		}
		var err error
		if s.SLA, err = parseDuration(fs.SLA, true); err != nil {
			return nil, bad(fs.Key, "sla", "%v", err)
		}
		switch s.Kind {
		case KindNotify:
			if fs.Notify == nil || len(fs.Notify.Roles) == 0 {
				return nil, bad(fs.Key, "notify.roles", "a notify step names the roles to tell")
			}
			for _, r := range fs.Notify.Roles {
				if !slices.Contains(Roles, r) {
					return nil, bad(fs.Key, "notify.roles", "unknown role %q", r)
				}
			}
			if strings.TrimSpace(fs.Notify.Message) == "" {
				return nil, bad(fs.Key, "notify.message", "required")
			}
			s.Notify = &NotifySpec{Roles: fs.Notify.Roles, Message: strings.TrimSpace(fs.Notify.Message)}
		case KindListen:
			if fs.Listen == nil {
				return nil, bad(fs.Key, "listen", "a listen step needs window, check_every, complete_below")
			}
			l := &ListenSpec{}
			if l.Window, err = parseDuration(fs.Listen.Window, false); err != nil {
				return nil, bad(fs.Key, "listen.window", "%v", err)
			}
			if l.CheckEvery, err = parseDuration(fs.Listen.CheckEvery, false); err != nil {
				return nil, bad(fs.Key, "listen.check_every", "%v", err)
			}
			if fs.Listen.CompleteBelow == nil || *fs.Listen.CompleteBelow < 1 {
				return nil, bad(fs.Key, "listen.complete_below", "required, a positive count of negative mentions")
			}
			l.CompleteBelow = *fs.Listen.CompleteBelow
			if fs.Listen.EscalateAbove != nil {
				if *fs.Listen.EscalateAbove < l.CompleteBelow {
					return nil, bad(fs.Key, "listen.escalate_above", "must not be below complete_below")
				}
				l.EscalateAbove = *fs.Listen.EscalateAbove
			}
			s.Listen = l
		case KindStatement:
			if fs.Statement == nil || len(fs.Statement.Approvers) == 0 {
				return nil, bad(fs.Key, "statement.approvers", "a statement step names the roles that approve it")
			}
			for _, r := range fs.Statement.Approvers {
				if !slices.Contains(Roles, r) || r == "crisis_lead" {
					return nil, bad(fs.Key, "statement.approvers", "unknown approver role %q", r)
				}
			}
			s.Statement = &StatementSpec{Approvers: fs.Statement.Approvers, Channels: fs.Statement.Channels,
				Publish: fs.Statement.Publish, Template: strings.TrimSpace(fs.Statement.Template)}
			if s.Statement.Channels == nil {
				s.Statement.Channels = []string{}
			}
			if s.Statement.Publish && len(s.Statement.Channels) == 0 {
				return nil, bad(fs.Key, "statement.channels", "a published statement names its channels")
			}
		case KindWait:
			if s.Wait, err = parseDuration(fs.Wait, false); err != nil {
				return nil, bad(fs.Key, "wait", "%v", err)
			}
		}
		if fs.Notify != nil && s.Kind != KindNotify {
			return nil, bad(fs.Key, "notify", "only notify steps take it")
		}
		if fs.Listen != nil && s.Kind != KindListen {
			return nil, bad(fs.Key, "listen", "only listen steps take it")
		}
		if fs.Statement != nil && s.Kind != KindStatement {
			return nil, bad(fs.Key, "statement", "only statement steps take it")
		}
		if fs.Wait != "" && s.Kind != KindWait {
			return nil, bad(fs.Key, "wait", "only wait steps take it")
		}
		p.Steps = append(p.Steps, s)
	}
	for _, s := range p.Steps {
		for _, d := range s.DependsOn {
			if !seen[d] {
				return nil, bad(s.Key, "depends_on", "unknown step %q", d)
			}
			if d == s.Key {
				return nil, bad(s.Key, "depends_on", "a step cannot depend on itself")
			}
		}
	}
	if cycle := findCycle(p.Steps); cycle != nil {
		return nil, bad(cycle[0], "depends_on", "dependency cycle %s", strings.Join(cycle, " → "))
	}
	return p, nil
}

// parseDuration reads Go durations plus a "d" (day) unit, e.g. "90m", "2h", "1d12h".
func parseDuration(s string, optional bool) (time.Duration, error) {
	if s == "" {
		if optional {
			return 0, nil
		}
		return 0, errors.New("required duration (e.g. 30m, 2h, 1d)")
	}
	var total time.Duration
	rest := s
	if i := strings.Index(rest, "d"); i > 0 {
		days, err := strconv.Atoi(rest[:i])
		if err != nil {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		total = time.Duration(days) * 24 * time.Hour
		rest = rest[i+1:]
	}
	if rest != "" {
		d, err := time.ParseDuration(rest)
		if err != nil {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		total += d
	}
	if total <= 0 {
		return 0, fmt.Errorf("bad duration %q: must be positive", s)
	}
	return total, nil
}

// findCycle returns the steps of one dependency cycle, nil when there is none.
func findCycle(steps []Step) []string {
	deps := map[string][]string{}
	for _, s := range steps {
		deps[s.Key] = s.DependsOn
	}
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(k string) []string
	visit = func(k string) []string {
		state[k] = visiting
		stack = append(stack, k)
		for _, d := range deps[k] {
			switch state[d] {
			case visiting:
				i := slices.Index(stack, d)
				return append(slices.Clone(stack[i:]), d)
			case unvisited:
				if c := visit(d); c != nil {
					return c
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[k] = done
		return nil
	}
	for _, s := range steps {
		if state[s.Key] == unvisited {
			if c := visit(s.Key); c != nil {
				return c
			}
		}
	}
	return nil
}
