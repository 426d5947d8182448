// Package playbooks loads crisis playbooks: YAML files shipped in this directory (embedded
// in the binary) plus an agency's own from GREENLIGHT_PLAYBOOKS_DIR, validated into plain
// structs that a crisis workflow receives as a snapshot.
package playbooks

import (
	"time"
)

// Phases in the order a crisis goes through them.
var Phases = []string{"prepare", "listen", "communicate", "act"}

// Roles a step may be owned by or notify. crisis_lead is the staff user leading the crisis;
// client means the client's approvers; the others are the client's crisis contacts.
var Roles = []string{
	"crisis_lead", "community_manager", "legal", "client", "exec", "pr",
	"customer_care", "security", "dpo", "product", "hr",
}

// Step kinds.
const (
	KindTask             = "task"
	KindNotify           = "notify"
	KindPausePublishing  = "pause_publishing"
	KindResumePublishing = "resume_publishing"
	KindStatement        = "statement"
	KindListen           = "listen"
	KindWait             = "wait"
	KindReport           = "report"
)

// Kinds lists every step kind.
var Kinds = []string{KindTask, KindNotify, KindPausePublishing, KindResumePublishing, KindStatement, KindListen, KindWait, KindReport}

// Playbook is a validated playbook. Version identifies the file content it came from, so a
// crisis records exactly which playbook it ran.
type Playbook struct {
	Key           string `json:"key"`
	Version       string `json:"version"`
	Title         string `json:"title"`
	TitleFR       string `json:"title_fr,omitempty"`
	Description   string `json:"description"`
	DescriptionFR string `json:"description_fr,omitempty"`
	Source        string `json:"source"` // "builtin" or the file path
	Steps         []Step `json:"steps"`
}

// Step is one step of a playbook.
type Step struct {
	Key            string         `json:"key"`
	Title          string         `json:"title"`
	TitleFR        string         `json:"title_fr,omitempty"`
	Phase          string         `json:"phase"`
	Role           string         `json:"role"`
	Kind           string         `json:"kind"`
	Instructions   string         `json:"instructions"`
	InstructionsFR string         `json:"instructions_fr,omitempty"`
	SLA            time.Duration  `json:"sla"` // from the moment the step is ready; 0 means none
	DependsOn      []string       `json:"depends_on"`
	Notify         *NotifySpec    `json:"notify,omitempty"`
	Listen         *ListenSpec    `json:"listen,omitempty"`
	Statement      *StatementSpec `json:"statement,omitempty"`
	Wait           time.Duration  `json:"wait,omitempty"`
}

// NotifySpec says who a notify step tells, and what.
type NotifySpec struct {
	Roles   []string `json:"roles"`
	Message string   `json:"message"`
}

// ListenSpec watches the client's mentions: every CheckEvery, it counts negative mentions
// in the last Window; below CompleteBelow the step completes, above EscalateAbove it
// escalates (once per level crossing).
type ListenSpec struct {
	Window        time.Duration `json:"window"`
	CheckEvery    time.Duration `json:"check_every"`
	CompleteBelow int           `json:"complete_below"`
	EscalateAbove int           `json:"escalate_above"`
}

// StatementSpec says who approves a holding statement and where it goes.
type StatementSpec struct {
	Approvers []string `json:"approvers"` // roles
	Channels  []string `json:"channels"`
	Publish   bool     `json:"publish"` // publish once approved; else it is marked ready
	Template  string   `json:"template"`
}

// StepByKey returns the step with key, or nil.
func (p *Playbook) StepByKey(key string) *Step {
	for i := range p.Steps {
		if p.Steps[i].Key == key {
			return &p.Steps[i]
		}
	}
	return nil
}

// PhaseIndex returns the position of a phase in Phases, -1 if unknown.
func PhaseIndex(phase string) int {
	for i, p := range Phases {
		if p == phase {
			return i
		}
	}
	return -1
}

// FreezesAtStart reports whether the playbook pauses the client's publishing as soon as the
// crisis starts: one of its pause_publishing steps waits for nothing. Such a crisis holds
// the client's scheduled posts from the moment it is created, before its workflow runs.
func (p *Playbook) FreezesAtStart() bool {
	for _, s := range p.Steps {
		if s.Kind == KindPausePublishing && len(s.DependsOn) == 0 {
			return true
		}
	}
	return false
}
