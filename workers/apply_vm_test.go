package workers_test

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/tasks"
)

// TestApplyReplansOnlyTheChangedVM applies a dry run of a connection that
// exports VMs after one planned VM was renamed in NetBox: the applied run
// decides only that VM again (not the device of the same id, nor any other
// object; no full read of NetBox's VMs), lists its id in replanned, and
// WUG ends holding what the plan said, the VM under its new name.
func TestApplyReplansOnlyTheChangedVM(t *testing.T) {
	t.Parallel()
	watch := &fullListWatch{route: vmsRoute}
	b := setup(t, bundleOptions{devices: 40, netboxVia: watch.wrap,
		conn: withVMs(func(c *models.WUGConnection) { c.EnableNetBoxExport = false })})
	dry := b.export(tasks.ExportRequest{DryRun: true})
	require.Equal(t, models.RunCompleted, dry.Status, dry.ErrorMessage)
	require.Empty(t, b.wug.Devices(), "a dry run writes nothing")
	planned := b.entries(dry.ID)

	// The planned VM to rename: one whose id a planned device has too, so
	// the test sees that only the VM is decided again.
	var renamed export.ObjectRef
	for ref, e := range planned {
		if ref.Type != models.ObjectVirtualMachine || e.Action != models.PlanCreate {
			continue
		}
		if _, twin := planned[deviceRef(int(ref.ID))]; twin && (renamed.ID == 0 || ref.ID < renamed.ID) {
			renamed = ref
		}
	}
	require.NotZero(t, renamed.ID, "the plan creates a VM whose id a device has too")
	_, err := b.nb.UpdateVirtualMachine(int(renamed.ID), func(vm *netboxsim.VirtualMachine) {
		vm.Name = "vm-renamed-after-the-plan"
	})
	require.NoError(t, err)

	watch.start()
	from := dry.ID
	run := b.export(tasks.ExportRequest{Filters: dry.Filters, AppliedFrom: &from})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, []int64{renamed.ID}, run.Replanned)
	require.Zero(t, watch.fullReads(), "the applied run reads only changed VMs from NetBox")

	applied := b.entries(run.ID)
	require.Len(t, applied, len(planned))
	for ref, want := range planned {
		got, ok := applied[ref]
		require.True(t, ok, "%s is in the applied plan", ref)
		require.Equal(t, want.Action, got.Action, "%s", ref)
		if ref != renamed {
			require.Equal(t, want.Reason, got.Reason, "%s keeps the plan's decision", ref)
			require.Equal(t, want.DeviceName, got.DeviceName, "%s", ref)
			require.Equal(t, want.PayloadHash, got.PayloadHash, "%s was not decided again", ref)
		}
	}
	require.Equal(t, "vm-renamed-after-the-plan", applied[renamed].DeviceName)
	require.NotEqual(t, planned[renamed].PayloadHash, applied[renamed].PayloadHash, "the VM was decided again")
	require.Equal(t, dry.DevicesCreated, run.DevicesCreated)

	// WUG holds one device per planned create, the renamed VM's under its
	// new name.
	rows := b.objectRows()
	creates := 0
	for ref, e := range planned {
		if e.Action != models.PlanCreate {
			continue
		}
		creates++
		d, ok := b.wugDevice(rows[ref].WUGDeviceID)
		require.True(t, ok, "%s was planned for creation", ref)
		if ref == renamed {
			require.Equal(t, "vm-renamed-after-the-plan", d.Name)
			require.Equal(t, "nb-vm-"+strconv.FormatInt(ref.ID, 10), d.TemplateID)
		} else {
			require.Equal(t, e.DeviceName, d.Name, "%s", ref)
		}
	}
	require.Len(t, b.wug.Devices(), creates)
}
