package workers_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/tasks"
)

// withVMs is a connection that exports virtual machines too.
func withVMs(edit func(*models.WUGConnection)) func(*models.WUGConnection) {
	return func(c *models.WUGConnection) {
		c.ExportVirtualMachines = true
		if edit != nil {
			edit(c)
		}
	}
}

// objectRows returns the export rows of the bundle's connection by object.
func (b *testBundle) objectRows() map[export.ObjectRef]models.NetBoxIPExport {
	var rows []models.NetBoxIPExport
	require.NoError(b.t, b.db.Where("connection_id = ?", b.conn.ID).Find(&rows).Error)
	out := map[export.ObjectRef]models.NetBoxIPExport{}
	for _, r := range rows {
		out[export.ObjectRef{Type: r.ObjectType, ID: r.NetBoxObjectID}] = r
	}
	return out
}

// wugDevice is the simulated WUG's device with this id.
func (b *testBundle) wugDevice(id string) (wugsim.Device, bool) {
	for _, d := range b.wug.Devices() {
		if d.ID == id {
			return d, true
		}
	}
	return wugsim.Device{}, false
}

// entries lists a run's plan entries by object.
func (b *testBundle) entries(runID uint) map[export.ObjectRef]models.PlanEntry {
	var list []models.PlanEntry
	require.NoError(b.t, b.db.Where("sync_log_id = ?", runID).Find(&list).Error)
	out := map[export.ObjectRef]models.PlanEntry{}
	for _, e := range list {
		out[export.ObjectRef{Type: e.ObjectType, ID: e.NetBoxObjectID}] = e
	}
	return out
}

func vmRef(id int) export.ObjectRef {
	return export.ObjectRef{Type: models.ObjectVirtualMachine, ID: int64(id)}
}

func deviceRef(id int) export.ObjectRef {
	return export.ObjectRef{Type: models.ObjectDevice, ID: int64(id)}
}

// exportedVMSharingAnID picks an exported VM whose id an exported device
// has too.
func (b *testBundle) exportedVMSharingAnID(rows map[export.ObjectRef]models.NetBoxIPExport) netboxsim.VirtualMachine {
	b.t.Helper()
	for _, vm := range b.nb.VirtualMachines() {
		v, d := rows[vmRef(vm.ID)], rows[deviceRef(vm.ID)]
		if v.ExportStatus == models.ExportExported && d.ExportStatus == models.ExportExported {
			return vm
		}
	}
	b.t.Fatal("no exported VM shares its id with an exported device")
	return netboxsim.VirtualMachine{}
}

// A VM and the device with the same id are two NetBox objects: two rows,
// two WUG devices (nb-<id> and nb-vm-<id>), and a sync of the VM touches
// only the VM's WUG device.
func TestVMAndDeviceWithTheSameIDStayApart(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 30, conn: withVMs(nil)})
	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)

	rows := b.objectRows()
	vmRows := 0
	for ref, r := range rows {
		if ref.Type == models.ObjectVirtualMachine {
			vmRows++
			require.Zero(t, r.NetBoxDeviceID, "a VM's row names no device")
		}
	}
	active := 0
	for _, vm := range b.nb.VirtualMachines() {
		if vm.Status == "active" {
			active++
			continue
		}
		// A VM of a status the connection does not export is explained
		// by a skipped row naming its status.
		r := rows[vmRef(vm.ID)]
		require.Equal(t, models.ExportSkipped, r.ExportStatus, "VM %d (%s)", vm.ID, vm.Status)
		require.Contains(t, r.SkipReason, strconv.Quote(vm.Status))
	}
	require.Len(t, b.nb.VirtualMachines(), 3)
	require.Positive(t, active)
	require.Equal(t, len(b.nb.VirtualMachines()), vmRows, "every VM the filters select has a row")
	exported := 0
	for _, r := range rows {
		if r.WUGDeviceID != "" {
			exported++
		}
	}
	require.Len(t, b.wug.Devices(), exported, "one WUG device per exported object, none twice")

	vm := b.exportedVMSharingAnID(rows)
	vmRow, devRow := rows[vmRef(vm.ID)], rows[deviceRef(vm.ID)]
	require.NotEqual(t, vmRow.WUGDeviceID, devRow.WUGDeviceID)
	vmWUG, ok := b.wugDevice(vmRow.WUGDeviceID)
	require.True(t, ok)
	devWUG, ok := b.wugDevice(devRow.WUGDeviceID)
	require.True(t, ok)
	require.Equal(t, "nb-vm-"+strconv.Itoa(vm.ID), vmWUG.TemplateID)
	require.Equal(t, "nb-"+strconv.Itoa(vm.ID), devWUG.TemplateID)
	require.Equal(t, vm.Name, vmWUG.Name)
	require.Equal(t, "virtualmachine", attr(vmWUG, "NetBox_ObjectType"))
	require.Equal(t, "device", attr(devWUG, "NetBox_ObjectType"))
	require.Equal(t, strconv.Itoa(vm.ID), attr(vmWUG, "NetBox_ID"))
	require.True(t, strings.HasSuffix(attr(vmWUG, "NetBox_URL"), "/virtualization/virtual-machines/"+strconv.Itoa(vm.ID)+"/"), attr(vmWUG, "NetBox_URL"))
	var cluster string
	for _, c := range b.nb.Inventory().Clusters {
		if c.ID == vm.ClusterID {
			cluster = c.Name
		}
	}
	require.NotEmpty(t, cluster)
	require.Equal(t, cluster, attr(vmWUG, "NetBox_Cluster"))
	tags := slices.Clone(vm.Tags)
	slices.Sort(tags)
	require.Equal(t, strings.Join(tags, ","), attr(vmWUG, "NetBox_Tags"))

	again := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, again.Status, again.ErrorMessage)
	require.Zero(t, again.DevicesCreated+again.DevicesUpdated+again.DevicesFailed, "an unchanged inventory costs no WUG write")
	require.Equal(t, run.DevicesCreated, again.DevicesUnchanged)

	_, err := b.nb.UpdateVirtualMachine(vm.ID, func(v *netboxsim.VirtualMachine) { v.Name = "renamed-vm" })
	require.NoError(t, err)
	sync := b.syncDevice(tasks.DeviceSyncPayload{NetBoxVMID: int64(vm.ID), Trigger: "webhook"})
	require.Equal(t, models.RunCompleted, sync.Status, sync.ErrorMessage)
	require.Equal(t, 1, sync.DevicesUpdated)
	vmWUG, _ = b.wugDevice(vmRow.WUGDeviceID)
	require.Equal(t, "renamed-vm", vmWUG.Name, "the VM's sync renamed the VM's WUG device")
	after, _ := b.wugDevice(devRow.WUGDeviceID)
	require.Equal(t, devWUG.Name, after.Name, "the device with the same id is untouched")
	require.Equal(t, "renamed-vm", b.objectRows()[vmRef(vm.ID)].NetBoxDeviceName)
}

// A VM whose primary address is a device's is a conflict, reported on both
// (each naming the other's kind), and neither reaches WUG.
func TestVMSharingADeviceAddressIsAConflict(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 30, conn: withVMs(nil), noWorker: false})
	probe := b.export(tasks.ExportRequest{DryRun: true})
	require.Equal(t, models.RunCompleted, probe.Status, probe.ErrorMessage)
	plan := b.entries(probe.ID)
	var device netboxsim.Device
	for _, d := range b.nb.Devices() {
		if e := plan[deviceRef(d.ID)]; e.Action == models.PlanCreate && d.PrimaryIP4ID != 0 {
			device = d
			break
		}
	}
	var vm netboxsim.VirtualMachine
	for _, v := range b.nb.VirtualMachines() {
		if e := plan[vmRef(v.ID)]; e.Action == models.PlanCreate && v.PrimaryIP4ID != 0 {
			vm = v
			break
		}
	}
	require.NotZero(t, device.ID)
	require.NotZero(t, vm.ID)
	ip, ok := b.nb.IPAddress(device.PrimaryIP4ID)
	require.True(t, ok)
	_, err := b.nb.ChangeIPAddress(vm.PrimaryIP4ID, ip.Address)
	require.NoError(t, err)
	host := strings.Split(ip.Address, "/")[0]

	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	rows := b.objectRows()
	devRow, vmRow := rows[deviceRef(device.ID)], rows[vmRef(vm.ID)]
	require.Equal(t, models.ExportSkipped, devRow.ExportStatus)
	require.Equal(t, models.ExportSkipped, vmRow.ExportStatus)
	require.Equal(t, "IP conflict: "+host+" is also the primary IP of NetBox virtual machine "+strconv.Itoa(vm.ID)+" ("+vm.Name+")", devRow.SkipReason)
	require.Contains(t, vmRow.SkipReason, "IP conflict: "+host+" is also the primary IP of NetBox device "+strconv.Itoa(device.ID))
	for _, d := range b.wug.Devices() {
		require.NotEqual(t, host, d.NetworkAddress, "neither object reaches WUG")
	}
}

// The clusters filter selects by cluster id and by cluster name alike, for
// VMs and devices; a name NetBox does not know fails the run naming it.
func TestClustersFilterByIDAndByName(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 40, conn: withVMs(nil)})
	var vm netboxsim.VirtualMachine
	for _, v := range b.nb.VirtualMachines() {
		if v.Status == "active" && v.PrimaryIP4ID != 0 {
			vm = v
			break
		}
	}
	require.NotZero(t, vm.ID)
	var cluster netboxsim.Cluster
	for _, c := range b.nb.Inventory().Clusters {
		if c.ID == vm.ClusterID {
			cluster = c
		}
	}
	require.NotZero(t, cluster.ID)

	selected := func(filter models.FilterValues) map[export.ObjectRef]bool {
		run := b.export(tasks.ExportRequest{DryRun: true, Filters: models.DeviceFilters{Clusters: filter}})
		require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
		out := map[export.ObjectRef]bool{}
		for ref, e := range b.entries(run.ID) {
			if e.Action != models.PlanSkip {
				out[ref] = true
			}
		}
		return out
	}
	byID := selected(models.FilterValues{export.FilterID(int64(cluster.ID))})
	byName := selected(models.FilterValues{strings.ToUpper(cluster.Name)})
	require.Equal(t, byID, byName)
	require.True(t, byID[vmRef(vm.ID)], "the VM in the cluster is selected")
	inCluster := map[export.ObjectRef]bool{}
	for _, v := range b.nb.VirtualMachines() {
		inCluster[vmRef(v.ID)] = v.ClusterID == cluster.ID
	}
	for _, d := range b.nb.Devices() {
		inCluster[deviceRef(d.ID)] = d.ClusterID == cluster.ID
	}
	for ref := range byID {
		require.True(t, inCluster[ref], "%s is not in cluster %d", ref, cluster.ID)
	}
	all := selected(nil)
	require.Greater(t, len(all), len(byID), "the filter left objects out")

	bad := b.export(tasks.ExportRequest{DryRun: true, Filters: models.DeviceFilters{Clusters: models.FilterValues{"no such cluster"}}})
	require.Equal(t, models.RunFailed, bad.Status)
	require.Contains(t, bad.ErrorMessage, `clusters="no such cluster"`)
}

// An object carrying an excluded tag is never exported and its row says
// why; one exported before gets the decommission action.
func TestExcludeTagsDecommissionsAndExplains(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 30, conn: withVMs(func(c *models.WUGConnection) {
		c.DecommissionAction = models.DecommissionDelete
	})})
	first := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, first.Status, first.ErrorMessage)
	rows := b.objectRows()
	var exported, fresh netboxsim.VirtualMachine
	for _, v := range b.nb.VirtualMachines() {
		r := rows[vmRef(v.ID)]
		if r.ExportStatus == models.ExportExported && exported.ID == 0 {
			exported = v
		} else if r.ExportStatus == models.ExportExported && fresh.ID == 0 {
			fresh = v
		}
	}
	require.NotZero(t, exported.ID)
	require.NotZero(t, fresh.ID)
	wugID := rows[vmRef(exported.ID)].WUGDeviceID
	for _, id := range []int{exported.ID, fresh.ID} {
		_, err := b.nb.UpdateVirtualMachine(id, func(v *netboxsim.VirtualMachine) { v.Tags = append(v.Tags, "no-monitoring") })
		require.NoError(t, err)
	}
	// fresh is unlinked first, as if it had never been exported.
	require.NoError(t, b.db.Model(&models.NetBoxIPExport{}).Where("connection_id = ? AND object_type = ? AND netbox_object_id = ?",
		b.conn.ID, models.ObjectVirtualMachine, fresh.ID).Updates(map[string]any{"wug_device_id": "", "export_status": models.ExportPending}).Error)
	b.conn.DeviceFilters.ExcludeTags = models.FilterValues{"no-monitoring"}
	require.NoError(t, b.db.Model(&b.conn).Select("DeviceFilters").Updates(&b.conn).Error)

	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	plan := b.entries(run.ID)
	gone := plan[vmRef(exported.ID)]
	require.Equal(t, models.PlanDecommission, gone.Action)
	require.Equal(t, "left the selection: tag [no-monitoring] is excluded (exclude_tags [no-monitoring])", gone.Reason)
	_, still := b.wugDevice(wugID)
	require.False(t, still, "the decommission action (delete) removed it from WUG")
	rows = b.objectRows()
	require.Equal(t, models.ExportDecommissioned, rows[vmRef(exported.ID)].ExportStatus)

	skipped := rows[vmRef(fresh.ID)]
	require.Equal(t, models.ExportSkipped, skipped.ExportStatus)
	require.Equal(t, "not selected: tag [no-monitoring] is excluded (exclude_tags [no-monitoring])", skipped.SkipReason)
	require.Equal(t, models.PlanSkip, plan[vmRef(fresh.ID)].Action)
}

// With export_virtual_machines off (the default), VMs are not read, and a
// VM's sync skips the connection (no run recorded) while reaching one that
// exports VMs.
func TestVMsAreNotExportedUnlessAskedFor(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 30})
	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	for ref := range b.objectRows() {
		require.Equal(t, models.ObjectDevice, ref.Type)
	}
	for _, d := range b.wug.Devices() {
		require.False(t, strings.HasPrefix(d.TemplateID, "nb-vm-"), d.TemplateID)
	}
	for _, r := range b.nb.Requests() {
		// Not even the trimmed primaries listing of the conflict check:
		// a VM that never reaches WUG cannot duplicate a device there.
		require.NotContains(t, r.Path, "virtual-machines", "no VM is read")
	}
	var vm netboxsim.VirtualMachine
	for _, v := range b.nb.VirtualMachines() {
		if v.Status == "active" && v.PrimaryIP4ID != 0 {
			vm = v
			break
		}
	}
	require.NotZero(t, vm.ID)
	other := b.addWUG("vm-wug", wugsim.Options{}, withVMs(nil))
	require.Greater(t, other.conn.ID, b.conn.ID, "the VM-less connection comes first in the sync")
	var before int64
	require.NoError(t, b.db.Model(&models.WUGSyncLog{}).Where("connection_id = ?", b.conn.ID).Count(&before).Error)
	sync := b.syncDevice(tasks.DeviceSyncPayload{NetBoxVMID: int64(vm.ID), Trigger: "webhook"})
	require.Equal(t, other.conn.ID, sync.ConnectionID, "the first run to end is the VM connection's: the other recorded none")
	require.Equal(t, models.RunCompleted, sync.Status, sync.ErrorMessage)
	require.Equal(t, 1, sync.DevicesCreated)
	var after int64
	require.NoError(t, b.db.Model(&models.WUGSyncLog{}).Where("connection_id = ?", b.conn.ID).Count(&after).Error)
	require.Equal(t, before, after, "no empty run on the connection that does not export VMs")
	require.Len(t, other.sim.Devices(), 1)
	require.Equal(t, "nb-vm-"+strconv.Itoa(vm.ID), other.sim.Devices()[0].TemplateID)
}
