package workers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/workers"
	"github.com/wugsync/wugsync/wug"
)

// WUG routes an update may use.
const (
	routeProperties   = "PUT /api/v1/devices/{deviceId}/properties"
	routeInterfaces   = "GET /api/v1/devices/{deviceId}/interfaces/-"
	routeInterface    = "PUT /api/v1/devices/{deviceId}/interfaces/{interfaceId}"
	routeAttributes   = "PATCH /api/v1/devices/{deviceId}/attributes/-"
	routeGroupAdd     = "POST /api/v1/device-groups/{groupId}/devices/-"
	routeGroupRemove  = "DELETE /api/v1/device-groups/{groupId}/devices/-"
	routeDeviceSearch = "GET /api/v1/device-groups/{groupId}/devices/-"
)

// updateCalls counts, by route, the WUG requests of a run that write or
// that address one device: everything an update can cost. Every request
// addressed to a device must be to one of ids.
func updateCalls(t *testing.T, log []wugsim.Request, ids ...string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, r := range log {
		perDevice := strings.Contains(r.Route, "{deviceId}")
		if r.Route == "POST /api/v1/token" || (r.Method == http.MethodGet && !perDevice) {
			continue // a run's reads (the group list, the adoption search) are not an update's
		}
		if perDevice {
			require.True(t, addressesOneOf(r.Path, ids), "%s %s is for another device than %v", r.Method, r.Path, ids)
		}
		out[r.Route]++
	}
	return out
}

func addressesOneOf(path string, ids []string) bool {
	for _, id := range ids {
		if strings.HasPrefix(path, "/api/v1/devices/"+id+"/") {
			return true
		}
	}
	return false
}

// entryOf is the plan entry of one NetBox device in a run.
func (b *testBundle) entryOf(runID uint, deviceID int64) models.PlanEntry {
	b.t.Helper()
	var e models.PlanEntry
	require.NoError(b.t, b.db.Where("sync_log_id = ? AND netbox_object_id = ?", runID, deviceID).First(&e).Error)
	return e
}

// otherRole is a NetBox role that WUG maps to another primary role than
// the device's.
func otherRole(t *testing.T, nb *netboxsim.Server, deviceID int64) netboxsim.Role {
	t.Helper()
	inv := nb.Inventory()
	d, ok := nb.Device(int(deviceID))
	require.True(t, ok)
	wugRole := func(r netboxsim.Role) string {
		role, _ := export.MapRole(netbox.Ref{ID: int64(r.ID), Name: r.Name, Slug: r.Slug}, nil)
		return role
	}
	var mine netboxsim.Role
	for _, r := range inv.Roles {
		if r.ID == d.RoleID {
			mine = r
		}
	}
	for _, r := range inv.Roles {
		if wugRole(r) != wugRole(mine) {
			return r
		}
	}
	require.FailNow(t, "the inventory has a single WUG role")
	return netboxsim.Role{}
}

// TestAnUpdateSendsOnlyTheCallsItsDiffNeeds changes one NetBox device per
// run and counts, at the simulated WUG, every call the run's update made.
func TestAnUpdateSendsOnlyTheCallsItsDiffNeeds(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 40})
	cold := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, cold.Status, cold.ErrorMessage)
	rows := b.exportedDevices(7)

	// The site move goes to a site another exported device is in, so its
	// WUG group exists and the move is the membership calls alone.
	movedFrom, _ := b.nb.Device(int(rows[6].NetBoxDeviceID))
	var toSite int
	for _, r := range b.rows() {
		d, _ := b.nb.Device(int(r.NetBoxDeviceID))
		if r.ExportStatus == models.ExportExported && d.SiteID != movedFrom.SiteID {
			toSite = d.SiteID
		}
	}
	require.NotZero(t, toSite, "the inventory has devices in two sites")

	edit := func(row models.NetBoxIPExport, fn func(*netboxsim.Device)) func() {
		return func() {
			_, err := b.nb.UpdateDevice(int(row.NetBoxDeviceID), fn)
			require.NoError(t, err)
		}
	}
	tests := []struct {
		name     string
		row      models.NetBoxIPExport
		change   func()
		want     map[string]int
		recorded bool
	}{
		{name: "unchanged: no call", row: rows[0], change: func() {}, want: map[string]int{}},
		{
			name: "rename: one properties PUT", row: rows[0],
			change: edit(rows[0], func(d *netboxsim.Device) { d.Name = ptr("renamed-by-update-test") }),
			want:   map[string]int{routeProperties: 1},
		},
		{
			name: "note: one properties PUT", row: rows[1],
			change: edit(rows[1], func(d *netboxsim.Device) { d.Description = "spare chassis" }),
			want:   map[string]int{routeProperties: 1},
		},
		{
			name: "address: the interface list and PUT", row: rows[2],
			change: func() {
				_, err := b.nb.SetPrimaryIP(int(rows[2].NetBoxDeviceID), "10.250.9.7/24")
				require.NoError(t, err)
			},
			want: map[string]int{routeInterfaces: 1, routeInterface: 1},
		},
		{
			name: "one attribute: one PATCH", row: rows[3],
			change: edit(rows[3], func(d *netboxsim.Device) { d.Serial = "SERIAL-CHANGED-1" }),
			want:   map[string]int{routeAttributes: 1},
		},
		{
			name: "role change: the attribute PATCH only, recorded", row: rows[4],
			change: func() {
				role := otherRole(t, b.nb, rows[4].NetBoxDeviceID)
				edit(rows[4], func(d *netboxsim.Device) { d.RoleID = role.ID })()
			},
			want: map[string]int{routeAttributes: 1}, recorded: true,
		},
		{
			name: "group move: one add and one remove (and the NetBox_Site PATCH)", row: rows[6],
			change: edit(rows[6], func(d *netboxsim.Device) { d.SiteID, d.LocationID, d.RackID, d.Position = toSite, 0, 0, nil }),
			want:   map[string]int{routeGroupAdd: 1, routeGroupRemove: 1, routeAttributes: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.change()
			b.wug.ResetStats()
			run := b.export(tasks.ExportRequest{})
			require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
			require.Equal(t, tt.want, updateCalls(t, b.wug.RequestLog(), tt.row.WUGDeviceID))
			if len(tt.want) == 0 {
				require.Zero(t, b.wug.CountRequests("*"), "an unchanged re-export calls WUG for nothing")
				require.Zero(t, run.DevicesUpdated)
				return
			}
			require.Equal(t, 1, run.DevicesUpdated)
			e := b.entryOf(run.ID, tt.row.NetBoxDeviceID)
			require.Equal(t, models.PlanUpdate, e.Action)
			if !tt.recorded {
				require.Equal(t, models.OutcomeDone, e.Outcome)
				require.NotContains(t, run.Summary, "cannot change")
				return
			}
			require.Equal(t, models.OutcomeRecorded, e.Outcome, "a role change is not a plain update")
			require.Contains(t, e.Reason, "primary_role")
			require.Contains(t, e.Reason, "WUG cannot change the role, device type, brand or OS in place")
			require.Contains(t, run.Summary, "1 updated (1 with a role, device type, brand or OS that WUG cannot change in place")
			d, _ := b.wug.Device(tt.row.WUGDeviceID)
			nbDevice, _ := b.nb.Device(int(tt.row.NetBoxDeviceID))
			for _, r := range b.nb.Inventory().Roles {
				if r.ID == nbDevice.RoleID {
					require.Equal(t, r.Name, attr(d, "NetBox_Role"), "the new role is recorded in the attribute")
				}
			}
		})
	}

	t.Run("two devices from two groups into a third: one add, two removes", func(t *testing.T) {
		var movers []models.NetBoxIPExport
		sites := map[int]bool{toSite: true}
		var exported []models.NetBoxIPExport
		require.NoError(t, b.db.Where("connection_id = ? AND export_status = ?", b.conn.ID, models.ExportExported).
			Order("netbox_device_id").Find(&exported).Error)
		for _, r := range exported {
			d, _ := b.nb.Device(int(r.NetBoxDeviceID))
			if len(movers) < 2 && !sites[d.SiteID] {
				sites[d.SiteID] = true
				movers = append(movers, r)
			}
		}
		require.Len(t, movers, 2, "the inventory has devices in three sites")
		for _, r := range movers {
			edit(r, func(d *netboxsim.Device) { d.SiteID, d.LocationID, d.RackID, d.Position = toSite, 0, 0, nil })()
		}
		b.wug.ResetStats()
		run := b.export(tasks.ExportRequest{})
		require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
		require.Equal(t, map[string]int{routeGroupAdd: 1, routeGroupRemove: 2, routeAttributes: 2},
			updateCalls(t, b.wug.RequestLog(), movers[0].WUGDeviceID, movers[1].WUGDeviceID))
	})
}

// forget drops wugsync's rows of some devices, as if its database had lost
// them: the next full run finds their WUG devices by address and adopts
// them (an incremental run plans only what NetBox changed).
func (b *testBundle) forget(rows ...models.NetBoxIPExport) {
	b.t.Helper()
	for _, r := range rows {
		require.NoError(b.t, b.db.Delete(&models.NetBoxIPExport{}, r.ID).Error)
	}
}

// TestAdoptionWritesOnlyWhatWUGHoldsDifferently adopts WUG devices that
// wugsync itself created (so WUG holds exactly NetBox's data) and one
// whose role NetBox changed since, on both adoption paths: the exact-IP
// search (fewer new devices than AdoptListThreshold) and the paged listing.
//
// An identical device costs one attribute PATCH: attributes are not in
// WUG's overview, and the PATCH also stamps NetBox_ID on a device found by
// address. Its group add is batched: one call per group for the batch.
// Name, note, address, role, brand and OS are compared with the overview
// the adoption already read, and cost nothing when they agree.
func TestAdoptionWritesOnlyWhatWUGHoldsDifferently(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 40, params: func(p *workers.Params) { p.AdoptListThreshold = 2 }})
	cold := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, cold.Status, cold.ErrorMessage)
	rows := b.exportedDevices(3)
	devices := len(b.wug.Devices())

	// One new device: found by its exact-IP search.
	identical := rows[0]
	b.forget(identical)
	b.wug.ResetStats()
	run := b.export(tasks.ExportRequest{Full: true})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, 1, b.wug.CountRequests(routeDeviceSearch), "one search finds it")
	require.Equal(t, map[string]int{routeAttributes: 1, routeGroupAdd: 1}, updateCalls(t, b.wug.RequestLog(), identical.WUGDeviceID))
	require.Equal(t, devices, len(b.wug.Devices()), "adopted, not duplicated")
	e := b.entryOf(run.ID, identical.NetBoxDeviceID)
	require.Equal(t, identical.WUGDeviceID, e.WUGDeviceID)
	require.Equal(t, models.OutcomeDone, e.Outcome)
	require.Contains(t, e.Reason, "WUG already holds its name, address, role, brand, OS and note")
	_, held := export.HeldIn(e.Diff)
	require.True(t, held, "the plan kept what WUG showed of the device")
	require.True(t, b.rows()[identical.NetBoxDeviceID].Adopted)

	// Two new devices: found in the paged listing; one of them has another
	// role in NetBox than the one WUG holds.
	same, changed := rows[1], rows[2]
	role := otherRole(t, b.nb, changed.NetBoxDeviceID)
	_, err := b.nb.UpdateDevice(int(changed.NetBoxDeviceID), func(d *netboxsim.Device) { d.RoleID = role.ID })
	require.NoError(t, err)
	b.forget(same, changed)
	b.wug.ResetStats()
	run = b.export(tasks.ExportRequest{Full: true})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	calls := updateCalls(t, b.wug.RequestLog(), same.WUGDeviceID, changed.WUGDeviceID)
	require.Equal(t, 2, calls[routeAttributes], "one attribute PATCH each")
	require.LessOrEqual(t, calls[routeGroupAdd], 2, "one group add per target group")
	delete(calls, routeAttributes)
	delete(calls, routeGroupAdd)
	require.Empty(t, calls, "no properties, interface or other call")
	require.Equal(t, devices, len(b.wug.Devices()))

	require.Equal(t, models.OutcomeDone, b.entryOf(run.ID, same.NetBoxDeviceID).Outcome)
	e = b.entryOf(run.ID, changed.NetBoxDeviceID)
	require.Equal(t, models.OutcomeRecorded, e.Outcome, "an adopted device with another role in WUG is reported")
	require.Contains(t, e.Reason, "differs in WUG: primary_role")
	require.Contains(t, e.Reason, "recorded in the NetBox_* attributes only")
	require.Contains(t, run.Summary, "2 updated (1 with a role, device type, brand or OS that WUG cannot change in place")
	d, _ := b.wug.Device(changed.WUGDeviceID)
	require.Equal(t, role.Name, attr(d, "NetBox_Role"))
}

// TestAnEarlierCreateIsNotRewrittenBlind loses the answer of the template
// call that created a batch's devices: the retry finds them by address and
// compares them with what the search showed, which is what wugsync sent.
// No properties or interface call is made; before, each such device got a
// blind rewrite of four calls.
func TestAnEarlierCreateIsNotRewrittenBlind(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 12})
	want := b.expected()
	require.NoError(t, b.wug.SetFaults("PATCH /api/v1/devices/-/config/template", wugsim.Fault{LostAnswerRate: 1, Count: 1}))

	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	b.requireWUGMatches(want)
	require.Equal(t, 1, b.wug.CountRequests("PATCH /api/v1/devices/-/config/template"), "created once; the retry found them")
	require.Zero(t, b.wug.CountRequests(routeProperties), "WUG holds the name and note that were sent")
	require.Zero(t, b.wug.CountRequests(routeInterfaces), "and the address")
	require.Zero(t, b.wug.CountRequests(routeInterface))
	require.LessOrEqual(t, b.wug.CountRequests(routeAttributes), len(want), "at most the attribute upsert each")
}

// TestARetriedAdoptionComparesAgain fails the adoption's attribute PATCH
// once: the retried batch still has what WUG showed of the device (the
// plan entry keeps it), so it writes the same single PATCH again rather
// than a rewrite, and the entry's reason says what it found once.
func TestARetriedAdoptionComparesAgain(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 12})
	cold := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, cold.Status, cold.ErrorMessage)
	row := b.exportedDevices(1)[0]
	b.forget(row)
	require.NoError(t, b.wug.SetFaults(routeAttributes, wugsim.Fault{ErrorRate: 1, Count: 1}))
	b.wug.ResetStats()

	run := b.export(tasks.ExportRequest{Full: true})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, 2, b.wug.CountRequests(routeAttributes), "failed once, then written")
	calls := updateCalls(t, b.wug.RequestLog(), row.WUGDeviceID)
	require.Zero(t, calls[routeProperties], "the retry did not rewrite the device")
	require.Zero(t, calls[routeInterfaces])
	e := b.entryOf(run.ID, row.NetBoxDeviceID)
	require.Equal(t, models.OutcomeDone, e.Outcome)
	require.Equal(t, 1, strings.Count(e.Reason, "WUG already holds"), e.Reason)
	d, _ := b.wug.Device(row.WUGDeviceID)
	require.Equal(t, key(row.NetBoxDeviceID), attr(d, "NetBox_ID"))
}

// TestAnAppliedPlanDoesNotTrustOldFacts: a dry run found a device in WUG
// and kept what WUG showed of it; a person renames the WUG device before
// the plan is applied. The applied run does not skip the name as equal on
// the strength of the dry run's facts: it rewrites the adopted device.
func TestAnAppliedPlanDoesNotTrustOldFacts(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 12})
	cold := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, cold.Status, cold.ErrorMessage)
	row := b.exportedDevices(1)[0]
	b.forget(row)

	dry := b.export(tasks.ExportRequest{DryRun: true})
	require.Equal(t, models.RunCompleted, dry.Status, dry.ErrorMessage)
	_, held := export.HeldIn(b.entryOf(dry.ID, row.NetBoxDeviceID).Diff)
	require.True(t, held, "the dry run kept what WUG showed")
	byHand := "renamed-in-wug-after-the-dry-run"
	require.NoError(t, b.wugConsole().UpdateDeviceProperties(context.Background(), row.WUGDeviceID, wug.DevicePropertiesUpdate{DisplayName: &byHand}))

	b.wug.ResetStats()
	from := dry.ID
	run := b.export(tasks.ExportRequest{Filters: dry.Filters, AppliedFrom: &from})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, 1, updateCalls(t, b.wug.RequestLog(), row.WUGDeviceID)[routeProperties])
	d, _ := b.wug.Device(row.WUGDeviceID)
	require.Equal(t, row.NetBoxDeviceName, d.Name, "NetBox's name is back")
}
