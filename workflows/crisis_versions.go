package workflows

// Change IDs of the crisis and statement workflows (workflow.GetVersion); a running
// workflow keeps the branch it started with.
const (
	// versionNeverStuck (crisis): a statement whose publication failed takes a new draft (a
	// new statement run) or is completed with a note; continue-as-new first drains pending
	// statement_done signals and waits for the ones being handled.
	versionNeverStuck = "crisis-never-stuck"
	// versionLateRedraft (statement): a new draft that arrives while the approved version is
	// being published is not dropped: it goes through a new approval round afterwards.
	versionLateRedraft = "statement-late-redraft"
)
