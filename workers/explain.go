package workers

import (
	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
)

// markExcluded flags a skipped entry whose object the filters select but
// whose status the connection does not export. The planner lists every
// status (export.ExplainQuery) so that such objects are explained by a
// skipped row naming their status instead of vanishing; the flag keeps them
// out of devices_total and counts them in devices_excluded.
func markExcluded(e *models.PlanEntry, d export.Object, f models.DeviceFilters) {
	_, excluded := export.StatusExcluded(d.Status.Value, f)
	e.Excluded = excluded && e.Action == models.PlanSkip
}

// keepsDecommissioned says a skipped entry leaves its row alone: a device
// already decommissioned (its WUG device in maintenance, still linked) that
// is now out of the selection stays decommissioned, so that coming back
// into the selection takes it out of maintenance. The plan entry explains it.
func keepsDecommissioned(e *models.PlanEntry, rows map[int64]*models.NetBoxIPExport) bool {
	row := rows[e.NetBoxObjectID]
	return row != nil && row.ExportStatus == models.ExportDecommissioned
}
