package netbox_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
)

func TestListIPAddressesOfDevice(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 200, Seed: 2}, nil)
	var server netboxsim.Device
	for _, d := range b.sim.Devices() {
		if d.OOBIPID != 0 && d.PrimaryIP4ID != 0 {
			server = d
			break
		}
	}
	require.NotZero(t, server.ID, "the inventory has servers with an OOB address")
	ips, err := b.client.ListIPAddresses(context.Background(), netbox.IPFilter{DeviceIDs: []int64{int64(server.ID)}})
	require.NoError(t, err)
	var ids []int64
	for _, ip := range ips {
		ids = append(ids, ip.ID)
		devID, ok := ip.DeviceID()
		require.True(t, ok)
		require.Equal(t, int64(server.ID), devID)
		require.Equal(t, "dcim.interface", ip.AssignedObjectType)
		require.NotZero(t, ip.AssignedObjectID)
	}
	require.ElementsMatch(t, []int64{int64(server.PrimaryIP4ID), int64(server.OOBIPID)}, ids)

	one, err := b.client.GetIPAddress(context.Background(), int64(server.PrimaryIP4ID))
	require.NoError(t, err)
	require.Equal(t, 4, one.Family)
}

func TestIPAddressesChangedSince(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 100}, nil)
	d, ok := b.sim.Device(3)
	require.True(t, ok)
	changed, err := b.sim.ChangeIPAddress(d.PrimaryIP4ID, "10.99.0.3/24")
	require.NoError(t, err)
	ips, err := b.client.ListIPAddresses(context.Background(), netbox.IPFilter{LastUpdatedGTE: changed.LastUpdated})
	require.NoError(t, err)
	require.Len(t, ips, 1)
	require.Equal(t, "10.99.0.3/24", ips[0].Address)
	devID, ok := ips[0].DeviceID()
	require.True(t, ok)
	require.Equal(t, int64(3), devID)
}

func TestIPFilterValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{}, nil)
	_, err := b.client.ListIPAddresses(context.Background(), netbox.IPFilter{Family: 5})
	require.ErrorIs(t, err, netbox.ErrConfig)
	_, err = b.client.ListIPAddresses(context.Background(), netbox.IPFilter{Addresses: []string{""}})
	require.ErrorIs(t, err, netbox.ErrConfig)
	require.Empty(t, b.sim.Requests())
}

func TestListSitesWithRegions(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 500}, nil)
	sites, err := b.client.ListSites(context.Background())
	require.NoError(t, err)
	require.Len(t, sites, 12)
	regions := map[string]int{}
	for _, s := range sites {
		require.NotNil(t, s.Region, "site %s", s.Slug)
		regions[s.Region.Slug]++
	}
	require.Len(t, regions, 3)

	all, err := b.client.ListRegions(context.Background())
	require.NoError(t, err)
	require.Len(t, all, 3)
	for _, r := range all {
		require.Nil(t, r.Parent)
		require.Positive(t, regions[r.Slug])
	}
}

func TestVirtualMachines(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 300}, nil)
	vms := collect(t, b.client.VirtualMachines(context.Background(), netbox.DeviceFilter{Statuses: []string{"active"}}))
	want := 0
	for _, vm := range b.sim.Inventory().VirtualMachines {
		if vm.Status == "active" {
			want++
		}
	}
	require.Len(t, vms, want)
	require.NotEmpty(t, vms)
	for _, vm := range vms {
		require.Equal(t, "active", vm.Status.Value)
		require.NotNil(t, vm.Site)
	}
	vm, err := b.client.GetVirtualMachine(context.Background(), vms[0].ID)
	require.NoError(t, err)
	require.Equal(t, vms[0].Name, vm.Name)
}
