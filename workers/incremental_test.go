package workers_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/tasks"
)

// changeListings are the NetBox reads of an incremental export that finds
// nothing changed: one row of each referenced kind, the changed devices,
// the changed IP addresses and the change log's deletions.
func changeListings() map[string]int {
	want := map[string]int{
		"GET /api/dcim/devices/":        1,
		"GET /api/ipam/ip-addresses/":   1,
		"GET /api/core/object-changes/": 1,
	}
	for _, p := range netbox.ReferencedKinds {
		want["GET /"+p]++
	}
	return want
}

// TestAnUnchangedReExportReadsOnlyTheChangeListings is the warm line's
// rule in counted calls: after a complete export, a second one of an
// unchanged inventory reads no NetBox page of devices or primaries, only
// the change listings, and makes no WUG call; its counters still describe
// the whole selection.
func TestAnUnchangedReExportReadsOnlyTheChangeListings(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 80})
	cold := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, cold.Status, cold.ErrorMessage)
	require.Equal(t, models.ModeFull, cold.Mode)
	require.NotNil(t, cold.NetBoxSince, "a full run is where the next one starts from")

	b.nb.ResetRequests()
	b.wug.ResetStats()
	warm := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, warm.Status, warm.ErrorMessage)
	require.Equal(t, models.ModeIncremental, warm.Mode)
	require.Equal(t, changeListings(), b.nb.RequestCounts())
	require.Empty(t, b.wug.Stats(), "no WUG call at all")
	require.Equal(t, cold.DevicesCreated, warm.DevicesUnchanged, "every exported device is unchanged")
	require.Zero(t, warm.DevicesCreated+warm.DevicesUpdated+warm.DevicesFailed)
	require.NotNil(t, warm.NetBoxSince)
	require.False(t, warm.NetBoxSince.Before(*cold.NetBoxSince), "the next run starts from this one")
}

// TestIncrementalExportFollowsNetBoxChanges changes NetBox in the ways a
// device's own last_updated shows (a rename) and does not (an address edit
// of its primary IP; a deletion), and checks that the next, incremental
// run exports each right while reading only the changed devices.
func TestIncrementalExportFollowsNetBoxChanges(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 60, conn: func(c *models.WUGConnection) { c.DecommissionAction = models.DecommissionDelete }})
	cold := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, cold.Status, cold.ErrorMessage)
	rows := b.exportedDevices(3)
	renamed, readdressed, deleted := rows[0], rows[1], rows[2]

	_, err := b.nb.UpdateDevice(int(renamed.NetBoxDeviceID), func(d *netboxsim.Device) { d.Name = ptr("renamed-edge-01") })
	require.NoError(t, err)
	dev, ok := b.nb.Device(int(readdressed.NetBoxDeviceID))
	require.True(t, ok)
	before := dev.LastUpdated
	_, err = b.nb.ChangeIPAddress(dev.PrimaryIP4ID, "10.251.3.9/24")
	require.NoError(t, err)
	dev, _ = b.nb.Device(int(readdressed.NetBoxDeviceID))
	require.Equal(t, before, dev.LastUpdated, "an address edit leaves the device's last_updated alone")
	require.NoError(t, b.nb.DeleteDevice(int(deleted.NetBoxDeviceID)))

	b.nb.ResetRequests()
	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, models.ModeIncremental, run.Mode)
	require.Equal(t, 2, run.DevicesUpdated)
	require.Zero(t, run.DevicesCreated)
	b.requireWUGMatches(b.expected())

	d, ok := b.wug.Device(renamed.WUGDeviceID)
	require.True(t, ok)
	require.Equal(t, "renamed-edge-01", d.Name)
	d, _ = b.wug.Device(readdressed.WUGDeviceID)
	require.Equal(t, "10.251.3.9", d.NetworkAddress)
	_, ok = b.wug.Device(deleted.WUGDeviceID)
	require.False(t, ok, "the deleted device left WUG")
	require.Equal(t, models.ExportDecommissioned, b.rows()[deleted.NetBoxDeviceID].ExportStatus)

	// Devices read: the changed ids, the primaries (one page here) and the
	// changed devices themselves; never the whole selection.
	require.LessOrEqual(t, b.nb.RequestCount("GET", "/api/dcim/devices/"), 3)
	var planned int64
	require.NoError(t, b.db.Model(&models.PlanEntry{}).Where("sync_log_id = ?", run.ID).Count(&planned).Error)
	require.Less(t, planned, int64(10), "only the changed devices (and their address partners) are planned")
}

// TestAnIncrementalExportKeepsTheConflictCheckAcrossNetBox moves a
// device's primary address onto an unchanged exported device's: the full
// rule skips both, so the incremental run plans the unchanged one too.
func TestAnIncrementalExportKeepsTheConflictCheckAcrossNetBox(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 60})
	require.Equal(t, models.RunCompleted, b.export(tasks.ExportRequest{}).Status)
	rows := b.exportedDevices(2)
	mover, holder := rows[0], rows[1]
	dev, _ := b.nb.Device(int(mover.NetBoxDeviceID))
	_, err := b.nb.ChangeIPAddress(dev.PrimaryIP4ID, holder.IPAddress+"/24")
	require.NoError(t, err)

	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, models.ModeIncremental, run.Mode)
	after := b.rows()
	for _, r := range []models.NetBoxIPExport{mover, holder} {
		require.Equal(t, models.ExportSkipped, after[r.NetBoxDeviceID].ExportStatus, "device %d", r.NetBoxDeviceID)
		require.Contains(t, after[r.NetBoxDeviceID].SkipReason, "IP conflict")
	}

	// Moved away again, the holder is exported again by the next run.
	_, err = b.nb.ChangeIPAddress(dev.PrimaryIP4ID, "10.252.0.8/24")
	require.NoError(t, err)
	run = b.export(tasks.ExportRequest{})
	require.Equal(t, models.ModeIncremental, run.Mode)
	after = b.rows()
	require.Equal(t, models.ExportExported, after[holder.NetBoxDeviceID].ExportStatus, after[holder.NetBoxDeviceID].ErrorMessage)
	require.Equal(t, models.ExportExported, after[mover.NetBoxDeviceID].ExportStatus, after[mover.NetBoxDeviceID].ErrorMessage)
}

// TestARenamedSiteMakesTheNextExportFull renames a site, which touches no
// device's last_updated: the next run sees the site changed and reads
// everything, and the one after is incremental again.
func TestARenamedSiteMakesTheNextExportFull(t *testing.T) {
	t.Parallel()
	// NetBox's clock moves on between the rename and the next run by more
	// than the margin each run keeps (netboxClockMargin), as between
	// periodic exports.
	clock := testinfra.NewClock(time.Now().UTC())
	b := setup(t, bundleOptions{netbox: netboxsim.Options{Devices: 40, Seed: 7, Now: clock.Now}})
	require.Equal(t, models.RunCompleted, b.export(tasks.ExportRequest{}).Status)
	row := b.exportedDevices(1)[0]
	dev, _ := b.nb.Device(int(row.NetBoxDeviceID))
	clock.Advance(time.Hour)
	site, err := b.nb.RenameSite(dev.SiteID, "Renamed Site 9")
	require.NoError(t, err)
	clock.Advance(time.Hour)

	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, models.ModeFull, run.Mode)
	require.Positive(t, run.DevicesUpdated)
	d, _ := b.wug.Device(row.WUGDeviceID)
	require.Equal(t, site.Name, attr(d, "NetBox_Site"))
	b.requireWUGMatches(b.expected())

	require.Equal(t, models.ModeIncremental, b.export(tasks.ExportRequest{}).Mode)
}

// TestAChangedMappingOrARequestMakesTheNextExportFull: the connection's
// settings shape every device's plan, so a change of them, like a person
// asking for it, makes a full run.
func TestAChangedMappingOrARequestMakesTheNextExportFull(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 30})
	require.Equal(t, models.RunCompleted, b.export(tasks.ExportRequest{}).Status)
	require.Equal(t, models.ModeIncremental, b.export(tasks.ExportRequest{}).Mode)

	require.NoError(t, b.db.Model(&models.WUGConnection{}).Where("id = ?", b.conn.ID).
		Update("group_template", "{site}/{role}").Error)
	b.nb.ResetRequests()
	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, models.ModeFull, run.Mode)
	require.Positive(t, run.DevicesUpdated, "devices move to the new groups")
	require.Zero(t, b.nb.RequestCount("GET", "/api/core/object-changes/"), "no change listing is read")

	require.Equal(t, models.ModeIncremental, b.export(tasks.ExportRequest{}).Mode)
	require.Equal(t, models.ModeFull, b.export(tasks.ExportRequest{Full: true}).Mode)
}

// TestAChangeLogTheTokenCannotReadMakesTheExportFull: without the change
// log deletions cannot be seen, so the run reads everything.
func TestAChangeLogTheTokenCannotReadMakesTheExportFull(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusForbidden, http.StatusNotFound} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			b := setup(t, bundleOptions{devices: 20, netboxVia: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/api/core/object-changes/" || r.URL.Path == "/api/extras/object-changes/" {
						w.Header().Set("Content-Type", "application/json")
						w.WriteHeader(status)
						_, _ = w.Write([]byte(`{"detail":"You do not have permission to perform this action."}`))
						return
					}
					next.ServeHTTP(w, r)
				})
			}})
			require.Equal(t, models.RunCompleted, b.export(tasks.ExportRequest{}).Status)
			run := b.export(tasks.ExportRequest{})
			require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
			require.Equal(t, models.ModeFull, run.Mode)
		})
	}
}
