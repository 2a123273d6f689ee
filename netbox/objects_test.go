package netbox_test

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
)

func TestVirtualMachineFilters(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 600, Seed: 3}, nil)
	inv := b.sim.Inventory()
	clusterName := func(id int) string { return inv.Clusters[id-1].Name }
	vmIDs := func(keep func(netboxsim.VirtualMachine) bool) []int64 {
		var out []int64
		for _, vm := range inv.VirtualMachines {
			if keep(vm) {
				out = append(out, int64(vm.ID))
			}
		}
		return out
	}
	cases := []struct {
		name   string
		filter netbox.DeviceFilter
		keep   func(netboxsim.VirtualMachine) bool
	}{
		{"cluster names", netbox.DeviceFilter{Clusters: []string{clusterName(1), clusterName(2)}},
			func(vm netboxsim.VirtualMachine) bool { return vm.ClusterID == 1 || vm.ClusterID == 2 }},
		{"cluster ids", netbox.DeviceFilter{ClusterIDs: []int64{3}}, func(vm netboxsim.VirtualMachine) bool { return vm.ClusterID == 3 }},
		{"exclude tags", netbox.DeviceFilter{ExcludeTags: []string{"monitored"}},
			func(vm netboxsim.VirtualMachine) bool { return !slices.Contains(vm.Tags, "monitored") }},
		{"site ids", netbox.DeviceFilter{SiteIDs: []int64{2}}, func(vm netboxsim.VirtualMachine) bool { return vm.SiteID == 2 }},
		{"statuses", netbox.DeviceFilter{Statuses: []string{"offline"}}, func(vm netboxsim.VirtualMachine) bool { return vm.Status == "offline" }},
	}
	for _, tc := range cases {
		want := vmIDs(tc.keep)
		require.NotEmpty(t, want, tc.name)
		require.Less(t, len(want), len(inv.VirtualMachines), tc.name)
		var got []int64
		for _, vm := range collect(t, b.client.VirtualMachines(context.Background(), tc.filter)) {
			got = append(got, vm.ID)
		}
		require.Equal(t, want, got, tc.name)
	}
	vms := collect(t, b.client.VirtualMachines(context.Background(), netbox.DeviceFilter{IDs: []int64{1}}))
	require.Len(t, vms, 1)
	vm := vms[0]
	require.NotNil(t, vm.Cluster)
	require.Equal(t, clusterName(inv.VirtualMachines[0].ClusterID), vm.Cluster.Name)
	require.NotNil(t, vm.Role)
	require.NotNil(t, vm.Platform)
	require.Contains(t, vm.CustomFields, "wug_device_id")
	require.False(t, vm.LastUpdated.IsZero())
	require.Equal(t, vm.Name, vm.DisplayName())
	require.True(t, slices.IsSorted(vm.TagSlugs()))
}

func TestDeviceFilterByIDsAndExclusions(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 300, Seed: 4}, nil)
	got := collect(t, b.client.Devices(context.Background(), netbox.DeviceFilter{RoleIDs: []int64{1}, ExcludeTags: []string{"critical"}}))
	want := simDeviceIDs(b.sim, func(d netboxsim.Device) bool { return d.RoleID == 1 && !slices.Contains(d.Tags, "critical") })
	require.NotEmpty(t, want)
	requireEachOnce(t, want, deviceIDs(got))

	b.sim.ResetRequests()
	_, err := firstErr(b.client.Devices(context.Background(), netbox.DeviceFilter{Clusters: []string{"nyc1"}}))
	require.ErrorIs(t, err, netbox.ErrConfig, "NetBox has no cluster name filter for devices")
	require.Contains(t, err.Error(), "cluster id only")
	_, err = firstErr(b.client.Devices(context.Background(), netbox.DeviceFilter{SiteIDs: []int64{0}}))
	require.ErrorIs(t, err, netbox.ErrConfig)
	require.Empty(t, b.sim.Requests(), "refused before sending")
}

func firstErr[T any](seq func(func(T, error) bool)) (T, error) {
	var zero T
	for item, err := range seq {
		return item, err
	}
	return zero, nil
}

func TestLongIDListsAreSplit(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 500}, nil)
	var ids []int64
	for id := int64(450); id >= 1; id-- {
		ids = append(ids, id)
	}
	got := collect(t, b.client.Devices(context.Background(), netbox.DeviceFilter{IDs: ids}))
	require.Len(t, got, 450)
	require.True(t, slices.IsSortedFunc(got, func(a, b netbox.Device) int { return cmp.Compare(a.ID, b.ID) }), "still in id order")
	reqs := b.sim.Requests()
	require.Len(t, reqs, 3)
	for _, r := range reqs {
		require.LessOrEqual(t, len(r.Query["id"]), 200)
		require.Less(t, len(r.Query.Encode()), 4000, "the URL stays short")
	}
}

func TestChangedSinceAndStamps(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 100}, nil)
	ctx := context.Background()
	since := time.Now().UTC()
	_, err := b.sim.UpdateDevice(5, func(d *netboxsim.Device) { d.Serial = "NEW" })
	require.NoError(t, err)
	_, err = b.sim.UpdateDevice(70, func(d *netboxsim.Device) { d.Serial = "NEW" })
	require.NoError(t, err)
	_, err = b.sim.UpdateVirtualMachine(3, func(vm *netboxsim.VirtualMachine) { vm.Status = "offline" })
	require.NoError(t, err)

	changed, err := b.client.ChangedSince(ctx, netbox.ObjectTypeDevice, since, nil)
	require.NoError(t, err)
	require.Equal(t, []int64{5, 70}, changed)
	changed, err = b.client.ChangedSince(ctx, netbox.ObjectTypeDevice, since, []int64{1, 2, 3, 4, 5, 6})
	require.NoError(t, err)
	require.Equal(t, []int64{5}, changed, "only among the given ids")
	changed, err = b.client.ChangedSince(ctx, netbox.ObjectTypeVirtualMachine, since, nil)
	require.NoError(t, err)
	require.Equal(t, []int64{3}, changed)
	last := b.sim.Requests()[len(b.sim.Requests())-1]
	require.Equal(t, "id,last_updated", last.Query.Get("fields"), "only ids and times are read")

	stamps := collect(t, b.client.ObjectStamps(ctx, netbox.ObjectTypeDevice, netbox.DeviceFilter{IDs: []int64{5, 6}}))
	d5, _ := b.sim.Device(5)
	require.Len(t, stamps, 2)
	require.Equal(t, netbox.ObjectStamp{ID: 5, LastUpdated: d5.LastUpdated}, stamps[0])

	_, err = b.client.ChangedSince(ctx, "dcim.site", since, nil)
	require.ErrorIs(t, err, netbox.ErrConfig)
	_, err = b.client.ChangedSince(ctx, netbox.ObjectTypeDevice, time.Time{}, nil)
	require.ErrorIs(t, err, netbox.ErrConfig)
}

func TestListClusters(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 100}, nil)
	clusters, err := b.client.ListClusters(context.Background())
	require.NoError(t, err)
	require.Len(t, clusters, len(b.sim.Inventory().Clusters))
	require.NotEmpty(t, strings.TrimSpace(clusters[0].Name))
}

func TestCheckCustomFieldName(t *testing.T) {
	t.Parallel()
	require.NoError(t, netbox.CheckCustomFieldName("wug_device_id"))
	for _, bad := range []string{"", "wug-id", "wug__id", "wug id", strings.Repeat("x", 51)} {
		require.ErrorIs(t, netbox.CheckCustomFieldName(bad), netbox.ErrConfig, bad)
	}
}
