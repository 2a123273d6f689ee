package workers_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/tasks"
)

// netboxCalls counts the requests the simulated NetBox receives, by kind.
type netboxCalls struct {
	next http.Handler
	mu   sync.Mutex
	// primaries counts the trimmed primary-address listings (devices and
	// VMs); devices counts the full device listings.
	primaries, devices int
}

func (c *netboxCalls) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fields := r.URL.Query().Get("fields")
	c.mu.Lock()
	switch {
	case strings.Contains(fields, "primary_ip4") && !strings.Contains(fields, "device_type") && !strings.Contains(fields, "cluster"):
		c.primaries++
	case r.URL.Path == "/api/dcim/devices/":
		c.devices++
	}
	c.mu.Unlock()
	c.next.ServeHTTP(w, r)
}

func (c *netboxCalls) take() (primaries, devices int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	primaries, devices = c.primaries, c.devices
	c.primaries, c.devices = 0, 0
	return primaries, devices
}

// TestConflictWithADeviceOutsideTheFilters: a connection that exports one
// site still sees an IP conflict with a device of another site. A device
// exported before the conflict is skipped with a reason that says its WUG
// device is kept and no longer updated (it stays linked, not a silent
// orphan); a new device in conflict is never created in WUG. Each run reads
// the primary addresses once (one trimmed listing of devices; of VMs too
// on a connection that exports them), however many batches it has.
func TestConflictWithADeviceOutsideTheFilters(t *testing.T) {
	t.Parallel()
	calls := &netboxCalls{}
	b := setup(t, bundleOptions{devices: 40,
		netboxVia: func(h http.Handler) http.Handler { calls.next = h; return calls },
		conn: func(c *models.WUGConnection) {
			c.BatchSize = 2 // many batches: the addresses are still read once per run
		}})
	sites := b.nb.Sites()
	site := sites[len(sites)-1].Slug
	b.conn.DeviceFilters.Sites = []string{site}
	require.NoError(t, b.db.Save(&b.conn).Error)
	var outside netboxsim.Device // a device of another site, a model for the newcomers
	for _, d := range b.nb.Devices() {
		if d.SiteID != sites[len(sites)-1].ID {
			outside = d
			break
		}
	}
	require.NotZero(t, outside.ID)

	first := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, first.Status, first.ErrorMessage)
	require.Greater(t, first.BatchesTotal, 1)
	primaries, _ := calls.take()
	require.Equal(t, 1, primaries, "one listing of device primary addresses per run (VMs are listed only where they are exported)")
	var victim models.NetBoxIPExport
	for _, r := range b.rows() {
		if r.ExportStatus == models.ExportExported && r.WUGDeviceID != "" {
			victim = r
			break
		}
	}
	require.NotEmpty(t, victim.WUGDeviceID, "the first run exported a device of the site")
	wugBefore := len(b.wug.Devices())

	// A device of another site takes the exported device's address, and a
	// device of the site and one outside it share a new address.
	dup := b.newNetBoxDevice(outside.ID, "outside-dup", victim.IPAddress+"/24")
	fresh := b.newNetBoxDevice(int(victim.NetBoxDeviceID), "inside-fresh", "10.251.9.9/24")
	twin := b.newNetBoxDevice(outside.ID, "outside-twin", "10.251.9.9/24")

	second := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, second.Status, second.ErrorMessage)
	primaries, _ = calls.take()
	require.Equal(t, 1, primaries, "the primary addresses are read once per run, not per batch")

	rows := b.rows()
	row := rows[victim.NetBoxDeviceID]
	require.Equal(t, models.ExportSkipped, row.ExportStatus)
	require.Contains(t, row.SkipReason, "IP conflict: "+victim.IPAddress)
	require.Contains(t, row.SkipReason, "NetBox device "+key(int64(dup.ID))+" (outside-dup)")
	require.Contains(t, row.SkipReason, "WUG device "+victim.WUGDeviceID+", exported before, is kept",
		"the person sees what became of the WUG device")
	require.Equal(t, victim.WUGDeviceID, row.WUGDeviceID, "the row stays linked to its WUG device")
	_, ok := b.wug.Device(victim.WUGDeviceID)
	require.True(t, ok, "the WUG device is kept")
	entry := b.planEntry(second.ID, victim.NetBoxDeviceID)
	require.Equal(t, models.PlanSkip, entry.Action)
	require.Equal(t, row.SkipReason, entry.Reason, "the run's plan shows the same decision")

	newRow := rows[int64(fresh.ID)]
	require.Equal(t, models.ExportSkipped, newRow.ExportStatus)
	require.Contains(t, newRow.SkipReason, "NetBox device "+key(int64(twin.ID))+" (outside-twin)")
	require.Empty(t, newRow.WUGDeviceID)
	require.Len(t, b.wug.Devices(), wugBefore, "no WUG device for a device in conflict")
	_, linked := rows[int64(dup.ID)]
	require.False(t, linked, "the device outside the filters gets no row")

	// A sync of the one device sees the conflict too.
	run := b.syncDevice(tasks.DeviceSyncPayload{NetBoxDeviceID: int64(fresh.ID), ConnectionID: b.conn.ID, Trigger: "api"})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, models.PlanSkip, b.planEntry(run.ID, int64(fresh.ID)).Action)
	require.Len(t, b.wug.Devices(), wugBefore)
}
