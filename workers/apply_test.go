package workers_test

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/tasks"
)

// fullListWatch counts the NetBox list requests of one route that read
// whole objects of the whole selection: neither narrowed to ids nor to
// recent changes. The trimmed listing of every primary address
// (has_primary_ip=true, fields=id, name, status, primary_ip*), which every
// plan reads once per kind for the IP conflict check across NetBox, is not
// one.
type fullListWatch struct {
	mu    sync.Mutex
	route string
	full  int
	on    bool
}

func (w *fullListWatch) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, w.route) &&
			!q.Has("id") && !q.Has("last_updated__gte") && !q.Has("has_primary_ip") {
			w.mu.Lock()
			if w.on {
				w.full++
			}
			w.mu.Unlock()
		}
		next.ServeHTTP(rw, r)
	})
}

func (w *fullListWatch) start() { w.mu.Lock(); w.on = true; w.full = 0; w.mu.Unlock() }
func (w *fullListWatch) fullReads() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.full
}

// planOf returns a run's plan entries by NetBox device id.
func (b *testBundle) planOf(runID uint) map[int64]models.PlanEntry {
	b.t.Helper()
	var entries []models.PlanEntry
	require.NoError(b.t, b.db.Where("sync_log_id = ?", runID).Find(&entries).Error)
	out := map[int64]models.PlanEntry{}
	for _, e := range entries {
		out[e.NetBoxDeviceID] = e
	}
	return out
}

// TestApplyReplansOnlyTheChangedDevice applies a dry run after one device
// was renamed in NetBox: the applied run decides only that device again
// (no full read of NetBox's devices), lists it in replanned, keeps every
// other decision of the plan, and leaves WUG holding exactly what the plan
// said, with the new name for the renamed device.
func TestApplyReplansOnlyTheChangedDevice(t *testing.T) {
	t.Parallel()
	watch := &fullListWatch{route: devicesRoute}
	b := setup(t, bundleOptions{devices: 40, netboxVia: watch.wrap,
		conn: func(c *models.WUGConnection) { c.EnableNetBoxExport = false }})
	dry := b.export(tasks.ExportRequest{DryRun: true})
	require.Equal(t, models.RunCompleted, dry.Status, dry.ErrorMessage)
	require.Empty(t, b.wug.Devices(), "a dry run writes nothing")
	planned := b.planOf(dry.ID)

	var renamed int64
	for id, e := range planned {
		if e.Action == models.PlanCreate && (renamed == 0 || id < renamed) {
			renamed = id
		}
	}
	require.NotZero(t, renamed, "the plan creates devices")
	_, err := b.nb.UpdateDevice(int(renamed), func(d *netboxsim.Device) {
		name := "renamed-after-the-plan"
		d.Name = &name
	})
	require.NoError(t, err)

	watch.start()
	from := dry.ID
	run := b.export(tasks.ExportRequest{Filters: dry.Filters, AppliedFrom: &from})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, []int64{renamed}, run.Replanned)
	require.Equal(t, &from, run.AppliedFrom)
	require.Zero(t, watch.fullReads(), "the applied run reads only changed devices from NetBox")

	applied := b.planOf(run.ID)
	require.Len(t, applied, len(planned))
	for id, want := range planned {
		got := applied[id]
		require.Equal(t, want.Action, got.Action, "device %d", id)
		if id != renamed {
			require.Equal(t, want.Reason, got.Reason, "device %d keeps the plan's decision", id)
			require.Equal(t, want.DeviceName, got.DeviceName, "device %d", id)
		}
	}
	require.Equal(t, "renamed-after-the-plan", applied[renamed].DeviceName)
	require.Equal(t, dry.DevicesCreated, run.DevicesCreated)
	require.Equal(t, dry.DevicesSkipped, run.DevicesSkipped)
	require.Equal(t, dry.DevicesExcluded, run.DevicesExcluded)

	inWUG := b.wugByNetBoxID()
	creates := 0
	for id, e := range planned {
		d, found := inWUG[strconv.FormatInt(id, 10)]
		if e.Action != models.PlanCreate {
			require.False(t, found, "device %d was planned %s, not exported", id, e.Action)
			continue
		}
		creates++
		require.True(t, found, "device %d was planned for creation", id)
		if id == renamed {
			require.Equal(t, "renamed-after-the-plan", d.Name)
		} else {
			require.Equal(t, e.DeviceName, d.Name)
		}
	}
	require.Len(t, inWUG, creates)
}

// twoPlannedCreates returns two devices with IPv4 addresses that a plan
// creates.
func (b *testBundle) twoPlannedCreates(planned map[int64]models.PlanEntry) (first, second *netboxsim.Device) {
	t := b.t
	inv := b.nb.Inventory()
	for i := range inv.Devices {
		d := &inv.Devices[i]
		if e, ok := planned[int64(d.ID)]; ok && e.Action == models.PlanCreate && d.PrimaryIP4ID != 0 {
			if first == nil {
				first = d
			} else if second == nil {
				second = d
			}
		}
	}
	require.NotNil(t, second, "the plan creates two devices with IPv4 addresses")
	return first, second
}

// TestApplyTurnsTheHolderOfATakenAddressIntoAConflict renumbers a planned
// device onto the address of another planned device after the plan (an IP
// address edit, which NetBox does not count as a device change): the
// changed device is decided again, the unchanged one it now collides with
// becomes a conflict skip, and neither reaches WUG.
func TestApplyTurnsTheHolderOfATakenAddressIntoAConflict(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 40})
	dry := b.export(tasks.ExportRequest{DryRun: true})
	require.Equal(t, models.RunCompleted, dry.Status, dry.ErrorMessage)
	first, second := b.twoPlannedCreates(b.planOf(dry.ID))
	inv := b.nb.Inventory()
	// second's primary address is renumbered to first's: an edit of the
	// IP address alone, which NetBox does not count as a device change.
	var firstAddr string
	for _, ip := range inv.IPAddresses {
		if ip.ID == first.PrimaryIP4ID {
			firstAddr = ip.Address
		}
	}
	require.NotEmpty(t, firstAddr)
	_, err := b.nb.ChangeIPAddress(second.PrimaryIP4ID, firstAddr)
	require.NoError(t, err)

	from := dry.ID
	run := b.export(tasks.ExportRequest{Filters: dry.Filters, AppliedFrom: &from})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Contains(t, run.Replanned, int64(second.ID))
	applied := b.planOf(run.ID)
	for _, id := range []int{first.ID, second.ID} {
		e := applied[int64(id)]
		require.Equal(t, models.PlanSkip, e.Action, "device %d", id)
		require.True(t, strings.HasPrefix(e.Reason, "IP conflict"), e.Reason)
		_, found := b.wugByNetBoxID()[strconv.Itoa(id)]
		require.False(t, found, "device %d is in conflict, not exported", id)
	}
}

// TestApplyReplansTheDeviceAConflictNoLongerBlocks: two devices share an
// address when the dry run plans (both skipped); one then gets an address
// of its own. The applied run decides both again, the unchanged one too
// (its conflict is gone), and exports both.
func TestApplyReplansTheDeviceAConflictNoLongerBlocks(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 40})
	probe := b.export(tasks.ExportRequest{DryRun: true})
	first, second := b.twoPlannedCreates(b.planOf(probe.ID))
	inv := b.nb.Inventory()
	addrOf := map[int]string{}
	for _, ip := range inv.IPAddresses {
		addrOf[ip.ID] = ip.Address
	}
	_, err := b.nb.ChangeIPAddress(second.PrimaryIP4ID, addrOf[first.PrimaryIP4ID])
	require.NoError(t, err)

	dry := b.export(tasks.ExportRequest{DryRun: true})
	planned := b.planOf(dry.ID)
	for _, id := range []int{first.ID, second.ID} {
		require.Equal(t, models.PlanSkip, planned[int64(id)].Action, "device %d is in conflict when planned", id)
	}
	_, err = b.nb.ChangeIPAddress(second.PrimaryIP4ID, "10.254.254.9/24")
	require.NoError(t, err)

	from := dry.ID
	run := b.export(tasks.ExportRequest{Filters: dry.Filters, AppliedFrom: &from})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.ElementsMatch(t, []int64{int64(first.ID), int64(second.ID)}, run.Replanned,
		"the changed device and its former conflict partner, nothing else")
	inWUG := b.wugByNetBoxID()
	for _, id := range []int{first.ID, second.ID} {
		require.Equal(t, models.PlanCreate, b.planOf(run.ID)[int64(id)].Action, "device %d", id)
		_, found := inWUG[strconv.Itoa(id)]
		require.True(t, found, "device %d is exported once its conflict is gone", id)
	}
}
