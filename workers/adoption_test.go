package workers_test

import (
	"sort"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/workers"
)

// sortedIDs returns the keys of want in NetBox id order, so a test picks
// the same devices on every run.
func sortedIDs(want map[string]wantDevice) []int64 {
	ids := make([]int64, 0, len(want))
	for id := range want {
		n, _ := strconv.ParseInt(id, 10, 64)
		ids = append(ids, n)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

func key(id int64) string { return strconv.FormatInt(id, 10) }

// TestFewNewDevicesAreAdoptedOneByOne covers adoption below
// AdoptListThreshold, where wugsync searches WUG by IP per device: the
// path of every webhook sync and of small runs.
func TestFewNewDevicesAreAdoptedOneByOne(t *testing.T) {
	t.Parallel()
	const threshold = 25 // the default
	b := setup(t, bundleOptions{devices: 10, noWorker: true, params: func(p *workers.Params) { p.AdoptListThreshold = threshold }})
	want := b.expected()
	ids := sortedIDs(want)
	require.Less(t, len(ids), threshold, "few enough new devices to search WUG one by one")
	synced, ran := ids[0], ids[1]
	byHand := map[int64]wugsim.Device{}
	for _, id := range []int64{synced, ran} {
		d, err := b.wug.AddDevice(wugsim.Device{Name: "added-by-hand-" + key(id), NetworkAddress: want[key(id)].Address.String(), Groups: []string{"Manual"}})
		require.NoError(t, err)
		byHand[id] = d
	}
	b.startWorker()

	// A webhook sync of one device.
	sync := b.syncDevice(tasks.DeviceSyncPayload{NetBoxDeviceID: synced, Trigger: "webhook"})
	require.Equal(t, models.RunCompleted, sync.Status, sync.ErrorMessage)
	require.Zero(t, sync.DevicesCreated, "the device someone added by hand is adopted, not duplicated")
	require.Equal(t, 1, sync.DevicesUpdated)
	require.Len(t, b.wug.Devices(), 2)

	// A run with fewer new devices than the threshold.
	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, len(want)-2, run.DevicesCreated)
	b.requireWUGMatches(want)

	rows := b.rows()
	for id, hand := range byHand {
		row := rows[id]
		require.Equal(t, hand.ID, row.WUGDeviceID, "device %d is linked to the WUG device added by hand", id)
		require.True(t, row.Adopted)
		d, _ := b.wug.Device(hand.ID)
		require.Equal(t, want[key(id)].Name, d.Name, "adoption renames to the NetBox name")
		require.Equal(t, key(id), attr(d, "NetBox_ID"))
		require.Contains(t, d.Groups, "My Network/Manual", "a person's group is kept")
	}
}

// TestAdoptionNeverTakesADeviceLinkedToAnother readdresses a device and
// gives its old address to a new one, in one run: WUG still shows the old
// address on the first device's WUG device, which must not be adopted by
// the second. Both adoption paths are covered.
func TestAdoptionNeverTakesADeviceLinkedToAnother(t *testing.T) {
	t.Parallel()
	for _, path := range []struct {
		name      string
		threshold int
	}{
		{"device list", 1},   // every run reads WUG's whole device list
		{"ip search", 1_000}, // every run searches WUG per device
	} {
		t.Run(path.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, bundleOptions{devices: 10, params: func(p *workers.Params) { p.AdoptListThreshold = path.threshold }})
			require.Equal(t, models.RunCompleted, b.export(tasks.ExportRequest{}).Status)
			moved := b.exportedDevices(1)[0]
			before := len(b.wug.Devices())

			_, err := b.nb.SetPrimaryIP(int(moved.NetBoxDeviceID), "10.250.7.7/24")
			require.NoError(t, err)
			newcomer := b.newNetBoxDevice(int(moved.NetBoxDeviceID), "newcomer-sw01", moved.IPAddress+"/24")

			run := b.export(tasks.ExportRequest{})
			require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
			require.Equal(t, 1, run.DevicesCreated, "the newcomer gets a WUG device of its own")
			require.Equal(t, 1, run.DevicesUpdated)
			require.Len(t, b.wug.Devices(), before+1)

			rows := b.rows()
			require.Equal(t, moved.WUGDeviceID, rows[moved.NetBoxDeviceID].WUGDeviceID, "the readdressed device keeps its WUG device")
			nc := rows[int64(newcomer.ID)]
			require.NotEqual(t, moved.WUGDeviceID, nc.WUGDeviceID, "the newcomer did not take another device's WUG device")
			require.False(t, nc.Adopted)
			got := b.wugByNetBoxID()
			require.Equal(t, "10.250.7.7", got[key(moved.NetBoxDeviceID)].NetworkAddress)
			require.Equal(t, moved.IPAddress, got[strconv.Itoa(newcomer.ID)].NetworkAddress)
			require.Equal(t, "newcomer-sw01", got[strconv.Itoa(newcomer.ID)].Name)
		})
	}
}

// newNetBoxDevice adds an active device to NetBox, like another one (same
// site, role and type) but with its own name and primary IP.
func (b *testBundle) newNetBoxDevice(like int, name, address string) netboxsim.Device {
	b.t.Helper()
	model, ok := b.nb.Device(like)
	require.True(b.t, ok)
	d, err := b.nb.CreateDevice(netboxsim.Device{Name: ptr(name), DeviceTypeID: model.DeviceTypeID, RoleID: model.RoleID,
		SiteID: model.SiteID, Status: "active"})
	require.NoError(b.t, err)
	_, err = b.nb.SetPrimaryIP(d.ID, address)
	require.NoError(b.t, err)
	return d
}
