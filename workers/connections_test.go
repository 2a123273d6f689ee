package workers_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/tasks"
)

// wugIDs returns the ids of a simulated WUG's devices, in order.
func wugIDs(sim *wugsim.Server) []string {
	var ids []string
	for _, d := range sim.Devices() {
		ids = append(ids, d.ID)
	}
	return ids
}

// TestDecommissionStaysOnItsOwnWUGServer exports one NetBox to two WUG
// servers through two connections, both deleting what leaves NetBox. The
// servers number their devices alike, so a run that read the other
// connection's links would delete devices by ids that mean something else
// on its own server. Each connection decommissions on its own server only.
func TestDecommissionStaysOnItsOwnWUGServer(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 30, conn: func(c *models.WUGConnection) { c.DecommissionAction = models.DecommissionDelete }})
	sites := b.nb.Sites()
	site := sites[len(sites)-1]
	// The second connection exports the last site only: the devices of
	// the other sites are linked on the first connection, by the lowest
	// ids, which the second server uses for its own devices.
	second := b.addWUG("second-wug", wugsim.Options{}, func(c *models.WUGConnection) {
		c.DecommissionAction = models.DecommissionDelete
		c.DeviceFilters.Sites = []string{site.Slug}
	})
	all := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, all.Status, all.ErrorMessage)
	one := b.export(tasks.ExportRequest{ConnectionID: second.conn.ID})
	require.Equal(t, models.RunCompleted, one.Status, one.ErrorMessage)
	require.Positive(t, one.DevicesCreated)
	require.Greater(t, all.DevicesCreated, one.DevicesCreated, "the first connection links devices the second does not export")
	secondRows := b.rowsOf(second.conn.ID)
	var shared int
	for _, r := range b.rows() {
		if _, linked := secondRows[r.NetBoxDeviceID]; !linked && r.WUGDeviceID != "" {
			if _, ok := second.sim.Device(r.WUGDeviceID); ok {
				shared++
			}
		}
	}
	require.Positive(t, shared, "the second server has devices under ids the first connection links elsewhere")

	// A device of that site leaves NetBox.
	var gone models.NetBoxIPExport
	for _, id := range sortedRowIDs(secondRows) {
		if s := secondRows[id]; s.ExportStatus == models.ExportExported {
			gone = b.rows()[id]
			break
		}
	}
	require.NotEmpty(t, gone.WUGDeviceID)
	goneOnSecond := secondRows[gone.NetBoxDeviceID].WUGDeviceID
	require.NoError(t, b.nb.DeleteDevice(int(gone.NetBoxDeviceID)))
	firstIDs, secondIDs := wugIDs(b.wug), wugIDs(second.sim)

	run := b.export(tasks.ExportRequest{ConnectionID: second.conn.ID})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, slices.DeleteFunc(slices.Clone(secondIDs), func(id string) bool { return id == goneOnSecond }), wugIDs(second.sim),
		"the second server lost exactly the deleted device")
	require.Equal(t, firstIDs, wugIDs(b.wug), "the first server was not touched")
	require.Equal(t, 1, b.decommissions(run.ID), "one device left the second connection's selection")
	for id, r := range b.rows() {
		require.NotEqual(t, models.ExportDecommissioned, r.ExportStatus, "device %d is still exported on the first connection", id)
	}

	run = b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, slices.DeleteFunc(slices.Clone(firstIDs), func(id string) bool { return id == gone.WUGDeviceID }), wugIDs(b.wug),
		"the first server lost exactly the deleted device")
	require.Len(t, wugIDs(second.sim), len(secondIDs)-1, "the second server was not touched")
	require.Equal(t, 1, b.decommissions(run.ID))
}

func sortedRowIDs(rows map[int64]models.NetBoxIPExport) []int64 {
	ids := make([]int64, 0, len(rows))
	for id := range rows {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// decommissions counts the decommission entries of a run's plan.
func (b *testBundle) decommissions(runID uint) int {
	b.t.Helper()
	var n int64
	require.NoError(b.t, b.db.Model(&models.PlanEntry{}).
		Where("sync_log_id = ? AND action = ?", runID, models.PlanDecommission).Count(&n).Error)
	return int(n)
}
