package workers_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// TestRunsExplainDevicesOfOtherStatuses checks that every NetBox device the
// filters select is explained: one whose status the connection does not
// export gets a skipped row naming its status (whatever its IP), is counted
// in devices_excluded and stays out of devices_total, in a dry run and in a
// real one.
func TestRunsExplainDevicesOfOtherStatuses(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 60})
	other := map[int64]string{}
	for _, d := range b.nb.Inventory().Devices {
		if d.Status != "active" {
			other[int64(d.ID)] = d.Status
		}
	}
	require.NotEmpty(t, other, "the generated inventory has devices of other statuses")

	for _, dryRun := range []bool{true, false} {
		run := b.export(tasks.ExportRequest{DryRun: dryRun})
		require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
		require.Equal(t, len(other), run.DevicesExcluded, "dry run %v", dryRun)
		require.Equal(t, 60-len(other), run.DevicesTotal, "excluded devices are not in the total")
		require.Equal(t, run.DevicesTotal, run.DevicesCreated+run.DevicesUpdated+run.DevicesUnchanged+
			run.DevicesSkipped+run.DevicesFailed)
		require.Contains(t, run.Summary, fmt.Sprintf("%d more not exported for their status", len(other)))

		plan := b.planOf(run.ID)
		require.Len(t, plan, 60, "every device has a plan entry")
		for id, e := range plan {
			status, isOther := other[id]
			require.Equal(t, isOther, e.Excluded, "device %d", id)
			if isOther {
				require.Equal(t, models.PlanSkip, e.Action)
				require.Contains(t, e.Reason, fmt.Sprintf("status %q", status))
			}
		}
	}
	rows := b.rows()
	for id, status := range other {
		row, ok := rows[id]
		require.True(t, ok, "device %d (%s) has a row", id, status)
		require.Equal(t, models.ExportSkipped, row.ExportStatus)
		require.True(t, strings.Contains(row.SkipReason, fmt.Sprintf("status %q", status)), row.SkipReason)
	}
}
