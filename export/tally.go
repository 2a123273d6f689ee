package export

import (
	"fmt"
	"strings"
)

// Tally counts a run's plan entries (or one batch's) by what happened to
// them: the counters a run shows.
type Tally struct {
	Created, Updated, Decommissioned, Failed, Scanning, Pending int
	Unchanged, Skipped                                          int
	// Total counts every object considered; a decommission is not one.
	Total int
	// Excluded counts the objects the filters select whose status the
	// connection does not export; they are not in Total.
	Excluded int
	// Recorded counts the updates (already in Updated) whose role, device
	// type, brand or OS WUG cannot change in place: the new values are in
	// the NetBox_* attributes only (OutcomeRecorded).
	Recorded int
}

// Add counts n entries planned as action with outcome. A dry run applies
// nothing, so its writes count as if done. A linked entry counts as
// unchanged: the task that created the device counts the create, so one
// device created by a run and found by a racing sync is created once in the
// counters as in WUG.
func (t *Tally) Add(action PlanAction, outcome Outcome, n int, dryRun bool) {
	if action != PlanDecommission {
		t.Total += n
	}
	if c := t.counter(action, outcome, dryRun); c != nil {
		*c += n
	}
	if outcome == OutcomeRecorded {
		t.Recorded += n
	}
}

// counter is the counter entries land in, nil for none: an entry that
// writes nothing counts by its action, a failed or scanning one by its
// outcome, a write done by its action, a write not applied yet as pending.
// (Plain ifs rather than a switch of conditions: Go's coverage does not
// count a case condition as run; see RELIABILITY.md, "Mutation testing".)
func (t *Tally) counter(action PlanAction, outcome Outcome, dryRun bool) *int {
	if action == PlanUnchanged || outcome == OutcomeLinked {
		return &t.Unchanged // linked: another task made the write
	}
	if action == PlanSkip {
		return &t.Skipped
	}
	if outcome == OutcomeFailed {
		return &t.Failed
	}
	if outcome == OutcomeScan {
		return &t.Scanning
	}
	done := outcome == OutcomeDone || outcome == OutcomeRecorded || (dryRun && outcome == OutcomeNone)
	if w := t.written(action); done && w != nil {
		return w
	}
	if outcome == OutcomeNone {
		return &t.Pending
	}
	return nil
}

// written is the counter of the write an action makes, nil for none.
func (t *Tally) written(action PlanAction) *int {
	switch action {
	case PlanCreate:
		return &t.Created
	case PlanUpdate:
		return &t.Updated
	case PlanDecommission:
		return &t.Decommissioned
	}
	return nil
}

// DryRunSummary is the account of a dry run's plan a person reads.
func (t Tally) DryRunSummary() string {
	s := fmt.Sprintf("dry run, nothing written to WUG: %d devices considered; would create %d, update %d, decommission %d; %d unchanged, %d skipped",
		t.Total, t.Created, t.Updated, t.Decommissioned, t.Unchanged, t.Skipped)
	return s + excludedNote(t.Excluded)
}

// RunCounts are the counters of a finished run.
type RunCounts struct {
	RunID                                               uint
	Total, Created, Updated, Unchanged, Skipped, Failed int
	Decommissioned, Scanning                            int
	// Excluded counts the objects left out for their status (not in Total).
	Excluded int
	// Recorded counts the updates whose role, device type, brand or OS
	// WUG cannot change in place (Tally.Recorded; part of Updated).
	Recorded int
}

// excludedNote is the summaries' account of the objects excluded for their
// status; empty when there are none, so older summaries read the same.
func excludedNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("; %d more not exported for their status", n)
}

// Summary is the one-paragraph account of a finished run a person reads;
// it points to the plan when some objects were skipped or failed.
func (c RunCounts) Summary() string {
	var b strings.Builder
	updated := fmt.Sprintf("%d updated", c.Updated)
	if c.Recorded > 0 {
		updated += fmt.Sprintf(" (%d with a role, device type, brand or OS that WUG cannot change in place: recorded in the NetBox_* attributes only)", c.Recorded)
	}
	fmt.Fprintf(&b, "%d devices considered: %d created, %s, %d unchanged, %d skipped, %d failed",
		c.Total, c.Created, updated, c.Unchanged, c.Skipped, c.Failed)
	if c.Decommissioned > 0 {
		fmt.Fprintf(&b, ", %d decommissioned", c.Decommissioned)
	}
	if c.Scanning > 0 {
		fmt.Fprintf(&b, ", %d handed to a WUG discovery scan", c.Scanning)
	}
	b.WriteString(excludedNote(c.Excluded))
	if c.Skipped > 0 || c.Failed > 0 || c.Excluded > 0 || c.Recorded > 0 {
		fmt.Fprintf(&b, " (see /api/v1/sync-logs/%d/plan for reasons)", c.RunID)
	}
	return b.String()
}
