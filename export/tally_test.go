package export

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTallyCountsEachEntryOnce(t *testing.T) {
	t.Parallel()

	type count struct {
		action  PlanAction
		outcome Outcome
		n       int
	}
	counts := []count{
		{PlanCreate, OutcomeDone, 3}, {PlanCreate, OutcomeNone, 2}, {PlanCreate, OutcomeFailed, 1},
		{PlanCreate, OutcomeScan, 4}, {PlanUpdate, OutcomeDone, 5}, {PlanUpdate, OutcomeNone, 6},
		{PlanDecommission, OutcomeDone, 7}, {PlanDecommission, OutcomeNone, 8},
		{PlanUnchanged, OutcomeNone, 9}, {PlanSkip, OutcomeNone, 10}, {PlanCreate, OutcomeLinked, 11},
	}
	var live, dry Tally
	for _, c := range counts {
		live.Add(c.action, c.outcome, c.n, false)
		dry.Add(c.action, c.outcome, c.n, true)
	}
	require.Equal(t, Tally{Created: 3, Updated: 5, Decommissioned: 7, Failed: 1, Scanning: 4,
		Pending: 2 + 6 + 8, Unchanged: 9 + 11, Skipped: 10, Total: 3 + 2 + 1 + 4 + 5 + 6 + 9 + 10 + 11}, live,
		"decommissions are not objects considered; a create another task made is linked, counted unchanged")
	require.Equal(t, Tally{Created: 3 + 2, Updated: 5 + 6, Decommissioned: 7 + 8, Failed: 1, Scanning: 4,
		Unchanged: 9 + 11, Skipped: 10, Total: live.Total}, dry, "a dry run's planned writes count as done")
	require.Equal(t, "dry run, nothing written to WUG: 51 devices considered; would create 5, update 11, decommission 15; 20 unchanged, 10 skipped",
		dry.DryRunSummary())
}

func TestRunSummary(t *testing.T) {
	t.Parallel()

	require.Equal(t, "4 devices considered: 2 created, 1 updated, 1 unchanged, 0 skipped, 0 failed",
		RunCounts{RunID: 3, Total: 4, Created: 2, Updated: 1, Unchanged: 1}.Summary())
	require.Equal(t, "5 devices considered: 1 created, 0 updated, 0 unchanged, 2 skipped, 1 failed, 2 decommissioned, 1 handed to a WUG discovery scan (see /api/v1/sync-logs/9/plan for reasons)",
		RunCounts{RunID: 9, Total: 5, Created: 1, Skipped: 2, Failed: 1, Decommissioned: 2, Scanning: 1}.Summary())
}
